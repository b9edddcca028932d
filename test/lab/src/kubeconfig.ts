// Kubeconfig files as kubectl reads them (KUBECONFIG, a list; else ~/.kube/config; the
// first file that names a context or cluster wins) and as kind writes them.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { parse, stringify } from 'yaml'
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { withLock } from './state.ts'

export interface KubeconfigDoc {
  apiVersion?: string
  kind?: string
  clusters?: Array<{ name: string; cluster: { server?: string; 'certificate-authority-data'?: string; [k: string]: unknown } }>
  contexts?: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>
  users?: Array<{ name: string; user: Record<string, unknown> }>
  'current-context'?: string
  preferences?: Record<string, unknown>
  [key: string]: unknown
}

export function kubeconfigFiles(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [explicit]
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean)
  return [join(env.HOME ?? homedir(), '.kube', 'config')]
}

function load(file: string): KubeconfigDoc {
  if (!existsSync(file)) return {}
  const text = readFileSync(file, 'utf8')
  return (parse(text) as KubeconfigDoc | null) ?? {}
}

export interface Target {
  context: string
  server: string
  token?: string
  namespace?: string
}

export type Resolution = { ok: true; target: Target } | { ok: false; problem: 'no-context' | 'no-current' | 'no-cluster'; name?: string }

// What a command with --context=<name> (or none: the current context) talks to.
export function resolveContext(requested: string | undefined, explicitFile?: string, env: NodeJS.ProcessEnv = process.env): Resolution {
  const docs = kubeconfigFiles(explicitFile, env).map(load)
  let name = requested
  if (!name) name = docs.find((d) => d['current-context'])?.['current-context']
  if (!name) return { ok: false, problem: 'no-current' }
  const context = docs.flatMap((d) => d.contexts ?? []).find((c) => c?.name === name)
  if (!context) return { ok: false, problem: 'no-context', name }
  const cluster = docs.flatMap((d) => d.clusters ?? []).find((c) => c?.name === context.context?.cluster)
  if (!cluster?.cluster?.server) return { ok: false, problem: 'no-cluster', name }
  const user = docs.flatMap((d) => d.users ?? []).find((u) => u?.name === context.context?.user)
  const token = typeof user?.user?.token === 'string' ? user.user.token : undefined
  return { ok: true, target: { context: name, server: cluster.cluster.server, token, namespace: context.context.namespace } }
}

export function contextNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const names: string[] = []
  for (const doc of kubeconfigFiles(undefined, env).map(load)) {
    for (const c of doc.contexts ?? []) if (c?.name && !names.includes(c.name)) names.push(c.name)
  }
  return names
}

function save(file: string, doc: KubeconfigDoc): void {
  mkdirSync(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, stringify(doc), { mode: 0o600 })
  renameSync(temp, file)
}

// kind's own lock (pkg/cluster/internal/kubeconfig/internal/kubeconfig/lock.go, v0.29.0
// to v0.32.0): <file>.lock made with O_CREATE|O_EXCL, removed after the write, and never
// broken however old it is (unlike the lab's own locks). `kind create cluster` tries four
// times, 0, 1, 50 and 100 ms apart (pkg/cluster/internal/create/create.go); export and
// delete try once.
export class KindLockError extends Error {}

const pause = new Int32Array(new SharedArrayBuffer(4))
export const createTries = [0, 1, 50, 100]

function kindLocked(file: string, tries: number[], work: () => void): void {
  const lock = `${file}.lock`
  mkdirSync(dirname(lock), { recursive: true })
  for (const wait of tries) {
    Atomics.wait(pause, 0, 0, wait)
    let fd: number
    try {
      fd = openSync(lock, 'wx', 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      continue
    }
    closeSync(fd)
    try {
      return work()
    } finally {
      rmSync(lock, { force: true })
    }
  }
  throw new KindLockError(`failed to lock config file: open ${lock}: file exists`)
}

// kind writes into the first file of KUBECONFIG, under its own lock.
export function writeKindEntry(entry: { name: string; server: string; ca: string; cert: string; key: string }, env: NodeJS.ProcessEnv = process.env, tries = [0]): string {
  const file = kubeconfigFiles(undefined, env)[0]!
  kindLocked(file, tries, () => upsertEntries(file, [{ ...entry, user: { 'client-certificate-data': entry.cert, 'client-key-data': entry.key } }], entry.name))
  return file
}

// Entries of any shape (kind's, or an existing cluster's as its cloud's CLI writes them)
// into one file: a cluster, a context and a user of the same name each.
export function addEntries(file: string, entries: Array<{ name: string; server: string; ca: string; user: Record<string, unknown> }>, current?: string): void {
  withLock(file, () => upsertEntries(file, entries, current))
}

function upsertEntries(file: string, entries: Array<{ name: string; server: string; ca: string; user: Record<string, unknown> }>, current?: string): void {
  const doc = load(file)
  doc.apiVersion ??= 'v1'
  doc.kind ??= 'Config'
  doc.preferences ??= {}
  const upsert = <T extends { name: string }>(list: T[] | undefined, item: T): T[] => [...(list ?? []).filter((i) => i?.name !== item.name), item]
  for (const entry of entries) {
    doc.clusters = upsert(doc.clusters, { name: entry.name, cluster: { 'certificate-authority-data': entry.ca, server: entry.server } })
    doc.contexts = upsert(doc.contexts, { name: entry.name, context: { cluster: entry.name, user: entry.name } })
    doc.users = upsert(doc.users, { name: entry.name, user: entry.user })
  }
  if (current !== undefined) doc['current-context'] = current
  save(file, doc)
}

export function removeKindEntry(name: string, env: NodeJS.ProcessEnv = process.env): void {
  for (const file of kubeconfigFiles(undefined, env)) {
    if (!existsSync(file)) continue
    kindLocked(file, [0], () => {
      const doc = load(file)
      const before = JSON.stringify(doc)
      doc.clusters = (doc.clusters ?? []).filter((c) => c?.name !== name)
      doc.contexts = (doc.contexts ?? []).filter((c) => c?.name !== name)
      doc.users = (doc.users ?? []).filter((u) => u?.name !== name)
      if (doc['current-context'] === name) doc['current-context'] = ''
      if (JSON.stringify(doc) !== before) save(file, doc)
    })
  }
}
