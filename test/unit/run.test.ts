import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLog } from '../../lib/output.ts'
import { CommandError, commandLine, setDryRun, shell } from '../../lib/run.ts'

function tpl(pieces: TemplateStringsArray, ...args: unknown[]) {
  return commandLine(pieces, args)
}

function freshLog(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'workbook-run-')), 'step.log')
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
  const dir = mkdtempSync(join(tmpdir(), 'workbook-dry-'))
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
