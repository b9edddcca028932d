// Bad input is refused before any tool runs: the lab's invocation log stays empty.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { tail, workspacesRemovedAfterwards } from './lab.ts'

const cases: Array<{ name: string; env?: Record<string, string>; args?: string[]; says: RegExp }> = [
  { name: 'a cluster name kind would refuse (EAST_NAME=Bad_Name)', env: { EAST_NAME: 'Bad_Name' }, says: /EAST_NAME "Bad_Name" is not a valid cluster name/ },
  { name: 'an ip space out of range (EAST_IP_SPACE=300)', env: { EAST_IP_SPACE: '300' }, says: /EAST_IP_SPACE "300" is not an ip space/ },
  { name: 'both ip spaces equal', env: { EAST_IP_SPACE: '250', WEST_IP_SPACE: '250' }, says: /both clusters would use ip space 250/ },
  { name: 'both clusters named alike', env: { EAST_NAME: 'one', WEST_NAME: 'one' }, says: /east and west are both named "one"/ },
  { name: 'an unknown flag (--bogus)', args: ['ARGS=--bogus'], says: /unknown flag "--bogus"/ },
]

const workspace = workspacesRemovedAfterwards()

describe('bad input', () => {
  for (const c of cases) {
    test(`${c.name} is refused before any tool runs`, async () => {
      const ws = workspace({ env: c.env })
      const run = await ws.make('demo', { args: c.args })
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, c.says, tail(run))
      assert.deepEqual(ws.invocations(), [], 'a tool ran')
      // The same input, given to a step that needs clusters and tools, is refused as early.
      const step = await ws.make('05', { args: c.args })
      assert.notEqual(step.code, 0)
      assert.match(step.stderr, c.says)
      assert.deepEqual(ws.invocations(), [], 'a tool ran')
    })
  }
})
