// Istio as istioctl 1.27 installs it: control planes and gateways from IstioOperator files,
// sidecar injection (with the IstioOperator's custom templates), remote secrets, what
// istioctl reports (remote-clusters, proxy-config secret), and the judgement of a request
// from one pod to a service: which endpoints its proxy knows, and whether mTLS between the
// two proxies would succeed, each decided from the content that was applied.
import { createHash, randomBytes } from 'node:crypto'
import { parse as parseYaml, stringify } from 'yaml'
import { loadBalancer, podReadiness, workloadReadiness, kubeletVersion } from './controllers.ts'
import { clone, deepEqual, sameServer, dig, find, isPlainObject, list, selects, parseSelector, type ClusterState, type Injection, type Obj, type Stored, type World } from './model.ts'
import { expectedOf, noRole } from './expected.ts'
import { istioOperatorShape, istioProfiles, unknownFields } from './istio-fields.ts'
import { configMap, crd, namespace, service, serviceAccount } from './objects.ts'
import { federatedNow, lbOf, otherClusters, spireProblems, spireRelease } from './spire.ts'
import { randomInt } from './random.ts'
import { scaled } from './timing.ts'

export const istioVersion = '1.27.1'
const proxyImage = `docker.io/istio/proxyv2:${istioVersion}`
const socketPath = '/var/run/secrets/workload-spiffe-uds'

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
export function readOperator(doc: Obj, source: string): { spec: Obj; name: string } | { error: string } {
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
  return { spec, name: doc.metadata?.name ?? 'installed-state' }
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
  component: string
  objects: Obj[]
}

// What `istioctl install` creates for an IstioOperator, component by component.
export function renderOperator(spec: Obj): Rendered[] {
  const components = effectiveComponents(spec)
  const ns = spec.namespace ?? 'istio-system'
  const values = spec.values ?? {}
  const rendered: Rendered[] = []
  if (components.base?.enabled) {
    rendered.push({
      component: 'Istio core',
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
                  name: 'discovery', image: `docker.io/istio/pilot:${istioVersion}`, args: ['discovery', '--monitoringAddr=:15014', '--log_output_level=default:info', '--domain', 'cluster.local', '--keepaliveMaxServerConnectionAge', '30m'],
                  env: [
                    { name: 'CLUSTER_ID', value: String(dig(values, 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes') },
                    { name: 'PILOT_TRUST_DOMAIN', value: String(dig(spec, 'meshConfig', 'trustDomain') ?? 'cluster.local') },
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
  for (const [field, title] of [['ingressGateways', 'Ingress gateways'], ['egressGateways', 'Egress gateways']] as const) {
    const gateways: Obj[] = (components[field] ?? []).filter((g: Obj) => g?.enabled)
    if (gateways.length === 0) continue
    const objects: Obj[] = []
    for (const gateway of gateways) {
      const gwNs = gateway.namespace ?? ns
      const name = String(gateway.name)
      const labels: Record<string, string> = { ...(gateway.label ?? { app: 'istio-ingressgateway', istio: 'ingressgateway' }) }
      for (const key of Object.keys(labels)) labels[key] = String(labels[key])
      const k8s = gateway.k8s ?? {}
      const ports: Obj[] = dig(k8s, 'service', 'ports') as Obj[] ?? [{ name: 'status-port', port: 15021, targetPort: 15021 }, { name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }]
      objects.push(namespace(gwNs))
      objects.push(serviceAccount(`${name}-service-account`, gwNs, labels))
      objects.push({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: gwNs, labels: { ...labels, 'install.operator.istio.io/owning-resource': 'unknown' } },
        spec: {
          replicas: 1, selector: { matchLabels: labels },
          template: {
            metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'true', 'service.istio.io/canonical-name': name }, annotations: { 'inject.istio.io/templates': 'gateway', 'prometheus.io/scrape': 'true' } },
            spec: {
              serviceAccountName: `${name}-service-account`,
              containers: [{ name: 'istio-proxy', image: 'auto', env: (k8s.env ?? []).map((e: Obj) => ({ name: String(e.name), value: String(e.value) })), ports: ports.map((p) => ({ containerPort: Number(p.targetPort ?? p.port), protocol: 'TCP' })) }],
            },
          },
        },
      })
      objects.push(service(name, gwNs, labels, ports.map((p) => ({ name: String(p.name), port: Number(p.port), targetPort: Number(p.targetPort ?? p.port) })), String(dig(k8s, 'service', 'type') ?? 'LoadBalancer'), labels))
    }
    rendered.push({ component: title, objects })
  }
  return rendered
}

// ---------- injection ----------

const builtinTemplates = ['gateway', 'grpc-agent', 'grpc-simple', 'kube-gateway', 'sidecar', 'waypoint']

export function injectionTemplates(spec: Obj | undefined): Record<string, string | undefined> {
  const custom = dig(spec, 'values', 'sidecarInjectorWebhook', 'templates')
  const result: Record<string, string | undefined> = Object.fromEntries(builtinTemplates.map((t) => [t, undefined]))
  if (isPlainObject(custom)) for (const [name, text] of Object.entries(custom)) result[name] = String(text)
  return result
}

function nativeSidecars(state: ClusterState): boolean {
  const match = /^v(\d+)\.(\d+)/.exec(kubeletVersion(state))
  return match ? Number(match[1]) > 1 || Number(match[2]) >= 29 : true
}

// The SPIFFE socket patch a template holds, exactly as configuration.md gives it.
function socketPatch(template: Obj, list: 'initContainers' | 'containers'): boolean {
  const proxy = (dig(template, 'spec', list) as Obj[] | undefined)?.find((c) => c?.name === 'istio-proxy')
  const mount = (proxy?.volumeMounts as Obj[] | undefined)?.find((m) => m?.mountPath === socketPath)
  const volume = (dig(template, 'spec', 'volumes') as Obj[] | undefined)?.find((v) => v?.name === mount?.name)
  return mount?.name === 'workload-socket' && volume?.csi?.driver === 'csi.spiffe.io' && volume?.csi?.readOnly === true
}

type Injected = { pod: Obj; injection?: Injection } | { error: string }

// The mutating webhook: what a pod made from `template` looks like, or why it is refused.
export function injectPod(world: World, state: ClusterState, ns: string, template: Obj): Injected {
  const pod: Obj = { metadata: clone(template.metadata ?? {}), spec: clone(template.spec ?? {}) }
  pod.metadata.labels ??= {}
  pod.metadata.annotations ??= {}
  const cp = controlPlane(state)
  const istiod = find(state, 'apps', 'Deployment', 'istio-system', 'istiod')
  const nsLabels = find(state, '', 'Namespace', '', ns)?.obj.metadata?.labels ?? {}
  const podInject = pod.metadata.labels['sidecar.istio.io/inject']
  const wanted = podInject === 'true' || (nsLabels['istio-injection'] === 'enabled' && podInject !== 'false')
  if (!wanted || !cp || !istiod || ns === 'kube-system') return { pod }
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
  const native = proxy === 'sidecar' && nativeSidecars(state)
  const proxyList = native ? 'initContainers' : 'containers'
  const otherList = native ? 'containers' : 'initContainers'
  const network = String(dig(cp, 'values', 'global', 'network') ?? '')
  const env = [{ name: 'ISTIO_META_NETWORK', value: network }, { name: 'ISTIO_META_CLUSTER_ID', value: String(dig(cp, 'values', 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes') }]
  if (proxy === 'gateway') {
    pod.spec.containers = (pod.spec.containers ?? []).map((c: Obj) => c.name === 'istio-proxy' ? { ...c, image: proxyImage, args: ['proxy', 'router'], env: [...(c.env ?? []), ...env] } : c)
  } else {
    const sidecar = { name: 'istio-proxy', image: proxyImage, args: ['proxy', 'sidecar'], env, ...(native ? { restartPolicy: 'Always' } : {}) }
    pod.spec.initContainers = [...(pod.spec.initContainers ?? []), { name: 'istio-init', image: proxyImage, args: ['istio-iptables'] }, ...(native ? [sidecar] : [])]
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
  rootDomains: string[]   // their trust domains, as proxy-config secret shows them
  problem?: string
}

// What certificate a pod's istio-proxy holds, and which roots it trusts.
export function proxyIdentity(world: World, state: ClusterState, pod: Stored, now = Date.now()): Identity | undefined {
  const injection = pod.meta.injection
  if (!injection) return undefined
  const cp = controlPlane(state)
  const meshDomain = String(dig(cp, 'meshConfig', 'trustDomain') ?? 'cluster.local')
  const ns = pod.obj.metadata?.namespace
  const sa = pod.obj.spec?.serviceAccountName ?? 'default'
  if (!injection.socket) {
    return { source: 'istiod', trustDomain: meshDomain, spiffeId: `spiffe://${meshDomain}/ns/${ns}/sa/${sa}`, issuer: `istiod:${state.name}`, roots: [`istiod:${state.name}`], rootDomains: [meshDomain] }
  }
  const none = (problem: string): Identity => ({ source: 'none', trustDomain: '', spiffeId: '', issuer: '', roots: [], rootDomains: [], problem })
  const problems = spireProblems(world, state)
  if (problems.length > 0) return none(`SPIRE in ${state.name} is not set up as configuration.md says: ${problems.join('; ')}`)
  const release = spireRelease(state)!
  const agent = workloadReadiness(world, state, 'apps', 'DaemonSet', release.namespace, 'spire-agent')
  if (now < agent.at) return none(`the SPIRE agent in ${state.name} is not ready`)
  const entry = list(state, 'spire.spiffe.io', 'ClusterSPIFFEID').find((s) => {
    const selector = s.obj.spec?.podSelector
    const expressions: Obj[] = selector?.matchExpressions ?? []
    const requirement = expressions.map((e) => e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`).join(',')
    const labelsOk = selector?.matchLabels ? Object.entries(selector.matchLabels).every(([k, v]) => pod.obj.metadata?.labels?.[k] === v) : true
    return labelsOk && (requirement === '' || selects(parseSelector(requirement), pod.obj.metadata?.labels))
  })
  if (!entry) return none(`no ClusterSPIFFEID in ${state.name} selects pod ${pod.obj.metadata?.name}`)
  const td = state.spire!.trustDomain
  if (td !== meshDomain) return none(`the mesh's trust domain in ${state.name} is ${meshDomain}, but SPIRE's is ${td}`)
  const federatesWith: string[] = entry.obj.spec?.federatesWith ?? []
  const federated = federatedNow(world, state, now).map((f) => f.trustDomain).filter((d) => federatesWith.includes(d))
  const domains = [td, ...federated]
  return { source: 'spire', trustDomain: td, spiffeId: `spiffe://${td}/ns/${ns}/sa/${sa}`, issuer: `spire:${td}`, roots: domains.map((d) => `spire:${d}`), rootDomains: domains }
}

// `istioctl proxy-config secret`: the rows for a pod.
export function proxySecretRows(world: World, state: ClusterState, pod: Stored, now = Date.now()): string[][] {
  const id = proxyIdentity(world, state, pod, now)
  if (!id) return []
  const seed = (what: string) => createHash('sha256').update(`${pod.obj.metadata?.uid}:${what}`).digest('hex').slice(0, 32)
  const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
  if (id.source === 'none') {
    return [['default', 'Cert Chain', 'WARMING', 'false', '', '', '', ''], ['ROOTCA', 'CA', 'WARMING', 'false', '', '', '', '']]
  }
  const rows = [['default', 'Cert Chain', 'ACTIVE', 'true', seed('default'), when(now + 3600_000), when(now - 10_000), id.trustDomain]]
  for (const domain of id.rootDomains) rows.push(['ROOTCA', 'CA', 'ACTIVE', 'true', seed(domain), when(now + 86400_000), when(now - 600_000), domain])
  return rows
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

// How a client of `state` would validate a peer from another trust domain: the control
// plane's caCertificates must name that domain with its bundle endpoint (configuration.md).
export function trustsDomainUrl(world: World, state: ClusterState, domain: string): string | undefined {
  const cp = controlPlane(state)
  const entries: Obj[] = dig(cp, 'meshConfig', 'caCertificates') as Obj[] ?? []
  const own = state.spire?.trustDomain
  if (domain === own) {
    const local = entries.find((e) => (e.trustDomains ?? []).includes(own))
    return local?.spiffeBundleUrl === 'https://spire-server.spire.svc.cluster.local:8443' ? undefined : `${state.name}'s control plane does not take its own bundle (${own}) from https://spire-server.spire.svc.cluster.local:8443`
  }
  const other = Object.values(world.clusters).find((c) => c.spire?.trustDomain === domain)
  const address = other ? lbOf(world, other) : undefined
  const entry = entries.find((e) => (e.trustDomains ?? []).includes(domain))
  if (!entry) return `${state.name}'s control plane lists no caCertificates entry for ${domain}`
  if (!address || entry.spiffeBundleUrl !== `https://${address}:8443`) return `${state.name}'s control plane fetches ${domain}'s bundle from ${entry.spiffeBundleUrl}, not from ${domain}'s bundle endpoint ${address ? `https://${address}:8443` : '(none)'}`
  return undefined
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

// The east-west gateway of `state`'s network, and what stops traffic through it.
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
  if (!(svc.obj.spec?.ports ?? []).some((p: Obj) => Number(p.port) === 15443)) problems.push(`the east-west gateway Service exposes no port 15443 (mtls)`)
  const deploy = find(state, 'apps', 'Deployment', svc.obj.metadata.namespace, svc.obj.metadata.name)
  if (!deploy) return { problems: [...problems, `no gateway deployment ${svc.obj.metadata.name} in ${state.name}`], at: Infinity }
  const ready = workloadReadiness(world, state, 'apps', 'Deployment', deploy.obj.metadata.namespace, deploy.obj.metadata.name)
  if (now < ready.at) problems.push(`the east-west gateway in ${state.name} is not ready${ready.reason ? `: ${ready.reason}` : ''}`)
  const proxy = (deploy.obj.spec?.template?.spec?.containers ?? []).find((c: Obj) => c.name === 'istio-proxy')
  const env = Object.fromEntries((proxy?.env ?? []).map((e: Obj) => [e.name, e.value]))
  if (env.ISTIO_META_ROUTER_MODE !== 'sni-dnat') problems.push(`the east-west gateway's ISTIO_META_ROUTER_MODE is ${JSON.stringify(env.ISTIO_META_ROUTER_MODE)}, not sni-dnat`)
  if (env.ISTIO_META_REQUESTED_NETWORK_VIEW !== net) problems.push(`the east-west gateway's ISTIO_META_REQUESTED_NETWORK_VIEW is ${JSON.stringify(env.ISTIO_META_REQUESTED_NETWORK_VIEW)}, not ${net}`)
  const templates = String(deploy.obj.spec?.template?.metadata?.annotations?.['inject.istio.io/templates'] ?? '')
  if (templates !== 'gateway,spire-gateway') problems.push(`the east-west gateway's pods use injection templates "${templates}", not "gateway,spire-gateway"`)
  const pod = Object.values(state.objects).find((s) => s.obj.kind === 'Pod' && s.meta.owner?.endsWith(`|${deploy.obj.metadata.name}`) && s.meta.owner.startsWith('apps|Deployment|'))
  const id = pod ? proxyIdentity(world, state, pod, now) : undefined
  if (id?.source !== 'spire') problems.push(`the east-west gateway's proxy has no certificate from SPIRE${id?.problem ? ` (${id.problem})` : ''}`)
  const operator = Object.values(state.operators).find((op) => (effectiveComponents(op.spec).ingressGateways ?? []).some((g: Obj) => g?.name === deploy.obj.metadata.name))
  if (operator) {
    for (const [path, wanted] of [['values/global/meshID', want.meshId], ['values/global/network', want.network], ['values/global/multiCluster/clusterName', want.clusterName]] as const) {
      const actual = dig(operator.spec, ...path.split('/'))
      if (actual !== wanted) problems.push(`the east-west gateway's ${path.replaceAll('/', '.')} is ${JSON.stringify(actual)}, not ${wanted}`)
    }
  }
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
  const cpDomain = String(dig(controlPlane(state), 'meshConfig', 'trustDomain') ?? 'cluster.local')
  const sans: string[] = Array.isArray(tls?.subjectAltNames) && tls.subjectAltNames.length > 0
    ? tls.subjectAltNames.map(String)
    : [`spiffe://${cpDomain}/ns/${endpoint.pod.obj.metadata.namespace}/sa/${endpoint.pod.obj.spec?.serviceAccountName ?? 'default'}`]
  const verifyFailed = (why: string) => result({ stdout: tlsFailure('268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'), stderr: '', code: 0, why })
  if (!clientId.roots.includes(serverId.issuer)) return verifyFailed(`the client's proxy does not trust ${serverId.issuer} (it trusts ${clientId.roots.join(', ') || 'nothing'})`)
  if (clientId.source === 'spire') {
    const caProblem = trustsDomainUrl(world, state, serverId.trustDomain)
    if (caProblem) return verifyFailed(caProblem)
  }
  if (!sans.includes(serverId.spiffeId)) return verifyFailed(`the server presents ${serverId.spiffeId}, and the client accepts only ${sans.join(', ')}`)
  if (!serverId.roots.includes(clientId.issuer)) return result({ stdout: tlsFailure('268436502:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN'), stderr: '', code: 0, why: `the server's proxy does not trust ${clientId.issuer} (it trusts ${serverId.roots.join(', ') || 'nothing'})` })
  if (endpoint.via) {
    const cpProblems = [...controlPlaneProblems(world, state), ...controlPlaneProblems(world, endpoint.cluster)]
    if (cpProblems.length > 0) return result({ stdout: envoyReset('connection termination'), stderr: '', code: 0, why: cpProblems.join('; ') })
  }
  return result({ stdout: helloReply(endpoint.pod, path), stderr: '', code: 0 })
}

export function podsOfWorkload(state: ClusterState, kind: string, ns: string, name: string): Stored[] {
  return Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === `apps|${kind}|${ns}|${name}`)
}

