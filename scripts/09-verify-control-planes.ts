#!/usr/bin/env node
// Page: docs/09-verify-control-planes.md
// Two checks before any workload runs: east's istiod watches both clusters (synced),
// and west's east-west gateway holds a west certificate and the root bundles of both
// trust domains, the east one having come through SPIRE federation.
import { step } from '../lib/step.ts'
import { missingGatewaySecrets, parseProxySecrets, waitForRemoteClusters } from '../lib/istio.ts'
import { say } from '../lib/output.ts'
import { waitFor } from '../lib/wait.ts'

const wb = await step('09-verify-control-planes', 'remote cluster synced; the gateway\'s certificates', { tools: ['istioctl'] })
const { east, west } = wb

await waitForRemoteClusters(east)

const trusted = [east.trustDomain, west.trustDomain]
const standIn = [
  'RESOURCE NAME     TYPE           STATUS     VALID CERT     SERIAL NUMBER     NOT AFTER     NOT BEFORE     TRUST DOMAIN',
  `default           Cert Chain     ACTIVE     true           stand-in          -             -              ${west.trustDomain}`,
  ...trusted.map((domain) => `ROOTCA            CA             ACTIVE     true           stand-in          -             -              ${domain}`),
].join('\n')
let polls = 0
let missing: string[] = []
const secrets = await waitFor(west.name, `the east-west gateway's ${west.trustDomain} certificate and ROOTCA bundles of ${trusted.join(' and ')}`, 'gatewaySecrets', async () => {
  const result = await west.$({ quiet: polls++ > 0, nothrow: true, standIn })`istioctl --context=${west.context} proxy-config secret deploy/istio-eastwestgateway -n istio-system`
  missing = result.exitCode === 0 ? missingGatewaySecrets(parseProxySecrets(result.stdout), west.trustDomain, trusted) : [result.stderr.trim()]
  return missing.length === 0 ? result.stdout : undefined
}, `without them, calls from ${east.name} cannot be verified; check federation (make 05) and the gateway's template (make 07)`, () => `missing ${missing.join(', ')}`)
say(secrets.trimEnd())
