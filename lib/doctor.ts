// The doctor: one table of what this machine has and lacks for the demo, every problem
// at once, each with its fix. Tools are asked concurrently and with short timeouts, so
// a missing tool costs seconds, not minutes; only `docker info`, which runs every Docker
// CLI plugin first, gets the time it needs (WAIT_DOCKER_INFO_SECONDS).
import { readFileSync } from 'node:fs'
import { deadlines, minimumVersions, tools as supported, type FetchedTool } from './defaults.ts'
import { say } from './output.ts'
import { fail, WorkbookError } from './errors.ts'
import { dockerOnly, kindNetworkName, unsupportedNodeProvider } from './kind.ts'
import { metallbManifestSource } from './metallb.ts'
import { inPool, metallbPools, parseKindNetwork, type KindNetwork } from './network.ts'
import { findOnPath, installHints, type Tool } from './tools.ts'
import { chooseTools, fetchedTools, shownPath, toolsMode, type ToolChoice } from './toolchain.ts'
import { atLeast, nodeKubernetesVersion, parseVersion, show, type Version } from './versions.ts'
import type { Shell, Tag } from './run.ts'
import { toolCache, type Workbook } from './step.ts'
import { deadlineSeconds } from './wait.ts'

export type Level = 'ok' | 'warn' | 'error'

export interface Finding {
  check: string
  level: Level
  detail: string
  fix?: string
}

const gib = 1024 ** 3
// A `docker info` slower than slowDockerInfoSeconds is reported as slow (it was the old
// timeout, under which a Docker Desktop with many CLI plugins looked stopped).
export const thresholds = { dockerMemory: 8 * gib, inotifyInstances: 512, inotifyWatches: 524288, slowDockerInfoSeconds: 3 }

// What asking a tool for something gave: the tool is missing, it failed or did not answer
// in time (output undefined), or its output.
export type Answer = { missing: true } | { missing: false; output: string | undefined }

export function versionFinding(tool: Tool, answer: Answer, minimum: string | undefined): Finding {
  if (answer.missing) return { check: tool, level: 'error', detail: 'not on PATH', fix: installHints[tool] }
  const version = answer.output === undefined ? undefined : parseVersion(answer.output)
  if (!version) {
    return { check: tool, level: 'warn', detail: answer.output === undefined ? 'present, but asking its version failed or took over 3s' : `present, version unknown ("${answer.output.trim().slice(0, 60)}")` }
  }
  const min = minimum ? parseVersion(minimum) : undefined
  if (min && !atLeast(version, min)) {
    return { check: tool, level: 'error', detail: `${show(version)} is older than ${minimum}${whyMinimum[tool] ?? ''}`, fix: installHints[tool] }
  }
  return { check: tool, level: 'ok', detail: show(version) }
}

const whyMinimum: Partial<Record<Tool, string>> = {
  istioctl: ': the oldest Istio whose source the workbook\'s settings were checked against (the east-west gateway, native sidecars, caCertificates)',
}

// One row per tool: its version and what the workbook makes of it (the default, supported,
// newer than anything tried, too old), and which binary the steps run (lib/toolchain.ts).
export function toolFinding(choice: ToolChoice): Finding {
  const { tool, judgement } = choice
  const release = supported[tool].release
  const runs = `runs ${choice.binary ? shownPath(choice.binary) : 'nothing'}`
  const unpinned = `leave TOOLS unset, and the steps fetch and run ${tool} ${release}`
  if (choice.problem) {
    const missing = choice.mode === 'path' && !choice.onPath
    return { check: tool, level: 'error', detail: missing ? 'not on PATH (TOOLS=path)' : choice.problem.message, fix: missing ? `${installHints[tool]}; or ${unpinned}` : choice.problem.fix }
  }
  if (choice.pinned) {
    const yours = choice.mode === 'pinned' ? 'TOOLS=pinned'
      : !choice.onPath ? 'not on PATH'
      : `${shownPath(choice.onPath)}: ${judgement!.text}${judgement!.why ? ` (${judgement!.why})` : ''}`
    const fetched = choice.fetched ? ', fetched just now' : ''
    return { check: tool, level: 'ok', detail: `${yours}; runs the pinned ${release}${fetched}: ${shownPath(choice.binary!)}` }
  }
  if (!judgement) {
    const said = choice.pathAnswer === undefined ? 'asking its version failed or took over 5s' : `version unknown ("${choice.pathAnswer.trim().slice(0, 60)}")`
    return { check: tool, level: 'warn', detail: `${said}; ${runs} as it is`, fix: `check \`${tool}\` works; TOOLS=pinned runs ${tool} ${release}, fetched by the workbook` }
  }
  if (judgement.verdict === 'too old') {
    return { check: tool, level: 'error', detail: `${judgement.text}: ${judgement.why}`, fix: `${installHints[tool]}; or ${unpinned}` }
  }
  if (judgement.verdict === 'newer than tried') {
    return { check: tool, level: 'warn', detail: `${judgement.text}; ${runs}`, fix: `it may well work; if it does not, ${unpinned}` }
  }
  return { check: tool, level: 'ok', detail: `${judgement.text}; ${runs}` }
}

// kubectl should be within one minor version of the nodes (kind's node image here).
export function kubectlSkewFinding(client: Version, nodes: Version): Finding {
  const skew = Math.abs(client[1] - nodes[1])
  if (client[0] !== nodes[0] || skew > 1) {
    return { check: 'kubectl skew', level: 'warn', detail: `kubectl ${show(client)} vs nodes ${show(nodes)}`, fix: `use a kubectl within one minor version of ${nodes[0]}.${nodes[1]}` }
  }
  return { check: 'kubectl skew', level: 'ok', detail: `kubectl ${client[0]}.${client[1]}, nodes ${nodes[0]}.${nodes[1]}` }
}

export function dockerMemoryFinding(bytes: number): Finding {
  const text = `${(bytes / gib).toFixed(1)} GiB`
  return bytes < thresholds.dockerMemory
    ? { check: 'docker memory', level: 'warn', detail: `${text} available to Docker`, fix: 'give Docker 8 GiB or more (Docker Desktop: Settings › Resources), or pods may be evicted' }
    : { check: 'docker memory', level: 'ok', detail: text }
}

export function inotifyFinding(instances: number, watches: number): Finding {
  const low: string[] = []
  if (instances < thresholds.inotifyInstances) low.push(`fs.inotify.max_user_instances=${thresholds.inotifyInstances}`)
  if (watches < thresholds.inotifyWatches) low.push(`fs.inotify.max_user_watches=${thresholds.inotifyWatches}`)
  return low.length > 0
    ? { check: 'inotify', level: 'warn', detail: `max_user_instances ${instances}, max_user_watches ${watches}: too low for two kind clusters ("too many open files")`, fix: `sudo sysctl ${low.join(' ')}` }
    : { check: 'inotify', level: 'ok', detail: `max_user_instances ${instances}, max_user_watches ${watches}` }
}

// What `docker info --format '{{.ServerVersion}} {{.MemTotal}}'` gave, and how long it took.
export interface DockerInfo {
  stdout: string
  stderr: string
  exitCode: number
  seconds: number
}

// Whether the daemon answered, from what the CLI printed. When it does not, CLIs from 23.0
// on render the template over empty server info and print " 0": up to 28.0 they exit 0,
// from 28.1 on 1 (docker/cli v27.5.1 and v28.1.0, cli/command/system/info.go); 20.10
// fails on the template. So an empty server version, not the exit code, means "not
// answering". A socket this user may not open says "permission denied" (the client's
// request.go), which starting Docker does not fix. And `docker info` runs every CLI
// plugin first, which on Docker Desktop takes seconds: slow is not down.
export function dockerDaemonFindings(info: DockerInfo, deadline: number): Finding[] {
  const [server = '', memory = ''] = (info.stdout.split('\n')[0] ?? '').split(' ')
  const said = info.stderr.trim().split('\n').filter(Boolean).pop() ?? ''
  if (server === '') {
    if (info.exitCode !== 0 && info.stdout === '' && info.seconds >= deadline) {
      return [{ check: 'docker daemon', level: 'error', detail: `docker info did not finish within ${deadline}s`,
        fix: `start Docker (or Docker Desktop) and check \`docker info\`; if it is only slow, give it longer: ${deadlines.dockerInfo.env}=<seconds>` }]
    }
    if (/permission denied/i.test(info.stderr)) {
      const socket = /socket at (\S+?):? /.exec(info.stderr)?.[1] ?? 'unix:///var/run/docker.sock'
      return [{ check: 'docker daemon', level: 'error', detail: `permission denied on Docker's socket ${socket}: Docker runs, but your user may not use it`,
        fix: 'add yourself to the docker group (sudo usermod -aG docker $USER), then log out and in again; see https://docs.docker.com/engine/install/linux-postinstall/ (running the workbook with sudo is not the fix)' }]
    }
    return [{ check: 'docker daemon', level: 'error', detail: `not answering${said ? ` (docker info: ${said.slice(0, 120)})` : ''}`,
      fix: 'start Docker (or Docker Desktop) and check `docker info`' }]
  }
  const findings: Finding[] = []
  if (info.seconds > thresholds.slowDockerInfoSeconds) {
    findings.push({ check: 'docker daemon', level: 'warn', detail: `server ${server}, but docker info took ${info.seconds.toFixed(1)}s`,
      fix: `slow, not down: docker info runs every Docker CLI plugin first (docker info lists them; Docker Desktop ships several); the doctor waits up to ${deadline}s (${deadlines.dockerInfo.env})` })
  } else {
    findings.push({ check: 'docker daemon', level: 'ok', detail: `server ${server}` })
  }
  if (memory) findings.push(dockerMemoryFinding(Number(memory)))
  return findings
}

// kind runs its nodes on Docker only if nothing tells it otherwise: see lib/kind.ts.
export function nodeProviderFinding(kindProvider: string | undefined, dockerVersion: string | undefined): Finding | undefined {
  const unsupported = unsupportedNodeProvider(kindProvider)
  if (unsupported) return { check: 'kind provider', level: 'error', detail: unsupported, fix: dockerOnly.fix }
  if (dockerVersion !== undefined && !dockerVersion.startsWith('Docker version')) {
    return { check: 'kind provider', level: 'error', detail: `docker is not Docker's ("${dockerVersion.trim().slice(0, 60)}"), so kind would run the clusters on ${/podman/i.test(dockerVersion) ? 'Podman' : 'another runtime'}, which the workbook does not support: ${dockerOnly.why}`, fix: dockerOnly.fix }
  }
  return undefined
}

// The two MetalLB pools carved from the kind network (or why they cannot be), and any
// address already taken on that network inside one of them: MetalLB would hand it out twice.
export function poolFinding(network: KindNetwork, clusters: ReadonlyArray<{ name: string; ipSpace: number }>, inUse: string[]): Finding {
  let pools: Map<string, string>
  try {
    pools = metallbPools(network, [clusters[0]!, clusters[1]!])
  } catch (error) {
    if (!(error instanceof WorkbookError)) throw error
    return { check: 'address pools', level: 'error', detail: error.message, fix: error.fix }
  }
  const clashes: string[] = []
  for (const [name, range] of pools) {
    for (const address of inUse) if (inPool(address, range)) clashes.push(`${address} (${name}'s pool)`)
  }
  return clashes.length > 0
    ? { check: 'address pools', level: 'error', detail: `in use on the kind network: ${clashes.join(', ')}`, fix: 'choose other ip spaces (EAST_IP_SPACE, WEST_IP_SPACE)' }
    : { check: 'address pools', level: 'ok', detail: [...pools].map(([n, range]) => `${n} ${range}`).join(', ') }
}

export function formatFindings(findings: Finding[]): string {
  const width = Math.max(...findings.map((f) => f.check.length), 5)
  const mark: Record<Level, string> = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR' }
  const lines = [`${'CHECK'.padEnd(width)}  STATUS  DETAIL`]
  for (const f of findings) {
    lines.push(`${f.check.padEnd(width)}  ${mark[f.level]}   ${f.detail}`)
    if (f.fix && f.level !== 'ok') lines.push(`${''.padEnd(width)}          fix: ${f.fix}`)
  }
  return lines.join('\n')
}

function readNumber(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim())
  } catch {
    return undefined
  }
}

// Ask a tool something, with a short timeout so that nothing waits on a daemon or a
// network that does not answer.
async function ask($: Shell, tool: Tool, run: (sh: Tag) => Promise<{ stdout: string; exitCode: number }>): Promise<Answer> {
  if (!findOnPath(tool)) return { missing: true }
  const result = await run($({ nothrow: true, quiet: true, timeout: '3s' }))
  return { missing: false, output: result.exitCode === 0 ? result.stdout : undefined }
}

const answered = (answer: Answer | undefined): string | undefined => (answer && !answer.missing ? answer.output : undefined)

// The version check of one tool, for a step that needs a minimum (06 and 07: istioctl).
export async function requireMinimumVersion(wb: Workbook, tool: 'istioctl'): Promise<void> {
  if (wb.dryRun) return
  // The step asked it already when it chose its istioctl (lib/toolchain.ts): asking again
  // would get the same answer.
  const choice = wb.tools.get(tool)
  const answer: Answer = choice?.version ? { missing: false, output: show(choice.version) } : { missing: !choice?.binary, output: choice?.pathAnswer }
  const finding = versionFinding(tool, answer, minimumVersions[tool])
  if (finding.level === 'error') fail(`${tool} ${finding.detail}`, finding.fix)
}

async function askDockerInfo($: Shell, deadline: number): Promise<DockerInfo | undefined> {
  if (!findOnPath('docker')) return undefined
  const started = Date.now()
  const run = await $({ nothrow: true, quiet: true, timeout: `${deadline}s` })`docker info --format ${'{{.ServerVersion}} {{.MemTotal}}'}`
  return { stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode, seconds: (Date.now() - started) / 1000 }
}

export async function diagnose(wb: Workbook): Promise<Finding[]> {
  const { $ } = wb
  const kindProvider = wb.config.values.provider === 'kind'
  const tools: FetchedTool[] = kindProvider ? [...fetchedTools] : fetchedTools.filter((tool) => tool !== 'kind')
  const network = kindNetworkName()
  const infoDeadline = deadlineSeconds('dockerInfo')
  const mode = toolsMode()
  const [docker, dockerInfo, choices, ipam, containers] = await Promise.all([
    kindProvider ? ask($, 'docker', (sh) => sh`docker --version`) : undefined,
    kindProvider ? askDockerInfo($, infoDeadline) : undefined,
    chooseTools(tools, { mode, $, cacheDir: toolCache, anyKubectl: !kindProvider }),
    kindProvider ? ask($, 'docker', (sh) => sh`docker network inspect ${network} -f ${'{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{end}}'}`) : undefined,
    kindProvider ? ask($, 'docker', (sh) => sh`docker network inspect ${network} -f ${'{{range .Containers}}{{.IPv4Address}} {{end}}'}`) : undefined,
  ])
  const findings: Finding[] = []
  if (kindProvider) {
    const dockerSays = answered(docker)
    const provider = nodeProviderFinding(process.env.KIND_EXPERIMENTAL_PROVIDER, dockerSays)
    if (provider) findings.push(provider)
    // A docker that is Podman's has a version and an info of its own: not Docker's to judge.
    if (dockerSays === undefined || dockerSays.startsWith('Docker version')) {
      findings.push(versionFinding('docker', docker ?? { missing: true }, undefined))
      if (dockerInfo) findings.push(...dockerDaemonFindings(dockerInfo, infoDeadline))
    }
  }
  for (const tool of tools) findings.push(toolFinding(choices.get(tool)!))
  const client = choices.get('kubectl')?.version
  const nodes = parseVersion(nodeKubernetesVersion())
  if (kindProvider && client && nodes) findings.push(kubectlSkewFinding(client, nodes))
  if (kindProvider && process.platform === 'linux') {
    const instances = readNumber('/proc/sys/fs/inotify/max_user_instances')
    const watches = readNumber('/proc/sys/fs/inotify/max_user_watches')
    if (instances !== undefined && watches !== undefined) findings.push(inotifyFinding(instances, watches))
  }
  if (kindProvider) {
    try {
      metallbManifestSource()
    } catch (error) {
      if (!(error instanceof WorkbookError)) throw error
      findings.push({ check: 'metallb manifest', level: 'error', detail: error.message, fix: error.fix })
    }
  }
  const ipamText = answered(ipam)
  if (ipamText) {
    const inUse = (answered(containers) ?? '').split(/\s+/).filter(Boolean).map((a) => a.split('/')[0]!)
    try {
      findings.push(poolFinding(parseKindNetwork(network, ipamText), [wb.east, wb.west], inUse))
    } catch (error) {
      if (!(error instanceof WorkbookError)) throw error
      findings.push({ check: 'address pools', level: 'error', detail: error.message, fix: error.fix })
    }
  }
  return findings
}

export async function runDoctor(wb: Workbook): Promise<void> {
  if (wb.dryRun) {
    say('dry run: the doctor is skipped (a dry run needs none of the tools)')
    return
  }
  const findings = await diagnose(wb)
  say(formatFindings(findings))
  const errors = findings.filter((f) => f.level === 'error')
  if (errors.length > 0) fail(`${errors.length} problem${errors.length > 1 ? 's' : ''} to fix first: ${errors.map((f) => f.check).join(', ')}`, 'see the fixes in the table above, then run make doctor again')
}
