// Version numbers as tools print them ("kind v0.20.0 go1.20.4", "v3.14.2+g1234", "1.27.0").
import { versions } from './defaults.ts'

export type Version = [number, number, number]

export function parseVersion(text: string): Version | undefined {
  const match = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text)
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined
}

export function atLeast(version: Version, minimum: Version): boolean {
  return compare(version, minimum) >= 0
}

export function show(version: Version): string {
  return version.join('.')
}

// Negative when a is older than b, zero when equal, positive when newer.
export function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    if (a[i]! !== b[i]!) return a[i]! - b[i]!
  }
  return 0
}

export function requireVersion(text: string): Version {
  const version = parseVersion(text)
  if (!version) throw new Error(`"${text}" is not a version`)
  return version
}

// "kindest/node:v1.35.0@sha256:..." → "v1.35.0"
export function nodeKubernetesVersion(image: string = versions.kindNodeImage): string {
  const tag = /:(v\d+\.\d+\.\d+)(@|$)/.exec(image)?.[1]
  if (!tag) throw new Error(`the node image ${image} has no vX.Y.Z tag`)
  return tag
}
