// Waits: say what they wait for, poll fast at first and then every second at most, and
// give up at a deadline the user can move with an environment variable.
import { deadlines, type DeadlineName } from './defaults.ts'
import { fail } from './errors.ts'
import { busy, log, ok } from './output.ts'
import { isDryRun } from './run.ts'

export function deadlineSeconds(name: DeadlineName, env: NodeJS.ProcessEnv = process.env): number {
  const { env: variable, seconds } = deadlines[name]
  const text = env[variable]
  if (text === undefined || text === '') return seconds
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) fail(`${variable}="${text}" is not a number of seconds`, `set ${variable} to a positive number, or unset it for the default of ${seconds}`)
  return value
}

// Each poll is one command; one that hangs (a stalled exec) is cut off here and counts
// as "not yet", so the deadline still holds.
export const probeTimeout = '30s'

// Time between two polls: a tenth of the time waited so far, between 0.1 s and 1 s, so a
// condition that holds soon is noticed soon and a long wait does not hammer the cluster.
export function pollInterval(elapsedMs: number): number {
  return Math.min(1000, Math.max(100, elapsedMs / 10))
}

export interface Probe<T> {
  (): Promise<T | undefined>
}

// Poll `probe` until it returns a value. `lastSeen` says what the last poll showed, for the error.
export async function waitFor<T>(
  label: string | undefined,
  what: string,
  deadline: DeadlineName,
  probe: Probe<T>,
  fix: string,
  lastSeen: () => string | undefined = () => undefined,
): Promise<T> {
  const seconds = deadlineSeconds(deadline)
  const started = Date.now()
  const done = busy(label, `waiting for ${what}`)
  let dryRunPolls = 0
  log(`${label ? `[${label}] ` : ''}waiting for ${what} (deadline ${seconds}s)`)
  try {
    for (;;) {
      const value = await probe()
      const elapsed = Date.now() - started
      if (value !== undefined) {
        const shown = typeof value === 'string' && value.length <= 60 && !value.includes('\n') ? `: ${value}` : ''
        ok(label, `${what}${shown} (${(elapsed / 1000).toFixed(1)}s)`)
        return value
      }
      if (isDryRun()) {
        // Stand-ins answer at once; a condition they never satisfy is a bug, not a wait.
        if (++dryRunPolls > 1000) fail(`[${label}] a dry run cannot wait for ${what}: its stand-ins never satisfy the check`, 'this is a bug in the workbook; please report it')
        continue
      }
      if (elapsed >= seconds * 1000) {
        const seen = lastSeen()
        const { env } = deadlines[deadline]
        fail(`${label ? `[${label}] ` : ''}gave up waiting for ${what} after ${seconds}s${seen ? ` (last seen: ${seen})` : ''}`,
          `${fix}; to wait longer, set ${env}=<seconds>`)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollInterval(elapsed), seconds * 1000 - elapsed + 10)))
    }
  } finally {
    done()
  }
}
