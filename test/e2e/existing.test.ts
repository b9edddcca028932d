// Bring your own clusters: `make demo` with CLUSTER_PROVIDER=existing on two clusters the
// user already has, as the lab models them: east on GKE (its load balancer hands out IPs),
// west on EKS (host names), contexts named as those clouds name them, API servers at URLs
// of their own. No kind, no Docker, no MetalLB; cleanup removes what the workbook installed
// and leaves the clusters.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { defaultExistingClusters } from '../lab/src/existing.ts'
import { addEntries } from '../lab/src/kubeconfig.ts'
import type { ClusterState, Obj } from '../lab/src/model.ts'
import { snapshot, tail, Workspace, type Invocation, type Run } from './lab.ts'

const [east, west] = defaultExistingClusters as [typeof defaultExistingClusters[0], typeof defaultExistingClusters[0]]
const env = { CLUSTER_PROVIDER: 'existing', EAST_CONTEXT: east.context, WEST_CONTEXT: west.context }
const ws = new Workspace({ env })
const workspaces = [ws]
after(() => workspaces.forEach((w) => w.remove()))

let pristine: ReturnType<typeof snapshot>
let first: Run

const cluster = (name: string): ClusterState => {
  const state = ws.clusters()[name]
  assert.ok(state, `the lab has cluster ${name}`)
  return state
}
const object = (state: ClusterState, key: string): Obj | undefined => state.objects[key]?.obj
const lbAddress = (state: ClusterState, namespace: string, name: string): string => {
  const address = state.objects[`|Service|${namespace}|${name}`]?.meta.lbAddress
  assert.ok(address, `${name} in ${state.name} has a load balancer address`)
  return address
}
const kubeconfigServer = (context: string): string => {
  const doc = parse(readFileSync(ws.kubeconfig, 'utf8'))
  const entry = doc.contexts.find((c: Obj) => c.name === context)
  return doc.clusters.find((c: Obj) => c.name === entry.context.cluster).cluster.server
}
const ran = (calls: Invocation[], tool: string, ...words: string[]) => calls.filter((i) => i.tool === tool && words.every((w) => i.args.includes(w)))
const ip = /^\d{1,3}(\.\d{1,3}){3}$/
const elb = /^a[0-9a-f]{32}-\d{10}\.eu-west-1\.elb\.amazonaws\.com$/

// Poll a lab tool until its output satisfies `wanted` (the lab's clock runs at 1/1000).
async function eventually(tool: string, args: string[], wanted: (stdout: string) => boolean, what: string): Promise<string> {
  let last = ''
  for (let i = 0; i < 40; i++) {
    last = (await ws.run(tool, args)).stdout
    if (wanted(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.fail(`${what}; last saw:\n${last}`)
}


// What ran, leaving out the tools telling their version (each step asks it of the tools it
// runs, lib/toolchain.ts): nothing else may run before bad input is refused.
const ranBesidesVersion = (calls: Array<{ tool: string; args: string[] }>) =>
  calls.filter((i) => i.args[0] !== 'version').map((i) => `${i.tool} ${i.args.join(' ')}`)

// The demo's workspace and the other one's are apart: the two suites run side by side.
describe('existing clusters', { concurrency: 2 }, () => {
  describe('make demo on two existing clusters (CLUSTER_PROVIDER=existing)', { concurrency: false }, () => {
    before(async () => {
      ws.existingClusters()
      pristine = snapshot(ws)
      first = await ws.make('demo', { timeoutMs: 120_000 })
    })

    test('without a terminal, make demo succeeds and both versions answer', () => {
      assert.equal(first.code, 0, tail(first))
      assert.match(first.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/, tail(first))
      // 01 asked both contexts whether they answer, and each load balancer for an address.
      for (const c of [east, west]) {
        assert.equal(ran(ws.invocations(), 'kubectl', `--context=${c.context}`, 'get', '--raw=/readyz').filter((i) => i.exitCode === 0).length >= 1, true, `01 checked ${c.context}`)
      }
      assert.match(first.output, /\[east\] ✔ a LoadBalancer address for a test Service: \d+\.\d+\.\d+\.\d+/)
      assert.match(first.output, /\[west\] ✔ a LoadBalancer address for a test Service/)
    })

    test('no kind or docker command ran, nothing was made of either, and no MetalLB was installed', () => {
      const calls = ws.invocations()
      assert.ok(calls.length > 40, 'the demo ran its commands')
      assert.deepEqual(calls.filter((i) => i.tool === 'kind' || i.tool === 'docker').map((i) => `${i.tool} ${i.args.join(' ')}`), [], 'kind or docker ran')
      assert.deepEqual(Object.keys(ws.clusters()).sort(), [east.name, west.name])
      assert.deepEqual(ws.docker(), { networks: {}, containers: {} })
      assert.deepEqual(calls.filter((i) => i.args.some((a) => /metallb/i.test(a))).map((i) => i.args.join(' ')), [], 'a MetalLB manifest was applied')
      for (const name of [east.name, west.name]) {
        assert.equal(object(cluster(name), '|Namespace||metallb-system'), undefined, `${name} has MetalLB's namespace`)
      }
    })

    test('each ClusterFederatedTrustDomain and control plane names the other cluster\'s bundle endpoint: west\'s ELB host name, east\'s IP', () => {
      const eastState = cluster(east.name)
      const westState = cluster(west.name)
      const westEndpoint = lbAddress(westState, 'spire', 'spire-server')
      const eastEndpoint = lbAddress(eastState, 'spire', 'spire-server')
      assert.match(westEndpoint, elb, 'west\'s cloud hands out host names')
      assert.match(eastEndpoint, ip, 'east\'s cloud hands out IPs')
      // What the workbook applied (the lab's record), and what the clusters hold.
      const cftds = ws.applied().flatMap((r) => r.documents.filter((d) => d.kind === 'ClusterFederatedTrustDomain').map((d) => ({ cluster: r.cluster, doc: d })))
      assert.deepEqual(cftds.filter((c) => c.cluster === east.name).map((c) => c.doc.spec.bundleEndpointURL), [`https://${westEndpoint}:8443`])
      assert.deepEqual(cftds.filter((c) => c.cluster === west.name).map((c) => c.doc.spec.bundleEndpointURL), [`https://${eastEndpoint}:8443`])
      assert.equal(object(eastState, 'spire.spiffe.io|ClusterFederatedTrustDomain||west')?.spec.bundleEndpointURL, `https://${westEndpoint}:8443`)
      assert.equal(object(westState, 'spire.spiffe.io|ClusterFederatedTrustDomain||east')?.spec.bundleEndpointURL, `https://${eastEndpoint}:8443`)
      const bundleUrls = (state: ClusterState) => Object.values(state.operators).flatMap((op) => op.spec.meshConfig?.caCertificates ?? []).map((c: Obj) => `${c.trustDomains.join(',')} ${c.spiffeBundleUrl}`).sort()
      assert.deepEqual(bundleUrls(eastState), ['east.local https://spire-server.spire.svc.cluster.local:8443', `west.local https://${westEndpoint}:8443`])
      assert.deepEqual(bundleUrls(westState), [`east.local https://${eastEndpoint}:8443`, 'west.local https://spire-server.spire.svc.cluster.local:8443'])
      // The east-west gateway has a host name too; east's proxies reached v2 through it.
      assert.match(lbAddress(westState, 'istio-system', 'istio-eastwestgateway'), elb)
    })

    test('the remote secret in east carries west\'s API server URL from the kubeconfig, and east\'s istiod has west synced', async () => {
      const server = kubeconfigServer(west.context)
      assert.equal(server, west.server)
      const secret = object(cluster(east.name), '|Secret|istio-system|istio-remote-secret-west')
      assert.ok(secret, 'east holds the remote secret for west')
      const kubeconfig = parse(Buffer.from(String(secret.data.west), 'base64').toString('utf8'))
      assert.equal(kubeconfig.clusters[0].cluster.server, server)
      const created = ran(ws.invocations(), 'istioctl', `--context=${west.context}`, 'create-remote-secret')
      assert.ok(created.length >= 1 && created.every((i) => i.args.includes(`--server=${server}`)), created.map((i) => i.args.join(' ')).join('\n'))
      const listed = await ws.ok('istioctl', [`--context=${east.context}`, 'remote-clusters'])
      assert.match(listed, /^west\s+istio-system\/istio-remote-secret-west\s+synced\s/m, listed)
    })

    test('01\'s throwaway LoadBalancer Service got an address in both clusters and is gone afterwards', () => {
      const checks = ws.applied().filter((r) => r.documents.some((d) => d.kind === 'Service' && d.metadata?.name === 'workbook-lb-check'))
      assert.deepEqual(checks.map((r) => r.cluster).sort(), [east.name, west.name])
      for (const c of [east, west]) {
        assert.equal(ran(ws.invocations(), 'kubectl', `--context=${c.context}`, 'delete').filter((i) => i.exitCode === 0 && i.args.some((a) => a.includes('lb-check'))).length, 1, `01 deleted the check in ${c.name}`)
        assert.equal(object(cluster(c.name), '|Service|default|workbook-lb-check'), undefined, `workbook-lb-check is left in ${c.name}`)
      }
    })

    test('a second make demo succeeds and changes nothing', async () => {
      const before = snapshot(ws)
      const calls = ws.invocations().length
      const second = await ws.make('demo', { timeoutMs: 120_000 })
      assert.equal(second.code, 0, tail(second))
      assert.match(second.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
      const again = ws.invocations().slice(calls)
      assert.ok(again.length > 40, 'the second run ran its commands')
      assert.deepEqual(again.filter((i) => i.tool === 'kind'), [], 'kind ran')
      const after = snapshot(ws)
      assert.deepEqual(Object.keys(after.things).sort(), Object.keys(before.things).sort(), 'the same objects, releases and clusters')
      for (const key of Object.keys(before.things)) assert.deepEqual(after.things[key], before.things[key], `${key} changed`)
      assert.deepEqual(Object.keys(after.pods).sort(), Object.keys(before.pods).sort())
      for (const [owner, names] of Object.entries(before.pods)) {
        assert.equal(after.pods[owner]!.length, names.length, `${owner}: pods`)
        // As on kind: istioctl install puts the gateway's template annotation back, 07 patches it again.
        if (!owner.includes('istio-eastwestgateway')) assert.deepEqual(after.pods[owner], names, `${owner}: pods were replaced`)
      }
    })

    test('the lab holds existing clusters to their real addresses: another server URL for west, or another host for its bundle endpoint, does not work', async () => {
      const EAST = `--context=${east.context}`
      const WEST = `--context=${west.context}`
      // West's API server on another port (kind's 6443): a remote secret east's istiod cannot use.
      const wrong = await ws.ok('istioctl', [WEST, 'create-remote-secret', '--name=west', `--server=${west.server}:6443`])
      await ws.ok('kubectl', [EAST, 'apply', '-f', '-'], { input: wrong })
      await eventually('istioctl', [EAST, 'remote-clusters'], (out) => /^west\s+\S+\s+timeout\s/m.test(out), 'west stays synced with a secret naming another port')
      const restored = await ws.make('08')
      assert.equal(restored.code, 0, tail(restored))
      await eventually('istioctl', [EAST, 'remote-clusters'], (out) => /^west\s+\S+\s+synced\s/m.test(out), 'west is not synced again after make 08')
      // East told to fetch west's bundle from west's east-west gateway's host name instead of
      // spire-server's: the URL changed, so the controller manager updates the relationship,
      // and nothing there serves a bundle. 05 puts it right.
      const federationList = [EAST, 'exec', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', 'federation', 'list']
      const cftd = structuredClone(object(cluster(east.name), 'spire.spiffe.io|ClusterFederatedTrustDomain||west')!)
      const gateway = lbAddress(cluster(west.name), 'istio-system', 'istio-eastwestgateway')
      const endpoint = lbAddress(cluster(west.name), 'spire', 'spire-server')
      cftd.spec.bundleEndpointURL = `https://${gateway}:8443`
      await ws.ok('kubectl', [EAST, 'apply', '-f', '-'], { input: JSON.stringify({ apiVersion: cftd.apiVersion, kind: cftd.kind, metadata: { name: cftd.metadata.name }, spec: cftd.spec }) })
      await eventually('kubectl', federationList, (out) => out.includes(`Bundle endpoint URL       : https://${gateway}:8443`), 'east\'s relationship with west.local does not name the gateway')
      const probe = (name: string, host: string) => ws.run('kubectl', [EAST, 'run', name, '--rm', '--attach', '-q', '--restart=Never', '--image=curlimages/curl:8.14.1', '--labels=sidecar.istio.io/inject=false', '--', 'curl', '-sSk', `https://${host}:8443`])
      const atGateway = await probe('probe-gateway', gateway)
      assert.ok(atGateway.code !== 0 || !atGateway.stdout.includes('"keys"'), `the gateway served a bundle:\n${atGateway.output}`)
      const atEndpoint = await probe('probe-endpoint', endpoint)
      assert.equal(atEndpoint.code, 0, atEndpoint.output)
      assert.deepEqual(JSON.parse(atEndpoint.stdout).keys, cluster(west.name).spire!.bundle.keys, 'west\'s endpoint serves west\'s bundle')
      const refederated = await ws.make('05')
      assert.equal(refederated.code, 0, tail(refederated))
      assert.match(await ws.ok('kubectl', federationList), new RegExp(`Bundle endpoint URL {7}: https://${endpoint.replaceAll('.', '\\.')}:8443`))
    })

    test('make clean YES=1 removes what the workbook installed, and only that: SPIRE\'s kept CRDs and retained volume, the reader token, the namespaces, with no pod left Terminating', async () => {
      // What would outlive a plain `helm uninstall` and `istioctl uninstall`: there before.
      for (const c of [east, west]) {
        const state = cluster(c.name)
        assert.ok(object(state, '|PersistentVolumeClaim|spire|spire-data-spire-server-0'), `${c.name} has SPIRE's data volume`)
        assert.equal(object(state, 'apiextensions.k8s.io|CustomResourceDefinition||clusterfederatedtrustdomains.spire.spiffe.io')?.metadata.annotations['helm.sh/resource-policy'], 'keep')
      }
      assert.ok(object(cluster(west.name), '|Secret|istio-system|istio-reader-service-account-istio-remote-secret-token'), 'west has the reader token Secret')
      const calls = ws.invocations().length
      // A slower clock, so that pods take a while to terminate (1.5 s): long enough that
      // removing SPIRE's CSI driver before they are gone leaves them stuck.
      const clean = await ws.make('clean', { env: { YES: '1', LAB_TIME_SCALE: '0.05' } })
      assert.equal(clean.code, 0, tail(clean))
      const during = ws.invocations().slice(calls)
      assert.deepEqual(during.filter((i) => i.tool === 'kind' || i.tool === 'docker'), [], 'kind or docker ran')
      for (const c of [east, west]) assert.equal(ran(during, 'istioctl', `--context=${c.context}`, 'uninstall', '--purge').length, 1, `Istio uninstalled from ${c.name}`)
      // The clusters and the kubeconfig are as they were.
      assert.deepEqual(Object.keys(ws.clusters()).sort(), [east.name, west.name])
      assert.equal(readFileSync(ws.kubeconfig, 'utf8'), pristine.things.kubeconfig, 'the kubeconfig changed')
      for (const c of [east, west]) {
        const state = cluster(c.name)
        assert.deepEqual(state.releases, {}, `${c.name} keeps Helm releases`)
        assert.deepEqual(state.operators, {}, `${c.name} keeps Istio`)
        assert.equal(state.spire, undefined, `${c.name} keeps a SPIRE server`)
        const left = Object.keys(state.objects).filter((key) => /helloworld|curl|ClusterFederatedTrustDomain|istio-remote-secret|DestinationRule|istiod|spire-server|\.istio\.io|spiffe/.test(key))
        assert.deepEqual(left, [], `left in ${c.name}`)
        assert.equal(object(state, '|Namespace||default')?.metadata.labels['istio-injection'], undefined, `${c.name}'s default namespace is still labelled for injection`)
      }
      // No pod is stuck Terminating (its CSI driver went first), now or a moment later.
      await new Promise((resolve) => setTimeout(resolve, 1600))
      for (const c of [east, west]) {
        const stuck = Object.values(cluster(c.name).terminating ?? {}).filter((pod) => pod.stuck || Date.now() < pod.until)
        assert.deepEqual(stuck.map((pod) => `${pod.obj.metadata.namespace}/${pod.obj.metadata.name}: ${pod.stuck ?? 'terminating'}`), [], `pods left in ${c.name}`)
        const listed = await ws.ok('kubectl', [`--context=${c.context}`, 'get', 'pods', '-A'])
        assert.doesNotMatch(listed, /Terminating/, `kubectl get pods -A in ${c.name}`)
      }
      // West's token for east's istiod is revoked: the Secret is gone, and the token with it.
      assert.equal(cluster(west.name).readerToken, undefined, 'west still accepts the reader token')
      // Everything the clusters had before the demo is there as it was, and nothing else: no
      // namespace, CRD, volume or Secret the workbook made is left.
      const now = snapshot(ws)
      const clusterKeys = (s: typeof now) => Object.keys(s.things).filter((k) => k.startsWith(`${east.name} `) || k.startsWith(`${west.name} `)).sort()
      for (const key of clusterKeys(pristine)) assert.deepEqual(now.things[key], pristine.things[key], `${key} differs from before the demo`)
      assert.deepEqual(clusterKeys(now).filter((k) => !(k in pristine.things)), [], 'left behind')
      assert.deepEqual(now.pods, pristine.pods)
      // Nothing left to remove: a second cleanup succeeds as well.
      const again = await ws.make('clean', { env: { YES: '1' } })
      assert.equal(again.code, 0, tail(again))
      assert.deepEqual(Object.keys(ws.clusters()).sort(), [east.name, west.name])
    })
  })

  describe('existing clusters in the lab, and 01 refusing what it cannot use', { concurrency: false }, () => {
    const other = new Workspace({ env })
    workspaces.push(other)
    before(() => {
      other.existingClusters()
      // A third context whose cluster is gone: it exists in the kubeconfig, but nothing answers.
      addEntries(other.kubeconfig, [{ name: 'old-staging', server: 'https://staging.api.example.internal:443', ca: '', user: { token: 'none' } }])
    })

    test('the lab\'s tools treat them as clusters of their clouds: no kind cluster, their own API server URLs, cloud load balancers', async () => {
      const EAST = `--context=${east.context}`
      const WEST = `--context=${west.context}`
      const run = async (tool: string, args: string[], input?: string, options: { env?: Record<string, string> } = {}) => {
        const result = await other.run(tool, args, { input, ...options })
        assert.equal(result.code, 0, `${tool} ${args.join(' ')}:\n${result.output}`)
        return result
      }
      assert.match((await run('kind', ['get', 'clusters'])).stderr, /No kind clusters found/)
      assert.match((await run('kubectl', [WEST, 'cluster-info'])).stdout, new RegExp(`^Kubernetes control plane is running at ${west.server.replace(/\./g, '\\.')}\n`))
      assert.equal((await run('kubectl', [EAST, 'get', '--raw=/readyz'])).stdout, 'ok\n')
      // kind knows nothing of them: deleting a kind cluster of the same name leaves them be.
      await run('kind', ['delete', 'cluster', '--name', west.name])
      assert.ok(other.clusters()[west.name], 'kind deleted an existing cluster')
      assert.match(readFileSync(other.kubeconfig, 'utf8'), new RegExp(west.context.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      // A LoadBalancer Service gets, after a modelled delay (30 s), a host name in west and an
      // IP in east: a reader on a real-time clock (scale 1) sees none yet, one on a clock at 0
      // sees it at once.
      const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: probe\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 443\n'
      const ingress = ['get', 'svc', 'probe', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}|{.status.loadBalancer.ingress[0].hostname}']
      const clock = (scale: string) => ({ env: { LAB_TIME_SCALE: scale } })
      for (const [context, shape] of [[WEST, /^\|a[0-9a-f]{32}-\d{10}\.eu-west-1\.elb\.amazonaws\.com$/], [EAST, /^\d{1,3}(\.\d{1,3}){3}\|$/]] as const) {
        await run('kubectl', [context, 'apply', '-f', '-'], service)
        assert.equal((await other.run('kubectl', [context, ...ingress], clock('1'))).stdout, '|', 'the address came before its modelled delay')
        const seen = (await other.run('kubectl', [context, ...ingress], clock('0'))).stdout
        assert.match(seen, shape)
        assert.match((await run('kubectl', [context, 'get', 'svc', 'probe'], undefined, clock('0'))).stdout, new RegExp(`probe\\s+LoadBalancer\\s+\\S+\\s+${seen.replace('|', '').replace(/\./g, '\\.')}\\s`))
        await run('kubectl', [context, 'delete', 'svc', 'probe'])
      }
      // No MetalLB, and Docker being down takes no existing cluster with it.
      assert.match((await other.run('kubectl', [EAST, 'get', 'ns', 'metallb-system'])).stderr, /namespaces "metallb-system" not found/)
      other.setFaults({ dockerDown: true })
      await run('kubectl', [WEST, 'get', 'ns', 'default'])
      other.clearFaults()
    })

    test('a context that does not exist (EAST_CONTEXT=nope): refused with the contexts that do, before any tool runs', async () => {
      const calls = other.invocations().length
      const run = await other.make('01', { env: { EAST_CONTEXT: 'nope' } })
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, new RegExp(`no kubeconfig context "nope" for the east cluster \\(the kubeconfig has: ${[east.context, west.context, 'old-staging'].map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join(', ')}\\)`), tail(run))
      assert.match(run.stderr, /set EAST_CONTEXT to one of the contexts listed/)
      assert.deepEqual(ranBesidesVersion(other.invocations().slice(calls)), [], 'a tool ran')
    })

    test('a west API server only this machine reaches (k3d\'s 0.0.0.0): refused by 01 before anything runs, with WEST_API_SERVER as the way out', async () => {
      addEntries(other.kubeconfig, [{ name: 'k3d-west', server: 'https://0.0.0.0:6550', ca: '', user: { token: 'none' } }])
      const calls = other.invocations().length
      const run = await other.make('01', { env: { WEST_CONTEXT: 'k3d-west' } })
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /context k3d-west reaches its API server at https:\/\/0\.0\.0\.0:6550, an address that only works from this machine/, tail(run))
      assert.match(run.stderr, /set WEST_API_SERVER/)
      assert.deepEqual(ranBesidesVersion(other.invocations().slice(calls)), [], 'a tool ran')
    })

    test('a context whose cluster does not answer: refused at its readiness check, with what to check', async () => {
      const calls = other.invocations().length
      const run = await other.make('01', { env: { WEST_CONTEXT: 'old-staging' } })
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /The connection to the server staging\.api\.example\.internal:443 was refused/, tail(run))
      assert.match(run.stderr, /check that context old-staging points at a running cluster/)
      assert.deepEqual(other.invocations().slice(calls).filter((i) => i.args.includes('apply')), [], 'something was applied')
    })

    test('after a demo that stopped after step 04, make clean YES=1 removes SPIRE all the same', async () => {
      const partial = await other.chain(['01-clusters', '02-environment', '03-spire-helm-repo', '04-spire-install'])
      assert.equal(partial.failedAt, undefined, partial.output.slice(-3000))
      assert.equal(Object.keys(other.clusters()[east.name]!.releases).length, 2, 'SPIRE is installed in east')
      const clean = await other.make('clean', { env: { YES: '1' } })
      assert.equal(clean.code, 0, tail(clean))
      for (const name of [east.name, west.name]) {
        const state = other.clusters()[name]!
        assert.deepEqual(state.releases, {}, `${name} keeps Helm releases`)
        assert.deepEqual(Object.keys(state.objects).filter((key) => key.includes('spire.spiffe.io')), [], `${name} keeps SPIRE's kinds`)
      }
    })

    test('a load balancer that never hands out an address: 01 says so by its deadline and removes its test Service', async () => {
      other.setFaults({ lbNeverAssigned: true })
      const run = await other.make('01', { env: { WAIT_LB_ADDRESS_SECONDS: '1' } })
      other.clearFaults()
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /gave up waiting for a LoadBalancer address for a test Service/, tail(run))
      assert.match(run.stderr, /install a load balancer/)
      for (const name of [east.name, west.name]) {
        assert.equal(other.clusters()[name]!.objects['|Service|default|workbook-lb-check'], undefined, `workbook-lb-check is left in ${name}`)
      }
      const rerun = await other.make('01')
      assert.equal(rerun.code, 0, tail(rerun))
    })

    test('a cluster without a default StorageClass: 01 says so before anything is installed; there, spire-server-0 would stay Pending', async () => {
      const bare = new Workspace({ env })
      workspaces.push(bare)
      bare.existingClusters([east, { ...west, storageClass: '' }])
      const run = await bare.make('01')
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, new RegExp(`context ${west.context.replace(/[.:/]/g, '\\$&')} has no default StorageClass: SPIRE's server keeps its keys and datastore on a PersistentVolumeClaim`), tail(run))
      assert.match(run.stderr, /storageclass\.kubernetes\.io\/is-default-class/)
      assert.deepEqual(bare.invocations().filter((i) => i.args.includes('apply') || i.tool === 'helm'), [], 'something was installed')
      // What 01 spares the user: SPIRE installed there anyway never gets its volume.
      const WEST = `--context=${west.context}`
      const chain = [
        ['repo', 'add', 'spiffe-hardened', 'https://spiffe.github.io/helm-charts-hardened'],
        [`--kube-context=${west.context}`, 'upgrade', '--install', 'spire-crds', 'spiffe-hardened/spire-crds', '--version', '0.5.0'],
      ]
      for (const args of chain) assert.equal((await bare.run('helm', args)).code, 0)
      const install = await bare.run('helm', [`--kube-context=${west.context}`, 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '--create-namespace', '--version', '0.24.0', '--wait', '--timeout', '1s'])
      assert.match(install.stderr, /context deadline exceeded/)
      assert.match((await bare.run('kubectl', [WEST, 'get', 'pods', '-n', 'spire'])).stdout, /^spire-server-0\s+0\/2\s+Pending\s/m)
      assert.match((await bare.run('kubectl', [WEST, 'get', 'pvc', '-n', 'spire', '-o', 'jsonpath={.items[0].status.phase}'])).stdout, /^Pending$/)
      assert.match((await bare.run('kubectl', [WEST, 'describe', 'pod', 'spire-server-0', '-n', 'spire'])).stdout, /unbound immediate PersistentVolumeClaims/)
    })
  })
})
