// The kind cluster provider: what kind and Docker know about the clusters the workbook
// creates. The commands that change anything stay in scripts/01-clusters.ts and 99-cleanup.ts.
import type { Cluster } from './clusters.ts'
import { standIns } from './defaults.ts'
import { ipv4Gateway } from './network.ts'
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

// West's API server as east's istiod reaches it: the control-plane container's IP on the
// kind network. The kubeconfig keeps kind's own (host) address, which Docker Desktop needs.
export async function controlPlaneAddress(cluster: Cluster): Promise<string> {
  const { stdout } = await cluster.$({ standIn: standIns.apiServerIp(cluster.ipSpace) })`docker inspect -f ${'{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'} ${`${cluster.kindName}-control-plane`}`
  return check.address(stdout, `the IP of container ${cluster.kindName}-control-plane`,
    `check that the cluster runs: docker ps --filter name=${cluster.kindName}`)
}
