// Storage on clusters the user brings: SPIRE's server keeps its keys and datastore on a
// PersistentVolumeClaim without a storage class (chart spire 0.24.0, persistence.type pvc),
// so the cluster needs a default StorageClass, or spire-server-0 stays Pending.
import type { Cluster } from './clusters.ts'
import { fail } from './errors.ts'

const defaultAnnotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class']

// The default StorageClass in a `kubectl get storageclass -o json` list, if there is one.
export function defaultStorageClass(listJson: string): string | undefined {
  let list: { items?: Array<{ metadata?: { name?: string; annotations?: Record<string, string> } }> }
  try {
    list = JSON.parse(listJson)
  } catch {
    return undefined
  }
  return (list.items ?? []).find((sc) => defaultAnnotations.some((a) => sc.metadata?.annotations?.[a] === 'true'))?.metadata?.name
}

export async function requireDefaultStorageClass(cluster: Cluster): Promise<void> {
  const standIn = '{"items": [{"metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}]}'
  const { stdout } = await cluster.$({ standIn, fix: `check your access to context ${cluster.context}` })`kubectl --context=${cluster.context} get storageclass -o json`
  if (defaultStorageClass(stdout)) return
  fail(`context ${cluster.context} has no default StorageClass: SPIRE's server keeps its keys and datastore on a PersistentVolumeClaim that asks for none, so spire-server-0 would stay Pending`,
    `make one the default: kubectl --context=${cluster.context} patch storageclass <name> -p '{"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}' (kubectl --context=${cluster.context} get storageclass lists them), or install a storage provisioner`)
}
