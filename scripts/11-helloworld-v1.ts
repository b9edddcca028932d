#!/usr/bin/env node
// Page: docs/11-helloworld-v1.md
// Version 1 runs in east. "sidecar,spire": the usual sidecar, plus the patch that mounts
// the SPIFFE Workload API socket so its certificate (spiffe://east.local/...) comes from SPIRE.
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'
import { injectionTemplatesPatch } from '../lib/istio.ts'
import { waitForRollout } from '../lib/rollout.ts'

const wb = await step('11-helloworld-v1', 'helloworld v1 in east', { tools: ['kubectl'] })
const { east } = wb

const helloworld = wb.handOver(east, 'helloworld', renderTemplate('helloworld.yaml'))
await east.$`kubectl apply --context=${east.context} -f ${helloworld} -l version=v1`
await east.$`kubectl --context=${east.context} patch deploy helloworld-v1 --type=merge -p ${injectionTemplatesPatch('sidecar,spire')}`
await waitForRollout(east, 'deployment/helloworld-v1', 'default', { madeBy: 'make 11' })
