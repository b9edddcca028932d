#!/usr/bin/env node
// Page: docs/13-curl.md
// The client: a curl pod in east, with its certificate from SPIRE like the servers.
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'
import { injectionTemplatesPatch } from '../lib/istio.ts'
import { waitForRollout } from '../lib/rollout.ts'

const wb = await step('13-curl', 'curl in east', { tools: ['kubectl'] })
const { east } = wb

const curl = wb.handOver(east, 'curl', renderTemplate('curl.yaml'))
await east.$`kubectl --context=${east.context} apply -f ${curl}`
await east.$`kubectl --context=${east.context} patch deploy curl --type=merge -p ${injectionTemplatesPatch('sidecar,spire')}`
await waitForRollout(east, 'deployment/curl', 'default', { madeBy: 'make 13' })
