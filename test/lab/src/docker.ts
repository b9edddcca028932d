// `docker`, the part kind and the workbook use: version, info, network inspect/ls,
// inspect (containers and networks), ps. Containers are kind's nodes, kept by the lab's kind.
// The CLI plays the release LAB_DOCKER_VERSION names (default 27.5.1), where releases differ.
import { flag, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec } from './args.ts'
import { faults } from './faults.ts'
import { renderGoTemplate, TemplateError } from './gotemplate.ts'
import { readDocker, readCluster, type Container, type DockerState } from './model.ts'
import { ToolExit } from './state.ts'
import { scaled, sleep } from './timing.ts'
import { out, runTool } from './tool.ts'

export function dockerVersion(env: NodeJS.ProcessEnv = process.env): string {
  const version = env.LAB_DOCKER_VERSION || '27.5.1'
  const major = Number(version.split('.')[0])
  // From 23.0 on, `docker info --format` renders its template over empty server info when
  // the daemon does not answer (docker/cli v23.0.0 cli/command/system/info.go); 20.10 did
  // not, and the lab does not play it.
  if (!/^\d+\.\d+\.\d+$/.test(version) || major < 23) throw new ToolExit(70, `lab: LAB_DOCKER_VERSION="${version}": the lab plays Docker CLIs from 23.0.0 on (x.y.z)`)
  return version
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number)
  return a! > major || (a === major && b! >= minor)
}

// The API version a CLI asks for (vendor/github.com/docker/docker/api/common.go: 1.47 in
// v27.5.1, 1.49 in v28.1.0, 1.51 in v28.5.2); it shows in the URL of a refused request.
function apiVersion(version: string): string {
  if (atLeast(version, 28, 5)) return '1.51'
  if (atLeast(version, 28, 1)) return '1.49'
  if (atLeast(version, 28, 0)) return '1.48'
  return '1.47'
}

const socket = 'unix:///var/run/docker.sock'
// docker/cli vendor/github.com/docker/docker/client/errors.go and request.go (v27.5.1, v28.1.0).
const daemonDown = `Cannot connect to the Docker daemon at ${socket}. Is the docker daemon running?`
const socketDenied = (version: string, path: string) =>
  `permission denied while trying to connect to the Docker daemon socket at ${socket}: Get "http://%2Fvar%2Frun%2Fdocker.sock/v${apiVersion(version)}${path}": dial unix /var/run/docker.sock: connect: permission denied`

// Why the daemon does not answer (a stopped daemon, or a socket this user may not open), if it does not.
export function daemonProblem(version: string, path: string): string | undefined {
  if (faults().dockerDown) return daemonDown
  if (faults().dockerSocketDenied) return socketDenied(version, path)
  return undefined
}

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

const prefixOf = (subnet: string | undefined) => Number(subnet?.split('/')[1] ?? 16)

export function networkJson(docker: DockerState, name: string): Record<string, unknown> | undefined {
  const network = docker.networks[name]
  if (!network) return undefined
  const containers: Record<string, unknown> = {}
  for (const c of Object.values(docker.containers)) {
    if ((c.network ?? 'kind') !== name) continue
    containers[c.id] = { Name: c.name, EndpointID: c.id.slice(0, 32).split('').reverse().join(''), MacAddress: '02:42:ac:12:00:02', IPv4Address: `${c.ip}/${prefixOf(network.subnet)}`, IPv6Address: `${c.ipv6}/64` }
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
  const network = docker.networks[c.network ?? 'kind']
  return {
    Id: c.id, Created: new Date(c.created).toISOString(), Path: '/usr/local/bin/entrypoint', Args: ['/sbin/init'],
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 4242, ExitCode: 0 },
    Image: `sha256:${c.id.split('').reverse().join('')}`, Name: `/${c.name}`, RestartCount: 0, Driver: 'overlay2', Platform: 'linux',
    Config: { Hostname: c.name, Image: c.image, Labels: { 'io.x-k8s.kind.cluster': c.cluster, 'io.x-k8s.kind.role': 'control-plane' } },
    NetworkSettings: {
      Ports: { '6443/tcp': [{ HostIp: '127.0.0.1', HostPort: String(cluster?.apiPort ?? 0) }] },
      Networks: { [c.network ?? 'kind']: { IPAMConfig: null, Aliases: [c.name, c.id.slice(0, 12)], NetworkID: network?.id ?? '', Gateway: network?.gateway ?? '', IPAddress: c.ip, IPPrefixLen: prefixOf(network?.subnet), IPv6Gateway: network?.gateway6 ?? '', GlobalIPv6Address: c.ipv6, GlobalIPv6PrefixLen: 64, MacAddress: '02:42:ac:12:00:02', DNSNames: [c.name, c.id.slice(0, 12)] } },
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

function requireDaemon(version: string, path: string): void {
  const problem = daemonProblem(version, path)
  if (problem) throw new ToolExit(1, problem)
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
  const version = dockerVersion()
  if (isSet(parsed, 'version')) {
    out(`Docker version ${version}, build 4c9b3b0`)
    return 0
  }
  const [command, sub] = parsed.path
  const template = flag(parsed, 'format')
  await sleep(scaled('dockerCommand'))
  if (!command) {
    out('Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers (the lab\'s stand-in)')
    return 0
  }
  const api = apiVersion(version)
  if (command === 'version') {
    const down = daemonProblem(version, '/version') !== undefined
    const data = { Client: { Version: version, ApiVersion: api, Os: 'linux', Arch: 'amd64' }, Server: down ? null : { Version: version, ApiVersion: api, Os: 'linux', Arch: 'amd64' } }
    if (template) out(renderGoTemplate(template, data))
    else out(`Client:\n Version:           ${version}\n API version:       ${api}\n OS/Arch:           linux/amd64\n` + (data.Server ? `\nServer:\n Engine:\n  Version:          ${version}\n  API version:      ${api} (minimum version 1.24)\n` : ''))
    requireDaemon(version, '/version')
    return 0
  }
  if (command === 'info') return info(version, template)
  requireDaemon(version, `/${parsed.path.join('/')}`)
  const docker = readDocker()
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

// `docker info`. The CLI runs every CLI plugin first (Docker Desktop ships several), which
// can take seconds (the fault dockerInfoSeconds). With a template and a daemon that does not
// answer, the CLI renders the template over empty server info (ServerVersion "", MemTotal 0)
// and prints the error on stderr; up to 28.0 it then exits 0, from 28.1 on 1 (docker/cli
// v27.5.1 and v28.1.0 cli/command/system/info.go: runInfo, addServerInfo). Without a
// template it prints the client part and the error, and exits 1 in both.
async function info(version: string, template: string | undefined): Promise<number> {
  const slow = faults().dockerInfoSeconds
  if (slow) await sleep(slow * 1000)
  const problem = daemonProblem(version, '/info')
  const docker = problem ? undefined : readDocker()
  const data = docker
    ? { ServerVersion: version, MemTotal: 16 * 1024 ** 3, NCPU: 4, OperatingSystem: 'Ubuntu 24.04 LTS (lab)', Containers: Object.keys(docker.containers).length, Driver: 'overlay2', CgroupVersion: '2' }
    : { ServerVersion: '', MemTotal: 0, NCPU: 0, OperatingSystem: '', Containers: 0, Driver: '', CgroupVersion: '' }
  if (!template) {
    if (problem) throw new ToolExit(1, `ERROR: ${problem}\nerrors pretty printing info`, `Client:\n Version:    ${version}\n Context:    default\n\nServer:\n`)
    out(`Client:\n Version:    ${version}\n\nServer:\n Containers: ${data.Containers}\n Server Version: ${version}\n Total Memory: 16GiB\n`)
    return 0
  }
  let text: string
  try {
    text = renderGoTemplate(template, data)
  } catch (error) {
    if (error instanceof TemplateError) throw new ToolExit(64, `template parsing error: ${error.message}`)
    throw error
  }
  if (!problem) {
    out(text + '\n')
    return 0
  }
  const exitCode = atLeast(version, 28, 1) ? 1 : 0
  if (exitCode === 0) {
    process.stderr.write(problem + '\n')
    out(text + '\n')
    return 0
  }
  throw new ToolExit(1, problem, text + '\n')
}

export function runDocker(): Promise<void> {
  return runTool('docker', main)
}
