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
