#!/usr/bin/env node
// Page: docs/experiments/gateway-without-spire-template.md
// Step 07 injects the east-west gateway with "gateway,spire-gateway". Without spire-gateway
// its proxy takes istiod's certificate. Step 09 notices; calls from east do not: the
// gateway passes them through by SNI (AUTO_PASSTHROUGH), without a TLS context of its own.
import { experiment } from '../../lib/experiments.ts'
import { injectionTemplatesPatch } from '../../lib/istio.ts'
import { waitForRollout } from '../../lib/rollout.ts'

const ex = await experiment('gateway-without-spire-template', 'the east-west gateway without spire-gateway: istiod\'s certificate, traffic still flows')
const { west } = ex

if (ex.repair) {
  ex.section('Put back: step 07 patches the gateway with gateway,spire-gateway again')
  await ex.step('07-eastwest-gateway')
  await ex.step('09-verify-control-planes')
  await ex.step('15-send-requests')
  ex.done('The gateway has its SPIRE certificate again.')
} else {
  ex.section('The change: the gateway\'s pod injected with "gateway" alone, as step 07 would without its patch')
  await west.$`kubectl --context=${west.context} patch deploy istio-eastwestgateway -n istio-system --type=merge -p ${injectionTemplatesPatch('gateway')}`
  await waitForRollout(west, 'deployment/istio-eastwestgateway', 'istio-system')

  ex.section('What shows it')
  await ex.step('09-verify-control-planes', {
    expect: 'fails', shows: [/the gateway's certificate comes from istiod, not SPIRE/],
    because: 'its roots name no trust domain: they are istiod\'s',
  })
  const secrets = await west.$({ show: true })`istioctl --context=${west.context} proxy-config secret deploy/istio-eastwestgateway -n istio-system`
  ex.expectOutput(secrets, { shows: [/^ROOTCA\s+CA\s+ACTIVE\s+true\s/m], lacks: [/TRUST DOMAIN/] }, 'the gateway holds istiod\'s root, which names no trust domain')
  await ex.step('15-send-requests', { because: 'AUTO_PASSTHROUGH: the gateway routes the mTLS from curl to v2 by SNI and never uses a certificate of its own' })

  ex.section('Where to look')
  ex.lookAt([
    'The templates the gateway\'s pod was injected with:',
    `  kubectl --context=${west.context} get pods -n istio-system -l istio=eastwestgateway -o jsonpath='{.items[*].metadata.annotations.sidecar\\.istio\\.io/status}'`,
    'Its secrets: no TRUST DOMAIN column when a root names none (istiod\'s).',
    `  istioctl --context=${west.context} proxy-config secret deploy/istio-eastwestgateway -n istio-system`,
  ])
  ex.done(`The gateway's own certificate plays no part in passthrough; it is step 09's window on what ${west.name}'s SPIRE-backed proxies hold.`)
}
