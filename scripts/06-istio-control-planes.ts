#!/usr/bin/env node
// Page: docs/06-istio-control-planes.md
// An Istio control plane in each cluster. Proxies get their certificates and roots from
// SPIRE (injection templates "spire" and "spire-gateway"), and caCertificates names both
// trust domains, so each cluster's proxies accept callers from the other one too.
import { step } from '../lib/step.ts'
import { requireMinimumVersion } from '../lib/doctor.ts'
import { bundleEndpointAddress } from '../lib/spire.ts'
import { renderTemplate } from '../lib/template.ts'
import { urlHost } from '../lib/validate.ts'

const wb = await step('06-istio-control-planes', 'install both Istio control planes', { tools: ['kubectl', 'istioctl'] })
// The "spire" template patches native sidecars (the operator file asks istiod for them).
await requireMinimumVersion(wb, 'istioctl')

await wb.both(async (cluster) => {
  const other = cluster.other
  const remoteBundleEndpoint = await bundleEndpointAddress(other)
  const operator = wb.handOver(cluster, 'istio-control-plane', renderTemplate('istio-control-plane.yaml', {
    CLUSTER: cluster.name,
    TRUST_DOMAIN: cluster.trustDomain,
    MESH_ID: cluster.meshId,
    NETWORK: cluster.network,
    REMOTE_TRUST_DOMAIN: other.trustDomain,
    REMOTE_BUNDLE_ENDPOINT: urlHost(remoteBundleEndpoint),
  }))
  await cluster.$({ fix: `istioctl waits for istiod to be ready; see why it is not: kubectl --context=${cluster.context} get pods -n istio-system` })`istioctl --context=${cluster.context} install -y -f ${operator}`
})
