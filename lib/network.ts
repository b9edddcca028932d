// Addresses on the kind network: its subnet and gateway as Docker reports them, and the
// MetalLB pool of each cluster carved out of it.
import { isIP } from 'node:net'
import { fail } from './errors.ts'

export interface KindNetwork {
  name: string      // "kind", or KIND_EXPERIMENTAL_DOCKER_NETWORK
  subnet: string    // its IPv4 subnet, e.g. 172.18.0.0/16
  gateway: string   // its IPv4 gateway, e.g. 172.18.0.1
}

// `docker network inspect kind -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{end}}'`
// prints the subnets and gateways of the network, IPv4 and IPv6 mixed
// (e.g. "172.18.0.0/16 172.18.0.1 fc00:f853:ccd:e793::/64 fc00:f853:ccd:e793::1 ").
export function parseKindNetwork(name: string, output: string): KindNetwork {
  const words = output.split(/\s+/)
  const subnet = words.find((word) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(word))
  const gateway = words.find((word) => isIP(word) === 4)
  if (!subnet || !gateway) {
    fail(`the Docker network "${name}" has no IPv4 ${subnet ? 'gateway' : 'subnet'} (docker printed "${output.trim()}")`,
      `kind creates that network with its first cluster; check \`docker network inspect ${name}\`, or delete the network so kind recreates it`)
  }
  return { name, subnet, gateway }
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

function subnetRange(cidr: string): { start: number; size: number; bits: number } {
  const [base, bits] = cidr.split('/')
  const size = 2 ** (32 - Number(bits))
  return { start: Math.floor(ipv4Number(base!) / size) * size, size, bits: Number(bits) }
}

// Whether an address lies in a MetalLB pool written "first-last".
export function inPool(address: string, range: string): boolean {
  const [first, last] = range.split('-').map(ipv4Number)
  const n = ipv4Number(address)
  return n >= first! && n <= last!
}

export function insideSubnet(address: string, cidr: string): boolean {
  const { start, size } = subnetRange(cidr)
  const n = ipv4Number(address)
  return n >= start && n < start + size
}

export interface PoolCluster {
  name: string
  ipSpace: number
}

// The range MetalLB hands out LoadBalancer addresses from, for each cluster. The walkthrough
// (Istio's samples/kind-lb/setupkind.sh) takes A.B.<ip space>.200-240, A.B being the first
// two octets of the network's gateway: on Docker's usual /16 that is where the pools are
// here too. A smaller network does not reach those third octets, so the pools are carved
// from the subnet itself:
// - larger than a /24 (a /20, as Docker gives from 192.168.0.0/16): the ip space counts
//   within the network, modulo its number of /24 blocks, and the pool is .200-240 of that
//   block (on a /20, 254 and 255 pick its last two blocks; on a /16 this is the walkthrough);
// - a /24: the two pools share .200-239, twenty addresses each, the lower half for the
//   smaller ip space;
// - smaller than a /24: refused, as is a choice of ip spaces that lands both in one block.
export function metallbPools(network: KindNetwork, clusters: readonly [PoolCluster, PoolCluster]): Map<string, string> {
  const { start, bits } = subnetRange(network.subnet)
  const pools = new Map<string, string>()
  const range = (first: number, last: number) => `${ipv4Text(first)}-${ipv4Text(last)}`
  if (bits <= 16) {
    const [a, b] = network.gateway.split('.')
    for (const { name, ipSpace } of clusters) pools.set(name, `${a}.${b}.${ipSpace}.200-${a}.${b}.${ipSpace}.240`)
    return pools
  }
  if (bits < 24) {
    const blocks = 2 ** (24 - bits)
    const [one, two] = clusters.map((c) => ({ ...c, block: c.ipSpace % blocks }))
    if (one!.block === two!.block) {
      const third = (n: number) => ipv4Text(start + n * 256).split('.')[2]
      fail(`${one!.name}'s and ${two!.name}'s MetalLB pools would both lie in ${ipv4Text(start + one!.block * 256).split('.').slice(0, 3).join('.')}.x: the kind network ${network.subnet} has ${blocks} blocks of 256 addresses (third octets ${third(0)} to ${third(blocks - 1)}), and an ip space counts modulo ${blocks} there`,
        `choose ip spaces that differ modulo ${blocks}, for example the defaults (EAST_IP_SPACE=254 WEST_IP_SPACE=255)`)
    }
    for (const { name, block } of [one!, two!]) pools.set(name, range(start + block * 256 + 200, start + block * 256 + 240))
    return pools
  }
  if (bits === 24) {
    const [lower, upper] = [...clusters].sort((x, y) => x.ipSpace - y.ipSpace)
    pools.set(lower!.name, range(start + 200, start + 219))
    pools.set(upper!.name, range(start + 220, start + 239))
    return pools
  }
  return fail(`the kind network ${network.subnet} is smaller than a /24: two MetalLB pools of 20 addresses do not fit beside the nodes`,
    `give kind a larger network: after make clean, delete the network (docker network rm ${network.name}) and let Docker make a /24 or larger (its default-address-pools), or point KIND_EXPERIMENTAL_DOCKER_NETWORK at a network of your own, /24 or larger`)
}
