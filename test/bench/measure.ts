// The benchmark's arithmetic, apart from running anything: which step and which cluster
// each lab invocation belongs to, and the sums and critical path over them.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import type { Invocation } from '../e2e/lab.ts'

export type { Invocation }

export type Side = 'east' | 'west' | 'both'

// When each step started, from the header its log begins with:
// "# 05-federate-bundles: federate the two trust bundles (2026-11-28T19:43:37.726Z) ..."
export function stepStarts(logs: string): Array<{ step: string; start: number }> {
  const starts: Array<{ step: string; start: number }> = []
  if (!existsSync(logs)) return starts
  for (const file of readdirSync(logs).filter((f) => f.endsWith('.log'))) {
    for (const match of readFileSync(join(logs, file), 'utf8').matchAll(/^# (\d\d-[a-z0-9-]+): .*\((\d{4}-\d\d-\d\dT[\d:.]+Z)\)/gm)) {
      starts.push({ step: match[1]!, start: Date.parse(match[2]!) })
    }
  }
  return starts.sort((a, b) => a.start - b.start)
}

export function stepOf(invocation: Invocation, starts: Array<{ step: string; start: number }>): string {
  let step = 'before'
  for (const s of starts) if (s.start <= invocation.start) step = s.step
  return step
}

// Which cluster an invocation is about: its --context / --kube-context, kind's --name,
// or the node container docker inspects. Anything else (helm repo, kind get clusters,
// docker network inspect) concerns both.
export function sideOf(invocation: Invocation, names: Record<'east' | 'west', string>): Side {
  const args = invocation.args
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const value = /^--(?:kube-)?context=(.*)$/.exec(arg)?.[1]
      ?? (['--context', '--kube-context', '--name'].includes(arg) ? args[i + 1] : undefined)
      ?? (/-control-plane$/.test(arg) ? arg : undefined)
    if (value === undefined) continue
    for (const side of ['east', 'west'] as const) {
      if (value === `kind-cluster-${names[side]}` || value === `cluster-${names[side]}` || value === `cluster-${names[side]}-control-plane`) return side
    }
  }
  return 'both'
}

export interface Measures {
  S: number                                   // seconds, one after another
  C: number                                   // seconds, the critical path
  perStep: Record<string, { S: number; C: number; east: number; west: number; both: number }>
}

// S adds every invocation's modelled duration. C takes the steps in order and, within a
// step, the work about both clusters plus the longer of east's and west's chains.
export function measure(invocations: Invocation[], starts: Array<{ step: string; start: number }>, names: Record<'east' | 'west', string> = { east: 'east', west: 'west' }): Measures {
  const perStep: Measures['perStep'] = {}
  for (const invocation of invocations) {
    const step = stepOf(invocation, starts)
    const row = perStep[step] ??= { S: 0, C: 0, east: 0, west: 0, both: 0 }
    const seconds = (invocation.modelledMs ?? 0) / 1000
    row.S += seconds
    row[sideOf(invocation, names)] += seconds
  }
  for (const row of Object.values(perStep)) row.C = row.both + Math.max(row.east, row.west)
  const total = (key: 'S' | 'C') => Object.values(perStep).reduce((sum, row) => sum + row[key], 0)
  return { S: total('S'), C: total('C'), perStep }
}

// Wall time of each step of a run: from its start to the next step's start (or the end).
export function stepWalls(starts: Array<{ step: string; start: number }>, end: number): Record<string, number> {
  return Object.fromEntries(starts.map((s, i) => [s.step, ((starts[i + 1]?.start ?? end) - s.start) / 1000]))
}

export function benchLine(m: { S: number; C: number; W: number; O: number; scripts: number }): string {
  const f = (n: number, digits = 2) => n.toFixed(digits)
  return `bench: S=${f(m.S)} C=${f(m.C)} W=${f(m.W)} O=${f(m.O)} W/S=${f(m.W / m.S)} (W-O)/C=${f((m.W - m.O) / m.C)} O/script=${f(m.O / m.scripts)}`
}
