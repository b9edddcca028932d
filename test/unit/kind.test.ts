import { test } from 'node:test'
import assert from 'node:assert/strict'
import { kubeconfigTurn, lostKubeconfigLock } from '../../lib/kind.ts'

test('kind commands that write the kubeconfig take turns, even after one fails', async () => {
  const events: string[] = []
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const job = (name: string, ms: number, fails = false) => kubeconfigTurn(async () => {
    events.push(`start ${name}`)
    await sleep(ms)
    events.push(`end ${name}`)
    if (fails) throw new Error(`${name} failed`)
    return name
  })
  const results = await Promise.allSettled([job('east', 30, true), job('west', 5)])
  assert.deepEqual(events, ['start east', 'end east', 'start west', 'end west'])
  assert.equal(results[0].status, 'rejected')
  assert.deepEqual(results[1], { status: 'fulfilled', value: 'west' })
})

test('kind\'s lost lock race is recognised', () => {
  assert.ok(lostKubeconfigLock('ERROR: failed to create cluster: failed to lock config file: open /root/.kube/config.lock: file exists'))
  assert.ok(!lostKubeconfigLock('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "cluster-east"'))
})
