// Context lookup: which kubeconfig contexts exist, read through @kubernetes/client-node's
// KubeConfig from the files kubectl would read (KUBECONFIG, else ~/.kube/config).
// The walkthrough greps `kubectl config get-contexts -o name`; we match the exact name, and
// when it is missing we list the contexts that do exist.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fail } from './errors.ts'

export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(env.HOME ?? homedir(), '.kube', 'config')]
  // kubectl skips files that do not exist; so do we.
  return listed.filter((file) => existsSync(file))
}

// Loaded lazily: @kubernetes/client-node takes a third of a second to import.
async function loadKubeConfigs(env: NodeJS.ProcessEnv) {
  const { KubeConfig } = await import('@kubernetes/client-node')
  return kubeconfigFiles(env).map((file) => {
    const config = new KubeConfig()
    try {
      config.loadFromFile(file)
    } catch (error) {
      fail(`the kubeconfig ${file} cannot be read: ${(error as Error).message}`, 'fix or move that file, or point KUBECONFIG at a good one')
    }
    return config
  })
}

// Context names in kubectl's order: the first file that names a context wins.
export async function listContexts(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const names: string[] = []
  for (const config of await loadKubeConfigs(env)) {
    for (const context of config.getContexts()) if (!names.includes(context.name)) names.push(context.name)
  }
  return names
}

// The API server URL a context points at (existing clusters hand it to the remote secret).
export async function contextServer(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  for (const config of await loadKubeConfigs(env)) {
    const context = config.getContextObject(name)
    if (!context) continue
    const server = config.getCluster(context.cluster)?.server
    if (server) return server
  }
  return fail(`context "${name}" names no cluster with a server address`, 'check the kubeconfig with `kubectl config view`')
}

export function requireContext(wanted: string, available: string[], cluster: string, fix: string): string {
  if (available.includes(wanted)) return wanted
  const listing = available.length > 0 ? `the kubeconfig has: ${available.join(', ')}` : 'the kubeconfig has no contexts at all'
  return fail(`there is no kubeconfig context "${wanted}" for the ${cluster} cluster (${listing})`, fix)
}
