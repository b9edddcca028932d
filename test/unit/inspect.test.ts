// lib/inspect.ts reads what spire-server, kubectl and istioctl print about one identity, and
// the certificates inside: checked here on certificates made with lib/x509.ts and on output
// in the formats of SPIRE 1.11.0 (entry show), Envoy's secrets dump and the ClusterSPIFFEID CRD.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { clusterSpiffeIdRule, compareRoots, decodeCertificate, describeCertificate, issuedByOneOf, lifetime, parseEntries, pemBlocks, proxySecrets, sameCertificates, selectorText, shortName } from '../../lib/inspect.ts'
import { leafCertificate, pem, selfSignedCaCertificate } from '../../lib/x509.ts'

function authority(trustDomain: string) {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const der = selfSignedCaCertificate({ ...keys, subject: { country: 'US', organization: 'istio.io', commonName: trustDomain }, uri: `spiffe://${trustDomain}` })
  return { der, pem: pem(der), privateKey: keys.privateKey }
}
const east = authority('east.local')
const west = authority('west.local')
const notBefore = new Date('2025-09-05T17:43:45Z')
const svid = pem(leafCertificate({
  publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, subject: { country: 'US', organization: 'SPIRE' },
  uri: 'spiffe://east.local/ns/default/sa/curl', issuer: { certificate: east.der, privateKey: east.privateKey },
  notBefore, notAfter: new Date(notBefore.getTime() + 4 * 3600_000 + 10_000),
}))

test('a certificate decoded: its SPIFFE ID, issuer without the serial number, lifetime', () => {
  const certificate = decodeCertificate(svid)
  assert.equal(certificate.spiffeId, 'spiffe://east.local/ns/default/sa/curl')
  assert.equal(certificate.ca, false)
  assert.match(certificate.issuer, /^C=US, O=istio\.io, CN=east\.local, serialNumber=\d+$/)
  assert.equal(shortName(certificate.issuer), 'C=US, O=istio.io, CN=east.local')
  assert.equal(describeCertificate(certificate), 'spiffe://east.local/ns/default/sa/curl, issued by C=US, O=istio.io, CN=east.local, valid 2025-09-05T17:43:45Z to 2025-09-05T21:43:55Z (4h10s)')
  assert.deepEqual([lifetime(4 * 3600_000), lifetime(90_000), lifetime(0), lifetime(86_400_000 + 1800_000)], ['4h', '1m30s', '0s', '24h30m'])
})

test('an SVID chains to its own trust domain\'s root only; bundles compare by their certificates', () => {
  const certificate = decodeCertificate(svid)
  assert.ok(issuedByOneOf(certificate, east.pem))
  assert.ok(issuedByOneOf(certificate, west.pem + east.pem), 'any root of the bundle')
  assert.ok(!issuedByOneOf(certificate, west.pem))
  assert.ok(sameCertificates(east.pem + west.pem, west.pem + east.pem))
  assert.ok(!sameCertificates(east.pem, west.pem))
  assert.ok(!sameCertificates('', ''), 'no certificates are not the same certificates')
  assert.equal(pemBlocks(`noise\n${east.pem}\n${west.pem}`).length, 2)
})

test('the ClusterSPIFFEID: its template, selectors as kubectl writes them, federatesWith', () => {
  const rule = clusterSpiffeIdRule(JSON.stringify({
    apiVersion: 'spire.spiffe.io/v1alpha1', kind: 'ClusterSPIFFEID', metadata: { name: 'spire-spire-sidecars' },
    spec: {
      className: 'spire-spire', hint: 'sidecars', federatesWith: ['west.local'],
      spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}',
      podSelector: { matchExpressions: [{ key: 'service.istio.io/canonical-name', operator: 'Exists' }] },
      namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['spire'] }] },
    },
  }))
  assert.deepEqual(rule, {
    name: 'spire-spire-sidecars', template: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}',
    podSelector: 'service.istio.io/canonical-name', namespaceSelector: 'kubernetes.io/metadata.name notin (spire)', federatesWith: ['west.local'],
  })
  assert.equal(selectorText({ matchLabels: { app: 'helloworld' }, matchExpressions: [{ key: 'gone', operator: 'DoesNotExist' }] }), 'app=helloworld, !gone')
  assert.equal(selectorText(undefined), 'everything')
  assert.throws(() => clusterSpiffeIdRule('Error from server (NotFound): clusterspiffeids.spire.spiffe.io "x" not found'), /did not print a JSON object/)
})

test('spire-server entry show: each entry\'s fields, repeated ones as lists', () => {
  const text = [
    'Found 2 entries',
    'Entry ID         : 9799f686-8a37-4181-a59e-f212f00e82de',
    'SPIFFE ID        : spiffe://east.local/ns/default/sa/curl',
    'Parent ID        : spiffe://east.local/spire/agent/k8s_psat/east/84df38f9-3533-43e1-aa95-1c0c7f17cb47',
    'Revision         : 0',
    'X509-SVID TTL    : default',
    'JWT-SVID TTL     : default',
    'Selector         : k8s:pod-uid:fa21af29-f523-4abf-bec2-c570523e3be6',
    'FederatesWith    : west.local',
    'FederatesWith    : north.local',
    'Hint             : sidecars',
    '',
    'Entry ID         : 2a0d9d48-ec8a-4203-ac4e-ddfcdad40b7e',
    'SPIFFE ID        : spiffe://east.local/ns/default/sa/default',
    'Parent ID        : spiffe://east.local/spire/agent/k8s_psat/east/84df38f9-3533-43e1-aa95-1c0c7f17cb47',
    'Revision         : 0',
    'X509-SVID TTL    : default',
    'JWT-SVID TTL     : default',
    'Selector         : k8s:ns:default',
    'Selector         : k8s:pod-uid:f759cfd5-0dba-46fd-a620-dd85d4a06c77',
    '',
  ].join('\n')
  const entries = parseEntries(text)
  assert.equal(entries.length, 2)
  assert.deepEqual(entries[0], {
    id: '9799f686-8a37-4181-a59e-f212f00e82de', spiffeId: 'spiffe://east.local/ns/default/sa/curl',
    parentId: 'spiffe://east.local/spire/agent/k8s_psat/east/84df38f9-3533-43e1-aa95-1c0c7f17cb47',
    selectors: ['k8s:pod-uid:fa21af29-f523-4abf-bec2-c570523e3be6'], federatesWith: ['west.local', 'north.local'], hint: 'sidecars',
  })
  assert.deepEqual(entries[1]!.selectors, ['k8s:ns:default', 'k8s:pod-uid:f759cfd5-0dba-46fd-a620-dd85d4a06c77'])
  assert.deepEqual(entries[1]!.federatesWith, [])
  assert.deepEqual(parseEntries('Found 0 entries\n'), [])
  assert.throws(() => parseEntries('Error: connection error'), /did not print entries/)
})

test('Envoy\'s secrets dump: the SVID chain, and ROOTCA per trust domain from SPIRE or as one CA from istiod', () => {
  const inline = (text: string) => ({ inlineBytes: Buffer.from(text).toString('base64') })
  const type = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'
  const certificate = { name: 'default', secret: { '@type': type, name: 'default', tlsCertificate: { certificateChain: inline(svid), privateKey: inline('[redacted]') } } }
  const fromSpire = proxySecrets(JSON.stringify({
    dynamicActiveSecrets: [certificate, { name: 'ROOTCA', secret: { '@type': type, name: 'ROOTCA', validationContext: { customValidatorConfig: { name: 'envoy.tls.cert_validator.spiffe', typedConfig: { trustDomains: [{ name: 'east.local', trustBundle: inline(east.pem) }, { name: 'west.local', trustBundle: inline(west.pem) }] } } } } }],
  }))
  assert.equal(fromSpire.fromSpire, true)
  assert.equal(fromSpire.certificateChain, svid)
  assert.deepEqual(fromSpire.roots, [{ trustDomain: 'east.local', pem: east.pem }, { trustDomain: 'west.local', pem: west.pem }])
  assert.deepEqual(compareRoots(fromSpire.roots, { 'east.local': east.pem, 'west.local': west.pem }), [{ trustDomain: 'east.local', held: 'same' }, { trustDomain: 'west.local', held: 'same' }])
  assert.deepEqual(compareRoots(fromSpire.roots.slice(0, 1), { 'east.local': west.pem, 'west.local': west.pem }), [{ trustDomain: 'east.local', held: 'other' }, { trustDomain: 'west.local', held: 'missing' }])
  const fromIstiod = proxySecrets(JSON.stringify({ dynamicActiveSecrets: [certificate, { name: 'ROOTCA', secret: { '@type': type, name: 'ROOTCA', validationContext: { trustedCa: inline(east.pem) } } }] }))
  assert.equal(fromIstiod.fromSpire, false)
  assert.deepEqual(fromIstiod.roots, [{ pem: east.pem }])
  const warming = proxySecrets(JSON.stringify({ dynamicWarmingSecrets: [{ name: 'default' }, { name: 'ROOTCA' }] }))
  assert.equal(warming.certificateChain, undefined)
  assert.deepEqual(warming.roots, [])
})
