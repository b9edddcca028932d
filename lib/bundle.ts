// Trust bundles as `spire-server bundle show -format spiffe` prints them: a JSON Web Key
// Set with at least one key. We check it before it goes anywhere, because a bundle that
// is not one would only fail later, quietly, as a federation that never takes hold.
import { fail } from './errors.ts'

export interface Bundle {
  keys: Array<Record<string, unknown>>
  spiffe_sequence?: number
  spiffe_refresh_hint?: number
}

// Parse and check a bundle; returns it pretty-printed (the walkthrough's `jq -r '.'`).
export function parseBundle(text: string, from: string): string {
  let bundle: unknown
  try {
    bundle = JSON.parse(text)
  } catch {
    const start = text.trim().slice(0, 60)
    return fail(`the bundle from ${from} is not JSON (it starts with "${start}")`,
      `check that spire-server-0 is Running in namespace spire of ${from} and that \`spire-server bundle show -format spiffe\` prints a JSON key set`)
  }
  const keys = (bundle as Bundle | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => k !== null && typeof k === 'object' && typeof k.kty === 'string')) {
    fail(`the bundle from ${from} is not a JWKS with at least one key`,
      `check that spire-server-0 in ${from} has finished starting (its CA is ready), then run this step again`)
  }
  return JSON.stringify(bundle, null, 2)
}

// The authorities a bundle holds, one string each: an X.509 authority by its certificate,
// a JWT authority by its key ID and key. Sequence numbers and refresh hints do not count:
// SPIRE's bundle endpoint sets its own refresh hint, and `bundle show` prints the stored one.
// Text that is not a bundle holds none.
export function bundleKeys(text: string): string[] {
  let bundle: Bundle | undefined
  try {
    bundle = JSON.parse(text) as Bundle
  } catch {
    return []
  }
  if (!Array.isArray(bundle?.keys)) return []
  return bundle.keys.flatMap((key) => {
    if (key?.use === 'x509-svid' && Array.isArray(key.x5c) && typeof key.x5c[0] === 'string') return [`x509-svid ${key.x5c[0]}`]
    if (key?.use === 'jwt-svid' && typeof key.kid === 'string') return [`jwt-svid ${key.kid} ${[key.kty, key.crv, key.x, key.y, key.n, key.e].filter(Boolean).join(' ')}`]
    return []
  })
}

// Whether `held` has every authority of `current`: a server that holds it trusts every
// certificate and token `current`'s server signs (it may hold older ones besides).
export function holdsKeysOf(held: string, current: string): boolean {
  const have = new Set(bundleKeys(held))
  const wanted = bundleKeys(current)
  return wanted.length > 0 && wanted.every((key) => have.has(key))
}

// Whether two bundles hold exactly the same authorities.
export function sameKeys(a: string, b: string): boolean {
  return holdsKeysOf(a, b) && holdsKeysOf(b, a)
}
