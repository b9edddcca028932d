// The lab's random choices are seeded (test/lab/src/random.ts): the same seed, tool,
// arguments and invocation number give the same stream; any of them changed, another.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { seedMaterial, stream } from '../lab/src/random.ts'
import { scratchDir } from '../scratch.ts'

const draws = (material: string, count = 8) => {
  const next = stream(material)
  return Array.from({ length: count }, () => next())
}

test('the same seed and the same command draw the same numbers; another seed, command or invocation number, others', () => {
  const state = scratchDir('lab-random-')
  const argv = ['node', '/repo/test/lab/bin/kubectl', '--context=kind-cluster-east', 'exec', 'deploy/curl', '--', 'curl', 'helloworld:5000/hello']
  const env = { LAB_STATE: state, LAB_SEED: 'one' }
  const first = seedMaterial(env, argv)
  assert.deepEqual(draws(first), draws(seedMaterial(env, argv)))
  for (const value of draws(first)) assert.ok(value >= 0 && value < 1, String(value))
  assert.notDeepEqual(draws(first), draws(seedMaterial({ ...env, LAB_SEED: 'two' }, argv)))
  assert.notDeepEqual(draws(first), draws(seedMaterial(env, [...argv.slice(0, 2), '--context=kind-cluster-west', ...argv.slice(3)])))
  // The next invocation of the same command (one more line in the log) draws others.
  writeFileSync(join(state, 'invocations.jsonl'), '{}\n')
  assert.notDeepEqual(draws(first), draws(seedMaterial(env, argv)))
  // Without LAB_SEED, the state folder seeds the stream.
  assert.notDeepEqual(draws(seedMaterial({ LAB_STATE: state }, argv)), draws(seedMaterial({ LAB_STATE: `${state}-other` }, argv)))
})

test('the stream spreads its draws: two endpoints each get a fair share of 1000 requests', () => {
  const next = stream('spread')
  const counts = [0, 0]
  for (let i = 0; i < 1000; i++) counts[Math.floor(next() * 2)]!++
  assert.ok(counts.every((n) => n > 400), counts.join(', '))
})
