// The clusters' objects: what kinds the API knows (built in, or defined by a CRD that was
// applied), where each object is kept, label selectors, merges, and the state files.
import { randomInt } from './random.ts'
import { readdirSync } from 'node:fs'
import { files, readJson, stateDir, updateJson, withLock, writeJsonAtomic } from './state.ts'

// Kubernetes objects are free-form JSON here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>

export interface Injection {
  proxy: 'sidecar' | 'gateway'     // istio-proxy as a native sidecar (init container) or as a container
  templates: string[]              // inject.istio.io/templates, in order ([]: not injected, a gateway whose chart wrote the proxy in)
  socket: boolean                  // the SPIFFE Workload API socket is mounted into istio-proxy
  istiod: string                   // the istiod (cluster) that injected it
}

export interface Meta {
  created: number
  updated: number                  // last time its content changed
  lastApplied?: Obj                // kubectl apply's last-applied configuration
  owner?: string                   // helm:<ns>/<release>, istioctl:<operator>, metallb, kind, or a workload's key (the lab's record; istioctl itself prunes by labels)
  hash?: string                    // pods: the hash of the template they were made from
  injection?: Injection            // pods that run Istio's proxy (injected, or a gateway as its chart rendered it)
  lbAddress?: string               // LoadBalancer Services: the address MetalLB (or an existing cluster's cloud) picked
  clusterIP?: string
  createError?: string             // workloads: why their pod could not be created
  spireData?: boolean              // PVCs: the SPIRE server's data volume (state.spire lives and dies with it)
  logs?: Record<string, LogLine[]> // pods: what each container logged (gone with the pod, as a container's log is)
}

export interface LogLine {
  at: number                       // when it was written (epoch ms); `kubectl logs` shows it from then on
  line: string
}

export interface Stored {
  obj: Obj
  meta: Meta
}

export interface Release {
  name: string
  namespace: string
  chart: string
  version: string
  revision: number
  status: 'deployed' | 'failed' | 'pending-install' | 'pending-upgrade'
  values: Obj                      // the values given (merged -f files and --set), as `helm get values`
  computed: Obj                    // chart defaults under the given values
  updated: number
  objects: string[]                // keys of what the chart created
}

export interface Operator {
  spec: Obj                        // the IstioOperator's spec as given
  installed: number
  objects: string[]
}

export interface ClusterState {
  name: string                     // kind's name (cluster-east), or an existing cluster's own name
  created: number
  ready: number                    // control plane answering
  apiPort?: number                 // kind: https://127.0.0.1:<apiPort> in the kubeconfig
  nodeImage: string                // kind: the node image; existing clusters: their nodes' OS image
  existing?: Existing              // a cluster the user already has: not kind's, no Docker container
  seq: number
  objects: Record<string, Stored>
  releases: Record<string, Release>
  spire?: SpireData                // the SPIRE server's data: its keys and datastore, kept on its PVC
  operators: Record<string, Operator>
  terminating?: Record<string, Terminating> // pods deleted and not gone yet (kubectl shows them as Terminating)
  readerToken?: string             // the istio-reader service account's token (remote secrets)
  readerTokenSecret?: string       // the key of the Secret that token lives in, once create-remote-secret made one
  istioCa?: { certificate: string; key: string } // istiod's self-signed root (base64 DER) and its key (PKCS #8 PEM)
}

// What a SPIRE server keeps in /run/spire/data (the chart's PVC spire-data): its own trust
// bundle (from its CA keys) and its datastore, which holds the federation relationships and
// the federated bundles. `at` is when a write takes effect (the controller manager acts a
// little after the resource changed, and only once the server answers).
export interface SpireData {
  trustDomain: string
  bundle: Obj                      // its own bundle, as `spire-server bundle show -format spiffe` prints it
  caKey?: string                   // the private key of its X.509 authority (PKCS #8 PEM): it signs the SVIDs
  created: number
  relationships?: Record<string, Relationship>
  federatedBundles?: Record<string, { bundle: Obj; at: number }>
}

export interface Relationship {
  url: string
  profile: string
  endpointSPIFFEID?: string
  at: number
}

// A pod on its way out: it is gone at `until`, unless it is stuck (its volumes cannot be
// unmounted: the CSI driver that mounted them went first).
export interface Terminating {
  obj: Obj
  meta: Meta
  since: number
  until: number
  stuck?: string                   // why it cannot finish
}

// A cluster the workbook did not make (GKE, EKS, ...): its API server has a URL of its own,
// the same from the host and from other clusters' pods, and its cloud's load balancer gives
// LoadBalancer Services an IP or a host name (no MetalLB).
export interface Existing {
  server: string                   // the API server URL, as the kubeconfig has it
  plays: string                    // which of configuration.md's clusters (<c>: east, west) it stands for
  context: string                  // its kubeconfig context
  loadBalancer: 'ip' | 'hostname'  // what the cloud's load balancer puts in .status.loadBalancer.ingress[0]
  region: string
  kubernetesVersion: string        // v1.32.4
  node: string                     // the node pods are scheduled on
}

export interface Container {
  name: string
  id: string
  image: string
  cluster: string
  network?: string                 // the Docker network it is on (kind's: "kind" unless KIND_EXPERIMENTAL_DOCKER_NETWORK)
  ip: string
  ipv6: string
  created: number
}

export interface DockerState {
  networks: Record<string, { id: string; subnet: string; gateway: string; subnet6: string; gateway6: string; created: number }>
  containers: Record<string, Container>
}

// The API server's URL as a client on the host reaches it.
export function apiServer(state: ClusterState): string {
  return state.existing?.server ?? `https://127.0.0.1:${state.apiPort}`
}

// Whether two URLs name the same API server: scheme, host (in any case), port (443 when
// an https URL names none) and path all agree.
export function sameServer(a: string, b: string): boolean {
  const norm = (text: string) => {
    try {
      const url = new URL(text)
      return `${url.protocol}//${url.hostname.toLowerCase()}:${url.port || (url.protocol === 'https:' ? '443' : '80')}${url.pathname.replace(/\/+$/, '')}`
    } catch {
      return undefined
    }
  }
  const [x, y] = [norm(a), norm(b)]
  return x !== undefined && x === y
}

// ---------- kinds ----------

export interface KindInfo {
  group: string
  versions: string[]
  kind: string
  plural: string
  singular: string
  namespaced: boolean
  short: string[]
}

const k = (group: string, versions: string[], kind: string, plural: string, namespaced: boolean, short: string[] = []): KindInfo =>
  ({ group, versions, kind, plural, singular: kind.toLowerCase(), namespaced, short })

export const builtinKinds: KindInfo[] = [
  k('', ['v1'], 'Namespace', 'namespaces', false, ['ns']),
  k('', ['v1'], 'Node', 'nodes', false, ['no']),
  k('', ['v1'], 'Pod', 'pods', true, ['po']),
  k('', ['v1'], 'Service', 'services', true, ['svc']),
  k('', ['v1'], 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  k('', ['v1'], 'Secret', 'secrets', true),
  k('', ['v1'], 'ConfigMap', 'configmaps', true, ['cm']),
  k('', ['v1'], 'Endpoints', 'endpoints', true, ['ep']),
  k('', ['v1'], 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  k('apps', ['v1'], 'Deployment', 'deployments', true, ['deploy']),
  k('apps', ['v1'], 'DaemonSet', 'daemonsets', true, ['ds']),
  k('apps', ['v1'], 'StatefulSet', 'statefulsets', true, ['sts']),
  k('apps', ['v1'], 'ReplicaSet', 'replicasets', true, ['rs']),
  k('batch', ['v1'], 'Job', 'jobs', true),
  k('apiextensions.k8s.io', ['v1'], 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds']),
  k('admissionregistration.k8s.io', ['v1'], 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  k('admissionregistration.k8s.io', ['v1'], 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  k('rbac.authorization.k8s.io', ['v1'], 'ClusterRole', 'clusterroles', false),
  k('rbac.authorization.k8s.io', ['v1'], 'ClusterRoleBinding', 'clusterrolebindings', false),
  k('rbac.authorization.k8s.io', ['v1'], 'Role', 'roles', true),
  k('rbac.authorization.k8s.io', ['v1'], 'RoleBinding', 'rolebindings', true),
  k('storage.k8s.io', ['v1'], 'CSIDriver', 'csidrivers', false),
  k('storage.k8s.io', ['v1'], 'StorageClass', 'storageclasses', false, ['sc']),
  k('policy', ['v1'], 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb']),
  k('networking.k8s.io', ['v1'], 'NetworkPolicy', 'networkpolicies', true, ['netpol']),
  k('autoscaling', ['v2', 'v1'], 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa']),
  k('coordination.k8s.io', ['v1'], 'Lease', 'leases', true),
]

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
}

export function crdKinds(state: ClusterState): KindInfo[] {
  const kinds: KindInfo[] = []
  for (const stored of Object.values(state.objects)) {
    if (stored.obj.kind !== 'CustomResourceDefinition') continue
    const spec = stored.obj.spec ?? {}
    kinds.push({
      group: spec.group,
      versions: (spec.versions ?? []).filter((v: Obj) => v.served !== false).map((v: Obj) => v.name),
      kind: spec.names?.kind,
      plural: spec.names?.plural,
      singular: spec.names?.singular ?? String(spec.names?.kind).toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      short: spec.names?.shortNames ?? [],
    })
  }
  return kinds
}

export function allKinds(state: ClusterState): KindInfo[] {
  return [...builtinKinds, ...crdKinds(state)]
}

export function kindFor(state: ClusterState, apiVersion: string, kind: string): KindInfo | undefined {
  const { group, version } = splitApiVersion(apiVersion)
  return allKinds(state).find((info) => info.group === group && info.kind === kind && info.versions.includes(version))
}

// A resource as kubectl names it on the command line: svc, services, deployment.apps, ...
export function resourceFor(state: ClusterState, name: string): KindInfo | undefined {
  const lower = name.toLowerCase()
  const dot = lower.indexOf('.')
  const [resource, group] = dot < 0 ? [lower, undefined] : [lower.slice(0, dot), lower.slice(dot + 1)]
  const matches = (info: KindInfo) => [info.plural, info.singular, info.kind.toLowerCase(), ...info.short].includes(resource!)
  const candidates = allKinds(state).filter((info) => matches(info) && (group === undefined || info.group === group))
  // Ambiguous short names (gateway: Istio's or the Gateway API's) go to the first defined.
  return candidates[0]
}

// "deployment.apps", "service": how kubectl names a kind in its output.
export function typeName(info: KindInfo): string {
  return info.group ? `${info.singular}.${info.group}` : info.singular
}

// "deployments.apps", "services": how the API server names a resource in errors.
export function resourceName(info: KindInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural
}

export function objectKey(info: Pick<KindInfo, 'group' | 'kind' | 'namespaced'>, namespace: string | undefined, name: string): string {
  return `${info.group}|${info.kind}|${info.namespaced ? namespace ?? 'default' : ''}|${name}`
}

export function keyOf(obj: Obj, namespaced: boolean): string {
  const { group } = splitApiVersion(obj.apiVersion)
  return objectKey({ group, kind: obj.kind, namespaced }, obj.metadata?.namespace, obj.metadata?.name)
}

export function find(state: ClusterState, group: string, kind: string, namespace: string, name: string): Stored | undefined {
  return state.objects[`${group}|${kind}|${namespace}|${name}`]
}

export function list(state: ClusterState, group: string, kind: string, namespace?: string): Stored[] {
  return Object.entries(state.objects)
    .filter(([key]) => {
      const [g, kd, ns] = key.split('|')
      return g === group && kd === kind && (namespace === undefined || ns === namespace)
    })
    .map(([, stored]) => stored)
}

// ---------- values ----------

export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value))
}

export function isPlainObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (isPlainObject(value)) return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]))
  return value
}

// Helm's way of layering values: maps merge key by key, anything else is replaced.
export function mergeValues(base: Obj, over: Obj): Obj {
  const result: Obj = clone(base)
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete result[key]
    else if (isPlainObject(value) && isPlainObject(result[key])) result[key] = mergeValues(result[key], value)
    else result[key] = clone(value)
  }
  return result
}

// RFC 7386 JSON merge patch.
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch)
  const result: Obj = isPlainObject(target) ? clone(target) : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

// kubectl apply's three-way merge: fields the last apply set and this one does not are
// removed; fields this apply sets are set; everything else (patches, defaults) stays.
export function threeWay(live: Obj, lastApplied: Obj | undefined, applied: Obj): Obj {
  const result: Obj = clone(live)
  for (const key of Object.keys(lastApplied ?? {})) {
    if (!(key in applied)) delete result[key]
  }
  for (const [key, value] of Object.entries(applied)) {
    if (isPlainObject(value) && isPlainObject(result[key])) {
      result[key] = threeWay(result[key], isPlainObject(lastApplied?.[key]) ? lastApplied[key] : undefined, value)
    } else {
      result[key] = clone(value)
    }
  }
  return result
}

export function dig(value: unknown, ...path: Array<string | number>): unknown {
  let current = value
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Obj)[part as string]
  }
  return current
}

// ---------- labels ----------

type Requirement = { key: string; op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'; values: string[] }

export function parseSelector(text: string): Requirement[] {
  const requirements: Requirement[] = []
  // split on commas outside parentheses
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += ch
  }
  if (current.trim() !== '') parts.push(current)
  for (const raw of parts) {
    const part = raw.trim()
    let match: RegExpExecArray | null
    if ((match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      requirements.push({ key: match[1]!, op: match[2] as 'in' | 'notin', values: match[3]!.split(',').map((v) => v.trim()).filter(Boolean) })
    } else if ((match = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part))) {
      requirements.push({ key: match[1]!, op: match[2] === '!=' ? '!=' : '=', values: [match[3]!] })
    } else if ((match = /^!([\w./-]+)$/.exec(part))) {
      requirements.push({ key: match[1]!, op: '!', values: [] })
    } else if ((match = /^([\w./-]+)$/.exec(part))) {
      requirements.push({ key: match[1]!, op: 'exists', values: [] })
    } else {
      throw new Error(`unable to parse requirement: ${part}`)
    }
  }
  return requirements
}

export function selects(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key)
    switch (r.op) {
      case '=': return has && l[r.key] === r.values[0]
      case '!=': return !has || l[r.key] !== r.values[0]
      case 'in': return has && r.values.includes(l[r.key]!)
      case 'notin': return !has || !r.values.includes(l[r.key]!)
      case 'exists': return has
      case '!': return !has
    }
  })
}

// A LabelSelector object (matchLabels and matchExpressions, both to hold); none selects everything.
export function labelSelectorMatches(selector: Obj | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true
  const expressions: Obj[] = selector.matchExpressions ?? []
  const requirement = expressions.map((e) => e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`).join(',')
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v)
  return byLabels && (requirement === '' || selects(parseSelector(requirement), labels))
}

export function matchLabels(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value)
}

// ---------- state files ----------

export function randomSuffix(length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return Array.from({ length }, () => alphabet[randomInt(0, alphabet.length)]).join('')
}

export function clusterNames(): string[] {
  try {
    return readdirSync(files.clusters(stateDir()))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort()
  } catch {
    return []
  }
}

export function readCluster(name: string): ClusterState | undefined {
  return readJson<ClusterState | undefined>(files.cluster(stateDir(), name), undefined)
}

export function readDocker(): DockerState {
  return readJson<DockerState>(files.docker(stateDir()), { networks: {}, containers: {} })
}

export function updateDocker(change: (docker: DockerState) => void): DockerState {
  return updateJson<DockerState>(files.docker(stateDir()), { networks: {}, containers: {} }, change)
}

export interface World {
  docker: DockerState
  clusters: Record<string, ClusterState>
}

export function loadWorld(): World {
  const clusters: Record<string, ClusterState> = {}
  for (const name of clusterNames()) {
    const state = readCluster(name)
    if (state) clusters[name] = state
  }
  return { docker: readDocker(), clusters }
}

// Change one cluster under its lock. `change` sees the cluster as it is now, and the others
// as they were read a moment ago (it must only read them).
export function updateCluster<T>(name: string, change: (state: ClusterState, world: World) => T): T {
  const file = files.cluster(stateDir(), name)
  return withLock(file, () => {
    const world = loadWorld()
    const state = readJson<ClusterState | undefined>(file, undefined)
    if (!state) throw new Error(`cluster ${name} vanished`)
    world.clusters[name] = state
    const result = change(state, world)
    writeJsonAtomic(file, state)
    return result
  })
}

export function writeCluster(state: ClusterState): void {
  const file = files.cluster(stateDir(), state.name)
  withLock(file, () => writeJsonAtomic(file, state))
}
