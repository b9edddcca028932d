#!/usr/bin/env node
// Page: docs/14-destination-rule.md
// By default a client accepts only servers of its own trust domain. helloworld answers
// from both, so east's clients are told which two identities to accept.
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'

const wb = await step('14-destination-rule', 'accept both trust domains for helloworld', { tools: ['kubectl'] })
const { east, west } = wb

const rule = wb.handOver(east, 'destination-rule', renderTemplate('destination-rule.yaml', {
  EAST_TRUST_DOMAIN: east.trustDomain,
  WEST_TRUST_DOMAIN: west.trustDomain,
}))
await east.$`kubectl --context=${east.context} apply -f ${rule}`
