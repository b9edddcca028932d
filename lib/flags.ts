// Command-line flags every script understands, plus the few a script adds for itself.
import { definitions } from './config.ts'
import { fail } from './errors.ts'

export interface Flags {
  dryRun: boolean
  yes: boolean
  switches: Set<string>          // script-specific switches, such as --print-env
  values: Map<string, string>    // --east-ip-space=200 and the like, checked by lib/config.ts
}

const commonSwitches = ['dry-run', 'yes', 'help']

export function valueFlags(): string[] {
  return Object.values(definitions).map((d) => d.flag)
}

export function parseFlags(argv: string[], extraSwitches: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Flags {
  const switches = new Set<string>()
  const values = new Map<string, string>()
  const knownValues = valueFlags()
  const knownSwitches = [...commonSwitches, ...extraSwitches]
  const known = () => [...knownSwitches.map((s) => `--${s}`), ...knownValues.map((v) => `--${v}=...`)].join(' ')
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg)
    if (!match) fail(`unexpected argument "${arg}"`, `this script takes only flags: ${known()}`)
    const [, name, inline] = match as unknown as [string, string, string | undefined]
    if (knownSwitches.includes(name)) {
      if (inline !== undefined) fail(`--${name} takes no value`, `write --${name} alone`)
      switches.add(name)
    } else if (knownValues.includes(name)) {
      const value = inline ?? argv[++i]
      if (value === undefined || value.startsWith('--')) fail(`--${name} needs a value`, `write --${name}=VALUE`)
      values.set(name, value)
    } else {
      fail(`unknown flag "${arg}"`, `known flags: ${known()}`)
    }
  }
  return {
    dryRun: switches.has('dry-run') || truthy(env.DRY_RUN),
    yes: switches.has('yes') || truthy(env.YES),
    switches,
    values,
  }
}

export function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase())
}
