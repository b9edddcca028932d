#!/usr/bin/env node
// Page: docs/04-spire-install.md
// SPIRE in each cluster, with its own trust domain: first the CRDs (ClusterSPIFFEID,
// ClusterFederatedTrustDomain, ...), then the CSI driver, server and agent.
import { step } from '../lib/step.ts'
import { versions } from '../lib/defaults.ts'
import { renderTemplate } from '../lib/template.ts'
import { deadlineSeconds } from '../lib/wait.ts'

const wb = await step('04-spire-install', 'SPIRE CRDs, then CSI driver, server and agent', { tools: ['helm', 'kubectl'] })
const repo = versions.spireHelmRepo.name
const timeout = `${deadlineSeconds('helmWait')}s`
const fix = `is the ${repo} repository added? (make 03)`

await wb.both(async (cluster) => {
  await cluster.$({ fix })`helm --kube-context=${cluster.context} upgrade --install spire-crds ${`${repo}/spire-crds`} --version ${versions.spireCrdsChart}`

  // Shared values first, then this cluster's: its trust domain and whom it federates with.
  const base = wb.handOver(cluster, 'values-1-spire-base', renderTemplate('spire-base.yaml', {}))
  const own = wb.handOver(cluster, `values-2-spire-${cluster.name}`, renderTemplate('spire-cluster.yaml', {
    CLUSTER: cluster.name,
    TRUST_DOMAIN: cluster.trustDomain,
    OTHER_TRUST_DOMAIN: cluster.other.trustDomain,
  }))
  // --wait: until the server, agent and CSI driver are Ready. Helm 3 also waits for
  // spire-server's LoadBalancer address; Helm 4's watcher does not (a Service is ready once
  // it has a cluster IP), so step 05 waits for the address itself.
  const waitFix = `${fix}; if it timed out, see which pod is not Ready: kubectl --context=${cluster.context} get pods -n spire (spire-server-0 Pending: its volume needs a default StorageClass); ` +
    `with Helm 3 it also waits for spire-server's LoadBalancer address, which needs MetalLB and its pool (make 01): kubectl --context=${cluster.context} get svc spire-server -n spire; ` +
    `if helm says another operation is in progress (an interrupted run): helm --kube-context=${cluster.context} rollback spire -n spire, then run this step again`
  await cluster.$({ fix: waitFix })`helm --kube-context=${cluster.context} upgrade --install spire ${`${repo}/spire`} -n spire --create-namespace -f ${base} -f ${own} --version ${versions.spireChart} --wait --timeout ${timeout}`
})
