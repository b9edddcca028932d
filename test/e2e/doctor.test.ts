// The doctor (make doctor, the body of 00-preflight): every problem at once, quickly.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { symlinkSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Workspace, tail } from './lab.ts'

const ws = new Workspace()
after(() => ws.remove())

test('with two tools missing, the doctor names both, each with its fix, in under 2 seconds', async () => {
  const bin = join(ws.root, 'bin-without-helm-and-istioctl')
  mkdirSync(bin)
  for (const tool of ['docker', 'kind', 'kubectl']) symlinkSync(join(ws.dir, 'test', 'lab', 'bin', tool), join(bin, tool))
  const run = await ws.script('00-preflight', [], { env: { PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(':') } })
  assert.notEqual(run.code, 0)
  assert.match(run.stdout, /helm\s+ERROR\s+not on PATH\n\s+fix: install Helm 3/)
  assert.match(run.stdout, /istioctl\s+ERROR\s+not on PATH\n\s+fix: install istioctl 1\.27/)
  assert.match(run.stdout, /kind\s+ok\s+\d+\.\d+/)
  assert.match(run.stderr, /2 problems to fix first: helm, istioctl/)
  assert.ok(run.ms < 2000, `the doctor took ${run.ms} ms`)
})

test('with everything present, the doctor passes and lists each tool\'s version', async () => {
  const run = await ws.script('00-preflight')
  assert.equal(run.code, 0, tail(run))
  for (const tool of ['docker', 'docker daemon', 'kind', 'kubectl', 'helm', 'istioctl']) assert.match(run.stdout, new RegExp(`^${tool}\\s+ok\\s`, 'm'), tool)
})
