// What each role of the demo must hold, fixed here from configuration.md and the upstream
// sources, never from the workbook's files: the lab judges what was applied against this
// table (trust domains, meshes, networks, names, namespaces, pinned charts and images), so
// a workbook that misspells a trust domain or installs another chart version fails here
// even when its own files agree with each other.
//
// A kind cluster plays the role whose kind name it has (cluster-east plays east); an
// existing cluster plays the role it was set up with (its own name is its cloud's). A
// cluster of any other name plays no role, and whatever needs one fails with that reason.
import type { ClusterState } from './model.ts'

export type Role = 'east' | 'west'

export interface Chart {
  name: string
  version: string
  release: string
  namespace: string
}

export interface Expected {
  role: Role
  other: Role
  kindName: string       // configuration.md, "Clusters (kind)": cluster-east, cluster-west
  context: string        // kind names a cluster's context kind-<name>
  trustDomain: string    // configuration.md, "SPIRE Helm values": global.spire.trustDomain <c>.local
  clusterName: string    // global.spire.clusterName and values.global.multiCluster.clusterName: <c>
  meshId: string         // values.global.meshID: <c>-mesh
  network: string        // values.global.network and the gateway's topology.istio.io/network: <c>-network
}

const entry = (role: Role, other: Role): Expected => ({
  role,
  other,
  kindName: `cluster-${role}`,
  context: `kind-cluster-${role}`,
  trustDomain: `${role}.local`,
  clusterName: role,
  meshId: `${role}-mesh`,
  network: `${role}-network`,
})

export const roles: Record<Role, Expected> = {
  east: entry('east', 'west'),
  west: entry('west', 'east'),
}

// The same for both roles.
export const pinned = {
  // configuration.md, "Versions and sources": spire-crds 0.5.0 (release spire-crds, default
  // namespace) and spire 0.24.0 (release spire, namespace spire), from this repository.
  helmRepository: 'https://spiffe.github.io/helm-charts-hardened',
  charts: {
    spireCrds: { name: 'spire-crds', version: '0.5.0', release: 'spire-crds', namespace: 'default' },
    spire: { name: 'spire', version: '0.24.0', release: 'spire', namespace: 'spire' },
  } satisfies Record<string, Chart>,
  // kubernetes-sigs/kind v0.31.0, pkg/apis/config/defaults/image.go: the node image that
  // release was built with, pinned by digest (configuration.md: a digest-pinned image is
  // guaranteed only with the kind release that built it). Kubernetes 1.35 is the newest both
  // supported Istio minors support (istio/istio.io data/compatibility/supportStatus.yml:
  // 1.29 supports 1.31 to 1.35, 1.30 supports 1.32 to 1.36).
  nodeImage: 'kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f',
  // The MetalLB release Istio's kind helper installs (istio/istio 1.30.3,
  // samples/kind-lb/setupkind.sh: v0.14.9), which configuration.md names; its images from
  // metallb/metallb v0.14.9, config/manifests/metallb-native.yaml.
  metallb: { release: 'v0.14.9', controllerImage: 'quay.io/metallb/controller:v0.14.9', speakerImage: 'quay.io/metallb/speaker:v0.14.9' },
  namespaces: {
    // metallb/metallb v0.14.9: the manifest installs into metallb-system, and the controller
    // watches pools and advertisements in that namespace only (internal/k8s/k8s.go).
    metallb: 'metallb-system',
    spire: 'spire',
    istio: 'istio-system',
    // configuration.md, "Sample workloads": helloworld, curl and the DestinationRule.
    apps: 'default',
  },
  // configuration.md, "Sample workloads": v1 runs in east, v2 in west, curl in east.
  helloworld: { v1: 'east', v2: 'west' } as Record<'v1' | 'v2', Role>,
  curl: 'east' as Role,
} as const

export function isRole(value: unknown): value is Role {
  return value === 'east' || value === 'west'
}

// The role a lab cluster plays, if any.
export function roleOf(state: Pick<ClusterState, 'name' | 'existing'>): Role | undefined {
  if (state.existing) return isRole(state.existing.plays) ? state.existing.plays : undefined
  return Object.values(roles).find((r) => r.kindName === state.name)?.role
}

export function expectedOf(state: Pick<ClusterState, 'name' | 'existing'>): Expected | undefined {
  const role = roleOf(state)
  return role ? roles[role] : undefined
}

// Why a cluster cannot be judged: it plays no role of the table.
export function noRole(state: Pick<ClusterState, 'name'>): string {
  return `cluster ${state.name} plays no role the lab knows (configuration.md names kind clusters ${roles.east.kindName} and ${roles.west.kindName})`
}
