// East and west: everything about a cluster that follows from its short name.
// Trust domain, mesh, network and kind's names all derive from it, so changing a name
// (EAST_NAME, WEST_NAME) changes them together.
import type { Choices } from './config.ts'
import { shell, type Shell } from './run.ts'

export type Role = 'east' | 'west'

export interface Cluster {
  role: Role               // what the cluster does in the demo: east calls, west answers too
  name: string             // short name: east, west
  kindName: string         // kind's cluster name: cluster-east
  context: string          // kubeconfig context: kind-cluster-east
  trustDomain: string      // east.local
  meshId: string           // east-mesh
  network: string          // east-network
  ipSpace: number          // third octet of its MetalLB pool
  $: Shell                 // runs a command, its output tagged with the cluster's name
  other: Cluster
}

export function clustersFrom(choices: Choices): { east: Cluster; west: Cluster } {
  const make = (role: Role, name: string, ipSpace: number, context: string): Cluster => ({
    role,
    name,
    kindName: `cluster-${name}`,
    context: choices.provider === 'kind' ? `kind-cluster-${name}` : context,
    trustDomain: `${name}.local`,
    meshId: `${name}-mesh`,
    network: `${name}-network`,
    ipSpace,
    $: shell(name),
    other: undefined as unknown as Cluster,
  })
  const east = make('east', choices.eastName, choices.eastIpSpace, choices.eastContext)
  const west = make('west', choices.westName, choices.westIpSpace, choices.westContext)
  east.other = west
  west.other = east
  return { east, west }
}

// Work on east and west at once. If one side fails, the other is let finish (its output
// stays readable), then the first failure is raised.
export async function forBoth<T>(clusters: { east: Cluster; west: Cluster }, work: (cluster: Cluster) => Promise<T>): Promise<[T, T]> {
  const [east, west] = await Promise.allSettled([work(clusters.east), work(clusters.west)])
  if (east.status === 'rejected') throw east.reason
  if (west.status === 'rejected') throw west.reason
  return [east.value, west.value]
}
