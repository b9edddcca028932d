// A self-signed X.509 CA certificate, built byte by byte. Node's crypto can make keys and
// sign, but it cannot issue a certificate; a SPIFFE bundle's x509-svid key needs a real one
// in its "x5c" (go-spiffe parses it with Go's x509.ParseCertificate, and checks that its
// public key is the key of the JWK). So this module writes the DER (ITU-T X.690) of an
// RFC 5280 certificate itself: a TBSCertificate, signed with the CA's own private key.
//
// It depends on nothing but Node, so that the workbook's dry run can use it too.
//
//   const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
//   const der = selfSignedCaCertificate({ publicKey, privateKey, subject: { commonName: 'east.local' }, uri: 'spiffe://east.local' })
//   new X509Certificate(der).ca === true
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto'

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
// subject key identifier, and the trust domain's ID as URI SAN. RSA keys are signed with
// sha256WithRSAEncryption, EC keys with ecdsa-with-SHA256.
export function selfSignedCaCertificate(options: CaCertificateOptions): Buffer {
  const notBefore = options.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000)
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 86_400_000)
  const serial = Buffer.from(options.serial ?? randomBytes(16))
  serial[0] = serial[0]! & 0x7f // a positive serial number
  const type = options.privateKey.asymmetricKeyType
  if (type !== 'rsa' && type !== 'ec') throw new Error(`x509: cannot sign with a ${type} key (rsa or ec only)`)
  // AlgorithmIdentifier: RSA names NULL parameters, ECDSA none (RFC 4055, RFC 5758).
  const algorithm = type === 'rsa' ? sequence(oid(oids.rsaWithSha256), nullValue()) : sequence(oid(oids.ecdsaWithSha256))
  const spki = options.publicKey.export({ type: 'spki', format: 'der' })
  // SubjectPublicKeyInfo is SEQUENCE { algorithm, BIT STRING }; the key identifier is the
  // SHA-1 of that BIT STRING's bits (RFC 5280 4.2.1.2, method 1). Its content starts after
  // the outer header, the algorithm, the BIT STRING's own header and its unused-bits byte.
  const subjectKeyId = createHash('sha1').update(bitStringContent(spki)).digest()
  const subject = { ...options.subject, serialNumber: options.subject.serialNumber ?? BigInt(`0x${serial.toString('hex')}`).toString() }
  const extensions = [
    extension(oids.basicConstraints, true, sequence(boolean(true))),
    // keyCertSign is bit 5, cRLSign bit 6 (counted from the most significant bit): 0b00000110,
    // seven bits in use, so one unused.
    extension(oids.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
    extension(oids.subjectKeyIdentifier, false, octetString(subjectKeyId)),
    ...(options.uri ? [extension(oids.subjectAltName, false, sequence(tlv(0x86, Buffer.from(options.uri, 'ascii'))))] : []), // [6] uniformResourceIdentifier
  ]
  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(serial),
    algorithm,
    name(subject), // issuer: itself
    sequence(time(notBefore), time(notAfter)),
    name(subject),
    spki,
    explicit(3, sequence(...extensions)),
  )
  const signature = sign('sha256', tbs, options.privateKey) // PKCS #1 v1.5 for RSA, DER ECDSA-Sig-Value for EC
  return sequence(tbs, algorithm, bitString(signature))
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
