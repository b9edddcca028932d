// The kind cluster provider: what kind and Docker know about the clusters the workbook
// creates. The commands that change anything stay in scripts/01-clusters.ts and 99-cleanup.ts.
import { statSync } from 'node:fs'
import type { Cluster } from './clusters.ts'
import { fail } from './errors.ts'
import { CommandError } from './run.ts'
import { note } from './output.ts'
import { standIns } from './defaults.ts'
import { parseKindNetwork, type KindNetwork } from './network.ts'
import type { Shell } from './run.ts'
import * as check from './validate.ts'

// The Docker network kind puts its nodes on: "kind", unless KIND_EXPERIMENTAL_DOCKER_NETWORK
// names another (kind v0.29.0 pkg/cluster/internal/providers/docker/provider.go, Provision).
export function kindNetworkName(env: NodeJS.ProcessEnv = process.env): string {
  return env.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind'
}

// KIND_EXPERIMENTAL_PROVIDER makes kind run its nodes on Podman or nerdctl instead of Docker
// (kind v0.29.0 pkg/internal/runtime/runtime.go; unknown values are ignored). So does a
// `docker` that is not Docker's: kind picks Docker only if `docker -v` begins with
// "Docker version" (pkg/cluster/internal/providers/docker/util.go, IsAvailable).
export const otherNodeProviders = ['podman', 'nerdctl', 'finch', 'nerdctl.lima'] as const
export const dockerOnly = {
  why: 'the workbook reads the kind network and the nodes\' addresses through Docker\'s CLI and its JSON (docker network inspect: .IPAM.Config; docker inspect: .NetworkSettings.Networks), which Podman\'s network JSON does not have (kind\'s own Podman provider reads its .subnets instead), and it has not been tried on Podman or nerdctl',
  fix: 'run kind on Docker (Docker Engine, Docker Desktop, Colima): unset KIND_EXPERIMENTAL_PROVIDER and put Docker\'s docker first on PATH; or create two clusters yourself and use them with CLUSTER_PROVIDER=existing',
}

// Why KIND_EXPERIMENTAL_PROVIDER rules kind out here, or undefined when it does not.
export function unsupportedNodeProvider(provider: string | undefined): string | undefined {
  if (!provider || !(otherNodeProviders as readonly string[]).includes(provider)) return undefined
  return `KIND_EXPERIMENTAL_PROVIDER=${provider} makes kind run the clusters on ${provider}, which the workbook does not support: ${dockerOnly.why}`
}

export function requireDockerNodes(env: NodeJS.ProcessEnv = process.env): void {
  const problem = unsupportedNodeProvider(env.KIND_EXPERIMENTAL_PROVIDER)
  if (problem) fail(problem, dockerOnly.fix)
}

// `kind get clusters` prints one name a line, or "No kind clusters found." on stderr.
export function parseKindClusters(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('No kind clusters'))
}

// A dry run pretends the clusters named in `dryRunShows` exist.
export async function kindClusters($: Shell, dryRunShows: string[] = []): Promise<string[]> {
  return parseKindClusters((await $({ standIn: dryRunShows.join('\n') })`kind get clusters`).stdout)
}

// The kind network's IPv4 subnet and gateway, which every MetalLB pool is carved from.
export async function kindNetwork($: Shell): Promise<KindNetwork> {
  const name = kindNetworkName()
  const { stdout } = await $({ standIn: standIns.kindNetwork })`docker network inspect ${name} -f ${'{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{end}}'}`
  return parseKindNetwork(name, stdout)
}

// West's API server as east's istiod reaches it: the control-plane container's IP on the
// kind network. The kubeconfig keeps kind's own (host) address, which Docker Desktop needs.
export async function controlPlaneAddress(cluster: Cluster): Promise<string> {
  // The walkthrough ranges over every network; a node on two would print two IPs joined.
  const { stdout } = await cluster.$({ standIn: standIns.apiServerIp(cluster.ipSpace) })`docker inspect -f ${`{{(index .NetworkSettings.Networks "${kindNetworkName()}").IPAddress}}`} ${`${cluster.kindName}-control-plane`}`
  return check.address(stdout, `the IP of container ${cluster.kindName}-control-plane`,
    `check that the cluster runs: docker ps --filter name=${cluster.kindName}`)
}

// kind guards the kubeconfig with a lock file, <kubeconfig>.lock, made while it writes and
// removed right after; nothing ever expires it (kind v0.29.0 to v0.32.0,
// pkg/cluster/internal/kubeconfig/internal/kubeconfig/lock.go). `kind create cluster` tries
// to write four times within 151 ms (pkg/cluster/internal/create/create.go), `kind export
// kubeconfig` and `kind delete cluster` once. So two kind commands that write at the same
// moment make one fail ("failed to lock config file"), and a kind stopped while it wrote
// leaves a lock behind that makes every later one fail. Ours take turns; a create that
// still loses the race (it writes at its very end, and both run at once) has made its
// cluster, so only the context is written again.
let kubeconfigQueue: Promise<unknown> = Promise.resolve()
export function kubeconfigTurn<T>(work: () => Promise<T>): Promise<T> {
  const turn = kubeconfigQueue.then(work, work)
  kubeconfigQueue = turn.catch(() => undefined)
  return turn
}

export function lostKubeconfigLock(stderr: string): boolean {
  return /failed to lock config file/.test(stderr)
}

// The lock file kind names: "failed to lock config file: open /home/me/.kube/config.lock: file exists".
export function kubeconfigLockFile(stderr: string): string | undefined {
  return /failed to lock config file: open (.+?\.lock): file exists/.exec(stderr)?.[1]
}

// A lock made before `since` is not another kind writing now: kind holds it for milliseconds.
export function lockLeftOver(lock: string, since: number): boolean {
  try {
    return statSync(lock).mtimeMs < since
  } catch {
    return false
  }
}

function staleLock(cluster: Cluster, lock: string, then: string): never {
  fail(`[${cluster.name}] kind cannot write your kubeconfig: its lock file ${lock} is there, and kind never removes a lock a stopped kind left behind`,
    `if no kind command is running (ps -A | grep kind), remove it: rm ${lock}; then ${then}`)
}

export async function createKindCluster(cluster: Cluster, configFile: string): Promise<void> {
  const started = Date.now()
  try {
    await cluster.$({ fix: `see the full log; leftovers of an earlier attempt go with: kind delete cluster --name ${cluster.kindName}` })`kind create cluster --name ${cluster.kindName} --config ${configFile}`
  } catch (error) {
    if (!(error instanceof CommandError) || !lostKubeconfigLock(error.stderr)) throw error
    const lock = kubeconfigLockFile(error.stderr)
    const rerun = 'run make 01 again: it reuses the cluster and writes its context'
    // Older than this create: left by a kind that stopped, not the other cluster's create.
    if (lock && lockLeftOver(lock, started)) staleLock(cluster, lock, rerun)
    note(cluster.name, `kind could not lock the kubeconfig while the other cluster wrote it; writing context ${cluster.context} again`)
    // The other create may still hold the lock: try a few times, a second apart.
    for (let attempt = 1; ; attempt++) {
      const exported = await kubeconfigTurn(() => cluster.$({ nothrow: true })`kind export kubeconfig --name ${cluster.kindName}`)
      if (exported.exitCode === 0) return
      if (!lostKubeconfigLock(exported.stderr) || attempt === 5) {
        const still = kubeconfigLockFile(exported.stderr)
        if (still) staleLock(cluster, still, rerun)
        fail(`[${cluster.name}] kind could not write context ${cluster.context}: ${exported.stderr.trim().split('\n').pop()}`, rerun)
      }
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
}

// A kind command that writes the kubeconfig, in its turn; a lock left behind is named with its fix.
async function writingKubeconfig(cluster: Cluster, then: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await kubeconfigTurn(run)
  } catch (error) {
    const lock = error instanceof CommandError ? kubeconfigLockFile(error.stderr) : undefined
    if (lock) staleLock(cluster, lock, then)
    throw error
  }
}

export async function exportKubeconfig(cluster: Cluster): Promise<void> {
  await writingKubeconfig(cluster, 'run make 01 again', () => cluster.$`kind export kubeconfig --name ${cluster.kindName}`)
}

// kind deletes the node even when it cannot lock the kubeconfig; a second delete of the
// (then missing) cluster removes its kubeconfig entries (pkg/cluster/internal/delete/delete.go).
export async function deleteKindCluster(cluster: Cluster): Promise<void> {
  await writingKubeconfig(cluster, `kind delete cluster --name ${cluster.kindName} (again: it removes the context it could not)`,
    () => cluster.$`kind delete cluster --name ${cluster.kindName}`)
}
