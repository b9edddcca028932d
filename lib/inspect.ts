// Reading one identity where each tool shows it: the ClusterSPIFFEID (the rule), SPIRE's
// registration entries (`spire-server entry show`), the secrets an Envoy holds (`istioctl
// proxy-config secret -o json`), a bundle as PEM (`spire-server bundle show -format pem`),
// and the certificates inside them, decoded with Node's X509Certificate.
import { X509Certificate } from 'node:crypto'
import { fail } from './errors.ts'
import { dim, say, tag } from './output.ts'

// What an inspection shows, then (unless another line says it) one line on what it means.
export function shows(label: string | undefined, what: string, meaning?: string): void {
  say(`${tag(label)}  ${what}`)
  if (meaning) means(label, meaning)
}

export function means(label: string | undefined, meaning: string): void {
  say(`${tag(label)}  ${dim(`↳ ${meaning}`)}`)
}

// ---------- certificates ----------

export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

export interface Certificate {
  spiffeId?: string       // the spiffe:// URI SAN
  subject: string
  issuer: string
  notBefore: Date
  notAfter: Date
  ca: boolean
  fingerprint: string     // SHA-256 of the DER, hex
  x509: X509Certificate
}

// "C=US\nO=istio.io\nCN=east.local" as one line.
const oneLine = (name: string) => name.split('\n').join(', ')

export function decodeCertificate(pem: string): Certificate {
  const x509 = new X509Certificate(pem)
  return {
    spiffeId: /URI:(spiffe:\/\/[^,\s]+)/.exec(x509.subjectAltName ?? '')?.[1],
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    ca: x509.ca,
    fingerprint: x509.fingerprint256.replaceAll(':', '').toLowerCase(),
    x509,
  }
}

// A duration as people write it: 4h, 24h, 1h30m, 45m, 90s.
export function lifetime(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60]
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`
}

const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z')

// A name without its serialNumber attribute (SPIRE writes the CA's serial there): C=US, O=istio.io, CN=east.local.
export function shortName(name: string): string {
  return name.split(', ').filter((part) => !part.startsWith('serialNumber=')).join(', ')
}

// "spiffe://east.local/ns/default/sa/default, issued by C=US, O=istio.io, CN=east.local, valid 2025-09-05T17:43:45Z to 2025-09-05T21:43:55Z (4h10s)"
export function describeCertificate(certificate: Certificate): string {
  return `${certificate.spiffeId ?? certificate.subject}, issued by ${shortName(certificate.issuer)}, valid ${isoSeconds(certificate.notBefore)} to ${isoSeconds(certificate.notAfter)} (${lifetime(certificate.notAfter.getTime() - certificate.notBefore.getTime())})`
}

// The CA certificates of a bundle, by their short SHA-256 fingerprints.
export function fingerprints(pem: string): string {
  const blocks = pemBlocks(pem)
  return blocks.length === 0 ? 'no certificate' : blocks.map((block) => `sha256 ${decodeCertificate(block).fingerprint.slice(0, 16)}…`).join(', ')
}

// Whether two PEM texts hold the same certificates, in any order.
export function sameCertificates(a: string, b: string): boolean {
  const set = (text: string) => pemBlocks(text).map((block) => decodeCertificate(block).fingerprint).sort().join(' ')
  return set(a) !== '' && set(a) === set(b)
}

// Whether a certificate chains to one of the roots: issued by it (names and key
// identifiers) and signed with its key. (A SPIRE CA without an upstream authority signs
// SVIDs itself, so the chain is the SVID alone.)
export function issuedByOneOf(leaf: Certificate, rootsPem: string): boolean {
  return pemBlocks(rootsPem).some((block) => {
    const root = new X509Certificate(block)
    return leaf.x509.checkIssued(root) && leaf.x509.verify(root.publicKey)
  })
}

// ---------- a ClusterSPIFFEID ----------

export interface ClusterSpiffeIdRule {
  name: string
  template: string
  podSelector: string
  namespaceSelector: string
  federatesWith: string[]
}

interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>
}

// A label selector as kubectl writes one: app=helloworld, service.istio.io/canonical-name, name notin (spire).
export function selectorText(selector: LabelSelector | undefined): string {
  const parts = [
    ...Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector?.matchExpressions ?? []).map((e) => e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`),
  ]
  return parts.length ? parts.join(', ') : 'everything'
}

export function clusterSpiffeIdRule(json: string): ClusterSpiffeIdRule {
  const object = parseJson(json, 'kubectl get clusterspiffeid')
  return {
    name: String(object.metadata?.name ?? ''),
    template: String(object.spec?.spiffeIDTemplate ?? ''),
    podSelector: selectorText(object.spec?.podSelector),
    namespaceSelector: selectorText(object.spec?.namespaceSelector),
    federatesWith: Array.isArray(object.spec?.federatesWith) ? object.spec.federatesWith.map(String) : [],
  }
}

// ---------- registration entries ----------

export interface RegistrationEntry {
  id: string
  spiffeId: string
  parentId: string
  selectors: string[]
  federatesWith: string[]
  hint?: string
}

// `spire-server entry show`: "Found N entries", then one block of "Name : value" lines per entry.
export function parseEntries(text: string): RegistrationEntry[] {
  if (!/^Found \d+ entr(y|ies)/m.test(text)) fail(`spire-server entry show did not print entries; it printed: ${text.trim().slice(0, 200) || 'nothing'}`, 'check that spire-server-0 runs (kubectl get pods -n spire), then run this again')
  return text.split(/\n\s*\n/).map((block) => {
    const fields: Array<[string, string]> = block.split('\n').map((line) => /^([A-Za-z][\w -]*?)\s+:\s(.*)$/.exec(line)).filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1]!, m[2]!.trim()])
    const all = (name: string) => fields.filter(([key]) => key === name).map(([, value]) => value)
    return { id: all('Entry ID')[0] ?? '', spiffeId: all('SPIFFE ID')[0] ?? '', parentId: all('Parent ID')[0] ?? '', selectors: all('Selector'), federatesWith: all('FederatesWith'), hint: all('Hint')[0] }
  }).filter((entry) => entry.id !== '')
}

// ---------- the secrets of an Envoy ----------

export interface ProxySecrets {
  certificateChain?: string                              // `default`, PEM
  roots: Array<{ trustDomain?: string; pem: string }>     // `ROOTCA`: one per trust domain (SPIRE), or one trusted CA (istiod)
  fromSpire: boolean                                      // ROOTCA came as a SPIFFE validator
}

// `istioctl proxy-config secret ... -o json`: Envoy's secrets dump (dynamicActiveSecrets).
export function proxySecrets(json: string): ProxySecrets {
  const dump = parseJson(json, 'istioctl proxy-config secret -o json')
  const active: Array<{ name?: string; secret?: Record<string, any> }> = Array.isArray(dump.dynamicActiveSecrets) ? dump.dynamicActiveSecrets : []
  const text = (source: { inlineBytes?: string } | undefined) => source?.inlineBytes ? Buffer.from(source.inlineBytes, 'base64').toString('utf8') : undefined
  const chain = text(active.find((s) => s.name === 'default')?.secret?.tlsCertificate?.certificateChain)
  const validation = active.find((s) => s.name === 'ROOTCA')?.secret?.validationContext
  const domains: Array<{ name?: string; trustBundle?: { inlineBytes?: string } }> | undefined = validation?.customValidatorConfig?.typedConfig?.trustDomains
  if (Array.isArray(domains)) return { certificateChain: chain, roots: domains.map((d) => ({ trustDomain: d.name, pem: text(d.trustBundle) ?? '' })), fromSpire: true }
  const trusted = text(validation?.trustedCa)
  return { certificateChain: chain, roots: trusted ? [{ pem: trusted }] : [], fromSpire: false }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parseJson(text: string, what: string): Record<string, any> {
  try {
    const value = JSON.parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value
  } catch {
    // reported below
  }
  return fail(`${what} did not print a JSON object; it printed: ${text.trim().slice(0, 200) || 'nothing'}`, 'check the tool\'s version (make doctor) and its full output in the log')
}

// How a proxy's ROOTCA compares with the trust domains' current bundles, domain by domain:
// the same certificates, other ones (an old bundle), or none at all.
export function compareRoots(roots: ProxySecrets['roots'], bundles: Record<string, string>): Array<{ trustDomain: string; held: 'same' | 'other' | 'missing' }> {
  return Object.entries(bundles).map(([trustDomain, bundle]) => {
    const root = roots.find((r) => r.trustDomain === trustDomain)
    return { trustDomain, held: !root ? 'missing' : sameCertificates(root.pem, bundle) ? 'same' : 'other' }
  })
}
