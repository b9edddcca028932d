// The certificates an Istio proxy holds, as real X.509, so that what `istioctl proxy-config
// secret` shows (its table and its `-o json`) can be decoded, chained and compared with
// `spire-server bundle show -format pem` as on a real cluster.
//
// - From SPIRE (the pod mounts the Workload API socket): `default` is an X509-SVID that the
//   cluster's SPIRE CA signs (credtemplate/builder.go in spiffe/spire v1.11.0: subject
//   C=US, O=SPIRE, the SPIFFE ID as URI SAN, valid from 10 s before it was issued for the
//   chart's defaultX509SvidTTL, 4h, capped at the CA's expiry; the chain is the leaf alone,
//   as a self-signed CA has no upstream chain, pkg/server/ca/ca.go makeCertChain); its key
//   is EC P-256, the agent's workload_x509_svid_key_type default. `ROOTCA` is what the
//   agent's SDS handler builds for default_all_bundles_name (pkg/agent/endpoints/sdsv3/
//   handler.go, spiffeBuilder.buildAll): a SPIFFE validator with one trust domain per bundle
//   the workload may trust, sorted by name, each the PEM of that bundle's X.509 authorities.
// - From istiod (no socket): a certificate istiod's self-signed root signs (security/pkg/pki/
//   ca/ca.go: root O=<trust domain>, a CA, no SAN, 10 years, DefaultSelfSignedCACertTTL;
//   workload certificates 24h, DefaultWorkloadCertTTL, security/pkg/cmd/constants.go), and
//   `ROOTCA` that root as a trusted CA.
// A workload's key never leaves the pod, so the lab derives it from the pod (the same pod
// gets the same key and certificate in every invocation, without storing either). Istio's
// agent would make an RSA key; the lab's istiod-issued leaves use EC too: nothing the lab
// models depends on the leaf's key type.
import { createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { leafCertificate, pem, selfSignedCaCertificate } from '../../../lib/x509.ts'
import { proxyIdentity } from './istio.ts'
import type { ClusterState, Obj, Stored, World } from './model.ts'
import { federatedNow } from './spire.ts'

const hour = 3600_000

// istiod's self-signed root, made when istiod first starts (it keeps it in the Secret
// istio-ca-secret): RSA 2048, subject O=<trust domain> and nothing else, ten years.
export function istiodAuthority(trustDomain: string, now = Date.now()): { certificate: string; key: string } {
  const ca = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const notBefore = new Date(Math.floor(now / 1000) * 1000)
  const der = selfSignedCaCertificate({ ...ca, subject: { organization: trustDomain, serialNumber: '' }, notBefore, notAfter: new Date(notBefore.getTime() + 3650 * 24 * hour) })
  return { certificate: der.toString('base64'), key: ca.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

// An EC P-256 key pair from a seed: the private scalar is the seed's SHA-256, the public
// point follows from it.
function derivedKey(seed: string): { publicKey: KeyObject; privateKey: KeyObject } {
  const d = createHash('sha256').update(seed).digest()
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(d)
  const point = ecdh.getPublicKey() // 0x04 || x || y
  const privateKey = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' })
  return { privateKey, publicKey: createPublicKey(privateKey) }
}

export interface ProxyCertificates {
  source: 'spire' | 'istiod' | 'none'
  chain?: string                                   // `default`: the certificate chain, PEM
  roots: Array<{ trustDomain?: string; pem: string }> // `ROOTCA`: per trust domain (SPIFFE validator), or one trusted CA (istiod)
}

// The X.509 authorities of a SPIFFE bundle (the x5c of its x509-svid keys), as PEM.
export function bundleAuthoritiesPem(bundle: Obj): string {
  return (bundle.keys ?? []).filter((key: Obj) => key.use === 'x509-svid' && Array.isArray(key.x5c)).map((key: Obj) => pem(Buffer.from(String(key.x5c[0]), 'base64'))).join('')
}

export function proxyCertificates(world: World, state: ClusterState, pod: Stored, now = Date.now()): ProxyCertificates | undefined {
  const id = proxyIdentity(world, state, pod, now)
  if (!id) return undefined
  if (id.source === 'none') return { source: 'none', roots: [] }
  const issued = pod.meta.created
  const uid = String(pod.obj.metadata?.uid ?? pod.obj.metadata?.name)
  const leaf = (issuer: { certificate: Buffer; privateKey: KeyObject }, subject: Obj, ttl: number) => {
    const ca = new X509Certificate(issuer.certificate)
    const seed = `${uid} ${id.spiffeId} ${ca.serialNumber}`
    const notBefore = new Date(Math.floor(issued / 1000) * 1000 - 10_000)
    const notAfter = new Date(Math.min(notBefore.getTime() + 10_000 + ttl, new Date(ca.validTo).getTime()))
    return pem(leafCertificate({
      publicKey: derivedKey(`key ${seed}`).publicKey, subject, uri: id.spiffeId, issuer, notBefore, notAfter,
      serial: createHash('sha256').update(`serial ${seed}`).digest().subarray(0, 16),
    }))
  }
  if (id.source === 'istiod') {
    if (!state.istioCa) throw new Error(`lab: ${state.name} has no istiod root to sign ${pod.obj.metadata?.name}'s certificate with`)
    const root = Buffer.from(state.istioCa.certificate, 'base64')
    return { source: 'istiod', chain: leaf({ certificate: root, privateKey: createPrivateKey(state.istioCa.key) }, {}, 24 * hour), roots: [{ pem: pem(root) }] }
  }
  const spire = state.spire!
  const x509 = spire.bundle.keys.find((key: Obj) => key.use === 'x509-svid')
  if (!spire.caKey || !x509) throw new Error(`lab: ${state.name}'s SPIRE server has no CA key to sign ${pod.obj.metadata?.name}'s SVID with`)
  const chain = leaf({ certificate: Buffer.from(String(x509.x5c[0]), 'base64'), privateKey: createPrivateKey(spire.caKey) }, { country: 'US', organization: 'SPIRE' }, 4 * hour)
  const federated = new Map(federatedNow(world, state, now).map((f) => [f.trustDomain, f.bundle]))
  const roots = id.rootDomains
    .map((domain) => ({ trustDomain: domain, pem: bundleAuthoritiesPem(domain === spire.trustDomain ? spire.bundle : federated.get(domain) ?? { keys: [] }) }))
    .sort((a, b) => a.trustDomain.localeCompare(b.trustDomain))
  return { source: 'spire', chain, roots }
}
