// Which lab cluster a command talks to: its --context (or the current context) names a
// cluster whose server address is one of a lab cluster's: for a kind cluster
// https://127.0.0.1:<port> from the host, or https://<node IP>:6443 on the kind network;
// for an existing cluster, its own server URL. Anything else is refused, as a real client
// would be refused by no server. With Docker down, kind's clusters are gone with it, an
// existing cluster is not.
import { faults } from './faults.ts'
import { resolveContext } from './kubeconfig.ts'
import { loadWorld, sameServer, type ClusterState } from './model.ts'
import { ToolExit } from './state.ts'

export type Client = 'kubectl' | 'helm' | 'istioctl'

export function clusterAt(server: string, dockerDown = false): ClusterState | undefined {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    return undefined
  }
  const world = loadWorld()
  const existing = Object.values(world.clusters).find((c) => c.existing && sameServer(c.existing.server, server))
  if (existing || dockerDown) return existing
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const kind = Object.values(world.clusters).filter((c) => !c.existing)
  if (host === '127.0.0.1' || host === 'localhost') return kind.find((c) => String(c.apiPort) === url.port)
  const container = Object.values(world.docker.containers).find((c) => c.ip === host || c.ipv6 === host)
  return container && url.port === '6443' ? kind.find((c) => c.name === container.cluster) : undefined
}

function refused(client: Client, server: string): ToolExit {
  const hostPort = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
  switch (client) {
    case 'kubectl': return new ToolExit(1, `The connection to the server ${hostPort} was refused - did you specify the right host or port?`)
    case 'helm': return new ToolExit(1, `Error: Kubernetes cluster unreachable: Get "${server}/version": dial tcp ${hostPort}: connect: connection refused`)
    case 'istioctl': return new ToolExit(1, `Error: Get "${server}/api/v1/namespaces/istio-system": dial tcp ${hostPort}: connect: connection refused`)
  }
}

// The cluster behind a context, or the error the real client prints.
export function connect(client: Client, context: string | undefined, kubeconfig?: string): { cluster: string; context: string; namespace?: string } {
  const resolution = resolveContext(context, kubeconfig)
  if (!resolution.ok) {
    if (resolution.problem === 'no-context') {
      if (client === 'kubectl') throw new ToolExit(1, `error: context "${resolution.name}" does not exist`)
      if (client === 'helm') throw new ToolExit(1, `Error: Kubernetes cluster unreachable: context "${resolution.name}" does not exist`)
      throw new ToolExit(1, `Error: context "${resolution.name}" does not exist`)
    }
    if (resolution.problem === 'no-cluster') {
      throw new ToolExit(1, client === 'kubectl' ? `error: cluster has no server defined` : `Error: Kubernetes cluster unreachable: invalid configuration: cluster has no server defined`)
    }
    throw refused(client, 'http://localhost:8080')
  }
  const { server } = resolution.target
  const cluster = clusterAt(server, faults().dockerDown === true)
  if (!cluster) throw refused(client, server)
  return { cluster: cluster.name, context: resolution.target.context, namespace: resolution.target.namespace }
}
