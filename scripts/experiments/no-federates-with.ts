#!/usr/bin/env node
// Page: docs/experiments/no-federates-with.md
// The ClusterSPIFFEID for the workloads names the trust domain they federate with. SPIRE's
// agent hands a workload the federated bundles of its entries' federatesWith only: without
// it each proxy trusts its own trust domain, though the server holds the other bundle.
import { experiment, re } from '../../lib/experiments.ts'
import { sidecarsClusterSpiffeId } from '../../lib/spire.ts'

const ex = await experiment('no-federates-with', 'the ClusterSPIFFEID without federatesWith: each proxy trusts its own domain only')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 04 installs SPIRE again with the templates as they are')
  await ex.step('04-spire-install')
  await ex.step('15-send-requests')
  ex.done('The entries federate again, and both versions answer.')
} else {
  ex.section('The change: no federatesWith in each cluster\'s SPIRE values, through step 04')
  ex.editTemplate('spire-cluster.yaml', (values) => values.remove('spire-server.controllerManager.identities.clusterSPIFFEIDs.sidecars.federatesWith'))
  await ex.step('04-spire-install', { templates: true })

  ex.section('What shows it')
  const ids = await west.$({ show: true })`kubectl --context=${west.context} get clusterspiffeid ${sidecarsClusterSpiffeId} -o yaml`
  ex.expectOutput(ids, { shows: [/spiffeIDTemplate/], lacks: [/federatesWith/] }, 'west\'s ClusterSPIFFEID federates with nobody')
  const bundles = await west.$`kubectl --context=${west.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -format spiffe`
  ex.expectOutput(bundles, { shows: [re`^\* ${east.trustDomain}$`] }, `west's server still holds ${east.name}'s bundle`)
  await ex.step('09-verify-control-planes', {
    expect: 'fails', waitAtMost: { gatewaySecrets: 30 }, shows: [re`missing the ROOTCA bundle of ${east.trustDomain}`],
    because: `the gateway, like every proxy in ${west.name}, trusts ${west.trustDomain} only`,
  })
  await ex.step('15-send-requests', {
    expect: 'fails', waitAtMost: { responses: 60 }, shows: [/v2 never answered/, /CERTIFICATE_VERIFY_FAILED/],
    because: `curl's proxy cannot verify v2's ${west.trustDomain} certificate`,
  })

  ex.section('Where to look')
  ex.lookAt([
    'What the workloads\' entries federate with:',
    `  kubectl --context=${east.context} get clusterspiffeid ${sidecarsClusterSpiffeId} -o yaml`,
    'The roots a proxy got (one ROOTCA line per trust domain):',
    `  istioctl --context=${west.context} proxy-config secret deploy/istio-eastwestgateway -n istio-system`,
  ])
  ex.done('The servers are federated; the workloads are not: trusting a domain is given entry by entry.')
}
