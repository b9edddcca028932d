// The one way the workbook runs a command: through zx's `$`, with every interpolated
// value quoted by zx. Each command is shown before it runs (with the real context names),
// its full output goes to the step's log, and in a dry run it is shown and not run.
//
//   await east.$`kubectl --context=${east.context} apply -f ${file}`
//   await west.$({ input: manifest })`kubectl --context=${west.context} apply -f -`
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { $, quote, type ProcessOutput } from 'zx/core'
import { WorkbookError } from './errors.ts'
import { busy, currentLog, dim, log, say, tag } from './output.ts'

export interface RunOptions {
  input?: string          // handed to the command on stdin
  secret?: boolean        // stdout holds a credential: never shown, never logged
  standIn?: string | (() => string) // what a dry run returns instead of running the command (a function when it costs something to make: called in a dry run only)
  nothrow?: boolean       // a non-zero exit is returned, not thrown
  quiet?: boolean         // not echoed to the terminal (polls in a wait); still logged
  fix?: string            // what to tell the user if the command fails
  timeout?: string        // give up after this long (zx duration, e.g. "5s")
  name?: string           // a dry run writes `input` to out/dry-run/<step>/<cluster>-<name>.yaml
  env?: Record<string, string>  // set for this command, and shown before it (VAR=value command)
  show?: boolean          // its own output is shown as it comes (a step run by an experiment); still logged
}

export interface Result {
  stdout: string
  stderr: string
  exitCode: number
  standIn: boolean
}

export type Tag = (pieces: TemplateStringsArray, ...args: unknown[]) => Promise<Result>
export interface Shell extends Tag {
  (options: RunOptions): Tag
}

export class CommandError extends WorkbookError {
  readonly exitCode: number
  readonly stderr: string
  constructor(message: string, fix: string | undefined, exitCode: number, stderr: string) {
    super(message, fix)
    this.exitCode = exitCode
    this.stderr = stderr
  }
}

let dryRun = false
let dryRunDir: string | undefined
export function setDryRun(value: boolean, dir?: string): void {
  dryRun = value
  dryRunDir = dir
}
export function isDryRun(): boolean {
  return dryRun
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && 'raw' in value
}

// Shown the way a person would type it: bare when safe, else in single quotes. (zx quotes
// what actually runs; this is only the picture of it.)
function displayQuote(text: string): string {
  if (/^[\w/.,:=@%+-]+$/.test(text)) return text
  return text.includes("'") ? quote(text) : `'${text}'`
}

function quoteArg(arg: unknown): string {
  return Array.isArray(arg) ? arg.map((a) => displayQuote(String(a))).join(' ') : displayQuote(String(arg))
}

// The command as the user would type it.
export function commandLine(pieces: TemplateStringsArray, args: unknown[]): string {
  return pieces.reduce((line, piece, i) => line + piece + (i < args.length ? quoteArg(args[i]) : ''), '').trim()
}

export function shell(label: string | undefined, options: RunOptions = {}): Shell {
  return ((first: TemplateStringsArray | RunOptions, ...args: unknown[]) =>
    isTemplate(first) ? execute(label, options, first, args) : shell(label, { ...options, ...first })) as Shell
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n')
}

// The variables a command is given, as a shell line would set them: A=1 B='x y'.
export function envPrefix(env: Record<string, string> | undefined): string {
  return Object.entries(env ?? {}).map(([name, value]) => `${name}=${displayQuote(value)} `).join('')
}

async function execute(label: string | undefined, options: RunOptions, pieces: TemplateStringsArray, args: unknown[]): Promise<Result> {
  const line = envPrefix(options.env) + commandLine(pieces, args)
  const prefix = label ? `[${label}] ` : ''
  if (!options.quiet) say(`${tag(label)}${dim('$')} ${line}${options.input !== undefined && !options.secret ? dim('  (manifest on stdin)') : ''}`)
  if (dryRun) {
    if (options.input !== undefined && options.name && dryRunDir) {
      mkdirSync(dryRunDir, { recursive: true })
      writeFileSync(join(dryRunDir, `${label ?? 'local'}-${options.name}.yaml`), options.input)
    }
    const standIn = typeof options.standIn === 'function' ? options.standIn() : options.standIn ?? ''
    log(`${prefix}$ ${line}\n(dry run: not run${options.standIn !== undefined ? `; stand-in output: ${standIn}` : ''})`)
    if (options.standIn !== undefined && !options.quiet) say(`${tag(label)}${dim(`  ↳ dry run, stand-in value: ${oneLine(standIn)}`)}`)
    return { stdout: standIn, stderr: '', exitCode: 0, standIn: true }
  }
  // A command whose output is shown draws its own progress: no spinner over it.
  const done = options.show ? () => {} : busy(label, line.length > 70 ? line.slice(0, 67) + '...' : line)
  const started = Date.now()
  let output: ProcessOutput
  try {
    const env = options.env ? { ...process.env, ...options.env } : undefined
    const shown = options.show && !options.secret ? { quiet: false, verbose: true, log: passOutputOn } : { quiet: true }
    output = await $({ ...shown, nothrow: true, input: options.input, timeout: options.timeout as never, ...(env ? { env } : {}) })(pieces, ...(args as never[]))
  } finally {
    done()
  }
  const exitCode = output.exitCode ?? 1
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  log([
    `${prefix}$ ${line}`,
    options.secret ? '(stdout withheld: it holds a credential)' : output.stdout.trimEnd(),
    output.stderr.trimEnd(),
    `(exit ${exitCode}, ${seconds}s)`,
  ].filter((part) => part !== '').join('\n'))
  if (exitCode !== 0 && !options.nothrow) {
    const tool = commandLine(pieces, args).split(' ')[0]
    const detail = lastLines(output.stderr || (options.secret ? '' : output.stdout), 3)
    const missing = exitCode === 127 ? `${tool} is not installed or not on PATH` : undefined
    throw new CommandError(
      `${prefix}${missing ?? `${tool} failed (exit ${exitCode})`}: ${line}${detail ? `\n${detail.replace(/^/gm, '  ')}` : ''}`,
      [options.fix, currentLog() ? `full output: ${currentLog()}` : undefined].filter(Boolean).join('; ') || undefined,
      exitCode,
      output.stderr,
    )
  }
  return { stdout: output.stdout, stderr: output.stderr, exitCode, standIn: false }
}

// zx reports a shown command's output through its log hook: each chunk goes to our own
// stdout or stderr as it comes (zx's own lines, the command and its end, are left out).
function passOutputOn(entry: { kind: string; data?: unknown }): void {
  if (entry.kind === 'stdout') process.stdout.write(entry.data as Buffer)
  else if (entry.kind === 'stderr') process.stderr.write(entry.data as Buffer)
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 80 ? flat.slice(0, 77) + '...' : flat
}
