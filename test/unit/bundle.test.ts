import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { parse } from 'yaml'
import { bundleKeys, holdsKeysOf, parseBundle, sameKeys } from '../../lib/bundle.ts'
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

test('the stand-in bundle of a dry run is shaped like SPIRE\'s: an X.509 authority with its CA certificate, and a JWT authority', () => {
  const text = standInBundle('west.local')
  assert.doesNotThrow(() => parseBundle(text, 'stand-in'))
  const [x509, jwt] = JSON.parse(text).keys
  assert.equal(x509.use, 'x509-svid')
  assert.equal(x509.kty, 'RSA')
  const ca = new X509Certificate(Buffer.from(x509.x5c[0], 'base64'))
  assert.equal(ca.ca, true)
  assert.equal(ca.subjectAltName, 'URI:spiffe://west.local')
  assert.ok(ca.verify(ca.publicKey), 'self-signed')
  assert.equal(ca.publicKey.export({ format: 'jwk' }).n, x509.n, 'the certificate holds the key of the JWK')
  assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 2048)
  assert.equal(jwt.use, 'jwt-svid')
  assert.ok(typeof jwt.kid === 'string' && jwt.kid.length > 0)
  assert.equal(bundleKeys(text).length, 2, 'both count as authorities')
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

test('bundles are compared by their authorities: certificates and JWT keys, not sequence or refresh hint', () => {
  const keys = (x5c: string, kid: string) => ({ keys: [{ use: 'x509-svid', kty: 'RSA', n: 'bg', e: 'AQAB', x5c: [x5c] }, { use: 'jwt-svid', kty: 'RSA', kid, n: 'bg', e: 'AQAB' }] })
  const shown = JSON.stringify({ ...keys('MIIcert1', 'k1'), spiffe_sequence: 1 }, null, 4)
  const served = JSON.stringify({ ...keys('MIIcert1', 'k1'), spiffe_refresh_hint: 300, spiffe_sequence: 7 })
  assert.deepEqual(bundleKeys(shown), ['x509-svid MIIcert1', 'jwt-svid k1 RSA bg AQAB'])
  assert.ok(sameKeys(shown, served))
  // A bundle of the same domain from before a reinstall: other keys.
  const stale = JSON.stringify(keys('MIIcert0', 'k0'))
  assert.ok(!holdsKeysOf(stale, shown))
  assert.ok(!sameKeys(stale, shown))
  // A held bundle with an extra (older) authority still holds every current one.
  const both = JSON.stringify({ keys: [...keys('MIIcert0', 'k0').keys, ...keys('MIIcert1', 'k1').keys] })
  assert.ok(holdsKeysOf(both, shown))
  assert.ok(!sameKeys(both, shown))
  // The same key ID with another key is another authority.
  assert.ok(!holdsKeysOf(JSON.stringify({ keys: [{ ...keys('MIIcert1', 'k1').keys[0] }, { ...keys('MIIcert1', 'k1').keys[1], n: 'other' }] }), shown))
  // What is not a bundle holds nothing, and holds nothing of anything.
  for (const text of ['', 'curl: (7) Failed to connect', '404 page not found', '{"keys": []}']) {
    assert.deepEqual(bundleKeys(text), [], text)
    assert.ok(!holdsKeysOf(text, shown), text)
    assert.ok(!holdsKeysOf(shown, text), `${text}: an empty current bundle is held by nobody`)
  }
})
