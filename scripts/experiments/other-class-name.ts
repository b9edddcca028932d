#!/usr/bin/env node
// Page: docs/experiments/other-class-name.md
// spire-controller-manager reconciles only ClusterFederatedTrustDomains of its class (the
// chart makes it <namespace>-<release>, spire-spire here) and skips the others without a
// log line. On a running federation the relationship is then deleted, and the bundle stays.
import { experiment, re } from '../../lib/experiments.ts'

const ex = await experiment('other-class-name', 'a ClusterFederatedTrustDomain of another className: skipped without a word')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 05 applies the resources with the installation\'s class')
  await ex.step('05-federate-bundles')
  await ex.step('15-send-requests')
  ex.done('The relationships are back, and SPIRE refreshes the bundles again.')
} else {
  ex.section('The change: the class of an installation in namespace spire-server (the chart README\'s), through step 05')
  ex.editTemplate('cluster-federated-trust-domain.yaml', (resource) => resource.set('spec.className', 'spire-server-spire'))
  await ex.step('05-federate-bundles', {
    templates: true, expect: 'fails', waitAtMost: { federation: 30 }, shows: [re`gave up waiting for the federation relationship with ${west.trustDomain}`, /last seen: Found 0 federation relationships/],
    because: 'the controller manager deleted the relationships and makes none',
  })

  ex.section('What shows it')
  const relationships = await east.$({ show: true })`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation list`
  ex.expectOutput(relationships, { shows: [/^Found 0 federation relationships$/m] }, `${east.name} has no relationship with ${west.trustDomain}`)
  const bundles = await east.$`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -format spiffe`
  ex.expectOutput(bundles, { shows: [re`^\* ${west.trustDomain}$`] }, `${east.name} still holds ${west.name}'s bundle (nothing refreshes it now)`)
  const log = await east.$({ show: true })`kubectl --context=${east.context} logs -n spire spire-server-0 -c spire-controller-manager --tail=2`
  ex.expectOutput(log, { shows: [re`Deleted federation relationship\t\{"trustDomainKey": "${west.trustDomain}"`], lacks: [/spire-server-spire|className/] }, 'the controller manager says it deleted the relationship, and not why')
  const config = await east.$({ show: true })`kubectl --context=${east.context} get configmap spire-controller-manager -n spire -o jsonpath=${'{.data.controller-manager-config\\.yaml}'}`
  ex.expectOutput(config, { shows: [/^className: "spire-spire"$/m] }, 'its class is spire-spire')
  await ex.step('15-send-requests', { because: `the bundle ${east.name} holds is still ${west.name}'s current one, until ${west.name}'s keys rotate` })

  ex.section('Where to look')
  ex.lookAt([
    'Compare the resource\'s class with the controller manager\'s:',
    `  kubectl --context=${east.context} get clusterfederatedtrustdomains -o custom-columns=NAME:.metadata.name,CLASS:.spec.className`,
    `  kubectl --context=${east.context} get configmap spire-controller-manager -n spire -o jsonpath='{.data.controller-manager-config\\.yaml}' | grep className`,
  ])
  ex.done('Nothing fails today: the bundle stays until the other side rotates its keys, and nothing refreshes it.')
}
