// The lab's tools on their own: real formats, real refusals, and custom kinds, addresses
// and Helm charts only once what they depend on is there.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KubeConfig } from '@kubernetes/client-node'
import { realKubectl, Workspace } from './lab.ts'

const ws = new Workspace()
after(() => ws.remove())
const file = (name: string, text: string) => {
  const path = join(ws.root, name)
  writeFileSync(path, text)
  return path
}
const east = '--context=kind-cluster-a'

before(async () => {
  const made = await ws.run('kind', ['create', 'cluster', '--name', 'cluster-a'])
  assert.equal(made.code, 0, made.output)
})

describe('the lab\'s tools', { concurrency: false }, () => {
  test('kind writes a kubeconfig that @kubernetes/client-node and kubectl read, and refuses a second cluster of the same name', async () => {
    const config = new KubeConfig()
    config.loadFromFile(ws.kubeconfig)
    assert.deepEqual(config.getContexts().map((c) => c.name), ['kind-cluster-a'])
    assert.match(config.getCluster('kind-cluster-a')!.server, /^https:\/\/127\.0\.0\.1:\d+$/)
    // The real kubectl reads it too: it must be there (.ci/run installs it), not skipped.
    assert.ok(existsSync(realKubectl), `the real kubectl is missing at ${realKubectl}: install it (Debian: apt-get install kubernetes-client) or set LAB_REAL_KUBECTL`)
    const listed = spawnSync(realKubectl, ['config', 'get-contexts', '-o', 'name'], { env: { KUBECONFIG: ws.kubeconfig, HOME: ws.home }, encoding: 'utf8' })
    assert.equal(listed.stdout.trim(), 'kind-cluster-a', listed.stderr)
    // The lab's kubectl hands `config` to it, though the tests' PATH holds no /usr/bin.
    assert.ok(!ws.env.PATH!.split(':').some((dir) => dir === '/usr/bin' || dir === '/bin'), ws.env.PATH)
    const viaLab = await ws.run('kubectl', ['config', 'get-contexts', '-o', 'name'])
    assert.equal(viaLab.stdout.trim(), 'kind-cluster-a', viaLab.output)
    const again = await ws.run('kind', ['create', 'cluster', '--name', 'cluster-a'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /node\(s\) already exist for a cluster with the name "cluster-a"/)
    const clusters = await ws.run('kind', ['get', 'clusters'])
    assert.equal(clusters.stdout, 'cluster-a\n')
  })

  test('docker reports the kind network and the node\'s address as the workbook reads them', async () => {
    const gateways = await ws.run('docker', ['network', 'inspect', 'kind', '-f', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'])
    assert.equal(gateways.stdout, '172.18.0.1 fc00:f853:ccd:e793::1 \n')
    const ip = await ws.run('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'cluster-a-control-plane'])
    assert.equal(ip.stdout, '172.18.0.2\n')
    const missing = await ws.run('docker', ['inspect', 'nothing-here'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /Error: No such object: nothing-here/)
  })

  test('unknown flags, subcommands, contexts, namespaces and resources fail as the real tools fail', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['kubectl', [east, 'get', 'pods', '--bogus'], /unknown flag: --bogus/],
      ['kubectl', [east, 'frobnicate'], /unknown command "frobnicate" for "kubectl"/],
      ['kubectl', ['--context=kind-nowhere', 'get', 'pods'], /context "kind-nowhere" does not exist/],
      ['kubectl', [east, 'get', 'frobs'], /the server doesn't have a resource type "frobs"/],
      ['kubectl', [east, 'get', 'svc', 'spire-server', '-n', 'spire'], /services "spire-server" not found/],
      ['kubectl', [east, 'apply', '-n', 'nowhere', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n')], /namespaces "nowhere" not found/],
      ['kubectl', [east, 'apply', '-f', 'https://example.com/x.yaml'], /unable to read URL/],
      ['helm', ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'spire-crds', 'spiffe-hardened/spire-crds', '--version', '0.5.0'], /repo spiffe-hardened not found/],
      ['helm', ['frobnicate'], /unknown command "frobnicate" for "helm"/],
      ['istioctl', ['--context=kind-cluster-a', 'frobnicate'], /unknown command "frobnicate" for "istioctl"/],
      ['istioctl', ['--context=kind-cluster-a', 'remote-clusters'], /no running Istio pods in "istio-system"/],
      ['docker', ['frobnicate'], /'frobnicate' is not a docker command/],
      ['kind', ['get', 'clusters', '--bogus'], /unknown flag: --bogus/],
    ]
    for (const [tool, args, says] of cases) {
      const run = await ws.run(tool, args)
      assert.notEqual(run.code, 0, `${tool} ${args.join(' ')} succeeded`)
      assert.match(run.stderr, says, `${tool} ${args.join(' ')}`)
    }
    const log = ws.invocations().slice(-cases.length)
    assert.deepEqual(log.map((i) => i.tool), cases.map(([tool]) => tool))
    for (const entry of log) {
      assert.ok(entry.exitCode !== 0 && entry.end >= entry.start, JSON.stringify(entry))
    }
  })

  test('custom kinds exist only once their definitions are installed', async () => {
    const pool = file('pool.yaml', 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: p\n  namespace: metallb-system\nspec:\n  addresses: ["172.18.254.200-172.18.254.240"]\n---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l2\n  namespace: metallb-system\n')
    const cftd = file('cftd.yaml', 'apiVersion: spire.spiffe.io/v1alpha1\nkind: ClusterFederatedTrustDomain\nmetadata:\n  name: b\nspec:\n  className: spire-spire\n  trustDomain: b.local\n  bundleEndpointURL: https://172.18.255.200:8443\n  bundleEndpointProfile:\n    type: https_spiffe\n    endpointSPIFFEID: spiffe://b.local/spire/server\n')
    const gateway = file('gw.yaml', 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: default\nspec:\n  selector: {istio: eastwestgateway}\n  servers:\n    - port: {number: 15443, name: tls, protocol: TLS}\n      tls: {mode: AUTO_PASSTHROUGH}\n      hosts: ["*.local"]\n')
    for (const [manifest, kind] of [[pool, 'IPAddressPool'], [cftd, 'ClusterFederatedTrustDomain'], [gateway, 'Gateway']] as const) {
      const run = await ws.run('kubectl', [east, 'apply', '-f', manifest])
      assert.equal(run.code, 1)
      assert.match(run.stderr, new RegExp(`no matches for kind "${kind}"`))
    }
    // MetalLB from a file, as step 01 applies its checked copy (a URL needs a network the lab has not).
    assert.equal((await ws.run('kubectl', [east, 'apply', '-f', fileURLToPath(ws.env.METALLB_MANIFEST_URL!)])).code, 0)
    assert.equal((await ws.run('kubectl', [east, 'wait', '--for=condition=Ready', 'pods', '-l', 'app=metallb', '-n', 'metallb-system', '--timeout=30s'])).code, 0)
    let applied
    for (let i = 0; i < 50; i++) {
      applied = await ws.run('kubectl', [east, 'apply', '-f', pool])
      if (applied.code === 0) break
      assert.match(applied.stderr, /failed calling webhook "ipaddresspoolvalidationwebhook\.metallb\.io"/)
    }
    assert.equal(applied!.code, 0, applied!.output)
    assert.equal((await ws.run('helm', ['repo', 'add', 'spiffe-hardened', 'https://spiffe.github.io/helm-charts-hardened'])).code, 0)
    const spireFirst = await ws.run('helm', ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '--create-namespace', '--version', '0.24.0'])
    assert.equal(spireFirst.code, 1)
    assert.match(spireFirst.stderr, /no matches for kind "ClusterSPIFFEID"/)
    const version = await ws.run('helm', ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'spire-crds', 'spiffe-hardened/spire-crds', '--version', '9.9.9'])
    assert.match(version.stderr, /chart "spire-crds" matching 9\.9\.9 not found in spiffe-hardened index/)
    assert.equal((await ws.run('helm', ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'spire-crds', 'spiffe-hardened/spire-crds', '--version', '0.5.0'])).code, 0)
    const federated = await ws.run('kubectl', [east, 'apply', '-f', cftd])
    assert.equal(federated.code, 0, federated.output)
    assert.equal(federated.stdout, 'clusterfederatedtrustdomain.spire.spiffe.io/b created\n')
  })

  test('MetalLB\'s webhook refuses a pool or an advertisement outside metallb-system, as v0.14.9 does', async () => {
    const elsewhere = file('pool-default.yaml', 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: elsewhere\n  namespace: default\nspec:\n  addresses: ["172.18.253.200-172.18.253.240"]\n---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: elsewhere\n  namespace: default\n')
    const run = await ws.run('kubectl', [east, 'apply', '-f', elsewhere])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /admission webhook "ipaddresspoolvalidationwebhook\.metallb\.io" denied the request: resource must be created in metallb-system namespace/)
    assert.match(run.stderr, /admission webhook "l2advertisementvalidationwebhook\.metallb\.io" denied the request: resource must be created in metallb-system namespace/)
  })

  test('helm without --version installs the newest chart of the index; chart spire refuses what its schema and its templates refuse', async () => {
    const latest = await ws.run('helm', ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'newest-crds', 'spiffe-hardened/spire-crds'])
    assert.equal(latest.code, 0, latest.output)
    assert.match((await ws.run('helm', ['--kube-context=kind-cluster-a', 'list'])).stdout, /^newest-crds\s.*\sspire-crds-0\.6\.0\s/m)
    const spire = ['--kube-context=kind-cluster-a', 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '--create-namespace', '--version', '0.24.0']
    const port = await ws.run('helm', [...spire, '-f', file('agent-port.yaml', 'spire-agent:\n  server:\n    port: "8081"\n')])
    assert.equal(port.code, 1)
    assert.equal(port.stderr.trimEnd(), 'Error: INSTALLATION FAILED: values don\'t meet the specifications of the schema(s) in the following chart(s):\nspire-agent:\n- at \'/server/port\': got string, want integer')
    // As the real helm 4.1.4 says it for chart spire 0.24.0, for a port under the minimum too.
    const zero = await ws.run('helm', [...spire, '-f', file('agent-port-0.yaml', 'spire-agent:\n  server:\n    port: 0\n')])
    assert.match(zero.stderr, /^- at '\/server\/port': minimum: got 0, want 1$/m)
    const property = await ws.run('helm', [...spire, '-f', file('typo.yaml', 'spire-server:\n  controllerManager:\n    identities:\n      clusterSPIFFEIDs:\n        sidecars:\n          federatesWit: [b.local]\n')])
    assert.equal(property.code, 1)
    assert.match(property.stderr, /^Error: INSTALLATION FAILED: execution error at \(spire\/charts\/spire-server\/templates\/controller-manager-cluster-ids\.yaml:34:10\): Unsupported property specified: federatesWit$/m)
    // Unknown keys anywhere else pass, as no schema forbids them.
    const unknown = await ws.run('helm', [...spire, '-f', file('unknown.yaml', 'spire-agent:\n  sds:\n    defaultSVIDname: default\n')])
    assert.equal(unknown.code, 0, unknown.output)
  })

  test('istioctl install refuses unknown fields in spec, components and values, as 1.30.3 does, and drops unknown meshConfig fields', async () => {
    const operator = (spec: string) => file('iop.yaml', `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: probe\n  namespace: istio-system\nspec:\n${spec}`)
    const cases: Array<[string, string]> = [
      ['  profile: minimall\n', 'Error: generate config: merge inputs: profile "minimall" not found: open profiles/minimall.yaml: file does not exist'],
      ['  profile: empty\n  values:\n    global:\n      netwrok: east-network\n', 'Error: generate config: could not unmarshal: error unmarshaling JSON: while decoding JSON: unknown field "netwrok" in istio.operator.v1alpha1.GlobalConfig'],
      ['  profile: empty\n  meshconfig: {}\n', 'Error: generate config: could not unmarshal: json: unknown field "meshconfig"'],
      ['  profile: empty\n  components:\n    ingressGateways:\n      - name: gw\n        k8s:\n          service:\n            ports:\n              - name: tls\n                port: 15443\n                targetprot: 15443\n', 'Error: generate config: could not unmarshal: json: unknown field "targetprot"'],
    ]
    for (const [spec, says] of cases) {
      const run = await ws.run('istioctl', [east, 'install', '-y', '-f', operator(spec)])
      assert.equal(run.code, 1, spec)
      assert.equal(run.stderr.trim(), says)
    }
    const lenient = await ws.run('istioctl', [east, 'install', '-y', '-f', operator('  profile: empty\n  meshConfig:\n    trustDomian: east.local\n')])
    assert.equal(lenient.code, 0, lenient.output)
  })

  test('a LoadBalancer Service gets an address from the pool, after a delay, only with MetalLB and a pool', async () => {
    const lb = file('lb.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80}]\n')
    assert.equal((await ws.run('kubectl', [east, 'apply', '-f', lb])).code, 0)
    // The delay is modelled (5 s): a reader whose clock runs at real time (scale 1) sees no
    // address yet, one whose clock runs at 0 sees it at once. No wall clock involved.
    const jsonpath = '-o=jsonpath={.status.loadBalancer.ingress[0].ip}'
    const early = await ws.run('kubectl', [east, 'get', 'svc', 'web', jsonpath], { env: { LAB_TIME_SCALE: '1' } })
    assert.equal(early.stdout, '', 'the address was there before its modelled delay')
    const late = await ws.run('kubectl', [east, 'get', 'svc', 'web', jsonpath], { env: { LAB_TIME_SCALE: '0' } })
    assert.equal(late.stdout, '172.18.254.200', 'the first address of the pool')
    const json = JSON.parse((await ws.run('kubectl', [east, 'get', 'svc', 'web', '-o', 'json'])).stdout)
    assert.deepEqual(json.status.loadBalancer.ingress, [{ ip: '172.18.254.200', ipMode: 'VIP' }])
    // The same Service in a cluster without MetalLB never gets one.
    assert.equal((await ws.run('kind', ['create', 'cluster', '--name', 'cluster-b'])).code, 0)
    assert.equal((await ws.run('kubectl', ['--context=kind-cluster-b', 'apply', '-f', lb])).code, 0)
    const none = await ws.run('kubectl', ['--context=kind-cluster-b', 'get', 'svc', 'web', jsonpath], { env: { LAB_TIME_SCALE: '0' } })
    assert.equal(none.code, 0)
    assert.equal(none.stdout, '')
    const table = await ws.run('kubectl', ['--context=kind-cluster-b', 'get', 'svc', 'web'])
    assert.match(table.stdout, /LoadBalancer\s+\S+\s+<pending>/)
  })

  test('every invocation is logged with tool, arguments, exit code, start, end and its modelled duration', () => {
    const log = ws.invocations()
    assert.ok(log.length > 20)
    for (const entry of log) {
      assert.deepEqual(Object.keys(entry).sort(), ['args', 'end', 'exitCode', 'modelledMs', 'start', 'tool'])
      assert.ok(['docker', 'kind', 'kubectl', 'helm', 'istioctl'].includes(entry.tool))
      assert.ok(Array.isArray(entry.args) && Number.isInteger(entry.exitCode) && entry.start <= entry.end)
      // What the lab deliberately waited (scaled), never more than the invocation lasted.
      assert.ok(typeof entry.modelledMs === 'number' && entry.modelledMs >= 0 && entry.modelledMs <= entry.end - entry.start + 5, JSON.stringify(entry))
    }
    assert.ok(log.some((e) => (e.modelledMs ?? 0) > 0), 'no invocation was modelled as taking any time')
    assert.ok(log.some((e) => e.tool === 'kind' && e.args.join(' ') === 'create cluster --name cluster-a' && e.exitCode === 0))
  })
})
