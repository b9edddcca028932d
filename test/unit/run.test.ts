import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startLog } from '../../lib/output.ts'
import { CommandError, commandLine, setDryRun, shell } from '../../lib/run.ts'
import { scratchDir } from '../scratch.ts'

function tpl(pieces: TemplateStringsArray, ...args: unknown[]) {
  return commandLine(pieces, args)
}

function freshLog(): string {
  const file = join(scratchDir('workbook-run-'), 'step.log')
  startLog(file, 'test')
  return file
}

test('commands are shown as a person would type them', () => {
  const context = 'kind-cluster-east'
  assert.equal(tpl`kubectl --context=${context} get svc`, 'kubectl --context=kind-cluster-east get svc')
  assert.equal(tpl`kubectl get svc -o jsonpath=${'{.status.loadBalancer.ingress[0].ip}'}`, "kubectl get svc -o jsonpath='{.status.loadBalancer.ingress[0].ip}'")
  assert.equal(tpl`echo ${"it's"}`, "echo $'it\\'s'")
  assert.equal(tpl`helm ${['-f', 'a b.yaml']}`, "helm -f 'a b.yaml'")
})

test('a command runs through zx, with values passed as single arguments', async () => {
  setDryRun(false)
  freshLog()
  const $ = shell('east')
  const tricky = 'a b; echo injected $HOME `id`'
  const result = await $`printf %s ${tricky}`
  assert.equal(result.stdout, tricky)
  assert.equal(result.exitCode, 0)
  assert.equal((await $({ input: 'from stdin' })`cat`).stdout, 'from stdin')
})

test('a failing command throws a CommandError naming the cluster, the tool and the log', async () => {
  setDryRun(false)
  const log = freshLog()
  const $ = shell('west')
  await assert.rejects($({ fix: 'do the thing' })`sh -c ${'echo boom >&2; exit 3'}`, (error: unknown) => {
    assert.ok(error instanceof CommandError)
    assert.equal(error.exitCode, 3)
    assert.match(error.message, /^\[west\] sh failed \(exit 3\)/)
    assert.match(error.message, /boom/)
    assert.match(error.fix ?? '', /do the thing; full output: /)
    assert.ok(error.fix?.includes(log))
    return true
  })
  const nothrow = await $({ nothrow: true })`sh -c ${'exit 4'}`
  assert.equal(nothrow.exitCode, 4)
  await assert.rejects($`definitely-not-a-tool-here`, /definitely-not-a-tool-here is not installed or not on PATH/)
})

test('a secret command\'s output is never written to the log', async () => {
  setDryRun(false)
  const log = freshLog()
  const $ = shell('west')
  // The secret reaches the command on stdin and leaves on stdout; neither is logged.
  const result = await $({ secret: true, input: 'token: s3cr3t-value' })`cat`
  assert.equal(result.stdout, 'token: s3cr3t-value')
  await assert.rejects($({ secret: true, input: 'token: s3cr3t-value' })`sh -c ${'cat; exit 1'}`, (error: Error) => !error.message.includes('s3cr3t'))
  const text = readFileSync(log, 'utf8')
  assert.doesNotMatch(text, /s3cr3t/)
  assert.match(text, /stdout withheld/)
})

test('a dry run runs nothing, returns the stand-in and writes stdin to a file', async () => {
  const dir = scratchDir('workbook-dry-')
  setDryRun(true, dir)
  try {
    freshLog()
    const $ = shell('east')
    const result = await $({ standIn: '172.18.254.200' })`sh -c ${'echo should not run; exit 1'}`
    assert.deepEqual(result, { stdout: '172.18.254.200', stderr: '', exitCode: 0, standIn: true })
    await $({ input: 'kind: Secret\n', name: 'remote-secret-west' })`kubectl apply -f -`
    assert.equal(readFileSync(join(dir, 'east-remote-secret-west.yaml'), 'utf8'), 'kind: Secret\n')
  } finally {
    setDryRun(false)
  }
})

test('a stand-in given as a function is made in a dry run only', async () => {
  let made = 0
  const standIn = () => (made++, '{"keys": []}')
  const dir = scratchDir('workbook-dry-')
  setDryRun(true, dir)
  try {
    freshLog()
    const result = await shell('east')({ standIn })`sh -c ${'echo should not run; exit 1'}`
    assert.equal(result.stdout, '{"keys": []}')
    assert.equal(made, 1)
  } finally {
    setDryRun(false)
  }
  const real = await shell('east')({ standIn })`echo ran`
  assert.equal(real.stdout.trim(), 'ran')
  assert.equal(made, 1, 'a real run made the stand-in too')
})

test('env is set for the command and shown before it; show passes its output on as it comes, and keeps it', () => {
  // In a process of its own: the test runner speaks to its parent on this one's stdout.
  const dir = scratchDir('workbook-show-')
  const script = join(dir, 'show.ts')
  writeFileSync(script, [
    `import { shell } from ${JSON.stringify(new URL('../../lib/run.ts', import.meta.url).href)}`,
    `import { startLog } from ${JSON.stringify(new URL('../../lib/output.ts', import.meta.url).href)}`,
    `startLog(${JSON.stringify(join(dir, 'step.log'))}, 'test')`,
    'const $ = shell(undefined)',
    "const shown = await $({ show: true, nothrow: true, env: { STEP_GREETING: 'hello there' } })`sh -c ${'echo $STEP_GREETING; echo warned >&2; exit 2'}`",
    "process.stdout.write(`kept: ${JSON.stringify([shown.stdout, shown.stderr, shown.exitCode])}\\n`)",
    "await $`sh -c ${'echo hidden-output'}`",
    "await $({ show: true, secret: true })`sh -c ${'echo s3cr3t-token'}`",
    "process.stdout.write(`own env: ${process.env.STEP_GREETING ?? 'unset'}\\n`)",
  ].join('\n'))
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  assert.equal(run.status, 0, run.stderr)
  assert.match(run.stdout, /^\$ STEP_GREETING='hello there' sh -c /m)
  assert.match(run.stdout, /^hello there$/m)
  assert.match(run.stderr, /^warned$/m)
  assert.match(run.stdout, /^kept: \["hello there\\n","warned\\n",2\]$/m)
  assert.match(readFileSync(join(dir, 'step.log'), 'utf8'), /hello there/)
  // Without show, none of the command's own output reaches the terminal; a secret is never shown.
  assert.doesNotMatch(run.stdout + run.stderr, /^(hidden-output|s3cr3t-token)$/m)
  // The variable is the command's own.
  assert.match(run.stdout, /^own env: unset$/m)
})
