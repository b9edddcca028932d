// The shared chain's store (chain.ts) on its own: its key changes with anything the chain
// depends on and with nothing else, and its lock neither lets two builders in nor blocks a
// run forever after a builder was killed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { chainKey, keyEnvironment, keyInputs, staleLock, withLock } from './chain.ts'
import { repoRoot } from './lab.ts'
import { scratchDir } from '../scratch.ts'

const scratch = () => scratchDir('workbook-chain-test-')

// A copy of what the key reads, somewhere else.
function copyInputs(): string {
  const dir = scratch()
  for (const input of keyInputs()) if (existsSync(join(repoRoot, input))) cpSync(join(repoRoot, input), join(dir, input), { recursive: true })
  return dir
}

describe('the shared chain\'s key', () => {
  const environment = keyEnvironment()

  test('the same files elsewhere give the same key; a changed script, lib module, template, lab file, harness or lockfile another', () => {
    const copy = copyInputs()
    try {
      const key = chainKey(copy, environment)
      assert.equal(key, chainKey(repoRoot, environment), 'a copy of the repo (another workspace, a fresh clone) has another key')
      const keys = new Set([key])
      for (const file of ['scripts/05-federate-bundles.ts', 'lib/clusters.ts', 'templates/metallb-pool.yaml', 'test/lab/src/kubectl.ts', 'test/lab/bin/helm', 'test/e2e/lab.ts', 'Makefile', 'package-lock.json']) {
        assert.ok(existsSync(join(copy, file)), `${file} is one of the key's inputs`)
        appendFileSync(join(copy, file), '\n')
        const changed = chainKey(copy, environment)
        assert.ok(!keys.has(changed), `changing ${file} left the key as it was`)
        keys.add(changed)
      }
      // A new file counts too (a new lab module, a new step), and so does a new entry at the
      // top that nobody has sorted out as unread (a folder of versions the scripts read).
      writeFileSync(join(copy, 'test', 'lab', 'src', 'new-rule.ts'), 'export {}\n')
      assert.ok(!keys.has(chainKey(copy, environment)), 'a new lab file left the key as it was')
      keys.add(chainKey(copy, environment))
      mkdirSync(join(copy, 'charts'))
      writeFileSync(join(copy, 'charts', 'versions.json'), '{}\n')
      assert.ok(!keys.has(chainKey(copy, environment)), 'a new top-level folder left the key as it was')
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })

  test('what the chain does not read leaves the key alone: the pages, the other tests', () => {
    const copy = copyInputs()
    try {
      const key = chainKey(copy, environment)
      mkdirSync(join(copy, 'docs'))
      writeFileSync(join(copy, 'docs', '05-federate-bundles.md'), '# changed\n')
      mkdirSync(join(copy, 'test', 'unit'), { recursive: true })
      writeFileSync(join(copy, 'test', 'unit', 'x.test.ts'), '\n')
      writeFileSync(join(copy, 'README.md'), '# changed\n')
      // What a workspace never copies: the user's own run.
      mkdirSync(join(copy, 'out'))
      writeFileSync(join(copy, 'out', 'step.log'), 'x\n')
      assert.equal(chainKey(copy, environment), key)
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })

  test('another Node, lab seed or real kubectl gives another key', () => {
    const key = chainKey(repoRoot, environment)
    for (const [name, value] of [['node', 'v25.0.0'], ['seed', 'another-seed'], ['realKubectl', '/opt/kubectl 1 2']]) {
      assert.notEqual(chainKey(repoRoot, { ...environment, [name!]: value! }), key, name)
    }
  })
})

describe('the shared chain\'s lock', () => {
  const deadPid = () => {
    const child = spawnSync(process.execPath, ['-e', '0'])
    assert.equal(child.status, 0)
    return child.pid
  }
  const owned = (lock: string, owner: { pid: number; host?: string; started?: number; nonce?: string }) => {
    mkdirSync(lock)
    writeFileSync(join(lock, 'owner.json'), JSON.stringify({ host: hostname(), started: Date.now(), ...owner }))
  }

  test('one holder at a time: the second waits until the first lets go', async () => {
    const dir = scratch()
    const lock = join(dir, 'x.lock')
    const order: string[] = []
    const first = withLock(lock, async () => {
      order.push('first in')
      await new Promise((resolve) => setTimeout(resolve, 300))
      order.push('first out')
    }, { waitMs: 5000, staleMs: 60_000, pollMs: 20 })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const second = withLock(lock, async () => { order.push('second in') }, { waitMs: 5000, staleMs: 60_000, pollMs: 20 })
    await Promise.all([first, second])
    assert.deepEqual(order, ['first in', 'first out', 'second in'])
    assert.equal(existsSync(lock), false, 'the lock is left behind')
    rmSync(dir, { recursive: true, force: true })
  })

  test('a lock whose holder was killed is taken over at once', async () => {
    const dir = scratch()
    const lock = join(dir, 'x.lock')
    owned(lock, { pid: deadPid() })
    assert.equal(staleLock(lock, 60_000), true)
    // No time to wait at all: a lock that were not taken over would end in an error.
    assert.equal(await withLock(lock, async () => 'built', { waitMs: 0, staleMs: 60_000, pollMs: 20 }), 'built')
    rmSync(dir, { recursive: true, force: true })
  })

  test('a builder killed while it holds the lock: the next run takes the lock over', async () => {
    const dir = scratch()
    const lock = join(dir, 'x.lock')
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `const { withLock } = await import(${JSON.stringify(new URL('./chain.ts', import.meta.url).href)}); await withLock(${JSON.stringify(lock)}, () => new Promise(() => setInterval(() => {}, 1000)), { waitMs: 1000, staleMs: 600000 })`], { stdio: 'ignore' })
    try {
      for (let i = 0; i < 200 && !existsSync(join(lock, 'owner.json')); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      assert.ok(existsSync(join(lock, 'owner.json')), 'the builder took the lock')
      assert.equal(staleLock(lock, 600_000), false, 'a live builder\'s lock is stale')
      const gone = new Promise((resolve) => holder.on('exit', resolve))
      holder.kill('SIGKILL')
      await gone
      assert.equal(await withLock(lock, async () => 'built', { waitMs: 0, staleMs: 600_000, pollMs: 20 }), 'built')
    } finally {
      holder.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a lock held longer than anyone may hold it is stale, its holder alive or not; a lock without a holder\'s name, after 10 s', () => {
    const dir = scratch()
    const old = join(dir, 'old.lock')
    owned(old, { pid: process.pid, started: Date.now() - 120_000 })
    assert.equal(staleLock(old, 60_000), true)
    const held = join(dir, 'held.lock')
    owned(held, { pid: process.pid })
    assert.equal(staleLock(held, 60_000), false, 'a live holder\'s lock is stale')
    const nameless = join(dir, 'nameless.lock')
    mkdirSync(nameless)
    assert.equal(staleLock(nameless, 60_000), false, 'a lock just taken, its holder about to write its name')
    const longAgo = new Date(Date.now() - 60_000)
    utimesSync(nameless, longAgo, longAgo)
    assert.equal(staleLock(nameless, 60_000), true)
    rmSync(dir, { recursive: true, force: true })
  })

  test('a holder whose lock was taken over meanwhile leaves the new holder\'s lock in place', async () => {
    const dir = scratch()
    const lock = join(dir, 'x.lock')
    await withLock(lock, async () => {
      // Taken over while we hold it (we were thought dead, or held it too long).
      rmSync(lock, { recursive: true, force: true })
      owned(lock, { pid: process.pid, nonce: 'the new holder' })
    }, { waitMs: 0, staleMs: 60_000 })
    assert.ok(existsSync(join(lock, 'owner.json')), 'the former holder removed the new holder\'s lock')
    rmSync(dir, { recursive: true, force: true })
  })

  test('a live holder that does not let go: the wait ends with an error naming it', async () => {
    const dir = scratch()
    const lock = join(dir, 'x.lock')
    owned(lock, { pid: process.pid })
    await assert.rejects(withLock(lock, async () => 'built', { waitMs: 300, staleMs: 60_000, pollMs: 20 }), (error: Error) => {
      assert.match(error.message, new RegExp(`waited 0\\.3s for the lock .*x\\.lock, held by .*"pid":${process.pid}.*; remove it if no test run holds it`))
      return true
    })
    rmSync(dir, { recursive: true, force: true })
  })
})
