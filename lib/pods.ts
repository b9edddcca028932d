// Pods that mount a CSI driver's volumes, and a wait until there are none. The kubelet
// needs the driver to unmount such a volume; a pod whose driver is uninstalled first stays
// Terminating. So cleanup waits for them to be gone before it removes SPIRE's CSI driver.
import type { Cluster } from './clusters.ts'
import { probeTimeout, waitFor } from './wait.ts'

export const spiffeCsiDriver = 'csi.spiffe.io'

// The pods (namespace/name) in a `kubectl get pods -o json` list that have a volume of `driver`.
export function podsUsingCsiDriver(listJson: string, driver: string): string[] {
  let list: { items?: Array<{ metadata?: { name?: string; namespace?: string }; spec?: { volumes?: Array<{ csi?: { driver?: string } }> } }> }
  try {
    list = JSON.parse(listJson)
  } catch {
    return []
  }
  return (list.items ?? [])
    .filter((pod) => (pod.spec?.volumes ?? []).some((volume) => volume?.csi?.driver === driver))
    .map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`)
}

export async function waitForPodsUsingSpiffeCsiToGo(cluster: Cluster): Promise<void> {
  let polls = 0
  let seen = ''
  await waitFor(cluster.name, `the pods that mount SPIRE's CSI volume to be gone`, 'podsGone', async () => {
    const result = await cluster.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn: '{"items": []}' })`kubectl --context=${cluster.context} get pods -A -o json`
    if (result.exitCode !== 0) {
      seen = result.stderr.trim()
      return undefined
    }
    const left = podsUsingCsiDriver(result.stdout, spiffeCsiDriver)
    seen = left.length ? `still there: ${left.join(', ')}` : ''
    return left.length === 0 ? true : undefined
  }, `see why they do not go: kubectl --context=${cluster.context} describe pod -n <namespace> <pod>; SPIRE is removed only after them, so that its CSI driver can unmount their volumes`, () => seen)
}

// The pod a workload runs now, from a `kubectl get pods -l ... -o json` list: the newest one
// that is not on its way out (a rollout leaves the old one Terminating for a while).
export interface CurrentPod {
  name: string
  uid: string
  serviceAccount: string
  node: string
}

export function currentPod(listJson: string): CurrentPod | undefined {
  let list: { items?: Array<{ metadata?: { name?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string }; spec?: { serviceAccountName?: string; nodeName?: string } }> }
  try {
    list = JSON.parse(listJson)
  } catch {
    return undefined
  }
  const pod = (list.items ?? [])
    .filter((item) => !item.metadata?.deletionTimestamp)
    .sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0]
  return pod?.metadata?.name ? { name: pod.metadata.name, uid: String(pod.metadata.uid ?? ''), serviceAccount: pod.spec?.serviceAccountName ?? 'default', node: pod.spec?.nodeName ?? '' } : undefined
}
