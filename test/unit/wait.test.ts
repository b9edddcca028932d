import { mock, test } from 'node:test'
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

// Waits run on a mocked clock (node:test's mock timers): what is checked is how long each
// wait lets pass on that clock, never how long it took on this machine.
async function onMockedClock<T>(work: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; elapsed: number }> {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  try {
    let settled = false
    let result: T | undefined
    let error: unknown
    work().then((value) => { result = value }, (caught) => { error = caught }).finally(() => { settled = true })
    for (let step = 0; !settled && step < 10_000; step++) {
      for (let i = 0; i < 10; i++) await Promise.resolve()
      if (!settled) mock.timers.tick(10)
    }
    return { result, error, elapsed: Date.now() }
  } finally {
    mock.timers.reset()
  }
}

test('a wait returns as soon as its condition holds, polling every 0.1 s at first', async () => {
  setDryRun(false)
  const polls: number[] = []
  const { result, elapsed } = await onMockedClock(() =>
    waitFor('east', 'the thing', 'federation', async () => (polls.push(Date.now()), polls.length >= 3 ? 'ready' : undefined), 'fix it'))
  assert.equal(result, 'ready')
  assert.deepEqual(polls, [0, 100, 200])
  assert.equal(elapsed, 200)
})

test('a wait gives up at its deadline, saying what it saw and how to wait longer', async () => {
  setDryRun(false)
  process.env.WAIT_LB_ADDRESS_SECONDS = '0.3'
  try {
    const polls: number[] = []
    const { error, elapsed } = await onMockedClock(() =>
      waitFor('west', 'an address', 'loadBalancerAddress', async () => (polls.push(Date.now()), undefined), 'check MetalLB', () => 'pending'))
    assert.ok(error instanceof Error, 'the wait did not give up')
    assert.match(error.message, /\[west\] gave up waiting for an address after 0.3s \(last seen: pending\)/)
    assert.match((error as Error & { fix?: string }).fix ?? '', /check MetalLB; to wait longer, set WAIT_LB_ADDRESS_SECONDS=<seconds>/)
    assert.deepEqual(polls, [0, 100, 200, 300])
    assert.equal(elapsed, 300)
  } finally {
    delete process.env.WAIT_LB_ADDRESS_SECONDS
  }
})

test('east and west run at once; a failure waits for the other side, then is raised', { timeout: 10_000 }, async () => {
  const clusters = clustersFrom(new Config(new Map(), { WORKBOOK_CONFIG: '/nonexistent/workbook.config.json' }).values)
  // Each side finishes only once the other has started: one after the other, they would
  // never finish (the test's timeout catches that).
  const started: Record<string, () => void> = {}
  const startedOf = (name: string) => new Promise<void>((resolve) => { started[name] = resolve })
  const gates = { east: startedOf('east'), west: startedOf('west') }
  const [east, west] = await forBoth(clusters, async (c) => {
    started[c.name]!()
    await gates[c.other.name as 'east' | 'west']
    return c.trustDomain
  })
  assert.deepEqual([east, west], ['east.local', 'west.local'])
  let westFinished = false
  let releaseWest = () => {}
  const westGate = new Promise<void>((resolve) => { releaseWest = resolve })
  const both = forBoth(clusters, async (c) => {
    if (c.name === 'east') {
      setImmediate(releaseWest)
      throw new Error('east broke')
    }
    await westGate
    westFinished = true
  })
  await assert.rejects(both, /east broke/)
  assert.ok(westFinished, 'the failure was raised before west finished')
})

test('names derive everything else', () => {
  const { east, west } = clustersFrom(new Config(new Map(), { WORKBOOK_CONFIG: '/nonexistent/x.json', EAST_NAME: 'alpha', WEST_NAME: 'beta' }).values)
  assert.deepEqual([east.kindName, east.context, east.trustDomain, east.meshId, east.network], ['cluster-alpha', 'kind-cluster-alpha', 'alpha.local', 'alpha-mesh', 'alpha-network'])
  assert.equal(east.other, west)
  assert.equal(west.other.name, 'alpha')
})
