// What the terminal shows and what the step's log file keeps.
// Every line names the cluster it is about. While commands or waits run, one ora spinner
// (on an interactive terminal only) lists them; finished work leaves one line behind.
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { styleText } from 'node:util'
import type { Ora } from 'ora'

let logFile: string | undefined
let spinner: Ora | undefined
const active = new Map<number, string>()
let nextId = 0

export function startLog(file: string, title: string): void {
  mkdirSync(dirname(file), { recursive: true })
  logFile = file
  log(`\n# ${title} (${new Date().toISOString()}) ${process.argv.slice(2).join(' ')}`)
}

export function currentLog(): string | undefined {
  return logFile
}

export function log(text: string): void {
  if (logFile) appendFileSync(logFile, text.endsWith('\n') ? text : text + '\n')
}

export function tag(label: string | undefined): string {
  return label ? styleText('cyan', `[${label}]`) + ' ' : ''
}

export function dim(text: string): string {
  return styleText('dim', text)
}

// Where the workbook talks to people. A step whose stdout is for a machine
// (02 --print-env) sends its chatter to stderr instead.
let human: NodeJS.WriteStream = process.stdout
export function talkOnStderr(): void {
  human = process.stderr
}

export function say(line: string): void {
  spinner?.clear()
  human.write(line + '\n')
  spinner?.render()
}

export function heading(text: string): void {
  say(styleText('bold', text))
}

export function ok(label: string | undefined, text: string): void {
  say(`${tag(label)}${styleText('green', '✔')} ${text}`)
  log(`ok: ${label ? `[${label}] ` : ''}${text}`)
}

export function note(label: string | undefined, text: string): void {
  say(`${tag(label)}${styleText('yellow', '•')} ${text}`)
  log(`note: ${label ? `[${label}] ` : ''}${text}`)
}

const interactive = () => human.isTTY === true && !process.env.CI

// Start something long: the spinner shows it until the returned function is called.
export function busy(label: string | undefined, text: string): () => void {
  const id = nextId++
  active.set(id, `${label ? `[${label}] ` : ''}${text}`)
  void refresh()
  return () => {
    active.delete(id)
    void refresh()
  }
}

let oraModule: Promise<typeof import('ora')> | undefined

async function refresh(): Promise<void> {
  if (!interactive()) return
  if (active.size === 0) {
    spinner?.stop()
    spinner = undefined
    return
  }
  oraModule ??= import('ora')
  const { default: ora } = await oraModule
  // One line only: a spinner that wraps cannot erase itself cleanly.
  const width = Math.max(20, (human.columns ?? 80) - 4)
  const all = [...active.values()].join('  ·  ')
  const text = all.length > width ? all.slice(0, width - 1) + '…' : all
  if (active.size === 0) return
  if (spinner) spinner.text = text
  else spinner = ora({ text, discardStdin: false, stream: human }).start()
}

// Spinners must not draw over a prompt.
export function pauseSpinner(): void {
  spinner?.stop()
  spinner = undefined
}
