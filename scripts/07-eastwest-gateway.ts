#!/usr/bin/env node
// Page: docs/07-eastwest-gateway.md
// West's services become reachable from east's network through an east-west gateway.
// The gateway's proxy also takes its certificate from SPIRE ("spire-gateway" template,
// which reaches it because its IstioOperator leaves the pod to the injector), and a
// Gateway resource lets mTLS traffic for *.local pass through it untouched.
import { step } from '../lib/step.ts'
import { requireMinimumVersion } from '../lib/doctor.ts'
import { injectionTemplatesPatch } from '../lib/istio.ts'
import { loadBalancerAddressOf } from '../lib/spire.ts'
import { waitForRollout } from '../lib/rollout.ts'
import { renderTemplate } from '../lib/template.ts'

const wb = await step('07-eastwest-gateway', 'east-west gateway in west, services exposed', { tools: ['kubectl', 'istioctl'] })
const { west } = wb
await requireMinimumVersion(wb, 'istioctl')
// The gateway's proxy is injected by west's istiod: without it the gateway never starts.
await waitForRollout(west, 'deployment/istiod', 'istio-system', { madeBy: 'the control plane: make 06' })

const gateway = wb.handOver(west, 'eastwest-gateway', renderTemplate('eastwest-gateway.yaml', { NETWORK: west.network }))
await west.$({ fix: `see why the gateway is not ready: kubectl --context=${west.context} get pods -n istio-system -l istio=eastwestgateway` })`istioctl --context=${west.context} install -y -f ${gateway}`
// On a rerun, istioctl install has just set the annotation back to its own "gateway"
// (it applies the chart's pod template with force), so the gateway rolls out twice.
await west.$`kubectl --context=${west.context} patch deploy istio-eastwestgateway -n istio-system --type=merge -p ${injectionTemplatesPatch('gateway,spire-gateway')}`
await waitForRollout(west, 'deployment/istio-eastwestgateway', 'istio-system', { madeBy: 'make 07' })
// East's proxies send traffic for west's endpoints to this address.
await loadBalancerAddressOf(west, 'istio-eastwestgateway', 'istio-system', 'the east-west gateway\'s LoadBalancer address',
  `check the load balancer of ${west.name}: kubectl --context=${west.context} get svc istio-eastwestgateway -n istio-system`)

const exposeServices = wb.handOver(west, 'expose-services', renderTemplate('expose-services.yaml', {}))
await west.$`kubectl --context=${west.context} apply -n istio-system -f ${exposeServices}`
