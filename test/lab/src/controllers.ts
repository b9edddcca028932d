// What the clusters' controllers do, modelled: objects are stored the way the API server
// stores them; workloads get pods (injected by Istio when its webhook is there); MetalLB
// gives LoadBalancer Services addresses from a pool; and everything becomes Ready at a
// time computed from when it was made and what it waits for (Infinity: never, with the
// reason a real cluster would show). An existing cluster's cloud gives LoadBalancer
// Services an IP or a host name of its own, without MetalLB.
import { createHash, randomUUID } from 'node:crypto'
import { pinned } from './expected.ts'
import { faults } from './faults.ts'
import { injectPod } from './istio.ts'
import { addressesIn, poolRanges } from './metallb.ts'
import {
  clone, deepEqual, find, isPlainObject, list, objectKey, randomSuffix, threeWay,
  type ClusterState, type Existing, type KindInfo, type Obj, type Stored, type World,
} from './model.ts'
import { randomHex, randomInt } from './random.ts'
import { reconcileFederation } from './spire.ts'
import { scaled, type Duration } from './timing.ts'

export type ApplyResult = 'created' | 'configured' | 'unchanged'

const bookkeeping = ['uid', 'creationTimestamp', 'resourceVersion', 'generation', 'managedFields'] as const

function contentOf(obj: Obj): Obj {
  const copy = clone(obj)
  for (const field of bookkeeping) delete copy.metadata?.[field]
  delete copy.status
  return copy
}

// What the API server makes of an object it is given.
export function normalize(info: KindInfo, obj: Obj, namespace: string | undefined): Obj {
  const copy = clone(obj)
  copy.metadata ??= {}
  if (info.namespaced) copy.metadata.namespace = copy.metadata.namespace ?? namespace ?? 'default'
  else delete copy.metadata.namespace
  delete copy.status
  if (info.kind === 'Secret' && isPlainObject(copy.stringData)) {
    copy.data = { ...(copy.data ?? {}) }
    for (const [key, value] of Object.entries(copy.stringData)) copy.data[key] = Buffer.from(String(value)).toString('base64')
    delete copy.stringData
  }
  for (const field of ['labels', 'annotations']) {
    if (isPlainObject(copy.metadata[field])) {
      for (const [key, value] of Object.entries(copy.metadata[field])) copy.metadata[field][key] = String(value)
    }
  }
  return copy
}

// Create or update one object, kubectl-apply style (three-way merge against `base`, the
// configuration applied last time). Returns what kubectl would print after the name.
export function applyObject(state: ClusterState, info: KindInfo, desired: Obj, now: number, options: { owner?: string; namespace?: string; recordApplied?: boolean } = {}): ApplyResult {
  const obj = normalize(info, desired, options.namespace)
  const key = objectKey(info, obj.metadata.namespace, obj.metadata.name)
  const existing = state.objects[key]
  if (!existing) {
    state.seq++
    obj.metadata = { ...obj.metadata, uid: randomUUID(), creationTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), resourceVersion: String(state.seq) }
    if (obj.spec !== undefined) obj.metadata.generation = 1
    if (info.kind === 'Service') {
      obj.spec ??= {}
      obj.spec.clusterIP ??= `10.96.${randomInt(0, 255)}.${randomInt(1, 254)}`
      obj.spec.type ??= 'ClusterIP'
    }
    state.objects[key] = { obj, meta: { created: now, updated: now, owner: options.owner, lastApplied: options.recordApplied === false ? undefined : contentOf(obj) } }
    return 'created'
  }
  const merged = threeWay(existing.obj, existing.meta.lastApplied, obj)
  if (info.kind === 'Service') {
    merged.spec ??= {}
    merged.spec.clusterIP ??= existing.obj.spec?.clusterIP
    merged.spec.type ??= 'ClusterIP'
  }
  existing.meta.lastApplied = options.recordApplied === false ? existing.meta.lastApplied : contentOf(obj)
  if (options.owner) existing.meta.owner = options.owner
  return store(state, existing, merged, now) ? 'configured' : 'unchanged'
}

// Replace a stored object's content (a patch, a label); true when anything changed.
export function store(state: ClusterState, existing: Stored, next: Obj, now: number): boolean {
  if (deepEqual(contentOf(existing.obj), contentOf(next))) return false
  const specChanged = !deepEqual(existing.obj.spec, next.spec)
  state.seq++
  next.metadata = { ...next.metadata }
  for (const field of bookkeeping) if (existing.obj.metadata?.[field] !== undefined) next.metadata[field] = existing.obj.metadata[field]
  next.metadata.resourceVersion = String(state.seq)
  if (specChanged && next.metadata.generation !== undefined) next.metadata.generation = Number(next.metadata.generation) + 1
  existing.obj = next
  existing.meta.updated = now
  return true
}

export function deleteObject(state: ClusterState, key: string, now = Date.now()): boolean {
  const stored = state.objects[key]
  if (!stored) return false
  delete state.objects[key]
  // A pod is not gone at once: it terminates (see terminate()).
  if (stored.obj.kind === 'Pod') terminate(state, key, stored, now)
  // what it owned goes with it (pods of a workload, which terminate)
  for (const [other, s] of Object.entries(state.objects)) {
    if (s.meta.owner !== key) continue
    delete state.objects[other]
    if (s.obj.kind === 'Pod') terminate(state, other, s, now)
  }
  // The API server deletes a namespace's objects with it, and a CRD's custom resources.
  if (stored.obj.kind === 'Namespace') {
    for (const other of Object.keys(state.objects)) if (other.split('|')[2] === stored.obj.metadata?.name) deleteObject(state, other, now)
  }
  // The SPIRE server's keys and datastore are on this volume: with it, they are gone.
  if (stored.obj.kind === 'PersistentVolumeClaim' && stored.meta.spireData) delete state.spire
  if (stored.obj.kind === 'CustomResourceDefinition') {
    const prefix = `${stored.obj.spec?.group}|${stored.obj.spec?.names?.kind}|`
    for (const other of Object.keys(state.objects)) if (other.startsWith(prefix)) deleteObject(state, other)
  }
  return true
}

const workloadKinds = ['Deployment', 'DaemonSet', 'StatefulSet']

export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template ?? {})).digest('hex').slice(0, 10)
}

// The controllers: run after every change to a cluster.
export function reconcile(world: World, state: ClusterState, now: number): void {
  for (const [key, workload] of Object.entries(state.objects)) {
    const [group, kind, namespace, name] = key.split('|') as [string, string, string, string]
    if (group !== 'apps' || !workloadKinds.includes(kind)) continue
    const template = workload.obj.spec?.template ?? {}
    const hash = templateHash(template)
    const owned = Object.entries(state.objects).filter(([, s]) => s.meta.owner === key && s.obj.kind === 'Pod')
    if (owned.some(([, pod]) => pod.meta.hash === hash)) continue
    const created = injectPod(world, state, namespace, template)
    if ('error' in created) {
      workload.meta.createError = created.error
      continue
    }
    delete workload.meta.createError
    for (const [podKey] of owned) delete state.objects[podKey]
    const podName = kind === 'StatefulSet' ? `${name}-0` : kind === 'DaemonSet' ? `${name}-${randomSuffix(5)}` : `${name}-${hash}-${randomSuffix(5)}`
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        labels: { ...(created.pod.metadata?.labels ?? {}), ...(kind === 'Deployment' ? { 'pod-template-hash': hash } : {}) },
        annotations: created.pod.metadata?.annotations ?? {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: kind === 'Deployment' ? 'ReplicaSet' : kind, name: kind === 'Deployment' ? `${name}-${hash}` : name, controller: true }],
      },
      spec: { serviceAccountName: 'default', ...created.pod.spec, nodeName: state.existing?.node ?? `${state.name}-control-plane` },
    }
    state.seq++
    pod.metadata.uid = randomUUID()
    pod.metadata.creationTimestamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z')
    pod.metadata.resourceVersion = String(state.seq)
    state.objects[objectKey({ group: '', kind: 'Pod', namespaced: true }, namespace, podName)] = {
      obj: pod,
      meta: { created: now, updated: now, owner: key, hash, injection: created.injection },
    }
  }
  // pods whose workload is gone
  for (const [key, stored] of Object.entries(state.objects)) {
    if (stored.obj.kind === 'Pod' && stored.meta.owner?.startsWith('apps|') && !state.objects[stored.meta.owner]) {
      delete state.objects[key]
      terminate(state, key, stored, now)
    }
  }
  persistentVolumeClaims(state, now)
  finishTerminating(world, state, now)
  tokenController(state)
  reconcileFederation(world, state, now)
  // Addresses for LoadBalancer Services: an existing cluster's cloud gives one to each;
  // in a kind cluster, MetalLB gives them from this cluster's pools: those in its own
  // namespace, the only one its controller watches (metallb v0.13.11 and v0.14.9, internal/k8s/k8s.go).
  const pools = list(state, 'metallb.io', 'IPAddressPool', pinned.namespaces.metallb)
  const taken = new Set(Object.values(state.objects).map((s) => s.meta.lbAddress).filter(Boolean))
  for (const svc of list(state, '', 'Service')) {
    if (svc.obj.spec?.type !== 'LoadBalancer') {
      delete svc.meta.lbAddress
      continue
    }
    if (!svc.meta.lbAddress && state.existing) {
      svc.meta.lbAddress = cloudAddress(state.existing, taken)
      taken.add(svc.meta.lbAddress)
      continue
    }
    if (svc.meta.lbAddress || !find(state, 'apps', 'Deployment', 'metallb-system', 'controller')) continue
    for (const pool of pools) {
      const free = addressesIn(poolRanges(pool.obj)).find((address) => !taken.has(address))
      if (free) {
        svc.meta.lbAddress = free
        taken.add(free)
        break
      }
    }
  }
}

// ---------- pods on their way out ----------

// A deleted pod terminates: its containers get SIGTERM and up to the grace period
// (terminationGracePeriodSeconds, 30 s by default) before they are killed, then the kubelet
// unmounts its volumes and the pod object goes. A csi.spiffe.io volume is unmounted by
// calling SPIRE's CSI driver (NodeUnpublishVolume); when the driver is gone first, the
// unmount fails and the pod stays Terminating for good.
function terminate(state: ClusterState, key: string, stored: Stored, now: number): void {
  state.terminating ??= {}
  if (state.terminating[key]) return
  stored.obj.metadata = { ...stored.obj.metadata, deletionTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: 30 }
  state.terminating[key] = { obj: stored.obj, meta: stored.meta, since: now, until: now + scaled('podTermination') }
}

const usesSpiffeCsi = (pod: Obj) => (pod.spec?.volumes ?? []).some((v: Obj) => v?.csi?.driver === 'csi.spiffe.io')

// Runs after every change: a pod whose grace period ended before this change is gone (what
// it needed was still there until now); one still terminating whose SPIFFE CSI driver is no
// longer there is stuck.
function finishTerminating(world: World, state: ClusterState, now: number): void {
  for (const [key, pod] of Object.entries(state.terminating ?? {})) {
    if (pod.stuck) continue
    if (now >= pod.until) {
      delete state.terminating![key]
      continue
    }
    if (usesSpiffeCsi(pod.obj) && !Number.isFinite(csiReadiness(world, state).at)) {
      pod.stuck = 'UnmountVolume.TearDown failed for volume "workload-socket" : kubernetes.io/csi: Unmounter.TearDownAt failed to get CSI client: driver name csi.spiffe.io not found in the list of registered CSI drivers'
    }
  }
  if (state.terminating && Object.keys(state.terminating).length === 0) delete state.terminating
}

// Whether a terminating pod still exists at `now` (between two changes, reads ask this).
export function stillTerminating(pod: { until: number; stuck?: string }, now = Date.now()): boolean {
  return pod.stuck !== undefined || now < pod.until
}

// ---------- volumes ----------

// A StatefulSet's volumeClaimTemplates become PVCs <template>-<set>-<ordinal>, made once and
// not owned by the set: without a persistentVolumeClaimRetentionPolicy (the SPIRE chart sets
// none), Kubernetes retains them when the set is deleted. A claim without a class gets the
// default StorageClass when it is made (the DefaultStorageClass admission plugin), or later,
// once there is one (retroactive default assignment, Kubernetes 1.28+).
function persistentVolumeClaims(state: ClusterState, now: number): void {
  const info = { group: '', kind: 'PersistentVolumeClaim', namespaced: true }
  for (const set of list(state, 'apps', 'StatefulSet')) {
    const ns = set.obj.metadata?.namespace
    for (const template of set.obj.spec?.volumeClaimTemplates ?? []) {
      const name = `${template.metadata?.name}-${set.obj.metadata?.name}-0`
      const key = objectKey(info, ns, name)
      const existing = state.objects[key]
      if (existing) {
        if (!existing.obj.spec.storageClassName && defaultStorageClass(state)) existing.obj.spec.storageClassName = defaultStorageClass(state)
        continue
      }
      const storageClassName = template.spec?.storageClassName ?? defaultStorageClass(state)
      state.seq++
      const containers: Obj[] = set.obj.spec?.template?.spec?.containers ?? []
      state.objects[key] = {
        obj: {
          apiVersion: 'v1', kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: ns, labels: { ...(set.obj.spec?.selector?.matchLabels ?? {}) }, uid: randomUUID(), creationTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), resourceVersion: String(state.seq) },
          spec: { ...clone(template.spec ?? {}), ...(storageClassName ? { storageClassName } : {}), volumeMode: 'Filesystem' },
        },
        meta: { created: now, updated: now, spireData: containers.some((c) => String(c.image).includes('spire-server')) || undefined },
      }
    }
  }
}

function defaultStorageClass(state: ClusterState): string | undefined {
  const annotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class']
  return list(state, 'storage.k8s.io', 'StorageClass').find((sc) => annotations.some((a) => sc.obj.metadata?.annotations?.[a] === 'true'))?.obj.metadata?.name
}

// A claim is bound once its class exists (the lab's provisioners are immediate).
export function claimBound(state: ClusterState, claim: Stored): boolean {
  const cls = claim.obj.spec?.storageClassName
  return typeof cls === 'string' && !!find(state, 'storage.k8s.io', 'StorageClass', '', cls)
}

// ---------- service account tokens ----------

// kube-controller-manager's token controller (pkg/controller/serviceaccount/tokens_controller.go):
// a kubernetes.io/service-account-token Secret whose service account no longer exists is
// deleted. And a token is valid only while its Secret exists: the istio-reader token
// istioctl create-remote-secret handed out goes with its Secret.
function tokenController(state: ClusterState): void {
  for (const [key, secret] of Object.entries(state.objects)) {
    if (secret.obj.kind !== 'Secret' || secret.obj.type !== 'kubernetes.io/service-account-token') continue
    const account = secret.obj.metadata?.annotations?.['kubernetes.io/service-account.name']
    if (!find(state, '', 'ServiceAccount', secret.obj.metadata?.namespace, account)) delete state.objects[key]
  }
  if (state.readerToken && state.readerTokenSecret && !state.objects[state.readerTokenSecret]) {
    delete state.readerToken
    delete state.readerTokenSecret
  }
}

// A cloud load balancer's address: on AWS a host name of the classic ELB form
// (a<32 hex>-<10 digits>.<region>.elb.amazonaws.com), elsewhere a public IP.
export function cloudAddress(existing: Existing, taken: Set<string | undefined>): string {
  for (;;) {
    const address = existing.loadBalancer === 'hostname'
      ? `a${randomHex(16)}-${randomInt(1_000_000_000, 9_999_999_999)}.${existing.region}.elb.amazonaws.com`
      : `34.${randomInt(76, 160)}.${randomInt(0, 256)}.${randomInt(1, 255)}`
    if (!taken.has(address)) return address
  }
}

// ---------- readiness ----------

export interface Readiness {
  at: number          // epoch ms it is (or will be) Ready; Infinity: not while things stay as they are
  reason?: string     // why not, as a cluster would show it
}

function startup(pod: Stored): Duration {
  const ns = pod.obj.metadata?.namespace
  const name: string = pod.obj.metadata?.name ?? ''
  if (ns === 'metallb-system') return 'metallbReady'
  if (name.startsWith('spire-server')) return 'spireServerReady'
  if (name.startsWith('spire-agent') || name.includes('spiffe-csi-driver')) return 'spireAgentReady'
  if (name.startsWith('istiod')) return 'istiodReady'
  if (pod.meta.injection?.proxy === 'gateway') return 'gatewayReady'
  return 'podStart'
}

function podsOf(state: ClusterState, workloadKey: string): Stored[] {
  return Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === workloadKey)
}

export function workloadReadiness(world: World, state: ClusterState, group: string, kind: string, namespace: string, name: string, seen: Set<string> = new Set()): Readiness {
  const key = `${group}|${kind}|${namespace}|${name}`
  const workload = state.objects[key]
  if (!workload) return { at: Infinity, reason: `${kind.toLowerCase()} ${namespace}/${name} does not exist` }
  const hash = templateHash(workload.obj.spec?.template)
  const pod = podsOf(state, key).find((p) => p.meta.hash === hash)
  if (!pod) return { at: Infinity, reason: workload.meta.createError ?? 'no pod created yet' }
  if ((workload.obj.spec?.replicas ?? 1) === 0) return { at: workload.meta.updated }
  return podReadiness(world, state, pod, seen)
}

export function podReadiness(world: World, state: ClusterState, pod: Stored, seen: Set<string> = new Set()): Readiness {
  const id = `${state.name}/${pod.obj.metadata?.namespace}/${pod.obj.metadata?.name}`
  if (seen.has(id)) return { at: Infinity, reason: 'waits for itself' }
  seen.add(id)
  let at = Math.max(pod.meta.created + scaled(startup(pod)), state.ready)
  // A StatefulSet's pod is scheduled only once its claims are bound.
  const [ownerGroup, ownerKind, ownerNs, ownerName] = String(pod.meta.owner ?? '').split('|')
  if (ownerGroup === 'apps' && ownerKind === 'StatefulSet') {
    const set = state.objects[String(pod.meta.owner)]
    for (const template of set?.obj.spec?.volumeClaimTemplates ?? []) {
      const claim = find(state, '', 'PersistentVolumeClaim', ownerNs!, `${template.metadata?.name}-${ownerName}-0`)
      if (!claim || !claimBound(state, claim)) return { at: Infinity, reason: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' }
    }
  }
  // Istio's gateways ship with image "auto", which only its sidecar injector replaces.
  const containers: Obj[] = [...(pod.obj.spec?.initContainers ?? []), ...(pod.obj.spec?.containers ?? [])]
  if (containers.some((c) => c?.image === 'auto')) return { at: Infinity, reason: 'ImagePullBackOff: Back-off pulling image "auto"' }
  const volumes: Obj[] = pod.obj.spec?.volumes ?? []
  if (volumes.some((v) => v?.csi?.driver === 'csi.spiffe.io')) {
    const csi = csiReadiness(world, state, seen)
    if (!Number.isFinite(csi.at)) {
      return { at: Infinity, reason: 'MountVolume.SetUp failed for volume "workload-socket" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name csi.spiffe.io not found in the list of registered CSI drivers' }
    }
    at = Math.max(at, csi.at + scaled(2))
  }
  if (pod.meta.injection) {
    const istiod = workloadReadiness(world, state, 'apps', 'Deployment', 'istio-system', 'istiod', seen)
    if (!Number.isFinite(istiod.at)) {
      return { at: Infinity, reason: 'Readiness probe failed: Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?): istio-proxy cannot reach istiod.istio-system.svc:15012' }
    }
    at = Math.max(at, istiod.at + scaled(2))
  }
  return { at }
}

export function csiReadiness(world: World, state: ClusterState, seen: Set<string> = new Set()): Readiness {
  if (!find(state, 'storage.k8s.io', 'CSIDriver', '', 'csi.spiffe.io')) return { at: Infinity, reason: 'CSI driver csi.spiffe.io is not installed' }
  const ds = Object.values(state.objects).find((s) => s.obj.kind === 'DaemonSet' && String(s.obj.metadata?.name).endsWith('spiffe-csi-driver'))
  if (!ds) return { at: Infinity, reason: 'the SPIFFE CSI driver does not run' }
  return workloadReadiness(world, state, 'apps', 'DaemonSet', ds.obj.metadata.namespace, ds.obj.metadata.name, seen)
}

export function metallbReadiness(world: World, state: ClusterState): Readiness {
  return workloadReadiness(world, state, 'apps', 'Deployment', 'metallb-system', 'controller')
}

export interface LoadBalancerAddress {
  address?: string    // an IP, or (a cloud's) host name
  hostname: boolean
  at: number          // when the Service shows it
  reachable: number   // when others can connect to it: a host name first has to resolve
}

// When (if ever) a LoadBalancer Service shows its address.
export function loadBalancer(world: World, state: ClusterState, svc: Stored): LoadBalancerAddress {
  const never: LoadBalancerAddress = { hostname: false, at: Infinity, reachable: Infinity }
  if (svc.obj.spec?.type !== 'LoadBalancer' || !svc.meta.lbAddress || faults().lbNeverAssigned) return never
  if (state.existing) {
    const hostname = state.existing.loadBalancer === 'hostname'
    const at = Math.max(svc.meta.created, state.ready) + scaled('cloudLoadBalancer')
    return { address: svc.meta.lbAddress, hostname, at, reachable: at + (hostname ? scaled('hostnameResolves') : 0) }
  }
  const metallb = metallbReadiness(world, state)
  const pool = list(state, 'metallb.io', 'IPAddressPool', pinned.namespaces.metallb).find((p) => addressesIn(poolRanges(p.obj)).includes(svc.meta.lbAddress!))
  if (!pool) return never
  const at = Math.max(svc.meta.created, metallb.at, pool.meta.created) + scaled('loadBalancerAddress')
  return { address: svc.meta.lbAddress, hostname: false, at, reachable: at }
}

export function lbAddressNow(world: World, state: ClusterState, svc: Stored | undefined, now = Date.now()): string | undefined {
  if (!svc) return undefined
  const lb = loadBalancer(world, state, svc)
  return lb.address && now >= lb.at ? lb.address : undefined
}

// ---------- what `kubectl get` shows ----------

function iso(ms: number): string {
  return new Date(Math.min(ms, 8.64e15)).toISOString().replace(/\.\d+Z$/, 'Z')
}

export function present(world: World, state: ClusterState, stored: Stored, now = Date.now()): Obj {
  const obj = clone(stored.obj)
  const ns = obj.metadata?.namespace
  const name = obj.metadata?.name
  switch (obj.kind) {
    case 'Pod': {
      const r = obj.metadata?.deletionTimestamp ? { at: Infinity, reason: undefined } : podReadiness(world, state, stored)
      const ready = now >= r.at
      const containers: Obj[] = [...(obj.spec?.initContainers ?? []).filter((c: Obj) => c.restartPolicy === 'Always'), ...(obj.spec?.containers ?? [])]
      obj.status = {
        phase: ready ? 'Running' : 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: ready ? 'True' : 'False' },
          { type: 'Ready', status: ready ? 'True' : 'False', ...(ready ? { lastTransitionTime: iso(r.at) } : {}) },
        ],
        hostIP: '172.18.0.2',
        podIP: `10.244.0.${(parseInt(createHash('md5').update(name).digest('hex').slice(0, 2), 16) % 250) + 2}`,
        startTime: iso(stored.meta.created),
        containerStatuses: containers.map((c) => ({
          name: c.name, image: c.image, ready, started: ready, restartCount: 0,
          // An unscheduled pod's containers wait without a reason (kubectl shows Pending).
          state: ready ? { running: { startedAt: iso(r.at) } } : r.reason?.startsWith('0/') ? { waiting: {} } : { waiting: { reason: 'ContainerCreating', ...(r.reason ? { message: r.reason } : {}) } },
        })),
      }
      break
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet': {
      const r = workloadReadiness(world, state, 'apps', obj.kind, ns, name)
      const ready = now >= r.at ? 1 : 0
      const generation = obj.metadata?.generation ?? 1
      if (obj.kind === 'DaemonSet') {
        obj.status = { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberMisscheduled: 0, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: 1, observedGeneration: generation }
      } else {
        const replicas = obj.spec?.replicas ?? 1
        obj.status = {
          observedGeneration: generation, replicas, updatedReplicas: replicas, readyReplicas: ready * replicas, availableReplicas: ready * replicas,
          ...(obj.kind === 'StatefulSet' ? { currentReplicas: replicas } : {}),
          ...(obj.kind === 'Deployment' ? {
            conditions: [
              { type: 'Available', status: ready ? 'True' : 'False', reason: ready ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' },
              { type: 'Progressing', status: 'True', reason: ready ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated' },
              ...(stored.meta.createError ? [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: stored.meta.createError }] : []),
            ],
          } : {}),
        }
      }
      break
    }
    case 'Service': {
      const lb = loadBalancer(world, state, stored)
      const shown = lb.address && now >= lb.at
      obj.status = { loadBalancer: shown ? { ingress: [lb.hostname ? { hostname: lb.address } : { ip: lb.address, ipMode: 'VIP' }] } : {} }
      break
    }
    case 'PersistentVolumeClaim':
      obj.status = claimBound(state, stored) ? { phase: 'Bound', accessModes: obj.spec?.accessModes, capacity: obj.spec?.resources?.requests } : { phase: 'Pending' }
      break
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'] }
      obj.status = { phase: 'Active' }
      break
    case 'Node':
      obj.status = { conditions: [{ type: 'Ready', status: now >= state.ready ? 'True' : 'False' }], nodeInfo: { kubeletVersion: kubeletVersion(state) } }
      break
    case 'CustomResourceDefinition':
      obj.status = { conditions: [{ type: 'Established', status: 'True' }, { type: 'NamesAccepted', status: 'True' }], acceptedNames: obj.spec?.names }
      break
  }
  return obj
}

export function kubeletVersion(state: ClusterState): string {
  return state.existing?.kubernetesVersion ?? /:(v[\d.]+)/.exec(state.nodeImage)?.[1] ?? 'v1.35.0'
}
