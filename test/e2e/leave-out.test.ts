// Leaving one step out of the chain. Each step from 03 to 13 changes something a later
// step (or the checks of 09 and 15) depends on; without it the demo must stop there, with
// a message that points at what is missing. 14 is needed up to Istio 1.28 only, and 09
// only checks: without either the chain still gets through on Istio 1.30.
//
// The chain is run once, step by step, keeping the lab's state after each step (the shared
// chain, chain.ts); each test starts from the state before its step and runs the steps after
// it, as `make demo` would.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { sharedChain, type Chain } from './chain.ts'
import { steps, tail, workspacesRemovedAfterwards } from './lab.ts'

// Short deadlines: a precondition that never holds fails in a second or two, not minutes.
// At the harness's clock what does hold takes milliseconds (an address 5 ms, a remote
// cluster's sync 5 ms), so the waits that must succeed on the way (07's gateway address,
// rollouts, installs) keep a wide margin.
const deadlines = {
  WAIT_LB_ADDRESS_SECONDS: '1.5', WAIT_FEDERATION_SECONDS: '1', WAIT_REMOTE_SYNC_SECONDS: '1', WAIT_GATEWAY_SECRETS_SECONDS: '1',
  WAIT_RESPONSES_SECONDS: '1.5', WAIT_ROLLOUT_SECONDS: '6', WAIT_HELM_SECONDS: '10', WAIT_METALLB_SECONDS: '10',
}

let chain: Chain
const workspace = workspacesRemovedAfterwards()

before(async () => {
  chain = await sharedChain()
})

// Start after the step before `left`, skip `left`, run the rest of the chain.
async function without(left: string, env: Record<string, string> = {}) {
  const index = steps.indexOf(left as typeof steps[number])
  const ws = workspace({ env: { ...deadlines, ...env } })
  ws.restore(chain.checkpoint(steps[index - 1]!))
  const result = await ws.chain(steps.slice(index + 1))
  return { ...result, ws }
}

// `says`: what the failed step printed that only this failure prints (its tool's error,
// what the wait last saw), never the fixed hint a step prints on any failure.
interface Expectation {
  failsAt: string
  says: RegExp[]
}

const expectations: Record<string, Expectation> = {
  '03-spire-helm-repo': { failsAt: '04-spire-install', says: [/Error: repo spiffe-hardened not found/] },
  '04-spire-install': { failsAt: '05-federate-bundles', says: [/last seen: Error from server \(NotFound\): services "spire-server" not found/] },
  '05-federate-bundles': { failsAt: '09-verify-control-planes', says: [/last seen: missing the ROOTCA bundle of east\.local\)/] },
  // The gateway's image "auto" is only replaced by istiod's injector: 07 checks for istiod
  // first and leads to the missing control plane.
  '06-istio-control-planes': { failsAt: '07-eastwest-gateway', says: [/Error from server \(NotFound\): deployments\.apps "istiod" not found/] },
  '07-eastwest-gateway': { failsAt: '09-verify-control-planes', says: [/Error: deployments\.apps "istio-eastwestgateway" not found/] },
  '08-remote-secret': { failsAt: '09-verify-control-planes', says: [/last seen: not synced: west\)/] },
  // curl's own error, not kubectl's "command terminated with exit code 6", says what is missing.
  '10-helloworld-service': { failsAt: '15-send-requests', says: [/v1 and v2 never answered/, /Could not resolve host: helloworld/] },
  '11-helloworld-v1': { failsAt: '15-send-requests', says: [/v1 never answered \(v2: [1-9]\d*\b/] },
  '12-helloworld-v2': { failsAt: '15-send-requests', says: [/v2 never answered \(v1: [1-9]\d*\b/] },
  '13-curl': { failsAt: '15-send-requests', says: [/v1 and v2 never answered/, /deployments\.apps "curl" not found/] },
}

describe('leaving one step out of the chain', { concurrency: 2 }, () => {
  for (const [left, expected] of Object.entries(expectations)) {
    test(`without ${left}, the demo stops at ${expected.failsAt} and says what is missing`, async () => {
      const { failedAt, runs, output } = await without(left)
      assert.equal(failedAt, expected.failsAt, `it stopped at ${failedAt ?? 'nothing'}:\n${output.split('\n').slice(-30).join('\n')}`)
      const failed = runs[failedAt!]!
      assert.notEqual(failed.code, 0)
      for (const pattern of expected.says) assert.match(failed.stderr, pattern, tail(failed))
    })
  }

  // Step 14 depends on the Istio release. Up to 1.28 east's istiod names west's endpoints
  // with east's own trust domain, so without the DestinationRule curl's proxy refuses v2's
  // west.local certificate; from 1.29 it reads west's trust domain from west's mesh config,
  // and the upstream sample no longer has the rule. The lab plays the release of the istiod
  // that was installed, so the 1.28 case installs Istio (06 on) with the lab at 1.28.
  test('without 14-destination-rule on Istio 1.28, the demo stops at 15-send-requests: v2\'s west.local certificate is refused', async () => {
    // Istio 1.28 is older than the workbook supports (lib/defaults.ts): TOOLS=path runs it as it is.
    // 09 must pass here: its waits get the time they would have in a plain run's tests.
    const ws = workspace({ env: { ...deadlines, WAIT_REMOTE_SYNC_SECONDS: '10', WAIT_GATEWAY_SECRETS_SECONDS: '10', LAB_ISTIO_VERSION: '1.28.0', TOOLS: 'path' } })
    ws.restore(chain.checkpoint('05-federate-bundles'))
    const { failedAt, runs, output } = await ws.chain(steps.slice(steps.indexOf('06-istio-control-planes')).filter((s) => s !== '14-destination-rule'))
    assert.equal(failedAt, '15-send-requests', `it stopped at ${failedAt ?? 'nothing'}:\n${output.split('\n').slice(-30).join('\n')}`)
    const failed = runs[failedAt!]!
    for (const pattern of [/v2 never answered \(v1: \d+/, /CERTIFICATE_VERIFY_FAILED/, /DestinationRule \(make 14\)/]) assert.match(failed.stderr, pattern, tail(failed))
    assert.match(ws.explain(), /the server presents spiffe:\/\/west\.local\/ns\/default\/sa\/default, and the client accepts only spiffe:\/\/east\.local\/ns\/default\/sa\/default$/m)
    const version = await ws.run('istioctl', ['--context=kind-cluster-east', 'version'])
    assert.match(version.stdout, /^control plane version: 1\.28\.0$/m)
  })

  test('without 14-destination-rule on Istio 1.30, the rest of the chain succeeds: east\'s istiod expects west.local for west\'s endpoints', async () => {
    const { failedAt, runs, output, ws } = await without('14-destination-rule', { WAIT_RESPONSES_SECONDS: '60' })
    assert.equal(failedAt, undefined, output.split('\n').slice(-30).join('\n'))
    assert.match(runs['15-send-requests']!.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
    const version = await ws.run('istioctl', ['--context=kind-cluster-east', 'version'])
    assert.match(version.stdout, /^control plane version: 1\.30\.3$/m)
  })

  test('without 09-verify-control-planes (it only checks), the rest of the chain still succeeds and 09 changes nothing', async () => {
    const { failedAt, runs, output } = await without('09-verify-control-planes', { WAIT_RESPONSES_SECONDS: '60' })
    assert.equal(failedAt, undefined, output.split('\n').slice(-30).join('\n'))
    assert.match(runs['15-send-requests']!.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
    // 09 ran in the checkpoint chain: every command it ran there was a read.
    const calls = chain.invocations('14-destination-rule')
    const from = calls.findIndex((i) => i.tool === 'istioctl' && i.args.includes('remote-clusters'))
    const to = calls.findIndex((i) => i.tool === 'kubectl' && i.args.includes('label'))
    const nine = calls.slice(from, to)
    assert.ok(nine.length >= 2, 'the checkpoint chain ran 09')
    for (const call of nine) assert.ok(call.args.includes('remote-clusters') || call.args.includes('proxy-config') || call.args.includes('version'), `09 ran ${call.tool} ${call.args.join(' ')}`)
  })
})
