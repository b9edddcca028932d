// The workbook's choices: where each comes from, how it is checked, and where it is kept.
// Order of precedence: a command-line flag, then an environment variable, then the saved
// config file, then (on an interactive terminal, in the script that offers it) a prompt,
// then the default. Whatever a script settles on is saved, so later scripts agree with it.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { defaults, paths } from './defaults.ts'
import { fail } from './errors.ts'
import * as check from './validate.ts'

export interface Choices {
  eastName: string
  westName: string
  eastIpSpace: number
  westIpSpace: number
  requests: number
  provider: 'kind' | 'existing'
  eastContext: string
  westContext: string
  westApiServer: string    // '' = worked out (kind: the node's IP; existing: the context's server)
}

export type Key = keyof Choices
type Source = 'flag' | 'env' | 'file' | 'prompt' | 'default'

interface Definition<K extends Key> {
  flag: string
  env: string
  default: (partial: Partial<Choices>) => Choices[K]
  parse: (value: string, setting: string) => Choices[K]
  question?: string
  asked?: (choices: Choices) => boolean   // only worth asking when this holds
}

const providers = ['kind', 'existing'] as const

export const definitions: { [K in Key]: Definition<K> } = {
  eastName: { flag: 'east-name', env: 'EAST_NAME', default: () => defaults.eastName, parse: check.clusterName },
  westName: { flag: 'west-name', env: 'WEST_NAME', default: () => defaults.westName, parse: check.clusterName },
  eastIpSpace: {
    flag: 'east-ip-space', env: 'EAST_IP_SPACE', default: () => defaults.eastIpSpace, parse: check.ipSpace,
    question: 'ip space for east (third octet of its MetalLB pool, 0-255)', asked: (c) => c.provider === 'kind',
  },
  westIpSpace: {
    flag: 'west-ip-space', env: 'WEST_IP_SPACE', default: () => defaults.westIpSpace, parse: check.ipSpace,
    question: 'ip space for west (third octet of its MetalLB pool, 0-255)', asked: (c) => c.provider === 'kind',
  },
  requests: {
    flag: 'requests', env: 'REQUESTS', default: () => defaults.requests, parse: (v, s) => check.positiveCount(v, s),
    question: 'how many requests should step 15 send at least',
  },
  provider: {
    flag: 'provider', env: 'CLUSTER_PROVIDER', default: () => defaults.provider,
    parse: (v, s) => check.oneOf(v, providers, s),
    question: 'clusters: create two kind clusters (kind) or use two existing contexts (existing)',
  },
  eastContext: {
    flag: 'east-context', env: 'EAST_CONTEXT', default: (c) => `kind-cluster-${c.eastName}`, parse: contextName,
    question: 'kubeconfig context of the east cluster', asked: (c) => c.provider === 'existing',
  },
  westContext: {
    flag: 'west-context', env: 'WEST_CONTEXT', default: (c) => `kind-cluster-${c.westName}`, parse: contextName,
    question: 'kubeconfig context of the west cluster', asked: (c) => c.provider === 'existing',
  },
  westApiServer: { flag: 'west-api-server', env: 'WEST_API_SERVER', default: () => '', parse: (v, s) => check.apiServerUrl(v, s) },
}

function contextName(value: string, setting: string): string {
  if (value.trim() === '' || /\s/.test(value)) fail(`${setting} "${value}" is not a context name`, 'give a context listed by `kubectl config get-contexts -o name`')
  return value
}

// Settings the config file may hold, in the order they are resolved (contexts default from names).
const order: Key[] = ['eastName', 'westName', 'eastIpSpace', 'westIpSpace', 'requests', 'provider', 'eastContext', 'westContext', 'westApiServer']

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WORKBOOK_CONFIG ?? paths.configFile)
}

function readSaved(file: string): Partial<Record<Key, unknown>> {
  if (!existsSync(file)) return {}
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) throw new Error('not an object')
    return saved
  } catch (error) {
    return fail(`the saved choices in ${file} cannot be read (${(error as Error).message})`,
      `fix the JSON by hand, or move the file away to start again from the defaults`)
  }
}

export class Config {
  readonly values: Choices
  readonly sources: Record<Key, Source>
  readonly file: string

  constructor(flagValues: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv = process.env) {
    this.file = configFile(env)
    const saved = readSaved(this.file)
    const values: Partial<Choices> = {}
    const sources = {} as Record<Key, Source>
    for (const key of order) {
      const def = definitions[key] as Definition<typeof key>
      const fromFlag = flagValues.get(def.flag)
      const fromEnv = env[def.env]
      let value: unknown
      if (fromFlag !== undefined) {
        value = def.parse(fromFlag, `--${def.flag}`); sources[key] = 'flag'
      } else if (fromEnv !== undefined && fromEnv !== '') {
        value = def.parse(fromEnv, def.env); sources[key] = 'env'
      } else if (saved[key] !== undefined) {
        value = def.parse(String(saved[key]), `"${key}" in ${this.file}`); sources[key] = 'file'
      } else {
        value = def.default(values); sources[key] = 'default'
      }
      ;(values as Record<Key, unknown>)[key] = value
    }
    this.values = values as Choices
    this.sources = sources
    check.distinctIpSpaces(this.values.eastIpSpace, this.values.westIpSpace)
    if (this.values.eastName === this.values.westName) {
      fail(`east and west are both named "${this.values.eastName}"`, 'give the two clusters different names (EAST_NAME, WEST_NAME)')
    }
  }

  // A choice the user has not made yet, asked on an interactive terminal and saved.
  async offer<K extends Key>(key: K, ask: ((question: string, initial: string, parse: (v: string) => Choices[K]) => Promise<Choices[K]>) | undefined): Promise<Choices[K]> {
    const def = definitions[key] as Definition<K>
    if (this.sources[key] === 'default' && ask && def.question && (def.asked?.(this.values) ?? true)) {
      // Answers are checked as they are typed, together with the choices already made.
      const parse = (v: string) => {
        const value = def.parse(v, def.env)
        const next = { ...this.values, [key]: value }
        check.distinctIpSpaces(next.eastIpSpace, next.westIpSpace)
        return value
      }
      let initial = this.values[key]
      if (key === 'westIpSpace' && initial === this.values.eastIpSpace) initial = defaults.eastIpSpace as Choices[K]
      this.values[key] = await ask(def.question, String(initial), parse)
      this.sources[key] = 'prompt'
    }
    return this.values[key]
  }

  // Keep what was chosen (not the defaults), so the next script agrees with this one.
  save(): void {
    const saved = readSaved(this.file)
    const next: Record<string, unknown> = { ...saved }
    for (const key of order) {
      if (this.sources[key] !== 'default' && this.sources[key] !== 'file') next[key] = this.values[key]
    }
    if (JSON.stringify(next) !== JSON.stringify(saved)) writeFileSync(this.file, JSON.stringify(next, null, 2) + '\n')
  }
}
