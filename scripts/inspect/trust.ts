#!/usr/bin/env node
// Page: docs/15-send-requests.md#follow-the-trust-make-inspect-trust
// What each end of the cross-cluster call trusts, after step 15: each SPIRE server's own
// bundle as PEM; the ROOTCA that curl's proxy (east) and v2's proxy (west) hold, one bundle per
// trust domain, compared with those; and each side's SVID checked against the other side's
// roots, as the mutual TLS handshake checks it. It only reads.
import { step } from '../../lib/step.ts'
import { fail } from '../../lib/errors.ts'
import { compareRoots, decodeCertificate, describeCertificate, fingerprints, issuedByOneOf, means, pemBlocks, proxySecrets, shortName, shows } from '../../lib/inspect.ts'
import { note, ok } from '../../lib/output.ts'

const wb = await step('inspect-trust', 'what curl (east) and helloworld v2 (west) trust, against both SPIRE servers\' bundles', {
  tools: ['kubectl', 'istioctl'], page: 'docs/15-send-requests.md',
})
const { east, west } = wb
if (wb.dryRun) {
  note(undefined, `a dry run has no cluster to read: inspect-trust only reads what steps 04 to 15 made; run it against the clusters, after make 15`)
  process.exit(0)
}

// Each server's own bundle as PEM: its X.509 authorities (the x5c of its x509-svid keys).
const [eastBundle, westBundle] = await wb.both(async (cluster) => {
  const { stdout } = await cluster.$({ fix: `check that spire-server-0 runs: kubectl --context=${cluster.context} get pods -n spire` })`kubectl --context=${cluster.context} exec -c spire-server -n spire spire-server-0 -- spire-server bundle show -format pem`
  const authorities = pemBlocks(stdout)
  if (authorities.length === 0) fail(`[${cluster.name}] spire-server bundle show -format pem printed no certificate`, `check that spire-server-0 in ${cluster.name} has finished starting`)
  shows(cluster.name, `${cluster.trustDomain}'s bundle: ${fingerprints(stdout)}, ${shortName(decodeCertificate(authorities[0]!).subject)}`)
  return stdout
})
means(undefined, 'each trust domain\'s X.509 authorities, the x5c of its bundle\'s x509-svid keys (its jwt-svid keys sign JWTs, which mutual TLS never uses)')
const bundles = { [east.trustDomain]: eastBundle, [west.trustDomain]: westBundle }
const owner = { [east.trustDomain]: east, [west.trustDomain]: west }

// The two ends of the call: curl's proxy in east, v2's in west. Each holds its SVID (default)
// and ROOTCA, which must be, for each trust domain, that trust domain's current bundle.
const [curl, v2] = await wb.both(async (cluster) => {
  const end = cluster.role === 'east' ? { name: 'curl', deploy: 'deploy/curl', makeStep: 'make 13' } : { name: 'v2', deploy: 'deploy/helloworld-v2', makeStep: 'make 12' }
  const secrets = proxySecrets((await cluster.$({ fix: `run ${end.makeStep}` })`istioctl --context=${cluster.context} proxy-config secret ${end.deploy} -o json`).stdout)
  if (!secrets.fromSpire || !secrets.certificateChain) fail(`[${cluster.name}] ${end.name}'s proxy holds no certificate from SPIRE: is it injected with sidecar,spire?`, `run ${end.makeStep}`)
  const svid = decodeCertificate(secrets.certificateChain)
  shows(cluster.name, `${end.name}'s default: ${describeCertificate(svid)}`)
  const roots = compareRoots(secrets.roots, bundles)
  shows(cluster.name, `${end.name}'s ROOTCA: ${roots.map((r) => `${r.trustDomain} (${r.held === 'same' ? `${owner[r.trustDomain]!.name}'s bundle` : r.held})`).join(', ')}`)
  for (const { trustDomain, held } of roots) {
    const other = owner[trustDomain]!
    if (held === 'missing') fail(`[${cluster.name}] ${end.name}'s proxy holds no ROOTCA bundle for ${trustDomain}`, `${other.name}'s bundle has not reached ${cluster.name}'s SPIRE agent: check federation (make 05) and that the entry federates with ${trustDomain} (make inspect-identity shows one)`)
    if (held === 'other') fail(`[${cluster.name}] ${end.name}'s ${trustDomain} root is not ${other.name}'s current bundle`, `make 05 gives ${cluster.name}'s SPIRE server ${other.name}'s current bundle`)
  }
  return { ...end, cluster, svid, secrets }
})
means(undefined, 'default is the identity a proxy presents; ROOTCA holds one bundle per trust domain (SPIRE\'s SPIFFE validator), and a peer is checked against the bundle of its own trust domain')

// The handshake, certificate by certificate: each side's SVID must chain to the root the other
// side holds for its trust domain.
for (const [client, server] of [[curl, v2], [v2, curl]] as const) {
  const roots = client.secrets.roots.find((r) => r.trustDomain === server.cluster.trustDomain)!
  if (!issuedByOneOf(server.svid, roots.pem)) {
    fail(`[${client.cluster.name}] ${server.name}'s certificate does not chain to the ${server.cluster.trustDomain} root ${client.name}'s proxy holds`,
      `that root is ${server.cluster.name}'s current bundle, so ${server.name}'s proxy holds a certificate from before: kubectl --context=${server.cluster.context} rollout restart ${server.deploy}`)
  }
  ok(client.cluster.name, `${client.name}'s proxy can verify ${server.name}: ${server.svid.spiffeId} chains to the ${server.cluster.trustDomain} root it holds`)
}
