// Istio as istioctl installs it (1.30.3 by default; LAB_ISTIO_VERSION picks another of
// 1.27.x to 1.30.x): control planes and gateways from IstioOperator files, pruning by owner
// labels, sidecar injection (with the IstioOperator's custom templates), remote secrets,
// what istioctl reports (remote-clusters, proxy-config secret), and the judgement of a
// request from one pod to a service: which endpoints its proxy knows, and whether mTLS
// between the two proxies would succeed, each decided from the content that was applied.
// Each rule names where upstream writes it (istio/istio at the tag given); the provenance
// table in test/lab/README.md lists them all.
import { randomBytes, X509Certificate } from 'node:crypto'
import { parse as parseYaml, stringify } from 'yaml'
import { loadBalancer, podReadiness, workloadReadiness, kubeletVersion } from './controllers.ts'
import { clone, deepEqual, sameServer, dig, find, isPlainObject, labelSelectorMatches, list, type ClusterState, type Injection, type Obj, type Stored, type World } from './model.ts'
import { expectedOf, noRole } from './expected.ts'
import { istioOperatorShape, istioProfiles, unknownFields } from './istio-fields.ts'
import { configMap, crd, namespace, service, serviceAccount } from './objects.ts'
import { federatedNow, otherClusters, spireProblems, spireRelease } from './spire.ts'
import { ToolExit } from './state.ts'
import { proxyCertificates } from './svids.ts'
import { randomInt } from './random.ts'
import { scaled } from './timing.ts'

const socketPath = '/var/run/secrets/workload-spiffe-uds'

// ---------- the Istio release the lab plays ----------

export const defaultIstioVersion = '1.30.3'

// LAB_ISTIO_VERSION: the release istioctl is (and installs). Behaviour that differs by minor
// version follows the release of the istiod that was installed (its image tag), so a cluster
// installed with one setting keeps behaving as that release.
export function istioVersion(env: NodeJS.ProcessEnv = process.env): string {
  const version = env.LAB_ISTIO_VERSION || defaultIstioVersion
  const match = /^1\.(\d+)\.\d+$/.exec(version)
  if (!match || Number(match[1]) < 27 || Number(match[1]) > 30) {
    throw new ToolExit(2, `lab: LAB_ISTIO_VERSION=${version} is not a release the lab models (1.27.x to 1.30.x)`)
  }
  return version
}

export function minorOf(version: string): number {
  return Number(/^1\.(\d+)\./.exec(version)?.[1] ?? NaN)
}

const proxyImage = (version: string) => `docker.io/istio/proxyv2:${version}`

// The release of the istiod running in `state`, read from its image tag.
export function controlPlaneVersion(state: ClusterState): string | undefined {
  const image = String(find(state, 'apps', 'Deployment', 'istio-system', 'istiod')?.obj.spec?.template?.spec?.containers?.[0]?.image ?? '')
  return /:(1\.\d+\.\d+)$/.exec(image)?.[1]
}

// ---------- IstioOperator ----------

const profiles: Record<string, Obj> = {
  default: { components: { base: { enabled: true }, pilot: { enabled: true }, ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] } },
  demo: { components: { base: { enabled: true }, pilot: { enabled: true }, ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }], egressGateways: [{ name: 'istio-egressgateway', enabled: true }] } },
  minimal: { components: { base: { enabled: true }, pilot: { enabled: true } } },
  empty: { components: {} },
  remote: { components: { base: { enabled: true } } },
  ambient: { components: { base: { enabled: true }, pilot: { enabled: true }, cni: { enabled: true }, ztunnel: { enabled: true } } },
  preview: { components: { base: { enabled: true }, pilot: { enabled: true }, ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] } },
  stable: { components: { base: { enabled: true }, pilot: { enabled: true }, ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] } },
}

// Check one IstioOperator document; returns its spec or an error as istioctl words it.
export function readOperator(doc: Obj, source: string): { spec: Obj; name?: string; namespace?: string } | { error: string } {
  if (doc.apiVersion !== 'install.istio.io/v1alpha1' || doc.kind !== 'IstioOperator') {
    return { error: `could not parse ${source}: the file is not an IstioOperator (apiVersion install.istio.io/v1alpha1, kind IstioOperator); got ${doc.apiVersion}/${doc.kind}` }
  }
  const spec = isPlainObject(doc.spec) ? doc.spec : {}
  // istioctl 1.30.3 reads the profile first (operator/pkg/render/manifest.go, readProfile),
  // then decodes the document refusing unknown fields, except under meshConfig
  // (operator/pkg/apis/validation/validation.go; see istio-fields.ts).
  const profile = spec.profile ?? 'default'
  if (!istioProfiles.includes(profile)) return { error: `generate config: merge inputs: profile "${profile}" not found: open profiles/${profile}.yaml: file does not exist` }
  if (!profiles[profile]) return { error: `lab istioctl: profile "${profile}" exists in Istio, but the lab does not model it` }
  const unknown = unknownFields(doc, istioOperatorShape).find((u) => u.decoder !== 'lenient')
  if (unknown?.decoder === 'json') return { error: `generate config: could not unmarshal: json: unknown field "${unknown.field}"` }
  if (unknown) return { error: `generate config: could not unmarshal: error unmarshaling JSON: while decoding JSON: unknown field "${unknown.field}" in ${unknown.type}` }
  for (const name of ['spire', 'spire-gateway']) {
    const template = dig(spec, 'values', 'sidecarInjectorWebhook', 'templates', name)
    if (template !== undefined && typeof template !== 'string') return { error: `could not parse ${source}: values.sidecarInjectorWebhook.templates.${name} must be a string` }
  }
  const name = typeof doc.metadata?.name === 'string' && doc.metadata.name !== '' ? doc.metadata.name : undefined
  const ns = typeof doc.metadata?.namespace === 'string' && doc.metadata.namespace !== '' ? doc.metadata.namespace : undefined
  return { spec, name, namespace: ns }
}

export function effectiveComponents(spec: Obj): Obj {
  const base = profiles[spec.profile ?? 'default']!.components
  const given = spec.components ?? {}
  const result: Obj = { ...clone(base) }
  for (const [key, value] of Object.entries(given)) {
    if (Array.isArray(value)) result[key] = value
    else if (isPlainObject(value)) result[key] = { ...(result[key] ?? {}), ...value }
  }
  return result
}

export function controlPlane(state: ClusterState): Obj | undefined {
  const cps = Object.values(state.operators).filter((op) => effectiveComponents(op.spec).pilot?.enabled)
  return cps.sort((a, b) => b.installed - a.installed)[0]?.spec
}

const istioCrds = (): Obj[] => [
  crd('networking.istio.io', 'Gateway', 'gateways', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['gw']),
  crd('networking.istio.io', 'DestinationRule', 'destinationrules', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['dr']),
  crd('networking.istio.io', 'VirtualService', 'virtualservices', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['vs']),
  crd('networking.istio.io', 'ServiceEntry', 'serviceentries', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['se']),
  crd('networking.istio.io', 'Sidecar', 'sidecars', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3']),
  crd('networking.istio.io', 'WorkloadEntry', 'workloadentries', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['we']),
  crd('networking.istio.io', 'WorkloadGroup', 'workloadgroups', 'Namespaced', ['v1', 'v1beta1', 'v1alpha3'], ['wg']),
  crd('networking.istio.io', 'EnvoyFilter', 'envoyfilters', 'Namespaced', ['v1alpha3']),
  crd('networking.istio.io', 'ProxyConfig', 'proxyconfigs', 'Namespaced', ['v1beta1']),
  crd('security.istio.io', 'PeerAuthentication', 'peerauthentications', 'Namespaced', ['v1', 'v1beta1'], ['pa']),
  crd('security.istio.io', 'AuthorizationPolicy', 'authorizationpolicies', 'Namespaced', ['v1', 'v1beta1'], ['ap']),
  crd('security.istio.io', 'RequestAuthentication', 'requestauthentications', 'Namespaced', ['v1', 'v1beta1'], ['ra']),
  crd('telemetry.istio.io', 'Telemetry', 'telemetries', 'Namespaced', ['v1', 'v1alpha1'], ['telemetry']),
  crd('extensions.istio.io', 'WasmPlugin', 'wasmplugins', 'Namespaced', ['v1alpha1']),
]

export interface Rendered {
  component: string      // as istioctl's progress shows it: "Istio core", "Istiod", "Ingress gateways"
  name: ComponentName    // as its labels name it (operator.istio.io/component)
  objects: Obj[]
}

// operator/pkg/component/component.go (1.27.0-1.30.3): the components' user-facing names.
export const componentNames = ['Base', 'Pilot', 'Cni', 'Ztunnel', 'IngressGateways', 'EgressGateways'] as const
export type ComponentName = typeof componentNames[number]

// The revision an IstioOperator installs: spec.revision becomes values.revision, and an empty
// one is "default" (operator/pkg/render/manifest.go, translateIstioOperatorToHelm;
// install.go, getOwnerLabels).
export function revisionOf(spec: Obj): string {
  return String(dig(spec, 'values', 'revision') || spec.revision || 'default')
}

// What `istioctl install` creates for an IstioOperator, component by component.
export function renderOperator(spec: Obj, version: string): Rendered[] {
  const components = effectiveComponents(spec)
  const ns = spec.namespace ?? 'istio-system'
  const values = spec.values ?? {}
  const rendered: Rendered[] = []
  if (components.base?.enabled) {
    rendered.push({
      component: 'Istio core',
      name: 'Base',
      objects: [
        namespace(ns),
        ...istioCrds(),
        serviceAccount('istio-reader-service-account', ns, { app: 'istio-reader' }),
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `istio-reader-clusterrole-${ns}` }, rules: [] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `istio-reader-clusterrole-${ns}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `istio-reader-clusterrole-${ns}` }, subjects: [{ kind: 'ServiceAccount', name: 'istio-reader-service-account', namespace: ns }] },
      ],
    })
  }
  if (components.pilot?.enabled) {
    const labels = { app: 'istiod', istio: 'pilot' }
    rendered.push({
      component: 'Istiod',
      name: 'Pilot',
      objects: [
        namespace(ns),
        serviceAccount('istiod', ns, labels),
        configMap('istio', ns, { mesh: stringify(spec.meshConfig ?? {}), meshNetworks: 'networks: {}\n' }, { 'istio.io/rev': 'default' }),
        configMap('istio-sidecar-injector', ns, {
          values: JSON.stringify(values),
          config: stringify({ defaultTemplates: ['sidecar'], templates: Object.fromEntries(Object.keys(injectionTemplates(spec)).map((t) => [t, `(${t} template)`])) }),
        }),
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: ns, labels },
          spec: {
            replicas: 1, selector: { matchLabels: { istio: 'pilot' } },
            template: {
              metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' }, annotations: { 'prometheus.io/scrape': 'true' } },
              spec: {
                serviceAccountName: 'istiod',
                containers: [{
                  name: 'discovery', image: `docker.io/istio/pilot:${version}`, args: ['discovery', '--monitoringAddr=:15014', '--log_output_level=default:info', '--domain', 'cluster.local', '--keepaliveMaxServerConnectionAge', '30m'],
                  env: [
                    { name: 'CLUSTER_ID', value: String(dig(values, 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes') },
                    { name: 'PILOT_TRUST_DOMAIN', value: meshTrustDomain(spec) },
                    ...Object.entries(isPlainObject(dig(values, 'pilot', 'env')) ? dig(values, 'pilot', 'env') as Obj : {}).map(([name, value]) => ({ name, value: String(value) })),
                  ],
                }],
              },
            },
          },
        },
        service('istiod', ns, { app: 'istiod', istio: 'pilot' }, [
          { name: 'grpc-xds', port: 15010 }, { name: 'https-dns', port: 15012 }, { name: 'https-webhook', port: 443, targetPort: 15017 }, { name: 'http-monitoring', port: 15014 },
        ], 'ClusterIP', labels),
        { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector', labels: { app: 'sidecar-injector' } }, webhooks: ['rev.namespace', 'rev.object', 'namespace', 'object'].map((w) => ({ name: `${w}.sidecar-injector.istio.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', clientConfig: { service: { name: 'istiod', namespace: ns, path: '/inject' } } })) },
        { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: `istio-validator-${ns}`, labels: { app: 'istiod' } }, webhooks: [{ name: 'rev.validation.istio.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Ignore', clientConfig: { service: { name: 'istiod', namespace: ns, path: '/validate' } } }] },
      ],
    })
  }
  for (const [field, title, name, chartValues] of [['ingressGateways', 'Ingress gateways', 'IngressGateways', 'istio-ingressgateway'], ['egressGateways', 'Egress gateways', 'EgressGateways', 'istio-egressgateway']] as const) {
    const gateways: Obj[] = (components[field] ?? []).filter((g: Obj) => g?.enabled)
    if (gateways.length === 0) continue
    const objects: Obj[] = []
    for (const gateway of gateways) objects.push(...renderGateway(spec, gateway, name, chartValues, version))
    rendered.push({ component: title, name, objects })
  }
  return rendered
}

// One gateway, as Istio's gateway charts render it (manifests/charts/gateways/istio-ingress
// and istio-egress, 1.27.0-1.30.3). values.gateways.<chart>.injectionTemplate (default "")
// decides what the pod is: empty, templates/deployment.yaml, a pod that runs the proxy image
// itself and is labelled and annotated sidecar.istio.io/inject: "false", so the injector
// leaves it alone; set, templates/injected-deployment.yaml, a pod with image "auto",
// sidecar.istio.io/inject: "true" and inject.istio.io/templates: <injectionTemplate>, which
// only the injector makes runnable.
function renderGateway(spec: Obj, gateway: Obj, component: ComponentName, chartValues: string, version: string): Obj[] {
  const values = spec.values ?? {}
  const gwNs = gateway.namespace ?? spec.namespace ?? 'istio-system'
  const name = String(gateway.name)
  const labels: Record<string, string> = { ...(gateway.label ?? (component === 'IngressGateways' ? { app: 'istio-ingressgateway', istio: 'ingressgateway' } : { app: 'istio-egressgateway', istio: 'egressgateway' })) }
  for (const key of Object.keys(labels)) labels[key] = String(labels[key])
  const k8s = gateway.k8s ?? {}
  const ports: Obj[] = dig(k8s, 'service', 'ports') as Obj[] ?? [{ name: 'status-port', port: 15021, targetPort: 15021 }, { name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }]
  const template = String(dig(values, 'gateways', chartValues, 'injectionTemplate') ?? '')
  const injected = template !== ''
  const revision = revisionOf(spec)
  const chartName = component === 'IngressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway'
  const env = (k8s.env ?? []).map((e: Obj) => ({ name: String(e.name), value: String(e.value) }))
  const network = dig(values, 'global', 'network')
  const proxy: Obj = injected
    ? { name: 'istio-proxy', image: 'auto', env }
    : {
        name: 'istio-proxy', image: proxyImage(version), args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
        env: [...env, ...(network ? [{ name: 'ISTIO_META_NETWORK', value: String(network) }] : []), { name: 'ISTIO_META_CLUSTER_ID', value: String(dig(values, 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes') }],
      }
  proxy.ports = [...ports.map((p) => ({ containerPort: Number(p.targetPort ?? p.port), protocol: 'TCP' })), { containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }]
  const inject = injected ? 'true' : 'false'
  return [
    namespace(gwNs),
    serviceAccount(`${name}-service-account`, gwNs, labels),
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace: gwNs, labels: { ...labels, 'istio.io/rev': revision, 'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': component, 'app.kubernetes.io/name': chartName } },
      spec: {
        replicas: 1, selector: { matchLabels: labels },
        template: {
          metadata: {
            labels: { ...labels, 'service.istio.io/canonical-name': name, 'service.istio.io/canonical-revision': 'latest', 'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': component, 'sidecar.istio.io/inject': inject, 'app.kubernetes.io/name': chartName },
            annotations: { 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/stats/prometheus', 'sidecar.istio.io/inject': inject, ...(injected ? { 'inject.istio.io/templates': template } : { 'istio.io/rev': revision }) },
          },
          spec: { serviceAccountName: `${name}-service-account`, containers: [proxy] },
        },
      },
    },
    service(name, gwNs, labels, ports.map((p) => ({ name: String(p.name), port: Number(p.port), targetPort: Number(p.targetPort ?? p.port) })), String(dig(k8s, 'service', 'type') ?? 'LoadBalancer'), { ...labels, 'istio.io/rev': revision }),
  ]
}

// ---------- what istioctl install owns, and prunes ----------

export interface Owner {
  name?: string          // the IstioOperator's metadata.name, when it has one
  namespace?: string     // its metadata.namespace, when it has one
  revision: string
  version: string        // the istioctl release
}

// The labels istioctl puts on everything it installs, and selects by when it prunes
// (operator/pkg/install/install.go, getOwnerLabels, 1.27.0-1.30.3). The owning resource's
// name and namespace are there only when the IstioOperator has them.
export function ownerLabels(owner: Owner, component?: ComponentName): Record<string, string> {
  const labels: Record<string, string> = { 'operator.istio.io/managed': 'Reconcile', 'operator.istio.io/version': owner.version }
  if (owner.name) labels['install.operator.istio.io/owning-resource'] = owner.name
  if (owner.namespace) labels['install.operator.istio.io/owning-resource-namespace'] = owner.namespace
  labels['istio.io/rev'] = owner.revision || 'default'
  if (component) labels['operator.istio.io/component'] = component
  return labels
}

// The kinds istioctl prunes (operator/pkg/uninstall/prune.go: NamespacedResources and
// ClusterResources; never CRDs, never namespaces).
const prunedKinds = new Set(['Deployment', 'DaemonSet', 'Service', 'ConfigMap', 'Pod', 'Secret', 'ServiceAccount', 'RoleBinding', 'Role', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'EnvoyFilter', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ClusterRole', 'ClusterRoleBinding'])

// What `istioctl install` deletes after applying (install.go, prune): every object of a pruned
// kind that carries this install's owner labels and some component label, and that this
// install did not render for that component. An IstioOperator without a name selects on no
// owning resource at all, so it prunes the components another IstioOperator installed.
export function prunable(state: ClusterState, owner: Owner, kept: Map<string, Set<string>>): string[] {
  const core = ownerLabels(owner)
  const found: string[] = []
  for (const [key, stored] of Object.entries(state.objects)) {
    if (!prunedKinds.has(String(stored.obj.kind))) continue
    const labels: Record<string, string> = stored.obj.metadata?.labels ?? {}
    if (!Object.entries(core).every(([k, v]) => labels[k] === v)) continue
    const component = labels['operator.istio.io/component']
    if (!componentNames.includes(component as ComponentName)) continue
    if (kept.get(component)?.has(key)) continue
    if (labels['install.operator.istio.io/owning-resource-not-pruned'] === 'true') continue
    found.push(key)
  }
  return found
}

// ---------- injection ----------

const builtinTemplates = ['gateway', 'grpc-agent', 'grpc-simple', 'kube-gateway', 'sidecar', 'waypoint']

export function injectionTemplates(spec: Obj | undefined): Record<string, string | undefined> {
  const custom = dig(spec, 'values', 'sidecarInjectorWebhook', 'templates')
  const result: Record<string, string | undefined> = Object.fromEntries(builtinTemplates.map((t) => [t, undefined]))
  if (isPlainObject(custom)) for (const [name, text] of Object.entries(custom)) result[name] = String(text)
  return result
}

// Whether the injector makes istio-proxy a native sidecar (an init container with
// restartPolicy: Always): pkg/kube/inject/webhook.go, DetectNativeSidecar, and
// pilot/pkg/features/pilot.go, ENABLE_NATIVE_SIDECARS (1.27.0-1.30.3). istiod's
// ENABLE_NATIVE_SIDECARS "true" always, "auto" (the default) only when every node's kubelet
// is 1.33 or newer, "false" or anything else never.
export function nativeSidecars(state: ClusterState, cp: Obj | undefined): boolean {
  const mode = String(dig(cp, 'values', 'pilot', 'env', 'ENABLE_NATIVE_SIDECARS') ?? 'auto')
  if (mode === 'true') return true
  if (mode !== 'auto') return false
  const match = /^v(\d+)\.(\d+)/.exec(kubeletVersion(state))
  return match ? Number(match[1]) > 1 || Number(match[2]) >= 33 : false
}

// The SPIFFE socket patch a template holds, exactly as configuration.md gives it.
function socketPatch(template: Obj, list: 'initContainers' | 'containers'): boolean {
  const proxy = (dig(template, 'spec', list) as Obj[] | undefined)?.find((c) => c?.name === 'istio-proxy')
  const mount = (proxy?.volumeMounts as Obj[] | undefined)?.find((m) => m?.mountPath === socketPath)
  const volume = (dig(template, 'spec', 'volumes') as Obj[] | undefined)?.find((v) => v?.name === mount?.name)
  return mount?.name === 'workload-socket' && volume?.csi?.driver === 'csi.spiffe.io' && volume?.csi?.readOnly === true
}

type Injected = { pod: Obj; injection?: Injection } | { error: string }

// A pod that runs Istio's proxy without being injected: a gateway that Istio's chart rendered
// without an injectionTemplate (image proxyv2, args proxy router). Its pilot-agent asks
// istiod for a certificate, as any proxy without SPIRE's socket does.
function chartProxy(state: ClusterState, pod: Obj): Injection | undefined {
  const proxy = (pod.spec?.containers as Obj[] | undefined)?.find((c) => c?.name === 'istio-proxy' && /\/proxyv2:/.test(String(c.image)) && c.args?.[0] === 'proxy')
  if (!proxy) return undefined
  return { proxy: proxy.args?.[1] === 'router' ? 'gateway' : 'sidecar', templates: [], socket: socketPatch({ spec: pod.spec }, 'containers'), istiod: state.name }
}

// The mutating webhook: what a pod made from `template` looks like, or why it is refused.
export function injectPod(world: World, state: ClusterState, ns: string, template: Obj): Injected {
  const pod: Obj = { metadata: clone(template.metadata ?? {}), spec: clone(template.spec ?? {}) }
  pod.metadata.labels ??= {}
  pod.metadata.annotations ??= {}
  const cp = controlPlane(state)
  const istiod = find(state, 'apps', 'Deployment', 'istio-system', 'istiod')
  const nsLabels = find(state, '', 'Namespace', '', ns)?.obj.metadata?.labels ?? {}
  // The label, or else the annotation, sidecar.istio.io/inject decides; "false" is never
  // injected, whatever inject.istio.io/templates says (pkg/kube/inject/inject.go,
  // injectRequired, 1.27.0-1.30.3).
  const label = pod.metadata.labels['sidecar.istio.io/inject']
  const podInject = label ?? pod.metadata.annotations['sidecar.istio.io/inject']
  const wanted = label === 'true' || (nsLabels['istio-injection'] === 'enabled' && podInject !== 'false')
  if (!wanted || !cp || !istiod || ns === 'kube-system' || podInject === 'false') return { pod, injection: chartProxy(state, pod) }
  if (!Number.isFinite(workloadReadiness(world, state, 'apps', 'Deployment', 'istio-system', 'istiod').at)) {
    return { error: `Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": no endpoints available for service "istiod"` }
  }
  const available = injectionTemplates(cp)
  const names = String(pod.metadata.annotations['inject.istio.io/templates'] ?? 'sidecar').split(',').map((t) => t.trim()).filter(Boolean)
  for (const name of names) {
    if (!(name in available)) {
      return { error: `admission webhook "namespace.sidecar-injector.istio.io" denied the request: requested template "${name}" not found; have [${Object.keys(available).sort().join(' ')}]` }
    }
  }
  const proxy: Injection['proxy'] = names.includes('gateway') ? 'gateway' : 'sidecar'
  const native = proxy === 'sidecar' && nativeSidecars(state, cp)
  const image = proxyImage(controlPlaneVersion(state) ?? istioVersion())
  const proxyList = native ? 'initContainers' : 'containers'
  const otherList = native ? 'containers' : 'initContainers'
  const network = String(dig(cp, 'values', 'global', 'network') ?? '')
  const env = [{ name: 'ISTIO_META_NETWORK', value: network }, { name: 'ISTIO_META_CLUSTER_ID', value: String(dig(cp, 'values', 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes') }]
  if (proxy === 'gateway') {
    pod.spec.containers = (pod.spec.containers ?? []).map((c: Obj) => c.name === 'istio-proxy' ? { ...c, image, args: ['proxy', 'router'], env: [...(c.env ?? []), ...env] } : c)
  } else {
    const sidecar = { name: 'istio-proxy', image, args: ['proxy', 'sidecar'], env, ...(native ? { restartPolicy: 'Always' } : {}) }
    pod.spec.initContainers = [...(pod.spec.initContainers ?? []), { name: 'istio-init', image, args: ['istio-iptables'] }, ...(native ? [sidecar] : [])]
    if (!native) pod.spec.containers = [...(pod.spec.containers ?? []), sidecar]
    pod.spec.volumes = [...(pod.spec.volumes ?? []), { name: 'istio-envoy', emptyDir: { medium: 'Memory' } }, { name: 'istio-data', emptyDir: {} }]
  }
  let socket = false
  for (const name of names) {
    const text = available[name]
    if (text === undefined) continue
    let patch: Obj
    try {
      patch = parseYaml(text) ?? {}
    } catch (error) {
      return { error: `admission webhook "namespace.sidecar-injector.istio.io" denied the request: failed to run injection template "${name}": ${(error as Error).message.split('\n')[0]}` }
    }
    const strays: Obj[] = (dig(patch, 'spec', otherList) as Obj[] | undefined) ?? []
    if (strays.some((c) => c?.name === 'istio-proxy' && !c.image)) {
      const index = (pod.spec[otherList] ?? []).length
      return { error: `Pod "${pod.metadata.labels.app ?? 'pod'}" is invalid: spec.${otherList}[${index}].image: Required value (injection template "${name}" patches ${otherList}, but istio-proxy runs in ${proxyList} here)` }
    }
    for (const c of (dig(patch, 'spec', proxyList) as Obj[] | undefined) ?? []) {
      const target = (pod.spec[proxyList] as Obj[] | undefined)?.find((x) => x.name === c?.name)
      if (target) target.volumeMounts = [...(target.volumeMounts ?? []).filter((m: Obj) => !(c.volumeMounts ?? []).some((n: Obj) => n.name === m.name)), ...(c.volumeMounts ?? [])]
    }
    for (const v of (dig(patch, 'spec', 'volumes') as Obj[] | undefined) ?? []) {
      pod.spec.volumes = [...(pod.spec.volumes ?? []).filter((x: Obj) => x.name !== v?.name), v]
    }
    if (socketPatch(patch, proxyList)) socket = true
  }
  pod.metadata.labels['security.istio.io/tlsMode'] = 'istio'
  pod.metadata.labels['service.istio.io/canonical-name'] ??= pod.metadata.labels.app ?? 'unknown'
  pod.metadata.labels['service.istio.io/canonical-revision'] ??= pod.metadata.labels.version ?? 'latest'
  if (network) pod.metadata.labels['topology.istio.io/network'] ??= network
  pod.metadata.annotations['sidecar.istio.io/status'] = JSON.stringify({ templates: names, containers: ['istio-proxy'] })
  return { pod, injection: { proxy, templates: names, socket, istiod: state.name } }
}

// ---------- identities ----------

export interface Identity {
  source: 'spire' | 'istiod' | 'none'
  trustDomain: string
  spiffeId: string
  issuer: string          // whose CA signed it: spire:<trust domain> or istiod:<cluster>
  roots: string[]         // the issuers it trusts (its ROOTCA)
  rootDomains: string[]   // their trust domains, as proxy-config secret shows them ('' when unknown)
  problem?: string
}

// What certificate a pod's istio-proxy holds, and which roots it trusts.
export function proxyIdentity(world: World, state: ClusterState, pod: Stored, now = Date.now()): Identity | undefined {
  const injection = pod.meta.injection
  if (!injection) return undefined
  const cp = controlPlane(state)
  const meshDomain = meshTrustDomain(cp)
  const ns = pod.obj.metadata?.namespace
  const sa = pod.obj.spec?.serviceAccountName ?? 'default'
  if (!injection.socket) {
    // istiod's self-signed root names no SPIFFE trust domain (see proxySecretRows).
    return { source: 'istiod', trustDomain: meshDomain, spiffeId: `spiffe://${meshDomain}/ns/${ns}/sa/${sa}`, issuer: `istiod:${state.name}`, roots: [`istiod:${state.name}`], rootDomains: [''] }
  }
  const none = (problem: string): Identity => ({ source: 'none', trustDomain: '', spiffeId: '', issuer: '', roots: [], rootDomains: [], problem })
  const problems = spireProblems(world, state)
  if (problems.length > 0) return none(`SPIRE in ${state.name} is not set up as configuration.md says: ${problems.join('; ')}`)
  const release = spireRelease(state)!
  const agent = workloadReadiness(world, state, 'apps', 'DaemonSet', release.namespace, 'spire-agent')
  if (now < agent.at) return none(`the SPIRE agent in ${state.name} is not ready`)
  const entry = list(state, 'spire.spiffe.io', 'ClusterSPIFFEID').find((s) => labelSelectorMatches(s.obj.spec?.podSelector, pod.obj.metadata?.labels))
  if (!entry) return none(`no ClusterSPIFFEID in ${state.name} selects pod ${pod.obj.metadata?.name}`)
  const td = state.spire!.trustDomain
  if (td !== meshDomain) return none(`the mesh's trust domain in ${state.name} is ${meshDomain}, but SPIRE's is ${td}`)
  // The agent hands a workload the bundles of the trust domains its entry federates with
  // (the ClusterSPIFFEID's federatesWith), among those the server holds.
  const federatesWith: string[] = entry.obj.spec?.federatesWith ?? []
  const federated = federatedNow(world, state, now).map((f) => f.trustDomain).filter((d) => federatesWith.includes(d))
  const domains = [td, ...(rootcaIsOwnBundleOnly(release) ? [] : federated)]
  return { source: 'spire', trustDomain: td, spiffeId: `spiffe://${td}/ns/${ns}/sa/${sa}`, issuer: `spire:${td}`, roots: domains.map((d) => `spire:${d}`), rootDomains: domains }
}

// Envoy asks SPIRE's agent for its roots under Istio's name "ROOTCA". The agent answers a
// name equal to its defaultBundleName with its own trust domain's bundle alone, and checks
// that before defaultAllBundlesName, the resource with the federated bundles too
// (spiffe/spire v1.11.0, pkg/agent/endpoints/sdsv3/handler.go, buildResponse): with
// defaultBundleName "ROOTCA" (the chart's default) the federated bundles never reach Envoy.
function rootcaIsOwnBundleOnly(release: { computed: Obj }): boolean {
  return dig(release.computed, 'spire-agent', 'sds', 'defaultBundleName') === 'ROOTCA'
}

// One secret of a proxy as `istioctl proxy-config secret` reads it from Envoy's config dump
// (istioctl/pkg/writer/compare/sds/util.go, 1.27.0-1.30.3). The trust domain of a certificate
// is the host of its spiffe:// URI; a root bundle's is known only when it comes through SPIRE's
// SPIFFE validator (one entry per trust domain); istiod's root carries no SPIFFE URI, so its
// trust domain is empty. A warming secret has no data: no type, no trust domain, not valid.
export interface SecretRow {
  name: string
  type: string
  status: string
  valid: boolean
  serial: string
  notAfter: string
  notBefore: string
  trustDomain: string
}

export function proxySecretRows(world: World, state: ClusterState, pod: Stored, now = Date.now()): SecretRow[] {
  const held = proxyCertificates(world, state, pod, now)
  if (!held) return []
  if (held.source === 'none') {
    const warming = (name: string): SecretRow => ({ name, type: '', status: 'WARMING', valid: false, serial: '', notAfter: '', notBefore: '', trustDomain: '' })
    return [warming('default'), warming('ROOTCA')]
  }
  return [secretRow('default', held.chain!, undefined, now), ...held.roots.map((root) => secretRow('ROOTCA', root.pem, root.trustDomain, now))]
}

// secretMetaFromCert (util.go): the first certificate of the PEM; its serial as %032x, its
// dates as RFC 3339, valid between them; a root's trust domain from the SPIFFE validator, or
// else (a certificate, istiod's root) the host of its spiffe:// URI SAN, if it has one.
function secretRow(name: string, text: string, trustDomain: string | undefined, now: number): SecretRow {
  const cert = new X509Certificate(text)
  const when = (date: string) => new Date(date).toISOString().replace(/\.\d+Z$/, 'Z')
  const uri = /URI:spiffe:\/\/([^/,\s]+)/.exec(cert.subjectAltName ?? '')
  return {
    name, type: cert.ca ? 'CA' : 'Cert Chain', status: 'ACTIVE',
    valid: now > new Date(cert.validFrom).getTime() && now < new Date(cert.validTo).getTime(),
    serial: BigInt(`0x${cert.serialNumber}`).toString(16).padStart(32, '0'),
    notAfter: when(cert.validTo), notBefore: when(cert.validFrom),
    trustDomain: trustDomain ?? uri?.[1] ?? '',
  }
}

// The table: its TRUST DOMAIN column only when every secret has a trust domain
// (istioctl/pkg/writer/compare/sds/writer.go, printSecretItemsTabular, 1.27.0-1.30.3).
export function proxySecretTable(rows: SecretRow[]): string[][] | string {
  if (rows.length === 0) return 'No secret items to show.'
  const withDomain = rows.every((r) => r.trustDomain !== '')
  const header = ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', ...(withDomain ? ['TRUST DOMAIN'] : [])]
  return [header, ...rows.map((r) => [r.name, r.type, r.status, String(r.valid), r.serial, r.notAfter, r.notBefore, ...(withDomain ? [r.trustDomain] : [])])]
}

// ---------- remote secrets ----------

export function remoteSecretYaml(name: string, server: string, token: string): string {
  const kubeconfig = stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from('-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n').toString('base64'), server }, name }],
    contexts: [{ context: { cluster: name, user: name }, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user: { token } }],
  })
  return `# This file is autogenerated, do not edit.\n${stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      annotations: { 'networking.istio.io/cluster': name },
      creationTimestamp: null,
      labels: { 'istio/multiCluster': 'true' },
      name: `istio-remote-secret-${name}`,
      namespace: 'istio-system',
    },
    stringData: { [name]: kubeconfig },
  }, { lineWidth: 0 })}---\n`
}

export function newToken(): string {
  return `lab-token-${randomBytes(24).toString('hex')}`
}

export interface RemoteCluster {
  name: string
  secret: string
  target?: ClusterState
  status: 'synced' | 'syncing' | 'timeout'
  at: number
  problem?: string
}

// The clusters east's istiod watches, judged from the remote secrets applied to it.
export function remoteClusters(world: World, state: ClusterState, now = Date.now()): RemoteCluster[] {
  const result: RemoteCluster[] = []
  for (const secret of list(state, '', 'Secret', 'istio-system')) {
    if (secret.obj.metadata?.labels?.['istio/multiCluster'] !== 'true') continue
    for (const [key, encoded] of Object.entries(secret.obj.data ?? {})) {
      const entry: RemoteCluster = { name: key, secret: `istio-system/${secret.obj.metadata.name}`, status: 'syncing', at: Infinity }
      const ready = secret.meta.updated + scaled('remoteSync')
      let config: Obj | undefined
      try {
        config = parseYaml(Buffer.from(String(encoded), 'base64').toString('utf8'))
      } catch {
        config = undefined
      }
      const server = config?.clusters?.[0]?.cluster?.server
      const token = config?.users?.[0]?.user?.token
      const target = serverTarget(world, String(server ?? ''))
      if (!config || !server) entry.problem = `the kubeconfig in secret ${secret.obj.metadata.name} has no server`
      else if (!target) entry.problem = `${server} is not reachable from ${state.name}'s pods (a kind cluster's API server is reached at its control-plane container's address on the kind network, port 6443; an existing cluster's at the server URL of its kubeconfig context)`
      else if (!token || token !== target.readerToken) entry.problem = `the token for ${server} is not one ${target.name}'s API server accepts`
      else {
        const cp = controlPlane(target)
        if (!cp) entry.problem = `${target.name} has no Istio control plane`
        entry.target = target
      }
      if (entry.problem) entry.status = now >= ready ? 'timeout' : 'syncing'
      else {
        entry.at = ready
        entry.status = now >= ready ? 'synced' : 'syncing'
      }
      result.push(entry)
    }
  }
  return result
}

// A cluster's API server as seen from inside another cluster: a kind cluster's at
// https://<node IP>:6443 (its kubeconfig's 127.0.0.1 address means nothing there); an
// existing cluster's at exactly the server URL of its kubeconfig context.
export function serverTarget(world: World, server: string): ClusterState | undefined {
  const existing = Object.values(world.clusters).find((c) => c.existing && sameServer(c.existing.server, server))
  if (existing) return existing
  let url: URL
  try {
    url = new URL(server)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || (url.port || '443') !== '6443') return undefined
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const container = Object.values(world.docker.containers).find((c) => c.ip === host || c.ipv6 === host)
  const target = container ? world.clusters[container.cluster] : undefined
  return target?.existing ? undefined : target
}

// ---------- requests between workloads ----------

export interface Reply {
  stdout: string
  stderr: string
  code: number
  why?: string
}

const envoyReset = (reason: string) => `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ${reason}`
const tlsFailure = (code: string) => envoyReset(`remote connection failure, transport failure reason: TLS_error:|${code}:TLS_error_end`)

function network(state: ClusterState): string {
  return String(dig(controlPlane(state), 'values', 'global', 'network') ?? '')
}

// The mesh's trust domain: meshConfig.trustDomain, cluster.local when unset or empty.
export function meshTrustDomain(cp: Obj | undefined): string {
  return String(dig(cp, 'meshConfig', 'trustDomain') || 'cluster.local')
}

// The trust domains a server-side proxy accepts from its clients: its mesh's trustDomain,
// trustDomainAliases and every caCertificates entry's trustDomains
// (pilot/pkg/networking/plugin/authn/util.go, TrustDomainsForValidation, used for inbound
// mTLS; pilot/pkg/security/model/authentication.go turns them into spiffe://<domain>/ SAN
// prefixes; 1.27.0-1.30.3). Every domain, when istiod runs with
// PILOT_SKIP_VALIDATE_TRUST_DOMAIN=true. The spiffeBundleUrls play no part here, and istiod
// fetches them only with ISTIO_MULTIROOT_MESH=true (pilot/pkg/features/pilot.go, off by
// default; pilot/pkg/bootstrap/server.go), which the lab does not model.
export function acceptedTrustDomains(cp: Obj | undefined): string[] | undefined {
  if (String(dig(cp, 'values', 'pilot', 'env', 'PILOT_SKIP_VALIDATE_TRUST_DOMAIN')) === 'true') return undefined
  const entries = dig(cp, 'meshConfig', 'caCertificates')
  const domains = [meshTrustDomain(cp), ...((dig(cp, 'meshConfig', 'trustDomainAliases') as string[] | undefined) ?? []),
    ...(Array.isArray(entries) ? entries.flatMap((e: Obj) => Array.isArray(e?.trustDomains) ? e.trustDomains : []) : [])]
  return [...new Set(domains.map(String).filter(Boolean))]
}

// The trust domain the istiod of `local` names an endpoint of `cluster` with, in the
// identities it tells client proxies to expect. Up to 1.28 its own mesh's, for every
// cluster (pilot/pkg/serviceregistry/kube/controller/endpoint_builder.go at 1.28.0,
// SecureNamingSAN(pod, c.meshWatcher.Mesh())); from 1.29 the remote cluster's own, read
// from that cluster's `istio` ConfigMap (multicluster.go at 1.29.0: a mesh watcher per
// remote cluster; pkg/config/mesh/meshwatcher/collection.go falls back to the default mesh
// config, trust domain cluster.local, when it finds none).
export function endpointTrustDomain(local: ClusterState, cluster: ClusterState): string {
  const own = meshTrustDomain(controlPlane(local))
  if (cluster === local || cluster.name === local.name) return own
  if (minorOf(controlPlaneVersion(local) ?? istioVersion()) < 29) return own
  const mesh = find(cluster, '', 'ConfigMap', 'istio-system', 'istio')?.obj.data?.mesh
  let parsed: Obj | undefined
  try {
    parsed = typeof mesh === 'string' ? parseYaml(mesh) : undefined
  } catch {
    parsed = undefined
  }
  return String(parsed?.trustDomain || 'cluster.local')
}

// spiffe.ExpandWithTrustDomains (pkg/spiffe/spiffe.go): each identity also under each alias.
function expandWithAliases(ids: string[], aliases: string[]): string[] {
  const out = new Set(ids)
  for (const id of ids) {
    const match = /^spiffe:\/\/[^/]+(\/.*)$/.exec(id)
    if (match) for (const alias of aliases) out.add(`spiffe://${alias}${match[1]}`)
  }
  return [...out].sort()
}

// Control-plane settings configuration.md requires of a cluster (beyond the templates).
export function controlPlaneProblems(world: World, state: ClusterState): string[] {
  const cp = controlPlane(state)
  if (!cp) return [`no Istio control plane in ${state.name}`]
  // What the role must hold comes from the lab's table, not from the workbook's files.
  const want = expectedOf(state)
  if (!want) return [noRole(state)]
  const problems: string[] = []
  const expect = (path: string, wanted: unknown) => {
    const actual = dig(cp, ...path.split('/'))
    if (!deepEqual(actual, wanted)) problems.push(`${state.name}: ${path.replaceAll('/', '.')} is ${JSON.stringify(actual)}, not ${JSON.stringify(wanted)}`)
  }
  expect('profile', 'minimal')
  expect('meshConfig/trustDomain', want.trustDomain)
  expect('values/global/meshID', want.meshId)
  expect('values/global/multiCluster/clusterName', want.clusterName)
  expect('values/global/network', want.network)
  const entries = dig(cp, 'meshConfig', 'caCertificates')
  if (!Array.isArray(entries) || entries.length !== 1 + otherClusters(world, state).length) problems.push(`${state.name}: meshConfig.caCertificates should have ${1 + otherClusters(world, state).length} entries`)
  return problems
}

// The east-west gateway of `state`'s network, and what stops traffic through it. istiod
// takes a network's gateway from a Service labelled topology.istio.io/network=<network> and
// sends cross-network traffic to its address on port 15443
// (pilot/pkg/serviceregistry/kube/controller/network.go, DefaultNetworkGatewayPort). A
// Gateway with tls.mode AUTO_PASSTHROUGH makes it route by SNI without a TLS context of its
// own (pilot/pkg/networking/core/gateway.go, builtAutoPassthroughFilterChains): the
// gateway's own certificate, injection templates and environment play no part in the call.
export function eastWestGateway(world: World, state: ClusterState, host: string, now = Date.now()): { address?: string; problems: string[]; at: number } {
  // The network the gateway must serve is the role's (the lab's table), not the one the
  // workbook's own IstioOperator names.
  const want = expectedOf(state)
  if (!want) return { problems: [noRole(state)], at: Infinity }
  const net = want.network
  const problems: string[] = []
  const svc = list(state, '', 'Service').find((s) => net !== '' && s.obj.metadata?.labels?.['topology.istio.io/network'] === net)
  if (!svc) return { problems: [`no Service labelled topology.istio.io/network=${net || '(no network set)'} in ${state.name}: no east-west gateway for its network`], at: Infinity }
  // Proxies elsewhere dial the gateway's address; a cloud's host name only once it resolves.
  const lb = loadBalancer(world, state, svc)
  const shown = lb.address && now >= lb.at ? lb.address : undefined
  if (!shown) problems.push(`the east-west gateway Service ${svc.obj.metadata.name} in ${state.name} has no LoadBalancer address`)
  else if (now < lb.reachable) problems.push(`the east-west gateway's host name ${shown} does not resolve yet`)
  const address = shown && now >= lb.reachable ? shown : undefined
  if (!(svc.obj.spec?.ports ?? []).some((p: Obj) => Number(p.port) === 15443)) problems.push(`the east-west gateway Service exposes no port 15443 (the network gateway port)`)
  const deploy = find(state, 'apps', 'Deployment', svc.obj.metadata.namespace, svc.obj.metadata.name)
  if (!deploy) return { problems: [...problems, `no gateway deployment ${svc.obj.metadata.name} in ${state.name}`], at: Infinity }
  const ready = workloadReadiness(world, state, 'apps', 'Deployment', deploy.obj.metadata.namespace, deploy.obj.metadata.name)
  if (now < ready.at) problems.push(`the east-west gateway in ${state.name} is not ready${ready.reason ? `: ${ready.reason}` : ''}`)
  const podLabels = deploy.obj.spec?.template?.metadata?.labels ?? {}
  const gateways = list(state, 'networking.istio.io', 'Gateway').filter((g) => {
    const selector = g.obj.spec?.selector ?? {}
    return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v)
  })
  const passthrough = gateways.some((g) => (g.obj.spec?.servers ?? []).some((s: Obj) =>
    Number(s.port?.number) === 15443 && s.port?.protocol === 'TLS' && s.tls?.mode === 'AUTO_PASSTHROUGH' && (s.hosts ?? []).some((h: string) => hostMatches(h, host))))
  if (!passthrough) problems.push(`no Gateway in ${state.name} selects the east-west gateway with a TLS server on port 15443, mode AUTO_PASSTHROUGH, for ${host}`)
  return { address, problems, at: ready.at }
}

function hostMatches(pattern: string, host: string): boolean {
  const bare = pattern.includes('/') ? pattern.slice(pattern.indexOf('/') + 1) : pattern
  if (bare === '*') return true
  if (bare.startsWith('*.')) return host.endsWith(bare.slice(1))
  return bare === host
}

interface Endpoint {
  cluster: ClusterState
  pod: Stored
  via?: string   // the east-west gateway address
  problems: string[]
}

function helloReply(pod: Stored, path: string): string {
  if (path !== '/hello') return '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n'
  const image = String(pod.obj.spec?.containers?.[0]?.image ?? '')
  const version = /helloworld-(v\d+)/.exec(image)?.[1] ?? pod.obj.metadata?.labels?.version ?? 'unknown'
  return `Hello version: ${version}, instance: ${pod.obj.metadata?.name}\n`
}

// One HTTP request from `client` (a pod in `state`) to http://host:port/path, as curl
// inside that pod would see it.
export function request(world: World, state: ClusterState, client: Stored, host: string, port: number, path: string, now = Date.now()): Reply {
  const ns = client.obj.metadata?.namespace ?? 'default'
  const parts = host.split('.')
  const svcName = parts[0]!
  const svcNs = parts.length >= 2 && parts[1] !== 'svc' ? parts[1]! : ns
  const fqdn = `${svcName}.${svcNs}.svc.cluster.local`
  const shortForms = [svcName, `${svcName}.${svcNs}`, `${svcName}.${svcNs}.svc`, fqdn]
  const svc = shortForms.includes(host) ? find(state, '', 'Service', svcNs, svcName) : undefined
  if (!svc) return { stdout: '', stderr: `curl: (6) Could not resolve host: ${host}\n`, code: 6, why: `no Service ${svcNs}/${svcName} in ${state.name}` }
  const clientId = proxyIdentity(world, state, client, now)
  const svcPort = (svc.obj.spec?.ports ?? []).find((p: Obj) => Number(p.port) === port)
  if (!svcPort) return { stdout: '', stderr: `curl: (7) Failed to connect to ${host} port ${port} after 1 ms: Could not connect to server\n`, code: 7, why: `Service ${fqdn} has no port ${port}` }
  const selector = svc.obj.spec?.selector
  const readyPods = (cluster: ClusterState, s: Stored) => Object.values(cluster.objects).filter((p) =>
    p.obj.kind === 'Pod' && p.obj.metadata?.namespace === s.obj.metadata?.namespace && Object.keys(s.obj.spec?.selector ?? {}).length > 0 &&
    Object.entries(s.obj.spec.selector).every(([k, v]) => p.obj.metadata?.labels?.[k] === v) && now >= podReadiness(world, cluster, p).at)
  const endpoints: Endpoint[] = selector ? readyPods(state, svc).map((pod) => ({ cluster: state, pod, problems: [] })) : []
  const notes: string[] = []
  if (clientId) {
    for (const remote of remoteClusters(world, state, now)) {
      if (remote.status !== 'synced' || !remote.target) {
        notes.push(`remote cluster ${remote.name}: ${remote.problem ?? remote.status}`)
        continue
      }
      const r = remote.target
      const remoteSvc = find(r, '', 'Service', svcNs, svcName)
      if (!remoteSvc) {
        notes.push(`no Service ${svcNs}/${svcName} in ${r.name}`)
        continue
      }
      const pods = readyPods(r, remoteSvc)
      if (pods.length === 0) notes.push(`no ready pods behind ${svcNs}/${svcName} in ${r.name}`)
      if (network(r) === network(state) || network(r) === '') {
        for (const pod of pods) endpoints.push({ cluster: r, pod, problems: [`${r.name} and ${state.name} are on the same network "${network(r)}" per their control planes, so ${state.name}'s proxies dial ${r.name}'s pod IPs directly, which they cannot reach`] })
        continue
      }
      const gateway = eastWestGateway(world, r, fqdn, now)
      if (!gateway.address || !Number.isFinite(gateway.at)) {
        notes.push(`endpoints in ${r.name} dropped: ${gateway.problems.join('; ')}`)
        continue
      }
      const propagated = Math.max(remote.at, gateway.at) + scaled('endpointsPropagation')
      if (now < propagated) continue
      for (const pod of pods) {
        const podReady = podReadiness(world, r, pod).at + scaled('endpointsPropagation')
        if (now >= podReady) endpoints.push({ cluster: r, pod, via: gateway.address, problems: gateway.problems })
      }
    }
  }
  if (endpoints.length === 0) {
    const why = `no endpoints for ${fqdn}${notes.length ? `: ${notes.join('; ')}` : ''}`
    if (clientId) return { stdout: 'no healthy upstream', stderr: '', code: 0, why }
    return { stdout: '', stderr: `curl: (7) Failed to connect to ${host} port ${port} after 1 ms: Could not connect to server\n`, code: 7, why }
  }
  const endpoint = endpoints[randomInt(0, endpoints.length)]!
  const result = (reply: Reply): Reply => ({ ...reply, why: reply.why ? `${endpoint.pod.obj.metadata.name} in ${endpoint.cluster.name}: ${reply.why}${notes.length ? ` (also: ${notes.join('; ')})` : ''}` : undefined })
  const serverId = proxyIdentity(world, endpoint.cluster, endpoint.pod, now)
  if (!clientId) {
    // No proxy in the client: plain HTTP to the pod (PERMISSIVE servers accept it).
    return result({ stdout: helloReply(endpoint.pod, path), stderr: '', code: 0 })
  }
  if (endpoint.problems.length > 0) {
    return result({ stdout: envoyReset('remote connection failure, transport failure reason: delayed connect error: Connection refused'), stderr: '', code: 0, why: endpoint.problems.join('; ') })
  }
  // DestinationRules are exported to every namespace unless they say otherwise.
  const rule = list(state, 'networking.istio.io', 'DestinationRule').find((d) => {
    const exportTo: string[] | undefined = d.obj.spec?.exportTo
    const visible = !exportTo || exportTo.includes('*') || (exportTo.includes('.') && d.obj.metadata?.namespace === ns) || exportTo.includes(ns)
    const ruleHost = String(d.obj.spec?.host)
    const qualified = ruleHost.includes('.') ? ruleHost : `${ruleHost}.${d.obj.metadata?.namespace}.svc.cluster.local`
    return visible && qualified === fqdn
  })
  const tls = rule?.obj.spec?.trafficPolicy?.tls
  const mode = tls?.mode
  if (mode === 'DISABLE') {
    if (endpoint.via) return result({ stdout: envoyReset('connection termination'), stderr: '', code: 0, why: 'plain text cannot cross the east-west gateway (AUTO_PASSTHROUGH needs mTLS)' })
    return result({ stdout: helloReply(endpoint.pod, path), stderr: '', code: 0 })
  }
  if (!serverId) {
    if (mode === 'ISTIO_MUTUAL' || endpoint.via) return result({ stdout: tlsFailure('268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER'), stderr: '', code: 0, why: 'the server has no sidecar to terminate mTLS' })
    return result({ stdout: helloReply(endpoint.pod, path), stderr: '', code: 0 })
  }
  if (mode !== undefined && mode !== 'ISTIO_MUTUAL') return result({ stdout: tlsFailure('268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'), stderr: '', code: 0, why: `the DestinationRule's TLS mode is ${mode}, not ISTIO_MUTUAL` })
  if (clientId.source === 'none') return result({ stdout: envoyReset('remote connection failure, transport failure reason: TLS_error: Secret is not supplied by SDS'), stderr: '', code: 0, why: `the client's proxy has no certificate: ${clientId.problem}` })
  if (serverId.source === 'none') return result({ stdout: envoyReset('connection termination'), stderr: '', code: 0, why: `the server's proxy has no certificate: ${serverId.problem}` })
  // The identities the client accepts: the DestinationRule's subjectAltNames, or else the
  // service accounts istiod knows behind the service, each named in the trust domain istiod
  // gives its cluster, plus the mesh's trustDomainAliases
  // (pilot/pkg/networking/core/cluster_tls.go, buildUpstreamTLSSettings;
  // pilot/pkg/model/push_context.go, initServiceAccounts).
  const sans: string[] = Array.isArray(tls?.subjectAltNames) && tls.subjectAltNames.length > 0
    ? tls.subjectAltNames.map(String)
    : expandWithAliases([...new Set(endpoints.map((e) => `spiffe://${endpointTrustDomain(state, e.cluster)}/ns/${e.pod.obj.metadata.namespace}/sa/${e.pod.obj.spec?.serviceAccountName ?? 'default'}`))],
      ((dig(controlPlane(state), 'meshConfig', 'trustDomainAliases') as string[] | undefined) ?? []).map(String))
  const verifyFailed = (why: string) => result({ stdout: tlsFailure('268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'), stderr: '', code: 0, why })
  const rejected = (why: string) => result({ stdout: tlsFailure('268436502:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN'), stderr: '', code: 0, why })
  // The roots come from SPIRE over SDS (ROOTCA) or from istiod's CA, never from istiod's
  // caCertificates (see acceptedTrustDomains).
  if (!clientId.roots.includes(serverId.issuer)) return verifyFailed(`the client's proxy does not trust ${serverId.issuer} (it trusts ${clientId.roots.join(', ') || 'nothing'})`)
  if (!sans.includes(serverId.spiffeId)) return verifyFailed(`the server presents ${serverId.spiffeId}, and the client accepts only ${sans.join(', ')}`)
  if (!serverId.roots.includes(clientId.issuer)) return rejected(`the server's proxy does not trust ${clientId.issuer} (it trusts ${serverId.roots.join(', ') || 'nothing'})`)
  const accepted = acceptedTrustDomains(controlPlane(endpoint.cluster))
  if (accepted && !accepted.includes(clientId.trustDomain)) {
    return rejected(`${endpoint.cluster.name}'s proxies accept clients of trust domains ${accepted.join(', ')} only (its meshConfig trustDomain, trustDomainAliases and caCertificates trustDomains), and the client is ${clientId.spiffeId}`)
  }
  if (endpoint.via) {
    const cpProblems = [...controlPlaneProblems(world, state), ...controlPlaneProblems(world, endpoint.cluster)]
    if (cpProblems.length > 0) return result({ stdout: envoyReset('connection termination'), stderr: '', code: 0, why: cpProblems.join('; ') })
  }
  return result({ stdout: helloReply(endpoint.pod, path), stderr: '', code: 0 })
}

export function podsOfWorkload(state: ClusterState, kind: string, ns: string, name: string): Stored[] {
  return Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === `apps|${kind}|${ns}|${name}`)
}

