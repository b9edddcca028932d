// What the SPIRE side of a cluster knows: its bundle endpoint address, its own bundle, the
// bundle it holds for the other trust domain, and whether the other side's bundle endpoint
// answers from here. Each read runs one command; the waits are here.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { parse as parseYaml } from 'yaml'
import { bundleKeys, holdsKeysOf, parseBundle, sameKeys } from './bundle.ts'
import type { Cluster } from './clusters.ts'
import { standIns } from './defaults.ts'
import { fail } from './errors.ts'
import type { Result } from './run.ts'
import * as check from './validate.ts'
import { selfSignedCaCertificate } from './x509.ts'
import { probeTimeout, waitFor } from './wait.ts'

// The ClusterSPIFFEID step 04's values make for Istio's pods: the chart names each one
// <namespace>-<release>-<key> (controller-manager-cluster-ids.yaml), here spire, spire, sidecars.
export const sidecarsClusterSpiffeId = 'spire-spire-sidecars'

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

// What a dry run shows instead of a real bundle: one shaped like SPIRE's, with fresh keys. An
// X.509 authority (x509-svid) carries its CA certificate in x5c, a self-signed certificate
// for spiffe://<trust domain>, as SPIRE's server makes it; a JWT authority (jwt-svid) has a
// key ID. RSA 2048 for both, the chart's caKeyType (SPIRE uses it for JWT keys too).
export function standInBundle(trustDomain: string): string {
  const ca = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwt = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' })
  const certificate = selfSignedCaCertificate({ ...ca, subject: { country: 'US', organization: 'istio.io', commonName: trustDomain }, uri: `spiffe://${trustDomain}` })
  const x509 = ca.publicKey.export({ format: 'jwk' })
  return JSON.stringify({
    keys: [
      { use: 'x509-svid', kty: 'RSA', n: x509.n, e: x509.e, x5c: [certificate.toString('base64')] },
      { use: 'jwt-svid', kty: 'RSA', kid: randomBytes(24).toString('base64url'), n: jwt.n, e: jwt.e },
    ],
    spiffe_sequence: 1,
    spiffe_refresh_hint: 300,
  })
}

export async function showBundle(cluster: Cluster): Promise<string> {
  const { stdout } = await cluster.$({ standIn: () => standInBundle(cluster.trustDomain), fix: `check that spire-server-0 runs: kubectl --context=${cluster.context} get pods -n spire` })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle show -format spiffe`
  return parseBundle(stdout, cluster.name)
}

// `spire-server bundle list -id`: the bundle this server holds for another trust domain,
// or undefined when it holds none (SPIRE answers NotFound).
async function heldBundle(cluster: Cluster, domain: string, quiet: boolean, standIn: string): Promise<{ bundle?: string; seen: string }> {
  const result = await cluster.$({ quiet, nothrow: true, timeout: probeTimeout, standIn })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle list -id ${`spiffe://${domain}`} -format spiffe`
  if (result.exitCode !== 0) return { seen: result.stderr.trim().split('\n')[0] ?? '' }
  return bundleKeys(result.stdout).length > 0 ? { bundle: result.stdout, seen: 'a bundle' } : { seen: `not a bundle: ${result.stdout.trim().slice(0, 60)}` }
}

// `spire-server federation list`: "Trust domain : x" starts each relationship, the lines
// after it name its endpoint. Trust domain to bundle endpoint URL.
export function parseFederationList(text: string): Map<string, string> {
  const relationships = new Map<string, string>()
  let domain: string | undefined
  for (const line of text.split('\n')) {
    const match = /^(Trust domain|Bundle endpoint URL)\s*:\s*(\S+)\s*$/.exec(line)
    if (match?.[1] === 'Trust domain') domain = match[2]!
    else if (match && domain !== undefined) relationships.set(domain, match[2]!)
  }
  return relationships
}

// What a ClusterFederatedTrustDomain manifest names as the other side's bundle endpoint.
export function bundleEndpointURLIn(manifest: string, where: string): string {
  const url = (parseYaml(manifest) as { spec?: { bundleEndpointURL?: unknown } } | null)?.spec?.bundleEndpointURL
  if (typeof url !== 'string' || url === '') fail(`${where} names no spec.bundleEndpointURL`, 'check templates/cluster-federated-trust-domain.yaml (or your edited copy, WORKBOOK_TEMPLATES)')
  return url
}

const standInFederationList = (domain: string, url: string) =>
  `Found 1 federation relationship\n\nTrust domain              : ${domain}\nBundle endpoint URL       : ${url}\nBundle endpoint profile   : https_spiffe\nEndpoint SPIFFE ID        : spiffe://${domain}/spire/server\n`

// The controller manager has made the federation relationship with the other trust domain,
// for the endpoint the resource names: `spire-server federation list` shows it. Creating
// it stored the resource's bundle; returns the bundle the server holds now (undefined if
// it holds none, as after a `bundle delete`).
export async function waitForRelationship(cluster: Cluster, url: string, current: string): Promise<string | undefined> {
  const domain = cluster.other.trustDomain
  let polls = 0
  let seen = ''
  await waitFor(cluster.name, `the federation relationship with ${domain} (${url}) in ${cluster.name}'s SPIRE server`, 'federation', async () => {
    const result = await cluster.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn: standInFederationList(domain, url) })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server federation list`
    const listed = result.exitCode === 0 ? parseFederationList(result.stdout).get(domain) : undefined
    seen = result.exitCode !== 0 ? result.stderr.trim().split('\n')[0] ?? '' : listed ? `it names ${listed}` : result.stdout.trim().split('\n')[0] ?? 'no output'
    return listed === url ? true : undefined
  }, `the controller manager did not act on the ClusterFederatedTrustDomain: kubectl --context=${cluster.context} get clusterfederatedtrustdomain ${cluster.other.name} -o yaml ` +
    `(a className other than the installation's, spire-spire, is skipped without a word) and kubectl --context=${cluster.context} logs -n spire spire-server-0 -c spire-controller-manager`, () => seen)
  return (await heldBundle(cluster, domain, false, current)).bundle
}

// The server holds every key of the other domain's current bundle.
export async function waitForCurrentBundle(cluster: Cluster, current: string): Promise<void> {
  const domain = cluster.other.trustDomain
  let polls = 0
  let seen = ''
  await waitFor(cluster.name, `${cluster.other.name}'s current bundle in ${cluster.name}'s SPIRE server`, 'federation', async () => {
    const held = await heldBundle(cluster, domain, polls++ > 0, current)
    seen = held.bundle ? `it holds other keys for ${domain}` : held.seen
    return held.bundle && holdsKeysOf(held.bundle, current) ? true : undefined
  }, `set it by hand: kubectl --context=${cluster.context} exec -i -c spire-server -n spire spire-server-0 -- spire-server bundle set -format spiffe -id spiffe://${domain} < ${cluster.other.name}-bundle.json ` +
    `(the bundle from spire-server bundle show -format spiffe in ${cluster.other.name})`, () => seen)
}

// What federation needs while it runs: this cluster's SPIRE server fetches the other side's
// bundle from its endpoint, again and again. `fetch` runs one attempt from inside this
// cluster (a short-lived pod); the endpoint answers when it serves the keys `current` has.
export async function waitForBundleEndpoint(cluster: Cluster, url: string, current: string, fetch: (quiet: boolean) => Promise<Result>): Promise<void> {
  const other = cluster.other.name
  let polls = 0
  let seen = ''
  await waitFor(cluster.name, `${other}'s bundle endpoint ${url}, fetched from ${cluster.name}, serving ${other}'s keys`, 'federation', async () => {
    const result = await fetch(polls++ > 0)
    const served = result.stdout.trim()
    if (result.exitCode !== 0) seen = (result.stderr.trim() || `exit ${result.exitCode}`).split('\n').find((line) => line.startsWith('curl:')) ?? result.stderr.trim().split('\n')[0]!
    else if (bundleKeys(served).length === 0) seen = `it answers, but not with a bundle: ${served.slice(0, 60)}`
    else if (!sameKeys(served, current)) seen = `it serves other keys than ${other}'s SPIRE server shows (is ${url} ${other}'s?)`
    else return true
    return undefined
  }, `${cluster.name}'s SPIRE server refreshes ${other}'s bundle from there. Check that the URL's port is the one the Service spire-server in ${other} serves it on (federation, 8443: kubectl --context=${cluster.other.context} get svc spire-server -n spire), from ${cluster.name} that ${other} announces the address (with kind: MetalLB's L2Advertisement, ` +
    `kubectl --context=${cluster.other.context} get l2advertisements -n metallb-system) or that its host name resolves (clouds), and that spire-server-0 in ${other} runs; ` +
    'see docs/troubleshooting.md#a-bundle-endpoint-that-does-not-answer', () => seen)
}
