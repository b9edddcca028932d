#!/usr/bin/env node
// Page: docs/02-environment.md
// The walkthrough keeps both contexts in shell variables. Scripts here look them up
// again each time (lib/contexts.ts), so nothing depends on what a shell remembers; this
// step shows them, and `--print-env` prints them for your own shell:
//   eval "$(node scripts/02-environment.ts --print-env)"
import { step } from '../lib/step.ts'
import { ok } from '../lib/output.ts'

const wb = await step('02-environment', 'resolve both contexts', { tools: [], switches: ['print-env'] })

if (wb.flags.switches.has('print-env')) {
  process.stdout.write(`export CTX_CLUSTER_EAST=${wb.east.context}\nexport CTX_CLUSTER_WEST=${wb.west.context}\n`)
} else {
  for (const cluster of [wb.east, wb.west]) {
    ok(cluster.name, `context ${cluster.context}: trust domain ${cluster.trustDomain}, mesh ${cluster.meshId}, network ${cluster.network}`)
  }
}
