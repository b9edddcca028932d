#!/usr/bin/env node
// Page: docs/experiments/no-remote-secret.md
// East's istiod learns west's endpoints by watching west's API server, through the remote
// secret of step 08. Without it, east knows helloworld's v1 alone.
import { experiment, re } from '../../lib/experiments.ts'

const ex = await experiment('no-remote-secret', 'east without its remote secret for west: only v1 answers')
const { east, west } = ex

if (ex.repair) {
  ex.section('Put back: step 08 makes the remote secret again')
  await ex.step('08-remote-secret')
  await ex.step('15-send-requests')
  ex.done(`${east.name} watches ${west.name} again, and both versions answer.`)
} else {
  ex.section('The change: delete the remote secret step 08 applied in east (its token is never shown)')
  await east.$`kubectl --context=${east.context} delete secret istio-remote-secret-${west.name} -n istio-system --ignore-not-found`

  ex.section('What shows it')
  const clusters = await east.$({ show: true })`istioctl --context=${east.context} remote-clusters`
  ex.expectOutput(clusters, { shows: [re`^${east.name}\s+synced`], lacks: [re`^${west.name}\s`] }, `east's istiod knows no cluster ${west.name}`)
  await ex.step('09-verify-control-planes', {
    expect: 'fails', waitAtMost: { remoteSynced: 30 }, shows: [re`last seen: not synced: ${west.name}`],
    because: `${west.name} is not among east's remote clusters`,
  })
  await ex.step('15-send-requests', {
    expect: 'fails', waitAtMost: { responses: 60 }, shows: [/v2 never answered \(v1: [1-9]/],
    because: 'east\'s proxies know v1\'s endpoint only',
  })

  ex.section('Where to look')
  ex.lookAt([
    'The clusters east\'s istiod watches:',
    `  istioctl --context=${east.context} remote-clusters`,
    'The remote secrets it reads them from (the label istio/multiCluster=true):',
    `  kubectl --context=${east.context} get secrets -n istio-system -l istio/multiCluster=true`,
  ])
  ex.done(`Federation and the gateway are fine; ${east.name} just does not know where v2 is.`)
}
