// Federation as SPIRE 1.11, spire-controller-manager 0.6 and chart spire 0.24.0 do it, on the
// lab: a cluster recreated under the same bundle endpoint address (the other side keeps its
// old bundle unless step 05 replaces it), a bundle endpoint the other cluster cannot reach
// (step 05 says so, naming both), and the lab's SPIRE, Helm and kubectl run as their
// sources describe them.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { generateBundle } from '../lab/src/spire.ts'
import { finishedDemoWorkspaces } from './chain.ts'
import { tail } from './lab.ts'

// Each test's own copy of the shared chain's finished demo (chain.ts).
const fresh = finishedDemoWorkspaces()

const EAST = '--context=kind-cluster-east'
const WEST = '--context=kind-cluster-west'
const spireServer = (context: string, ...args: string[]) => [context, 'exec', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', ...args]
// The same, with -i: the command reads our stdin.
const spireServerReading = (context: string, ...args: string[]) => [context, 'exec', '-i', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', ...args]

// The keys a bundle (as JSON text) holds.
const keysOf = (text: string) => JSON.parse(text).keys
// Let the lab's controller manager act (10 s modelled, 10 ms at the tests' clock).
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

// Each test in a workspace of its own, two at a time.
describe('federation across a recreated cluster and an unreachable endpoint', { concurrency: 2 }, () => {
  test('west recreated (new SPIRE keys, the same bundle endpoint address): make demo again gets both versions answering', async () => {
    const ws = fresh()
    const oldWest = ws.clusters()['cluster-west']!.spire!.bundle
    await ws.ok('kind', ['delete', 'cluster', '--name', 'cluster-west'])
    const again = await ws.make('demo', { timeoutMs: 180_000, env: { WAIT_RESPONSES_SECONDS: '20' } })
    assert.equal(again.code, 0, tail(again, 40))
    assert.match(again.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
    const newWest = ws.clusters()['cluster-west']!.spire!.bundle
    assert.notDeepEqual(newWest.keys, oldWest.keys, 'west\'s SPIRE got new keys')
    // West's endpoint kept its address, so east's relationship was left as it was; 05 saw the
    // old bundle and set the current one.
    assert.match(again.output, /\[east\] \$ kubectl --context=kind-cluster-east exec -i -c spire-server -n spire spire-server-0 -- spire-server bundle set -format spiffe -id spiffe:\/\/west\.local/)
    assert.doesNotMatch(again.output, /\[west\] \$ kubectl --context=kind-cluster-west exec -i .* bundle set/, 'west, new, needed no bundle set')
    assert.deepEqual(keysOf(await ws.ok('kubectl', spireServer(EAST, 'bundle', 'list', '-id', 'spiffe://west.local', '-format', 'spiffe'))), newWest.keys)
  })

  test('west\'s bundle endpoint not reachable from east: 05 stops, naming the address and the cluster it could not be reached from', async () => {
    const ws = fresh()
    // West's MetalLB no longer announces its addresses on the kind network.
    await ws.ok('kubectl', [WEST, 'delete', 'l2advertisement', 'kind-l2', '-n', 'metallb-system'])
    const run = await ws.make('05', { env: { WAIT_FEDERATION_SECONDS: '1' } })
    assert.notEqual(run.code, 0, tail(run))
    assert.match(run.stderr, /\[east\] gave up waiting for west's bundle endpoint https:\/\/172\.18\.255\.200:8443, fetched from east, serving west's keys after 1s \(last seen: curl: \(28\) Failed to connect to 172\.18\.255\.200 port 8443/, tail(run))
    assert.match(run.stderr, /l2advertisements -n metallb-system/)
    assert.match(run.stderr, /troubleshooting\.md#a-bundle-endpoint-that-does-not-answer/)
    // The other direction answers.
    assert.match(run.output, /\[west\] ✔ east's bundle endpoint https:\/\/172\.18\.254\.200:8443, fetched from west, serving east's keys/)
    // What step 05 used to wait for holds all the same: SPIRE lists the bundle it was given.
    assert.match(await ws.ok('kubectl', spireServer(EAST, 'bundle', 'list', '-format', 'spiffe')), /\* west\.local/)
  })
})

describe('the lab\'s SPIRE, Helm and kubectl run, as their sources say', { concurrency: 2 }, () => {
  test('a server\'s bundle: RSA keys (caKeyType rsa-2048), its X.509 authority a real self-signed CA certificate for the trust domain', async () => {
    const ws = fresh()
    const bundle = JSON.parse(await ws.ok('kubectl', spireServer(EAST, 'bundle', 'show', '-format', 'spiffe')))
    const [x509, jwt] = bundle.keys
    assert.equal(x509.use, 'x509-svid')
    assert.equal(x509.kty, 'RSA')
    const ca = new X509Certificate(Buffer.from(x509.x5c[0], 'base64'))
    assert.equal(ca.ca, true)
    assert.equal(ca.subjectAltName, 'URI:spiffe://east.local')
    assert.match(ca.subject, /C=US\nO=istio\.io\nCN=east\.local/)
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey), 'self-signed')
    assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 2048)
    assert.equal(ca.publicKey.export({ format: 'jwk' }).n, x509.n, 'the certificate holds the JWK\'s key')
    assert.equal(jwt.use, 'jwt-svid')
    assert.equal(jwt.kty, 'RSA')
    assert.ok(jwt.kid)
  })

  test('the Service spire-server: grpc on 443 to the server\'s port named grpc, and the bundle endpoint on 8443', async () => {
    const ws = fresh()
    const svc = JSON.parse(await ws.ok('kubectl', [EAST, 'get', 'svc', 'spire-server', '-n', 'spire', '-o', 'json']))
    assert.deepEqual(svc.spec.ports.map((p: { name: string; port: number; targetPort: string }) => `${p.name} ${p.port}→${p.targetPort}`), ['grpc 443→grpc', 'federation 8443→federation'])
  })

  test('the controller manager gives SPIRE a new trustDomainBundle only with a new relationship or a changed endpoint URL or profile', async () => {
    const ws = fresh()
    const west = ws.clusters()['cluster-west']!.spire!.bundle
    const held = () => ws.ok('kubectl', spireServer(EAST, 'bundle', 'list', '-id', 'spiffe://west.local', '-format', 'spiffe')).then(keysOf)
    const other = JSON.stringify(generateBundle('west.local', { commonName: 'west.local' }), null, 2)
    // A valid bundle of other keys, the URL as it was: nothing reaches SPIRE.
    await ws.ok('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { trustDomainBundle: other } })])
    await settle()
    assert.deepEqual(await held(), west.keys)
    // Another URL: the relationship is updated, and the bundle with it.
    await ws.ok('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { bundleEndpointURL: 'https://172.18.255.210:8443' } })])
    await settle()
    assert.deepEqual(await held(), keysOf(other))
    assert.match(await ws.ok('kubectl', spireServer(EAST, 'federation', 'list')), /Bundle endpoint URL {7}: https:\/\/172\.18\.255\.210:8443/)
    // A resource of another class is not the controller manager's: the relationship goes, the bundle stays.
    await ws.ok('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { className: 'other' } })])
    await settle()
    assert.match(await ws.ok('kubectl', spireServer(EAST, 'federation', 'list')), /^Found 0 federation relationships/)
    assert.deepEqual(await held(), keysOf(other))
    // `bundle set` replaces what is held, and the controller manager leaves it so.
    await ws.ok('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { className: 'spire-spire' } })])
    await settle()
    assert.deepEqual(await held(), keysOf(other), 'the relationship made again brings the resource\'s bundle')
    assert.equal(await ws.ok('kubectl', spireServerReading(EAST, 'bundle', 'set', '-format', 'spiffe', '-id', 'spiffe://west.local'), { input: JSON.stringify(west) }), 'bundle set.\n')
    await settle()
    assert.deepEqual(await held(), west.keys)
  })

  test('the controller manager\'s webhook refuses a trustDomainBundle go-spiffe would refuse, in go-spiffe\'s words', async () => {
    const ws = fresh()
    const valid = ws.clusters()['cluster-west']!.spire!.bundle
    const cert = valid.keys[0].x5c[0]
    const cases: Array<[string, unknown, RegExp]> = [
      ['not JSON', 'garbage', /invalid trustDomainBundle value: spiffebundle: unable to parse JWKS/],
      ['no keys', {}, /spiffebundle: no authorities found/],
      ['an EC key without a curve', { keys: [{ use: 'x509-svid', kty: 'EC' }] }, /go-jose\/go-jose: unsupported elliptic curve ''/],
      ['an x509-svid key without a certificate', { keys: [{ ...valid.keys[0], x5c: undefined }] }, /expected a single certificate in x509-svid entry 0; got 0/],
      ['an x5c that is not a certificate', { keys: [{ ...valid.keys[0], x5c: ['MIIBAAA='] }] }, /failed to unmarshal x5c field/],
      ['a certificate of another key', { keys: [{ ...valid.keys[1], use: 'x509-svid', kid: undefined, x5c: [cert] }] }, /public keys in key and x5c fields do not match/],
      ['a jwt-svid key without a kid', { keys: [{ ...valid.keys[1], kid: undefined }] }, /keyID cannot be empty/],
    ]
    for (const [what, bundle, says] of cases) {
      const text = typeof bundle === 'string' ? bundle : JSON.stringify(bundle)
      const run = await ws.run('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { trustDomainBundle: text } })])
      assert.equal(run.code, 1, `${what}: admitted`)
      assert.match(run.stderr, /admission webhook "vclusterfederatedtrustdomain\.kb\.io" denied the request/, what)
      assert.match(run.stderr, says, what)
    }
    // What go-spiffe reads is admitted, whatever else it carries.
    await ws.ok('kubectl', [EAST, 'patch', 'clusterfederatedtrustdomain', 'west', '--type=merge', '-p', JSON.stringify({ spec: { trustDomainBundle: JSON.stringify({ ...valid, keys: [...valid.keys, { use: 'other', kty: 'RSA', n: valid.keys[1].n, e: 'AQAB' }] }) } })])
  })

  test('helm uninstall keeps the CRDs (resource-policy keep) and the server\'s volume; a reinstall finds its keys; a pod still terminating when the CSI driver goes is stuck', async () => {
    const ws = fresh()
    const east = () => ws.clusters()['cluster-east']!
    const bundle = east().spire!.bundle
    const pvc = JSON.parse(await ws.ok('kubectl', [EAST, 'get', 'pvc', 'spire-data-spire-server-0', '-n', 'spire', '-o', 'json']))
    assert.equal(pvc.status.phase, 'Bound')
    assert.equal(pvc.spec.storageClassName, 'standard', 'kind\'s default StorageClass')
    // A pod with SPIRE's CSI volume, terminating (1.5 s at this clock) when SPIRE goes.
    const slow = { env: { LAB_TIME_SCALE: '0.05' } }
    await ws.ok('kubectl', [EAST, 'delete', 'deployment', 'helloworld-v1'], slow)
    const uninstalled = await ws.ok('helm', ['--kube-context=kind-cluster-east', 'uninstall', 'spire', '-n', 'spire'], slow)
    assert.equal(uninstalled.trim(), 'release "spire" uninstalled')
    await new Promise((resolve) => setTimeout(resolve, 1700))
    assert.match(await ws.ok('kubectl', [EAST, 'get', 'pods']), /^helloworld-v1-\S+\s+\S+\s+Terminating\s/m)
    assert.match(await ws.ok('kubectl', [EAST, 'describe', 'pods']), /FailedUnmount .*driver name csi\.spiffe\.io not found/)
    assert.match(await ws.ok('kubectl', [EAST, 'get', 'pvc', '-n', 'spire']), /spire-data-spire-server-0/)
    const crds = await ws.ok('helm', ['--kube-context=kind-cluster-east', 'uninstall', 'spire-crds'])
    assert.match(crds, /^These resources were kept due to the resource policy:\n\[CustomResourceDefinition\] clusterfederatedtrustdomains\.spire\.spiffe\.io\n/)
    assert.match(crds, /release "spire-crds" uninstalled\n$/)
    assert.match(await ws.ok('kubectl', [EAST, 'get', 'clusterfederatedtrustdomains']), /^west\s/m)
    // Installed again, the server finds its volume: the same keys.
    const values = ['east-values-1-spire-base.yaml', 'east-values-2-spire-east.yaml'].flatMap((f) => ['-f', join(ws.dir, 'out', 'rendered', '04-spire-install', f)])
    await ws.ok('helm', ['--kube-context=kind-cluster-east', 'upgrade', '--install', 'spire-crds', 'spiffe-hardened/spire-crds', '--version', '0.5.0'])
    await ws.ok('helm', ['--kube-context=kind-cluster-east', 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', ...values, '--version', '0.24.0', '--wait', '--timeout', '60s'])
    assert.deepEqual(east().spire!.bundle, bundle)
    // Without it, new keys.
    await ws.ok('helm', ['--kube-context=kind-cluster-east', 'uninstall', 'spire', '-n', 'spire'])
    await ws.ok('kubectl', [EAST, 'delete', 'pvc', 'spire-data-spire-server-0', '-n', 'spire'])
    await ws.ok('helm', ['--kube-context=kind-cluster-east', 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', ...values, '--version', '0.24.0', '--wait', '--timeout', '60s'])
    assert.notDeepEqual(east().spire!.bundle.keys, bundle.keys)
  })

  test('helm is 4.1.4 unless LAB_HELM_VERSION=3; Helm 3\'s --wait waits for a LoadBalancer address, Helm 4\'s watcher does not', async () => {
    const ws = fresh()
    assert.equal((await ws.ok('helm', ['version', '--short'])).trim(), 'v4.1.4+g05fa379')
    assert.match(await ws.ok('helm', ['version']), /^version\.BuildInfo\{Version:"v4\.1\.4", .*KubeClientVersion:"v1\.35"\}$/m)
    assert.equal((await ws.ok('helm', ['version', '--short'], { env: { LAB_HELM_VERSION: '3' } })).trim(), 'v3.21.4+g813176c')
    // spire-server's Service never gets an address.
    const values = ['west-values-1-spire-base.yaml', 'west-values-2-spire-west.yaml'].flatMap((f) => ['-f', join(ws.dir, 'out', 'rendered', '04-spire-install', f)])
    const upgrade = ['--kube-context=kind-cluster-west', 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', ...values, '--version', '0.24.0', '--wait', '--timeout', '1s']
    ws.setFaults({ lbNeverAssigned: true })
    await ws.ok('helm', upgrade)
    const three = await ws.run('helm', upgrade, { env: { LAB_HELM_VERSION: '3' } })
    assert.equal(three.code, 1, three.output)
    assert.match(three.stderr, /UPGRADE FAILED: context deadline exceeded/)
    // Helm 4's --wait=legacy is Helm 3's waiter.
    const legacy = await ws.run('helm', upgrade.map((a) => (a === '--wait' ? '--wait=legacy' : a)))
    assert.match(legacy.stderr, /context deadline exceeded/)
    assert.match((await ws.run('helm', upgrade.map((a) => (a === '--wait' ? '--wait=soon' : a)))).stderr, /invalid wait input "soon"\. Valid inputs are watcher, hookOnly, and legacy/)
  })

  test('kubectl run: --rm needs an attached pod; the container\'s exit code comes back; -q keeps kubectl\'s own lines out; an injected pod never completes', async () => {
    const ws = fresh()
    const image = '--image=curlimages/curl:8.14.1'
    const noSidecar = '--labels=sidecar.istio.io/inject=false'
    const refused = await ws.run('kubectl', [EAST, 'run', 'p1', '--rm', image, '--', 'curl', '-sSk', 'https://172.18.255.200:8443'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /--rm should only be used for attached containers/)
    const loud = await ws.run('kubectl', [EAST, 'run', 'p2', '--rm', '--attach', '--restart=Never', image, noSidecar, '--', 'curl', '-sSk', 'https://172.18.255.200:8443'])
    assert.equal(loud.code, 0, loud.output)
    assert.match(loud.stdout, /\}\s*pod "p2" deleted\n$/)
    const quiet = await ws.run('kubectl', [EAST, 'run', 'p3', '--rm', '--attach', '-q', '--restart=Never', image, noSidecar, '--', 'curl', '-sSk', 'https://172.18.255.200:8443'])
    assert.deepEqual(keysOf(quiet.stdout), ws.clusters()['cluster-west']!.spire!.bundle.keys)
    // Without -k the endpoint's SPIFFE certificate is not trusted; curl's exit code is kubectl's.
    const strict = await ws.run('kubectl', [EAST, 'run', 'p4', '--rm', '--attach', '-q', '--restart=Never', image, noSidecar, '--', 'curl', '-sS', 'https://172.18.255.200:8443'])
    assert.equal(strict.code, 60, strict.output)
    assert.match(strict.stderr, /pod default\/p4 terminated \(Error\)/)
    // Namespace default is labelled for injection (step 11): a pod with a sidecar never completes.
    const injected = await ws.run('kubectl', [EAST, 'run', 'p5', '--rm', '--attach', '-q', '--restart=Never', '--pod-running-timeout=1s', image, '--', 'curl', '-sSk', 'https://172.18.255.200:8443'])
    assert.equal(injected.code, 1)
    assert.match(injected.stderr, /timed out waiting for the condition/)
    await settle() // --rm does not wait for the pod to terminate
    assert.doesNotMatch(await ws.ok('kubectl', [EAST, 'get', 'pods']), /^p\d\s/m, 'a --rm pod is left')
  })
})
