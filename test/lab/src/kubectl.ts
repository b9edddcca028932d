// `kubectl`: apply (files, stdin; -l; -n), get (-o json|yaml|name|wide|jsonpath),
// patch, label, annotate, delete, create namespace, wait, rollout status, exec (spire-server
// and curl inside the pods), describe, logs, version, cluster-info; `config ...` goes to the
// real kubectl further down PATH.
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { parseAllDocuments, stringify } from 'yaml'
import { admit } from './admission.ts'
import { recordApplied } from './applied.ts'
import { flag, flagList, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec, type Parsed } from './args.ts'
import { connect } from './connect.ts'
import { applyObject, deleteObject, kubeletVersion, podReadiness, present, reconcile, stillTerminating, store, workloadReadiness, type ApplyResult } from './controllers.ts'
import { injectPod, request } from './istio.ts'
import { jsonpath as jsonpathOf } from './jsonpath.ts'
import { contextNames, kubeconfigFiles, resolveContext } from './kubeconfig.ts'
import {
  apiServer, clone, isPlainObject, kindFor, list, loadWorld, mergePatch, objectKey, parseSelector, readCluster, resourceFor, resourceName, selects, typeName, updateCluster,
  type ClusterState, type KindInfo, type Obj, type Stored, type World,
} from './model.ts'
import { bundleEndpointReply, spireServerCommand } from './spire.ts'
import { files, stateDir, ToolExit } from './state.ts'
import { parseGoDuration, scaled, sleep, waitUntil } from './timing.ts'
import { err, out, runTool } from './tool.ts'

export const kubectlVersion = 'v1.33.1'

const globals: FlagSpec[] = [
  { name: 'context', value: true }, { name: 'kubeconfig', value: true }, { name: 'namespace', short: 'n', value: true },
  { name: 'cluster', value: true }, { name: 'user', value: true }, { name: 'request-timeout', value: true },
  { name: 'v', short: 'v', value: true }, { name: 'server', short: 's', value: true }, { name: 'token', value: true },
  { name: 'insecure-skip-tls-verify' }, { name: 'as', value: true }, { name: 'warnings-as-errors' },
]
const output: FlagSpec = { name: 'output', short: 'o', value: true }
const selector: FlagSpec = { name: 'selector', short: 'l', value: true }
const filename: FlagSpec = { name: 'filename', short: 'f', value: true }
const spec: CommandSpec = {
  commands: {
    version: { flags: [{ name: 'client' }, output] },
    'cluster-info': {},
    apply: { flags: [filename, selector, output, { name: 'recursive', short: 'R' }, { name: 'dry-run', value: true }, { name: 'server-side' }, { name: 'force-conflicts' }, { name: 'field-manager', value: true }, { name: 'validate', value: true }, { name: 'wait' }, { name: 'overwrite' }] },
    create: { flags: [filename, output, { name: 'dry-run', value: true }, { name: 'save-config' }], commands: { namespace: { aliases: ['ns'], flags: [output, { name: 'dry-run', value: true }] } } },
    get: { flags: [output, selector, { name: 'all-namespaces', short: 'A' }, { name: 'ignore-not-found' }, { name: 'no-headers' }, { name: 'show-labels' }, { name: 'watch', short: 'w' }, { name: 'raw', value: true }, { name: 'field-selector', value: true }, filename] },
    describe: { flags: [selector, { name: 'all-namespaces', short: 'A' }] },
    logs: { flags: [{ name: 'container', short: 'c', value: true }, { name: 'follow', short: 'f' }, { name: 'tail', value: true }, { name: 'previous', short: 'p' }, { name: 'all-containers' }, selector] },
    delete: { flags: [selector, filename, { name: 'ignore-not-found' }, { name: 'wait' }, { name: 'all' }, { name: 'now' }, { name: 'grace-period', value: true }, { name: 'timeout', value: true }] },
    patch: { flags: [{ name: 'type', value: true }, { name: 'patch', short: 'p', value: true }, output, { name: 'dry-run', value: true }, { name: 'patch-file', value: true }] },
    label: { flags: [{ name: 'overwrite' }, selector, { name: 'all' }, { name: 'list' }, output, { name: 'dry-run', value: true }] },
    annotate: { flags: [{ name: 'overwrite' }, selector, { name: 'all' }, output, { name: 'dry-run', value: true }] },
    wait: { flags: [{ name: 'for', value: true }, { name: 'timeout', value: true }, selector, { name: 'all' }, { name: 'all-namespaces', short: 'A' }, filename] },
    rollout: { commands: { status: { flags: [{ name: 'timeout', value: true }, { name: 'watch', short: 'w' }, { name: 'revision', value: true }] }, restart: { flags: [selector] } } },
    exec: { flags: [{ name: 'container', short: 'c', value: true }, { name: 'stdin', short: 'i' }, { name: 'tty', short: 't' }, { name: 'quiet', short: 'q' }, filename, { name: 'pod-running-timeout', value: true }] },
    run: { flags: [{ name: 'image', value: true }, { name: 'rm' }, { name: 'stdin', short: 'i' }, { name: 'tty', short: 't' }, { name: 'attach' }, { name: 'quiet', short: 'q' }, { name: 'restart', value: true }, { name: 'labels', short: 'l', value: true }, { name: 'env', value: true }, { name: 'annotations', value: true }, { name: 'command' }, { name: 'image-pull-policy', value: true }, { name: 'pod-running-timeout', value: true }, { name: 'port', value: true }] },
    config: {},
  },
}

// ---------- config: the real kubectl, else a small stand-in ----------

// LAB_REAL_KUBECTL names the real kubectl outright (the e2e tests set it: their PATH holds
// no /usr/bin); without it, the first kubectl further down PATH that is not this one.
function realKubectl(): string | undefined {
  const named = process.env.LAB_REAL_KUBECTL
  if (named) {
    if (!existsSync(named)) throw new ToolExit(1, `lab kubectl: LAB_REAL_KUBECTL is ${named}, which does not exist; "kubectl config" needs the real kubectl (Debian: apt-get install kubernetes-client)`)
    return named
  }
  const self = (() => {
    try {
      return realpathSync(process.argv[1]!)
    } catch {
      return ''
    }
  })()
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'kubectl')
    try {
      if (!statSync(candidate).isFile()) continue
      const real = realpathSync(candidate)
      if (real === self || real.includes(`${join('test', 'lab')}`)) continue
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

function config(argv: string[]): number {
  const real = realKubectl()
  if (real) {
    const result = spawnSync(real, argv, { stdio: 'inherit' })
    return result.status ?? 1
  }
  const words = argv.filter((a) => !a.startsWith('-'))
  const sub = words[words.indexOf('config') + 1]
  if (sub === 'get-contexts' && (argv.includes('-o=name') || argv.includes('name') || argv.includes('--output=name'))) {
    out(contextNames().join('\n'))
    return 0
  }
  if (sub === 'current-context') {
    const res = resolveContext(undefined)
    if (!res.ok) throw new ToolExit(1, 'error: current-context is not set')
    out(res.target.context)
    return 0
  }
  throw new ToolExit(1, `lab kubectl: "config ${sub ?? ''}" needs the real kubectl further down PATH (kubeconfig: ${kubeconfigFiles().join(':')})`)
}

// ---------- shared ----------

interface Ctx {
  p: Parsed
  cluster: string
  namespace: string
  explicitNamespace: boolean
}

function context(p: Parsed): Ctx {
  const c = connect('kubectl', flag(p, 'context'), flag(p, 'kubeconfig'))
  const given = flag(p, 'namespace')
  return { p, cluster: c.cluster, namespace: given ?? c.namespace ?? 'default', explicitNamespace: given !== undefined }
}

function requireCluster(name: string): ClusterState {
  const state = readCluster(name)
  if (!state) throw new ToolExit(1, 'The connection to the server was refused - did you specify the right host or port?')
  return state
}

function unknownType(name: string): ToolExit {
  return new ToolExit(1, `error: the server doesn't have a resource type "${name}"`)
}

function notFound(info: KindInfo, name: string): string {
  return `Error from server (NotFound): ${resourceName(info)} "${name}" not found`
}

interface Target {
  info: KindInfo
  names: string[]
}

// TYPE NAME..., TYPE/NAME..., TYPE1,TYPE2
function targets(state: ClusterState, args: string[]): Target[] {
  if (args.length === 0) throw new ToolExit(1, 'error: you must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.')
  if (args[0]!.includes('/')) {
    return args.map((arg) => {
      const [type, name] = arg.split('/') as [string, string]
      const info = resourceFor(state, type)
      if (!info) throw unknownType(type)
      if (!name) throw new ToolExit(1, `error: arguments in resource/name form must have a single resource and name`)
      return { info, names: [name] }
    })
  }
  const [types, ...names] = args as [string, ...string[]]
  return types.split(',').map((type) => {
    const info = resourceFor(state, type)
    if (!info) throw unknownType(type)
    return { info, names }
  })
}

// Pods that were deleted and have not finished terminating are still there to see.
function terminatingPods(state: ClusterState, namespace?: string): Stored[] {
  return Object.values(state.terminating ?? {}).filter((pod) => stillTerminating(pod) && (namespace === undefined || pod.obj.metadata?.namespace === namespace))
}

function objectsOf(state: ClusterState, info: KindInfo, namespace: string | undefined): Stored[] {
  const gone = info.kind === 'Pod' ? terminatingPods(state, info.namespaced ? namespace : undefined) : []
  return [...list(state, info.group, info.kind, info.namespaced ? namespace : undefined), ...gone]
    .sort((a, b) => String(a.obj.metadata?.namespace ?? '').localeCompare(String(b.obj.metadata?.namespace ?? '')) || String(a.obj.metadata?.name).localeCompare(String(b.obj.metadata?.name)))
}

function findObject(state: ClusterState, info: KindInfo, namespace: string, name: string): Stored | undefined {
  const key = `${info.group}|${info.kind}|${info.namespaced ? namespace : ''}|${name}`
  const terminating = state.terminating?.[key]
  return state.objects[key] ?? (terminating && stillTerminating(terminating) ? terminating : undefined)
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  return `${Math.floor(s / 3600)}h`
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n')
}

function row(world: World, state: ClusterState, stored: Stored, wide: boolean): { header: string[]; cells: string[] } {
  const obj = present(world, state, stored)
  const name = obj.metadata.name
  const created = stored.meta.created
  switch (obj.kind) {
    case 'Pod': {
      const statuses: Obj[] = obj.status.containerStatuses
      const ready = statuses.filter((c) => c.ready).length
      const phase = obj.metadata?.deletionTimestamp ? 'Terminating' : obj.status.phase === 'Running' ? 'Running' : statuses[0]?.state?.waiting?.reason ?? 'Pending'
      return { header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE'] : [])], cells: [name, `${ready}/${statuses.length}`, phase, '0', age(created), ...(wide ? [obj.status.podIP, obj.spec.nodeName] : [])] }
    }
    case 'Deployment':
      return { header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], cells: [name, `${obj.status.readyReplicas}/${obj.status.replicas}`, String(obj.status.updatedReplicas), String(obj.status.availableReplicas), age(created)] }
    case 'StatefulSet':
      return { header: ['NAME', 'READY', 'AGE'], cells: [name, `${obj.status.readyReplicas}/${obj.status.replicas}`, age(created)] }
    case 'DaemonSet':
      return { header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'], cells: [name, '1', '1', String(obj.status.numberReady), '1', String(obj.status.numberAvailable), '<none>', age(created)] }
    case 'Service': {
      const ports = (obj.spec.ports ?? []).map((p: Obj) => `${p.port}${obj.spec.type === 'LoadBalancer' || obj.spec.type === 'NodePort' ? `:3${String(p.port).padStart(4, '0').slice(-4)}` : ''}/${p.protocol ?? 'TCP'}`).join(',')
      const ingress = obj.status.loadBalancer?.ingress?.[0]
      const external = ingress?.ip ?? ingress?.hostname ?? (obj.spec.type === 'LoadBalancer' ? '<pending>' : '<none>')
      return { header: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], cells: [name, obj.spec.type, obj.spec.clusterIP, external, ports, age(created)] }
    }
    case 'Namespace':
      return { header: ['NAME', 'STATUS', 'AGE'], cells: [name, 'Active', age(created)] }
    case 'Node':
      return { header: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'], cells: [name, 'Ready', 'control-plane', age(created), kubeletVersion(state)] }
    default:
      return { header: ['NAME', 'AGE'], cells: [name, age(created)] }
  }
}

function printObjects(world: World, state: ClusterState, items: Array<{ info: KindInfo; stored: Stored }>, format: string | undefined, allNamespaces: boolean, single: boolean, noHeaders: boolean, showLabels: boolean): string {
  const presented = items.map((i) => present(world, state, i.stored))
  if (format === undefined || format === 'wide') {
    const groups = new Map<string, string[][]>()
    for (const item of items) {
      const r = row(world, state, item.stored, format === 'wide')
      const header = [...(allNamespaces ? ['NAMESPACE'] : []), ...r.header, ...(showLabels ? ['LABELS'] : [])]
      const labels = Object.entries(item.stored.obj.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'
      const cells = [...(allNamespaces ? [item.stored.obj.metadata?.namespace ?? ''] : []), ...r.cells, ...(showLabels ? [labels] : [])]
      const key = header.join('|')
      if (!groups.has(key)) groups.set(key, noHeaders ? [] : [header])
      groups.get(key)!.push(cells)
    }
    return [...groups.values()].filter((rows) => rows.length > 0).map(table).join('\n\n')
  }
  if (format === 'name') return items.map((i) => `${typeName(i.info)}/${i.stored.obj.metadata.name}`).join('\n')
  const data = single ? presented[0] : { apiVersion: 'v1', items: presented, kind: 'List', metadata: { resourceVersion: '' } }
  if (format === 'json') return JSON.stringify(data, null, 4)
  if (format === 'yaml') return stringify(data)
  const jp = /^jsonpath(?:-as-json)?=(.*)$/s.exec(format)
  if (jp) {
    let template = jp[1]!
    if (/^'.*'$/s.test(template)) template = template.slice(1, -1)
    try {
      return jsonpathOf(template, data)
    } catch (error) {
      throw new ToolExit(1, `error: error executing jsonpath ${JSON.stringify(template)}: Error executing template: ${(error as Error).message}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t${template}\n\tobject given to jsonpath engine was:\n\t\t${JSON.stringify(data)}\n\n`)
    }
  }
  throw new ToolExit(1, `error: unable to match a printer suitable for the output format "${format}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`)
}


// ---------- apply ----------

interface Source {
  source: string
  docs: Obj[]
}

function readSources(p: Parsed, recursive: boolean): Source[] {
  const names = flagList(p, 'filename')
  if (names.length === 0) throw new ToolExit(1, 'error: must specify one of -f and -k')
  const sources: Source[] = []
  const parse = (text: string, source: string): Obj[] => {
    const docs: Obj[] = []
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new ToolExit(1, `error: error parsing ${source}: error converting YAML to JSON: yaml: ${doc.errors[0]!.message.split('\n')[0]}`)
      const value = doc.toJS()
      if (value === null || value === undefined) continue
      if (!isPlainObject(value)) throw new ToolExit(1, `error: error parsing ${source}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(value) ? 'array' : 'string'} into Go value of type map[string]interface {}`)
      if (value.kind === 'List' && Array.isArray(value.items)) docs.push(...value.items)
      else docs.push(value)
    }
    return docs
  }
  const fromPath = (path: string, top: boolean): void => {
    if (!existsSync(path)) throw new ToolExit(1, `error: the path "${path}" does not exist`)
    if (statSync(path).isDirectory()) {
      if (!top && !recursive) return
      for (const entry of readdirSync(path).sort()) {
        const full = join(path, entry)
        if (statSync(full).isDirectory()) fromPath(full, false)
        else if (/\.(ya?ml|json)$/.test(entry)) sources.push({ source: full, docs: parse(readFileSync(full, 'utf8'), full) })
      }
      return
    }
    sources.push({ source: path, docs: parse(readFileSync(path, 'utf8'), path) })
  }
  for (const name of names) {
    if (name === '-') {
      let text = ''
      try {
        text = readFileSync(0, 'utf8')
      } catch {
        text = ''
      }
      sources.push({ source: 'STDIN', docs: parse(text, 'STDIN') })
    } else if (/^https?:\/\//.test(name)) {
      // The lab has no network: kubectl reads a URL as a real one does without one.
      const host = new URL(name).hostname
      throw new ToolExit(1, `error: unable to read URL "${name}", server reported: Get "${name}": dial tcp: lookup ${host} on 127.0.0.53:53: server misbehaving`)
    } else fromPath(name, true)
  }
  for (const { source, docs } of sources) {
    for (const doc of docs) {
      const missing = [...(doc.apiVersion ? [] : ['apiVersion not set']), ...(doc.kind ? [] : ['kind not set'])]
      if (missing.length) throw new ToolExit(1, `error: error validating "${source}": error validating data: [${missing.join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`)
      if (!doc.metadata?.name && !doc.metadata?.generateName) throw new ToolExit(1, `error: error when retrieving current configuration of:\nResource: "${doc.kind}", Name: "", Namespace: ""\nfrom server for: "${source}": resource name may not be empty`)
    }
  }
  return sources
}

async function apply(p: Parsed, mode: 'apply' | 'create'): Promise<number> {
  const sel = flag(p, 'selector')
  let requirements: ReturnType<typeof parseSelector> = []
  try {
    requirements = sel ? parseSelector(sel) : []
  } catch (error) {
    throw new ToolExit(1, `error: ${(error as Error).message}`)
  }
  const sources = readSources(p, isSet(p, 'recursive'))
  const chosen = sources.map((s) => ({ source: s.source, docs: sel ? s.docs.filter((d) => selects(requirements, d.metadata?.labels)) : s.docs }))
  if (chosen.every((s) => s.docs.length === 0)) throw new ToolExit(1, 'error: no objects passed to apply')
  const ctx = context(p)
  const dryRun = flag(p, 'dry-run')
  if (dryRun !== undefined && !['client', 'server', 'none'].includes(dryRun)) throw new ToolExit(1, `error: Invalid dry-run value (${dryRun}). Must be "none", "server", or "client".`)
  const dry = dryRun === 'client' || dryRun === 'server'
  await sleep(scaled('kubectlRequest'))
  const lines: string[] = []
  const errors: string[] = []
  for (const { source, docs } of chosen) {
    if (docs.length > 0 && !dry) recordApplied({ tool: 'kubectl', cluster: ctx.cluster, source, kind: 'manifest', documents: docs })
  }
  updateCluster(ctx.cluster, (state, world) => {
    const now = Date.now()
    for (const { source, docs } of chosen) {
      for (const doc of docs) {
        const info = kindFor(state, doc.apiVersion, doc.kind)
        const docNs = doc.metadata?.namespace
        if (!info) {
          errors.push(`error: resource mapping not found for name: "${doc.metadata?.name}" namespace: "${docNs ?? (ctx.explicitNamespace ? ctx.namespace : '')}" from "${source}": no matches for kind "${doc.kind}" in version "${doc.apiVersion}"\nensure CRDs are installed first`)
          continue
        }
        if (info.namespaced && ctx.explicitNamespace && docNs !== undefined && docNs !== ctx.namespace) {
          throw new ToolExit(1, `error: the namespace from the provided object "${docNs}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${docNs}' to perform this operation.`)
        }
        const ns = info.namespaced ? docNs ?? ctx.namespace : undefined
        if (ns !== undefined && !state.objects[`|Namespace||${ns}`]) {
          errors.push(`Error from server (NotFound): error when creating "${source}": namespaces "${ns}" not found`)
          continue
        }
        const denied = admit(world, state, info, { ...doc, metadata: { ...doc.metadata, namespace: ns } }, source, 'creating', now)
        if (denied) {
          errors.push(denied)
          continue
        }
        const exists = !!findObject(state, info, ns ?? '', doc.metadata.name)
        if (mode === 'create' && exists) {
          errors.push(`Error from server (AlreadyExists): error when creating "${source}": ${resourceName(info)} "${doc.metadata.name}" already exists`)
          continue
        }
        let result: ApplyResult | 'serverside-applied'
        if (dry) result = exists ? 'configured' : 'created'
        else result = applyObject(state, info, doc, now, { namespace: ns })
        if (isSet(p, 'server-side') && !dry) result = 'serverside-applied'
        lines.push(`${typeName(info)}/${doc.metadata.name} ${result}${dry ? ` (${dryRun} dry run)` : ''}`)
      }
    }
    if (!dry) reconcile(world, state, now)
  })
  out(lines.join('\n'))
  if (errors.length > 0) throw new ToolExit(1, errors.join('\n'))
  return 0
}

// ---------- get ----------

async function get(p: Parsed): Promise<number> {
  const raw = flag(p, 'raw')
  const ctx = context(p)
  await sleep(scaled('kubectlRequest'))
  if (raw !== undefined) {
    if (raw === '/readyz' || raw === '/livez' || raw === '/healthz') out('ok')
    else if (raw === '/version') out(JSON.stringify({ major: '1', minor: '33', gitVersion: kubeletVersion(requireCluster(ctx.cluster)), platform: 'linux/amd64' }, null, 2))
    else throw new ToolExit(1, `Error from server (NotFound): the server could not find the requested resource`)
    return 0
  }
  const world = loadWorld()
  const state = requireCluster(ctx.cluster)
  const all = isSet(p, 'all-namespaces')
  const sel = flag(p, 'selector')
  const requirements = sel ? parseSelector(sel) : []
  const items: Array<{ info: KindInfo; stored: Stored }> = []
  const errors: string[] = []
  let named = false
  for (const target of targets(state, p.args)) {
    if (target.names.length > 0) {
      named = true
      for (const name of target.names) {
        const stored = findObject(state, target.info, ctx.namespace, name)
        if (stored) items.push({ info: target.info, stored })
        else if (!isSet(p, 'ignore-not-found')) errors.push(notFound(target.info, name))
      }
    } else {
      for (const stored of objectsOf(state, target.info, all ? undefined : ctx.namespace)) {
        if (!sel || selects(requirements, stored.obj.metadata?.labels)) items.push({ info: target.info, stored })
      }
    }
  }
  const format = flag(p, 'output')
  const single = named && items.length === 1 && p.args.length <= 2 && !p.args[0]!.includes(',') && (p.args.length === 2 || p.args[0]!.includes('/'))
  if (items.length > 0 || (format !== undefined && format !== 'wide' && format !== 'name' && !named)) {
    const text = printObjects(world, state, items, format, all, single, isSet(p, 'no-headers'), isSet(p, 'show-labels'))
    // kubectl prints a JSONPath result exactly, without a newline of its own.
    if (format?.startsWith('jsonpath')) process.stdout.write(text)
    else out(text)
  } else if (errors.length === 0 && !named) {
    const info = targets(state, p.args)[0]!.info
    err(all || !info.namespaced ? 'No resources found' : `No resources found in ${ctx.namespace} namespace.`)
  }
  if (errors.length > 0) throw new ToolExit(1, errors.join('\n'))
  return 0
}

// ---------- patch, label, annotate, delete ----------

function jsonOrYaml(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    const doc = parseAllDocuments(text)[0]
    if (!doc || doc.errors.length > 0) throw new ToolExit(1, `error: unable to parse "${text}": yaml: did not find expected node content`)
    return doc.toJS()
  }
}

function jsonPatch(target: Obj, ops: unknown): Obj {
  if (!Array.isArray(ops)) throw new ToolExit(1, 'error: unable to parse JSON patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch')
  const result = clone(target)
  for (const op of ops as Obj[]) {
    const parts = String(op.path ?? '').split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const last = parts.pop()!
    let parent: Obj = result
    for (const part of parts) {
      if (parent[part] === undefined) throw new ToolExit(1, `Error from server (UnprocessableEntity): add operation does not apply: doc is missing path: "${op.path}"`)
      parent = parent[part]
    }
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent) && last === '-') parent.push(op.value)
      else (parent as Obj)[last] = op.value
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1)
      else delete (parent as Obj)[last]
    } else throw new ToolExit(1, `error: unexpected kind: ${op.op}`)
  }
  return result
}

async function patch(p: Parsed): Promise<number> {
  const ctx = context(p)
  const type = flag(p, 'type') ?? 'strategic'
  if (!['json', 'merge', 'strategic'].includes(type)) throw new ToolExit(1, `error: --type must be one of [json merge strategic], not "${type}"`)
  const text = flag(p, 'patch') ?? (flag(p, 'patch-file') ? readFileSync(flag(p, 'patch-file')!, 'utf8') : undefined)
  if (text === undefined) throw new ToolExit(1, 'error: must specify --patch or --patch-file containing the contents of the patch')
  const body = jsonOrYaml(text)
  await sleep(scaled('kubectlRequest'))
  const result = updateCluster(ctx.cluster, (state, world) => {
    const [target] = targets(state, p.args)
    const name = target!.names[0]
    if (!name) throw new ToolExit(1, 'error: resource(s) were provided, but no name was specified')
    const stored = findObject(state, target!.info, ctx.namespace, name)
    if (!stored) throw new ToolExit(1, notFound(target!.info, name))
    const next = type === 'json' ? jsonPatch(stored.obj, body) : mergePatch(stored.obj, body) as Obj
    const denied = admit(world, state, target!.info, next, name, 'patching')
    if (denied) throw new ToolExit(1, denied)
    const changed = store(state, stored, next, Date.now())
    if (changed) reconcile(world, state, Date.now())
    return `${typeName(target!.info)}/${name} patched${changed ? '' : ' (no change)'}`
  })
  out(result)
  return 0
}

async function labelOrAnnotate(p: Parsed, field: 'labels' | 'annotations'): Promise<number> {
  const ctx = context(p)
  const changes = p.args.filter((a) => a.includes('=') || a.endsWith('-'))
  const refs = p.args.filter((a) => !changes.includes(a))
  if (changes.length === 0) throw new ToolExit(1, `error: at least one ${field === 'labels' ? 'label' : 'annotation'} update is required`)
  await sleep(scaled('kubectlRequest'))
  const lines = updateCluster(ctx.cluster, (state, world) => {
    const result: string[] = []
    const sel = flag(p, 'selector')
    for (const target of targets(state, refs)) {
      const objects = target.names.length > 0
        ? target.names.map((name) => findObject(state, target.info, ctx.namespace, name) ?? (() => { throw new ToolExit(1, notFound(target.info, name)) })())
        : objectsOf(state, target.info, ctx.namespace).filter((s) => isSet(p, 'all') || (sel !== undefined && selects(parseSelector(sel), s.obj.metadata?.labels)))
      for (const stored of objects) {
        const next = clone(stored.obj)
        next.metadata[field] ??= {}
        let removed = false
        for (const change of changes) {
          if (change.endsWith('-') && !change.includes('=')) {
            const key = change.slice(0, -1)
            if (key in next.metadata[field]) removed = true
            delete next.metadata[field][key]
            continue
          }
          const eq = change.indexOf('=')
          const key = change.slice(0, eq)
          const value = change.slice(eq + 1)
          const current = stored.obj.metadata?.[field]?.[key]
          if (current !== undefined && current !== value && !isSet(p, 'overwrite')) {
            throw new ToolExit(1, `error: '${key}' already has a value (${current}), and --overwrite is false`)
          }
          next.metadata[field][key] = value
        }
        const changed = store(state, stored, next, Date.now())
        const word = field === 'labels' ? (changed ? (removed && changes.every((c) => c.endsWith('-')) ? 'unlabeled' : 'labeled') : 'not labeled') : (changed ? 'annotated' : 'not annotated')
        result.push(`${typeName(target.info)}/${stored.obj.metadata.name} ${word}`)
      }
    }
    reconcile(world, state, Date.now())
    return result
  })
  out(lines.join('\n'))
  return 0
}

async function remove(p: Parsed): Promise<number> {
  const fromFiles = flagList(p, 'filename').length > 0
  if (fromFiles && p.args.length > 0) throw new ToolExit(1, 'error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well')
  const sources = fromFiles ? readSources(p, false) : []
  const ctx = context(p)
  await sleep(scaled('kubectlRequest'))
  const { lines, errors } = updateCluster(ctx.cluster, (state, world) => {
    const lines: string[] = []
    const errors: string[] = []
    // -f: each object of the files, by its kind, name and namespace (the file's, else -n).
    for (const { source, docs } of sources) {
      for (const doc of docs) {
        const info = kindFor(state, doc.apiVersion, doc.kind)
        const name = String(doc.metadata.name)
        const ns = info?.namespaced ? doc.metadata?.namespace ?? ctx.namespace : ''
        if (!info) {
          errors.push(`error: resource mapping not found for name: "${name}" namespace: "${ns}" from "${source}": no matches for kind "${doc.kind}" in version "${doc.apiVersion}"\nensure CRDs are installed first`)
          continue
        }
        const key = objectKey(info, ns, name)
        if (!state.objects[key]) {
          if (!isSet(p, 'ignore-not-found')) errors.push(`Error from server (NotFound): error when deleting "${source}": ${resourceName(info)} "${name}" not found`)
          continue
        }
        deleteObject(state, key)
        lines.push(`${typeName(info)} "${name}" deleted`)
      }
    }
    const sel = flag(p, 'selector')
    for (const target of fromFiles ? [] : targets(state, p.args)) {
      const objects: Array<{ name: string; stored?: Stored }> = target.names.length > 0
        ? target.names.map((name) => ({ name, stored: findObject(state, target.info, ctx.namespace, name) }))
        : objectsOf(state, target.info, ctx.namespace).filter((s) => isSet(p, 'all') || (sel !== undefined && selects(parseSelector(sel), s.obj.metadata?.labels))).map((stored) => ({ name: stored.obj.metadata.name, stored }))
      for (const { name, stored } of objects) {
        if (!stored) {
          if (!isSet(p, 'ignore-not-found')) errors.push(notFound(target.info, name))
          continue
        }
        const key = Object.entries(state.objects).find(([, s]) => s === stored)?.[0]
        // (a namespace's objects and a CRD's custom resources go with it; a pod that is
        // terminating already is only reported)
        if (key) deleteObject(state, key)
        lines.push(`${typeName(target.info)} "${name}" deleted`)
      }
    }
    reconcile(world, state, Date.now())
    return { lines, errors }
  })
  out(lines.join('\n'))
  if (lines.length === 0 && errors.length === 0) err('No resources found')
  if (errors.length > 0) throw new ToolExit(1, errors.join('\n'))
  return 0
}

// ---------- waiting ----------

function deadlineOf(p: Parsed, fallbackMs: number): number {
  const text = flag(p, 'timeout')
  if (text === undefined) return Date.now() + fallbackMs
  const ms = parseGoDuration(text)
  if (ms === undefined) throw new ToolExit(1, `error: invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`)
  return ms === 0 ? Infinity : Date.now() + ms
}

async function rolloutStatus(p: Parsed): Promise<number> {
  const ctx = context(p)
  const state = requireCluster(ctx.cluster)
  const [target] = targets(state, p.args)
  const info = target!.info
  const name = target!.names[0]
  if (!name) throw new ToolExit(1, 'error: required resource name is not specified')
  if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(info.kind)) throw new ToolExit(1, `error: no status viewer has been implemented for ${info.kind}`)
  if (!findObject(state, info, ctx.namespace, name)) throw new ToolExit(1, notFound(info, name))
  const deadline = deadlineOf(p, Infinity)
  await sleep(scaled('kubectlRequest'))
  const waiting = info.kind === 'Deployment' ? `Waiting for deployment "${name}" rollout to finish: 0 of 1 updated replicas are available...`
    : info.kind === 'DaemonSet' ? `Waiting for daemon set "${name}" rollout to finish: 0 of 1 updated pods are available...` : 'Waiting for 1 pods to be ready...'
  let said = false
  const done = await waitUntil(() => {
    const world = loadWorld()
    const current = world.clusters[ctx.cluster]
    if (!current || !findObject(current, info, ctx.namespace, name)) throw new ToolExit(1, notFound(info, name))
    const r = workloadReadiness(world, current, 'apps', info.kind, ctx.namespace, name)
    const now = Date.now()
    if (now >= r.at) return { done: true }
    if (!said) {
      out(waiting)
      said = true
    }
    return { done: false, at: r.at }
  }, deadline)
  if (!done) throw new ToolExit(1, 'error: timed out waiting for the condition')
  out(info.kind === 'Deployment' ? `deployment "${name}" successfully rolled out` : info.kind === 'DaemonSet' ? `daemon set "${name}" successfully rolled out` : `statefulset rolling update complete 1 pods at revision ${name}-${'7c9d8b6f5d'}...`)
  return 0
}

async function waitFor(p: Parsed): Promise<number> {
  const ctx = context(p)
  const condition = flag(p, 'for')
  if (!condition) throw new ToolExit(1, 'error: --for must be specified')
  const deadline = deadlineOf(p, 30_000)
  const state = requireCluster(ctx.cluster)
  const sel = flag(p, 'selector')
  const chosen: Array<{ info: KindInfo; name: string }> = []
  for (const target of targets(state, p.args)) {
    if (target.names.length > 0) for (const name of target.names) chosen.push({ info: target.info, name })
    else {
      for (const stored of objectsOf(state, target.info, isSet(p, 'all-namespaces') ? undefined : ctx.namespace)) {
        if (isSet(p, 'all') || (sel !== undefined && selects(parseSelector(sel), stored.obj.metadata?.labels))) chosen.push({ info: target.info, name: stored.obj.metadata.name })
      }
    }
  }
  if (chosen.length === 0) throw new ToolExit(1, 'error: no matching resources found')
  const met = (obj: Obj | undefined): boolean => {
    if (condition === 'delete') return obj === undefined
    if (!obj) return false
    if (condition.startsWith('condition=')) {
      const [type, wanted = 'True'] = condition.slice(10).split('=') as [string, string?]
      return (obj.status?.conditions ?? []).some((c: Obj) => String(c.type).toLowerCase() === type.toLowerCase() && String(c.status).toLowerCase() === wanted.toLowerCase())
    }
    if (condition.startsWith('jsonpath=')) {
      const body = condition.slice(9)
      const eq = body.lastIndexOf('=')
      const [expr, wanted] = eq > 0 && !body.slice(eq).includes('}') ? [body.slice(0, eq), body.slice(eq + 1)] : [body, undefined]
      let value = ''
      try {
        value = jsonpathOf(expr.replace(/^'|'$/g, ''), obj)
      } catch {
        return false
      }
      return wanted === undefined ? value !== '' : value === wanted
    }
    if (condition === 'create') return true
    throw new ToolExit(1, `error: unrecognized condition: "${condition}"`)
  }
  await sleep(scaled('kubectlRequest'))
  for (const { info, name } of chosen) {
    const ok = await waitUntil(() => {
      const world = loadWorld()
      const current = world.clusters[ctx.cluster]
      const stored = current ? findObject(current, info, ctx.namespace, name) : undefined
      const obj = stored && current ? present(world, current, stored) : undefined
      if (met(obj)) return { done: true }
      if (stored && 'until' in stored) {
        const terminating = stored as Stored & { until: number; stuck?: string }
        return { done: false, at: terminating.stuck ? undefined : terminating.until }
      }
      if (stored && current && info.kind === 'Pod') return { done: false, at: podReadiness(world, current, stored).at }
      return { done: false }
    }, deadline)
    if (!ok) throw new ToolExit(1, `error: timed out waiting for the condition on ${resourceName(info)}/${name}`)
    out(`${typeName(info)}/${name} condition met`)
  }
  return 0
}

// ---------- exec ----------

function podFor(state: ClusterState, ref: string, namespace: string): Stored {
  const [type, name] = ref.includes('/') ? ref.split('/') as [string, string] : ['pod', ref]
  const info = resourceFor(state, type)
  if (!info) throw unknownType(type)
  if (info.kind === 'Pod') {
    const pod = findObject(state, info, namespace, name)
    if (!pod) throw new ToolExit(1, notFound(info, name))
    return pod
  }
  const owner = findObject(state, info, namespace, name)
  if (!owner) throw new ToolExit(1, notFound(info, name))
  const pods = Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === `${info.group}|${info.kind}|${namespace}|${name}`)
  if (pods.length === 0) throw new ToolExit(1, `error: cannot exec into a container in a pod of ${typeName(info)}/${name}: it has no pods`)
  return pods.sort((a, b) => b.meta.created - a.meta.created)[0]!
}

// curl as the workload runs it: one or more URLs (curl's [a-b] ranges expand to several),
// fetched in turn; -w/--write-out is printed after each transfer (\n and %{http_code}).
// The exit code is that of the last transfer that failed, as curl reports it.
function curl(world: World, state: ClusterState, pod: Stored, args: string[]): { stdout: string; stderr: string; code: number } {
  let silent = false
  let showError = false
  let verbose = false
  let fail = false
  let writeOut = ''
  let insecure = false
  let connectTimeout = 300 // curl's default connect timeout, in seconds
  const urls: string[] = []
  const unknown = (option: string) => ({ stdout: '', stderr: `curl: option ${option}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`, code: 2 })
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--silent') silent = true
    else if (a === '--show-error') showError = true
    else if (a === '--verbose') verbose = true
    else if (a === '--fail') fail = true
    else if (a === '-w' || a === '--write-out') writeOut = args[++i] ?? ''
    else if (a === '--connect-timeout') connectTimeout = Number(args[++i] ?? 300)
    else if (['-o', '--output', '-H', '--header', '-m', '--max-time', '-X', '--request'].includes(a)) i++
    else if (a === '-k' || a === '--insecure') insecure = true
    else if (a === '--include' || a === '--location' || a === '-L' || a === '-i') continue
    else if (/^-[a-zA-Z]+$/.test(a)) {
      for (const letter of a.slice(1)) {
        if (letter === 's') silent = true
        else if (letter === 'S') showError = true
        else if (letter === 'v') verbose = true
        else if (letter === 'f') fail = true
        else if (letter === 'k') insecure = true
        else if (!'iL'.includes(letter)) return unknown(`-${letter}`)
      }
    } else if (a.startsWith('-')) return unknown(a)
    else urls.push(...expandGlob(a))
  }
  if (urls.length === 0) return { stdout: '', stderr: 'curl: no URL specified\ncurl: try \'curl --help\' or \'curl --manual\' for more information\n', code: 2 }
  let stdout = ''
  let stderr = ''
  let code = 0
  for (const url of urls) {
    const one = fetchOne(world, state, pod, url, { silent, showError, verbose, fail, insecure, connectTimeout })
    stdout += one.stdout
    stderr += one.stderr
    if (one.code !== 0) code = one.code
    if (writeOut) stdout += writeOut.replace(/\\n/g, '\n').replace(/%\{http_code\}/g, String(one.status))
  }
  return { stdout, stderr, code }
}

// curl's URL globbing, ranges only: "host/path?[1-3]" is three URLs.
function expandGlob(url: string): string[] {
  const range = /\[(\d+)-(\d+)\]/.exec(url)
  if (!range) return [url]
  const [from, to] = [Number(range[1]), Number(range[2])]
  const expanded: string[] = []
  for (let n = from; n <= to; n++) expanded.push(...expandGlob(url.slice(0, range.index) + n + url.slice(range.index + range[0].length)))
  return expanded
}

function fetchOne(world: World, state: ClusterState, pod: Stored, url: string, o: { silent: boolean; showError: boolean; verbose: boolean; fail: boolean; insecure: boolean; connectTimeout: number }): { stdout: string; stderr: string; code: number; status: number } {
  let parsed: URL
  try {
    parsed = new URL(/^[a-z]+:\/\//.test(url) ? url : `http://${url}`)
  } catch {
    return { stdout: '', stderr: `curl: (3) URL rejected: Bad hostname\n`, code: 3, status: 0 }
  }
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80))
  // Another cluster's SPIRE bundle endpoint, reached directly from the pod's network.
  const endpoint = parsed.protocol === 'https:' ? bundleEndpointReply(world, state, parsed.hostname.replace(/^\[|\]$/g, ''), port, parsed.pathname || '/', o.insecure, o.connectTimeout) : undefined
  const reply = endpoint ? { ...endpoint, why: endpoint.code !== 0 ? `${parsed.hostname}:${port} from ${state.name}: ${endpoint.stderr.trim()}` : undefined } : request(world, state, pod, parsed.hostname, port, parsed.pathname || '/')
  if (reply.why) {
    try {
      appendFileSync(files.explain(stateDir()), `${new Date().toISOString()} ${state.name} curl ${url}: ${reply.why}\n`)
    } catch {
      // no state folder to explain into
    }
  }
  let stderr = reply.stderr
  if (o.silent && !o.showError) stderr = ''
  const status = reply.code !== 0 ? 0 : reply.stdout === 'no healthy upstream' || reply.stdout.startsWith('upstream connect error') ? 503 : reply.stdout.includes('404 Not Found') || reply.stdout.startsWith('404 page not found') ? 404 : 200
  if (o.verbose) stderr = `*   Trying ${parsed.hostname}:${port}...\n* Connected to ${parsed.hostname} port ${port}\n> GET ${parsed.pathname} HTTP/1.1\n> Host: ${parsed.host}\n> User-Agent: curl/8.14.1\n> Accept: */*\n>\n< HTTP/1.1 ${status}\n< server: envoy\n<\n` + stderr
  if (o.fail && reply.code === 0 && status >= 400) return { stdout: '', stderr: o.silent && !o.showError ? '' : `curl: (22) The requested URL returned error: ${status}\n`, code: 22, status }
  return { stdout: reply.stdout, stderr, code: reply.code, status }
}

async function exec(p: Parsed): Promise<number> {
  const ctx = context(p)
  const command = p.rest ?? p.args.slice(1)
  const ref = p.args[0]
  if (!ref || command.length === 0) throw new ToolExit(1, 'error: you must specify at least one command for the container')
  await sleep(scaled('kubectlExec'))
  const world = loadWorld()
  const state = requireCluster(ctx.cluster)
  const pod = podFor(state, ref, ctx.namespace)
  const podName = pod.obj.metadata.name
  const containers: Obj[] = [...(pod.obj.spec?.containers ?? []), ...(pod.obj.spec?.initContainers ?? []).filter((c: Obj) => c.restartPolicy === 'Always')]
  let name = flag(p, 'container')
  if (name === undefined) {
    name = pod.obj.metadata?.annotations?.['kubectl.kubernetes.io/default-container'] ?? containers[0]?.name
    if (containers.length > 1 && !isSet(p, 'quiet')) err(`Defaulted container "${name}" out of: ${containers.map((c) => c.name).join(', ')}`)
  }
  const container = containers.find((c) => c.name === name)
  if (!container) throw new ToolExit(1, `Error from server (BadRequest): container ${name} is not valid for pod ${podName}`)
  if (Date.now() < podReadiness(world, state, pod).at) throw new ToolExit(1, `error: unable to upgrade connection: container not found ("${name}")`)
  const [program, ...args] = command as [string, ...string[]]
  let result: { stdout: string; stderr: string; code: number }
  const image = String(container.image ?? '')
  const notInImage = () => new ToolExit(126, `error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "${podName}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`)
  if (program === 'spire-server' || program === '/opt/spire/bin/spire-server') {
    if (!image.includes('spire-server')) throw notInImage()
    // -i hands our stdin to the command (`bundle set` reads the bundle from it).
    const stdin = isSet(p, 'stdin') ? readStdin() : ''
    result = updateCluster(ctx.cluster, (current, world) => spireServerCommand(current, args, stdin, Date.now(), world))
  } else if (program === 'curl') {
    if (!/curl|proxyv2/.test(image)) throw notInImage()
    result = curl(world, state, pod, args)
  } else if (program === 'echo') result = { stdout: args.join(' ') + '\n', stderr: '', code: 0 }
  else if (program === 'hostname') result = { stdout: `${podName}\n`, stderr: '', code: 0 }
  else if (program === 'true') result = { stdout: '', stderr: '', code: 0 }
  else if (program === 'false') result = { stdout: '', stderr: '', code: 1 }
  else if (program === 'env') result = { stdout: `HOSTNAME=${podName}\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n`, stderr: '', code: 0 }
  else throw notInImage()
  process.stdout.write(result.stdout)
  process.stderr.write(result.stderr)
  if (result.code !== 0) throw new ToolExit(result.code, `command terminated with exit code ${result.code}`)
  return 0
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8')
  } catch {
    return ''
  }
}

// `kubectl run NAME --image=IMAGE [--rm] [--attach|-i] [-q] [--restart=Never] [-l k=v,...] -- ARGS`
// as kubectl 1.33's run.go does it: one pod (labels default to run=NAME), admitted like any
// other (so Istio injects it into a labelled namespace unless sidecar.istio.io/inject=false);
// attached (-i or --attach), it waits for the pod to run, streams its output, and with
// --restart=Never exits with the container's exit code ("pod NS/NAME terminated (Error)");
// --rm deletes the pod afterwards (printing `pod "NAME" deleted` unless -q), and needs an
// attached pod. A sidecar never exits, so an injected pod never completes: kubectl then
// gives up after --pod-running-timeout (1m). The lab's pods run curl images only.
async function run(p: Parsed): Promise<number> {
  const ctx = context(p)
  const name = p.args[0]
  if (!name) throw new ToolExit(1, 'error: NAME is required for run')
  const image = flag(p, 'image')
  if (!image) throw new ToolExit(1, 'error: required flag(s) "image" not set')
  const interactive = isSet(p, 'stdin')
  const attach = isSet(p, 'attach') || (flag(p, 'attach') === undefined && interactive)
  if (isSet(p, 'tty') && !interactive) throw new ToolExit(1, 'error: -i/--stdin is required for containers with -t/--tty=true')
  if (isSet(p, 'rm') && !attach) throw new ToolExit(1, 'error: --rm should only be used for attached containers')
  const restart = flag(p, 'restart') ?? (interactive ? 'OnFailure' : 'Always')
  if (!['Always', 'OnFailure', 'Never'].includes(restart)) throw new ToolExit(1, `error: invalid restart policy: ${restart}`)
  const labels: Record<string, string> = {}
  for (const pair of (flag(p, 'labels') ?? `run=${name}`).split(',').filter(Boolean)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new ToolExit(1, `error: invalid label spec: ${pair}`)
    labels[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  const args = p.rest ?? p.args.slice(1)
  const timeoutText = flag(p, 'pod-running-timeout') ?? '1m0s'
  const timeoutMs = parseGoDuration(timeoutText)
  if (timeoutMs === undefined) throw new ToolExit(1, `error: invalid argument "${timeoutText}" for "--pod-running-timeout" flag: time: invalid duration "${timeoutText}"`)
  const ns = ctx.namespace
  const podKey = objectKey({ group: '', kind: 'Pod', namespaced: true }, ns, name)
  await sleep(scaled('kubectlRequest'))
  updateCluster(ctx.cluster, (state, world) => {
    if (!state.objects[`|Namespace||${ns}`]) throw new ToolExit(1, `Error from server (NotFound): namespaces "${ns}" not found`)
    if (state.objects[podKey] || state.terminating?.[podKey]) throw new ToolExit(1, `Error from server (AlreadyExists): pods "${name}" already exists`)
    const template = { metadata: { labels }, spec: { containers: [{ name, image, ...(args.length ? { args } : {}) }], restartPolicy: restart } }
    const injected = injectPod(world, state, ns, template)
    if ('error' in injected) throw new ToolExit(1, `Error from server (InternalError): ${injected.error}`)
    const now = Date.now()
    state.seq++
    state.objects[podKey] = {
      obj: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name, namespace: ns, labels: injected.pod.metadata?.labels ?? labels, annotations: injected.pod.metadata?.annotations ?? {}, uid: randomUUID(), creationTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), resourceVersion: String(state.seq) },
        spec: { serviceAccountName: 'default', ...injected.pod.spec, nodeName: state.existing?.node ?? `${state.name}-control-plane` },
      },
      meta: { created: now, updated: now, injection: injected.injection },
    }
  })
  if (!attach) {
    out(`pod/${name} created`)
    return 0
  }
  const removePod = () => {
    if (!isSet(p, 'rm')) return
    updateCluster(ctx.cluster, (state, world) => {
      deleteObject(state, podKey)
      reconcile(world, state, Date.now())
    })
    if (!isSet(p, 'quiet')) out(`pod "${name}" deleted`)
  }
  const deadline = Date.now() + timeoutMs
  const running = await waitUntil(() => {
    const world = loadWorld()
    const state = world.clusters[ctx.cluster]
    const pod = state?.objects[podKey]
    if (!state || !pod) return { done: false }
    const at = podReadiness(world, state, pod).at
    return Date.now() >= at ? { done: true } : { done: false, at }
  }, deadline)
  if (!running) {
    removePod()
    throw new ToolExit(1, 'error: timed out waiting for the condition')
  }
  const world = loadWorld()
  const state = requireCluster(ctx.cluster)
  const pod = state.objects[podKey]!
  // The curl images' entrypoint runs curl when the first argument is an option (or curl).
  const [program, ...rest] = args[0]?.startsWith('-') ? ['curl', ...args] : args
  if (!/curl/.test(image) || program !== 'curl') {
    removePod()
    throw new ToolExit(1, `lab: kubectl run here runs curl images with curl only (image ${image}, command ${args.join(' ') || '(none)'})`)
  }
  const result = curl(world, state, pod, rest)
  process.stdout.write(result.stdout)
  process.stderr.write(result.stderr)
  if (restart === 'Always') {
    // kubectl waits for no exit code here: done once the output ends.
    removePod()
    return 0
  }
  if (pod.meta.injection || (restart === 'OnFailure' && result.code !== 0)) {
    // The pod does not complete (a sidecar keeps running, or the container restarts): kubectl
    // waits for it to, until its timeout.
    await sleep(Math.max(0, deadline - Date.now()))
    removePod()
    throw new ToolExit(1, 'error: timed out waiting for the condition')
  }
  removePod()
  if (result.code !== 0) throw new ToolExit(result.code, `pod ${ns}/${name} terminated (Error)`)
  return 0
}

// ---------- describe, logs, misc ----------

async function describe(p: Parsed): Promise<number> {
  const ctx = context(p)
  const world = loadWorld()
  const state = requireCluster(ctx.cluster)
  const blocks: string[] = []
  for (const target of targets(state, p.args)) {
    const objects = target.names.length > 0
      ? target.names.map((name) => findObject(state, target.info, ctx.namespace, name) ?? (() => { throw new ToolExit(1, notFound(target.info, name)) })())
      : objectsOf(state, target.info, ctx.namespace)
    for (const stored of objects) {
      const obj = present(world, state, stored)
      const events: string[] = []
      if ('stuck' in stored && stored.stuck) events.push(`  Warning  FailedUnmount  ${stored.stuck}`)
      else if (obj.kind === 'Pod' && !obj.metadata?.deletionTimestamp) {
        const r = podReadiness(world, state, stored)
        if (r.reason && !Number.isFinite(r.at)) events.push(`  Warning  ${r.reason.startsWith('MountVolume') ? 'FailedMount' : r.reason.startsWith('0/') ? 'FailedScheduling' : 'Unhealthy'}  ${r.reason}`)
      }
      if (stored.meta.createError) events.push(`  Warning  FailedCreate  ${stored.meta.createError}`)
      blocks.push([
        `Name:         ${obj.metadata.name}`,
        ...(obj.metadata.namespace ? [`Namespace:    ${obj.metadata.namespace}`] : []),
        `Labels:       ${Object.entries(obj.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join('\n              ') || '<none>'}`,
        `Annotations:  ${Object.entries(obj.metadata.annotations ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n              ') || '<none>'}`,
        stringify({ spec: obj.spec, status: obj.status }).trimEnd(),
        `Events:${events.length ? `\n  Type     Reason  Message\n${events.join('\n')}` : '  <none>'}`,
      ].join('\n'))
    }
  }
  out(blocks.join('\n\n\n'))
  return 0
}

async function logs(p: Parsed): Promise<number> {
  const ctx = context(p)
  const world = loadWorld()
  const state = requireCluster(ctx.cluster)
  const ref = p.args[0]
  if (!ref) throw new ToolExit(1, 'error: expected \'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]\'.')
  const pod = podFor(state, ref, ctx.namespace)
  const r = podReadiness(world, state, pod)
  if (Date.now() < r.at) throw new ToolExit(1, `Error from server (BadRequest): container "${flag(p, 'container') ?? pod.obj.spec.containers[0].name}" in pod "${pod.obj.metadata.name}" is waiting to start: ContainerCreating`)
  out(`time="${new Date(pod.meta.created).toISOString()}" level=info msg="started" pod=${pod.obj.metadata.name} (the lab keeps no further logs)`)
  return 0
}

async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && ['--context', '--kubeconfig', '-n', '--namespace'].includes(argv[i - 1]!)))
  if (words[0] === 'config') return config(argv)
  let p: Parsed
  try {
    p = parseCommandLine(argv, spec, globals, 'kubectl')
  } catch (error) {
    if (error instanceof UsageError) {
      throw new ToolExit(1, `error: ${error.message}${error.kind === 'command' ? '' : `\nSee 'kubectl ${error.path.join(' ')} --help' for usage.`}`)
    }
    throw error
  }
  const [command, sub] = p.path
  switch (command) {
    case undefined:
      out('kubectl controls the Kubernetes cluster manager (the lab\'s stand-in).\n\nUsage:\n  kubectl [flags] [options]')
      return 0
    case 'version': {
      const client = { major: '1', minor: '33', gitVersion: kubectlVersion, gitCommit: '8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828', gitTreeState: 'clean', buildDate: '2025-05-15T08:27:33Z', goVersion: 'go1.24.2', compiler: 'gc', platform: 'linux/amd64' }
      const format = flag(p, 'output')
      if (format === 'json') out(JSON.stringify({ clientVersion: client, kustomizeVersion: 'v5.6.0' }, null, 2))
      else if (format === 'yaml') out(stringify({ clientVersion: client, kustomizeVersion: 'v5.6.0' }))
      else out(`Client Version: ${kubectlVersion}\nKustomize Version: v5.6.0`)
      if (!isSet(p, 'client')) {
        const ctx = context(p)
        out(`Server Version: ${kubeletVersion(requireCluster(ctx.cluster))}`)
      }
      return 0
    }
    case 'cluster-info': {
      const ctx = context(p)
      const state = requireCluster(ctx.cluster)
      const server = apiServer(state).replace(/\/+$/, '')
      out(`Kubernetes control plane is running at ${server}\nCoreDNS is running at ${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.`)
      return 0
    }
    case 'apply':
      return apply(p, 'apply')
    case 'create':
      if (sub === 'namespace') {
        const name = p.args[0]
        if (!name) throw new ToolExit(1, 'error: exactly one NAME is required, got 0')
        const ctx = context(p)
        const made = updateCluster(ctx.cluster, (state) => {
          if (state.objects[`|Namespace||${name}`]) return false
          applyObject(state, resourceFor(state, 'namespace')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, Date.now(), { recordApplied: false })
          return true
        })
        if (!made) throw new ToolExit(1, `Error from server (AlreadyExists): namespaces "${name}" already exists`)
        out(`namespace/${name} created`)
        return 0
      }
      return apply(p, 'create')
    case 'get':
      return get(p)
    case 'describe':
      return describe(p)
    case 'logs':
      return logs(p)
    case 'delete':
      return remove(p)
    case 'patch':
      return patch(p)
    case 'label':
      return labelOrAnnotate(p, 'labels')
    case 'annotate':
      return labelOrAnnotate(p, 'annotations')
    case 'wait':
      return waitFor(p)
    case 'rollout':
      if (sub === 'status') return rolloutStatus(p)
      if (sub === 'restart') {
        const ctx = context(p)
        const lines = updateCluster(ctx.cluster, (state, world) => {
          const result: string[] = []
          for (const target of targets(state, p.args)) {
            for (const name of target.names) {
              const stored = findObject(state, target.info, ctx.namespace, name)
              if (!stored) throw new ToolExit(1, notFound(target.info, name))
              const next = clone(stored.obj)
              next.spec.template.metadata ??= {}
              next.spec.template.metadata.annotations = { ...(next.spec.template.metadata.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() }
              store(state, stored, next, Date.now())
              result.push(`${typeName(target.info)}/${name} restarted`)
            }
          }
          reconcile(world, state, Date.now())
          return result
        })
        out(lines.join('\n'))
        return 0
      }
      throw new ToolExit(1, 'error: Required resource not specified.')
    case 'exec':
      return exec(p)
    case 'run':
      return run(p)
  }
  throw new ToolExit(1, `error: unknown command "${command}" for "kubectl"`)
}

export function runKubectl(): Promise<void> {
  return runTool('kubectl', main)
}
