#!/usr/bin/env node
// Page: docs/experiments/bundle-endpoint-unreachable.md
// Each SPIRE server keeps the other trust domain's bundle fresh by fetching it from the
// bundle endpoint the ClusterFederatedTrustDomain names. When nothing answers there, the
// bundle given at the start stays, and calls keep working until the other side's keys
// rotate; the failed refreshes show in spire-server's log and `federation refresh`.
import { experiment, re } from '../../lib/experiments.ts'

const ex = await experiment('bundle-endpoint-unreachable', 'a bundle endpoint nothing answers at: still federated, until the keys rotate')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 05 applies the resources with the endpoint\'s real port')
  await ex.step('05-federate-bundles')
  const refresh = await east.$({ show: true, nothrow: true })`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation refresh -id ${west.trustDomain}`
  ex.expectOutput(refresh, { shows: [/^Bundle refreshed$/m] }, `${east.name} refreshes ${west.name}'s bundle again`)
  await ex.step('15-send-requests')
  ex.done('Both endpoints answer again.')
} else {
  ex.section('The change: each resource names port 8444, where nothing listens, through step 05')
  ex.editTemplate('cluster-federated-trust-domain.yaml', (resource) => resource.replace('spec.bundleEndpointURL', ':8443', ':8444'))
  await ex.step('05-federate-bundles', {
    templates: true, expect: 'fails', waitAtMost: { federation: 30 }, shows: [re`gave up waiting for ${west.name}'s bundle endpoint https://\S+:8444, fetched from ${east.name}`, /curl: \(28\)/],
    because: 'nothing answers at :8444',
  })

  ex.section('What shows it')
  const relationships = await east.$({ show: true })`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation list`
  ex.expectOutput(relationships, { shows: [/^Bundle endpoint URL {7}: https:\/\/\S+:8444$/m] }, 'the relationship is there, for :8444')
  const bundles = await east.$`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -format spiffe`
  ex.expectOutput(bundles, { shows: [re`^\* ${west.trustDomain}$`] }, `${east.name} holds ${west.name}'s bundle, the one the resource gave`)
  const refresh = await east.$({ show: true, nothrow: true })`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation refresh -id ${west.trustDomain}`
  ex.expectOutput(refresh, { shows: [/failed to fetch federated bundle from endpoint: failed to fetch bundle: Get "https:\/\/\S+:8444": dial tcp \S+:8444: i\/o timeout/] }, `a refresh cannot reach ${west.name}'s endpoint`)
  const log = await east.$({ show: true })`kubectl --context=${east.context} logs -n spire spire-server-0 -c spire-server --tail=1`
  ex.expectOutput(log, { shows: [re`level=error msg="Error updating bundle" error="failed to fetch federated bundle from endpoint: .*i/o timeout" subsystem_name=bundle_client trust_domain=${west.trustDomain}`] }, `${east.name}'s server logs each failed poll`)
  await ex.step('15-send-requests', { because: `the bundle ${east.name} holds is still ${west.name}'s current one: nothing fails until ${west.name}'s CA rotates` })

  ex.section('Where to look')
  ex.lookAt([
    'Ask for a refresh now, instead of waiting for the next poll:',
    `  kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation refresh -id ${west.trustDomain}`,
    'The server\'s polls (every 75 s: the 5m refresh hint over 4):',
    `  kubectl --context=${east.context} logs -n spire spire-server-0 -c spire-server | grep 'Error updating bundle'`,
  ])
  ex.done(`It keeps working today on the bundle given at the start; when ${west.name}'s CA rotates (caTTL 24h: a new one from hour 20), calls to v2 fail.`)
}
