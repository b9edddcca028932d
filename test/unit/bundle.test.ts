import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'yaml'
import { listedTrustDomains, parseBundle } from '../../lib/bundle.ts'
import { standInBundle } from '../../lib/spire.ts'
import { renderTemplate } from '../../lib/template.ts'

const bundle = JSON.stringify({
  keys: [
    { use: 'x509-svid', kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ', x5c: ['MIIB/+abc=='] },
    { use: 'jwt-svid', kty: 'EC', kid: 'k1', crv: 'P-256', x: 'eA', y: 'eQ' },
  ],
  spiffe_sequence: 1,
  spiffe_refresh_hint: 300,
})

test('a bundle comes back pretty-printed, as jq would', () => {
  const pretty = parseBundle(bundle, 'west')
  assert.deepEqual(JSON.parse(pretty), JSON.parse(bundle))
  assert.match(pretty, /^\{\n {2}"keys": \[/)
})

test('what is not a JWKS with a key is refused, naming the cluster', () => {
  for (const bad of ['', 'garbage', 'Error: connection refused', '{}', '{"keys": []}', '{"keys": [{"use": "x"}]}', '[1,2]', 'null']) {
    assert.throws(() => parseBundle(bad, 'west'), /bundle from west/, JSON.stringify(bad))
  }
})

test('the stand-in bundle of a dry run is itself a valid bundle', () => {
  assert.doesNotThrow(() => parseBundle(standInBundle(), 'stand-in'))
})

test('bundle indentation: the rendered ClusterFederatedTrustDomain holds the bundle exactly', () => {
  const pretty = parseBundle(bundle, 'west')
  const text = renderTemplate('cluster-federated-trust-domain.yaml', {
    OTHER_CLUSTER: 'west',
    OTHER_TRUST_DOMAIN: 'west.local',
    BUNDLE_ENDPOINT: '172.18.255.200',
    TRUST_DOMAIN_BUNDLE: pretty,
  })
  // Written as a block scalar, indented under its key, as the walkthrough's sed did.
  assert.match(text, /trustDomainBundle: \|-\n {4}\{\n {6}"keys"/)
  const resource = parse(text)
  assert.equal(resource.spec.trustDomainBundle, pretty)
  assert.deepEqual(JSON.parse(resource.spec.trustDomainBundle), JSON.parse(bundle))
  assert.equal(resource.spec.bundleEndpointURL, 'https://172.18.255.200:8443')
  assert.equal(resource.metadata.name, 'west')
})

test('trust domains are read from the banners of bundle list', () => {
  const output = [
    '****************************************',
    '* west.local',
    '****************************************',
    bundle,
    '',
    '****************************************',
    '* spiffe://other.example',
    '****************************************',
    '{"keys": []}',
  ].join('\n')
  assert.deepEqual(listedTrustDomains(output), ['west.local', 'other.example'])
  assert.deepEqual(listedTrustDomains(''), [])
  assert.deepEqual(listedTrustDomains(bundle), [])
})
