// `docker`, the part kind and the workbook use: version, info, network inspect/ls,
// inspect (containers and networks), ps. Containers are kind's nodes, kept by the lab's kind.
import { flag, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec } from './args.ts'
import { faults } from './faults.ts'
import { renderGoTemplate, TemplateError } from './gotemplate.ts'
import { readDocker, readCluster, type Container, type DockerState } from './model.ts'
import { ToolExit } from './state.ts'
import { scaled, sleep } from './timing.ts'
import { out, runTool } from './tool.ts'

export const dockerVersion = '27.5.1'
const daemonDown = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'

const globals: FlagSpec[] = [
  { name: 'host', short: 'H', value: true }, { name: 'config', value: true }, { name: 'context', short: 'c', value: true },
  { name: 'debug', short: 'D' }, { name: 'log-level', short: 'l', value: true }, { name: 'version', short: 'v' },
]
const format: FlagSpec = { name: 'format', short: 'f', value: true }
const spec: CommandSpec = {
  commands: {
    version: { flags: [format] },
    info: { flags: [format] },
    network: { commands: { inspect: { flags: [format, { name: 'verbose' }] }, ls: { aliases: ['list'], flags: [format, { name: 'quiet', short: 'q' }, { name: 'filter', value: true }, { name: 'no-trunc' }] } } },
    inspect: { flags: [format, { name: 'size', short: 's' }, { name: 'type', value: true }] },
    container: { commands: { inspect: { flags: [format, { name: 'size', short: 's' }] }, ls: { aliases: ['ps', 'list'], flags: [format, { name: 'all', short: 'a' }, { name: 'quiet', short: 'q' }, { name: 'filter', value: true }, { name: 'no-trunc' }] } } },
    ps: { flags: [format, { name: 'all', short: 'a' }, { name: 'quiet', short: 'q' }, { name: 'filter', value: true }, { name: 'no-trunc' }] },
  },
}

export function networkJson(docker: DockerState, name: string): Record<string, unknown> | undefined {
  const network = docker.networks[name]
  if (!network) return undefined
  const containers: Record<string, unknown> = {}
  for (const c of Object.values(docker.containers)) {
    containers[c.id] = { Name: c.name, EndpointID: c.id.slice(0, 32).split('').reverse().join(''), MacAddress: '02:42:ac:12:00:02', IPv4Address: `${c.ip}/16`, IPv6Address: `${c.ipv6}/64` }
  }
  return {
    Name: name, Id: network.id, Created: new Date(network.created).toISOString(), Scope: 'local', Driver: 'bridge', EnableIPv6: true,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: network.subnet, Gateway: network.gateway }, { Subnet: network.subnet6, Gateway: network.gateway6 }] },
    Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.driver.mtu': '1500' },
    Labels: {},
  }
}

export function containerJson(docker: DockerState, c: Container): Record<string, unknown> {
  const cluster = readCluster(c.cluster)
  return {
    Id: c.id, Created: new Date(c.created).toISOString(), Path: '/usr/local/bin/entrypoint', Args: ['/sbin/init'],
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 4242, ExitCode: 0 },
    Image: `sha256:${c.id.split('').reverse().join('')}`, Name: `/${c.name}`, RestartCount: 0, Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: c.name, Image: c.image, Labels: { 'io.x-k8s.kind.cluster': c.cluster, 'io.x-k8s.kind.role': 'control-plane' } },
    NetworkSettings: {
      Ports: { '6443/tcp': [{ HostIp: '127.0.0.1', HostPort: String(cluster?.apiPort ?? 0) }] },
      Networks: { kind: { IPAMConfig: null, Aliases: [c.name, c.id.slice(0, 12)], NetworkID: docker.networks.kind?.id ?? '', Gateway: docker.networks.kind?.gateway ?? '', IPAddress: c.ip, IPPrefixLen: 16, IPv6Gateway: docker.networks.kind?.gateway6 ?? '', GlobalIPv6Address: c.ipv6, GlobalIPv6PrefixLen: 64, MacAddress: '02:42:ac:12:00:02', DNSNames: [c.name, c.id.slice(0, 12)] } },
    },
  }
}

function formatted(items: unknown[], template: string | undefined): string {
  if (template === undefined) return JSON.stringify(items, null, 4) + '\n'
  if (template === 'json') return items.map((i) => JSON.stringify(i)).join('\n') + '\n'
  try {
    return items.map((i) => renderGoTemplate(template, i)).join('\n') + '\n'
  } catch (error) {
    if (error instanceof TemplateError) throw new ToolExit(1, `${error.message}`)
    throw error
  }
}

function requireDaemon(): void {
  if (faults().dockerDown) throw new ToolExit(1, daemonDown)
}

function psRows(docker: DockerState, filters: string[]): Container[] {
  return Object.values(docker.containers).filter((c) => filters.every((f) => {
    const [key, value = ''] = f.split('=')
    if (key === 'name') return c.name.includes(value)
    if (key === 'label') {
      const [labelKey, labelValue] = value.split('=')
      return labelKey === 'io.x-k8s.kind.cluster' ? labelValue === undefined || labelValue === c.cluster : labelKey === 'io.x-k8s.kind.role' ? (labelValue ?? 'control-plane') === 'control-plane' : false
    }
    return true
  }))
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseCommandLine(argv, spec, globals, 'docker')
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.kind === 'command') {
        const word = /"([^"]*)"/.exec(error.message)?.[1] ?? ''
        throw new ToolExit(1, `docker: '${word}' is not a docker command.\nSee 'docker --help'`)
      }
      throw new ToolExit(125, `${error.message}\nSee 'docker ${error.path.join(' ')} --help'.`)
    }
    throw error
  }
  if (isSet(parsed, 'version')) {
    out(`Docker version ${dockerVersion}, build 4c9b3b0`)
    return 0
  }
  const [command, sub] = parsed.path
  const template = flag(parsed, 'format')
  await sleep(scaled('dockerCommand'))
  if (!command) {
    out('Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers (the lab\'s stand-in)')
    return 0
  }
  if (command === 'version') {
    const data = { Client: { Version: dockerVersion, ApiVersion: '1.47', Os: 'linux', Arch: 'amd64' }, Server: faults().dockerDown ? null : { Version: dockerVersion, ApiVersion: '1.47', Os: 'linux', Arch: 'amd64' } }
    if (template) out(renderGoTemplate(template, data))
    else out(`Client:\n Version:           ${dockerVersion}\n API version:       1.47\n OS/Arch:           linux/amd64\n` + (data.Server ? `\nServer:\n Engine:\n  Version:          ${dockerVersion}\n  API version:      1.47 (minimum version 1.24)\n` : ''))
    requireDaemon()
    return 0
  }
  requireDaemon()
  const docker = readDocker()
  if (command === 'info') {
    const data = { ServerVersion: dockerVersion, MemTotal: 16 * 1024 ** 3, NCPU: 4, OperatingSystem: 'Ubuntu 24.04 LTS (lab)', Containers: Object.keys(docker.containers).length, Driver: 'overlay2', CgroupVersion: '2' }
    if (template) out(renderGoTemplate(template, data))
    else out(`Client:\n Version:    ${dockerVersion}\n\nServer:\n Containers: ${data.Containers}\n Server Version: ${dockerVersion}\n Total Memory: 16GiB\n`)
    return 0
  }
  if (command === 'network' && sub === 'ls') {
    const names = Object.keys(docker.networks)
    if (isSet(parsed, 'quiet')) out(names.map((n) => docker.networks[n]!.id.slice(0, 12)).join('\n'))
    else out(['NETWORK ID     NAME      DRIVER    SCOPE', ...['bridge', 'host', 'none', ...names].map((n) => `${(docker.networks[n]?.id ?? n.padEnd(12, '0')).slice(0, 12)}   ${n.padEnd(9)} ${n === 'host' || n === 'none' ? n.padEnd(9) : 'bridge   '} local`)].join('\n'))
    return 0
  }
  if (command === 'network' && sub === 'inspect') {
    if (parsed.args.length === 0) throw new ToolExit(1, '"docker network inspect" requires at least 1 argument.\nSee \'docker network inspect --help\'.')
    const found: unknown[] = []
    for (const name of parsed.args) {
      const json = networkJson(docker, name)
      if (!json) {
        if (found.length > 0) out(formatted(found, template))
        throw new ToolExit(1, `Error response from daemon: network ${name} not found`)
      }
      found.push(json)
    }
    out(formatted(found, template))
    return 0
  }
  if (command === 'inspect' || (command === 'container' && sub === 'inspect')) {
    if (parsed.args.length === 0) throw new ToolExit(1, `"docker ${parsed.path.join(' ')}" requires at least 1 argument.`)
    const found: unknown[] = []
    let missing: string | undefined
    for (const name of parsed.args) {
      const container = Object.values(docker.containers).find((c) => c.name === name || c.id.startsWith(name))
      const network = command === 'inspect' ? networkJson(docker, name) : undefined
      if (container) found.push(containerJson(docker, container))
      else if (network) found.push(network)
      else missing ??= name
    }
    if (found.length > 0) out(formatted(found, template))
    if (missing !== undefined) throw new ToolExit(1, `Error: No such ${command === 'inspect' ? 'object' : 'container'}: ${missing}`)
    return 0
  }
  if (command === 'ps' || (command === 'container' && sub === 'ls')) {
    const rows = psRows(docker, parsed.flags.get('filter') ?? [])
    if (isSet(parsed, 'quiet')) out(rows.map((c) => c.id.slice(0, 12)).join('\n'))
    else if (template) out(rows.map((c) => renderGoTemplate(template.replace(/^table\s*/, ''), { ID: c.id.slice(0, 12), Names: c.name, Image: c.image, Status: 'Up', Labels: { 'io.x-k8s.kind.cluster': c.cluster, 'io.x-k8s.kind.role': 'control-plane' } })).join('\n'))
    else out(['CONTAINER ID   IMAGE                  COMMAND                  CREATED         STATUS         PORTS                       NAMES', ...rows.map((c) => `${c.id.slice(0, 12)}   ${c.image.padEnd(22)} "/usr/local/bin/entr…"   a minute ago    Up a minute    127.0.0.1:${readCluster(c.cluster)?.apiPort}->6443/tcp   ${c.name}`)].join('\n'))
    return 0
  }
  throw new ToolExit(1, `docker: '${parsed.path.join(' ')}' is not a docker command.\nSee 'docker --help'`)
}

export function runDocker(): Promise<void> {
  return runTool('docker', main)
}
