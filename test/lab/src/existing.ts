// Existing clusters: two clusters a user already has (GKE, EKS, ...), for the workbook's
// CLUSTER_PROVIDER=existing. Neither kind nor Docker knows them: each is a state file with
// what such a cluster has from the start (system namespaces, a node, DNS, a storage class,
// and its cloud's load balancer instead of MetalLB) and an entry in the kubeconfig under
// the cloud's own context name, pointing at its API server's own URL. The lab's tools then
// reach it at that URL, from the host and from the other cluster's pods alike.
//
// A test calls setUpExistingClusters(LAB_STATE, kubeconfig file); by hand:
//   LAB_STATE=... KUBECONFIG=... node test/lab/src/existing.ts
import { randomBytes } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { applyObject, reconcile } from './controllers.ts'
import { addEntries } from './kubeconfig.ts'
import { builtinKinds, type ClusterState, type Obj } from './model.ts'
import { namespace, serviceAccount, workload } from './objects.ts'
import { exists, files, stateDir, withLock, writeJsonAtomic } from './state.ts'

export interface ExistingClusterSpec {
  name: string                        // the cluster's name in its cloud (and its state file's)
  plays: string                       // which cluster of configuration.md it stands for: east, west
  context: string                     // its kubeconfig context (and cluster and user entry)
  server: string                      // its API server's URL
  loadBalancer: 'ip' | 'hostname'     // what its cloud's load balancer hands out
  region: string
  kubernetesVersion: string
  node: string
  storageClass: string                // its default StorageClass; '' for none
  user: Record<string, unknown>       // the kubeconfig user, as the cloud's CLI writes it
}

// East on GKE (public IPs for LoadBalancer Services), west on EKS (ELB host names). Their
// cloud names differ from the roles they play, so the lab cannot judge them by name.
export const defaultExistingClusters: readonly ExistingClusterSpec[] = [
  {
    name: 'demo-east',
    plays: 'east',
    context: 'gke_demo-project_europe-west1_demo-east',
    server: 'https://east.api.example.internal:443',
    loadBalancer: 'ip',
    region: 'europe-west1',
    kubernetesVersion: 'v1.32.4',
    node: 'gke-demo-east-default-pool-3f1c9a2b-k8x2',
    storageClass: 'standard-rwo',
    user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'gke-gcloud-auth-plugin', installHint: 'Install gke-gcloud-auth-plugin for use with kubectl', provideClusterInfo: true, interactiveMode: 'IfAvailable' } },
  },
  {
    name: 'demo-west',
    plays: 'west',
    context: 'arn:aws:eks:eu-west-1:123456789012:cluster/demo-west',
    server: 'https://0A1B2C3D4E5F60718293A4B5C6D7E8F9.gr7.eu-west-1.eks.amazonaws.com',
    loadBalancer: 'hostname',
    region: 'eu-west-1',
    kubernetesVersion: 'v1.31.7',
    node: 'ip-10-0-12-34.eu-west-1.compute.internal',
    storageClass: 'gp2',
    user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'demo-west', '--output', 'json'], interactiveMode: 'IfAvailable' } },
  },
]

function initialObjects(spec: ExistingClusterSpec): Obj[] {
  const objects: Obj[] = []
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    objects.push(namespace(ns))
    objects.push(serviceAccount('default', ns))
  }
  objects.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: spec.node, labels: { 'kubernetes.io/hostname': spec.node, 'topology.kubernetes.io/region': spec.region } }, spec: {} })
  objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { type: 'ClusterIP', clusterIP: '10.100.0.1', ports: [{ name: 'https', port: 443, targetPort: 443, protocol: 'TCP' }] } })
  objects.push(workload('Deployment', spec.loadBalancer === 'hostname' ? 'coredns' : 'kube-dns', 'kube-system', { 'k8s-app': 'kube-dns' }, [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.4' }]))
  // Its default StorageClass ('' : a cluster without one, where a PVC without a class stays Pending).
  if (spec.storageClass) objects.push({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: spec.storageClass, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: spec.loadBalancer === 'hostname' ? 'kubernetes.io/aws-ebs' : 'pd.csi.storage.gke.io' })
  return objects
}

const pem = () => Buffer.from(`-----BEGIN CERTIFICATE-----\n${randomBytes(48).toString('base64')}\n-----END CERTIFICATE-----\n`).toString('base64')

// Make the clusters (up and running for a day already) and add their contexts to the
// kubeconfig file. The last one's context becomes the current one, as the clouds' CLIs do.
export function setUpExistingClusters(dir: string, kubeconfig: string, specs: readonly ExistingClusterSpec[] = defaultExistingClusters, now = Date.now()): void {
  const since = now - 86_400_000
  for (const spec of specs) {
    const file = files.cluster(dir, spec.name)
    withLock(file, () => {
      if (exists(file)) throw new Error(`lab: a cluster named "${spec.name}" exists in ${dir} already`)
      const state: ClusterState = {
        name: spec.name, created: since, ready: since, nodeImage: spec.loadBalancer === 'hostname' ? 'Amazon Linux 2023' : 'Container-Optimized OS from Google',
        seq: 1, objects: {}, releases: {}, operators: {},
        existing: { server: spec.server, plays: spec.plays, context: spec.context, loadBalancer: spec.loadBalancer, region: spec.region, kubernetesVersion: spec.kubernetesVersion, node: spec.node },
      }
      for (const obj of initialObjects(spec)) applyObject(state, builtinKinds.find((k) => k.kind === obj.kind)!, obj, since, { owner: 'cloud', recordApplied: false })
      reconcile({ docker: { networks: {}, containers: {} }, clusters: { [spec.name]: state } }, state, since)
      writeJsonAtomic(file, state)
    })
  }
  addEntries(kubeconfig, specs.map((spec) => ({ name: spec.context, server: spec.server, ca: pem(), user: spec.user })), specs[specs.length - 1]?.context)
}

// By hand: the default pair, in $LAB_STATE and the first file of $KUBECONFIG.
const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : ''
if (invoked === import.meta.url) {
  const kubeconfig = (process.env.KUBECONFIG ?? '').split(':').find(Boolean)
  if (!kubeconfig) {
    process.stderr.write('lab: set KUBECONFIG to the kubeconfig file the existing clusters\' contexts go into\n')
    process.exit(1)
  }
  try {
    setUpExistingClusters(stateDir(), kubeconfig)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(1)
  }
  for (const spec of defaultExistingClusters) process.stdout.write(`${spec.plays}: context ${spec.context}, server ${spec.server}, load balancer gives ${spec.loadBalancer === 'ip' ? 'IPs' : 'host names'}\n`)
  process.stdout.write(`CLUSTER_PROVIDER=existing EAST_CONTEXT=${defaultExistingClusters[0]!.context} WEST_CONTEXT=${defaultExistingClusters[1]!.context} make demo\n`)
}
