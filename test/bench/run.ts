// Runs `make demo` on the test lab twice: once with every tool answering at once (the
// workbook's own overhead), once with the modelled durations scaled down.
import { join } from 'node:path'
import { steps, Workspace, tail } from '../e2e/lab.ts'
import { measure, stepStarts, stepWalls, type Invocation, type Measures } from './measure.ts'

export interface BenchRun {
  W: number
  invocations: Invocation[]
  walls: Record<string, number>
  measures: Measures
}

export async function demoOnLab(timeScale: number): Promise<BenchRun> {
  const ws = new Workspace({ timeScale })
  try {
    const run = await ws.make('demo', { timeoutMs: 600_000 })
    if (run.code !== 0) throw new Error(`make demo failed on the lab (LAB_TIME_SCALE=${timeScale}):\n${tail(run)}`)
    const starts = stepStarts(join(ws.dir, 'out', 'logs'))
    const end = Math.max(...ws.invocations().map((i) => i.end), Date.now())
    return { W: run.ms / 1000, invocations: ws.invocations(), walls: stepWalls(starts, starts.length ? Math.min(end, starts[0]!.start + run.ms) : end), measures: measure(ws.invocations(), starts) }
  } finally {
    ws.remove()
  }
}

export const scriptCount = steps.length
