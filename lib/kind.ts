// The kind cluster provider: what kind and Docker know about the clusters the workbook
// creates. The commands that change anything stay in scripts/01-clusters.ts and 99-cleanup.ts.
import type { Cluster } from './clusters.ts'
import { fail } from './errors.ts'
import { CommandError } from './run.ts'
import { note } from './output.ts'
import { standIns } from './defaults.ts'
import { ipv4Gateway, ipv4Subnet } from './network.ts'
import type { Shell } from './run.ts'
import * as check from './validate.ts'

// `kind get clusters` prints one name a line, or "No kind clusters found." on stderr.
export function parseKindClusters(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('No kind clusters'))
}

// A dry run pretends the clusters named in `dryRunShows` exist.
export async function kindClusters($: Shell, dryRunShows: string[] = []): Promise<string[]> {
  return parseKindClusters((await $({ standIn: dryRunShows.join('\n') })`kind get clusters`).stdout)
}

// The first two octets of the kind network's IPv4 gateway make the start of every pool.
export async function kindNetworkGateway($: Shell): Promise<string> {
  const { stdout } = await $({ standIn: standIns.kindGateway })`docker network inspect kind -f ${'{{range .IPAM.Config}}{{.Gateway}} {{end}}'}`
  return ipv4Gateway(stdout)
}

export async function kindNetworkSubnet($: Shell): Promise<string | undefined> {
  const { stdout } = await $({ standIn: standIns.kindSubnet })`docker network inspect kind -f ${'{{range .IPAM.Config}}{{.Subnet}} {{end}}'}`
  return ipv4Subnet(stdout)
}

// West's API server as east's istiod reaches it: the control-plane container's IP on the
// kind network. The kubeconfig keeps kind's own (host) address, which Docker Desktop needs.
export async function controlPlaneAddress(cluster: Cluster): Promise<string> {
  // The walkthrough ranges over every network; a node on two would print two IPs joined.
  const { stdout } = await cluster.$({ standIn: standIns.apiServerIp(cluster.ipSpace) })`docker inspect -f ${'{{(index .NetworkSettings.Networks "kind").IPAddress}}'} ${`${cluster.kindName}-control-plane`}`
  return check.address(stdout, `the IP of container ${cluster.kindName}-control-plane`,
    `check that the cluster runs: docker ps --filter name=${cluster.kindName}`)
}

// kind guards the kubeconfig with a lock file it does not retry on: two kind commands
// that write the kubeconfig at the same moment make one fail ("failed to lock config
// file"). Ours take turns; a create that still loses the race (it writes at its very
// end, and both run at once) has made its cluster, so only the context is written again.
let kubeconfigQueue: Promise<unknown> = Promise.resolve()
export function kubeconfigTurn<T>(work: () => Promise<T>): Promise<T> {
  const turn = kubeconfigQueue.then(work, work)
  kubeconfigQueue = turn.catch(() => undefined)
  return turn
}

export function lostKubeconfigLock(stderr: string): boolean {
  return /failed to lock config file/.test(stderr)
}

export async function createKindCluster(cluster: Cluster, configFile: string): Promise<void> {
  try {
    await cluster.$({ fix: `see the full log; leftovers of an earlier attempt go with: kind delete cluster --name ${cluster.kindName}` })`kind create cluster --name ${cluster.kindName} --config ${configFile}`
  } catch (error) {
    if (!(error instanceof CommandError) || !lostKubeconfigLock(error.stderr)) throw error
    note(cluster.name, `kind could not lock the kubeconfig while the other cluster wrote it; writing context ${cluster.context} again`)
    // The other create may still hold the lock: try a few times, a second apart.
    for (let attempt = 1; ; attempt++) {
      const exported = await kubeconfigTurn(() => cluster.$({ nothrow: true })`kind export kubeconfig --name ${cluster.kindName}`)
      if (exported.exitCode === 0) return
      if (!lostKubeconfigLock(exported.stderr) || attempt === 5) {
        fail(`[${cluster.name}] kind could not write context ${cluster.context}: ${exported.stderr.trim().split('\n').pop()}`,
          'run make 01 again: it reuses the cluster and writes its context')
      }
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
}

export async function deleteKindCluster(cluster: Cluster): Promise<void> {
  await kubeconfigTurn(() => cluster.$`kind delete cluster --name ${cluster.kindName}`)
}
