// `helm` 4.1.4, or 3.21.4 with LAB_HELM_VERSION=3: repositories (kept in the state folder,
// not in $HOME), upgrade --install of the two SPIRE charts (recording release, chart version
// and the merged values), uninstall (which keeps what says `helm.sh/resource-policy: keep`),
// list, status, get values, version. --wait waits for the workloads to be ready; Helm 3's
// waiter also waits for a LoadBalancer Service's address, Helm 4's kstatus watcher does not.
import { existsSync, readFileSync } from 'node:fs'
import { parse as parseYaml, stringify } from 'yaml'
import { recordApplied } from './applied.ts'
import { flag, flagList, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec, type Parsed } from './args.ts'
import { spireChartRefusal } from './chart-rules.ts'
import { connect } from './connect.ts'
import { applyObject, deleteObject, loadBalancer, reconcile, workloadReadiness } from './controllers.ts'
import { consumeOnce, faults } from './faults.ts'
import { apiServer, isPlainObject, kindFor, loadWorld, mergeValues, objectKey, readCluster, updateCluster, type Obj, type Release } from './model.ts'
import { chartAppVersion, charts, spireAuthority, spireCrdsObjects, spireDefaults, spireObjects } from './spire.ts'
import { files, readJson, stateDir, ToolExit, updateJson } from './state.ts'
import { parseGoDuration, scaled, sleep, waitUntil } from './timing.ts'
import { out, runTool } from './tool.ts'

// The two Helms the lab can be, as `helm version` names them (the real 4.1.4 binary prints
// these). 3.21.4 is the newest Helm 3 (helm/helm tags), one the workbook supports (3.20 on,
// lib/defaults.ts): its line has no KubeClientVersion (internal/version/version.go); its
// commit is the tag's; it is built with the newest Go 1.26 of its release day
// (.github/env GOLANG_VERSION=1.26, setup-go check-latest), whose patch is not known here.
const helms = {
  3: { version: 'v3.21.4', commit: '813176c51bb5c181dbbd7901298ddcc104cd3417', go: 'go1.26' },
  4: { version: 'v4.1.4', commit: '05fa37973dc9e42b76e1d2883494c87174b6074f', go: 'go1.25.9', kubeClient: 'v1.35' },
} as const

// LAB_HELM_VERSION: 4 (the default) or 3.
export function helmMajor(env: NodeJS.ProcessEnv = process.env): 3 | 4 {
  const wanted = (env.LAB_HELM_VERSION ?? '4').replace(/^v/, '').split('.')[0]
  if (wanted !== '3' && wanted !== '4') throw new ToolExit(70, `lab: LAB_HELM_VERSION=${env.LAB_HELM_VERSION} is not a Helm the lab can be (3 or 4)\n`)
  return Number(wanted) as 3 | 4
}

export function helmVersion(): string {
  const helm = helms[helmMajor()]
  return `${helm.version}+g${helm.commit.slice(0, 7)}`
}
const knownRepos: Record<string, string[]> = { 'https://spiffe.github.io/helm-charts-hardened': Object.keys(charts) }

interface Repo {
  name: string
  url: string
}

const globals: FlagSpec[] = [
  { name: 'kube-context', value: true }, { name: 'kubeconfig', value: true }, { name: 'namespace', short: 'n', value: true },
  { name: 'debug' }, { name: 'registry-config', value: true }, { name: 'repository-config', value: true }, { name: 'repository-cache', value: true },
  { name: 'burst-limit', value: true }, { name: 'qps', value: true }, { name: 'kube-apiserver', value: true }, { name: 'kube-token', value: true },
]
// Helm 4's --wait takes a strategy (--wait alone: watcher; the default is hookOnly, which
// waits for hook pods only); Helm 3's is a switch (pkg/cmd/flags.go AddWaitFlag at v4.1.4).
const waitFlag = (): FlagSpec => helmMajor() === 4 ? { name: 'wait', optional: 'watcher' } : { name: 'wait' }
const installFlags = (): FlagSpec[] => [
  { name: 'install', short: 'i' }, { name: 'version', value: true }, { name: 'values', short: 'f', value: true }, { name: 'set', value: true },
  { name: 'set-string', value: true }, waitFlag(), { name: 'wait-for-jobs' }, { name: 'timeout', value: true }, { name: 'create-namespace' },
  { name: 'atomic' }, ...(helmMajor() === 4 ? [{ name: 'rollback-on-failure' }] : []), { name: 'reuse-values' }, { name: 'reset-values' }, { name: 'description', value: true }, { name: 'output', short: 'o', value: true },
  { name: 'force' }, { name: 'dry-run', value: true }, { name: 'skip-crds' }, { name: 'devel' },
]
const spec = (): CommandSpec => ({
  commands: {
    version: { flags: [{ name: 'short' }, { name: 'template', value: true }] },
    repo: {
      commands: {
        add: { flags: [{ name: 'force-update' }, { name: 'username', value: true }, { name: 'password', value: true }, { name: 'no-update' }] },
        update: { aliases: ['up'], flags: [{ name: 'fail-on-repo-update-fail' }] },
        list: { aliases: ['ls'], flags: [{ name: 'output', short: 'o', value: true }] },
        remove: { aliases: ['rm'] },
      },
    },
    upgrade: { flags: installFlags() },
    install: { flags: installFlags().filter((f) => f.name !== 'install') },
    uninstall: { aliases: ['un', 'del', 'delete'], flags: [{ name: 'ignore-not-found' }, waitFlag(), { name: 'timeout', value: true }, { name: 'keep-history' }, { name: 'cascade', value: true }] },
    list: { aliases: ['ls'], flags: [{ name: 'all-namespaces', short: 'A' }, { name: 'output', short: 'o', value: true }, { name: 'short', short: 'q' }, { name: 'all', short: 'a' }] },
    status: { flags: [{ name: 'output', short: 'o', value: true }] },
    get: { commands: { values: { flags: [{ name: 'all', short: 'a' }, { name: 'output', short: 'o', value: true }] } } },
  },
})

function reposFile(): string {
  return files.helmRepos(stateDir())
}

function repos(): Repo[] {
  return readJson<{ repositories: Repo[] }>(reposFile(), { repositories: [] }).repositories
}

function unreachable(url: string): ToolExit {
  let host = url
  try {
    host = new URL(url).hostname
  } catch {
    // not a URL at all
  }
  return new ToolExit(1, `Error: looks like "${url}" is not a valid chart repository or cannot be reached: Get "${url.replace(/\/$/, '')}/index.yaml": dial tcp: lookup ${host} on 127.0.0.53:53: server misbehaving`)
}

const normalUrl = (url: string) => url.replace(/\/+$/, '')

async function repoAdd(p: Parsed): Promise<number> {
  const [name, url] = p.args
  if (!name || !url || p.args.length > 2) throw new ToolExit(1, `Error: "helm repo add" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]`)
  if (!knownRepos[normalUrl(url)]) throw unreachable(url)
  await sleep(scaled('helmRepoAdd'))
  let message = ''
  updateJson<{ repositories: Repo[] }>(reposFile(), { repositories: [] }, (file) => {
    const existing = file.repositories.find((r) => r.name === name)
    if (existing && normalUrl(existing.url) === normalUrl(url)) {
      message = `"${name}" already exists with the same configuration, skipping`
      return
    }
    if (existing && !isSet(p, 'force-update')) throw new ToolExit(1, `Error: repository name (${name}) already exists, please specify a different name`)
    file.repositories = [...file.repositories.filter((r) => r.name !== name), { name, url }]
    message = `"${name}" has been added to your repositories`
  })
  out(message)
  return 0
}

async function repoUpdate(p: Parsed): Promise<number> {
  const all = repos()
  if (all.length === 0) throw new ToolExit(1, 'Error: no repositories found. You must add one before updating')
  const chosen = p.args.length ? all.filter((r) => p.args.includes(r.name)) : all
  if (p.args.length && chosen.length !== p.args.length) throw new ToolExit(1, `Error: no repositories found matching '[${p.args.filter((a) => !all.some((r) => r.name === a)).join(' ')}]'.  Nothing will be updated.`)
  await sleep(scaled('helmRepoUpdate'))
  out(['Hang tight while we grab the latest from your chart repositories...', ...chosen.map((r) => `...Successfully got an update from the "${r.name}" chart repository`), 'Update Complete. ⎈Happy Helming!⎈'].join('\n'))
  return 0
}

// --set a.b=c, a.list={x,y}
function setValue(values: Obj, assignment: string, asString: boolean): void {
  const eq = assignment.indexOf('=')
  if (eq < 0) throw new ToolExit(1, `Error: failed parsing --set data: key "${assignment}" has no value`)
  const path = assignment.slice(0, eq).split(/(?<!\\)\./).map((part) => part.replace(/\\\./g, '.'))
  const text = assignment.slice(eq + 1)
  let value: unknown = text
  if (!asString) {
    if (text === 'true' || text === 'false') value = text === 'true'
    else if (text === 'null') value = null
    else if (/^-?\d+$/.test(text)) value = Number(text)
    else if (/^\{.*\}$/.test(text)) value = text.slice(1, -1).split(',').filter(Boolean)
  }
  let node = values
  for (const part of path.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {}
    node = node[part]
  }
  node[path[path.length - 1]!] = value
}

function chartObjects(chart: string, release: Release): Obj[] {
  return chart === 'spire-crds' ? spireCrdsObjects() : spireObjects(release)
}

const when = () => new Date().toString().replace(/ GMT.*$/, '')

async function upgrade(p: Parsed, installOnly: boolean): Promise<number> {
  const [name, chartRef] = p.args
  const verb = installOnly ? 'install' : 'upgrade'
  if (!name || !chartRef || p.args.length !== 2) throw new ToolExit(1, `Error: "helm ${verb}" requires 2 arguments\n\nUsage:  helm ${verb} [RELEASE] [CHART] [flags]`)
  const slash = chartRef.indexOf('/')
  if (slash < 0) throw new ToolExit(1, `Error: path "${chartRef}" not found`)
  const repoName = chartRef.slice(0, slash)
  const chart = chartRef.slice(slash + 1)
  const repo = repos().find((r) => r.name === repoName)
  if (!repo) throw new ToolExit(1, `Error: repo ${repoName} not found`)
  const wanted = flag(p, 'version')
  const available = charts[chart]
  if (!available || !(knownRepos[normalUrl(repo.url)] ?? []).includes(chart)) {
    throw new ToolExit(1, `Error: chart "${chart}"${wanted ? ` matching ${wanted}` : ''} not found in ${repoName} index. (try 'helm repo update'): no chart name found`)
  }
  const version = wanted ?? available[available.length - 1]!
  if (!available.includes(version)) throw new ToolExit(1, `Error: chart "${chart}" matching ${wanted} not found in ${repoName} index. (try 'helm repo update'): no chart version found for ${chart}-${wanted}`)
  // values: -f files in order, then --set
  let values: Obj = {}
  const valueDocs: Obj[] = []
  for (const file of flagList(p, 'values')) {
    if (!existsSync(file)) throw new ToolExit(1, `Error: open ${file}: no such file or directory`)
    let doc: unknown
    try {
      doc = parseYaml(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ToolExit(1, `Error: failed to parse ${file}: error converting YAML to JSON: yaml: ${(error as Error).message.split('\n')[0]}`)
    }
    if (doc === null || doc === undefined) doc = {}
    if (!isPlainObject(doc)) throw new ToolExit(1, `Error: failed to parse ${file}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(doc) ? 'array' : typeof doc} into Go value of type map[string]interface {}`)
    valueDocs.push(doc)
    values = mergeValues(values, doc)
  }
  for (const assignment of flagList(p, 'set')) for (const part of assignment.split(/,(?![^{]*\})/)) setValue(values, part, false)
  for (const assignment of flagList(p, 'set-string')) for (const part of assignment.split(',')) setValue(values, part, true)
  const timeoutText = flag(p, 'timeout') ?? '5m0s'
  const timeoutMs = parseGoDuration(timeoutText)
  if (timeoutMs === undefined) throw new ToolExit(1, `Error: invalid argument "${timeoutText}" for "--timeout" flag: time: invalid duration "${timeoutText}"`)
  const ctx = connect('helm', flag(p, 'kube-context'), flag(p, 'kubeconfig'))
  const ns = flag(p, 'namespace') ?? ctx.namespace ?? 'default'
  if (!installOnly && faults().helmFailOnce && consumeOnce('helmFailOnce')) {
    const state = readCluster(ctx.cluster)
    throw new ToolExit(1, `Error: Kubernetes cluster unreachable: Get "${state ? apiServer(state).replace(/\/+$/, '') : 'https://127.0.0.1'}/version": net/http: TLS handshake timeout`)
  }
  const releaseKey = `${ns}/${name}`
  if (valueDocs.length > 0) recordApplied({ tool: 'helm', cluster: ctx.cluster, source: flagList(p, 'values').join(','), kind: 'values', documents: valueDocs })
  await sleep(scaled('helmInstall'))
  const result = updateCluster(ctx.cluster, (state, world) => {
    const now = Date.now()
    const previous = state.releases[releaseKey]
    const installing = !previous || previous.status !== 'deployed'
    const failedWord = previous ? 'UPGRADE FAILED' : 'INSTALLATION FAILED'
    if (installOnly && previous) throw new ToolExit(1, `Error: INSTALLATION FAILED: cannot re-use a name that is still in use`)
    if (!installOnly && !previous && !isSet(p, 'install')) throw new ToolExit(1, `Error: UPGRADE FAILED: "${name}" has no deployed releases`)
    if (!state.objects[`|Namespace||${ns}`]) {
      if (!isSet(p, 'create-namespace')) throw new ToolExit(1, `Error: ${failedWord}: create: failed to create: namespaces "${ns}" not found`)
      applyObject(state, kindFor(state, 'v1', 'Namespace')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns, name: ns } } }, now, { recordApplied: false })
    }
    const release: Release = {
      name, namespace: ns, chart, version, revision: (previous?.revision ?? 0) + 1, status: 'deployed',
      values, computed: mergeValues(chart === 'spire' ? spireDefaults : {}, values), updated: now, objects: [],
    }
    // The chart's schema and templates refuse some values before anything is created.
    const refused = chart === 'spire' ? spireChartRefusal(release.computed) : undefined
    if (refused) throw new ToolExit(1, `Error: ${failedWord}: ${refused}`)
    const objects = chartObjects(chart, release)
    // Helm builds every object before creating any: an unknown kind stops the whole release.
    for (const obj of objects) {
      if (obj.kind === 'CustomResourceDefinition') continue
      const crdInChart = objects.some((o) => o.kind === 'CustomResourceDefinition' && o.spec?.names?.kind === obj.kind)
      if (!crdInChart && !kindFor(state, obj.apiVersion, obj.kind)) {
        throw new ToolExit(1, `Error: ${failedWord}: unable to build kubernetes objects from release manifest: resource mapping not found for name: "${obj.metadata.name}" namespace: "${obj.metadata.namespace ?? ''}" from "": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`)
      }
    }
    const owner = `helm:${releaseKey}`
    for (const obj of objects) {
      const info = kindFor(state, obj.apiVersion, obj.kind)!
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${chart}-${version}` }
      obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), 'meta.helm.sh/release-name': name, 'meta.helm.sh/release-namespace': ns }
      applyObject(state, info, obj, now, { owner, namespace: info.namespaced ? ns : undefined })
      release.objects.push(objectKey(info, info.namespaced ? obj.metadata.namespace ?? ns : undefined, obj.metadata.name))
    }
    for (const key of previous?.objects ?? []) if (!release.objects.includes(key)) deleteObject(state, key)
    if (chart === 'spire') {
      // A server that finds its data (a PVC kept from an earlier install) keeps its keys, its
      // bundle and its datastore; else it starts with fresh keys.
      const trustDomain = String(release.computed.global?.spire?.trustDomain ?? 'example.org')
      if (release.computed['spire-server']?.enabled === false) delete state.spire
      else if (state.spire?.trustDomain !== trustDomain) state.spire = { trustDomain, ...spireAuthority(trustDomain, release.computed.global?.spire?.caSubject ?? {}, now), created: now }
    }
    state.releases[releaseKey] = release
    reconcile(world, state, now)
    return { installing, release }
  })
  // Helm 3 (pkg/kube/ready.go serviceReady) counts a LoadBalancer Service ready once it has
  // an ingress address; Helm 4's default watcher (kstatus, fluxcd/cli-utils
  // pkg/kstatus/status/core.go serviceConditions) once it has a cluster IP, which is at once.
  // --wait=legacy in Helm 4 is Helm 3's waiter.
  const waitWith = helmMajor() === 3 ? (isSet(p, 'wait') || isSet(p, 'atomic') ? 'legacy' : undefined)
    : waitStrategy(flag(p, 'wait') ?? ((isSet(p, 'atomic') || isSet(p, 'rollback-on-failure')) ? 'watcher' : 'hookOnly'))
  if (waitWith === 'legacy' || waitWith === 'watcher') {
    const deadline = timeoutMs === 0 ? Date.now() + 300_000 : Date.now() + timeoutMs
    const ok = await waitUntil(() => {
      const world = loadWorld()
      const state = world.clusters[ctx.cluster]
      const release = state?.releases[releaseKey]
      if (!state || !release) return { done: false }
      let at = 0
      for (const key of release.objects) {
        const stored = state.objects[key]
        if (!stored) continue
        const [group, kind, namespace, objName] = key.split('|') as [string, string, string, string]
        if (['Deployment', 'DaemonSet', 'StatefulSet'].includes(kind)) at = Math.max(at, workloadReadiness(world, state, group, kind, namespace, objName).at)
        if (kind === 'Service' && stored.obj.spec?.type === 'LoadBalancer' && waitWith === 'legacy') at = Math.max(at, loadBalancer(world, state, stored).at)
      }
      return Date.now() >= at ? { done: true } : { done: false, at }
    }, deadline)
    if (!ok) {
      updateCluster(ctx.cluster, (state) => {
        const release = state.releases[releaseKey]
        if (release) release.status = 'failed'
      })
      throw new ToolExit(1, `Error: ${result.installing ? 'INSTALLATION' : 'UPGRADE'} FAILED: context deadline exceeded`)
    }
  }
  const r = result.release
  const header = installOnly ? '' : result.installing && r.revision === 1 ? `Release "${name}" does not exist. Installing it now.\n` : `Release "${name}" has been upgraded. Happy Helming!\n`
  out(`${header}NAME: ${name}\nLAST DEPLOYED: ${when()}\nNAMESPACE: ${ns}\nSTATUS: deployed\nREVISION: ${r.revision}\nTEST SUITE: None${chart === 'spire' ? `\nNOTES:\nInstalled ${chart} (SPIRE ${chartAppVersion[chart]}).` : ''}`)
  return 0
}

function waitStrategy(value: string): 'watcher' | 'legacy' | 'hookOnly' {
  if (value === 'true') return 'watcher'
  if (value === 'false') return 'hookOnly'
  if (value === 'watcher' || value === 'legacy' || value === 'hookOnly') return value
  throw new ToolExit(1, `Error: invalid argument "${value}" for "--wait" flag: invalid wait input "${value}". Valid inputs are watcher, hookOnly, and legacy`)
}

// pkg/action/uninstall.go (3.18.4 to 3.21.4 and 4.1.4 alike): every object of the release is deleted
// except those annotated helm.sh/resource-policy: keep, which are listed ("These resources
// were kept due to the resource policy:"). What the release did not create itself (a
// StatefulSet's PVCs, the namespace --create-namespace made) is not the release's to delete.
async function uninstall(p: Parsed): Promise<number> {
  const ctx = connect('helm', flag(p, 'kube-context'), flag(p, 'kubeconfig'))
  const ns = flag(p, 'namespace') ?? ctx.namespace ?? 'default'
  if (helmMajor() === 4 && flag(p, 'wait') !== undefined) waitStrategy(flag(p, 'wait')!)
  const lines: string[] = []
  for (const name of p.args) {
    const kept = updateCluster(ctx.cluster, (state, world) => {
      const release = state.releases[`${ns}/${name}`]
      if (!release) return undefined
      const keep: string[] = []
      for (const key of release.objects) {
        const obj = state.objects[key]?.obj
        if (obj?.metadata?.annotations?.['helm.sh/resource-policy'] === 'keep') keep.push(`[${obj.kind}] ${obj.metadata.name}`)
        else deleteObject(state, key)
      }
      delete state.releases[`${ns}/${name}`]
      // The server's data stays with its PVC, if it has one.
      if (release.chart === 'spire' && !Object.values(state.objects).some((s) => s.meta.spireData)) delete state.spire
      reconcile(world, state, Date.now())
      return keep
    })
    if (!kept && !isSet(p, 'ignore-not-found')) throw new ToolExit(1, `Error: uninstall: Release not loaded: ${name}: release: not found`)
    if (kept && kept.length > 0) lines.push(`These resources were kept due to the resource policy:\n${kept.join('\n')}\n`)
    lines.push(kept ? `release "${name}" uninstalled` : `release "${name}" not found`)
  }
  out(lines.join('\n'))
  return 0
}

async function main(argv: string[]): Promise<number> {
  let p: Parsed
  try {
    p = parseCommandLine(argv, spec(), globals, 'helm')
  } catch (error) {
    if (error instanceof UsageError) throw new ToolExit(1, `Error: ${error.message}${error.kind === 'command' ? `\nRun 'helm --help' for usage.` : ''}`)
    throw error
  }
  const [command, sub] = p.path
  switch (command) {
    case undefined:
      out('The Kubernetes package manager (the lab\'s stand-in)\n\nUsage:\n  helm [command]')
      return 0
    case 'version':
    {
      const helm = helms[helmMajor()]
      const template = flag(p, 'template')
      if (template === '{{.Version}}' || template === '{{ .Version }}') out(helm.version)
      else out(isSet(p, 'short') ? helmVersion() : `version.BuildInfo{Version:"${helm.version}", GitCommit:"${helm.commit}", GitTreeState:"clean", GoVersion:"${helm.go}"${'kubeClient' in helm ? `, KubeClientVersion:"${helm.kubeClient}"` : ''}}`)
    }
      return 0
    case 'repo':
      if (sub === 'add') return repoAdd(p)
      if (sub === 'update') return repoUpdate(p)
      if (sub === 'list') {
        const all = repos()
        if (all.length === 0) throw new ToolExit(1, 'Error: no repositories to show')
        out(['NAME           \tURL', ...all.map((r) => `${r.name.padEnd(15)}\t${r.url}`)].join('\n'))
        return 0
      }
      if (sub === 'remove') {
        for (const name of p.args) {
          let found = false
          updateJson<{ repositories: Repo[] }>(reposFile(), { repositories: [] }, (file) => {
            found = file.repositories.some((r) => r.name === name)
            file.repositories = file.repositories.filter((r) => r.name !== name)
          })
          if (!found) throw new ToolExit(1, `Error: no repo named "${name}" found`)
          out(`"${name}" has been removed from your repositories`)
        }
        return 0
      }
      throw new ToolExit(1, 'Error: unknown command "" for "helm repo"')
    case 'upgrade':
      return upgrade(p, false)
    case 'install':
      return upgrade(p, true)
    case 'uninstall':
      return uninstall(p)
    case 'list': {
      const ctx = connect('helm', flag(p, 'kube-context'), flag(p, 'kubeconfig'))
      const state = readCluster(ctx.cluster)
      const ns = flag(p, 'namespace') ?? ctx.namespace ?? 'default'
      const releases = Object.values(state?.releases ?? {}).filter((r) => isSet(p, 'all-namespaces') || r.namespace === ns)
      if (isSet(p, 'short')) out(releases.map((r) => r.name).join('\n'))
      else out(['NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION', ...releases.map((r) => `${r.name}\t${r.namespace}\t${r.revision}\t${new Date(r.updated).toISOString()}\t${r.status}\t${r.chart}-${r.version}\t${chartAppVersion[r.chart] ?? ''}`)].join('\n'))
      return 0
    }
    case 'status':
    case 'get': {
      const ctx = connect('helm', flag(p, 'kube-context'), flag(p, 'kubeconfig'))
      const state = readCluster(ctx.cluster)
      const ns = flag(p, 'namespace') ?? ctx.namespace ?? 'default'
      const name = p.args[0]
      const release = name ? state?.releases[`${ns}/${name}`] : undefined
      if (!release) throw new ToolExit(1, 'Error: release: not found')
      if (command === 'status') out(`NAME: ${release.name}\nLAST DEPLOYED: ${new Date(release.updated).toString()}\nNAMESPACE: ${release.namespace}\nSTATUS: ${release.status}\nREVISION: ${release.revision}\nTEST SUITE: None`)
      else {
        const shown = isSet(p, 'all') ? release.computed : release.values
        out(flag(p, 'output') === 'json' ? JSON.stringify(shown) : `${isSet(p, 'all') ? 'COMPUTED VALUES:' : 'USER-SUPPLIED VALUES:'}\n${stringify(shown)}`)
      }
      return 0
    }
  }
  throw new ToolExit(1, `Error: unknown command "${command}" for "helm"\nRun 'helm --help' for usage.`)
}

export function runHelm(): Promise<void> {
  return runTool('helm', main)
}
