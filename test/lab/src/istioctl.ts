// `istioctl` (1.30.3 unless LAB_ISTIO_VERSION says another): install -y -f (control planes
// and gateways from IstioOperator files, waiting for their workloads and pruning by owner
// labels as istioctl does), uninstall, create-remote-secret, remote-clusters,
// proxy-config secret, version.
import { readFileSync, existsSync } from 'node:fs'
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml'
import { recordApplied } from './applied.ts'
import { flag, flagList, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec, type Parsed } from './args.ts'
import { connect } from './connect.ts'
import { applyObject, deleteObject, podReadiness, reconcile, workloadReadiness } from './controllers.ts'
import { faults } from './faults.ts'
import { controlPlane, controlPlaneVersion, istioVersion, meshTrustDomain, newToken, ownerLabels, prunable, proxySecretRows, proxySecretTable, readOperator, remoteClusters, remoteSecretYaml, renderOperator, revisionOf, type Owner, type Rendered, type SecretRow } from './istio.ts'
import { resolveContext } from './kubeconfig.ts'
import { dig, find, isPlainObject, kindFor, loadWorld, mergeValues, objectKey, readCluster, resourceFor, updateCluster, type ClusterState, type Obj, type Stored, type World } from './model.ts'
import { ToolExit } from './state.ts'
import { parseGoDuration, scaled, sleep, waitUntil } from './timing.ts'
import { istiodAuthority, proxyCertificates } from './svids.ts'
import { out, runTool } from './tool.ts'

const globals: FlagSpec[] = [
  { name: 'context', value: true }, { name: 'kubeconfig', short: 'c', value: true }, { name: 'namespace', short: 'n', value: true },
  { name: 'istioNamespace', short: 'i', value: true }, { name: 'vklog', value: true }, { name: 'log_output_level', value: true },
]
const spec: CommandSpec = {
  commands: {
    version: { flags: [{ name: 'remote' }, { name: 'short', short: 's' }, { name: 'output', short: 'o', value: true }, { name: 'revision', short: 'r', value: true }] },
    install: {
      aliases: ['apply'],
      flags: [{ name: 'filename', short: 'f', value: true }, { name: 'skip-confirmation', short: 'y' }, { name: 'set', short: 's', value: true }, { name: 'readiness-timeout', value: true }, { name: 'verify' }, { name: 'revision', short: 'r', value: true }, { name: 'manifests', short: 'd', value: true }, { name: 'dry-run' }, { name: 'force' }],
    },
    uninstall: { flags: [{ name: 'purge' }, { name: 'skip-confirmation', short: 'y' }, { name: 'filename', short: 'f', value: true }, { name: 'revision', short: 'r', value: true }, { name: 'verbose', short: 'v' }, { name: 'dry-run' }] },
    'create-remote-secret': { flags: [{ name: 'name', value: true }, { name: 'server', value: true }, { name: 'type', value: true }, { name: 'service-account', value: true }, { name: 'create-service-account' }, { name: 'auth-type', value: true }, { name: 'secret-name', value: true }] },
    'remote-clusters': { flags: [{ name: 'revision', short: 'r', value: true }] },
    'proxy-config': {
      aliases: ['pc'],
      commands: Object.fromEntries(['secret', 'cluster', 'listener', 'route', 'endpoint', 'bootstrap', 'all'].map((name) => [name, { aliases: name === 'secret' ? ['secrets', 's'] : name === 'cluster' ? ['clusters', 'c'] : name === 'endpoint' ? ['endpoints', 'ep'] : [], flags: [{ name: 'output', short: 'o', value: true }, { name: 'file', short: 'f', value: true }] }])),
    },
  },
}

// Go's tabwriter, as istioctl prints its tables: each column starts where its header does.
function tabwrite(rows: string[][], padding: number): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + padding))).join('').trimEnd()).join('\n')
}

function readIops(p: Parsed): Obj[] {
  const files = flagList(p, 'filename')
  const docs: Obj[] = []
  for (const file of files) {
    let text: string
    if (file === '-') text = readFileSync(0, 'utf8')
    else if (!existsSync(file)) throw new ToolExit(1, `Error: could not read values from file ${file}: open ${file}: no such file or directory`)
    else text = readFileSync(file, 'utf8')
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new ToolExit(1, `Error: could not parse ${file}: ${doc.errors[0]!.message.split('\n')[0]}`)
      const value = doc.toJS()
      if (value === null || value === undefined) continue
      if (!isPlainObject(value)) throw new ToolExit(1, `Error: could not parse ${file}: not an object`)
      docs.push(value)
    }
  }
  return docs
}

function setPath(target: Obj, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {}
    node = node[part]
  }
  node[parts[parts.length - 1]!] = value
}

async function install(p: Parsed): Promise<number> {
  const version = istioVersion()
  const docs = readIops(p)
  let spec: Obj = {}
  let name: string | undefined
  let operatorNamespace: string | undefined
  for (const [i, doc] of docs.entries()) {
    const read = readOperator(doc, flagList(p, 'filename')[i] ?? 'input')
    if ('error' in read) throw new ToolExit(1, `Error: ${read.error}`)
    spec = mergeValues(spec, read.spec)
    name = read.name ?? name
    operatorNamespace = read.namespace ?? operatorNamespace
  }
  for (const assignment of flagList(p, 'set')) {
    const eq = assignment.indexOf('=')
    if (eq < 0) throw new ToolExit(1, `Error: --set ${assignment}: bad format, want path=value`)
    const raw = assignment.slice(eq + 1)
    setPath(spec, assignment.slice(0, eq), raw === 'true' ? true : raw === 'false' ? false : raw)
  }
  const checked = readOperator({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec }, 'the merged IstioOperator')
  if ('error' in checked) throw new ToolExit(1, `Error: ${checked.error}`)
  const profile = spec.profile ?? 'default'
  if (!isSet(p, 'skip-confirmation')) {
    out(`This will install the Istio ${version} profile "${profile}" into the cluster. Proceed? (y/N)`)
    let answer = ''
    try {
      answer = readFileSync(0, 'utf8').trim().toLowerCase()
    } catch {
      answer = ''
    }
    if (answer !== 'y' && answer !== 'yes') throw new ToolExit(1, 'Cancelled.')
  }
  const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
  recordApplied({ tool: 'istioctl', cluster: ctx.cluster, source: flagList(p, 'filename').join(','), kind: 'manifest', documents: docs })
  const timeoutText = flag(p, 'readiness-timeout')
  const timeoutMs = timeoutText === undefined ? scaled('istioctlReadinessTimeout') : parseGoDuration(timeoutText)
  if (timeoutMs === undefined) throw new ToolExit(1, `Error: invalid argument "${timeoutText}" for "--readiness-timeout" flag: time: invalid duration "${timeoutText}"`)
  const rendered: Rendered[] = renderOperator(spec, version)
  const owner: Owner = { name, namespace: operatorNamespace, revision: revisionOf(spec), version }
  await sleep(scaled('istioctlInstall'))
  if (faults().istioctlInstallFails) {
    throw new ToolExit(1, `✘ Istiod encountered an error: failed to wait for resource: resources not ready after 5m0s: context deadline exceeded\n  Deployment/istio-system/istiod (containers with unready status: [discovery])\nError: failed to install manifests: errors occurred during operation`)
  }
  const kept = new Map<string, Set<string>>()
  updateCluster(ctx.cluster, (state, world) => {
    const now = Date.now()
    // The lab's own record of who applied an object; istioctl itself goes by the labels.
    const recordOwner = `istioctl:${name ?? 'unnamed'}`
    const keys: string[] = []
    for (const component of rendered) {
      for (const obj of component.objects) {
        const info = kindFor(state, obj.apiVersion, obj.kind) ?? (obj.kind !== 'CustomResourceDefinition' ? undefined : kindFor(state, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition'))
        if (!info) throw new ToolExit(1, `✘ ${component.component} encountered an error: failed to update resource with server-side apply for obj ${obj.kind}/${obj.metadata?.name}: no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nError: failed to install manifests: errors occurred during operation`)
        obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...ownerLabels(owner, component.name) }
        const ns = info.namespaced ? obj.metadata.namespace ?? 'istio-system' : undefined
        const key = objectKey(info, ns, obj.metadata.name)
        if (!kept.has(component.name)) kept.set(component.name, new Set())
        kept.get(component.name)!.add(key)
        if (keys.includes(key)) continue
        keys.push(key)
        // A namespace istioctl finds is left as it is (others may own what is in it).
        if (info.kind === 'Namespace' && state.objects[key] && state.objects[key].meta.owner !== recordOwner) continue
        applyObject(state, info, obj, now, { owner: recordOwner, namespace: ns })
      }
    }
    state.operators[name ?? 'installed-state'] = { spec, installed: now, objects: keys }
    // istiod makes its self-signed root the first time it starts, and keeps it (svids.ts).
    if (rendered.some((c) => c.component === 'Istiod') && !state.istioCa) state.istioCa = istiodAuthority(meshTrustDomain(spec), now)
    if (keys.some((k) => k.endsWith('|istio-reader-service-account')) && !state.readerToken) state.readerToken = newToken()
    reconcile(world, state, now)
  })
  // istioctl waits for each component's workloads, up to its readiness timeout.
  const deadline = Date.now() + timeoutMs
  for (const component of rendered) {
    const workloads = component.objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind))
    let stuck: { obj: Obj; reason?: string } | undefined
    const ready = await waitUntil(() => {
      const world = loadWorld()
      const state = world.clusters[ctx.cluster]
      if (!state) return { done: false }
      let at = 0
      stuck = undefined
      for (const obj of workloads) {
        const r = workloadReadiness(world, state, 'apps', obj.kind, obj.metadata.namespace ?? 'istio-system', obj.metadata.name)
        if (r.at > at) {
          at = r.at
          stuck = { obj, reason: r.reason }
        }
      }
      return Date.now() >= at ? { done: true } : { done: false, at }
    }, deadline)
    if (!ready) {
      const obj = stuck?.obj
      const container = obj?.spec?.template?.spec?.containers?.[0]?.name ?? 'istio-proxy'
      const why = stuck?.reason?.includes('ImagePull') ? `container failed to start: ${stuck.reason}` : `containers with unready status: [${container}]`
      throw new ToolExit(1, `✘ ${component.component} encountered an error: failed to wait for resource: resources not ready after ${timeoutText ?? '5m0s'}: context deadline exceeded\n  ${obj?.kind}/${obj?.metadata?.namespace ?? 'istio-system'}/${obj?.metadata?.name} (${why})\nError: failed to install manifests: errors occurred during operation`)
    }
    const emoji: Record<string, string> = { 'Istio core': '⛵️', Istiod: '🧠', 'Ingress gateways': '🛬', 'Egress gateways': '🛫' }
    out(`✔ ${component.component} installed ${emoji[component.component] ?? ''}`.trimEnd())
  }
  // Once every component is applied and ready, it prunes what carries its owner labels but
  // was not rendered this time (install.go: install, then prune; a failed wait returns
  // before pruning). uninstall.DeleteResource prints each: "<group/version, Kind=...>/<name>.<namespace>".
  const removed = updateCluster(ctx.cluster, (state, world) => {
    const gone: string[] = []
    for (const key of prunable(state, owner, kept)) {
      const obj = state.objects[key]?.obj
      if (!obj || !deleteObject(state, key)) continue
      gone.push(`${obj.apiVersion.includes('/') ? obj.apiVersion : `/${obj.apiVersion}`}, Kind=${obj.kind}/${obj.metadata.name}.${obj.metadata.namespace ?? ''}`)
    }
    for (const [other, record] of Object.entries(state.operators)) {
      record.objects = record.objects.filter((k) => state.objects[k])
      if (!record.objects.some((k) => !k.startsWith('|Namespace|'))) delete state.operators[other]
    }
    reconcile(world, state, Date.now())
    return gone
  })
  for (const object of removed) out(`  Removed ${object}.`)
  out('✔ Installation complete')
  if (rendered.some((c) => c.component === 'Istiod')) out('Made this installation the default for cluster-wide operations.')
  return 0
}

async function uninstall(p: Parsed): Promise<number> {
  if (!isSet(p, 'purge') && flagList(p, 'filename').length === 0 && !flag(p, 'revision')) {
    throw new ToolExit(1, 'Error: at least one of the --revision (or --set revision=<revision>), --filename or --purge flags must be set')
  }
  const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
  updateCluster(ctx.cluster, (state, world) => {
    // istioctl leaves the control plane's namespace: `kubectl delete namespace istio-system`
    // is the user's to run (Istio's uninstall docs). Deleting the CRDs deletes their resources.
    for (const operator of Object.values(state.operators)) {
      for (const key of operator.objects) if (!key.startsWith('|Namespace|')) deleteObject(state, key)
    }
    state.operators = {}
    // The istio-reader service account is gone, and with it the tokens it handed out.
    if (!find(state, '', 'ServiceAccount', 'istio-system', 'istio-reader-service-account')) delete state.readerToken
    reconcile(world, state, Date.now())
  })
  out('✔ Uninstall complete')
  return 0
}

async function createRemoteSecret(p: Parsed): Promise<number> {
  const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
  const resolution = resolveContext(flag(p, 'context'), flag(p, 'kubeconfig'))
  const server = flag(p, 'server') ?? (resolution.ok ? resolution.target.server : '')
  await sleep(scaled('createRemoteSecret'))
  // Without the reader service account, istioctl makes it (with its ClusterRole and binding,
  // and istio-system if need be) unless --create-service-account=false
  // (istioctl/pkg/multicluster/remote_secret.go, getOrCreateServiceAccount; the flag
  // defaults to true; 1.27.0-1.30.3).
  const create = flag(p, 'create-service-account') !== 'false'
  const token = updateCluster(ctx.cluster, (state, world) => {
    if (!find(state, '', 'ServiceAccount', 'istio-system', 'istio-reader-service-account')) {
      if (!create) {
        throw new ToolExit(1, 'Error: could not get access token to read resources from local kube-apiserver: failed retrieving service account istio-reader-service-account.istio-system required for creating the remote secret (hint: try installing a minimal Istio profile on the cluster first, or run with \'--create-service-account=true\'): serviceaccounts "istio-reader-service-account" not found')
      }
      const now = Date.now()
      const base = renderOperator({ profile: 'remote' }, istioVersion()).find((c) => c.name === 'Base')!.objects
      for (const obj of base.filter((o) => o.kind === 'Namespace' || /^istio-reader/.test(String(o.metadata?.name)))) {
        const info = kindFor(state, obj.apiVersion, obj.kind)!
        if (info.kind === 'Namespace' && find(state, '', 'Namespace', '', obj.metadata.name)) continue
        applyObject(state, info, obj, now, { owner: 'istioctl:create-remote-secret', namespace: info.namespaced ? 'istio-system' : undefined })
      }
      delete state.readerToken
      reconcile(world, state, now)
    }
    state.readerToken ??= newToken()
    // On Kubernetes 1.24+ istioctl makes the account a kubernetes.io/service-account-token
    // Secret, <account>-istio-remote-secret-token, unless one exists (istioctl/pkg/multicluster/
    // remote_secret.go getOrCreateServiceAccountSecret); the token is that Secret's.
    const secret = objectKey({ group: '', kind: 'Secret', namespaced: true }, 'istio-system', 'istio-reader-service-account-istio-remote-secret-token')
    if (!state.objects[secret]) {
      applyObject(state, kindFor(state, 'v1', 'Secret')!, {
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
        metadata: { name: 'istio-reader-service-account-istio-remote-secret-token', namespace: 'istio-system', annotations: { 'kubernetes.io/service-account.name': 'istio-reader-service-account' } },
        data: { token: Buffer.from(state.readerToken).toString('base64'), namespace: Buffer.from('istio-system').toString('base64') },
      }, Date.now(), { recordApplied: false })
    }
    state.readerTokenSecret = secret
    return state.readerToken
  })
  const name = flag(p, 'name') ?? (resolution.ok ? resolution.target.context : ctx.cluster)
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new ToolExit(1, `Error: invalid cluster name "${name}": must be a lowercase RFC 1123 label`)
  process.stdout.write(remoteSecretYaml(name, server, token))
  return 0
}

function requireIstiod(state: ClusterState): Stored {
  const world = loadWorld()
  const pod = Object.values(state.objects).find((s) => s.obj.kind === 'Pod' && s.obj.metadata?.namespace === 'istio-system' && s.obj.metadata?.labels?.app === 'istiod')
  if (!pod || Date.now() < podReadiness(world, state, pod).at) throw new ToolExit(1, 'Error: no running Istio pods in "istio-system"')
  return pod
}

async function remoteClustersCommand(p: Parsed): Promise<number> {
  const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
  await sleep(scaled('kubectlRequest'))
  const world = loadWorld()
  const state = world.clusters[ctx.cluster]!
  const istiod = requireIstiod(state)
  const cp = controlPlane(state)
  const rows = [['NAME', 'SECRET', 'STATUS', 'ISTIOD'], [String(dig(cp, 'values', 'global', 'multiCluster', 'clusterName') ?? 'Kubernetes'), '', 'synced', istiod.obj.metadata.name]]
  for (const remote of remoteClusters(world, state)) rows.push([remote.name, remote.secret, remote.status, istiod.obj.metadata.name])
  out(tabwrite(rows, 5))
  return 0
}

function proxyPod(state: ClusterState, ref: string, namespace: string): Stored {
  if (ref.includes('/')) {
    const [type, name] = ref.split('/') as [string, string]
    const info = resourceFor(state, type)
    if (!info || !['Deployment', 'Pod', 'StatefulSet', 'DaemonSet'].includes(info.kind)) throw new ToolExit(1, `Error: unsupported resource type "${type}"`)
    if (info.kind === 'Pod') return proxyPod(state, name, namespace)
    if (!find(state, info.group, info.kind, namespace, name)) throw new ToolExit(1, `Error: ${info.plural}.${info.group} "${name}" not found`)
    const pod = Object.values(state.objects).find((s) => s.obj.kind === 'Pod' && s.meta.owner === `${info.group}|${info.kind}|${namespace}|${name}`)
    if (!pod) throw new ToolExit(1, `Error: no pods found for ${info.kind.toLowerCase()} ${name} in ${namespace}`)
    return pod
  }
  const [name, ns] = ref.includes('.') ? ref.split('.', 2) as [string, string] : [ref, namespace]
  const pod = find(state, '', 'Pod', ns, name)
  if (!pod) throw new ToolExit(1, `Error: pods "${name}" not found`)
  return pod
}

async function proxyConfig(p: Parsed): Promise<number> {
  const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
  const ref = p.args[0]
  if (!ref) throw new ToolExit(1, 'Error: pod name or --file is required')
  await sleep(scaled('kubectlExec'))
  const world = loadWorld()
  const state = world.clusters[ctx.cluster] ?? readCluster(ctx.cluster)!
  const pod = proxyPod(state, ref, flag(p, 'namespace') ?? ctx.namespace ?? 'default')
  const name = pod.obj.metadata.name
  if (!pod.meta.injection) throw new ToolExit(1, `Error: failed to execute command on ${name}.${pod.obj.metadata.namespace} sidecar: pod ${name} has no istio-proxy container`)
  if (Date.now() < podReadiness(world, state, pod).at) throw new ToolExit(1, `Error: failed to execute command on ${name}.${pod.obj.metadata.namespace} sidecar: unable to upgrade connection: container not found ("istio-proxy")`)
  if (p.path[1] !== 'secret') {
    out(`(the lab models only "proxy-config secret"; ${p.path[1]} of ${name} is not kept)`)
    return 0
  }
  const rows = proxySecretRows(world, state, pod)
  const output = flag(p, 'output')
  if (output !== undefined && !['json', 'yaml', 'short'].includes(output)) throw new ToolExit(1, `Error: output format "${output}" not supported`)
  if (output === 'json' || output === 'yaml') {
    const dump = secretsConfigDump(world, state, pod, rows)
    // PrintSecretDump (istioctl/pkg/writer/envoy/configdump/configdump.go): the SecretsConfigDump
    // as protojson, indented with four spaces (yaml: the same, converted).
    out(output === 'json' ? JSON.stringify(dump, null, 4) : stringifyYaml(dump))
    return 0
  }
  const table = proxySecretTable(rows)
  out(typeof table === 'string' ? table : tabwrite(table, 5))
  return 0
}

// Envoy's secrets config dump (envoy.admin.v3.SecretsConfigDump), as istioctl asks for it
// (`?mask=dynamic_active_secrets,dynamic_warming_secrets`) and re-marshals it: camelCase
// names, private keys as Envoy redacts them ("[redacted]"). Its shape follows the SPIRE
// proxy's dump in istio/istio 1.30.3, istioctl/pkg/writer/envoy/configdump/testdata/secret/
// spire/config_dump.json; what SPIRE puts in it, pkg/agent/endpoints/sdsv3/handler.go (svids.ts).
// A warming secret has a name and no content yet.
function secretsConfigDump(world: World, state: ClusterState, pod: Stored, rows: SecretRow[]): Obj {
  const type = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'
  const held = proxyCertificates(world, state, pod)
  const updated = new Date(pod.meta.created).toISOString()
  const inline = (text: string) => ({ inlineBytes: Buffer.from(text).toString('base64') })
  if (!held || held.source === 'none') {
    return { dynamicWarmingSecrets: rows.map((r) => ({ name: r.name, versionInfo: 'uninitialized', lastUpdated: updated, secret: { '@type': type, name: r.name } })) }
  }
  const certificate = { name: 'default', lastUpdated: updated, secret: { '@type': type, name: 'default', tlsCertificate: { certificateChain: inline(held.chain!), privateKey: inline('[redacted]') } } }
  const validationContext = held.source === 'spire'
    ? { customValidatorConfig: { name: 'envoy.tls.cert_validator.spiffe', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig', trustDomains: held.roots.map((root) => ({ name: root.trustDomain, trustBundle: inline(root.pem) })) } } }
    : { trustedCa: inline(held.roots[0]!.pem) }
  return { dynamicActiveSecrets: [certificate, { name: 'ROOTCA', lastUpdated: updated, secret: { '@type': type, name: 'ROOTCA', validationContext } }] }
}

// pkg/version/cobra.go and istioctl/pkg/version/version.go (1.27.0-1.30.3): --short and
// --remote both default to true; short, each line says "<what> version: <version>".
async function version(p: Parsed): Promise<number> {
  const client = istioVersion()
  const remote = flag(p, 'remote') !== 'false'
  const short = flag(p, 'short') !== 'false'
  const form = (v: string) => short ? v : `version.BuildInfo{Version:"${v}", GitRevision:"lab", GolangVersion:"go1.24", BuildStatus:"Clean", GitTag:"${v}"}`
  const lines = [`client version: ${form(client)}`]
  if (remote) {
    try {
      const ctx = connect('istioctl', flag(p, 'context'), flag(p, 'kubeconfig'))
      const state = readCluster(ctx.cluster)!
      requireIstiod(state)
      const installed = controlPlaneVersion(state) ?? client
      const proxies = Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.injection).length
      lines.push(`control plane version: ${form(installed)}`, `data plane version: ${proxies ? `${installed} (${proxies} proxies)` : 'none'}`)
    } catch (error) {
      if (!(error instanceof ToolExit)) throw error
      process.stderr.write(`Istio is not present in the cluster: ${error.message.replace(/^Error: /, '')}\n`)
    }
  }
  out(lines.join('\n'))
  return 0
}

async function main(argv: string[]): Promise<number> {
  let p: Parsed
  try {
    p = parseCommandLine(argv, spec, globals, 'istioctl')
  } catch (error) {
    if (error instanceof UsageError) throw new ToolExit(1, `Error: ${error.message}${error.kind === 'command' ? `\nRun 'istioctl --help' for usage.` : ''}`)
    throw error
  }
  switch (p.path[0]) {
    case undefined:
      out('Istio configuration command line utility (the lab\'s stand-in).\n\nUsage:\n  istioctl [command]')
      return 0
    case 'version':
      return version(p)
    case 'install':
      return install(p)
    case 'uninstall':
      return uninstall(p)
    case 'create-remote-secret':
      return createRemoteSecret(p)
    case 'remote-clusters':
      return remoteClustersCommand(p)
    case 'proxy-config':
      if (!p.path[1]) throw new ToolExit(1, 'Error: unknown command "" for "istioctl proxy-config"')
      return proxyConfig(p)
  }
  throw new ToolExit(1, `Error: unknown command "${p.path[0]}" for "istioctl"\nRun 'istioctl --help' for usage.`)
}

export function runIstioctl(): Promise<void> {
  return runTool('istioctl', main)
}
