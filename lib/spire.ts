// What the SPIRE side of a cluster knows: its bundle endpoint address, its own bundle, and
// the bundles it has federated. Each read runs the walkthrough's command; the waits are here.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { listedTrustDomains, parseBundle } from './bundle.ts'
import type { Cluster } from './clusters.ts'
import { standIns } from './defaults.ts'
import * as check from './validate.ts'
import { probeTimeout, waitFor } from './wait.ts'

// ip on most load balancers, hostname on some clouds (AWS); at most one of them is set.
const loadBalancerAddress = '{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}'

// The walkthrough reads this once and gets "" when MetalLB has not answered yet; we wait.
export function bundleEndpointAddress(cluster: Cluster): Promise<string> {
  return loadBalancerAddressOf(cluster, 'spire-server', 'spire', 'the bundle endpoint address (LoadBalancer of service spire-server)',
    `check that MetalLB runs in ${cluster.name} (kubectl --context=${cluster.context} get pods -n metallb-system) and that SPIRE is installed (make 04)`)
}

export async function loadBalancerAddressOf(cluster: Cluster, service: string, namespace: string, what: string, fix: string): Promise<string> {
  let polls = 0
  let seen = ''
  return waitFor(cluster.name, what, 'loadBalancerAddress', async () => {
    const standIn = service === 'spire-server' ? standIns.bundleEndpoint(cluster.ipSpace) : standIns.otherLoadBalancer(cluster.ipSpace)
    const result = await cluster.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn })`kubectl --context=${cluster.context} get svc ${service} -n ${namespace} -o jsonpath=${loadBalancerAddress}`
    seen = result.exitCode === 0 ? result.stdout.trim() || 'no address assigned yet' : result.stderr.trim()
    if (result.exitCode !== 0 || result.stdout.trim() === '') return undefined
    return check.address(result.stdout, `the LoadBalancer address of ${service} in ${cluster.name}`,
      `check the Service: kubectl --context=${cluster.context} get svc ${service} -n ${namespace} -o yaml`)
  }, fix, () => seen)
}

// A well-formed JWKS with a freshly generated key: what a dry run shows instead of a real bundle.
export function standInBundle(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  return JSON.stringify({ keys: [{ use: 'jwt-svid', kid: randomBytes(16).toString('hex'), ...jwk }], spiffe_sequence: 1, spiffe_refresh_hint: 300 })
}

export async function showBundle(cluster: Cluster): Promise<string> {
  const { stdout } = await cluster.$({ standIn: standInBundle(), fix: `check that spire-server-0 runs: kubectl --context=${cluster.context} get pods -n spire` })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle show -format spiffe`
  return parseBundle(stdout, cluster.name)
}

// Federation has taken hold when this server lists the other trust domain's bundle.
export async function waitForFederation(cluster: Cluster): Promise<void> {
  let polls = 0
  let seen = ''
  const wanted = cluster.other.trustDomain
  const standIn = `****************************************\n* ${wanted}\n****************************************\n${standInBundle()}`
  // The bundle comes from the ClusterFederatedTrustDomain at first; from then on the
  // server refreshes it from the other side's endpoint (see docs/05-federate-bundles.md).
  await waitFor(cluster.name, `the ${wanted} bundle in ${cluster.name}'s SPIRE server (federation relationship in place)`, 'federation', async () => {
    const result = await cluster.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -format spiffe`
    const domains = result.exitCode === 0 ? listedTrustDomains(result.stdout) : []
    seen = result.exitCode === 0 ? `bundles of: ${domains.join(', ') || 'none'}` : result.stderr.trim()
    return domains.includes(wanted) ? true : undefined
  }, `check the ClusterFederatedTrustDomain in ${cluster.name} and that ${cluster.other.name}'s bundle endpoint answers; spire-server's log: kubectl --context=${cluster.context} logs -n spire spire-server-0 -c spire-server`, () => seen)
}
