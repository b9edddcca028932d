import { test } from 'node:test'
import assert from 'node:assert/strict'
import { versions } from '../../lib/defaults.ts'
import { metallbManifestSource } from '../../lib/metallb.ts'

const digest = 'ab'.repeat(32)

test('without settings, the manifest is the pinned release with its sha256', () => {
  assert.deepEqual(metallbManifestSource({}), { url: versions.metallb.manifest, sha256: versions.metallb.sha256, pinned: true })
  assert.match(versions.metallb.manifest, new RegExp(`/metallb/metallb/${versions.metallb.release}/config/manifests/metallb-native\\.yaml$`))
  assert.match(versions.metallb.sha256, /^[0-9a-f]{64}$/)
  // Empty counts as unset, as for every setting.
  assert.equal(metallbManifestSource({ METALLB_MANIFEST_URL: '', METALLB_MANIFEST_SHA256: '' }).pinned, true)
})

test('METALLB_MANIFEST_URL and METALLB_MANIFEST_SHA256 pin another file, together', () => {
  assert.deepEqual(metallbManifestSource({ METALLB_MANIFEST_URL: 'https://mirror.example/metallb-native.yaml', METALLB_MANIFEST_SHA256: digest.toUpperCase() }),
    { url: 'https://mirror.example/metallb-native.yaml', sha256: digest, pinned: false })
  assert.equal(metallbManifestSource({ METALLB_MANIFEST_URL: 'file:///srv/metallb-native.yaml', METALLB_MANIFEST_SHA256: digest }).url, 'file:///srv/metallb-native.yaml')
})

test('one without the other, a bad URL or a bad digest is refused with what to do', () => {
  assert.throws(() => metallbManifestSource({ METALLB_MANIFEST_URL: 'https://mirror.example/m.yaml' }),
    (error: Error & { fix?: string }) => /METALLB_MANIFEST_URL is set without METALLB_MANIFEST_SHA256/.test(error.message) && /set both/.test(error.fix ?? ''))
  assert.throws(() => metallbManifestSource({ METALLB_MANIFEST_SHA256: digest }), /METALLB_MANIFEST_SHA256 is set without METALLB_MANIFEST_URL/)
  assert.throws(() => metallbManifestSource({ METALLB_MANIFEST_URL: 'mirror/m.yaml', METALLB_MANIFEST_SHA256: digest }), /METALLB_MANIFEST_URL "mirror\/m\.yaml" is not a URL/)
  assert.throws(() => metallbManifestSource({ METALLB_MANIFEST_URL: 'ftp://mirror/m.yaml', METALLB_MANIFEST_SHA256: digest }), /not an http\(s\) or file URL/)
  assert.throws(() => metallbManifestSource({ METALLB_MANIFEST_URL: 'https://mirror.example/m.yaml', METALLB_MANIFEST_SHA256: 'sha256:abc' }), /"sha256:abc" is not a sha256 digest/)
})
