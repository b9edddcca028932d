// Where the clusters come from. With "kind" (the default) the workbook creates them; with
// "existing" it uses two contexts the user names and never creates or deletes a cluster.
import type { Cluster } from './clusters.ts'
import { loadBalancerAddressOf } from './spire.ts'
import { renderTemplate } from './template.ts'
import { contextServer, listContexts, requireClusterContexts } from './contexts.ts'
import { fail } from './errors.ts'
import { controlPlaneAddress, deleteKindCluster, exportKubeconfig, kindClusters, requireDockerNodes } from './kind.ts'
import { note } from './output.ts'
import { waitForPodsUsingSpiffeCsiToGo } from './pods.ts'
import { askChoice, askYesNo } from './prompt.ts'
import { isDryRun } from './run.ts'
import { requireDefaultStorageClass } from './storage.ts'
import type { Workbook } from './step.ts'
import { isLocalOnly, urlHost } from './validate.ts'
import { truthy } from './flags.ts'

// Which clusters 01 must create. An existing kind cluster of the same name is reused
// unless the user chooses to recreate it: on a terminal by a prompt, else with
// --recreate (or RECREATE_CLUSTERS=1) together with --yes, since it deletes a cluster.
export async function prepareClusters(wb: Workbook): Promise<Cluster[]> {
  const toCreate = wb.config.values.provider === 'existing' ? await checkExistingClusters(wb) : await kindClustersToCreate(wb)
  // The choices passed every check: keep them for the steps that follow.
  wb.config.save()
  return toCreate
}

async function kindClustersToCreate(wb: Workbook): Promise<Cluster[]> {
  const { east, west } = wb
  requireDockerNodes()
  const recreate = wb.flags.switches.has('recreate') || truthy(process.env.RECREATE_CLUSTERS)
  const existing = await kindClusters(wb.$)
  // Every question first, then the deletes: nothing is removed while a question is open.
  const choices = new Map<Cluster, 'create' | 'reuse' | 'recreate'>()
  for (const cluster of [east, west]) {
    let choice: 'create' | 'reuse' | 'recreate' = !existing.includes(cluster.kindName) ? 'create' : recreate ? 'recreate' : 'reuse'
    if (choice !== 'create' && wb.interactive) {
      choice = await askChoice(`kind cluster ${cluster.kindName} exists already: reuse it, or delete and recreate it?`, ['reuse', 'recreate'] as const, choice)
    } else if (choice === 'recreate' && !wb.flags.yes) {
      fail(`recreating ${cluster.kindName} deletes it, and there is no terminal to ask`, 'add --yes to confirm (or leave out --recreate to reuse it)')
    }
    choices.set(cluster, choice)
  }
  await wb.both(async (cluster) => {
    if (choices.get(cluster) === 'recreate') await deleteKindCluster(cluster)
    if (choices.get(cluster) !== 'reuse') return
    note(cluster.name, `reusing kind cluster ${cluster.kindName}`)
    await restoreContext(cluster)
  })
  return [east, west].filter((cluster) => choices.get(cluster) !== 'reuse')
}

// A reused cluster whose context was removed from the kubeconfig gets it back from kind.
async function restoreContext(cluster: Cluster): Promise<void> {
  if (isDryRun() || (await listContexts()).includes(cluster.context)) return
  await exportKubeconfig(cluster)
}

// Existing clusters: both contexts exist and answer, and west's API server address is
// one east could use (checked here, before anything is installed, not first in 08).
// Nothing to create; 01 then checks their load balancers.
async function checkExistingClusters(wb: Workbook): Promise<Cluster[]> {
  if (!isDryRun()) requireClusterContexts([wb.east, wb.west], 'existing', await listContexts())
  await apiServerUrl(wb, wb.west)
  await wb.both(async (cluster) => {
    await cluster.$({ fix: `check that context ${cluster.context} points at a running cluster and that your credentials are valid` })`kubectl --context=${cluster.context} get --raw=/readyz`
    // SPIRE's server needs a volume (step 04): say now, not when spire-server-0 stays Pending.
    await requireDefaultStorageClass(cluster)
  })
  return []
}

// The API server address east's istiod uses to watch west. kind: the control-plane
// container's IP on the kind network (the kubeconfig's 127.0.0.1 address means nothing
// inside east). Existing clusters: the server URL of the context. WEST_API_SERVER
// overrides both.
export async function apiServerUrl(wb: Workbook, cluster: Cluster): Promise<string> {
  if (wb.config.values.westApiServer) return wb.config.values.westApiServer
  if (wb.config.values.provider === 'kind') return `https://${urlHost(await controlPlaneAddress(cluster))}:6443`
  const server = isDryRun() ? `https://${cluster.name}.example.com:6443` : await contextServer(cluster.context)
  if (isLocalOnly(new URL(server).hostname)) {
    fail(`context ${cluster.context} reaches its API server at ${server}, an address that only works from this machine; ${cluster.other.name}'s istiod could not use it`,
      `set WEST_API_SERVER to the URL ${cluster.other.name}'s pods reach ${cluster.name}'s API server at (for k3d: the server container's IP on their shared network, port 6443)`)
  }
  return server
}

// What a dry run shows instead of a real remote secret: the same shape, no credential.
export function standInRemoteSecret(cluster: Cluster, server: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: istio-remote-secret-${cluster.name}
  namespace: istio-system
  annotations:
    networking.istio.io/cluster: ${cluster.name}
  labels:
    istio/multiCluster: "true"
type: Opaque
stringData:
  ${cluster.name}: |
    apiVersion: v1
    kind: Config
    clusters:
      - name: ${cluster.name}
        cluster:
          server: ${server}
    contexts:
      - name: ${cluster.name}
        context:
          cluster: ${cluster.name}
          user: ${cluster.name}
    current-context: ${cluster.name}
    users:
      - name: ${cluster.name}
        user:
          token: stand-in-not-a-credential
`
}

// 99: remove what the workbook made. kind: the two clusters, after asking (or --yes).
// Existing clusters are never deleted: only what the workbook installed in them goes.
export async function removeWorkbookClusters(wb: Workbook): Promise<void> {
  const { east, west } = wb
  const existingProvider = wb.config.values.provider === 'existing'
  const what = existingProvider
    ? `what the workbook installed in contexts ${east.context} and ${west.context} (the sample apps, the remote secret and the token it holds, federation, ` +
      `SPIRE's releases, CRDs and data volume, the namespaces spire and istio-system) and all of Istio in them (istioctl uninstall --purge)`
    : `kind clusters ${east.kindName} and ${west.kindName}`
  if (!wb.dryRun) {
    if (wb.interactive) {
      if (!(await askYesNo(`Delete ${what}?`, false))) {
        note(undefined, 'nothing deleted')
        return
      }
    } else if (!wb.flags.yes) {
      fail(`cleanup deletes ${what}, and there is no terminal to ask`, 'run it again with --yes (make clean YES=1) to confirm')
    }
  }
  if (existingProvider) {
    await wb.both((cluster) => uninstallWorkbook(wb, cluster))
    return
  }
  const existing = await kindClusters(wb.$, [east.kindName, west.kindName])
  await wb.both(async (cluster) => {
    if (!existing.includes(cluster.kindName)) {
      note(cluster.name, `kind cluster ${cluster.kindName} does not exist: nothing to delete`)
      return
    }
    await deleteKindCluster(cluster)
  })
}

// Existing clusters: take out what the steps put in, newest first, until nothing the
// workbook made is left. Two orders matter: custom resources go while their definitions
// exist (a kind that was never installed, after a demo that stopped early or a second
// cleanup, is skipped), and the pods that mount SPIRE's CSI volume (the sample apps, the
// east-west gateway) are gone before SPIRE's CSI driver is: without the driver the kubelet
// cannot unmount their volumes and they stay Terminating.
async function uninstallWorkbook(wb: Workbook, cluster: Cluster): Promise<void> {
  const ctx = cluster.context
  if (await kindInstalled(cluster, 'destinationrules.networking.istio.io')) {
    await cluster.$`kubectl --context=${ctx} delete destinationrule allow-federated-trust-domain -n default --ignore-not-found`
  }
  // The sample apps, by the manifests that created them (curl only ever ran in east).
  const apps = [wb.handOver(cluster, 'helloworld', renderTemplate('helloworld.yaml'))]
  if (cluster.role === 'east') apps.push(wb.handOver(cluster, 'curl', renderTemplate('curl.yaml')))
  await cluster.$`kubectl --context=${ctx} delete ${apps.flatMap((file) => ['-f', file])} -n default --ignore-not-found`
  await cluster.$`kubectl --context=${ctx} label namespace default istio-injection-`
  await cluster.$`kubectl --context=${ctx} delete secret ${`istio-remote-secret-${cluster.other.name}`} -n istio-system --ignore-not-found`
  // The token istioctl create-remote-secret made in west (step 08) for east's istiod: revoked first.
  if (cluster.role === 'west') await cluster.$`kubectl --context=${ctx} delete secret istio-reader-service-account-istio-remote-secret-token -n istio-system --ignore-not-found`
  await cluster.$`istioctl --context=${ctx} uninstall --purge -y`
  await waitForPodsUsingSpiffeCsiToGo(cluster)
  if (await kindInstalled(cluster, 'clusterfederatedtrustdomains.spire.spiffe.io')) {
    await cluster.$`kubectl --context=${ctx} delete clusterfederatedtrustdomain ${cluster.other.name} --ignore-not-found`
  }
  // helm uninstall --ignore-not-found needs Helm 3.13; asking first works from 3.7 on.
  const releases = (await cluster.$({ standIn: 'spire\nspire-crds' })`helm --kube-context=${ctx} list -A -q`).stdout.split('\n').map((r) => r.trim())
  if (releases.includes('spire')) await cluster.$`helm --kube-context=${ctx} uninstall spire -n spire`
  // The server's volume (its CA keys, and a datastore with the other side's bundle)
  // outlives its StatefulSet: Kubernetes keeps a StatefulSet's claims.
  await cluster.$`kubectl --context=${ctx} delete pvc spire-data-spire-server-0 -n spire --ignore-not-found`
  // spire-crds marks its CRDs helm.sh/resource-policy: keep, so uninstalling it leaves them.
  if (releases.includes('spire-crds')) await cluster.$`helm --kube-context=${ctx} uninstall spire-crds`
  await cluster.$`kubectl --context=${ctx} delete crd ${spireCrds} --ignore-not-found`
  // Helm (--create-namespace) and istioctl leave the namespaces they made; what is left in them is ours.
  await cluster.$`kubectl --context=${ctx} delete namespace spire istio-system --ignore-not-found`
}

const spireCrds = ['clusterfederatedtrustdomains.spire.spiffe.io', 'clusterspiffeids.spire.spiffe.io', 'clusterstaticentries.spire.spiffe.io']

async function kindInstalled(cluster: Cluster, crd: string): Promise<boolean> {
  const found = await cluster.$({ standIn: `customresourcedefinition.apiextensions.k8s.io/${crd}` })`kubectl --context=${cluster.context} get crd ${crd} --ignore-not-found -o name`
  return found.stdout.trim() !== ''
}

// A throwaway LoadBalancer Service: if it gets an address, SPIRE's will too.
export async function checkLoadBalancer(wb: Workbook, cluster: Cluster): Promise<void> {
  const service = wb.handOver(cluster, 'lb-check', renderTemplate('lb-check.yaml'))
  await cluster.$`kubectl --context=${cluster.context} apply -f ${service}`
  try {
    await loadBalancerAddressOf(cluster, 'workbook-lb-check', 'default', 'a LoadBalancer address for a test Service',
      `the SPIRE bundle endpoints need LoadBalancer addresses the other cluster can reach; install a load balancer (MetalLB, or your cloud's) in context ${cluster.context}`)
  } finally {
    await cluster.$`kubectl --context=${cluster.context} delete -f ${service} --ignore-not-found`
  }
}
