import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Config } from '../../lib/config.ts'
import { parseFlags } from '../../lib/flags.ts'
import * as check from '../../lib/validate.ts'
import type { WorkbookError } from '../../lib/errors.ts'
import { scratchDir } from '../scratch.ts'

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = scratchDir('workbook-config-')
  return { WORKBOOK_CONFIG: join(dir, 'workbook.config.json'), ...extra }
}

test('defaults follow the walkthrough', () => {
  const config = new Config(new Map(), env())
  assert.deepEqual(config.values, {
    eastName: 'east', westName: 'west', eastIpSpace: 254, westIpSpace: 255, requests: 12,
    provider: 'kind', eastContext: 'kind-cluster-east', westContext: 'kind-cluster-west', westApiServer: '',
  })
})

test('a flag beats the environment, which beats the saved file', () => {
  const e = env({ EAST_IP_SPACE: '100', REQUESTS: '30' })
  writeFileSync(e.WORKBOOK_CONFIG!, JSON.stringify({ eastIpSpace: 50, westIpSpace: 60, requests: 5 }))
  const config = new Config(new Map([['east-ip-space', '7']]), e)
  assert.equal(config.values.eastIpSpace, 7)
  assert.equal(config.values.requests, 30)
  assert.equal(config.values.westIpSpace, 60)
  assert.equal(config.sources.westIpSpace, 'file')
})

test('what was chosen is saved, so the next script agrees; defaults are not', () => {
  const e = env()
  new Config(new Map([['west-ip-space', '201']]), e).save()
  assert.deepEqual(JSON.parse(readFileSync(e.WORKBOOK_CONFIG!, 'utf8')), { westIpSpace: 201 })
  assert.equal(new Config(new Map(), e).values.westIpSpace, 201)
})

test('an interactive answer is validated and saved', async () => {
  const e = env()
  const config = new Config(new Map(), e)
  const asked: string[] = []
  const answer = await config.offer('requests', async (question, initial, parse) => {
    asked.push(`${question} [${initial}]`)
    return parse('40')
  })
  assert.equal(answer, 40)
  assert.match(asked[0]!, /\[12\]/)
  config.save()
  assert.equal(JSON.parse(readFileSync(e.WORKBOOK_CONFIG!, 'utf8')).requests, 40)
  // Without a terminal nothing is asked and the value stands.
  assert.equal(await new Config(new Map(), env()).offer('requests', undefined), 12)
})

test('names follow kind\'s rules', () => {
  for (const good of ['east', 'a', 'my.cluster-2']) assert.equal(check.clusterName(good, 'EAST_NAME'), good)
  for (const bad of ['East', 'under_score', '-lead', 'sp ace', '', 'a/b', 'x'.repeat(41)]) {
    assert.throws(() => new Config(new Map(), env({ EAST_NAME: bad || ' ' })), /EAST_NAME .* is not a valid cluster name/, bad)
  }
})

test('ip spaces: 0-255, whole numbers, and different for the two clusters', () => {
  for (const bad of ['256', '-1', '1.5', 'abc', '1e2', ' ']) {
    assert.throws(() => new Config(new Map(), env({ WEST_IP_SPACE: bad })), /WEST_IP_SPACE .* is not an ip space/, bad)
  }
  assert.equal(new Config(new Map(), env({ EAST_IP_SPACE: '0', WEST_IP_SPACE: '255' })).values.eastIpSpace, 0)
  assert.throws(() => new Config(new Map(), env({ EAST_IP_SPACE: '255' })), /both clusters would use ip space 255/)
})

test('the same name for both clusters is refused', () => {
  assert.throws(() => new Config(new Map(), env({ WEST_NAME: 'east' })), /both named "east"/)
})

test('a saved file that is not JSON is reported, not overwritten', () => {
  const e = env()
  writeFileSync(e.WORKBOOK_CONFIG!, '{ not json')
  assert.throws(() => new Config(new Map(), e), /cannot be read/)
  assert.equal(readFileSync(e.WORKBOOK_CONFIG!, 'utf8'), '{ not json')
})

test('flags: known switches and values, unknown ones refused with the list', () => {
  const flags = parseFlags(['--dry-run', '--east-ip-space=9', '--requests', '3', '--print-env'], ['print-env'], {})
  assert.equal(flags.dryRun, true)
  assert.equal(flags.yes, false)
  assert.equal(flags.values.get('east-ip-space'), '9')
  assert.equal(flags.values.get('requests'), '3')
  assert.ok(flags.switches.has('print-env'))
  assert.throws(() => parseFlags(['--bogus'], [], {}), (error: WorkbookError) => /unknown flag "--bogus"/.test(error.message) && /--dry-run/.test(error.fix ?? ''))
  assert.throws(() => parseFlags(['--print-env'], [], {}), /unknown flag/)
  assert.throws(() => parseFlags(['east'], [], {}), /unexpected argument "east"/)
  assert.throws(() => parseFlags(['--requests'], [], {}), /--requests needs a value/)
  assert.throws(() => parseFlags(['--yes=no'], [], {}), /--yes takes no value/)
  assert.equal(parseFlags([], [], { DRY_RUN: '1' }).dryRun, true)
  assert.equal(parseFlags([], [], { DRY_RUN: '0' }).dryRun, false)
})

test('addresses: IPs and host names pass, anything else is refused', () => {
  for (const good of ['172.18.254.200', 'fc00::1', 'a1b2.elb.us-east-1.amazonaws.com', 'localhost']) {
    assert.equal(check.address(good, 'x', 'fix'), good)
  }
  for (const bad of ['', ' ', '300.1.1.1', 'https://a.b', 'a b', 'a_b.com', '-a.com', '1.2.3']) {
    assert.throws(() => check.address(bad, 'the address', 'fix'), /neither an IP address nor a host name/, bad)
  }
  assert.equal(check.urlHost('fc00::1'), '[fc00::1]')
  assert.equal(check.urlHost('172.18.0.2'), '172.18.0.2')
})

test('an API server URL must be https with a host; local-only hosts are recognised', () => {
  assert.equal(new Config(new Map(), env({ WEST_API_SERVER: 'https://10.0.0.5:6443/' })).values.westApiServer, 'https://10.0.0.5:6443')
  for (const bad of ['http://10.0.0.5:6443', '10.0.0.5:6443', 'https://10.0.0.5/api', 'nonsense']) {
    assert.throws(() => new Config(new Map(), env({ WEST_API_SERVER: bad })), /WEST_API_SERVER .* is not an API server URL/, bad)
  }
  for (const local of ['127.0.0.1', 'localhost', '0.0.0.0', '[::1]', 'host.localhost']) assert.ok(check.isLocalOnly(local), local)
  for (const remote of ['10.0.0.5', 'a.eks.amazonaws.com', '172.18.0.3']) assert.ok(!check.isLocalOnly(remote), remote)
})
