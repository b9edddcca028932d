// The test harness: a throw-away copy of the repo, a lab state folder and kubeconfig of
// its own, and a PATH that holds the lab's docker, kind, kubectl, helm and istioctl, Node,
// and the basic system tools, nothing else (a real helm or istioctl elsewhere on the
// machine stays out of reach). Runs `make ...` or `node scripts/NN.ts` there without a
// terminal (CI=true, no stdin).
import { spawn } from 'node:child_process'
import assert from 'node:assert/strict'
import { after } from 'node:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { appliedRecords, type AppliedRecord } from '../lab/src/applied.ts'
import { defaultExistingClusters, setUpExistingClusters, type ExistingClusterSpec } from '../lab/src/existing.ts'
import type { Faults } from '../lab/src/faults.ts'
import { writeStandInManifest } from '../lab/src/metallb.ts'
import type { ClusterState, DockerState } from '../lab/src/model.ts'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const labTools = ['docker', 'kind', 'kubectl', 'helm', 'istioctl'] as const
export const steps = [
  '00-preflight', '01-clusters', '02-environment', '03-spire-helm-repo', '04-spire-install', '05-federate-bundles',
  '06-istio-control-planes', '07-eastwest-gateway', '08-remote-secret', '09-verify-control-planes', '10-helloworld-service',
  '11-helloworld-v1', '12-helloworld-v2', '13-curl', '14-destination-rule', '15-send-requests',
] as const

// What the workbook, its Makefile and zx use besides the cluster tools. Node is the test
// runner's own (24, as the Makefile fetched it).
const systemTools = ['bash', 'sh', 'env', 'make', 'cat', 'cp', 'cmp', 'mkdir', 'rm', 'mv', 'ls', 'grep', 'sed', 'awk', 'printf', 'echo',
  'sleep', 'tr', 'head', 'tail', 'dirname', 'basename', 'uname', 'id', 'true', 'false', 'test', 'sort', 'wc', 'cut', 'find', 'xargs', 'tee',
  'date', 'mktemp', 'readlink', 'realpath', 'chmod', 'ps']

function onPath(tool: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool)
    try {
      if (statSync(candidate).isFile() && !candidate.includes(join('test', 'lab', 'bin'))) return candidate
    } catch {
      // not in this folder
    }
  }
  return undefined
}

// The real kubectl the lab's `kubectl config` hands over to (the lab README): named by
// LAB_REAL_KUBECTL, else the one on the test runner's PATH. .ci/run installs it.
export const realKubectl = process.env.LAB_REAL_KUBECTL || onPath('kubectl') || '/usr/bin/kubectl'

// Every time limit of the harness (how long a command may run before it is killed) is
// multiplied by E2E_TIMEOUT_SCALE (default 1): give a slow or busy machine more.
const timeoutScale = (() => {
  const value = Number(process.env.E2E_TIMEOUT_SCALE ?? '1')
  return Number.isFinite(value) && value > 0 ? value : 1
})()
export const limit = (ms: number) => Math.round(ms * timeoutScale)

// The lab's clock for tests that must catch a missing wait: every modelled duration at a
// tenth (SPIRE's server starts in 4.5 s, MetalLB's webhook answers 0.5 s after its
// controller), long enough that a step which does not wait trips over it.
export const realisticClock = 0.1
// Every other test runs at a thousandth (a 60 s `kind create cluster` takes 60 ms): they
// are not about timing, and at the lab's own default (0.005) a make demo spends 1.5 s of
// its 9 s waiting out modelled durations.
const fastClock = 0.001

// The lab's random choices are seeded (test/lab/src/random.ts): the same for every run
// unless LAB_SEED says otherwise.
export const labSeed = process.env.LAB_SEED ?? 'workbook-e2e'
// One compile cache for every node process of the suite (the lab's tools start in ~25 ms
// with it, ~100 ms more without). Node keys its entries by the module's path, so each
// workspace reaches the cache through a link of its own beside its copy of the repo, in
// portable mode (NODE_COMPILE_CACHE_PORTABLE: paths relative to the cache folder): every
// workspace's repo/lib/run.ts is then the same entry, checked against the file's content,
// and a workspace's first run of each tool and script no longer strips and compiles anew.
const compileCache = join(tmpdir(), `workbook-e2e-compile-cache-${userInfo().uid}`)

export interface Run {
  code: number
  stdout: string
  stderr: string
  output: string // stdout and stderr, interleaved as they came
  ms: number
}

export interface Invocation {
  tool: string
  args: string[]
  exitCode: number
  start: number
  end: number
  modelledMs?: number   // what the lab deliberately waited, in real (scaled) ms
}

export interface WorkspaceOptions {
  env?: Record<string, string>
  timeScale?: number
}

// What a workspace does not copy from the repo: git's, the user's own run (out/, the saved
// choices), the installed packages and the fetched tools (linked or fetched anew instead).
export const notCopied = ['.git', 'out', 'node_modules', '.cache', 'workbook.config.json']

export class Workspace {
  readonly dir: string       // the copy of the repo
  readonly root: string      // holds the copy, the state, the kubeconfig and a home
  readonly state: string     // LAB_STATE
  readonly kubeconfig: string
  readonly home: string
  readonly systemBin: string // links to the basic system tools and Node
  env: Record<string, string>

  constructor(options: WorkspaceOptions = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'workbook-e2e-'))
    this.dir = join(this.root, 'repo')
    this.state = join(this.root, 'lab-state')
    this.home = join(this.root, 'home')
    this.kubeconfig = join(this.home, '.kube', 'config')
    this.systemBin = join(this.root, 'system-bin')
    mkdirSync(this.systemBin)
    for (const tool of systemTools) {
      const found = onPath(tool)
      if (found) symlinkSync(found, join(this.systemBin, tool))
    }
    symlinkSync(process.execPath, join(this.systemBin, 'node'))
    mkdirSync(compileCache, { recursive: true, mode: 0o700 })
    symlinkSync(compileCache, join(this.root, 'compile-cache'))
    mkdirSync(this.dir)
    mkdirSync(this.state)
    mkdirSync(join(this.home, '.kube'), { recursive: true })
    for (const entry of readdirSync(repoRoot)) {
      if (notCopied.includes(entry)) continue
      cpSync(join(repoRoot, entry), join(this.dir, entry), { recursive: true })
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(this.dir, 'node_modules'))
    // The Node the Makefile fetched is shared; the tools a step fetches (.cache/bin) are
    // this copy's own, as in a fresh clone.
    mkdirSync(join(this.dir, '.cache'))
    if (existsSync(join(repoRoot, '.cache', 'node'))) symlinkSync(join(repoRoot, '.cache', 'node'), join(this.dir, '.cache', 'node'))
    // The lab has no network: step 01 fetches the lab's stand-in for the pinned MetalLB
    // manifest, through the settings a user pins another release or a mirror with.
    const metallb = writeStandInManifest(join(this.root, 'metallb'))
    this.env = {
      PATH: [join(this.dir, 'test', 'lab', 'bin'), this.systemBin].join(delimiter),
      LAB_REAL_KUBECTL: realKubectl,
      LAB_SEED: labSeed,
      HOME: this.home,
      KUBECONFIG: this.kubeconfig,
      LAB_STATE: this.state,
      LAB_TIME_SCALE: String(options.timeScale ?? fastClock),
      NODE_COMPILE_CACHE: join(this.root, 'compile-cache'),
      NODE_COMPILE_CACHE_PORTABLE: '1',
      CI: 'true',
      LANG: 'C.UTF-8',
      TMPDIR: tmpdir(),
      METALLB_MANIFEST_URL: metallb.url,
      METALLB_MANIFEST_SHA256: metallb.sha256,
      ...options.env,
    }
  }

  // A lab tool that must succeed: its stdout, or a failed assertion showing the command and
  // all it printed.
  async ok(tool: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const run = await this.run(tool, args, options)
    assert.equal(run.code, 0, `${tool} ${args.join(' ')}:\n${run.output}`)
    return run.stdout
  }

  // A PATH like this one, without one of the lab's tools (a tool missing from PATH).
  pathWithout(tool: string): string {
    const bin = join(this.root, `bin-without-${tool}`)
    mkdirSync(bin, { recursive: true })
    for (const t of labTools) if (t !== tool) symlinkSync(join(this.dir, 'test', 'lab', 'bin', t), join(bin, t))
    return [bin, this.systemBin].join(delimiter)
  }

  run(command: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<Run> {
    const started = Date.now()
    return new Promise((done, failed) => {
      const child = spawn(command, args, {
        cwd: this.dir,
        env: { ...this.env, ...options.env },
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      let output = ''
      child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk; output += chunk })
      child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk; output += chunk })
      if (options.input !== undefined) child.stdin!.end(options.input)
      const timer = setTimeout(() => child.kill('SIGKILL'), limit(options.timeoutMs ?? 120_000))
      child.on('error', failed)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        done({ code: code ?? (signal ? 128 : 1), stdout, stderr, output, ms: Date.now() - started })
      })
    })
  }

  make(target: string, options: { env?: Record<string, string>; args?: string[]; timeoutMs?: number } = {}): Promise<Run> {
    return this.run('make', ['--no-print-directory', target, ...(options.args ?? [])], options)
  }

  script(step: string, args: string[] = [], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
    return this.run(process.execPath, [`scripts/${step}.ts`, ...args], options)
  }

  // Steps one after another, as `make demo` runs them, stopping at the first failure.
  async chain(ids: readonly string[], options: { env?: Record<string, string> } = {}): Promise<{ failedAt?: string; runs: Record<string, Run>; output: string }> {
    const runs: Record<string, Run> = {}
    let output = ''
    for (const id of ids) {
      const result = await this.script(id, [], options)
      runs[id] = result
      output += result.output
      if (result.code !== 0) return { failedAt: id, runs, output }
    }
    return { runs, output }
  }

  // Two clusters the user already has, for CLUSTER_PROVIDER=existing: in the lab state and
  // the kubeconfig, under their clouds' context names, with no kind cluster or container.
  existingClusters(clusters: readonly ExistingClusterSpec[] = defaultExistingClusters): readonly ExistingClusterSpec[] {
    setUpExistingClusters(this.state, this.kubeconfig, clusters)
    return clusters
  }

  setFaults(faults: Faults): void {
    writeFileSync(join(this.state, 'faults.json'), JSON.stringify(faults))
  }

  clearFaults(): void {
    rmSync(join(this.state, 'faults.json'), { force: true })
  }

  invocations(): Invocation[] {
    const file = join(this.state, 'invocations.jsonl')
    if (!existsSync(file)) return []
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Invocation)
  }

  clusters(): Record<string, ClusterState> {
    const dir = join(this.state, 'clusters')
    if (!existsSync(dir)) return {}
    return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), 'utf8')) as ClusterState]))
  }

  docker(): DockerState {
    const file = join(this.state, 'docker.json')
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as DockerState : { networks: {}, containers: {} }
  }

  applied(): AppliedRecord[] {
    return appliedRecords(this.state)
  }

  // Tokens the lab's API servers accept (istioctl create-remote-secret hands them out).
  tokens(): string[] {
    return Object.values(this.clusters()).map((c) => c.readerToken).filter((t): t is string => typeof t === 'string')
  }

  explain(): string {
    const file = join(this.state, 'explain.log')
    return existsSync(file) ? readFileSync(file, 'utf8') : ''
  }

  // The lab's state, the kubeconfig, the saved choices (workbook.config.json) and out/ (the
  // rendered files and logs), copied aside (to start other workspaces from this point).
  checkpoint(name: string): string {
    const dir = join(this.root, 'checkpoints', name)
    mkdirSync(dir, { recursive: true })
    cpSync(this.state, join(dir, 'lab-state'), { recursive: true })
    if (existsSync(this.kubeconfig)) cpSync(this.kubeconfig, join(dir, 'kubeconfig'))
    if (existsSync(join(this.dir, 'workbook.config.json'))) cpSync(join(this.dir, 'workbook.config.json'), join(dir, 'workbook.config.json'))
    if (existsSync(join(this.dir, 'out'))) cpSync(join(this.dir, 'out'), join(dir, 'out'), { recursive: true })
    return dir
  }

  // Back to a checkpoint (of this workspace or another): what it holds, and nothing that
  // came later (a file it does not have is removed), without the faults.
  restore(checkpoint: string): void {
    rmSync(this.state, { recursive: true, force: true })
    cpSync(join(checkpoint, 'lab-state'), this.state, { recursive: true })
    rmSync(join(this.state, 'faults.json'), { force: true })
    const copies: Array<[string, string]> = [['kubeconfig', this.kubeconfig], ['workbook.config.json', join(this.dir, 'workbook.config.json')], ['out', join(this.dir, 'out')]]
    for (const [held, here] of copies) {
      rmSync(here, { recursive: true, force: true })
      if (existsSync(join(checkpoint, held))) cpSync(join(checkpoint, held), here, { recursive: true })
    }
  }

  // Every file under a folder (no links followed), for scans.
  files(under: string = this.dir, skip: string[] = ['node_modules', '.cache']): string[] {
    const found: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (skip.includes(entry.name)) continue
        const full = join(dir, entry.name)
        if (entry.isDirectory()) walk(full)
        else if (entry.isFile()) found.push(full)
      }
    }
    if (existsSync(under)) walk(under)
    return found
  }

  remove(): void {
    if (!process.env.KEEP_E2E) rmSync(this.root, { recursive: true, force: true })
  }
}

export function readable(file: string): boolean {
  return (statSync(file).mode & 0o004) !== 0
}

// The last lines of a run's output, for assertion messages.
export function tail(run: Run, lines = 25): string {
  return run.output.trimEnd().split('\n').slice(-lines).join('\n')
}

// What exists in the lab, for before/after comparisons. Pods are listed apart: their names
// are generated, so they are compared per workload.
export function snapshot(ws: Workspace): { things: Record<string, unknown>; pods: Record<string, string[]> } {
  const things: Record<string, unknown> = {}
  const pods: Record<string, string[]> = {}
  for (const [name, cluster] of Object.entries(ws.clusters())) {
    for (const [key, stored] of Object.entries(cluster.objects)) {
      if (stored.obj.kind === 'Pod') {
        const owner = `${name} ${stored.meta.owner ?? 'none'}`
        pods[owner] = [...(pods[owner] ?? []), stored.obj.metadata.name].sort()
        continue
      }
      const content = JSON.parse(JSON.stringify(stored.obj))
      for (const field of ['resourceVersion', 'generation', 'managedFields']) delete content.metadata?.[field]
      things[`${name} object ${key}`] = content
    }
    for (const [key, release] of Object.entries(cluster.releases)) things[`${name} release ${key}`] = { chart: release.chart, version: release.version, status: release.status, values: release.values }
    for (const [key, operator] of Object.entries(cluster.operators)) things[`${name} operator ${key}`] = operator.spec
    things[`${name} spire`] = cluster.spire && { trustDomain: cluster.spire.trustDomain, bundle: cluster.spire.bundle }
    // The datastore: federation relationships (not when they were made) and the bundles held.
    things[`${name} spire federation`] = cluster.spire && {
      relationships: Object.fromEntries(Object.entries(cluster.spire.relationships ?? {}).map(([domain, r]) => [domain, { url: r.url, profile: r.profile, endpointSPIFFEID: r.endpointSPIFFEID }])),
      bundles: Object.fromEntries(Object.entries(cluster.spire.federatedBundles ?? {}).map(([domain, held]) => [domain, held.bundle.keys])),
    }
    things[`${name} token`] = cluster.readerToken
    things[`${name} api`] = cluster.apiPort
  }
  for (const container of Object.values(ws.docker().containers)) things[`container ${container.name}`] = { ip: container.ip, cluster: container.cluster }
  for (const [name, network] of Object.entries(ws.docker().networks)) things[`network ${name}`] = network.subnet
  things.kubeconfig = existsSync(ws.kubeconfig) ? readFileSync(ws.kubeconfig, 'utf8') : ''
  const repos = join(ws.state, 'helm', 'repositories.json')
  things.helmRepos = existsSync(repos) ? JSON.parse(readFileSync(repos, 'utf8')) : undefined
  return { things, pods }
}

// A test file's workspaces: each made when the file asks for one, all removed after the
// file's tests (or the suite's, when called inside a describe).
export function workspacesRemovedAfterwards(): (options?: WorkspaceOptions) => Workspace {
  const made: Workspace[] = []
  after(() => made.forEach((ws) => ws.remove()))
  return (options) => {
    const ws = new Workspace(options)
    made.push(ws)
    return ws
  }
}
