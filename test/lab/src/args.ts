// Command lines the way the real tools (all cobra/pflag programs) read them: subcommands
// first, flags anywhere (--name=value, --name value, -n value, -nvalue, -y), `--` ends the
// flags. An unknown flag or subcommand is a UsageError, which each tool words its own way.

export interface FlagSpec {
  name: string
  short?: string
  value?: boolean // takes a value (else a switch: --flag, --flag=false)
  optional?: string // takes a value only as --flag=value; --flag alone means this (pflag's NoOptDefVal)
}

export interface CommandSpec {
  flags?: FlagSpec[]
  commands?: Record<string, CommandSpec>
  aliases?: string[]
}

export interface Parsed {
  path: string[] // the subcommands, by their canonical names
  flags: Map<string, string[]>
  args: string[] // positional arguments
  rest: string[] | undefined // after `--`
}

export class UsageError extends Error {
  readonly kind: 'flag' | 'command' | 'value'
  readonly path: string[]
  constructor(kind: 'flag' | 'command' | 'value', message: string, path: string[]) {
    super(message)
    this.kind = kind
    this.path = path
  }
}

function child(spec: CommandSpec, name: string): [string, CommandSpec] | undefined {
  for (const [key, sub] of Object.entries(spec.commands ?? {})) {
    if (key === name || sub.aliases?.includes(name)) return [key, sub]
  }
  return undefined
}

export function parseCommandLine(argv: string[], root: CommandSpec, globals: FlagSpec[], program: string): Parsed {
  // Pass 1: the subcommand path. Only global flags can come before it.
  const path: string[] = []
  const commandTokens = new Set<number>()
  let node = root
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') break
    if (token.startsWith('-') && token.length > 1) {
      const name = token.startsWith('--') ? token.slice(2) : token.slice(1, 2)
      const spec = globals.find((f) => (token.startsWith('--') ? f.name === name : f.short === name))
      if (spec?.value && !token.includes('=') && (token.startsWith('--') || token.length === 2)) i++
      continue
    }
    if (!node.commands) break
    const found = child(node, token)
    if (!found) throw new UsageError('command', `unknown command "${token}" for "${[program, ...path].join(' ')}"`, path)
    path.push(found[0])
    commandTokens.add(i)
    node = found[1]
  }
  // Pass 2: flags and arguments.
  const specs = [...globals, ...(node.flags ?? [])]
  const flags = new Map<string, string[]>()
  const args: string[] = []
  let rest: string[] | undefined
  const set = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value])
  for (let i = 0; i < argv.length; i++) {
    if (commandTokens.has(i)) continue
    const token = argv[i]!
    if (token === '--') {
      rest = argv.slice(i + 1)
      break
    }
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=')
      const name = eq >= 0 ? token.slice(2, eq) : token.slice(2)
      const spec = specs.find((f) => f.name === name)
      if (!spec) throw new UsageError('flag', `unknown flag: --${name}`, path)
      if (spec.optional !== undefined) {
        set(name, eq >= 0 ? token.slice(eq + 1) : spec.optional)
      } else if (spec.value) {
        if (eq >= 0) set(name, token.slice(eq + 1))
        else if (i + 1 < argv.length) set(name, argv[++i]!)
        else throw new UsageError('value', `flag needs an argument: --${name}`, path)
      } else {
        const value = eq >= 0 ? token.slice(eq + 1) : 'true'
        if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False'].includes(value)) {
          throw new UsageError('value', `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`, path)
        }
        set(name, ['true', '1', 't', 'TRUE', 'True'].includes(value) ? 'true' : 'false')
      }
      continue
    }
    if (token.startsWith('-') && token.length > 1) {
      // shorthands: -y, -it, -n ns, -nns, -n=ns
      for (let j = 1; j < token.length; j++) {
        const letter = token[j]!
        const spec = specs.find((f) => f.short === letter)
        if (!spec) throw new UsageError('flag', `unknown shorthand flag: '${letter}' in ${token}`, path)
        if (!spec.value) {
          set(spec.name, 'true')
          continue
        }
        let value = token.slice(j + 1)
        if (value.startsWith('=')) value = value.slice(1)
        if (value === '') {
          if (i + 1 >= argv.length) throw new UsageError('value', `flag needs an argument: '${letter}' in -${letter}`, path)
          value = argv[++i]!
        }
        set(spec.name, value)
        break
      }
      continue
    }
    args.push(token)
  }
  return { path, flags, args, rest }
}

export function flag(parsed: Parsed, name: string): string | undefined {
  const values = parsed.flags.get(name)
  return values ? values[values.length - 1] : undefined
}

export function flagList(parsed: Parsed, name: string): string[] {
  return parsed.flags.get(name) ?? []
}

export function isSet(parsed: Parsed, name: string): boolean {
  return flag(parsed, name) === 'true'
}
