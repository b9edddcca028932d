// Addresses on the kind network: the MetalLB pool of each cluster and the table parsing
// that finds them.
import { isIP } from 'node:net'
import { fail } from './errors.ts'

// `docker network inspect kind -f '{{range .IPAM.Config}}{{.Gateway}} {{end}}'` prints the
// gateways of the network, IPv4 and IPv6 mixed (e.g. "172.18.0.1 fc00:f853:ccd:e793::1").
export function ipv4Gateway(output: string): string {
  const gateway = output.split(/\s+/).find((word) => isIP(word) === 4)
  if (!gateway) {
    fail(`the Docker network "kind" has no IPv4 gateway (docker printed "${output.trim()}")`,
      'kind creates that network with its first cluster; check `docker network inspect kind`, or delete the network so kind recreates it')
  }
  return gateway
}

// The pool MetalLB hands out LoadBalancer addresses from: A.B.<ip space>.200-240, where
// A.B are the first two octets of the kind network's gateway.
export function metallbRange(gateway: string, ipSpace: number): string {
  const [a, b] = gateway.split('.')
  return `${a}.${b}.${ipSpace}.200-${a}.${b}.${ipSpace}.240`
}

// The IPv4 subnet of the kind network, from
// `docker network inspect kind -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}'`.
export function ipv4Subnet(output: string): string | undefined {
  return output.split(/\s+/).find((word) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(word))
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

export function insideSubnet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/')
  const size = 2 ** (32 - Number(bits))
  const start = Math.floor(ipv4Number(base!) / size) * size
  const n = ipv4Number(address)
  return n >= start && n < start + size
}

// A pool outside the kind network hands out addresses nothing routes to: refuse it.
export function requirePoolInside(range: string, subnet: string, cluster: string): void {
  const [first, last] = range.split('-')
  if (insideSubnet(first!, subnet) && insideSubnet(last!, subnet)) return
  fail(`${cluster}'s MetalLB pool ${range} lies outside the kind network ${subnet}, so its addresses would not be reachable`,
    'the workbook expects a /16 kind network (Docker\'s default); recreate the network ("docker network rm kind" after deleting the clusters) or set Docker\'s default-address-pools to /16')
}
