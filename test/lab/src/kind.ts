// `kind`: clusters are a node container on the Docker network "kind" (made with the first
// cluster), a state file with the cluster's objects, and an entry in the kubeconfig.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, unlinkSync } from 'node:fs'
import { parse as parseYaml, stringify } from 'yaml'
import { flag, isSet, parseCommandLine, UsageError, type CommandSpec, type FlagSpec } from './args.ts'
import { applyObject, reconcile } from './controllers.ts'
import { daemonProblem, dockerVersion } from './docker.ts'
import { faults } from './faults.ts'
import { createTries, KindLockError, kubeconfigFiles, removeKindEntry, writeKindEntry } from './kubeconfig.ts'
import { builtinKinds, loadWorld, readCluster, readDocker, updateDocker, writeCluster, type ClusterState, type Obj } from './model.ts'
import { intToIp, parseRange } from './metallb.ts'
import { namespace, serviceAccount, workload } from './objects.ts'
import { files, stateDir, ToolExit } from './state.ts'
import { randomInt } from './random.ts'
import { scaled, sleep } from './timing.ts'
import { err, out, runTool } from './tool.ts'

// The release the lab's kind plays, and what `kind version` prints for it: "kind v" + the
// version, the Go runtime, os/arch (kubernetes-sigs/kind v0.31.0, pkg/cmd/kind/version/
// version.go; release builds use the Go of .go-version, 1.25.5). Its default node image is
// that release's pkg/apis/config/defaults/image.go. What the lab models of kind is the same
// in v0.29.0 and v0.31.0 (test/lab/README.md, provenance).
export const kindVersion = 'v0.31.0'
const kindGo = 'go1.25.5'
export const defaultNodeImage = 'kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f'

const globals: FlagSpec[] = [{ name: 'verbosity', short: 'v', value: true }, { name: 'quiet', short: 'q' }, { name: 'loglevel', value: true }]
const nameFlag: FlagSpec = { name: 'name', short: 'n', value: true }
const spec: CommandSpec = {
  commands: {
    version: {},
    create: { commands: { cluster: { flags: [nameFlag, { name: 'config', value: true }, { name: 'image', value: true }, { name: 'wait', value: true }, { name: 'kubeconfig', value: true }, { name: 'retain' }] } } },
    delete: { commands: { cluster: { flags: [nameFlag, { name: 'kubeconfig', value: true }] }, clusters: { flags: [{ name: 'all', short: 'A' }, { name: 'kubeconfig', value: true }] } } },
    get: { commands: { clusters: {}, nodes: { flags: [nameFlag, { name: 'all-clusters', short: 'A' }] }, kubeconfig: { flags: [nameFlag, { name: 'internal' }] } } },
    export: { commands: { kubeconfig: { flags: [nameFlag, { name: 'kubeconfig', value: true }, { name: 'internal' }] }, logs: { flags: [nameFlag] } } },
  },
}

const pem = (what: string) => Buffer.from(`-----BEGIN ${what}-----\n${randomBytes(48).toString('base64')}\n-----END ${what}-----\n`).toString('base64')

function kubeconfigEntry(state: ClusterState) {
  return { name: `kind-${state.name}`, server: `https://127.0.0.1:${state.apiPort}`, ca: pem('CERTIFICATE'), cert: pem('CERTIFICATE'), key: pem('RSA PRIVATE KEY') }
}

// kind lists its node containers through the docker CLI first: what that CLI says when the
// daemon does not answer (docker.ts) comes back inside kind's own error.
function requireDocker(action: string): void {
  const said = daemonProblem(dockerVersion(), '/containers/json?all=1')
  if (said) {
    throw new ToolExit(1, `ERROR: ${action}: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format '{{.Label "io.x-k8s.kind.cluster"}}'" failed with error: exit status 1\nCommand Output: ${said}`)
  }
}

export function clustersByDocker(): string[] {
  return [...new Set(Object.values(readDocker().containers).map((c) => c.cluster))].sort()
}

const removedGates = ['MixedProtocolLBService', 'GRPCContainerProbe', 'EphemeralContainers', 'CSIMigration']
const configFields = ['kind', 'apiVersion', 'name', 'nodes', 'networking', 'featureGates', 'runtimeConfig', 'kubeadmConfigPatches', 'kubeadmConfigPatchesJSON6902', 'containerdConfigPatches', 'containerdConfigPatchesJSON6902']

function readConfig(file: string | undefined): Obj {
  if (!file) return {}
  if (!existsSync(file)) throw new ToolExit(1, `ERROR: failed to create cluster: error reading file: open ${file}: no such file or directory`)
  let config: Obj
  try {
    config = parseYaml(readFileSync(file, 'utf8')) ?? {}
  } catch (error) {
    throw new ToolExit(1, `ERROR: failed to create cluster: unable to decode config: ${(error as Error).message.split('\n')[0]}`)
  }
  if (config.kind !== 'Cluster' || config.apiVersion !== 'kind.x-k8s.io/v1alpha4') {
    throw new ToolExit(1, `ERROR: failed to create cluster: unknown apiVersion: ${config.apiVersion} (kind ${config.kind})`)
  }
  for (const key of Object.keys(config)) {
    if (!configFields.includes(key)) throw new ToolExit(1, `ERROR: failed to create cluster: unable to decode config: error unmarshaling JSON: while decoding JSON: json: unknown field "${key}"`)
  }
  for (const node of config.nodes ?? []) {
    if (!['control-plane', 'worker'].includes(node?.role)) throw new ToolExit(1, `ERROR: failed to create cluster: invalid configuration: node role "${node?.role}" is not valid`)
  }
  return config
}

function initialObjects(name: string): Obj[] {
  const objects: Obj[] = []
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']) {
    objects.push(namespace(ns))
    objects.push(serviceAccount('default', ns))
  }
  objects.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: `${name}-control-plane`, labels: { 'kubernetes.io/hostname': `${name}-control-plane`, 'node-role.kubernetes.io/control-plane': '' } }, spec: { podCIDR: '10.244.0.0/24' } })
  objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }] } })
  objects.push(workload('Deployment', 'coredns', 'kube-system', { 'k8s-app': 'kube-dns' }, [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.0' }]))
  objects.push(workload('Deployment', 'local-path-provisioner', 'local-path-storage', { app: 'local-path-provisioner' }, [{ name: 'local-path-provisioner', image: 'docker.io/kindest/local-path-provisioner:v20251212-v0.29.0-alpha-105-g20ccfc88' }]))
  objects.push({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path' })
  return objects
}

async function createCluster(name: string, configFile: string | undefined, image: string | undefined): Promise<void> {
  requireDocker('failed to create cluster: failed to list clusters')
  const config = readConfig(configFile)
  const clusterName = name || config.name || 'kind'
  if (!/^[a-z0-9.-]+$/.test(clusterName) || clusterName.length > 50) {
    throw new ToolExit(1, `ERROR: failed to create cluster: '${clusterName}' is not a valid cluster name, cluster names must match \`^[a-z0-9.-]+$\``)
  }
  const nodeImage = image ?? config.nodes?.[0]?.image ?? defaultNodeImage
  const gates = Object.keys(config.featureGates ?? {}).filter((g) => removedGates.includes(g))
  if (readCluster(clusterName)?.existing) {
    throw new ToolExit(70, `lab: the lab keeps one cluster per name, and "${clusterName}" is an existing (non-kind) cluster in this lab state`)
  }
  // kind puts its nodes on the network KIND_EXPERIMENTAL_DOCKER_NETWORK names, else "kind"
  // (pkg/cluster/internal/providers/docker/provider.go), and creates it when it is missing
  // with an IPv6 subnet of its own and the IPv4 subnet Docker's IPAM picks from its default
  // address pools (network.go), which LAB_DOCKER_SUBNET plays (default 172.18.0.0/16).
  const networkName = process.env.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind'
  const subnet = process.env.LAB_DOCKER_SUBNET || '172.18.0.0/16'
  const range = parseRange(subnet)
  if (typeof range === 'string' || !subnet.includes('/')) throw new ToolExit(70, `lab: LAB_DOCKER_SUBNET="${subnet}" is not an IPv4 subnet (a.b.c.d/n)`)
  let claimed = false
  updateDocker((docker) => {
    if (Object.values(docker.containers).some((c) => c.cluster === clusterName)) return
    claimed = true
    const network = docker.networks[networkName] ??= {
      id: randomBytes(32).toString('hex'), subnet: `${intToIp(range[0])}/${subnet.split('/')[1]}`, gateway: intToIp(range[0] + 1),
      subnet6: 'fc00:f853:ccd:e793::/64', gateway6: 'fc00:f853:ccd:e793::1', created: Date.now(),
    }
    const [start] = parseRange(network.subnet) as [number, number]
    const used = new Set(Object.values(docker.containers).filter((c) => (c.network ?? 'kind') === networkName).map((c) => c.ip))
    let host = 2
    while (used.has(intToIp(start + host))) host++
    const id = randomBytes(32).toString('hex')
    docker.containers[id] = { name: `${clusterName}-control-plane`, id, image: nodeImage, cluster: clusterName, network: networkName, ip: intToIp(start + host), ipv6: `fc00:f853:ccd:e793::${host}`, created: Date.now() }
  })
  if (!claimed) throw new ToolExit(1, `ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${clusterName}"`)
  err(`Creating cluster "${clusterName}" ...\n ✓ Ensuring node image (${nodeImage}) 🖼\n ✓ Preparing nodes 📦`)
  await sleep(scaled('kindCreateCluster') / 2)
  if (gates.length > 0) {
    updateDocker((docker) => {
      for (const [id, c] of Object.entries(docker.containers)) if (c.cluster === clusterName) delete docker.containers[id]
    })
    throw new ToolExit(1, ` ✓ Writing configuration 📜\n ✗ Starting control-plane 🕹️\nERROR: failed to create cluster: failed to init node with kubeadm: command "docker exec --privileged ${clusterName}-control-plane kubeadm init --config=/kind/kubeadm.conf --skip-token-print --v=6" failed with error: exit status 1\nCommand Output: unrecognized feature gate: ${gates[0]}`)
  }
  const ports = new Set(Object.values(loadWorld().clusters).map((c) => c.apiPort))
  let apiPort = 0
  while (apiPort === 0 || ports.has(apiPort)) apiPort = randomInt(30000, 60000)
  await sleep(scaled('kindCreateCluster') / 2)
  const now = Date.now()
  const state: ClusterState = { name: clusterName, created: now, ready: now, apiPort, nodeImage, seq: 1, objects: {}, releases: {}, operators: {} }
  for (const obj of initialObjects(clusterName)) {
    const info = builtinKinds.find((k) => k.kind === obj.kind)!
    applyObject(state, info, obj, now - scaled(30), { owner: 'kind', recordApplied: false })
  }
  reconcile(loadWorld(), state, now - scaled(30))
  writeCluster(state)
  err(' ✓ Writing configuration 📜\n ✓ Starting control-plane 🕹️\n ✓ Installing CNI 🔌\n ✓ Installing StorageClass 💾')
  // The kubeconfig is written last, under kind's lock; a create that cannot take it leaves
  // the cluster running (create.go returns without deleting it).
  try {
    if (faults().kindLockLost === clusterName) throw new KindLockError(`failed to lock config file: open ${kubeconfigFiles(undefined, process.env)[0]}.lock: file exists`)
    writeKindEntry(kubeconfigEntry(state), process.env, createTries)
  } catch (error) {
    if (error instanceof KindLockError) throw new ToolExit(1, `ERROR: failed to create cluster: ${error.message}`)
    throw error
  }
  err(`Set kubectl context to "kind-${clusterName}"\nYou can now use your cluster with:\n\nkubectl cluster-info --context kind-${clusterName}\n\nHave a nice day! 👋`)
}

async function deleteCluster(name: string): Promise<void> {
  requireDocker('failed to delete cluster')
  err(`Deleting cluster "${name}" ...`)
  let removed = false
  updateDocker((docker) => {
    for (const [id, c] of Object.entries(docker.containers)) {
      if (c.cluster === name) {
        delete docker.containers[id]
        removed = true
      }
    }
  })
  // An existing (non-kind) cluster of the same name is none of kind's business.
  const file = files.cluster(stateDir(), name)
  if (existsSync(file) && !readCluster(name)?.existing) unlinkSync(file)
  // The kubeconfig first; a lock kind cannot take is logged, the nodes go anyway, and the
  // command then fails (pkg/cluster/internal/delete/delete.go).
  let lockError: KindLockError | undefined
  try {
    removeKindEntry(`kind-${name}`)
  } catch (error) {
    if (!(error instanceof KindLockError)) throw error
    lockError = error
    err(`ERROR: failed to update kubeconfig: ${error.message}`)
  }
  if (removed) {
    await sleep(scaled('kindDeleteCluster'))
    err(`Deleted nodes: ["${name}-control-plane"]`)
  }
  if (lockError) throw new ToolExit(1, `ERROR: failed to delete cluster "${name}": ${lockError.message}`)
}

function requireCluster(name: string): ClusterState {
  const state = clustersByDocker().includes(name) ? readCluster(name) : undefined
  if (!state) throw new ToolExit(1, `ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`)
  return state
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseCommandLine(argv, spec, globals, 'kind')
  } catch (error) {
    if (error instanceof UsageError) throw new ToolExit(1, `ERROR: ${error.message}`)
    throw error
  }
  const [command, sub] = parsed.path
  const name = flag(parsed, 'name') ?? 'kind'
  const allowArgs = (n: number) => {
    if (parsed.args.length > n) throw new ToolExit(1, `ERROR: unknown command "${parsed.args[n]}" for "kind ${parsed.path.join(' ')}"`)
  }
  if (!command) {
    out('kind creates and manages local Kubernetes clusters using Docker container \'nodes\' (the lab\'s stand-in)\n\nUsage:\n  kind [command]')
    return 0
  }
  if (command === 'version') {
    out(`kind ${kindVersion} ${kindGo} linux/amd64`)
    return 0
  }
  if (!sub) throw new ToolExit(1, `ERROR: Subcommand is required`)
  if (command === 'create' && sub === 'cluster') {
    allowArgs(0)
    await createCluster(flag(parsed, 'name') ?? '', flag(parsed, 'config'), flag(parsed, 'image'))
    return 0
  }
  if (command === 'delete' && sub === 'cluster') {
    allowArgs(0)
    await deleteCluster(name)
    return 0
  }
  if (command === 'delete' && sub === 'clusters') {
    requireDocker('failed to list clusters')
    const names = isSet(parsed, 'all') ? clustersByDocker() : parsed.args
    for (const n of names) await deleteCluster(n)
    err(`Deleted clusters: ${JSON.stringify(names)}`)
    return 0
  }
  if (command === 'get' && sub === 'clusters') {
    allowArgs(0)
    requireDocker('failed to list clusters')
    const names = clustersByDocker()
    if (names.length === 0) err('No kind clusters found.')
    else out(names.join('\n'))
    return 0
  }
  if (command === 'get' && sub === 'nodes') {
    requireDocker('failed to list nodes')
    const names = isSet(parsed, 'all-clusters') ? clustersByDocker() : clustersByDocker().filter((n) => n === name)
    if (names.length === 0) err(`No kind nodes found for cluster "${name}".`)
    else out(names.map((n) => `${n}-control-plane`).join('\n'))
    return 0
  }
  if (command === 'get' && sub === 'kubeconfig') {
    requireDocker('failed to get kubeconfig')
    const state = requireCluster(name)
    const entry = kubeconfigEntry(state)
    const server = isSet(parsed, 'internal') ? `https://${name}-control-plane:6443` : entry.server
    out(stringify({
      apiVersion: 'v1', clusters: [{ cluster: { 'certificate-authority-data': entry.ca, server }, name: entry.name }],
      contexts: [{ context: { cluster: entry.name, user: entry.name }, name: entry.name }], 'current-context': entry.name, kind: 'Config', preferences: {},
      users: [{ name: entry.name, user: { 'client-certificate-data': entry.cert, 'client-key-data': entry.key } }],
    }))
    return 0
  }
  if (command === 'export' && sub === 'kubeconfig') {
    requireDocker('failed to export kubeconfig')
    const state = requireCluster(name)
    await sleep(scaled('kindExportKubeconfig'))
    try {
      writeKindEntry(kubeconfigEntry(state))
    } catch (error) {
      if (error instanceof KindLockError) throw new ToolExit(1, `ERROR: ${error.message}`)
      throw error
    }
    err(`Set kubectl context to "kind-${name}"`)
    return 0
  }
  if (command === 'export' && sub === 'logs') {
    requireCluster(name)
    err('Exporting logs for cluster "' + name + '" to:\n/tmp/lab-kind-logs')
    return 0
  }
  throw new ToolExit(1, `ERROR: unknown command "${parsed.path.join(' ')}" for "kind"`)
}

export function runKind(): Promise<void> {
  return runTool('kind', main)
}
