#!/usr/bin/env node
// Page: docs/12-helloworld-v2.md
// Version 2 runs in west, with a certificate in west's trust domain (spiffe://west.local/...).
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'
import { injectionTemplatesPatch } from '../lib/istio.ts'
import { waitForRollout } from '../lib/rollout.ts'

const wb = await step('12-helloworld-v2', 'helloworld v2 in west', { tools: ['kubectl'] })
const { west } = wb

const helloworld = wb.handOver(west, 'helloworld', renderTemplate('helloworld.yaml'))
await west.$`kubectl apply --context=${west.context} -f ${helloworld} -l version=v2`
await west.$`kubectl --context=${west.context} patch deploy helloworld-v2 --type=merge -p ${injectionTemplatesPatch('sidecar,spire')}`
await waitForRollout(west, 'deployment/helloworld-v2', 'default', { madeBy: 'make 12' })
