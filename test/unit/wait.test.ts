import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setDryRun } from '../../lib/run.ts'
import { deadlineSeconds, pollInterval, waitFor } from '../../lib/wait.ts'
import { forBoth, clustersFrom } from '../../lib/clusters.ts'
import { Config } from '../../lib/config.ts'

test('deadlines come from the defaults or their environment variable', () => {
  assert.equal(deadlineSeconds('loadBalancerAddress', {}), 120)
  assert.equal(deadlineSeconds('loadBalancerAddress', { WAIT_LB_ADDRESS_SECONDS: '0.5' }), 0.5)
  assert.throws(() => deadlineSeconds('loadBalancerAddress', { WAIT_LB_ADDRESS_SECONDS: 'soon' }), /WAIT_LB_ADDRESS_SECONDS="soon" is not a number of seconds/)
  assert.throws(() => deadlineSeconds('federation', { WAIT_FEDERATION_SECONDS: '-1' }), /WAIT_FEDERATION_SECONDS/)
})

test('polls are fast at first and never more than a second apart', () => {
  assert.equal(pollInterval(0), 100)
  assert.equal(pollInterval(3000), 300)
  assert.equal(pollInterval(600_000), 1000)
})

test('a wait returns as soon as its condition holds', async () => {
  setDryRun(false)
  let calls = 0
  const started = Date.now()
  const value = await waitFor('east', 'the thing', 'federation', async () => (++calls >= 3 ? 'ready' : undefined), 'fix it')
  assert.equal(value, 'ready')
  assert.equal(calls, 3)
  assert.ok(Date.now() - started < 1000)
})

test('a wait gives up at its deadline, saying what it saw and how to wait longer', async () => {
  setDryRun(false)
  process.env.WAIT_LB_ADDRESS_SECONDS = '0.3'
  try {
    const started = Date.now()
    await assert.rejects(
      waitFor('west', 'an address', 'loadBalancerAddress', async () => undefined, 'check MetalLB', () => 'pending'),
      (error: Error & { fix?: string }) => {
        assert.match(error.message, /\[west\] gave up waiting for an address after 0.3s \(last seen: pending\)/)
        assert.match(error.fix ?? '', /check MetalLB; to wait longer, set WAIT_LB_ADDRESS_SECONDS=<seconds>/)
        return true
      })
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 300 && elapsed < 1500, `gave up after ${elapsed} ms`)
  } finally {
    delete process.env.WAIT_LB_ADDRESS_SECONDS
  }
})

test('east and west run at once; a failure waits for the other side, then is raised', async () => {
  const clusters = clustersFrom(new Config(new Map(), { WORKBOOK_CONFIG: '/nonexistent/workbook.config.json' }).values)
  const events: string[] = []
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const [east, west] = await forBoth(clusters, async (c) => {
    events.push(`start ${c.name}`)
    await sleep(c.name === 'east' ? 50 : 10)
    events.push(`end ${c.name}`)
    return c.trustDomain
  })
  assert.deepEqual([east, west], ['east.local', 'west.local'])
  assert.deepEqual(events, ['start east', 'start west', 'end west', 'end east'])
  let westFinished = false
  await assert.rejects(forBoth(clusters, async (c) => {
    if (c.name === 'east') throw new Error('east broke')
    await sleep(30)
    westFinished = true
  }), /east broke/)
  assert.ok(westFinished)
})

test('names derive everything else', () => {
  const { east, west } = clustersFrom(new Config(new Map(), { WORKBOOK_CONFIG: '/nonexistent/x.json', EAST_NAME: 'alpha', WEST_NAME: 'beta' }).values)
  assert.deepEqual([east.kindName, east.context, east.trustDomain, east.meshId, east.network], ['cluster-alpha', 'kind-cluster-alpha', 'alpha.local', 'alpha-mesh', 'alpha-network'])
  assert.equal(east.other, west)
  assert.equal(west.other.name, 'alpha')
})
