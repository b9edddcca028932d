// DRY_RUN=1 make demo, in a temporary copy of the repo, with every cluster tool replaced
// by a trap that records being called: the dry run must call none of them, and every
// file it renders must parse and hold the settings of configuration.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, parseAllDocuments } from 'yaml'
import { scratchDir } from '../scratch.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))

function copyRepo(): string {
  const copy = scratchDir('workbook-dry-run-')
  for (const entry of readdirSync(repo)) {
    if (['.git', 'out', 'node_modules', '.cache', 'workbook.config.json'].includes(entry)) continue
    cpSync(join(repo, entry), join(copy, entry), { recursive: true })
  }
  symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'))
  if (existsSync(join(repo, '.cache'))) symlinkSync(join(repo, '.cache'), join(copy, '.cache'))
  return copy
}

function trapTools(copy: string): string {
  const bin = join(copy, 'trap-bin')
  mkdirSync(bin)
  for (const tool of ['docker', 'kind', 'kubectl', 'helm', 'istioctl']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${join(copy, 'trap-calls')}"\nexit 99\n`, { flag: 'w' })
    chmodSync(join(bin, tool), 0o755)
  }
  return bin
}

const copy = copyRepo()
const trapBin = trapTools(copy)
const run = spawnSync('make', ['demo'], {
  cwd: copy,
  env: { PATH: `${trapBin}:${dirname(process.execPath)}:${process.env.PATH}`, HOME: copy, DRY_RUN: '1', CI: 'true', KUBECONFIG: join(copy, 'no-kubeconfig') },
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 120_000,
})
const out = join(copy, 'out', 'dry-run')
const yamlOf = (step: string, file: string) => parse(readFileSync(join(out, step, file), 'utf8'))
const docsOf = (step: string, file: string) => parseAllDocuments(readFileSync(join(out, step, file), 'utf8')).map((d) => d.toJS())

test('DRY_RUN=1 make demo completes without calling any cluster tool', () => {
  assert.equal(run.status, 0, `make demo failed:\n${run.stdout}\n${run.stderr}`)
  assert.equal(existsSync(join(copy, 'trap-calls')), false, existsSync(join(copy, 'trap-calls')) ? readFileSync(join(copy, 'trap-calls'), 'utf8') : '')
  assert.match(run.stdout, /15-send-requests/)
  assert.match(run.stdout, /stand-in/)
})

test('10-15: each command names the cluster it belongs to: the Service in both, v1 in east, v2 in west, curl and its requests in east', () => {
  const commands = run.stdout.split('\n').filter((line) => /^\[(east|west)\] \$ /.test(line))
  const ran = (pattern: RegExp) => commands.filter((line) => pattern.test(line))
  assert.deepEqual(ran(/kubectl apply .*helloworld\.yaml/), [
    '[east] $ kubectl apply --context=kind-cluster-east -f out/dry-run/10-helloworld-service/east-helloworld.yaml -l service=helloworld',
    '[west] $ kubectl apply --context=kind-cluster-west -f out/dry-run/10-helloworld-service/west-helloworld.yaml -l service=helloworld',
    '[east] $ kubectl apply --context=kind-cluster-east -f out/dry-run/11-helloworld-v1/east-helloworld.yaml -l version=v1',
    '[west] $ kubectl apply --context=kind-cluster-west -f out/dry-run/12-helloworld-v2/west-helloworld.yaml -l version=v2',
  ])
  assert.deepEqual(ran(/patch deploy helloworld-v1/).map((line) => line.slice(0, 6)), ['[east]'])
  assert.deepEqual(ran(/patch deploy helloworld-v2/).map((line) => line.slice(0, 6)), ['[west]'])
  assert.deepEqual(ran(/apply .*curl\.yaml/).map((line) => line.slice(0, 6)), ['[east]'])
  assert.deepEqual(ran(/exec deploy\/curl/).map((line) => line.slice(0, 6)), ['[east]'])
})

test('every rendered file parses as YAML', () => {
  const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'))
  assert.ok(files.length >= 20, `only ${files.length} files: ${files.join(', ')}`)
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(out, file), 'utf8'))) assert.equal(doc.errors.length, 0, file)
  }
})

test('01: one control-plane node per cluster, and pools from the kind network', () => {
  const kind = yamlOf('01-clusters', 'east-kind-config.yaml')
  assert.equal(kind.kind, 'Cluster')
  assert.equal(kind.name, 'cluster-east')
  assert.deepEqual(kind.nodes.map((n: { role: string }) => n.role), ['control-plane'])
  assert.equal(kind.featureGates, undefined)
  for (const [cluster, space] of [['east', 254], ['west', 255]] as const) {
    const [pool, l2] = docsOf('01-clusters', `${cluster}-metallb-pool.yaml`)
    assert.equal(pool.apiVersion, 'metallb.io/v1beta1')
    assert.equal(pool.kind, 'IPAddressPool')
    assert.equal(pool.metadata.namespace, 'metallb-system')
    assert.deepEqual(pool.spec.addresses, [`172.18.${space}.200-172.18.${space}.240`])
    assert.equal(l2.kind, 'L2Advertisement')
    assert.equal(l2.metadata.namespace, 'metallb-system')
  }
})

test('04: SPIRE values, shared then per cluster, in the order of the -f flags', () => {
  const base = yamlOf('04-spire-install', 'east-values-1-spire-base.yaml')
  assert.deepEqual(base.global.spire.caSubject, { country: 'US', organization: 'istio.io' })
  const server = base['spire-server']
  assert.equal(server.service.type, 'LoadBalancer')
  assert.equal(server.federation.enabled, true)
  assert.equal(server.controllerManager.enabled, true)
  const ids = server.controllerManager.identities.clusterSPIFFEIDs
  assert.equal(ids.default.enabled, false)
  assert.equal(ids.sidecars.spiffeIDTemplate, 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}')
  assert.deepEqual(ids.sidecars.podSelector.matchExpressions, [{ key: 'service.istio.io/canonical-name', operator: 'Exists' }])
  assert.equal(ids['oidc-discovery-provider'].enabled, false)
  assert.equal(ids['test-keys'].enabled, false)
  assert.deepEqual(base['spire-agent'].sds, { enabled: true, defaultSVIDName: 'default', defaultBundleName: 'null', defaultAllBundlesName: 'ROOTCA' })
  assert.equal(base['spiffe-oidc-discovery-provider'].enabled, false)
  for (const [c, o] of [['east', 'west'], ['west', 'east']]) {
    const own = yamlOf('04-spire-install', `${c}-values-2-spire-${c}.yaml`)
    assert.deepEqual(own.global.spire, { clusterName: c, trustDomain: `${c}.local`, caSubject: { commonName: `${c}.local` } })
    assert.deepEqual(own['spire-server'].controllerManager.identities.clusterSPIFFEIDs.sidecars.federatesWith, [`${o}.local`])
  }
})

test('05: each cluster gets a ClusterFederatedTrustDomain for the other', () => {
  for (const [c, o, space] of [['east', 'west', 255], ['west', 'east', 254]] as const) {
    const cftd = yamlOf('05-federate-bundles', `${c}-cluster-federated-trust-domain-${o}.yaml`)
    assert.equal(cftd.apiVersion, 'spire.spiffe.io/v1alpha1')
    assert.equal(cftd.kind, 'ClusterFederatedTrustDomain')
    assert.equal(cftd.metadata.name, o)
    assert.deepEqual(Object.keys(cftd.metadata), ['name'])
    assert.equal(cftd.spec.className, 'spire-spire')
    assert.equal(cftd.spec.trustDomain, `${o}.local`)
    assert.equal(cftd.spec.bundleEndpointURL, `https://172.18.${space}.200:8443`)
    assert.deepEqual(cftd.spec.bundleEndpointProfile, { type: 'https_spiffe', endpointSPIFFEID: `spiffe://${o}.local/spire/server` })
    // Shaped like a real one: the X.509 authority carries its CA certificate (x5c), for the
    // other trust domain, and there is a JWT authority besides.
    const keys = JSON.parse(cftd.spec.trustDomainBundle).keys
    assert.deepEqual(keys.map((k: { use: string }) => k.use), ['x509-svid', 'jwt-svid'])
    const ca = new X509Certificate(Buffer.from(keys[0].x5c[0], 'base64'))
    assert.equal(ca.ca, true)
    assert.equal(ca.subjectAltName, `URI:spiffe://${o}.local`)
  }
})

test('06: named control planes that accept both trust domains and mount the SPIFFE socket', () => {
  for (const [c, o, space] of [['east', 'west', 255], ['west', 'east', 254]] as const) {
    const op = yamlOf('06-istio-control-planes', `${c}-istio-control-plane.yaml`)
    assert.equal(op.apiVersion, 'install.istio.io/v1alpha1')
    assert.equal(op.kind, 'IstioOperator')
    // A name of its own: istioctl prunes by the owning IstioOperator's name, and an unnamed
    // one would prune the east-west gateway that the IstioOperator of step 07 installed.
    assert.deepEqual(op.metadata, { name: 'control-plane' })
    assert.equal(op.spec.profile, 'minimal')
    assert.equal(op.spec.meshConfig.accessLogFile, '/dev/stdout')
    assert.equal(op.spec.meshConfig.trustDomain, `${c}.local`)
    assert.deepEqual(op.spec.meshConfig.caCertificates, [
      { spiffeBundleUrl: 'https://spire-server.spire.svc.cluster.local:8443', trustDomains: [`${c}.local`] },
      { spiffeBundleUrl: `https://172.18.${space}.200:8443`, trustDomains: [`${o}.local`] },
    ])
    assert.equal(op.spec.values.global.meshID, `${c}-mesh`)
    assert.equal(op.spec.values.global.multiCluster.clusterName, c)
    assert.equal(op.spec.values.global.network, `${c}-network`)
    const volume = [{ name: 'workload-socket', csi: { driver: 'csi.spiffe.io', readOnly: true } }]
    const proxy = [{ name: 'istio-proxy', volumeMounts: [{ name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' }] }]
    const templates = op.spec.values.sidecarInjectorWebhook.templates
    assert.equal(typeof templates.spire, 'string')
    assert.deepEqual(parse(templates.spire), { spec: { initContainers: proxy, volumes: volume } })
    assert.deepEqual(parse(templates['spire-gateway']), { spec: { containers: proxy, volumes: volume } })
  }
})

test('07: the east-west gateway of west as gen-eastwest-gateway.sh --network west-network prints it, and the cross-network Gateway', () => {
  const op = yamlOf('07-eastwest-gateway', 'west-eastwest-gateway.yaml')
  assert.equal(op.apiVersion, 'install.istio.io/v1alpha1')
  assert.equal(op.kind, 'IstioOperator')
  assert.deepEqual(op.metadata, { name: 'eastwest' })
  assert.deepEqual(Object.keys(op.spec).sort(), ['components', 'profile', 'values'])
  assert.equal(op.spec.profile, 'empty')
  assert.deepEqual(Object.keys(op.spec.components), ['ingressGateways'])
  assert.equal(op.spec.components.ingressGateways.length, 1)
  const [gw] = op.spec.components.ingressGateways
  assert.equal(gw.name, 'istio-eastwestgateway')
  assert.equal(gw.enabled, true)
  assert.deepEqual(gw.label, { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': 'west-network' })
  assert.deepEqual(gw.k8s.env, [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: 'west-network' }])
  assert.deepEqual(gw.k8s.service.ports.map((p: { name: string; port: number; targetPort: number }) => [p.name, p.port, p.targetPort]),
    [['status-port', 15021, 15021], ['tls', 15443, 15443], ['tls-istiod', 15012, 15012], ['tls-webhook', 15017, 15017]])
  // Without injectionTemplate Istio's gateway chart renders a pod the injector skips.
  assert.deepEqual(op.spec.values, { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } }, global: { network: 'west-network' } })
  const gateway = yamlOf('07-eastwest-gateway', 'west-expose-services.yaml')
  assert.equal(gateway.apiVersion, 'networking.istio.io/v1')
  assert.equal(gateway.kind, 'Gateway')
  assert.equal(gateway.metadata.name, 'cross-network-gateway')
  assert.deepEqual(gateway.spec.selector, { istio: 'eastwestgateway' })
  assert.deepEqual(gateway.spec.servers, [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }])
})

test('08: the remote secret of a dry run is a stand-in without a credential', () => {
  const secret = yamlOf('08-remote-secret', 'east-remote-secret-west.yaml')
  assert.equal(secret.kind, 'Secret')
  assert.equal(secret.metadata.name, 'istio-remote-secret-west')
  assert.match(secret.stringData.west, /server: https:\/\/172\.18\.0\.3:6443/)
  assert.match(secret.stringData.west, /stand-in-not-a-credential/)
})

test('10-14: the sample workloads and the DestinationRule', () => {
  const hello = docsOf('10-helloworld-service', 'east-helloworld.yaml')
  const service = hello.find((d) => d.kind === 'Service')
  assert.deepEqual(service.metadata.labels, { app: 'helloworld', service: 'helloworld' })
  assert.deepEqual(service.spec.ports, [{ port: 5000, name: 'http' }])
  assert.deepEqual(service.spec.selector, { app: 'helloworld' })
  for (const version of ['v1', 'v2']) {
    const deploy = hello.find((d) => d.metadata.name === `helloworld-${version}`)
    assert.deepEqual(deploy.metadata.labels, { app: 'helloworld', version })
    assert.equal(deploy.spec.replicas, 1)
    const [container] = deploy.spec.template.spec.containers
    assert.equal(container.image, `registry.istio.io/release/examples-helloworld-${version}:1.0`)
    assert.equal(container.resources.requests.cpu, '100m')
    assert.deepEqual(container.ports, [{ containerPort: 5000 }])
    assert.equal(deploy.spec.template.spec.serviceAccountName, undefined)
  }
  const curl = docsOf('13-curl', 'east-curl.yaml')
  assert.deepEqual(curl.map((d) => d.kind), ['ServiceAccount', 'Service', 'Deployment'])
  assert.deepEqual(curl[1].spec.ports, [{ port: 80, name: 'http' }])
  assert.equal(curl[2].spec.template.spec.containers[0].image, 'curlimages/curl')
  assert.deepEqual(curl[2].spec.template.spec.containers[0].command, ['/bin/sleep', 'infinity'])
  const rule = yamlOf('14-destination-rule', 'east-destination-rule.yaml')
  assert.equal(rule.apiVersion, 'networking.istio.io/v1')
  assert.equal(rule.metadata.name, 'allow-federated-trust-domain')
  assert.equal(rule.spec.host, 'helloworld.default.svc.cluster.local')
  assert.deepEqual(rule.spec.trafficPolicy.tls, {
    mode: 'ISTIO_MUTUAL',
    subjectAltNames: ['spiffe://east.local/ns/default/sa/default', 'spiffe://west.local/ns/default/sa/default'],
  })
})
