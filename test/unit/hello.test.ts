import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Tally, failureReason, parseHello, tallyRound } from '../../lib/hello.ts'

test('a helloworld reply gives its version and instance', () => {
  assert.deepEqual(parseHello('Hello version: v2, instance: helloworld-v2-5f86f7755b-6rhj4\n'), { version: 'v2', instance: 'helloworld-v2-5f86f7755b-6rhj4' })
  assert.equal(parseHello('upstream connect error or disconnect/reset before headers. reset reason: connection failure'), undefined)
})

test('the reason of a failed call is curl\'s, not kubectl\'s trailer', () => {
  assert.equal(failureReason('curl: (6) Could not resolve host: helloworld\ncommand terminated with exit code 6\n'), 'curl: (6) Could not resolve host: helloworld')
  assert.equal(failureReason('error: deployments.apps "curl" not found\n'), 'error: deployments.apps "curl" not found')
  assert.equal(failureReason('command terminated with exit code 7'), 'command terminated with exit code 7')
})

test('a round of replies: one line each, curl\'s errors from stderr', () => {
  const tally = new Tally()
  tallyRound(tally, 'Hello version: v1, instance: helloworld-v1-a\nupstream connect error or disconnect/reset before headers. reset reason: connection failure\nHello version: v1, instance: helloworld-v1-a\n\n', 'curl: (7) Failed to connect to helloworld port 5000\ncommand terminated with exit code 7\n')
  assert.equal(tally.summary(), 'v1: 2, failed: 2')
  assert.equal(tally.lastFailure, 'curl: (7) Failed to connect to helloworld port 5000')
  const nothing = new Tally()
  tallyRound(nothing, '', 'error: deployments.apps "curl" not found\n')
  assert.equal(nothing.summary(), 'failed: 1')
  assert.equal(nothing.lastFailure, 'error: deployments.apps "curl" not found')
})

test('the tally counts versions and failures and names the missing version', () => {
  const tally = new Tally()
  tally.add('v1')
  tally.add('v1')
  tally.fail('no healthy upstream')
  assert.equal(tally.total(), 3)
  assert.deepEqual(tally.missing(['v1', 'v2']), ['v2'])
  assert.equal(tally.summary(), 'v1: 2, failed: 1')
  tally.add('v2')
  assert.deepEqual(tally.missing(['v1', 'v2']), [])
  assert.equal(new Tally().summary(), 'no replies')
})
