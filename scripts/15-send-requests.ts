#!/usr/bin/env node
// Page: docs/15-send-requests.md
// The proof: curl in east calls helloworld until both v1 (east) and v2 (west, across
// the trust domains) have answered. Each round is one `kubectl exec`: curl fetches the
// URL range in turn, and east's sidecar balances each request on its own. Cross-network
// endpoints can take a while to show up in east, so rounds repeat until a deadline.
import { step } from '../lib/step.ts'
import { fail, WorkbookError } from '../lib/errors.ts'
import { Tally, tallyRound } from '../lib/hello.ts'
import { note, ok } from '../lib/output.ts'
import { waitFor } from '../lib/wait.ts'

const wb = await step('15-send-requests', 'send requests; both versions must answer', { tools: ['kubectl'], asks: ['requests'] })
const { east } = wb
const requests = wb.config.values.requests
const versions = ['v1', 'v2'] as const
// curl expands [1-N] into N URLs; helloworld ignores the query string. Each request may
// take 5 s at most (-m 5), so a round against an unreachable endpoint still ends.
const round = `helloworld:5000/hello?[1-${requests}]`
const roundTimeout = `${requests * 5 + 30}s`

const tally = new Tally()
let rounds = 0
await waitFor(east.name, `replies from both ${versions.join(' and ')} (${requests} requests a round)`, 'responses', async () => {
  const standIn = Array.from({ length: requests }, (_, i) => `Hello version: ${versions[i % 2]}, instance: helloworld-${versions[i % 2]}-stand-in`).join('\n')
  const reply = await east.$({ quiet: rounds++ > 0, nothrow: true, timeout: roundTimeout, standIn })`kubectl --context=${east.context} exec deploy/curl -c curl -- curl -sS -m 5 -w ${'\\n'} ${round}`
  tallyRound(tally, reply.stdout, reply.stderr)
  return tally.missing(versions).length === 0 ? true : undefined
}, whatToCheck(), () => `${tally.summary()}${tally.lastFailure ? `; last error: ${tally.lastFailure}` : ''}`)
  .catch((error: unknown) => {
    if (!(error instanceof WorkbookError)) throw error
    fail(`${tally.missing(versions).join(' and ') || 'a version'} never answered (${tally.summary()}${tally.lastFailure ? `; last error: ${tally.lastFailure}` : ''})`, error.fix)
  })

ok(east.name, `replies: ${tally.summary()} in ${rounds} round${rounds > 1 ? 's' : ''}`)
if (tally.failures > 0) note(east.name, `${tally.failures} request(s) failed on the way (last: ${tally.lastFailure})`)

function whatToCheck(): string {
  return `v1 missing: check helloworld-v1 and the curl pod in ${east.name} (make 11, make 13); ` +
    `v2 missing: run make 09 (remote cluster synced, gateway certificates) and check the DestinationRule (make 14)`
}
