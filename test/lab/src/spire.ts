// SPIRE as the spiffe-hardened charts install it: the CRDs chart, the spire chart (server,
// agent, CSI driver, controller manager), each server's own bundle, federation judged
// from the ClusterFederatedTrustDomain objects actually applied, and the `spire-server`
// command inside the server's container.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { lbAddressNow, loadBalancer, workloadReadiness } from './controllers.ts'
import { faults } from './faults.ts'
import { deepEqual, dig, find, isPlainObject, list, type ClusterState, type Obj, type Release, type World } from './model.ts'
import { expectedOf, noRole, pinned, roles } from './expected.ts'
import { crd, configMap, service, serviceAccount, workload } from './objects.ts'
import { scaled } from './timing.ts'

// The versions the repository's index lists (oldest first), from the pinned ones on: the
// tags spire-crds-0.5.0, 0.6.0 and spire-0.24.0 … 0.29.0 of spiffe/helm-charts-hardened.
// Without --version, helm takes the newest, as the real one does.
export const charts: Record<string, string[]> = {
  'spire-crds': ['0.5.0', '0.6.0'],
  spire: ['0.24.0', '0.24.1', '0.24.2', '0.24.3', '0.24.4', '0.24.5', '0.25.0', '0.26.0', '0.26.1', '0.27.0', '0.27.1', '0.28.0', '0.28.1', '0.28.2', '0.28.3', '0.28.4', '0.28.5', '0.29.0'],
}

export const chartAppVersion: Record<string, string> = { 'spire-crds': '0.0.1', spire: '1.11.0' }

// ---------- the charts ----------

export function spireCrdsObjects(): Obj[] {
  return [
    crd('spire.spiffe.io', 'ClusterFederatedTrustDomain', 'clusterfederatedtrustdomains', 'Cluster', ['v1alpha1']),
    crd('spire.spiffe.io', 'ClusterSPIFFEID', 'clusterspiffeids', 'Cluster', ['v1alpha1']),
    crd('spire.spiffe.io', 'ClusterStaticEntry', 'clusterstaticentries', 'Cluster', ['v1alpha1']),
  ]
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
    federation: { enabled: false, bundleEndpoint: { port: 8443 } },
    controllerManager: {
      enabled: true,
      className: '',
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
    objects.push(workload('StatefulSet', 'spire-server', ns, labels('server'), [
      { name: 'spire-server', image: `ghcr.io/spiffe/spire-server:${chartAppVersion.spire}`, args: ['-expandEnv', '-config', '/run/spire/config/server.conf'], ports: [{ containerPort: 8081, name: 'grpc' }, ...(federation ? [{ containerPort: 8443, name: 'federation' }] : [])] },
      ...(dig(server, 'controllerManager', 'enabled') !== false ? [{ name: 'spire-controller-manager', image: 'ghcr.io/spiffe/spire-controller-manager:0.6.0', args: ['--config=controller-manager-config.yaml'] }] : []),
    ], { spec: { serviceAccountName: 'spire-server' } }))
    objects.push(service('spire-server', ns, labels('server'), [
      { name: 'grpc', port: 8081, targetPort: 'grpc' },
      ...(federation ? [{ name: 'federation', port: 8443, targetPort: 'federation' }] : []),
    ], String(dig(server, 'service', 'type') ?? 'ClusterIP'), labels('server')))
    if (dig(server, 'controllerManager', 'enabled') !== false) {
      objects.push(configMap('spire-controller-manager', ns, { 'controller-manager-config.yaml': `className: ${className(release)}\ntrustDomain: ${trustDomain}\nclusterName: ${dig(v, 'global', 'spire', 'clusterName')}\n` }))
      const ids = dig(server, 'controllerManager', 'identities', 'clusterSPIFFEIDs')
      for (const [key, id] of Object.entries(isPlainObject(ids) ? ids : {})) {
        if (!isPlainObject(id) || id.enabled === false) continue
        objects.push({
          apiVersion: 'spire.spiffe.io/v1alpha1',
          kind: 'ClusterSPIFFEID',
          metadata: { name: `${ns}-${release.name}-${key}` },
          spec: {
            className: className(release),
            spiffeIDTemplate: id.spiffeIDTemplate,
            ...(id.podSelector ? { podSelector: id.podSelector } : {}),
            ...(id.namespaceSelector ? { namespaceSelector: id.namespaceSelector } : {}),
            ...(id.federatesWith ? { federatesWith: id.federatesWith } : {}),
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

// A server's own trust bundle, as `bundle show -format spiffe` prints it: fresh keys per run.
export function generateBundle(): Obj {
  const key = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
  const x509 = key()
  const jwt = key()
  // The X.509 authority's certificate, DER in base64 (opaque here: nothing in the lab parses it).
  const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0xb0]), randomBytes(432)]).toString('base64')
  return {
    keys: [
      { use: 'x509-svid', kty: 'EC', crv: 'P-256', x: x509.x, y: x509.y, x5c: [der] },
      { use: 'jwt-svid', kty: 'EC', kid: randomBytes(16).toString('base64url'), crv: 'P-256', x: jwt.x, y: jwt.y },
    ],
    spiffe_sequence: 1,
    spiffe_refresh_hint: 300,
  }
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
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/sidecars/federatesWith', [roles[want.other].trustDomain])
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/oidc-discovery-provider/enabled', false)
  expect('spire-server/controllerManager/identities/clusterSPIFFEIDs/test-keys/enabled', false)
  expect('spire-agent/sds/enabled', true)
  expect('spire-agent/sds/defaultSVIDName', 'default')
  expect('spire-agent/sds/defaultBundleName', 'null')
  expect('spire-agent/sds/defaultAllBundlesName', 'ROOTCA')
  expect('spiffe-oidc-discovery-provider/enabled', false)
  return problems
}

export function serverReadyAt(world: World, state: ClusterState): number {
  const release = spireRelease(state)
  if (!release) return Infinity
  return workloadReadiness(world, state, 'apps', 'StatefulSet', release.namespace, 'spire-server').at
}

// A's view of B's bundle endpoint: https://<B's LoadBalancer address>:8443, if B serves one
// and the address is announced on the kind network (kind), or B's cloud load balancer has
// one (existing clusters: an IP, or a host name once it resolves).
export function bundleEndpoint(world: World, b: ClusterState): { url?: string; at: number; problem?: string } {
  const release = spireRelease(b)
  if (!release) return { at: Infinity, problem: `SPIRE is not installed in ${b.name}` }
  if (dig(release.computed, 'spire-server', 'federation', 'enabled') !== true) return { at: Infinity, problem: `${b.name}'s SPIRE server does not serve a bundle endpoint (federation.enabled is not true)` }
  const svc = find(b, '', 'Service', release.namespace, 'spire-server')
  if (!svc) return { at: Infinity, problem: `${b.name} has no Service spire-server` }
  const lb = loadBalancer(world, b, svc)
  if (!lb.address || !Number.isFinite(lb.at)) return { at: Infinity, problem: `spire-server in ${b.name} has no LoadBalancer address` }
  if (!b.existing) {
    if (list(b, 'metallb.io', 'L2Advertisement', pinned.namespaces.metallb).length === 0) return { at: Infinity, problem: `${b.name}'s MetalLB does not announce ${lb.address} (no L2Advertisement)` }
    const network = world.docker.networks.kind
    if (network && !sameSlash16(network.subnet, lb.address)) return { at: Infinity, problem: `${lb.address} is not on the kind network ${network.subnet}` }
  }
  return { url: `https://${lb.address}:8443`, at: Math.max(lb.reachable, serverReadyAt(world, b)) }
}

function sameSlash16(subnet: string, ip: string): boolean {
  return subnet.split('.').slice(0, 2).join('.') === ip.split('.').slice(0, 2).join('.')
}

export interface Federation {
  trustDomain: string
  bundle?: Obj
  at: number            // when it took (or will take) hold; Infinity: never
  problems: string[]
}

// Whether A's server has (or will have) B's bundle, judged from the ClusterFederatedTrustDomain
// A was given, B's actual endpoint and B's current bundle.
export function federation(world: World, a: ClusterState, b: ClusterState): Federation {
  // B's trust domain is the one its role must have (the lab's table), not what B's values set.
  const bDomain = expectedOf(b)?.trustDomain
  if (!bDomain) return { trustDomain: b.spire?.trustDomain ?? b.name, at: Infinity, problems: [noRole(b)] }
  const problems: string[] = []
  if (b.spire && b.spire.trustDomain !== bDomain) problems.push(`${b.name}'s SPIRE server has trust domain ${b.spire.trustDomain}, not ${bDomain}`)
  const release = spireRelease(a)
  if (!release) return { trustDomain: bDomain, at: Infinity, problems: [`SPIRE is not installed in ${a.name}`] }
  if (dig(release.computed, 'spire-server', 'federation', 'enabled') !== true) problems.push(`federation is not enabled in ${a.name}'s SPIRE values`)
  if (dig(release.computed, 'spire-server', 'controllerManager', 'enabled') !== true) problems.push(`the controller manager is not enabled in ${a.name}'s SPIRE values`)
  const cftds = list(a, 'spire.spiffe.io', 'ClusterFederatedTrustDomain')
  const cftd = cftds.find((s) => s.obj.spec?.trustDomain === bDomain)
  if (!cftd) {
    problems.push(`no ClusterFederatedTrustDomain for ${bDomain} in ${a.name}${cftds.length ? ` (there are: ${cftds.map((s) => `${s.obj.metadata.name} → ${s.obj.spec?.trustDomain}`).join(', ')})` : ''}`)
    return { trustDomain: bDomain, at: Infinity, problems }
  }
  const spec = cftd.obj.spec ?? {}
  const endpoint = bundleEndpoint(world, b)
  if (endpoint.problem) problems.push(endpoint.problem)
  else if (spec.bundleEndpointURL !== endpoint.url) problems.push(`bundleEndpointURL is ${JSON.stringify(spec.bundleEndpointURL)}, but ${b.name}'s bundle endpoint is ${endpoint.url}`)
  if (spec.className !== className(release)) problems.push(`className is ${JSON.stringify(spec.className)}, but ${a.name}'s controller manager handles class ${className(release)}`)
  if (spec.bundleEndpointProfile?.type !== 'https_spiffe') problems.push(`bundleEndpointProfile.type is ${JSON.stringify(spec.bundleEndpointProfile?.type)}, not https_spiffe`)
  if (spec.bundleEndpointProfile?.endpointSPIFFEID !== `spiffe://${bDomain}/spire/server`) problems.push(`endpointSPIFFEID is ${JSON.stringify(spec.bundleEndpointProfile?.endpointSPIFFEID)}, not spiffe://${bDomain}/spire/server`)
  let given: unknown
  try {
    given = typeof spec.trustDomainBundle === 'string' ? JSON.parse(spec.trustDomainBundle) : undefined
  } catch {
    given = undefined
  }
  if (!b.spire) problems.push(`${b.name} has no SPIRE server, so no bundle`)
  else if (!deepEqual(given, b.spire.bundle)) problems.push(`trustDomainBundle is not ${b.name}'s current bundle`)
  if (problems.length > 0) return { trustDomain: bDomain, at: Infinity, problems }
  const at = Math.max(cftd.meta.updated, serverReadyAt(world, a), endpoint.at) + scaled('federation')
  return { trustDomain: bDomain, bundle: b.spire?.bundle, at, problems }
}

// The bundles A's server holds now besides its own.
export function federatedNow(world: World, a: ClusterState, now = Date.now()): Federation[] {
  return otherClusters(world, a).map((b) => federation(world, a, b)).filter((f) => now >= f.at)
}

// ---------- the spire-server command ----------

export interface Exec {
  stdout: string
  stderr: string
  code: number
}

const banner = '****************************************'

export function spireServerCommand(world: World, state: ClusterState, args: string[], now = Date.now()): Exec {
  const usage = 'Usage: spire-server [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n    agent\n    bundle\n    entry\n    federation\n    healthcheck\n    run\n    token\n    validate\n    x509\n    jwt\n'
  const [command, sub, ...rest] = args
  const format = (): string | Exec => {
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '-format' || rest[i] === '--format') {
        const value = rest[i + 1]
        if (value !== 'spiffe' && value !== 'pem') return { stdout: '', stderr: `Error: invalid format: "${value}"\n`, code: 1 }
        return value
      }
      if (rest[i]!.startsWith('-format=')) return rest[i]!.slice(8)
      if (['-socketPath', '-output', '-id'].includes(rest[i]!)) { i++; continue }
      return { stdout: '', stderr: `flag provided but not defined: ${rest[i]}\n`, code: 1 }
    }
    return 'pem'
  }
  const pem = (bundle: Obj) => bundle.keys.filter((key: Obj) => key.use === 'x509-svid').map((key: Obj) => `-----BEGIN CERTIFICATE-----\n${String(key.x5c[0]).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`).join('')
  if (command === 'healthcheck') return { stdout: 'Server is healthy.\n', stderr: '', code: 0 }
  if (command === 'bundle' && sub === 'show') {
    const f = format()
    if (typeof f !== 'string') return f
    if (faults().bundleGarbage) {
      return { stdout: `\u0000\u001b[2Jtime="${new Date(now).toISOString()}" level=warning msg="datastore busy" %!s(MISSING) ${randomBytes(12).toString('hex')} {"keys": [\n`, stderr: '', code: 0 }
    }
    const bundle = state.spire?.bundle
    if (!bundle) return { stdout: '', stderr: 'Error: rpc error: code = NotFound desc = bundle not found\n', code: 1 }
    return { stdout: f === 'spiffe' ? JSON.stringify(bundle, null, 4) + '\n' : pem(bundle), stderr: '', code: 0 }
  }
  if (command === 'bundle' && sub === 'list') {
    const f = format()
    if (typeof f !== 'string') return f
    const held = federatedNow(world, state, now)
    const text = held.map((fed) => `${banner}\n* ${fed.trustDomain}\n${banner}\n${f === 'spiffe' ? JSON.stringify(fed.bundle, null, 4) + '\n' : pem(fed.bundle!)}`).join('\n')
    return { stdout: text, stderr: '', code: 0 }
  }
  if (command === 'federation' && sub === 'list') {
    const relationships = list(state, 'spire.spiffe.io', 'ClusterFederatedTrustDomain')
      .map((s) => s.obj.spec ?? {})
      .filter((spec) => otherClusters(world, state).some((b) => now >= federation(world, state, b).at && (b.spire?.trustDomain === spec.trustDomain)))
    const lines = [`Found ${relationships.length} federation relationship${relationships.length === 1 ? '' : 's'}`, '']
    for (const spec of relationships) {
      lines.push(`Trust domain              : ${spec.trustDomain}`, `Bundle endpoint URL       : ${spec.bundleEndpointURL}`, `Bundle endpoint profile   : ${spec.bundleEndpointProfile?.type}`)
      if (spec.bundleEndpointProfile?.endpointSPIFFEID) lines.push(`Endpoint SPIFFE ID        : ${spec.bundleEndpointProfile.endpointSPIFFEID}`)
      lines.push('')
    }
    return { stdout: lines.join('\n') + '\n', stderr: '', code: 0 }
  }
  if (command === 'entry' && sub === 'show') {
    return { stdout: 'Found 0 entries\n', stderr: '', code: 0 }
  }
  if (command === '--version' || command === 'version') return { stdout: '', stderr: `${chartAppVersion.spire}\n`, code: 0 }
  return { stdout: '', stderr: usage, code: 127 }
}

export function lbOf(world: World, state: ClusterState): string | undefined {
  const release = spireRelease(state)
  return lbAddressNow(world, state, release ? find(state, '', 'Service', release.namespace, 'spire-server') : undefined)
}
