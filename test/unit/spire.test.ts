import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WorkbookError } from '../../lib/errors.ts'
import { bundleEndpointURLIn, parseFederationList } from '../../lib/spire.ts'

// As spire-server 1.11.0 prints it (cmd/spire-server/cli/federation/list.go, common.go):
// a count, then each relationship after a blank line, its fields padded to one column.
const listed = [
  'Found 2 federation relationships',
  '',
  'Trust domain              : west.local',
  'Bundle endpoint URL       : https://172.18.255.200:8443',
  'Bundle endpoint profile   : https_spiffe',
  'Endpoint SPIFFE ID        : spiffe://west.local/spire/server',
  '',
  'Trust domain              : web.example',
  'Bundle endpoint URL       : https://bundle.web.example/',
  'Bundle endpoint profile   : https_web',
  '',
].join('\n')

test('federation list: each trust domain with the bundle endpoint URL it names', () => {
  assert.deepEqual([...parseFederationList(listed)], [['west.local', 'https://172.18.255.200:8443'], ['web.example', 'https://bundle.web.example/']])
  assert.deepEqual([...parseFederationList('Found 0 federation relationships\n')], [])
  assert.deepEqual([...parseFederationList('Error: rpc error: code = Unavailable desc = connection error\n')], [])
})

test('the bundle endpoint URL a ClusterFederatedTrustDomain names, or an error that names the file', () => {
  const manifest = 'apiVersion: spire.spiffe.io/v1alpha1\nkind: ClusterFederatedTrustDomain\nmetadata:\n  name: west\nspec:\n  className: spire-spire\n  trustDomain: west.local\n  bundleEndpointURL: https://172.18.255.200:8444\n'
  assert.equal(bundleEndpointURLIn(manifest, 'east.yaml'), 'https://172.18.255.200:8444')
  assert.throws(() => bundleEndpointURLIn(manifest.replace(/ {2}bundleEndpointURL.*\n/, ''), 'out/rendered/05/east.yaml'),
    (error: unknown) => error instanceof WorkbookError && /out\/rendered\/05\/east\.yaml names no spec\.bundleEndpointURL/.test(error.message))
})
