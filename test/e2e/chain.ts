// One run of the whole chain on the lab, shared by the test files that start from a point of
// it (a finished demo, or the lab after step N) instead of each running its own: the steps
// in the order docs-samples.test.ts needs (01, then the doctor once the kind network exists,
// then 02 to 15), a checkpoint after each (Workspace.checkpoint: the lab's state, the
// kubeconfig, the saved choices and out/), what each step printed, and then the two
// inspections and the cleanup (their output only; the checkpoint after 15 is the finished
// demo).
//
// It is kept under the system's temporary folder (a folder per user), keyed by a hash of
// everything that can change what it holds (chainKey: every file a workspace copies but the
// pages, the CI files and the other tests; Node's version, the lab's seed, the real kubectl),
// so a changed script or lab rule never meets a chain made before the change. One process
// builds it while the others wait (a lock folder naming its owner: a lock whose owner died is
// taken over, so a killed run blocks nobody); a chain is reused for an hour (the lab's
// certificates are valid for four), and chains and leftovers older than that are removed.
// E2E_FRESH_CHAIN=1 builds a new one whatever the store holds.
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { before } from 'node:test'
import { labSeed, limit, notCopied, realKubectl, repoRoot, steps, tail, Workspace, workspacesRemovedAfterwards, type Invocation, type Run, type WorkspaceOptions } from './lab.ts'

// The doctor after 01: its table then has the kind network's address pools row.
const chainOrder = ['01-clusters', '00-preflight', ...steps.filter((s) => s !== '00-preflight' && s !== '01-clusters')] as const
export type ChainPoint = 'empty' | typeof steps[number]
// Run after the chain, on the finished demo (their output kept, no checkpoint).
const afterwards = ['inspect-identity', 'inspect-trust', '99-cleanup'] as const

export interface Chain {
  dir: string
  // The lab after a step (or before any): a folder for Workspace.restore.
  checkpoint(point: ChainPoint): string
  // The lab's invocation log up to a point.
  invocations(point: ChainPoint): Invocation[]
  // What each step, inspection and the cleanup printed.
  runs: Record<string, Run>
  // The workspace that ran it (gone now): its paths appear in what the steps printed.
  builder: { root: string; home: string; metallbManifestUrl: string }
}

// What the chain depends on besides the environment: every entry a workspace copies (lab.ts)
// but these, which no step, lab tool or harness code reads; of test/, the lab and the
// harness. An entry nobody has sorted yet (a new folder the scripts read) counts.
const notRead = ['docs', 'README.md', 'CONTRIBUTING.md', '.github', '.ci', '.gitignore', 'test']
const harness = ['test/lab', 'test/e2e/lab.ts', 'test/e2e/chain.ts']

export function keyInputs(root: string = repoRoot): string[] {
  const top = readdirSync(root).filter((entry) => !notCopied.includes(entry) && !notRead.includes(entry))
  return [...top.sort(), ...harness]
}

export function keyEnvironment(): Record<string, string> {
  const kubectl = existsSync(realKubectl) ? statSync(realKubectl) : undefined
  return {
    node: process.version, platform: `${process.platform}-${process.arch}`, seed: labSeed,
    realKubectl: `${realKubectl} ${kubectl?.size ?? 'missing'} ${kubectl?.mtimeMs ?? ''}`,
  }
}

// A hash of every file under keyInputs (its path and content) and of the environment.
export function chainKey(root: string = repoRoot, environment: Record<string, string> = keyEnvironment()): string {
  const hash = createHash('sha256')
  const add = (relative: string) => {
    const full = join(root, relative)
    if (!existsSync(full)) return
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) add(`${relative}/${entry}`)
      return
    }
    hash.update(`${relative}\0${createHash('sha256').update(readFileSync(full)).digest('hex')}\n`)
  }
  for (const input of keyInputs(root)) add(input)
  hash.update(JSON.stringify(Object.entries(environment).sort()))
  return hash.digest('hex').slice(0, 20)
}

// The user's own: another user's chain is never read (nor can it block this one's cleanup).
const chainStore = join(tmpdir(), `workbook-e2e-chain-${userInfo().uid}`)
const reuseForMs = 3600_000

// ---------- the lock ----------

interface Owner { pid: number; host: string; started: number; nonce?: string }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// A lock is stale when its owner on this machine is gone, when it is older than anyone may
// hold it (staleMs), or when its owner never wrote its name (killed right after taking it).
export function staleLock(lock: string, staleMs: number, now = Date.now()): boolean {
  let owner: Owner
  try {
    owner = JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as Owner
  } catch {
    try {
      return now - statSync(lock).mtimeMs > 10_000
    } catch {
      return false // gone meanwhile: not stale, try again
    }
  }
  if (now - owner.started > staleMs) return true
  return owner.host === hostname() && !alive(owner.pid)
}

// Runs `work` holding the lock folder `lock` (mkdir is atomic: one process gets it), waiting
// up to waitMs for its holder, and taking over a stale lock.
export async function withLock<T>(lock: string, work: () => Promise<T>, options: { waitMs: number; staleMs: number; pollMs?: number }): Promise<T> {
  const deadline = Date.now() + options.waitMs
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (staleLock(lock, options.staleMs)) {
      // Moved aside first, so that of two processes that found it stale one removes it.
      const aside = `${lock}.stale-${process.pid}-${Date.now()}`
      try {
        renameSync(lock, aside)
        rmSync(aside, { recursive: true, force: true })
      } catch {
        // another process moved it first
      }
      continue
    }
    if (Date.now() > deadline) {
      const owner = existsSync(join(lock, 'owner.json')) ? readFileSync(join(lock, 'owner.json'), 'utf8') : '(no owner written)'
      throw new Error(`waited ${options.waitMs / 1000}s for the lock ${lock}, held by ${owner}; remove it if no test run holds it`)
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250))
  }
  const nonce = randomUUID()
  writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), started: Date.now(), nonce } satisfies Owner))
  try {
    return await work()
  } finally {
    // Only a lock still ours: one taken over meanwhile (we held it too long) is its new holder's.
    const owner = (() => {
      try {
        return JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as Owner
      } catch {
        return undefined
      }
    })()
    if (owner?.nonce === nonce) rmSync(lock, { recursive: true, force: true })
  }
}

// ---------- the store ----------

// <key>.<built at> holds a finished chain; <key>.lock, its builder's lock; <key>.tmp-<pid>-<n>, one
// being built.
function readyChains(key: string, now = Date.now()): string[] {
  if (!existsSync(chainStore)) return []
  return readdirSync(chainStore)
    .map((name) => ({ name, built: Number(new RegExp(`^${key}\\.(\\d+)$`).exec(name)?.[1]) }))
    .filter(({ built, name }) => Number.isFinite(built) && now - built >= 0 && now - built < reuseForMs && existsSync(join(chainStore, name, 'chain.json')))
    .sort((a, b) => b.built - a.built)
    .map(({ name }) => join(chainStore, name))
}

// Chains of any key built over two hours ago (an hour after their last reuse could begin),
// and folders a dead builder left.
function removeStale(now = Date.now()): void {
  if (!existsSync(chainStore)) return
  for (const name of readdirSync(chainStore)) {
    const full = join(chainStore, name)
    const built = /^[0-9a-f]+\.(\d+)$/.exec(name)?.[1]
    const building = /\.tmp-(\d+)-\d+$/.exec(name)?.[1]
    let old = false
    try {
      old = now - statSync(full).mtimeMs > 2 * reuseForMs
    } catch {
      continue
    }
    // A build time in the future (the clock was set back) counts as old.
    if ((built && (now < Number(built) || now - Number(built) > 2 * reuseForMs)) || (building && (!alive(Number(building)) || old)) || (/\.stale-/.test(name) && old)) {
      rmSync(full, { recursive: true, force: true })
    }
  }
}

function openChain(dir: string): Chain {
  const saved = JSON.parse(readFileSync(join(dir, 'chain.json'), 'utf8')) as Pick<Chain, 'runs' | 'builder'>
  const checkpoint = (point: ChainPoint) => {
    const folder = join(dir, 'checkpoints', point)
    if (!existsSync(join(folder, 'lab-state'))) throw new Error(`the shared chain ${dir} has no checkpoint ${point}`)
    return folder
  }
  return {
    dir,
    ...saved,
    checkpoint,
    invocations(point) {
      const log = join(checkpoint(point), 'lab-state', 'invocations.jsonl')
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Invocation) : []
    },
  }
}

async function build(into: string, key: string): Promise<void> {
  const ws = new Workspace()
  try {
    // The files copied are the files keyed: one saved between the two is a chain for neither.
    if (chainKey(ws.dir) !== key) throw new Error('the shared chain: the repo changed while its files were copied; run the tests again')
    const runs: Record<string, Run> = {}
    ws.checkpoint('empty')
    for (const step of chainOrder) {
      runs[step] = await ws.script(step)
      if (runs[step]!.code !== 0) throw new Error(`the shared chain: ${step} failed on the lab:\n${tail(runs[step]!)}`)
      ws.checkpoint(step)
    }
    for (const target of afterwards) {
      runs[target] = target === '99-cleanup' ? await ws.script(target, ['--yes']) : await ws.make(target)
      if (runs[target]!.code !== 0) throw new Error(`the shared chain: ${target} failed on the lab:\n${tail(runs[target]!)}`)
    }
    mkdirSync(into, { recursive: true })
    renameSync(join(ws.root, 'checkpoints'), join(into, 'checkpoints'))
    const builder = { root: ws.root, home: ws.home, metallbManifestUrl: ws.env.METALLB_MANIFEST_URL! }
    writeFileSync(join(into, 'chain.json'), JSON.stringify({ runs, builder }))
  } finally {
    ws.remove()
  }
}

let shared: Promise<Chain> | undefined

// Which chain a test file starts from, in its output: a failure can then be told apart from
// a chain built before (E2E_FRESH_CHAIN=1 builds another).
function said(chain: Chain, how: string): Chain {
  const built = Number(/\.(\d+)$/.exec(chain.dir)?.[1])
  console.log(`# the shared chain ${chain.dir}: ${how}, ${Math.round((Date.now() - built) / 1000)} s old`)
  return chain
}

// The chain for the files as they are now: reused when one was built for the same key within
// the hour, else built here (or by the process already building it, waited for).
export function sharedChain(): Promise<Chain> {
  shared ??= (async () => {
    const key = chainKey()
    mkdirSync(chainStore, { recursive: true, mode: 0o700 })
    removeStale()
    const fresh = Boolean(process.env.E2E_FRESH_CHAIN)
    const ready = fresh ? undefined : readyChains(key)[0]
    if (ready) return said(openChain(ready), 'reused')
    return withLock(join(chainStore, `${key}.lock`), async () => {
      const meanwhile = fresh ? undefined : readyChains(key)[0]
      if (meanwhile) return said(openChain(meanwhile), 'built by another test file')
      const building = join(chainStore, `${key}.tmp-${process.pid}-${Date.now()}`)
      try {
        await build(building, key)
        const done = join(chainStore, `${key}.${Date.now()}`)
        try {
          renameSync(building, done)
        } catch (error) {
          // Two builders (a lock taken over twice at once) finishing in the same millisecond.
          if (!readyChains(key).includes(done)) throw error
        }
        return said(openChain(done), 'built here')
      } finally {
        rmSync(building, { recursive: true, force: true })
      }
    }, { waitMs: limit(600_000), staleMs: limit(600_000) })
  })()
  return shared
}

// Workspaces that each start from the shared chain's finished demo (the lab after step 15,
// its kubeconfig, choices and out/), removed after the file's (or suite's) tests.
export function finishedDemoWorkspaces(): (options?: WorkspaceOptions) => Workspace {
  const workspace = workspacesRemovedAfterwards()
  let done = ''
  before(async () => {
    done = (await sharedChain()).checkpoint('15-send-requests')
  })
  return (options) => {
    if (!done) throw new Error('finishedDemoWorkspaces: a workspace asked for before the suite\'s before hooks ran (ask inside a test or a later hook)')
    const ws = workspace(options)
    ws.restore(done)
    return ws
  }
}
