import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inPool, insideSubnet, metallbPools, parseKindNetwork, type KindNetwork } from '../../lib/network.ts'

const pair = (east: number, west: number) => [{ name: 'east', ipSpace: east }, { name: 'west', ipSpace: west }] as const
const net = (subnet: string, gateway: string): KindNetwork => ({ name: 'kind', subnet, gateway })

test('the IPv4 subnet and gateway are picked out of docker\'s mixed list', () => {
  assert.deepEqual(parseKindNetwork('kind', '172.18.0.0/16 172.18.0.1 fc00:f853:ccd:e793::/64 fc00:f853:ccd:e793::1 '), net('172.18.0.0/16', '172.18.0.1'))
  assert.deepEqual(parseKindNetwork('lab', 'fc00::/64 fc00::1 192.168.48.0/20 192.168.48.1 '), { name: 'lab', subnet: '192.168.48.0/20', gateway: '192.168.48.1' })
})

test('a network without an IPv4 subnet or gateway is an error', () => {
  assert.throws(() => parseKindNetwork('kind', 'fc00::/64 fc00::1'), /the Docker network "kind" has no IPv4 subnet/)
  assert.throws(() => parseKindNetwork('kind', '172.18.0.0/16 '), /has no IPv4 gateway/)
  assert.throws(() => parseKindNetwork('kind', ''), /no IPv4/)
})

test('on a /16 (or larger) the pools are the walkthrough\'s: A.B.<ip space>.200-240', () => {
  const pools = metallbPools(net('172.18.0.0/16', '172.18.0.1'), pair(254, 255))
  assert.deepEqual([...pools], [['east', '172.18.254.200-172.18.254.240'], ['west', '172.18.255.200-172.18.255.240']])
  assert.equal(metallbPools(net('10.89.0.0/16', '10.89.0.1'), pair(0, 7)).get('east'), '10.89.0.200-10.89.0.240')
  assert.equal(metallbPools(net('10.0.0.0/8', '10.0.0.1'), pair(250, 251)).get('west'), '10.0.251.200-10.0.251.240')
})

test('on a /20 the ip spaces count within the network, modulo its sixteen /24 blocks', () => {
  const pools = metallbPools(net('192.168.48.0/20', '192.168.48.1'), pair(254, 255))
  assert.deepEqual([...pools], [['east', '192.168.62.200-192.168.62.240'], ['west', '192.168.63.200-192.168.63.240']])
  assert.equal(metallbPools(net('192.168.48.0/20', '192.168.48.1'), pair(3, 250)).get('west'), '192.168.58.200-192.168.58.240')
  assert.throws(() => metallbPools(net('192.168.48.0/20', '192.168.48.1'), pair(16, 32)),
    (error: Error & { fix?: string }) => /both lie in 192\.168\.48\.x: the kind network 192\.168\.48\.0\/20 has 16 blocks .*third octets 48 to 63.*modulo 16/.test(error.message) && /differ modulo 16/.test(error.fix ?? ''))
})

test('on a /24 the two pools share .200-239, the lower half for the smaller ip space', () => {
  const pools = metallbPools(net('10.89.0.0/24', '10.89.0.1'), pair(254, 255))
  assert.deepEqual([...pools], [['east', '10.89.0.200-10.89.0.219'], ['west', '10.89.0.220-10.89.0.239']])
  const swapped = metallbPools(net('10.89.0.0/24', '10.89.0.1'), pair(9, 3))
  assert.equal(swapped.get('west'), '10.89.0.200-10.89.0.219')
  assert.equal(swapped.get('east'), '10.89.0.220-10.89.0.239')
})

test('a network smaller than a /24 is refused, with what to do', () => {
  assert.throws(() => metallbPools(net('172.18.0.0/25', '172.18.0.1'), pair(254, 255)),
    (error: Error & { fix?: string }) => /172\.18\.0\.0\/25 is smaller than a \/24/.test(error.message) && /docker network rm kind/.test(error.fix ?? ''))
})

test('every pool lies inside its network, and the two never overlap', () => {
  const number = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const networks = ['10.0.0.0/8', '172.16.0.0/12', '172.18.0.0/16', '10.7.64.0/18', '192.168.48.0/20', '192.168.4.0/22', '192.168.6.0/23', '10.89.0.0/24']
  for (const subnet of networks) {
    const network = net(subnet, subnet.replace(/\.0\/\d+$/, '.1'))
    for (const [east, west] of [[254, 255], [0, 1], [17, 200], [255, 2]] as const) {
      let pools: Map<string, string>
      try {
        pools = metallbPools(network, pair(east, west))
      } catch {
        continue // ip spaces that share a block: refused, as tested above
      }
      const ranges = [...pools.values()].map((r) => r.split('-').map(number) as [number, number])
      for (const range of pools.values()) for (const end of range.split('-')) assert.ok(insideSubnet(end, network.subnet), `${range} outside ${network.subnet}`)
      const [[a, b], [c, d]] = ranges as [[number, number], [number, number]]
      assert.ok(b < c || d < a, `${[...pools.values()].join(' and ')} overlap`)
    }
  }
})

test('an address is in a pool from its first address to its last, both included', () => {
  assert.ok(inPool('172.18.255.200', '172.18.255.200-172.18.255.240'))
  assert.ok(inPool('172.18.255.240', '172.18.255.200-172.18.255.240'))
  assert.ok(!inPool('172.18.255.241', '172.18.255.200-172.18.255.240'))
  assert.ok(!inPool('172.18.254.220', '172.18.255.200-172.18.255.240'), 'the same last octet, another block')
})
