#!/usr/bin/env node
// Page: docs/01-clusters.md
// Two kind clusters on one Docker network ("kind"), so that each reaches the other's
// containers and LoadBalancer addresses. MetalLB gives each cluster LoadBalancer
// addresses from its own slice of that network: A.B.<ip space>.200-240 on Docker's usual
// /16 (lib/network.ts carves smaller networks).
// With CLUSTER_PROVIDER=existing, nothing is created: the two contexts you name are
// checked instead (lib/provider.ts).
import { step } from '../lib/step.ts'
import { versions } from '../lib/defaults.ts'
import { createKindCluster, kindNetwork } from '../lib/kind.ts'
import { fetchMetallbManifest } from '../lib/metallb.ts'
import { checkLoadBalancer, prepareClusters } from '../lib/provider.ts'
import { metallbPools } from '../lib/network.ts'
import { waitForRollout } from '../lib/rollout.ts'
import { renderTemplate } from '../lib/template.ts'
import { waitFor } from '../lib/wait.ts'

const wb = await step('01-clusters', 'two clusters that hand out LoadBalancer addresses (kind and MetalLB, or your own)', {
  tools: (provider) => provider === 'kind' ? ['docker', 'kind', 'kubectl'] : ['kubectl'],
  contexts: false,
  switches: ['recreate'],
  asks: ['provider', 'eastIpSpace', 'westIpSpace', 'eastContext', 'westContext'],
})

// MetalLB's manifest, fetched first and checked against its pinned sha256: a file that is
// not the one pinned stops the step before anything is created or applied.
const metallbManifest = wb.config.values.provider === 'kind' ? await fetchMetallbManifest(wb) : undefined

// Create both clusters at once, or reuse the ones a previous run made.
const toCreate = await prepareClusters(wb)
await wb.both(async (cluster) => {
  if (!toCreate.includes(cluster)) return
  const kindConfig = wb.handOver(cluster, 'kind-config', renderTemplate('kind-cluster.yaml', {
    KIND_NAME: cluster.kindName,
    NODE_IMAGE: versions.kindNodeImage,
  }))
  await createKindCluster(cluster, kindConfig)
})

if (wb.config.values.provider === 'existing') {
  // Your clusters bring their own load balancer: check that it hands out addresses.
  await wb.both((cluster) => checkLoadBalancer(wb, cluster))
} else {
  // The pools are carved out of the kind network, which exists once the first cluster does.
  const pools = metallbPools(await kindNetwork(wb.$), [wb.east, wb.west])

  await wb.both(async (cluster) => {
    await cluster.$`kubectl --context=${cluster.context} apply -f ${metallbManifest}`
    await waitForRollout(cluster, 'deployment/controller', 'metallb-system', { deadline: 'metallbReady' })
    await waitForRollout(cluster, 'daemonset/speaker', 'metallb-system', { deadline: 'metallbReady' })

    const range = pools.get(cluster.name)!
    const pool = wb.handOver(cluster, 'metallb-pool', renderTemplate('metallb-pool.yaml', { POOL_RANGE: range }))
    // MetalLB's admission webhook answers a little after its pods are Ready: retry the apply.
    let refusal = ''
    await waitFor(cluster.name, `MetalLB to accept the pool ${range}`, 'metallbReady', async () => {
      const applied = await cluster.$({ nothrow: true })`kubectl --context=${cluster.context} apply -f ${pool}`
      refusal = applied.stderr.trim()
      return applied.exitCode === 0 ? true : undefined
    }, `check MetalLB's pods: kubectl --context=${cluster.context} get pods -n metallb-system`, () => refusal)
  })
}
