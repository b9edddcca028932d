#!/usr/bin/env node
// Page: docs/15-send-requests.md
// The proof: curl in east calls helloworld until both v1 (east) and v2 (west, across
// the trust domains) have answered. Cross-network endpoints can take a while to show
// up in east, so we keep asking until a deadline instead of giving up on the first round.
import { step } from '../lib/step.ts'
import { Tally, failureReason, parseHello } from '../lib/hello.ts'
import { note, ok } from '../lib/output.ts'
import { waitFor } from '../lib/wait.ts'
import { fail, type WorkbookError } from '../lib/errors.ts'

const wb = await step('15-send-requests', 'send requests; both versions must answer', { tools: ['kubectl'], asks: ['requests'] })
const { east } = wb
const requests = wb.config.values.requests
const versions = ['v1', 'v2'] as const

const tally = new Tally()
await waitFor(east.name, `replies from both ${versions.join(' and ')} (at least ${requests} requests)`, 'responses', async () => {
  const standIn = `Hello version: ${versions[tally.total() % 2]}, instance: helloworld-${versions[tally.total() % 2]}-stand-in`
  const reply = await east.$({ quiet: tally.total() > 0, nothrow: true, standIn })`kubectl --context=${east.context} exec deploy/curl -c curl -- curl -sS helloworld:5000/hello`
  const hello = reply.exitCode === 0 ? parseHello(reply.stdout) : undefined
  if (hello) tally.add(hello.version)
  else tally.fail(failureReason(reply.stderr || reply.stdout))
  return tally.missing(versions).length === 0 && tally.total() >= requests ? true : undefined
}, whatToCheck(), () => `${tally.summary()}${tally.lastFailure ? `; last error: ${tally.lastFailure}` : ''}`)
  .catch((error: WorkbookError) => fail(`${tally.missing(versions).join(' and ') || 'a version'} never answered (${tally.summary()}${tally.lastFailure ? `; last error: ${tally.lastFailure}` : ''})`, error.fix))

ok(east.name, `replies: ${tally.summary()}`)
if (tally.failures > 0) note(east.name, `${tally.failures} request(s) failed on the way (last: ${tally.lastFailure})`)

function whatToCheck(): string {
  return `v1 missing: check helloworld-v1 and the curl pod in ${east.name} (make 11, make 13); ` +
    `v2 missing: run make 09 (remote cluster synced, gateway certificates) and check the DestinationRule (make 14)`
}
