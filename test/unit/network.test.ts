import { test } from 'node:test'
import assert from 'node:assert/strict'
import { insideSubnet, ipv4Gateway, ipv4Subnet, metallbRange, requirePoolInside } from '../../lib/network.ts'

test('the IPv4 gateway is picked out of docker\'s mixed list', () => {
  assert.equal(ipv4Gateway('172.18.0.1 fc00:f853:ccd:e793::1 '), '172.18.0.1')
  assert.equal(ipv4Gateway('fc00:f853:ccd:e793::1 192.168.49.1'), '192.168.49.1')
})

test('a network without an IPv4 gateway is an error', () => {
  assert.throws(() => ipv4Gateway('fc00::1'), /no IPv4 gateway/)
  assert.throws(() => ipv4Gateway(''), /no IPv4 gateway/)
})

test('the MetalLB range takes the first two octets and the ip space', () => {
  assert.equal(metallbRange('172.18.0.1', 254), '172.18.254.200-172.18.254.240')
  assert.equal(metallbRange('10.89.0.1', 0), '10.89.0.200-10.89.0.240')
})

test('the kind network\'s IPv4 subnet, and whether a pool lies inside it', () => {
  assert.equal(ipv4Subnet('172.18.0.0/16 fc00:f853:ccd:e793::/64 '), '172.18.0.0/16')
  assert.equal(ipv4Subnet('fc00::/64'), undefined)
  assert.ok(insideSubnet('172.18.254.200', '172.18.0.0/16'))
  assert.ok(!insideSubnet('172.19.0.1', '172.18.0.0/16'))
  assert.ok(!insideSubnet('172.18.254.200', '172.18.0.0/24'))
  assert.doesNotThrow(() => requirePoolInside('172.18.254.200-172.18.254.240', '172.18.0.0/16', 'east'))
  assert.throws(() => requirePoolInside('172.18.254.200-172.18.254.240', '172.18.0.0/24', 'east'), /east's MetalLB pool 172\.18\.254\.200-172\.18\.254\.240 lies outside the kind network 172\.18\.0\.0\/24/)
})
