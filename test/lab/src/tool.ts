// How every stand-in tool runs: parse, act, print, exit with the real tool's code, and
// append one line to $LAB_STATE/invocations.jsonl: {tool, args, exitCode, start, end}.
import { appendFileSync } from 'node:fs'
import { matchingFailure } from './faults.ts'
import { files, stateDir, ToolExit } from './state.ts'
import { modelledMs } from './timing.ts'

export type Main = (args: string[]) => Promise<number | void> | number | void

export function out(text: string): void {
  if (text !== '') process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

export function err(text: string): void {
  if (text !== '') process.stderr.write(text.endsWith('\n') ? text : text + '\n')
}

export async function runTool(tool: string, main: Main): Promise<void> {
  const args = process.argv.slice(2)
  const start = Date.now()
  let exitCode = 0
  let logTo: string | undefined
  try {
    logTo = files.invocations(stateDir())
    const rule = matchingFailure(tool, args)
    if (rule) {
      out(rule.stdout ?? '')
      throw new ToolExit(rule.exitCode ?? 1, rule.stderr ?? `${tool}: failed (injected by the lab)`)
    }
    exitCode = (await main(args)) ?? 0
  } catch (error) {
    if (error instanceof ToolExit) {
      out(error.stdout)
      err(error.message)
      exitCode = error.code
    } else {
      err(`lab ${tool}: internal error: ${error instanceof Error ? error.stack : String(error)}`)
      exitCode = 70
    }
  }
  if (logTo) {
    try {
      appendFileSync(logTo, JSON.stringify({ tool, args, exitCode, start, end: Date.now(), modelledMs: modelledMs() }) + '\n')
    } catch {
      // the state folder went away (a test cleaning up): nothing to log into
    }
  }
  process.exitCode = exitCode
}
