#!/usr/bin/env node
// Page: docs/14-destination-rule.md
// helloworld answers from both trust domains, so east's clients are told which two
// identities to accept. Up to Istio 1.28 east's istiod would expect east.local even from
// west's endpoints; from 1.29 it names them with west's trust domain, and the rule is
// what istiod would expect anyway (the upstream sample dropped it).
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'

const wb = await step('14-destination-rule', 'accept both trust domains for helloworld', { tools: ['kubectl'] })
const { east, west } = wb

const rule = wb.handOver(east, 'destination-rule', renderTemplate('destination-rule.yaml', {
  EAST_TRUST_DOMAIN: east.trustDomain,
  WEST_TRUST_DOMAIN: west.trustDomain,
}))
await east.$`kubectl --context=${east.context} apply -f ${rule}`
