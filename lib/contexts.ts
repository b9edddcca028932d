// Context lookup: which kubeconfig contexts exist, in the files kubectl would read
// (KUBECONFIG, else ~/.kube/config). The walkthrough greps `kubectl config get-contexts
// -o name`; we match the exact name, and when it is missing we list the contexts that do.
//
// The entries are read by @kubernetes/client-node's own kubeconfig parser (the one its
// KubeConfig class uses). We import that module alone: the package's main entry takes
// about 0.3 s to load, more than the rest of a step's start-up, and every step looks up
// its contexts.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { newClusters, newContexts, type Cluster, type Context } from '@kubernetes/client-node/dist/config_types.js'
import { parse } from 'yaml'
import { fail } from './errors.ts'

export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(env.HOME ?? homedir(), '.kube', 'config')]
  // kubectl skips files that do not exist; so do we.
  return listed.filter((file) => existsSync(file))
}

interface KubeconfigFile {
  contexts: Context[]
  clusters: Cluster[]
}

function loadKubeconfigs(env: NodeJS.ProcessEnv): KubeconfigFile[] {
  return kubeconfigFiles(env).map((file) => {
    try {
      const document = parse(readFileSync(file, 'utf8')) ?? {}
      return { contexts: newContexts(document.contexts), clusters: newClusters(document.clusters) }
    } catch (error) {
      return fail(`the kubeconfig ${file} cannot be read: ${(error as Error).message}`, 'fix or move that file, or point KUBECONFIG at a good one')
    }
  })
}

// Context names in kubectl's order: the first file that names a context wins.
export async function listContexts(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const names: string[] = []
  for (const config of loadKubeconfigs(env)) {
    for (const context of config.contexts) if (!names.includes(context.name)) names.push(context.name)
  }
  return names
}

// The API server URL a context points at (existing clusters hand it to the remote secret).
export async function contextServer(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configs = loadKubeconfigs(env)
  const context = configs.flatMap((config) => config.contexts).find((c) => c.name === name)
  const server = context && configs.flatMap((config) => config.clusters).find((c) => c.name === context.cluster)?.server
  return server || fail(`context "${name}" names no cluster with a server address`, 'check the kubeconfig with `kubectl config view`')
}

export function requireContext(wanted: string, available: string[], cluster: string, fix: string): string {
  if (available.includes(wanted)) return wanted
  const listing = available.length > 0 ? `the kubeconfig has: ${available.join(', ')}` : 'the kubeconfig has no contexts at all'
  return fail(`there is no kubeconfig context "${wanted}" for the ${cluster} cluster (${listing})`, fix)
}

// Both clusters' contexts must exist; the fix depends on who makes the clusters.
export function requireClusterContexts(clusters: ClusterNames[], provider: 'kind' | 'existing', available: string[]): void {
  for (const cluster of clusters) {
    requireContext(cluster.context, available, cluster.name, provider === 'kind'
      ? 'create the clusters first: make 01 (node scripts/01-clusters.ts)'
      : `set ${cluster.role === 'east' ? 'EAST_CONTEXT' : 'WEST_CONTEXT'} to one of the contexts listed`)
  }
}

interface ClusterNames {
  role: 'east' | 'west'
  name: string
  context: string
}
