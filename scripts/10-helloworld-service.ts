#!/usr/bin/env node
// Page: docs/10-helloworld-service.md
// The helloworld Service exists in both clusters, so east's proxies know the name and
// can route to endpoints in either. Injection is switched on for namespace default.
import { step } from '../lib/step.ts'
import { renderTemplate } from '../lib/template.ts'

const wb = await step('10-helloworld-service', 'the HelloWorld service in both clusters', { tools: ['kubectl'] })

await wb.both(async (cluster) => {
  await cluster.$`kubectl --context=${cluster.context} label namespace default istio-injection=enabled --overwrite`
  const helloworld = wb.handOver(cluster, 'helloworld', renderTemplate('helloworld.yaml'))
  await cluster.$`kubectl apply --context=${cluster.context} -f ${helloworld} -l service=helloworld`
})
