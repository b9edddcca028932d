// Every manifest a tool was handed, kept as it was parsed, for tests to validate:
// $LAB_STATE/applied/<time>-<pid>-<n>.json = {tool, cluster, source, time, kind, documents}.
// kind is "manifest" (kubectl apply, istioctl install) or "values" (helm -f files).
// These can hold credentials (the remote secret), so they are readable by their owner only.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Obj } from './model.ts'
import { files, stateDir } from './state.ts'

export interface AppliedRecord {
  tool: string
  cluster: string
  source: string
  time: number
  kind: 'manifest' | 'values'
  documents: Obj[]
}

let counter = 0

export function recordApplied(record: Omit<AppliedRecord, 'time'>): void {
  const dir = files.applied(stateDir())
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const time = Date.now()
  writeFileSync(join(dir, `${time}-${process.pid}-${counter++}.json`), JSON.stringify({ ...record, time }, null, 1), { mode: 0o600 })
}

export function appliedRecords(state: string): AppliedRecord[] {
  const dir = files.applied(state)
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch {
    return []
  }
  return names.map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as AppliedRecord).sort((a, b) => a.time - b.time)
}
