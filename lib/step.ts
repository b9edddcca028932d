// What every numbered script does before its first command: read flags and choices,
// check them, check its tools, find both clusters' contexts, open its log. Failures are
// printed as one line and a fix, and the script exits non-zero, before anything changes.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Config, type Choices, type Key } from './config.ts'
import { clustersFrom, forBoth, type Cluster } from './clusters.ts'
import { listContexts, requireClusterContexts } from './contexts.ts'
import { paths } from './defaults.ts'
import { WorkbookError } from './errors.ts'
import { parseFlags, type Flags } from './flags.ts'
import { heading, note, say, startLog, talkOnStderr } from './output.ts'
import { askValue, isInteractive } from './prompt.ts'
import { setDryRun, shell, type Shell } from './run.ts'
import { chooseTools, isFetchedTool, putOnPath, toolsMode, type ToolChoice } from './toolchain.ts'
import type { FetchedTool } from './defaults.ts'
import { requireTools, type Tool } from './tools.ts'

export const root = fileURLToPath(new URL('..', import.meta.url))
// Where the pinned releases of kind, kubectl, helm and istioctl are kept (lib/toolchain.ts).
export const toolCache = join(root, '.cache', 'bin')

export interface StepOptions {
  // the tools it runs (not in a dry run): docker must be on PATH; kind, kubectl, helm and
  // istioctl are chosen by TOOLS (lib/toolchain.ts). A function when it depends on the provider.
  tools?: Tool[] | ((provider: Choices['provider']) => Tool[])
  contexts?: boolean        // both contexts must exist already (default true)
  switches?: string[]       // flags of this script alone, such as print-env
  asks?: Key[]              // choices this step asks for on a terminal, if not made yet
  page?: string             // where the docs explain it, when that is not docs/<id>.md
}

export interface Workbook {
  id: string
  east: Cluster
  west: Cluster
  config: Config
  flags: Flags
  dryRun: boolean
  interactive: boolean
  $: Shell                  // for commands about neither cluster (helm repo, docker network)
  tools: Map<FetchedTool, ToolChoice>  // which kind, kubectl, helm, istioctl this step runs
  both<T>(work: (cluster: Cluster) => Promise<T>): Promise<[T, T]>
  handOver(cluster: Cluster, name: string, content: string): string
}

function reportAndExit(error: unknown): never {
  if (error instanceof WorkbookError) {
    process.stderr.write(`\n✖ ${error.message}\n${error.fix ? `  → ${error.fix}\n` : ''}`)
  } else {
    process.stderr.write(`\n✖ unexpected error: ${error instanceof Error ? error.stack : String(error)}\n  → this is a bug in the workbook; the log under out/logs/ has the commands that ran\n`)
  }
  process.exit(1)
}

export async function step(id: string, title: string, options: StepOptions = {}): Promise<Workbook> {
  process.on('uncaughtException', reportAndExit)
  process.on('unhandledRejection', reportAndExit)
  try {
    const flags = parseFlags(process.argv.slice(2), options.switches)
    if (flags.switches.has('print-env')) talkOnStderr()
    if (flags.switches.has('help')) {
      const script = relative(root, process.argv[1] ?? `scripts/${id}.ts`)
      say(`node ${script} [--dry-run] [--yes]${(options.switches ?? []).map((s) => ` [--${s}]`).join('')}\n  ${title}\n  page: ${options.page ?? `docs/${id}.md`}`)
      process.exit(0)
    }
    const config = new Config(flags.values)
    const interactive = isInteractive(flags.yes)
    const dryRun = flags.dryRun
    const outDir = join(root, dryRun ? paths.dryRun : paths.rendered, id)
    setDryRun(dryRun, outDir)
    // This step's files from an earlier run would only confuse: start its folder afresh.
    rmSync(outDir, { recursive: true, force: true })
    startLog(join(root, paths.logs, `${id}.log`), `${id}: ${title}`)
    heading(`\n${id}: ${title}${dryRun ? '  (dry run: nothing is changed)' : ''}`)
    for (const key of options.asks ?? []) await config.offer(key, interactive ? askValue : undefined)
    const { east, west } = clustersFrom(config.values)
    let chosen = new Map<FetchedTool, ToolChoice>()
    if (!dryRun) {
      const tools = options.tools ?? []
      const wanted = typeof tools === 'function' ? tools(config.values.provider) : tools
      const mode = toolsMode()
      // Docker is always the user's; the others may be fetched (lib/toolchain.ts).
      requireTools(mode === 'path' ? wanted : wanted.filter((tool) => !isFetchedTool(tool)))
      chosen = await chooseTools(wanted.filter(isFetchedTool), { mode, $: shell(undefined), cacheDir: toolCache, anyKubectl: config.values.provider === 'existing' })
      const problem = [...chosen.values()].find((choice) => choice.problem)?.problem
      if (problem) throw problem
      putOnPath(chosen.values())
      if (options.contexts ?? true) requireClusterContexts([east, west], config.values.provider, await listContexts())
    } else {
      note(undefined, `dry run: contexts ${east.context} and ${west.context} are assumed; values only a live cluster knows are stand-ins`)
    }
    // Choices are kept once they have passed every check; a step that checks its
    // contexts itself (01) saves them when it has.
    if (dryRun || (options.contexts ?? true)) config.save()
    return {
      id, east, west, config, flags, dryRun, interactive,
      $: shell(undefined),
      tools: chosen,
      both: (work) => forBoth({ east, west }, work),
      // Every manifest or values file handed to a tool is written first, so it can be read.
      handOver(cluster, name, content) {
        const file = join(outDir, `${cluster.name}-${name}.yaml`)
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, content)
        return relative(process.cwd(), file) || file
      },
    }
  } catch (error) {
    reportAndExit(error)
  }
}
