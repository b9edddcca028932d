// SPIFFE bundles as SPIRE and spire-controller-manager read them: go-spiffe's
// spiffebundle.Parse (v2.3/v2.4, the versions spire-controller-manager 0.6.0 and SPIRE
// 1.11.0 build with), which unmarshals a JWKS with go-jose v4's JSONWebKey rules. The
// controller manager's admission webhook refuses a trustDomainBundle this refuses
// (ParseClusterFederatedTrustDomainSpec), and `spire-server bundle set -format spiffe`
// refuses the same (util.ParseBundle). The rules, in order:
//   - the text is JSON, and "keys" is present (else "no authorities found");
//   - every key has a kty (else "missing json web key type"), an RSA key its n and e, an EC
//     key a known crv and x, y of the curve's size on the curve; other kty values are
//     refused as unsupported;
//   - an x5c parses as X.509 certificates (standard base64 DER), and the first one's public
//     key is the JWK's key;
//   - an "x509-svid" key has exactly one certificate; a "jwt-svid" key has a kid.
import { createPublicKey, X509Certificate, type JsonWebKey } from 'node:crypto'
import type { Obj } from './model.ts'

export interface ParsedBundle {
  x509Authorities: string[]          // base64 DER of each X.509 authority (x5c[0] of an x509-svid key)
  jwtAuthorities: Record<string, string> // kid → the key, exported as SPKI DER in base64
  sequence?: number
  refreshHint?: number
}

export type BundleParse = { bundle: ParsedBundle; error?: undefined } | { bundle?: undefined; error: string }

const jose = (message: string) => `go-jose/go-jose: ${message}`

function base64url(value: unknown): Buffer | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]*$/.test(value) ? Buffer.from(value, 'base64url') : undefined
}

const curveBytes: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }

// One JWK, as go-jose's JSONWebKey.UnmarshalJSON takes it: the key (as SPKI DER) or why not.
function parseKey(key: unknown): { spki: Buffer; certificates: X509Certificate[] } | string {
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return 'json: cannot unmarshal into Go value of type jose.rawJSONWebKey'
  const k = key as Obj
  const certificates: X509Certificate[] = []
  if (k.x5c !== undefined) {
    if (!Array.isArray(k.x5c)) return 'json: cannot unmarshal into Go struct field rawJSONWebKey.x5c of type []string'
    for (const [i, text] of k.x5c.entries()) {
      if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return jose(`failed to unmarshal x5c field: illegal base64 data at input byte ${i}`)
      try {
        certificates.push(new X509Certificate(Buffer.from(text, 'base64')))
      } catch {
        return jose('failed to unmarshal x5c field: x509: malformed certificate')
      }
    }
  }
  let jwk: JsonWebKey
  switch (k.kty) {
    case 'RSA': {
      if (k.n === undefined || k.e === undefined) return jose('invalid RSA key, missing n/e values')
      if (!base64url(k.n) || !base64url(k.e)) return jose('invalid RSA key: illegal base64 data')
      jwk = { kty: 'RSA', n: k.n, e: k.e }
      break
    }
    case 'EC': {
      const size = curveBytes[String(k.crv)]
      if (!size) return jose(`unsupported elliptic curve '${k.crv ?? ''}'`)
      if (k.x === undefined || k.y === undefined) return jose('invalid EC key, missing x/y values')
      if (base64url(k.x)?.length !== size) return jose('invalid EC public key, wrong length for x')
      if (base64url(k.y)?.length !== size) return jose('invalid EC public key, wrong length for y')
      jwk = { kty: 'EC', crv: k.crv, x: k.x, y: k.y }
      break
    }
    case undefined:
    case '':
      return jose('missing json web key type')
    default:
      return jose('unknown json web key type')
  }
  let spki: Buffer
  try {
    spki = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' })
  } catch {
    return k.kty === 'EC' ? jose('invalid EC key, X/Y are not on declared curve') : jose('invalid RSA key')
  }
  // RFC 7517 4.7: the first certificate's key must be the JWK's key.
  if (certificates[0] && !certificates[0].publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) {
    return jose('invalid JWK, public keys in key and x5c fields do not match')
  }
  return { spki, certificates }
}

export function parseSpiffeBundle(text: string): BundleParse {
  const fail = (error: string): BundleParse => ({ error: `spiffebundle: ${error}` })
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    return fail(`unable to parse JWKS: ${(error as Error).message}`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('unable to parse JWKS: json: cannot unmarshal into Go value of type spiffebundle.bundleDoc')
  const d = doc as Obj
  for (const field of ['spiffe_sequence', 'spiffe_refresh_hint']) {
    if (d[field] !== undefined && (typeof d[field] !== 'number' || !Number.isInteger(d[field]))) return fail(`unable to parse JWKS: json: cannot unmarshal ${typeof d[field]} into Go struct field bundleDoc.${field}`)
  }
  if (d.keys !== undefined && d.keys !== null && !Array.isArray(d.keys)) return fail('unable to parse JWKS: json: cannot unmarshal object into Go struct field bundleDoc.keys of type []jose.JSONWebKey')
  // Every key is unmarshalled first: a bad one fails the whole document.
  const keys = (Array.isArray(d.keys) ? d.keys : []).map((key: unknown) => ({ key: key as Obj, parsed: parseKey(key) }))
  const bad = keys.find((k: { parsed: unknown }) => typeof k.parsed === 'string')
  if (bad) return fail(`unable to parse JWKS: ${bad.parsed}`)
  // The parameter keys MUST be present (SPIFFE Trust Domain and Bundle, 4.1.3).
  if (!Array.isArray(d.keys)) return fail('no authorities found')
  const bundle: ParsedBundle = { x509Authorities: [], jwtAuthorities: {}, sequence: d.spiffe_sequence, refreshHint: d.spiffe_refresh_hint }
  for (const [i, { key, parsed }] of keys.entries()) {
    const { spki, certificates } = parsed as { spki: Buffer; certificates: X509Certificate[] }
    if (key.use === 'x509-svid') {
      if (certificates.length !== 1) return fail(`expected a single certificate in x509-svid entry ${i}; got ${certificates.length}`)
      const der = certificates[0]!.raw.toString('base64')
      if (!bundle.x509Authorities.includes(der)) bundle.x509Authorities.push(der)
    } else if (key.use === 'jwt-svid') {
      if (!key.kid) return fail(`error adding authority ${i} of JWKS: keyID cannot be empty`)
      bundle.jwtAuthorities[String(key.kid)] = spki.toString('base64')
    }
    // Any other use is not an authority of either kind: go-spiffe skips it.
  }
  return { bundle }
}

// Whether two bundles hold the same authorities (go-spiffe's Bundle.Equal without the
// sequence number and refresh hint).
export function sameAuthorities(a: ParsedBundle, b: ParsedBundle): boolean {
  const x509 = (p: ParsedBundle) => [...p.x509Authorities].sort().join(',')
  const jwt = (p: ParsedBundle) => Object.entries(p.jwtAuthorities).map(([kid, key]) => `${kid}=${key}`).sort().join(',')
  return x509(a) === x509(b) && jwt(a) === jwt(b)
}

// Whether a bundle can authenticate a server whose X.509 authority is one of `current`'s:
// the https_spiffe profile verifies the endpoint's SVID against the local copy's X.509
// authorities (SPIRE pkg/server/bundle/client/updater.go, client.go).
export function authenticates(local: ParsedBundle, current: ParsedBundle): boolean {
  return current.x509Authorities.some((der) => local.x509Authorities.includes(der))
}
