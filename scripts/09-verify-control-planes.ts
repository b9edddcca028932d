#!/usr/bin/env node
// Page: docs/09-verify-control-planes.md
// Two checks before any workload runs: east's istiod watches both clusters (synced),
// and west's east-west gateway holds a west certificate and the root bundles of both
// trust domains, the east one having come through SPIRE federation.
import { step } from '../lib/step.ts'
import { waitForGatewaySecrets, waitForRemoteClusters } from '../lib/istio.ts'
import { say } from '../lib/output.ts'

const wb = await step('09-verify-control-planes', 'remote cluster synced; the gateway\'s certificates', { tools: ['istioctl'] })
const { east, west } = wb

await waitForRemoteClusters(east)

const gatewaySecrets = await waitForGatewaySecrets(west, [east.trustDomain, west.trustDomain])
say(gatewaySecrets.trimEnd())
