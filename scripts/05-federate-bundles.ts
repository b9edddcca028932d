#!/usr/bin/env node
// Page: docs/05-federate-bundles.md
// Each SPIRE server learns the other trust domain: where its bundle endpoint is, and its
// current bundle to trust that endpoint the first time. From then on, spire-server
// refreshes the bundle from the endpoint by itself.
import { step } from '../lib/step.ts'
import { bundleEndpointAddress, showBundle, waitForFederation } from '../lib/spire.ts'
import { renderTemplate } from '../lib/template.ts'
import { urlHost } from '../lib/validate.ts'

const wb = await step('05-federate-bundles', 'federate the two trust bundles', { tools: ['kubectl'] })

const [eastEndpoint, westEndpoint] = await wb.both((cluster) => bundleEndpointAddress(cluster))
const [eastBundle, westBundle] = await wb.both((cluster) => showBundle(cluster))
const endpointOf = { east: eastEndpoint, west: westEndpoint }
const bundleOf = { east: eastBundle, west: westBundle }

// East gets a ClusterFederatedTrustDomain for west, and west one for east.
await wb.both(async (cluster) => {
  const other = cluster.other
  const manifest = wb.handOver(cluster, `cluster-federated-trust-domain-${other.name}`, renderTemplate('cluster-federated-trust-domain.yaml', {
    OTHER_CLUSTER: other.name,
    OTHER_TRUST_DOMAIN: other.trustDomain,
    BUNDLE_ENDPOINT: urlHost(endpointOf[other.role]),
    TRUST_DOMAIN_BUNDLE: bundleOf[other.role],
  }))
  await cluster.$`kubectl --context=${cluster.context} apply -f ${manifest}`
})

await wb.both((cluster) => waitForFederation(cluster))
