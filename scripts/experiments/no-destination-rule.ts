#!/usr/bin/env node
// Page: docs/experiments/no-destination-rule.md
// Step 14's DestinationRule tells east's clients which identities helloworld may present.
// Without it east's istiod picks them itself: up to Istio 1.28 in east's own trust domain
// (v2's west.local certificate is refused), from 1.29 in each cluster's own (v2 answers).
import { experiment } from '../../lib/experiments.ts'
import { controlPlaneRelease } from '../../lib/istio.ts'
import { show } from '../../lib/versions.ts'

const ex = await experiment('no-destination-rule', 'no DestinationRule: v2 is refused on Istio 1.27/1.28, answers from 1.29 on')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 14 applies the DestinationRule again')
  await ex.step('14-destination-rule')
  await ex.step('15-send-requests')
  ex.done('The rule is back, and both versions answer.')
} else {
  ex.section('The change: delete the DestinationRule step 14 applied')
  await east.$`kubectl --context=${east.context} delete destinationrule allow-federated-trust-domain -n default --ignore-not-found`

  ex.section('What shows it')
  // What east's istiod expects from west's endpoints depends on its release.
  const version = await east.$({ show: true })`istioctl --context=${east.context} version`
  const release = controlPlaneRelease(version.stdout) ?? [0, 0, 0]
  if (release[1] <= 28) {
    await ex.step('15-send-requests', {
      expect: 'fails', waitAtMost: { responses: 60 }, shows: [/v2 never answered/, /CERTIFICATE_VERIFY_FAILED/],
      because: `on Istio ${show(release)}, east's istiod names west's endpoints with ${east.trustDomain}, and v2 presents a ${west.trustDomain} identity`,
    })
  } else {
    await ex.step('15-send-requests', { because: `on Istio ${show(release)}, east's istiod reads west's trust domain from west's mesh config` })
  }

  ex.section('Where to look')
  ex.lookAt([
    'The identities curl\'s proxy accepts from helloworld (its SAN matchers):',
    `  istioctl --context=${east.context} proxy-config cluster deploy/curl --fqdn helloworld.default.svc.cluster.local -o json | grep -A4 -i subjectaltname`,
    'curl\'s proxy\'s own account of a refused call (access log, step 06 turns it on):',
    `  kubectl --context=${east.context} logs deploy/curl -c istio-proxy --tail=5`,
  ])
  ex.done('On 1.27 and 1.28 the rule is what makes v2 answer; from 1.29 on it only says what istiod would expect anyway.')
}
