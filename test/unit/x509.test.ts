// lib/x509.ts writes certificates byte by byte; Node's own X509Certificate (OpenSSL) must
// read them as a CA and an X509-SVID that CA signed, with the names, keys, SANs and
// lifetimes they were given.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { leafCertificate, pem, selfSignedCaCertificate } from '../../lib/x509.ts'

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })

test('a self-signed CA: a CA certificate for the trust domain, signed by its own key, its serial number in its subject', () => {
  const ca = rsa()
  const notBefore = new Date('2025-09-05T17:33:24Z')
  const der = selfSignedCaCertificate({ ...ca, subject: { country: 'US', organization: 'istio.io', commonName: 'east.local' }, uri: 'spiffe://east.local', notBefore, serial: Buffer.from('0123456789abcdef0123456789abcdef', 'hex') })
  const cert = new X509Certificate(der)
  assert.equal(cert.ca, true)
  assert.equal(cert.subjectAltName, 'URI:spiffe://east.local')
  assert.equal(cert.subject, `C=US\nO=istio.io\nCN=east.local\nserialNumber=${BigInt('0x0123456789abcdef0123456789abcdef')}`)
  assert.equal(cert.issuer, cert.subject)
  assert.equal(cert.serialNumber.toLowerCase(), '0123456789abcdef0123456789abcdef')
  assert.ok(cert.verify(ca.publicKey), 'signed with its own key')
  assert.equal(new Date(cert.validFrom).toISOString(), '2025-09-05T17:33:24.000Z')
  assert.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), 86_400_000, 'one day by default')
  assert.deepEqual(cert.keyUsage, undefined, 'no extended key usage on a CA')
})

test('a leaf the CA signs: an EC key, the SPIFFE ID as its only URI SAN, issued by the CA\'s subject, usable by clients and servers', () => {
  const ca = rsa()
  const caDer = selfSignedCaCertificate({ ...ca, subject: { country: 'US', organization: 'istio.io', commonName: 'west.local' }, uri: 'spiffe://west.local' })
  const workload = ec()
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 10_000)
  const notAfter = new Date(notBefore.getTime() + 4 * 3600_000)
  const der = leafCertificate({ publicKey: workload.publicKey, subject: { country: 'US', organization: 'SPIRE' }, uri: 'spiffe://west.local/ns/default/sa/default', issuer: { certificate: caDer, privateKey: ca.privateKey }, notBefore, notAfter })
  const leaf = new X509Certificate(der)
  const root = new X509Certificate(caDer)
  assert.equal(leaf.ca, false)
  assert.equal(leaf.subject, 'C=US\nO=SPIRE')
  assert.equal(leaf.issuer, root.subject)
  assert.ok(leaf.checkIssued(root), 'the CA issued it (names and key identifiers agree)')
  assert.ok(leaf.verify(root.publicKey), 'the CA\'s key signed it')
  assert.ok(!leaf.verify(rsa().publicKey), 'no other key did')
  assert.equal(leaf.subjectAltName, 'URI:spiffe://west.local/ns/default/sa/default')
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
  assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  assert.equal(new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime(), 4 * 3600_000)
})

test('PEM: base64 in lines of 64 characters between the BEGIN and END lines', () => {
  const der = selfSignedCaCertificate({ ...ec(), subject: { commonName: 'x' } })
  const text = pem(der)
  const lines = text.trimEnd().split('\n')
  assert.equal(lines[0], '-----BEGIN CERTIFICATE-----')
  assert.equal(lines.at(-1), '-----END CERTIFICATE-----')
  assert.ok(lines.slice(1, -2).every((line) => line.length === 64))
  assert.equal(new X509Certificate(text).raw.toString('base64'), der.toString('base64'))
})
