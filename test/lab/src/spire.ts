// SPIRE as the spiffe-hardened charts install it: the CRDs chart, the spire chart (server,
// agent, CSI driver, controller manager, its admission webhook), each server's own bundle
// (RSA keys, as the chart's caKeyType rsa-2048 makes them), the controller manager turning
// ClusterFederatedTrustDomains into federation relationships in the server's datastore, the
// bundle endpoint other clusters fetch from, and the `spire-server` command inside the
// server's container.
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { lbAddressNow, loadBalancer, workloadReadiness } from './controllers.ts'
import { faults } from './faults.ts'
import { parseRange } from './metallb.ts'
import { deepEqual, dig, find, isPlainObject, labelSelectorMatches, list, type ClusterState, type LogLine, type Obj, type Release, type SpireData, type Stored, type World } from './model.ts'
import { expectedOf, noRole, pinned } from './expected.ts'
import { crd, configMap, service, serviceAccount, workload } from './objects.ts'
import { authenticates, parseSpiffeBundle, type ParsedBundle } from './spiffebundle.ts'
import { renderGoTemplate } from './gotemplate.ts'
import { scaled } from './timing.ts'
import { selfSignedCaCertificate } from '../../../lib/x509.ts'

// The versions the repository's index lists (oldest first), from the pinned ones on: the
// tags spire-crds-0.5.0, 0.6.0 and spire-0.24.0 … 0.29.0 of spiffe/helm-charts-hardened.
// Without --version, helm takes the newest, as the real one does.
export const charts: Record<string, string[]> = {
  'spire-crds': ['0.5.0', '0.6.0'],
  spire: ['0.24.0', '0.24.1', '0.24.2', '0.24.3', '0.24.4', '0.24.5', '0.25.0', '0.26.0', '0.26.1', '0.27.0', '0.27.1', '0.28.0', '0.28.1', '0.28.2', '0.28.3', '0.28.4', '0.28.5', '0.29.0'],
}

export const chartAppVersion: Record<string, string> = { 'spire-crds': '0.0.1', spire: '1.11.0' }

// ---------- the charts ----------

// spire-crds 0.5.0 annotates its CRDs `helm.sh/resource-policy: keep` (values.yaml
// `annotations`), so `helm uninstall spire-crds` leaves them, and their resources, in place.
export function spireCrdsObjects(): Obj[] {
  return [
    crd('spire.spiffe.io', 'ClusterFederatedTrustDomain', 'clusterfederatedtrustdomains', 'Cluster', ['v1alpha1']),
    crd('spire.spiffe.io', 'ClusterSPIFFEID', 'clusterspiffeids', 'Cluster', ['v1alpha1']),
    crd('spire.spiffe.io', 'ClusterStaticEntry', 'clusterstaticentries', 'Cluster', ['v1alpha1']),
  ].map((obj) => ({ ...obj, metadata: { ...obj.metadata, annotations: { 'helm.sh/resource-policy': 'keep' } } }))
}

const sidecarTemplate = 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}'

// The part of chart 0.24.0's defaults that the lab reads.
export const spireDefaults: Obj = {
  global: {
    spire: {
      clusterName: 'example-cluster',
      trustDomain: 'example.org',
      caSubject: { country: 'ARPA', organization: 'Example', commonName: 'example.org' },
    },
  },
  'spire-server': {
    enabled: true,
    service: { type: 'ClusterIP', port: 443 },
    caKeyType: 'rsa-2048',
    persistence: { type: 'pvc', size: '1Gi', accessMode: 'ReadWriteOnce', storageClass: null },
    federation: { enabled: false, bundleEndpoint: { port: 8443, refreshHint: '5m' } },
    controllerManager: {
      enabled: true,
      className: '',
      watchClassless: false,
      validatingWebhookConfiguration: { enabled: true, failurePolicy: 'Fail' },
      identities: {
        clusterSPIFFEIDs: {
          default: { enabled: true, spiffeIDTemplate: sidecarTemplate, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['spire', 'spire-system', 'kube-system'] }] } },
          'oidc-discovery-provider': { enabled: true, spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}' },
          'test-keys': { enabled: true, spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/pod/{{ .PodMeta.Name }}' },
        },
      },
    },
  },
  'spire-agent': { enabled: true, sds: { enabled: false, defaultSVIDName: 'default', defaultBundleName: 'ROOTCA', defaultAllBundlesName: 'ALL' } },
  'spiffe-csi-driver': { enabled: true },
  'spiffe-oidc-discovery-provider': { enabled: true },
}

export function className(release: Release): string {
  const given = dig(release.computed, 'spire-server', 'controllerManager', 'className')
  return typeof given === 'string' && given !== '' ? given : `${release.namespace}-${release.name}`
}

// The objects chart spire 0.24.0 creates for these values. Its ClusterSPIFFEIDs need the
// CRDs chart first, as with the real chart.
export function spireObjects(release: Release): Obj[] {
  const v = release.computed
  const ns = release.namespace
  const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': release.name })
  const objects: Obj[] = []
  const server = v['spire-server'] ?? {}
  const agent = v['spire-agent'] ?? {}
  const trustDomain = String(dig(v, 'global', 'spire', 'trustDomain'))
  if (server.enabled !== false) {
    const federation = dig(server, 'federation', 'enabled') === true
    objects.push(serviceAccount('spire-server', ns))
    objects.push(configMap('spire-server', ns, {
      'server.conf': JSON.stringify({
        server: {
          trust_domain: trustDomain,
          ca_subject: [dig(v, 'global', 'spire', 'caSubject')],
          ...(federation ? { federation: { bundle_endpoint: { address: '0.0.0.0', port: 8443 } } } : {}),
        },
        plugins: { KeyManager: [{ disk: { plugin_data: { keys_path: '/run/spire/data/keys.json' } } }] },
      }, null, 2),
    }, labels('server')))
    const statefulSet = workload('StatefulSet', 'spire-server', ns, labels('server'), [
      { name: 'spire-server', image: `ghcr.io/spiffe/spire-server:${chartAppVersion.spire}`, args: ['-expandEnv', '-config', '/run/spire/config/server.conf'], ports: [{ containerPort: 8081, name: 'grpc' }, { containerPort: 8080, name: 'healthz' }, ...(federation ? [{ containerPort: 8443, name: 'federation' }] : [])] },
      ...(dig(server, 'controllerManager', 'enabled') !== false ? [{ name: 'spire-controller-manager', image: 'ghcr.io/spiffe/spire-controller-manager:0.6.0', args: ['--config=controller-manager-config.yaml'] }] : []),
    ], { spec: { serviceAccountName: 'spire-server' } })
    // The server's keys and datastore live on a PVC made from this template (server-resource.yaml;
    // persistence.type pvc by default). The StatefulSet sets no retention policy, so
    // Kubernetes' default, Retain, keeps the PVC when the StatefulSet is deleted.
    const persistence = dig(server, 'persistence') as Obj | undefined
    if ((persistence?.type ?? 'pvc') === 'pvc') {
      statefulSet.spec.volumeClaimTemplates = [{
        metadata: { name: 'spire-data' },
        spec: { accessModes: [persistence?.accessMode ?? 'ReadWriteOnce'], resources: { requests: { storage: persistence?.size ?? '1Gi' } }, ...(persistence?.storageClass ? { storageClassName: persistence.storageClass } : {}) },
      }]
    }
    objects.push(statefulSet)
    // service.yaml: "grpc" on service.port (443 by default) to the container's 8081, and the
    // bundle endpoint on federation.bundleEndpoint.port (8443) when federation is enabled.
    objects.push(service('spire-server', ns, labels('server'), [
      { name: 'grpc', port: Number(dig(server, 'service', 'port') ?? 443), targetPort: 'grpc' },
      ...(federation ? [{ name: 'federation', port: Number(dig(server, 'federation', 'bundleEndpoint', 'port') ?? 8443), targetPort: 'federation' }] : []),
    ], String(dig(server, 'service', 'type') ?? 'ClusterIP'), labels('server')))
    if (dig(server, 'controllerManager', 'enabled') !== false) {
      objects.push(configMap('spire-controller-manager', ns, { 'controller-manager-config.yaml': `className: ${JSON.stringify(className(release))}\nwatchClassless: ${dig(server, 'controllerManager', 'watchClassless') === true}\ntrustDomain: ${trustDomain}\nclusterName: ${dig(v, 'global', 'spire', 'clusterName')}\n` }))
      // controller-manager-webhook.yaml: ClusterFederatedTrustDomains are validated by the
      // controller manager (vclusterfederatedtrustdomain.kb.io) on create and update.
      if (dig(server, 'controllerManager', 'validatingWebhookConfiguration', 'enabled') !== false) {
        objects.push({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: { name: `${ns}-${release.name}-controller-manager-webhook` },
          webhooks: [{
            name: cftdWebhook,
            admissionReviewVersions: ['v1'],
            clientConfig: { service: { name: `${release.name}-controller-manager-webhook`, namespace: ns, path: '/validate-spire-spiffe-io-v1alpha1-clusterfederatedtrustdomain' } },
            failurePolicy: 'Fail',
            rules: [{ apiGroups: ['spire.spiffe.io'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['clusterfederatedtrustdomains'] }],
            sideEffects: 'None',
          }],
        })
      }
      // controller-manager-cluster-ids.yaml: one ClusterSPIFFEID per identity, named
      // <namespace>-<release>-<key>, with the key as its hint unless one is given, and (type
      // base, the default) the chart's own namespace left out by a namespaceSelector.
      const ids = dig(server, 'controllerManager', 'identities', 'clusterSPIFFEIDs')
      for (const [key, id] of Object.entries(isPlainObject(ids) ? ids : {})) {
        if (!isPlainObject(id) || id.enabled === false) continue
        const type = id.type ?? 'base'
        const namespaceSelector = type === 'raw' ? id.namespaceSelector : {
          ...(id.namespaceSelector ?? {}),
          matchExpressions: [...(id.namespaceSelector?.matchExpressions ?? []), { key: 'kubernetes.io/metadata.name', operator: type === 'base' ? 'NotIn' : 'In', values: [ns] }],
        }
        const hint = id.hint === undefined ? key : id.hint
        objects.push({
          apiVersion: 'spire.spiffe.io/v1alpha1',
          kind: 'ClusterSPIFFEID',
          metadata: { name: `${ns}-${release.name}-${key}` },
          spec: {
            className: className(release),
            ...(hint ? { hint } : {}),
            spiffeIDTemplate: id.spiffeIDTemplate,
            ...(id.federatesWith ? { federatesWith: id.federatesWith } : {}),
            ...(id.podSelector ? { podSelector: id.podSelector } : {}),
            ...(namespaceSelector ? { namespaceSelector } : {}),
          },
        })
      }
    }
  }
  if (agent.enabled !== false) {
    objects.push(serviceAccount('spire-agent', ns))
    objects.push(configMap('spire-agent', ns, {
      'agent.conf': JSON.stringify({ agent: { trust_domain: trustDomain, sds: agent.sds?.enabled ? { default_svid_name: agent.sds.defaultSVIDName, default_bundle_name: agent.sds.defaultBundleName, default_all_bundles_name: agent.sds.defaultAllBundlesName } : undefined } }, null, 2),
    }, labels('agent')))
    objects.push(workload('DaemonSet', 'spire-agent', ns, labels('agent'), [{ name: 'spire-agent', image: `ghcr.io/spiffe/spire-agent:${chartAppVersion.spire}` }], { spec: { serviceAccountName: 'spire-agent', hostPID: true } }))
  }
  if (dig(v, 'spiffe-csi-driver', 'enabled') !== false) {
    objects.push({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'csi.spiffe.io' }, spec: { attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'None', volumeLifecycleModes: ['Ephemeral'] } })
    objects.push(workload('DaemonSet', 'spire-spiffe-csi-driver', ns, labels('spiffe-csi-driver'), [
      { name: 'spiffe-csi-driver', image: 'ghcr.io/spiffe/spiffe-csi-driver:0.2.6' },
      { name: 'node-driver-registrar', image: 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.9.0' },
    ]))
  }
  if (dig(v, 'spiffe-oidc-discovery-provider', 'enabled') !== false) {
    objects.push(workload('Deployment', 'spire-spiffe-oidc-discovery-provider', ns, labels('spiffe-oidc-discovery-provider'), [{ name: 'spiffe-oidc-discovery-provider', image: 'ghcr.io/spiffe/oidc-discovery-provider:1.11.0' }]))
  }
  return objects
}

// ---------- bundles ----------

export const cftdWebhook = 'vclusterfederatedtrustdomain.kb.io'

function rsaKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

// A server's own trust bundle, as `bundle show -format spiffe` prints it: fresh keys per run.
// The chart's caKeyType is rsa-2048, which SPIRE uses for both the X.509 and the JWT
// authority (spire_server.md: jwt_key_type defaults to ca_key_type). The X.509 authority is
// a real self-signed CA certificate with the CA subject of the values and the trust
// domain's ID as URI SAN, valid from 10 s ago (NotBeforeCushion) for the chart's caTTL, 24h
// (pkg/server/credtemplate/builder.go). Its private key is kept beside it (SPIRE's
// keys.json on the data volume): the lab's agents issue X509-SVIDs with it (svids.ts).
export function spireAuthority(trustDomain = 'example.org', caSubject: Obj = {}, now = Date.now()): { bundle: Obj; caKey: string } {
  const ca = rsaKey()
  const jwt = rsaKey().publicKey.export({ format: 'jwk' })
  const notBefore = new Date(Math.floor(now / 1000) * 1000 - 10_000)
  const der = selfSignedCaCertificate({
    ...ca,
    subject: { country: caSubject.country, organization: caSubject.organization, commonName: caSubject.commonName },
    uri: `spiffe://${trustDomain}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10_000 + 86_400_000),
  })
  const x509 = ca.publicKey.export({ format: 'jwk' })
  return {
    bundle: {
      keys: [
        { use: 'x509-svid', kty: 'RSA', n: x509.n, e: x509.e, x5c: [der.toString('base64')] },
        { use: 'jwt-svid', kty: 'RSA', kid: randomBytes(24).toString('base64url'), n: jwt.n, e: jwt.e },
      ],
      spiffe_sequence: 1,
      spiffe_refresh_hint: 300,
    },
    caKey: ca.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

export function generateBundle(trustDomain = 'example.org', caSubject: Obj = {}): Obj {
  return spireAuthority(trustDomain, caSubject).bundle
}

export function parsedBundle(bundle: Obj): ParsedBundle {
  const parsed = parseSpiffeBundle(JSON.stringify(bundle))
  if (!parsed.bundle) throw new Error(`lab: a bundle the lab holds does not parse: ${parsed.error}`)
  return parsed.bundle
}

// ---------- judging SPIRE against configuration.md ----------

export function otherClusters(world: World, state: ClusterState): ClusterState[] {
  return Object.values(world.clusters).filter((c) => c.name !== state.name)
}

export function spireRelease(state: ClusterState): Release | undefined {
  return Object.values(state.releases).find((r) => r.chart === 'spire' && r.status === 'deployed')
}

// Every way the installed SPIRE differs from what configuration.md lists; [] when it matches.
export function spireProblems(_world: World, state: ClusterState): string[] {
  const release = spireRelease(state)
  if (!release) return ['SPIRE (chart spire) is not installed']
  // What the role must hold comes from the lab's table, not from the workbook's values.
  const want = expectedOf(state)
  if (!want) return [noRole(state)]
  const v = release.computed
  const problems: string[] = []
  const expect = (path: string, wanted: unknown) => {
    const actual = dig(v, ...path.split('/'))
    if (!deepEqual(actual, wanted)) problems.push(`${path.replaceAll('/', '.')} is ${JSON.stringify(actual)}, not ${JSON.stringify(wanted)}`)
  }
  const { spire: chart, spireCrds } = pinned.charts
  if (release.name !== chart.release || release.namespace !== chart.namespace) problems.push(`release ${release.namespace}/${release.name} is not ${chart.namespace}/${chart.release}`)
  if (release.version !== chart.version) problems.push(`chart ${chart.name} is version ${release.version}, not ${chart.version}`)
  const crds = Object.values(state.releases).find((r) => r.chart === spireCrds.name && r.status === 'deployed')
  if (crds && crds.version !== spireCrds.version) problems.push(`chart ${spireCrds.name} is version ${crds.version}, not ${spireCrds.version}`)
  expect('global/spire/caSubject/country', 'US')
  expect('global/spire/caSubject/organization', 'istio.io')
  expect('global/spire/caSubject/commonName', want.trustDomain)
  expect('global/spire/clusterName', want.clusterName)
  expect('global/spire/trustDomain', want.trustDomain)
  expect('spire-server/service/type', 'LoadBalancer')
  expect('spire-server/federation/enabled', true)
  expect('spire-server/controllerManager/enabled', true)
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/default/enabled', false)
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/sidecars/spiffeIDTemplate', sidecarTemplate)
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/sidecars/podSelector/matchExpressions', [{ key: 'service.istio.io/canonical-name', operator: 'Exists' }])
  // federatesWith is not required here: the workloads trust what their entries federate with
  // (proxyIdentity), as SPIRE's agent hands it out.
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/oidc-discovery-provider/enabled', false)
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/test-keys/enabled', false)
  expect('spire-agent/sds/enabled', true)
  expect('spire-agent/sds/defaultSVIDName', 'default')
  // defaultBundleName is modelled (istio.ts, sdsRoots): "ROOTCA" there takes the name from the all-bundles resource.
  expect('spire-agent/sds/defaultAllBundlesName', 'ROOTCA')
  expect('spiffe-oidc-discovery-provider/enabled', false)
  return problems
}

export function serverReadyAt(world: World, state: ClusterState): number {
  const release = spireRelease(state)
  if (!release) return Infinity
  return workloadReadiness(world, state, 'apps', 'StatefulSet', release.namespace, 'spire-server').at
}

// B's bundle endpoint: https://<B's LoadBalancer address>:8443, if B serves one and the
// address is announced on the kind network (kind) or B's cloud load balancer has one
// (existing clusters: an IP, or a host name once it resolves). `at`: when it answers.
export function bundleEndpoint(world: World, b: ClusterState): { url?: string; address?: string; at: number; problem?: string } {
  const release = spireRelease(b)
  if (!release) return { at: Infinity, problem: `SPIRE is not installed in ${b.name}` }
  if (dig(release.computed, 'spire-server', 'federation', 'enabled') !== true) return { at: Infinity, problem: `${b.name}'s SPIRE server does not serve a bundle endpoint (federation.enabled is not true)` }
  const svc = find(b, '', 'Service', release.namespace, 'spire-server')
  if (!svc) return { at: Infinity, problem: `${b.name} has no Service spire-server` }
  const lb = loadBalancer(world, b, svc)
  if (!lb.address || !Number.isFinite(lb.at)) return { at: Infinity, problem: `spire-server in ${b.name} has no LoadBalancer address` }
  if (!b.existing) {
    if (list(b, 'metallb.io', 'L2Advertisement', pinned.namespaces.metallb).length === 0) return { address: lb.address, at: Infinity, problem: `${b.name}'s MetalLB does not announce ${lb.address} (no L2Advertisement)` }
    // MetalLB answers ARP for the address on the node's network (L2 mode): it is reachable
    // only if it lies in that network's subnet.
    const node = Object.values(world.docker.containers).find((c) => c.cluster === b.name)
    const network = world.docker.networks[node?.network ?? 'kind']
    if (network && !onNetwork(network.subnet, lb.address)) return { address: lb.address, at: Infinity, problem: `${lb.address} is not on the kind network ${network.subnet}` }
  }
  return { url: `https://${lb.address}:8443`, address: lb.address, at: Math.max(lb.reachable, serverReadyAt(world, b)) }
}

function onNetwork(subnet: string, ip: string): boolean {
  const [range, address] = [parseRange(subnet), parseRange(`${ip}/32`)]
  return typeof range !== 'string' && typeof address !== 'string' && address[0] >= range[0] && address[0] <= range[1]
}

// ---------- the controller manager and the server's datastore ----------

// spire-controller-manager 0.6.0 (pkg/spirefederationrelationship/reconciler.go): the
// ClusterFederatedTrustDomains of its class (others are skipped without a word), the oldest
// first for each trust domain, against the relationships in SPIRE's datastore. A missing one
// is created (SPIRE stores the given trustDomainBundle with it: sqlstore
// createFederationRelationship "overwrite current bundle"); one whose trust domain, endpoint
// URL or profile differs is updated, again with the given bundle (pkg/spireapi/types.go
// FederationRelationship.Equal compares only those three); an equal one is left alone, so a
// new trustDomainBundle on its own never reaches SPIRE; a relationship without a resource is
// deleted, its bundle stays. Runs after every change to the cluster.
export function reconcileFederation(world: World, state: ClusterState, now: number): void {
  const release = spireRelease(state)
  const data = state.spire
  if (!release || !data || dig(release.computed, 'spire-server', 'controllerManager', 'enabled') !== true) return
  const ready = serverReadyAt(world, state)
  if (!Number.isFinite(ready)) return
  const at = Math.max(now, ready) + scaled('federation')
  const ours = className(release)
  const classless = dig(release.computed, 'spire-server', 'controllerManager', 'watchClassless') === true
  const desired = new Map<string, Obj>()
  const cftds = list(state, 'spire.spiffe.io', 'ClusterFederatedTrustDomain').sort((x, y) => x.meta.created - y.meta.created)
  for (const cftd of cftds) {
    const spec = cftd.obj.spec ?? {}
    const cls = spec.className ?? ''
    if (!(cls === ours || (cls === '' && classless))) continue
    if (cftdSpecProblem(spec)) continue // "Ignoring invalid ClusterFederatedTrustDomain" (the webhook refuses these anyway)
    if (spec.trustDomain === data.trustDomain) continue // SPIRE refuses a relationship with its own trust domain
    if (!desired.has(spec.trustDomain)) desired.set(spec.trustDomain, spec)
  }
  data.relationships ??= {}
  data.federatedBundles ??= {}
  const server = find(state, '', 'Pod', release.namespace, 'spire-server-0')
  for (const [domain, gone] of Object.entries(data.relationships)) {
    if (desired.has(domain)) continue
    delete data.relationships[domain]
    logTo(server, 'spire-controller-manager', at, controllerManagerLine(at, 'Deleted federation relationship', domain, gone))
    logTo(server, 'spire-server', at, serverLine(at, 'info', 'Trust domain no longer managed', { entry: domain, subsystem_name: 'bundle_client' }))
  }
  for (const [domain, spec] of desired) {
    const current = data.relationships[domain]
    const wanted = { url: spec.bundleEndpointURL, profile: spec.bundleEndpointProfile.type, endpointSPIFFEID: spec.bundleEndpointProfile.endpointSPIFFEID }
    if (current && current.url === wanted.url && current.profile === wanted.profile && (current.endpointSPIFFEID ?? '') === (wanted.endpointSPIFFEID ?? '')) continue
    data.relationships[domain] = { ...wanted, at }
    if (spec.trustDomainBundle) data.federatedBundles[domain] = { bundle: JSON.parse(spec.trustDomainBundle), at }
    logTo(server, 'spire-controller-manager', at, controllerManagerLine(at, current ? 'Updated federation relationship' : 'Created federation relationship', domain, wanted))
    const endpoint = { bundle_endpoint_profile: wanted.profile, bundle_endpoint_url: wanted.url, subsystem_name: 'bundle_client' }
    logTo(server, 'spire-server', at, current
      ? serverLine(at, 'info', 'Updated configuration for managed trust domain', { ...endpoint, entry: domain })
      : serverLine(at, 'info', 'Trust domain is now managed', { ...endpoint, trust_domain: domain }))
  }
}

// ---------- what the server and the controller manager log ----------

// A line a container wrote, kept with its pod (a new pod starts a new log).
function logTo(pod: Stored | undefined, container: string, at: number, line: string): void {
  if (!pod) return
  pod.meta.logs ??= {}
  const lines = (pod.meta.logs[container] ??= [])
  lines.push({ at, line })
  if (lines.length > 500) lines.splice(0, lines.length - 500)
}

// spire-controller-manager 0.6.0 logs through controller-runtime's zap logger in development
// mode (cmd/main.go: zap.Options{Development: true}): a console line of time, level, logger
// name, message and the fields as JSON. Its federation reconciler is named
// "<kind>-reconciler" with kind "federation relationship" (pkg/reconciler/reconciler.go)
// and logs each relationship it created, updated or deleted with its fields
// (pkg/spirefederationrelationship/reconciler.go, logging.go). A resource of another class
// is skipped before any of that, without a line.
function controllerManagerLine(at: number, message: string, domain: string, relationship: { url: string; profile: string; endpointSPIFFEID?: string }): string {
  const fields = [['trustDomainKey', domain], ['bundleEndpointURL', relationship.url], ['bundleEndpointProfile', relationship.profile],
    ...(relationship.endpointSPIFFEID ? [['endpointSPIFFEID', relationship.endpointSPIFFEID]] : [])]
  return `${new Date(at).toISOString()}\tINFO\tfederation relationship-reconciler\t${message}\t{${fields.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`
}

// SPIRE 1.11.0's server logs with logrus' text formatter (pkg/common/log: the default
// format): time, level and msg first, then the fields sorted by name, a value quoted when it
// holds anything but letters, digits and - . _ / @ ^ +.
function serverLine(at: number, level: string, message: string, fields: Record<string, string>): string {
  const value = (text: string) => /^[A-Za-z0-9\-._/@^+]+$/.test(text) ? text : JSON.stringify(text)
  const time = new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  return [`time=${JSON.stringify(time)}`, `level=${level}`, `msg=${JSON.stringify(message)}`, ...Object.keys(fields).sort().map((k) => `${k}=${value(fields[k]!)}`)].join(' ')
}

// Why a refresh of `relationship` from A fails now, as Go's HTTP client words it, or
// undefined when B's endpoint answers. Judged from what curl would see from a pod in A (the
// same network path). A held bundle that no longer verifies B's endpoint (B got new keys)
// is not judged here.
export function refreshError(world: World, a: ClusterState, relationship: { url: string }): string | undefined {
  let url: URL
  try {
    url = new URL(relationship.url)
  } catch {
    return `failed to fetch bundle: parse ${JSON.stringify(relationship.url)}: invalid URL`
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = Number(url.port || 443)
  const reply = bundleEndpointReply(world, a, host, port, '/', true, 30)
  const dial = `Get ${JSON.stringify(relationship.url)}: dial tcp ${url.host}`
  // Nobody's bundle endpoint, nobody answering (an address nobody announces): the dial times out.
  if (!reply || reply.code === 28) return `failed to fetch bundle: ${dial}: i/o timeout`
  if (reply.code === 7) return `failed to fetch bundle: ${dial}: connect: connection refused`
  if (reply.code === 6) return `failed to fetch bundle: Get ${JSON.stringify(relationship.url)}: dial tcp: lookup ${host}: no such host`
  return undefined
}

// The server's bundle client (pkg/server/bundle/client/manager.go, v1.11.0) polls each
// relationship's endpoint as soon as it manages it, then every refresh hint / 4 (the bundle's
// 5m: 75 s). A failed poll logs "Error updating bundle" with the error (updater.go wraps it
// "failed to fetch federated bundle from endpoint: "); one that fetches what it holds logs
// nothing. Computed when read: every poll since the relationship last changed, judged as
// the endpoint answers now.
export function spireServerLog(world: World, state: ClusterState, pod: Stored, now = Date.now()): string[] {
  const stored = (pod.meta.logs?.['spire-server'] ?? []).filter((l) => l.at <= now)
  const polls: LogLine[] = []
  const every = Math.max(1, scaled('bundleRefresh'))
  for (const [domain, relationship] of Object.entries(state.spire?.relationships ?? {})) {
    const error = refreshError(world, state, relationship)
    if (!error) continue
    for (let at = Math.max(relationship.at, pod.meta.created); at <= now && polls.length < 1000; at += every) {
      polls.push({ at, line: serverLine(at, 'error', 'Error updating bundle', { error: `failed to fetch federated bundle from endpoint: ${error}`, subsystem_name: 'bundle_client', trust_domain: domain }) })
    }
  }
  return [...stored, ...polls].sort((x, y) => x.at - y.at).map((l) => l.line)
}

export function controllerManagerLog(pod: Stored, now = Date.now()): string[] {
  return (pod.meta.logs?.['spire-controller-manager'] ?? []).filter((l) => l.at <= now).map((l) => l.line)
}

// ParseClusterFederatedTrustDomainSpec (api/v1alpha1/clusterfederatedtrustdomain_webhook.go):
// what the admission webhook refuses, in its words; undefined when the spec is valid.
export function cftdSpecProblem(spec: Obj): string | undefined {
  if (typeof spec.trustDomain !== 'string' || !/^[a-z0-9._-]+$/.test(spec.trustDomain)) return `invalid trustDomain value: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores`
  const url = spec.bundleEndpointURL
  if (typeof url !== 'string' || url === '') return 'invalid bundleEndpointURL value: bundle endpoint URL is missing'
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed) return `invalid bundleEndpointURL value: parse ${JSON.stringify(url)}: invalid URI for request`
  if (parsed.protocol !== 'https:') return 'invalid bundleEndpointURL value: scheme must be https'
  if (parsed.host === '') return 'invalid bundleEndpointURL value: host must be specified'
  if (parsed.username || parsed.password) return 'invalid bundleEndpointURL value: cannot contain userinfo'
  const profile = spec.bundleEndpointProfile ?? {}
  if (profile.type === 'https_web') {
    if (profile.endpointSPIFFEID) return 'invalid bundle endpoint profile endpointSPIFFEID value: not applicable to the "https_web" profile'
  } else if (profile.type === 'https_spiffe') {
    // spiffeid.FromString: spiffe://<trust domain><path>, path segments of letters, digits, . - _
    if (typeof profile.endpointSPIFFEID !== 'string' || !/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(profile.endpointSPIFFEID)) return 'invalid bundle endpoint profile endpointSPIFFEID value: scheme is missing or invalid'
  } else return `invalid bundle endpoint profile type value ${JSON.stringify(profile.type ?? '')}`
  if (spec.trustDomainBundle) {
    const parsedBundle = parseSpiffeBundle(String(spec.trustDomainBundle))
    if (parsedBundle.error) return `invalid trustDomainBundle value: ${parsedBundle.error}`
  }
  return undefined
}

// The federated bundles A's server holds now (`bundle list`), by trust domain: stored with
// a relationship or by `bundle set`, whether or not their endpoint ever answered.
export function heldBundles(a: ClusterState, now = Date.now()): Record<string, Obj> {
  if (!spireRelease(a) || !a.spire) return {}
  return Object.fromEntries(Object.entries(a.spire.federatedBundles ?? {}).filter(([, held]) => now >= held.at).map(([domain, held]) => [domain, held.bundle]))
}

export interface Federation {
  trustDomain: string
  bundle: Obj
}

// The federated bundles that let A's workloads verify the other clusters' current
// certificates: A holds a bundle for B's trust domain whose X.509 authorities include B's
// current one. A stale bundle (B's SPIRE was reinstalled with new keys) is still listed by
// `bundle list`, but verifies nothing of B's; nor can SPIRE refresh it from B's endpoint,
// whose https_spiffe identity it cannot verify either (updater.go). The lab's bundles do not
// rotate, so a refresh never changes a bundle that can verify B.
export function federatedNow(world: World, a: ClusterState, now = Date.now()): Federation[] {
  const held = heldBundles(a, now)
  return otherClusters(world, a).flatMap((b) => {
    const bundle = b.spire && spireRelease(b) ? held[b.spire.trustDomain] : undefined
    return bundle && authenticates(parsedBundle(bundle), parsedBundle(b.spire!.bundle)) ? [{ trustDomain: b.spire!.trustDomain, bundle }] : []
  })
}

// ---------- the bundle endpoint, as another cluster's pod reaches it ----------

export interface Reply {
  stdout: string
  stderr: string
  code: number
}

// `curl https://<address>:<port><path>` from a pod in cluster `from`. A SPIRE bundle endpoint
// answers GET / with its bundle (pkg/server/endpoints/bundle/server.go: json.MarshalIndent
// with 4 spaces, refresh hint from federation.bundleEndpoint.refreshHint, 5m); anything else
// there is 404. Its certificate is the server's SVID (https_spiffe), which no web PKI
// verifies: only `curl -k` gets the body. An address that is nobody's bundle endpoint is
// not this function's (undefined).
export function bundleEndpointReply(world: World, from: ClusterState, host: string, port: number, path: string, insecure: boolean, connectTimeout: number): Reply | undefined {
  const b = Object.values(world.clusters).find((c) => lbOf(world, c) === host)
  if (!b) return undefined
  const unreachable = (): Reply => ({ stdout: '', stderr: `curl: (28) Failed to connect to ${host} port ${port} after ${connectTimeout * 1000 + 2} ms: Timeout was reached\n`, code: 28 })
  if (port !== 8443) {
    // kube-proxy forwards a load balancer address only on the ports its Service lists
    // (pkg/proxy/iptables/proxier.go: each rule matches the address with one service
    // port); a packet to any other port of it gets no answer.
    const ports = (find(b, '', 'Service', spireRelease(b)?.namespace ?? 'spire', 'spire-server')?.obj.spec?.ports ?? []).map((p: Obj) => Number(p.port))
    return ports.includes(port) ? undefined : unreachable()
  }
  const endpoint = bundleEndpoint(world, b)
  const now = Date.now()
  if (b.existing) {
    // A cloud load balancer's host name resolves a while after it is shown.
    const svc = find(b, '', 'Service', spireRelease(b)?.namespace ?? 'spire', 'spire-server')
    const lb = svc ? loadBalancer(world, b, svc) : undefined
    if (lb?.hostname && now < lb.reachable) return { stdout: '', stderr: `curl: (6) Could not resolve host: ${host}\n`, code: 6 }
  } else if (from.existing) {
    return unreachable() // an address on the kind network, from a cloud
  }
  if (!endpoint.url) {
    // No L2Advertisement (nobody answers ARP for it), or off the kind network: nothing answers.
    if (endpoint.address === host) return unreachable()
    return { stdout: '', stderr: `curl: (7) Failed to connect to ${host} port ${port} after 2 ms: Couldn't connect to server\n`, code: 7 }
  }
  if (now < endpoint.at) return { stdout: '', stderr: `curl: (7) Failed to connect to ${host} port ${port} after 2 ms: Couldn't connect to server\n`, code: 7 }
  if (!insecure) return { stdout: '', stderr: `curl: (60) SSL certificate problem: unable to get local issuer certificate\nMore details here: https://curl.se/docs/sslcerts.html\n`, code: 60 }
  if (path !== '/') return { stdout: '404 page not found\n', stderr: '', code: 0 }
  const own = b.spire!.bundle
  return { stdout: JSON.stringify({ keys: own.keys, spiffe_sequence: own.spiffe_sequence, spiffe_refresh_hint: 300 }, null, 4), stderr: '', code: 0 }
}

// ---------- the spire-server command ----------

export interface Exec {
  stdout: string
  stderr: string
  code: number
}

const banner = '****************************************'

// The spire-server CLI's flags: -name value or -name=value (Go's flag package).
function cliFlags(rest: string[], known: string[]): { values: Record<string, string> } | Exec {
  const values: Record<string, string> = {}
  for (let i = 0; i < rest.length; i++) {
    const match = /^--?([a-zA-Z]+)(?:=(.*))?$/.exec(rest[i]!)
    if (!match || !known.includes(match[1]!)) return { stdout: '', stderr: `flag provided but not defined: ${rest[i]}\n`, code: 1 }
    const value = match[2] ?? rest[++i]
    if (value === undefined) return { stdout: '', stderr: `flag needs an argument: -${match[1]}\n`, code: 1 }
    values[match[1]!] = value
  }
  return { values }
}

function formatOf(values: Record<string, string>): string | Exec {
  const format = (values.format ?? 'pem').toLowerCase()
  if (format !== 'spiffe' && format !== 'pem') return { stdout: '', stderr: `Error: invalid format: "${values.format}"\n`, code: 1 }
  return format
}

// spiffeid.TrustDomainFromString: a name, or a SPIFFE ID whose trust domain is taken.
function trustDomainOf(text: string): string | undefined {
  const name = text.startsWith('spiffe://') ? text.slice('spiffe://'.length).split('/')[0]! : text
  return /^[a-z0-9._-]+$/.test(name) ? name : undefined
}

export function spireServerCommand(state: ClusterState, args: string[], stdin = '', now = Date.now(), world?: World): Exec {
  const usage = 'Usage: spire-server [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n    agent\n    bundle\n    entry\n    federation\n    healthcheck\n    run\n    token\n    validate\n    x509\n    jwt\n'
  const [command, sub, ...rest] = args
  const pem = (bundle: Obj) => bundle.keys.filter((key: Obj) => key.use === 'x509-svid').map((key: Obj) => `-----BEGIN CERTIFICATE-----\n${String(key.x5c[0]).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`).join('')
  const print = (bundle: Obj, format: string) => format === 'spiffe' ? JSON.stringify(bundle, null, 4) + '\n' : pem(bundle)
  const data = state.spire as SpireData
  if (command === 'healthcheck') return { stdout: 'Server is healthy.\n', stderr: '', code: 0 }
  if (command === 'bundle' && sub === 'show') {
    const flags = cliFlags(rest, ['format', 'output', 'socketPath'])
    if (!('values' in flags)) return flags
    const f = formatOf(flags.values)
    if (typeof f !== 'string') return f
    if (faults().bundleGarbage) {
      return { stdout: `\u0000\u001b[2Jtime="${new Date(now).toISOString()}" level=warning msg="datastore busy" %!s(MISSING) ${randomBytes(12).toString('hex')} {"keys": [\n`, stderr: '', code: 0 }
    }
    if (!data?.bundle) return { stdout: '', stderr: 'Error: rpc error: code = NotFound desc = bundle not found\n', code: 1 }
    return { stdout: print(data.bundle, f), stderr: '', code: 0 }
  }
  if (command === 'bundle' && sub === 'list') {
    // cmd/spire-server/cli/bundle/list.go: every federated bundle under a banner with its
    // trust domain, or with -id just that one (GetFederatedBundle), without a banner.
    const flags = cliFlags(rest, ['format', 'id', 'output', 'socketPath'])
    if (!('values' in flags)) return flags
    const f = formatOf(flags.values)
    if (typeof f !== 'string') return f
    const held = heldBundles(state, now)
    if (flags.values.id !== undefined) {
      const domain = trustDomainOf(flags.values.id)
      if (!domain) return { stdout: '', stderr: `Error: rpc error: code = InvalidArgument desc = trust domain argument is not valid: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores\n`, code: 1 }
      if (domain === data?.trustDomain) return { stdout: '', stderr: `Error: rpc error: code = InvalidArgument desc = getting a federated bundle for the server's own trust domain is not allowed\n`, code: 1 }
      const bundle = held[domain]
      if (!bundle) return { stdout: '', stderr: 'Error: rpc error: code = NotFound desc = bundle not found\n', code: 1 }
      return { stdout: print(bundle, f), stderr: '', code: 0 }
    }
    const text = Object.entries(held).sort(([x], [y]) => x.localeCompare(y)).map(([domain, bundle]) => `${banner}\n* ${domain}\n${banner}\n${print(bundle, f)}`).join('\n')
    return { stdout: text, stderr: '', code: 0 }
  }
  if (command === 'bundle' && sub === 'set') {
    // cmd/spire-server/cli/bundle/set.go: the bundle on stdin (or -path), parsed as go-spiffe
    // does (util.ParseBundle), stored as the trust domain's federated bundle
    // (BatchSetFederatedBundle, which overwrites: datastore SetBundle).
    const flags = cliFlags(rest, ['format', 'id', 'path', 'output', 'socketPath'])
    if (!('values' in flags)) return flags
    if (!flags.values.id) return { stdout: '', stderr: 'Error: id flag is required\n', code: 1 }
    const f = formatOf(flags.values)
    if (typeof f !== 'string') return f
    if (f !== 'spiffe') return { stdout: '', stderr: 'Error: lab: `bundle set` takes -format spiffe here\n', code: 1 }
    if (flags.values.path !== undefined) return { stdout: '', stderr: `Error: unable to load bundle data: open ${flags.values.path}: no such file or directory\n`, code: 1 }
    const domain = trustDomainOf(flags.values.id)
    if (!domain) return { stdout: '', stderr: 'Error: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores\n', code: 1 }
    const parsed = parseSpiffeBundle(stdin)
    if (parsed.error) return { stdout: '', stderr: `Error: unable to parse to spiffe bundle: ${parsed.error}\n`, code: 1 }
    if (!data) return { stdout: '', stderr: 'Error: rpc error: code = Unavailable desc = connection error\n', code: 1 }
    if (domain === data.trustDomain) return { stdout: '', stderr: `Error: failed to set federated bundle: setting a federated bundle for the server's own trust domain is not allowed\n`, code: 1 }
    data.federatedBundles ??= {}
    data.federatedBundles[domain] = { bundle: JSON.parse(stdin), at: now }
    return { stdout: 'bundle set.\n', stderr: '', code: 0 }
  }
  if (command === 'federation' && sub === 'refresh') {
    // cmd/spire-server/cli/federation/refresh.go: the server's bundle client fetches the
    // trust domain's bundle now (RefreshBundleFor), and the error comes back through the
    // API as Internal "failed to refresh bundle: <error>" (pkg/server/api/trustdomain/v1).
    const flags = cliFlags(rest, ['id', 'output', 'socketPath'])
    if (!('values' in flags)) return flags
    if (!flags.values.id) return { stdout: '', stderr: 'Error: id is required\n', code: 1 }
    const domain = trustDomainOf(flags.values.id)
    if (!domain) return { stdout: '', stderr: 'Error: failed to refresh bundle: rpc error: code = InvalidArgument desc = failed to parse trust domain: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores\n', code: 1 }
    const relationship = data?.relationships?.[domain]
    if (!relationship || now < relationship.at) return { stdout: '', stderr: `Error: there is no federation relationship with trust domain ${JSON.stringify(flags.values.id)}\n`, code: 1 }
    const error = world ? refreshError(world, state, relationship) : undefined
    if (error) return { stdout: '', stderr: `Error: failed to refresh bundle: rpc error: code = Internal desc = failed to refresh bundle: failed to fetch federated bundle from endpoint: ${error}\n`, code: 1 }
    return { stdout: 'Bundle refreshed\n', stderr: '', code: 0 }
  }
  if (command === 'federation' && sub === 'list') {
    const relationships = Object.entries(data?.relationships ?? {}).filter(([, r]) => now >= r.at).sort(([x], [y]) => x.localeCompare(y))
    const lines = [`Found ${relationships.length} federation relationship${relationships.length === 1 ? '' : 's'}`, '']
    for (const [domain, r] of relationships) {
      lines.push(`Trust domain              : ${domain}`, `Bundle endpoint URL       : ${r.url}`, `Bundle endpoint profile   : ${r.profile}`)
      if (r.endpointSPIFFEID) lines.push(`Endpoint SPIFFE ID        : ${r.endpointSPIFFEID}`)
      lines.push('')
    }
    return { stdout: lines.join('\n') + '\n', stderr: '', code: 0 }
  }
  if (command === 'entry' && sub === 'show') return entryShow(state, world, rest, now)
  if (command === '--version' || command === 'version') return { stdout: '', stderr: `${chartAppVersion.spire}\n`, code: 0 }
  return { stdout: '', stderr: usage, code: 127 }
}

// ---------- registration entries ----------

export interface Entry {
  id: string
  spiffeId: string
  parentId: string
  selectors: string[]
  federatesWith: string[]
  hint?: string
}

// The entries spire-controller-manager 0.6.0 keeps in the server for its ClusterSPIFFEIDs
// (pkg/spireentry/reconciler.go, entries.go renderPodEntry): one per pod that a
// ClusterSPIFFEID of its class selects (namespaceSelector, podSelector; namespaces the chart
// tells it to ignore are skipped: kube-system, kube-public, local-path-storage), on a node;
// its SPIFFE ID the template rendered for that pod, its parent the agent of the pod's node
// (spiffe://<trust domain>/spire/agent/k8s_psat/<cluster name>/<node UID>), its one selector
// k8s:pod-uid, and the ClusterSPIFFEID's federatesWith and hint. Entry IDs are UUIDs SPIRE
// makes; the lab derives them from the pod and the ClusterSPIFFEID, so they stay put.
export function registrationEntries(state: ClusterState): Entry[] {
  const release = spireRelease(state)
  const data = state.spire
  if (!release || !data || dig(release.computed, 'spire-server', 'controllerManager', 'enabled') === false) return []
  const clusterName = String(dig(release.computed, 'global', 'spire', 'clusterName') ?? '')
  const ignored = /^(kube-system|kube-public|local-path-storage)$/
  const entries: Entry[] = []
  for (const csid of list(state, 'spire.spiffe.io', 'ClusterSPIFFEID')) {
    const spec = csid.obj.spec ?? {}
    if ((spec.className ?? '') !== className(release)) continue
    for (const pod of Object.values(state.objects).filter((s) => s.obj.kind === 'Pod')) {
      const meta = pod.obj.metadata ?? {}
      const namespace = find(state, '', 'Namespace', '', meta.namespace)
      if (ignored.test(meta.namespace) || !namespace || !labelSelectorMatches(spec.namespaceSelector, namespace.obj.metadata?.labels)) continue
      if (!labelSelectorMatches(spec.podSelector, meta.labels)) continue
      const node = find(state, '', 'Node', '', pod.obj.spec?.nodeName ?? '')
      if (!node) continue
      const templateData = {
        TrustDomain: data.trustDomain, ClusterName: clusterName, ClusterDomain: 'cluster.local',
        PodMeta: { Name: meta.name, Namespace: meta.namespace, UID: meta.uid, Labels: meta.labels ?? {}, Annotations: meta.annotations ?? {} },
        PodSpec: { ServiceAccountName: pod.obj.spec?.serviceAccountName ?? 'default', NodeName: pod.obj.spec?.nodeName },
        NodeMeta: { Name: node.obj.metadata?.name, UID: node.obj.metadata?.uid, Labels: node.obj.metadata?.labels ?? {} },
      }
      const hash = createHash('sha256').update(`${csid.obj.metadata?.uid} ${meta.uid}`).digest('hex')
      entries.push({
        id: `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`,
        spiffeId: renderGoTemplate(String(spec.spiffeIDTemplate ?? ''), templateData),
        parentId: `spiffe://${data.trustDomain}/spire/agent/k8s_psat/${clusterName}/${node.obj.metadata?.uid}`,
        selectors: [`k8s:pod-uid:${meta.uid}`],
        federatesWith: spec.federatesWith ?? [],
        hint: spec.hint,
      })
    }
  }
  // SortTypesEntries (pkg/common/util/sort.go): by SPIFFE ID, then parent ID.
  return entries.sort((a, b) => a.spiffeId.localeCompare(b.spiffeId) || a.parentId.localeCompare(b.parentId))
}

// `spire-server entry show` (cmd/spire-server/cli/entry/show.go, util.go printEntry, v1.11.0):
// the entries that match every filter given, counted ("Found 1 entry", "Found 2 entries"),
// each as a block of "Name : value" lines and an empty line. Selectors match as a superset.
function entryShow(state: ClusterState, world: World | undefined, rest: string[], now: number): Exec {
  const values: Record<string, string[]> = {}
  const known = ['entryID', 'parentID', 'spiffeID', 'selector', 'federatesWith', 'hint', 'downstream', 'matchFederatesWithOn', 'matchSelectorsOn', 'output', 'socketPath']
  for (let i = 0; i < rest.length; i++) {
    const match = /^--?([a-zA-Z]+)(?:=(.*))?$/.exec(rest[i]!)
    if (!match || !known.includes(match[1]!)) return { stdout: '', stderr: `flag provided but not defined: ${rest[i]}\n`, code: 1 }
    if (match[1] === 'downstream') continue
    const value = match[2] ?? rest[++i]
    if (value === undefined) return { stdout: '', stderr: `flag needs an argument: -${match[1]}\n`, code: 1 }
    ;(values[match[1]!] ??= []).push(value)
  }
  const one = (name: string) => values[name]?.at(-1)
  if (one('entryID') && (one('parentID') || one('spiffeID') || values.selector)) return { stdout: '', stderr: 'Error: the -entryID flag can\'t be combined with others\n', code: 1 }
  if (one('output') && one('output') !== 'pretty') return { stdout: '', stderr: `Error: lab: \`entry show -output ${one('output')}\` is not modelled; leave -output out\n`, code: 1 }
  for (const name of ['spiffeID', 'parentID']) {
    const id = one(name)
    if (id !== undefined && !/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(id)) return { stdout: '', stderr: `Error: error parsing ${name === 'spiffeID' ? 'SPIFFE' : 'parent'} ID "${id}": scheme is missing or invalid\n`, code: 1 }
  }
  if (world && now < serverReadyAt(world, state)) return { stdout: '', stderr: 'Error: connection error: desc = "transport: error while dialing: dial unix /tmp/spire-server/private/api.sock: connect: no such file or directory"\n', code: 1 }
  let entries = registrationEntries(state)
  if (one('entryID')) {
    entries = entries.filter((e) => e.id === one('entryID'))
    if (entries.length === 0) return { stdout: '', stderr: `Error: error fetching entry ID ${one('entryID')}: rpc error: code = NotFound desc = entry not found\n`, code: 1 }
  }
  if (one('spiffeID')) entries = entries.filter((e) => e.spiffeId === one('spiffeID'))
  if (one('parentID')) entries = entries.filter((e) => e.parentId === one('parentID'))
  if (one('hint')) entries = entries.filter((e) => e.hint === one('hint'))
  for (const selector of values.selector ?? []) entries = entries.filter((e) => e.selectors.includes(selector))
  for (const domain of values.federatesWith ?? []) entries = entries.filter((e) => e.federatesWith.includes(domain.replace(/^spiffe:\/\//, '')))
  const lines = [`Found ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`]
  for (const e of entries) {
    lines.push(`Entry ID         : ${e.id}`, `SPIFFE ID        : ${e.spiffeId}`, `Parent ID        : ${e.parentId}`, 'Revision         : 0',
      'X509-SVID TTL    : default', 'JWT-SVID TTL     : default',
      ...e.selectors.map((selector) => `Selector         : ${selector}`),
      ...e.federatesWith.map((domain) => `FederatesWith    : ${domain}`),
      ...(e.hint ? [`Hint             : ${e.hint}`] : []), '')
  }
  return { stdout: lines.join('\n') + '\n', stderr: '', code: 0 }
}

export function lbOf(world: World, state: ClusterState): string | undefined {
  const release = spireRelease(state)
  return lbAddressNow(world, state, release ? find(state, '', 'Service', release.namespace, 'spire-server') : undefined)
}
