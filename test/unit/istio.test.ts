import { test } from 'node:test'
import assert from 'node:assert/strict'
import { certificatesFromIstiod, controlPlaneRelease, injectionTemplatesPatch, missingGatewaySecrets, parseProxySecrets, parseRemoteClusters, rowsOrReason, unsynced } from '../../lib/istio.ts'

const remoteClusters = `NAME     SECRET                                    STATUS     ISTIOD
east                                               synced     istiod-8887cd9cd-zv2zf
west     istio-system/istio-remote-secret-west     synced     istiod-8887cd9cd-zv2zf
`

const secrets = `RESOURCE NAME     TYPE           STATUS     VALID CERT     SERIAL NUMBER                        NOT AFTER                NOT BEFORE               TRUST DOMAIN
default           Cert Chain     ACTIVE     true           508823656af07c0056bae33c3c9dd26f     2025-09-05T21:43:55Z     2025-09-05T17:43:45Z     west.local
ROOTCA            CA             ACTIVE     true           bbe128cc1365e276cd5e114a482aefee     2025-09-06T17:33:34Z     2025-09-05T17:33:24Z     east.local
ROOTCA            CA             ACTIVE     true           594e1e8df46d0e3f95ed3d4571abb011     2025-09-06T17:35:05Z     2025-09-05T17:34:55Z     west.local
`

test('remote-clusters: an empty SECRET column does not shift the others', () => {
  const rows = parseRemoteClusters(remoteClusters)
  assert.deepEqual(rows.map((r) => [r.NAME, r.SECRET, r.STATUS]), [
    ['east', '', 'synced'],
    ['west', 'istio-system/istio-remote-secret-west', 'synced'],
  ])
  assert.deepEqual(unsynced(rows, ['east', 'west']), [])
})

test('remote-clusters: a missing or unsynced cluster is named', () => {
  const rows = parseRemoteClusters(remoteClusters.replace('west     istio-system/istio-remote-secret-west     synced', 'west     istio-system/istio-remote-secret-west     timeout'))
  assert.deepEqual(unsynced(rows, ['east', 'west']), ['west'])
  assert.deepEqual(unsynced(parseRemoteClusters(remoteClusters.split('\n').slice(0, 2).join('\n')), ['east', 'west']), ['west'])
})

test('a table without the expected header is an error that shows what was printed', () => {
  assert.throws(() => parseRemoteClusters('Error: no running Istio pods in "istio-system"'), /no running Istio pods/)
})

test('proxy-config secret: the walkthrough\'s output has everything', () => {
  const rows = parseProxySecrets(secrets)
  assert.equal(rows.length, 3)
  assert.equal(rows[0]!['TRUST DOMAIN'], 'west.local')
  assert.equal(rows[1]!['VALID CERT'], 'true')
  assert.deepEqual(missingGatewaySecrets(rows, 'west.local', ['east.local', 'west.local']), [])
})

test('proxy-config secret: without federation the east ROOTCA is missing, and named', () => {
  const rows = parseProxySecrets(secrets.split('\n').filter((line) => !line.includes('east.local')).join('\n'))
  assert.deepEqual(missingGatewaySecrets(rows, 'west.local', ['east.local', 'west.local']), ['the ROOTCA bundle of east.local'])
  const noCert = parseProxySecrets(secrets.replace('default           Cert Chain     ACTIVE     true', 'default           Cert Chain     WARMING    false'))
  assert.deepEqual(missingGatewaySecrets(noCert, 'west.local', ['east.local', 'west.local']), ['a valid west.local certificate (default)'])
})

// A proxy whose certificates come from istiod: istiod's root names no trust domain, so
// istioctl leaves the TRUST DOMAIN column out altogether.
const fromIstiod = `RESOURCE NAME     TYPE           STATUS     VALID CERT     SERIAL NUMBER                        NOT AFTER                NOT BEFORE
default           Cert Chain     ACTIVE     true           6ae5b8ea1f54a8d3e9b5f3a1c2d4e6f8     2025-09-06T17:43:55Z     2025-09-05T17:43:45Z
ROOTCA            CA             ACTIVE     true           1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c     2035-09-03T17:33:24Z     2025-09-05T17:33:24Z
`

test('proxy-config secret: a table without TRUST DOMAIN is read, and names certificates from istiod', () => {
  const rows = parseProxySecrets(fromIstiod)
  assert.deepEqual(rows.map((r) => [r['RESOURCE NAME'], r.TYPE, r.STATUS, r['NOT BEFORE']]), [
    ['default', 'Cert Chain', 'ACTIVE', '2025-09-05T17:43:45Z'],
    ['ROOTCA', 'CA', 'ACTIVE', '2025-09-05T17:33:24Z'],
  ])
  assert.equal(rows[0]!['TRUST DOMAIN'], undefined)
  assert.equal(certificatesFromIstiod(rows), true)
  assert.deepEqual(missingGatewaySecrets(rows, 'west.local', ['east.local', 'west.local']),
    ['a valid west.local certificate (default)', 'the ROOTCA bundle of east.local', 'the ROOTCA bundle of west.local'])
  // SPIRE's table is not istiod's, and neither are secrets still warming (no data, no trust domain).
  assert.equal(certificatesFromIstiod(parseProxySecrets(secrets)), false)
  const warming = `RESOURCE NAME     TYPE     STATUS      VALID CERT     SERIAL NUMBER     NOT AFTER     NOT BEFORE
default                    WARMING     false
ROOTCA                     WARMING     false
`
  assert.equal(certificatesFromIstiod(parseProxySecrets(warming)), false)
})

test('inside a wait, output that is not a table is a reason to wait, not a failure', () => {
  assert.equal(rowsOrReason(parseProxySecrets, 'No active or warming secrets found.\n'), 'No active or warming secrets found.')
  const rows = rowsOrReason(parseProxySecrets, secrets)
  assert.ok(Array.isArray(rows) && rows.length === 3)
})

test('the injection patch is the walkthrough\'s merge patch', () => {
  assert.deepEqual(JSON.parse(injectionTemplatesPatch('sidecar,spire')), {
    spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'sidecar,spire' } } } },
  })
})

test('istioctl version: the control plane\'s release, or none when Istio is not there', () => {
  assert.deepEqual(controlPlaneRelease('client version: 1.30.3\ncontrol plane version: 1.28.0\ndata plane version: 1.28.0 (6 proxies)\n'), [1, 28, 0])
  assert.equal(controlPlaneRelease('client version: 1.30.3\n'), undefined)
})
