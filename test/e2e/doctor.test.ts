// The doctor (make doctor, the body of 00-preflight): every problem at once, without polls
// or retries. A doctor that hangs is killed by the run's limit (10 s, times
// E2E_TIMEOUT_SCALE) and fails; how fast it answers is `make bench`'s business, not a test's.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { symlinkSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Workspace, tail } from './lab.ts'

const ws = new Workspace()
after(() => ws.remove())

test('with two tools missing, the doctor names both, each with its fix, and runs no command twice', async () => {
  const bin = join(ws.root, 'bin-without-helm-and-istioctl')
  mkdirSync(bin)
  for (const tool of ['docker', 'kind', 'kubectl']) symlinkSync(join(ws.dir, 'test', 'lab', 'bin', tool), join(bin, tool))
  const run = await ws.script('00-preflight', [], { env: { PATH: [bin, ws.systemBin].join(':') }, timeoutMs: 10_000 })
  assert.notEqual(run.code, 0)
  assert.match(run.stdout, /helm\s+ERROR\s+not on PATH\n\s+fix: install Helm 3/)
  assert.match(run.stdout, /istioctl\s+ERROR\s+not on PATH\n\s+fix: install istioctl 1\.27/)
  assert.match(run.stdout, /kind\s+ok\s+\d+\.\d+/)
  assert.match(run.stderr, /2 problems to fix first: helm, istioctl/)
  // No polls and no retries: no command was run twice.
  const calls = ws.invocations().map((i) => `${i.tool} ${i.args.join(' ')}`)
  assert.ok(calls.length >= 3, calls.join('\n'))
  assert.deepEqual(calls.filter((call, i) => calls.indexOf(call) !== i), [], 'a command was repeated')
})

test('with everything present, the doctor passes and lists each tool\'s version', async () => {
  const run = await ws.script('00-preflight', [], { timeoutMs: 10_000 })
  assert.equal(run.code, 0, tail(run))
  for (const tool of ['docker', 'docker daemon', 'kind', 'kubectl', 'helm', 'istioctl']) assert.match(run.stdout, new RegExp(`^${tool}\\s+ok\\s`, 'm'), tool)
})
