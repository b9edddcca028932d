// The lab's state on disk: one folder per test run (LAB_STATE). Every writer takes a lock
// file for the file it changes and replaces the file by an atomic rename, so that east's
// and west's commands (run at the same time) and polls (run while applies happen) never
// see half a file or lose each other's changes.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export class ToolExit extends Error {
  readonly code: number
  readonly stdout: string
  constructor(code: number, stderr: string, stdout = '') {
    super(stderr)
    this.code = code
    this.stdout = stdout
  }
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.LAB_STATE
  if (!dir) throw new ToolExit(70, 'lab: LAB_STATE is not set: the stand-in tools keep the clusters\' state in that folder\n')
  mkdirSync(dir, { recursive: true })
  return dir
}

export const files = {
  invocations: (dir: string) => join(dir, 'invocations.jsonl'),
  faults: (dir: string) => join(dir, 'faults.json'),
  faultsConsumed: (dir: string) => join(dir, 'faults-consumed.json'),
  docker: (dir: string) => join(dir, 'docker.json'),
  clusters: (dir: string) => join(dir, 'clusters'),
  cluster: (dir: string, name: string) => join(dir, 'clusters', `${name}.json`),
  helmRepos: (dir: string) => join(dir, 'helm', 'repositories.json'),
  applied: (dir: string) => join(dir, 'applied'),
  explain: (dir: string) => join(dir, 'explain.log'),
}

export function readJson<T>(file: string, fallback: T): T {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
  return JSON.parse(text) as T
}

export function writeJsonAtomic(file: string, value: unknown, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(temp, JSON.stringify(value, null, 1) + '\n', { mode })
  renameSync(temp, file)
}

const pause = new Int32Array(new SharedArrayBuffer(4))
function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms)
}

// Hold `<file>.lock` while `work` runs. A lock older than 10 s belongs to a process that
// died holding it (critical sections here take milliseconds) and is broken.
export function withLock<T>(file: string, work: () => T): T {
  const lock = `${file}.lock`
  mkdirSync(dirname(lock), { recursive: true })
  const started = Date.now()
  let fd: number | undefined
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) unlinkSync(lock)
      } catch {
        // gone already
      }
      if (Date.now() - started > 30_000) throw new ToolExit(70, `lab: could not lock ${file} within 30s\n`)
      sleepSync(2 + Math.random() * 5)
    }
  }
  try {
    writeFileSync(fd, String(process.pid))
    return work()
  } finally {
    closeSync(fd)
    try {
      unlinkSync(lock)
    } catch {
      // broken by another process after 10 s: nothing to remove
    }
  }
}

// Read, change and write back one JSON file under its lock.
export function updateJson<T>(file: string, fallback: T, change: (value: T) => T | void): T {
  return withLock(file, () => {
    const current = readJson(file, fallback)
    const next = change(current) ?? current
    writeJsonAtomic(file, next)
    return next
  })
}

export function exists(file: string): boolean {
  return existsSync(file)
}
