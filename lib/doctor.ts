// The doctor: one table of what this machine has and lacks for the demo, every problem
// at once, each with its fix. Tools are asked concurrently and with short timeouts, so
// a missing tool or a Docker daemon that does not answer costs seconds, not minutes.
import { readFileSync } from 'node:fs'
import { minimumVersions, versions as pinned } from './defaults.ts'
import { say } from './output.ts'
import { fail } from './errors.ts'
import { metallbRange } from './network.ts'
import { findOnPath, installHints, type Tool } from './tools.ts'
import { atLeast, parseVersion, show, type Version } from './versions.ts'
import type { Shell, Tag } from './run.ts'
import type { Workbook } from './step.ts'

export type Level = 'ok' | 'warn' | 'error'

export interface Finding {
  check: string
  level: Level
  detail: string
  fix?: string
}

const gib = 1024 ** 3
export const thresholds = { dockerMemory: 8 * gib, inotifyInstances: 512, inotifyWatches: 524288 }

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
  istioctl: ': the "spire" injection template patches native sidecars (initContainers), the default only from Istio 1.27 on',
  helm: ': `helm repo update <name>` (step 03) needs Helm 3.7',
  kind: ': the pinned node image (Kubernetes 1.33.1) was built for kind 0.29',
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

// An address already taken on the kind network inside a cluster's MetalLB pool would be
// handed out twice.
export function poolFinding(gateway: string, ipSpaces: Record<string, number>, inUse: string[]): Finding {
  const clashes: string[] = []
  for (const [name, ipSpace] of Object.entries(ipSpaces)) {
    const [first, last] = metallbRange(gateway, ipSpace).split('-').map((a) => Number(a.split('.')[3]))
    const prefix = metallbRange(gateway, ipSpace).split('.').slice(0, 3).join('.') + '.'
    for (const address of inUse) {
      const host = Number(address.split('.')[3])
      if (address.startsWith(prefix) && host >= first! && host <= last!) clashes.push(`${address} (${name}'s pool)`)
    }
  }
  return clashes.length > 0
    ? { check: 'address pools', level: 'error', detail: `in use on the kind network: ${clashes.join(', ')}`, fix: 'choose other ip spaces (EAST_IP_SPACE, WEST_IP_SPACE)' }
    : { check: 'address pools', level: 'ok', detail: Object.entries(ipSpaces).map(([n, s]) => `${n} ${metallbRange(gateway, s)}`).join(', ') }
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
  const answer = await ask(wb.$, tool, (sh) => sh`istioctl version --remote=false --short`)
  const finding = versionFinding(tool, answer, minimumVersions[tool])
  if (finding.level === 'error') fail(`${tool} ${finding.detail}`, finding.fix)
}

export async function diagnose(wb: Workbook): Promise<Finding[]> {
  const { $ } = wb
  const kindProvider = wb.config.values.provider === 'kind'
  const tools: Tool[] = kindProvider ? ['docker', 'kind', 'kubectl', 'helm', 'istioctl'] : ['kubectl', 'helm', 'istioctl']
  const [docker, dockerInfo, kind, kubectl, helm, istioctl, gateway, containers] = await Promise.all([
    kindProvider ? ask($, 'docker', (sh) => sh`docker --version`) : undefined,
    kindProvider ? ask($, 'docker', (sh) => sh`docker info --format ${'{{.ServerVersion}} {{.MemTotal}}'}`) : undefined,
    kindProvider ? ask($, 'kind', (sh) => sh`kind version`) : undefined,
    ask($, 'kubectl', (sh) => sh`kubectl version --client -o json`),
    ask($, 'helm', (sh) => sh`helm version --short`),
    ask($, 'istioctl', (sh) => sh`istioctl version --remote=false --short`),
    kindProvider ? ask($, 'docker', (sh) => sh`docker network inspect kind -f ${'{{range .IPAM.Config}}{{.Gateway}} {{end}}'}`) : undefined,
    kindProvider ? ask($, 'docker', (sh) => sh`docker network inspect kind -f ${'{{range .Containers}}{{.IPv4Address}} {{end}}'}`) : undefined,
  ])
  const findings: Finding[] = []
  if (tools.includes('docker')) {
    findings.push(versionFinding('docker', docker ?? { missing: true }, undefined))
    if (docker && !docker.missing) {
      const info = answered(dockerInfo)
      if (info === undefined) {
        findings.push({ check: 'docker daemon', level: 'error', detail: 'not answering (docker info failed or took over 3s)', fix: 'start Docker (or Docker Desktop) and check `docker info`' })
      } else {
        const [server, memory] = info.trim().split(/\s+/)
        findings.push({ check: 'docker daemon', level: 'ok', detail: `server ${server}` })
        if (memory) findings.push(dockerMemoryFinding(Number(memory)))
      }
    }
    findings.push(versionFinding('kind', kind ?? { missing: true }, minimumVersions.kind))
  }
  const kubectlVersion = kubectl.missing || kubectl.output === undefined ? kubectl : (() => {
    try {
      return { missing: false as const, output: String(JSON.parse(kubectl.output).clientVersion?.gitVersion) }
    } catch {
      return kubectl
    }
  })()
  findings.push(versionFinding('kubectl', kubectlVersion, undefined))
  findings.push(versionFinding('helm', helm, minimumVersions.helm))
  findings.push(versionFinding('istioctl', istioctl, minimumVersions.istioctl))
  const clientText = answered(kubectlVersion)
  const client = clientText ? parseVersion(clientText) : undefined
  const nodes = parseVersion(pinned.kindNodeImage.split(':')[1]?.split('@')[0] ?? '')
  if (kindProvider && client && nodes) findings.push(kubectlSkewFinding(client, nodes))
  if (kindProvider && process.platform === 'linux') {
    const instances = readNumber('/proc/sys/fs/inotify/max_user_instances')
    const watches = readNumber('/proc/sys/fs/inotify/max_user_watches')
    if (instances !== undefined && watches !== undefined) findings.push(inotifyFinding(instances, watches))
  }
  const gatewayText = answered(gateway)
  if (gatewayText) {
    const ipv4 = gatewayText.split(/\s+/).find((w) => /^\d+\.\d+\.\d+\.\d+$/.test(w))
    const inUse = (answered(containers) ?? '').split(/\s+/).filter(Boolean).map((a) => a.split('/')[0]!)
    if (ipv4) findings.push(poolFinding(ipv4, { [wb.east.name]: wb.east.ipSpace, [wb.west.name]: wb.west.ipSpace }, inUse))
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
