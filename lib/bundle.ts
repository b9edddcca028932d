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

// Trust domains in the output of `spire-server bundle list -format spiffe`: each bundle
// comes under a banner whose middle line is "* <trust domain>".
export function listedTrustDomains(output: string): string[] {
  const domains: string[] = []
  for (const line of output.split('\n')) {
    const match = /^\*\s+(?:spiffe:\/\/)?([a-z0-9._-]+)\s*$/.exec(line.trim())
    if (match) domains.push(match[1]!)
  }
  return domains
}
