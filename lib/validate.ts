// Checks on user input. Each returns the value it accepted or throws a WorkbookError
// that names the problem and the fix, so that bad input stops a script before any tool runs.
import { isIP } from 'node:net'
import { fail } from './errors.ts'

// kind accepts lowercase letters, digits, '-' and '.', and the name must start with a letter or digit.
const kindName = /^[a-z0-9][a-z0-9.-]*$/

export function clusterName(value: string, setting: string): string {
  if (!kindName.test(value) || value.length > 40) {
    fail(`${setting} "${value}" is not a valid cluster name`,
      'use lowercase letters, digits, "-" and "." only, starting with a letter or digit (for example "east")')
  }
  return value
}

export function ipSpace(value: string | number, setting: string): number {
  const text = String(value).trim()
  const n = Number(text)
  if (!/^\d{1,3}$/.test(text) || n > 255) {
    fail(`${setting} "${value}" is not an ip space`, 'give a whole number from 0 to 255 (the walkthrough uses 254 for east and 255 for west)')
  }
  return n
}

export function distinctIpSpaces(east: number, west: number): void {
  if (east === west) {
    fail(`both clusters would use ip space ${east}, so their MetalLB pools would overlap`,
      'give east and west different ip spaces, for example EAST_IP_SPACE=254 WEST_IP_SPACE=255')
  }
}

export function positiveCount(value: string | number, setting: string, max = 1000): number {
  const text = String(value).trim()
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > max) {
    fail(`${setting} "${value}" is not a count`, `give a whole number from 1 to ${max}`)
  }
  return n
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], setting: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    fail(`${setting} "${value}" is not one of ${allowed.join(', ')}`, `set ${setting} to one of: ${allowed.join(', ')}`)
  }
  return value as T
}

// RFC 1123 host names: labels of letters, digits and '-', joined by dots.
const hostName = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

export function isHostName(value: string): boolean {
  return hostName.test(value) && !/^[\d.]+$/.test(value)
}

// A bundle endpoint or API server address: an IP (v4 or v6) or a host name, never empty.
export function address(value: string, what: string, fix: string): string {
  const text = value.trim()
  if (isIP(text) === 0 && !isHostName(text)) {
    fail(`${what} is ${text === '' ? 'empty' : `"${text}"`}, which is neither an IP address nor a host name`, fix)
  }
  return text
}

// How an address goes into a URL: IPv6 needs brackets.
export function urlHost(addressValue: string): string {
  return isIP(addressValue) === 6 ? `[${addressValue}]` : addressValue
}

// An API server URL another cluster's pods can use: https, a host, no path.
export function apiServerUrl(value: string, setting: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || url.protocol !== 'https:' || !url.hostname || (url.pathname !== '/' && url.pathname !== '')) {
    fail(`${setting} "${value}" is not an API server URL`, 'give one like https://10.0.0.5:6443')
  }
  return value.replace(/\/$/, '')
}

// Addresses that mean "this machine" (k3d and minikube kubeconfigs use them): from
// inside the other cluster they lead nowhere, or back to itself.
export function isLocalOnly(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '0.0.0.0' || bare === '::' || bare === '::1' || /^127\./.test(bare)
}
