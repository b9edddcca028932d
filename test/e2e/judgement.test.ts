// The lab judges what was applied, not that something was: from a finished demo, change
// one precondition of the walkthrough at a time (with the real tools' commands) and v2
// stops answering east's curl, while v1 answers as long as east's side holds.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateBundle } from '../lab/src/spire.ts'
import { finishedDemoWorkspaces } from './chain.ts'
import type { Workspace } from './lab.ts'

// Each test's own copy of the shared chain's finished demo (chain.ts).
const fresh = finishedDemoWorkspaces()

const EAST = '--context=kind-cluster-east'
const WEST = '--context=kind-cluster-west'

// A file the workbook rendered in the finished demo, changed.
function rendered(ws: Workspace, step: string, name: string, change: (text: string) => string): string {
  const text = readFileSync(join(ws.dir, 'out', 'rendered', step, name), 'utf8')
  const changed = change(text)
  assert.notEqual(changed, text, `${step}/${name}: the change did not apply`)
  const file = join(ws.root, `${step}-${name}`)
  writeFileSync(file, changed)
  return file
}

// Requests from east's curl, as step 15 sends them: one exec, curl fetching the URL range
// in turn, a newline after each reply; curl's own errors come on stderr.
async function hellos(ws: Workspace, count = 16): Promise<{ v1: number; v2: number; failures: string[] }> {
  const tally = { v1: 0, v2: 0, failures: [] as string[] }
  const run = await ws.run('kubectl', [EAST, 'exec', 'deploy/curl', '-c', 'curl', '--', 'curl', '-sS', '-m', '5', '-w', '\n', `helloworld:5000/hello?[1-${count}]`])
  for (const line of run.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const version = /^Hello version: (v\d)/.exec(line)?.[1]
    if (version === 'v1' || version === 'v2') tally[version]++
    else tally.failures.push(line)
  }
  tally.failures.push(...run.stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl: (') || l.startsWith('command terminated')))
  assert.ok(tally.v1 + tally.v2 + tally.failures.length > 0, `curl said nothing: ${run.output}`)
  return tally
}

describe('what the lab decides from the applied content', { concurrency: 2 }, () => {
  test('as the demo left it, both versions answer', async () => {
    const ws = fresh()
    const { v1, v2 } = await hellos(ws)
    assert.ok(v1 > 0 && v2 > 0, `v1 ${v1}, v2 ${v2}`)
  })

  // `because`: the reason the lab gives in $LAB_STATE/explain.log for the failed requests.
  const cases: Array<{ name: string; change: (ws: Workspace) => Promise<void>; v1: boolean; says?: RegExp; because?: RegExp }> = [
    {
      name: 'west\'s SPIRE agent serves the bundles under another SDS name than ROOTCA',
      because: /spire-agent\.sds\.defaultAllBundlesName is \"ALL\"/,
      v1: true,
      change: async (ws) => {
        const shared = rendered(ws, '04-spire-install', 'west-values-1-spire-base.yaml', (t) => t.replace('defaultAllBundlesName: ROOTCA', 'defaultAllBundlesName: ALL'))
        const own = join(ws.dir, 'out', 'rendered', '04-spire-install', 'west-values-2-spire-west.yaml')
        await ws.ok('helm', [`--kube-context=kind-cluster-west`, 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '-f', shared, '-f', own, '--version', '0.24.0', '--wait'])
      },
    },
    {
      // The agent checks defaultBundleName before defaultAllBundlesName: named ROOTCA too, it
      // answers Envoy's ROOTCA with east's own bundle, without the federated one.
      name: 'east\'s SPIRE agent names its own bundle ROOTCA (defaultBundleName, the chart\'s default)',
      because: /the client's proxy does not trust spire:west\.local \(it trusts spire:east\.local\)/,
      v1: true,
      says: /CERTIFICATE_VERIFY_FAILED/,
      change: async (ws) => {
        const shared = rendered(ws, '04-spire-install', 'east-values-1-spire-base.yaml', (t) => t.replace('defaultBundleName: "null"', 'defaultBundleName: ROOTCA'))
        const own = join(ws.dir, 'out', 'rendered', '04-spire-install', 'east-values-2-spire-east.yaml')
        await ws.ok('helm', [`--kube-context=kind-cluster-east`, 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '-f', shared, '-f', own, '--version', '0.24.0', '--wait'])
      },
    },
    {
      // SPIRE's agent hands east's proxies east's roots alone (their entries federate with
      // nobody): v2's west.local certificate verifies nothing there, v1's still does.
      name: 'east\'s SPIRE federates its workloads with nobody',
      because: /the client's proxy does not trust spire:west\.local \(it trusts spire:east\.local\)/,
      v1: true,
      says: /CERTIFICATE_VERIFY_FAILED/,
      change: async (ws) => {
        const shared = join(ws.dir, 'out', 'rendered', '04-spire-install', 'east-values-1-spire-base.yaml')
        const own = rendered(ws, '04-spire-install', 'east-values-2-spire-east.yaml', (t) => t.replace(/federatesWith:\n\s*- west\.local/, 'federatesWith: []'))
        await ws.ok('helm', [`--kube-context=kind-cluster-east`, 'upgrade', '--install', 'spire', 'spiffe-hardened/spire', '-n', 'spire', '-f', shared, '-f', own, '--version', '0.24.0', '--wait'])
      },
    },
    {
      // As after west's SPIRE got new keys: east still lists west.local, with keys that verify nothing of west's.
      name: 'east\'s SPIRE server holds a west.local bundle that is not west\'s',
      because: /does not trust spire:west\.local/,
      v1: true,
      change: async (ws) => {
        const other = JSON.stringify(generateBundle('west.local', { country: 'US', organization: 'istio.io', commonName: 'west.local' }))
        await ws.ok('kubectl', [EAST, 'exec', '-i', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', 'bundle', 'set', '-format', 'spiffe', '-id', 'spiffe://west.local'], { input: other })
        const list = await ws.ok('kubectl', [EAST, 'exec', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', 'bundle', 'list', '-format', 'spiffe'])
        assert.match(list, /\* west\.local/)
        assert.deepEqual(JSON.parse(list.slice(list.indexOf('{'))).keys, JSON.parse(other).keys)
      },
    },
    {
      // Inbound, a proxy accepts callers of its mesh's trust domain and of the caCertificates
      // entries' trustDomains (Istio's TrustDomainsForValidation): west's list is what lets
      // v2 accept curl's east.local identity.
      name: 'west\'s control plane lists another trust domain than east.local in caCertificates',
      because: /west's proxies accept clients of trust domains west\.local, elsewhere\.local only .*spiffe:\/\/east\.local\/ns\/default\/sa\/curl/,
      v1: true,
      says: /SSLV3_ALERT_CERTIFICATE_UNKNOWN/,
      change: async (ws) => {
        const operator = rendered(ws, '06-istio-control-planes', 'west-istio-control-plane.yaml', (t) => t.replace(/trustDomains:\n(\s*)- east\.local/, 'trustDomains:\n$1- elsewhere.local'))
        await ws.ok('istioctl', [WEST, 'install', '-y', '-f', operator])
      },
    },
    {
      name: 'the cross-network Gateway passes TLS through in PASSTHROUGH mode, not AUTO_PASSTHROUGH',
      because: /mode AUTO_PASSTHROUGH/,
      v1: true,
      change: async (ws) => {
        await ws.ok('kubectl', [WEST, 'patch', 'gateway.networking.istio.io', 'cross-network-gateway', '-n', 'istio-system', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/servers/0/tls/mode', value: 'PASSTHROUGH' }])])
      },
    },
    {
      name: 'east\'s remote secret for west names the host\'s address of west\'s API server',
      v1: true,
      change: async (ws) => {
        const port = ws.clusters()['cluster-west']!.apiPort
        const secret = await ws.ok('istioctl', [WEST, 'create-remote-secret', '--name=west', `--server=https://127.0.0.1:${port}`])
        await ws.ok('kubectl', [EAST, 'apply', '-f', '-'], { input: secret })
        const clusters = await ws.ok('istioctl', [EAST, 'remote-clusters'])
        assert.match(clusters, /west\s+istio-system\/istio-remote-secret-west\s+(timeout|syncing)/)
      },
    },
    {
      name: 'the DestinationRule accepts only east\'s identity',
      because: /accepts only spiffe:\/\/east\.local\/ns\/default\/sa\/default$/m,
      v1: true,
      says: /CERTIFICATE_VERIFY_FAILED/,
      change: async (ws) => {
        const rule = rendered(ws, '14-destination-rule', 'east-destination-rule.yaml', (t) => t.replace(/\n\s*- spiffe:\/\/west\.local\/ns\/default\/sa\/default/, ''))
        await ws.ok('kubectl', [EAST, 'apply', '-f', rule])
      },
    },
    {
      name: 'helloworld v2 runs without the spire template (its certificate comes from istiod)',
      because: /does not trust istiod:cluster-west/,
      v1: true,
      change: async (ws) => {
        await ws.ok('kubectl', [WEST, 'patch', 'deploy', 'helloworld-v2', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'sidecar' } } } } })])
        await ws.ok('kubectl', [WEST, 'rollout', 'status', 'deployment/helloworld-v2', '-n', 'default', '--timeout=30s'])
      },
    },
    {
      name: 'curl runs without the spire template',
      because: /the client.s proxy does not trust spire:east\.local \(it trusts istiod:cluster-east\)/,
      v1: false,
      change: async (ws) => {
        await ws.ok('kubectl', [EAST, 'patch', 'deploy', 'curl', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'sidecar' } } } } })])
        await ws.ok('kubectl', [EAST, 'rollout', 'status', 'deployment/curl', '-n', 'default', '--timeout=30s'])
      },
    },
    {
      name: 'west\'s namespace default lost its injection label before v2 restarted',
      because: /the server has no sidecar/,
      v1: true,
      change: async (ws) => {
        await ws.ok('kubectl', [WEST, 'label', 'namespace', 'default', 'istio-injection-'])
        await ws.ok('kubectl', [WEST, 'rollout', 'restart', 'deployment/helloworld-v2'])
        await ws.ok('kubectl', [WEST, 'rollout', 'status', 'deployment/helloworld-v2', '--timeout=30s'])
      },
    },
    {
      name: 'the helloworld Service is missing in west',
      v1: true,
      change: async (ws) => {
        await ws.ok('kubectl', [WEST, 'delete', 'service', 'helloworld'])
      },
    },
  ]

  for (const c of cases) {
    test(`when ${c.name}, v2 no longer answers${c.v1 ? ' (v1 still does)' : ' (nor does v1)'}`, async () => {
      const ws = fresh()
      await c.change(ws)
      // Only what the lab explains about these requests counts: the log came with the checkpoint.
      const explainedBefore = ws.explain().length
      const { v1, v2, failures } = await hellos(ws)
      const explained = ws.explain().slice(explainedBefore)
      assert.equal(v2, 0, `v2 answered ${v2} times`)
      if (c.v1) assert.ok(v1 > 0, `v1 did not answer: ${failures.slice(-1)[0]}`)
      else assert.equal(v1, 0, `v1 answered ${v1} times`)
      if (c.says) assert.ok(failures.some((f) => c.says!.test(f)), failures.slice(-3).join('\n'))
      if (c.because) assert.match(explained, c.because)
      if (!c.v1) assert.ok(failures.length > 0 && failures.every((f) => /upstream connect error|no healthy upstream|command terminated/.test(f)), failures.slice(-1)[0])
    })
  }

  // What does not matter to the call, read in Istio's source: east's istiod does not fetch
  // the spiffeBundleUrls (only with ISTIO_MULTIROOT_MESH=true), and the east-west gateway
  // passes mTLS through by SNI without a TLS context of its own (AUTO_PASSTHROUGH).
  test('when east\'s control plane names a wrong bundle URL for west, both versions still answer', async () => {
    const ws = fresh()
    const operator = rendered(ws, '06-istio-control-planes', 'east-istio-control-plane.yaml', (t) => t.replace(/https:\/\/172\.18\.255\.\d+:8443/, 'https://172.18.255.99:8443'))
    await ws.ok('istioctl', [EAST, 'install', '-y', '-f', operator])
    const { v1, v2, failures } = await hellos(ws)
    assert.ok(v1 > 0 && v2 > 0, `v1 ${v1}, v2 ${v2}: ${failures.slice(-1)[0]}`)
  })

  test('when the east-west gateway lacks the spire-gateway template, it holds no east.local root, and both versions still answer', async () => {
    const ws = fresh()
    await ws.ok('kubectl', [WEST, 'patch', 'deploy', 'istio-eastwestgateway', '-n', 'istio-system', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'gateway' } } } } })])
    await ws.ok('kubectl', [WEST, 'rollout', 'status', 'deployment/istio-eastwestgateway', '-n', 'istio-system', '--timeout=30s'])
    const secrets = await ws.ok('istioctl', [WEST, 'proxy-config', 'secret', 'deploy/istio-eastwestgateway', '-n', 'istio-system'])
    assert.doesNotMatch(secrets, /east\.local|TRUST DOMAIN/)
    const { v1, v2, failures } = await hellos(ws)
    assert.ok(v1 > 0 && v2 > 0, `v1 ${v1}, v2 ${v2}: ${failures.slice(-1)[0]}`)
  })
})
