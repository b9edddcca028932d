#!/usr/bin/env node
// Page: docs/experiments/default-bundle-name-rootca.md
// Envoy asks SPIRE's agent for its roots under Istio's name, ROOTCA. The agent answers a
// name equal to its defaultBundleName with its own trust domain's bundle alone, before it
// looks at defaultAllBundlesName (own and federated bundles). The chart's default for
// defaultBundleName is ROOTCA: left so, no proxy ever gets the other trust domain's roots.
import { experiment, re } from '../../lib/experiments.ts'

const ex = await experiment('default-bundle-name-rootca', 'SPIRE agents with defaultBundleName ROOTCA: proxies get their own root only')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 04 installs SPIRE again with the templates as they are')
  await ex.step('04-spire-install')
  await ex.step('15-send-requests')
  ex.done('The agents answer ROOTCA with both trust domains again.')
} else {
  ex.section('The change: defaultBundleName back to the chart\'s default, ROOTCA, through step 04')
  ex.editTemplate('spire-base.yaml', (values) => values.set('spire-agent.sds.defaultBundleName', 'ROOTCA'))
  await ex.step('04-spire-install', { templates: true })

  ex.section('What shows it')
  const conf = await west.$({ show: true })`kubectl --context=${west.context} get configmap spire-agent -n spire -o jsonpath=${'{.data.agent\\.conf}'}`
  ex.expectOutput(conf, { shows: [/"default_bundle_name": "ROOTCA"/, /"default_all_bundles_name": "ROOTCA"/] }, 'west\'s agent has two resources named ROOTCA')
  await ex.step('09-verify-control-planes', {
    expect: 'fails', waitAtMost: { gatewaySecrets: 30 }, shows: [re`missing the ROOTCA bundle of ${east.trustDomain}`],
    because: `the gateway holds ${west.trustDomain}'s roots alone`,
  })
  const secrets = await east.$({ show: true })`istioctl --context=${east.context} proxy-config secret deploy/curl`
  ex.expectOutput(secrets, { shows: [re`^ROOTCA\s.*\s${east.trustDomain}$`], lacks: [re`${west.trustDomain}`] }, `curl's proxy trusts ${east.trustDomain} only`)
  await ex.step('15-send-requests', {
    expect: 'fails', waitAtMost: { responses: 60 }, shows: [/v2 never answered/, /CERTIFICATE_VERIFY_FAILED/],
    because: `curl's proxy cannot verify v2's ${west.trustDomain} certificate`,
  })

  ex.section('Where to look')
  ex.lookAt([
    'One ROOTCA line per trust domain a proxy trusts; here one:',
    `  istioctl --context=${east.context} proxy-config secret deploy/curl`,
    'The agent\'s SDS names (both ROOTCA):',
    `  kubectl --context=${east.context} get configmap spire-agent -n spire -o jsonpath='{.data.agent\\.conf}'`,
    'Federation itself is fine: the server still holds the other bundle.',
    `  kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -format spiffe`,
  ])
  ex.done('Federation works and the entries federate; only the name Envoy asks for hands out one bundle.')
}
