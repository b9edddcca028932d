// X.509 certificates, built byte by byte: a self-signed CA, and a leaf it signs. Node's
// crypto can make keys and sign, but it cannot issue a certificate; a SPIFFE bundle's
// x509-svid key needs a real one in its "x5c" (go-spiffe parses it with Go's
// x509.ParseCertificate, and checks that its public key is the key of the JWK), and an
// X509-SVID is a real certificate signed by that CA. So this module writes the DER (ITU-T
// X.690) of an RFC 5280 certificate itself: a TBSCertificate, signed with the issuer's key.
//
// It depends on nothing but Node: the dry run's stand-in bundle is made with it, and so are
// the test lab's SPIRE CAs and the SVIDs their agents hand out.
//
//   const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
//   const der = selfSignedCaCertificate({ publicKey, privateKey, subject: { commonName: 'east.local' }, uri: 'spiffe://east.local' })
//   new X509Certificate(der).ca === true
import { createHash, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'

// ---------- DER: tag, length, content ----------

// The length octets: short form below 128, else 0x80 | (number of length bytes), then the bytes.
function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content])
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items))
const octetString = (content: Buffer) => tlv(0x04, content)
const nullValue = () => tlv(0x05, Buffer.alloc(0))
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]))
// [n] EXPLICIT: a constructed context-specific tag around a complete element.
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content)

// An unsigned big-endian integer as DER INTEGER: no superfluous leading zeros, and one
// zero byte in front when the top bit is set (else it would read as negative).
function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? Buffer.from([value]) : value
  while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1)
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return tlv(0x02, bytes)
}

// BIT STRING: the first content byte counts the unused bits at the end of the last byte.
function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]))
}

// OBJECT IDENTIFIER: the first two arcs as 40 * a + b, each arc in base 128, high bit
// set on every byte but an arc's last.
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const values = [40 * arcs[0]! + arcs[1]!, ...arcs.slice(2)]
  const bytes: number[] = []
  for (const value of values) {
    const chunk: number[] = [value & 0x7f]
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift(0x80 | (rest & 0x7f))
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

// RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime from 2050 on.
function time(date: Date): Buffer {
  const iso = date.toISOString() // 2025-06-01T12:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') // 20250601120000
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`))
}

// ---------- the certificate ----------

const oids = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  rsaWithSha256: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
}

export interface Subject {
  country?: string
  organization?: string
  commonName?: string
  serialNumber?: string
}

// A Name: a SEQUENCE of one-attribute SETs, in the order X.509 names usually list them.
// countryName and serialNumber are PrintableString (RFC 5280 appendix A), the rest UTF8String.
function name(subject: Subject): Buffer {
  const attribute = (type: string, value: string, printable: boolean) =>
    set(sequence(oid(type), tlv(printable ? 0x13 : 0x0c, Buffer.from(value, 'utf8'))))
  const parts: Buffer[] = []
  if (subject.country) parts.push(attribute(oids.country, subject.country, true))
  if (subject.organization) parts.push(attribute(oids.organization, subject.organization, false))
  if (subject.commonName) parts.push(attribute(oids.commonName, subject.commonName, false))
  if (subject.serialNumber) parts.push(attribute(oids.serialNumber, subject.serialNumber, true))
  return sequence(...parts)
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value))
}

export interface CaCertificateOptions {
  publicKey: KeyObject
  privateKey: KeyObject      // signs the certificate: issuer and subject are the same
  subject: Subject
  uri?: string               // a URI SAN; SPIRE gives its CA the trust domain's ID, spiffe://east.local
  notBefore?: Date
  notAfter?: Date            // default: one day later (the chart's caTTL, 24h)
  serial?: Buffer            // default: 16 random bytes
}

// The DER bytes of a self-signed CA certificate for the key pair, as SPIRE's server makes
// its own X.509 authority: CA basic constraint, key usage keyCertSign and cRLSign, a
// subject key identifier, and the trust domain's ID as URI SAN. Its subject gets the serial
// number, as SPIRE's does (pkg/server/credtemplate/builder.go). RSA keys are signed with
// sha256WithRSAEncryption, EC keys with ecdsa-with-SHA256.
export function selfSignedCaCertificate(options: CaCertificateOptions): Buffer {
  const serial = positiveSerial(options.serial)
  const subject = { ...options.subject, serialNumber: options.subject.serialNumber ?? BigInt(`0x${serial.toString('hex')}`).toString() }
  return certificate({
    subject, issuer: subject, publicKey: options.publicKey, signer: options.privateKey, issuerPublicKey: options.publicKey,
    serial, notBefore: options.notBefore, notAfter: options.notAfter, uri: options.uri, ca: true,
  })
}

export interface LeafCertificateOptions {
  publicKey: KeyObject       // the holder's key (a workload's: EC P-256, SPIRE's agent's default)
  subject: Subject
  uri?: string               // the holder's SPIFFE ID, spiffe://east.local/ns/default/sa/default
  issuer: { certificate: Buffer; privateKey: KeyObject } // the CA that signs it (DER, and its key)
  notBefore?: Date
  notAfter?: Date            // default: one day later
  serial?: Buffer            // default: 16 random bytes
}

// The DER bytes of a certificate the CA signs for someone else's key, as SPIRE's server
// makes an X509-SVID (credtemplate/builder.go, buildX509SVIDTemplate): not a CA, key usage
// digitalSignature, keyEncipherment and keyAgreement, extended key usage serverAuth and
// clientAuth, subject and authority key identifiers, the SPIFFE ID as its one URI SAN.
export function leafCertificate(options: LeafCertificateOptions): Buffer {
  const issuer = new X509Certificate(options.issuer.certificate)
  return certificate({
    subject: options.subject, issuerName: issuerName(options.issuer.certificate), publicKey: options.publicKey,
    signer: options.issuer.privateKey, issuerPublicKey: issuer.publicKey,
    serial: positiveSerial(options.serial), notBefore: options.notBefore, notAfter: options.notAfter, uri: options.uri, ca: false,
  })
}

// PEM, as Go's pem.Encode writes it: base64 in lines of 64 characters.
export function pem(der: Buffer, type = 'CERTIFICATE'): string {
  return `-----BEGIN ${type}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${type}-----\n`
}

function positiveSerial(given: Buffer | undefined): Buffer {
  const serial = Buffer.from(given ?? randomBytes(16))
  serial[0] = serial[0]! & 0x7f // a positive serial number
  return serial
}

interface CertificateParts {
  subject: Subject
  issuer?: Subject           // the issuer's name, written from its parts (self-signed)
  issuerName?: Buffer        // or copied, as DER, from the issuer's certificate
  publicKey: KeyObject
  signer: KeyObject
  issuerPublicKey: KeyObject // for the authority key identifier
  serial: Buffer
  notBefore?: Date
  notAfter?: Date
  uri?: string
  ca: boolean
}

function certificate(parts: CertificateParts): Buffer {
  const notBefore = parts.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000)
  const notAfter = parts.notAfter ?? new Date(notBefore.getTime() + 86_400_000)
  const type = parts.signer.asymmetricKeyType
  if (type !== 'rsa' && type !== 'ec') throw new Error(`x509: cannot sign with a ${type} key (rsa or ec only)`)
  // AlgorithmIdentifier: RSA names NULL parameters, ECDSA none (RFC 4055, RFC 5758).
  const algorithm = type === 'rsa' ? sequence(oid(oids.rsaWithSha256), nullValue()) : sequence(oid(oids.ecdsaWithSha256))
  const spki = parts.publicKey.export({ type: 'spki', format: 'der' })
  const extensions = parts.ca
    ? [
        extension(oids.basicConstraints, true, sequence(boolean(true))),
        // keyCertSign is bit 5, cRLSign bit 6 (counted from the most significant bit):
        // 0b00000110, seven bits in use, so one unused.
        extension(oids.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
        extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(parts.publicKey))),
      ]
    : [
        // digitalSignature bit 0, keyEncipherment bit 2, keyAgreement bit 4: 0b10101000,
        // five bits in use, so three unused.
        extension(oids.keyUsage, true, bitString(Buffer.from([0xa8]), 3)),
        extension(oids.extKeyUsage, false, sequence(oid(oids.serverAuth), oid(oids.clientAuth))),
        // cA FALSE is the DEFAULT, so DER leaves it out: an empty SEQUENCE.
        extension(oids.basicConstraints, true, sequence()),
        extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(parts.publicKey))),
        extension(oids.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(parts.issuerPublicKey)))), // [0] keyIdentifier
      ]
  if (parts.uri) extensions.push(extension(oids.subjectAltName, false, sequence(tlv(0x86, Buffer.from(parts.uri, 'ascii'))))) // [6] uniformResourceIdentifier
  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(parts.serial),
    algorithm,
    parts.issuerName ?? name(parts.issuer ?? parts.subject),
    sequence(time(notBefore), time(notAfter)),
    name(parts.subject),
    spki,
    explicit(3, sequence(...extensions)),
  )
  const signature = sign('sha256', tbs, parts.signer) // PKCS #1 v1.5 for RSA, DER ECDSA-Sig-Value for EC
  return sequence(tbs, algorithm, bitString(signature))
}

// The key identifier: the SHA-1 of the SubjectPublicKeyInfo's BIT STRING bits (RFC 5280
// 4.2.1.2, method 1), as Go's x509 computes it.
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(bitStringContent(publicKey.export({ type: 'spki', format: 'der' }))).digest()
}

// The subject Name of a DER certificate, as it is: the issuer of what that certificate signs.
// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature
// algorithm, issuer, validity, subject, ... } }: the sixth element of the TBSCertificate.
function issuerName(der: Buffer): Buffer {
  let at = headerLength(der, 0) // into the Certificate
  at += headerLength(der, at) // into the TBSCertificate
  for (let i = 0; i < 5; i++) at += headerLength(der, at) + contentLength(der, at)
  return der.subarray(at, at + headerLength(der, at) + contentLength(der, at))
}

// The bits of the BIT STRING inside a SubjectPublicKeyInfo.
function bitStringContent(spki: Buffer): Buffer {
  let at = headerLength(spki, 0) // into the outer SEQUENCE
  at += headerLength(spki, at) + contentLength(spki, at) // past the AlgorithmIdentifier
  const start = at + headerLength(spki, at) + 1 // past the BIT STRING header and its unused-bits byte
  return spki.subarray(start, at + headerLength(spki, at) + contentLength(spki, at))
}

function headerLength(der: Buffer, at: number): number {
  const first = der[at + 1]!
  return first < 0x80 ? 2 : 2 + (first & 0x7f)
}

function contentLength(der: Buffer, at: number): number {
  const first = der[at + 1]!
  if (first < 0x80) return first
  let n = 0
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + der[at + 2 + i]!
  return n
}
