import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerMemoryFinding, formatFindings, inotifyFinding, kubectlSkewFinding, poolFinding, versionFinding } from '../../lib/doctor.ts'
import { findOnPath, missingTools, requireTools } from '../../lib/tools.ts'

const said = (output: string | undefined) => ({ missing: false as const, output })

test('tool versions: missing, failing, too old, fine', () => {
  const missing = versionFinding('kind', { missing: true }, '0.20.0')
  assert.equal(missing.level, 'error')
  assert.equal(missing.detail, 'not on PATH')
  assert.match(missing.fix ?? '', /install kind 0\.29/)
  // Present but not answering (a stopped daemon, say) is not "not on PATH".
  const failing = versionFinding('docker', said(undefined), undefined)
  assert.equal(failing.level, 'warn')
  assert.match(failing.detail, /present, but asking its version failed/)
  assert.equal(versionFinding('kind', said('kind v0.19.0 go1.20'), '0.20.0').level, 'error')
  assert.equal(versionFinding('kind', said('kind v0.29.0 go1.24'), '0.20.0').level, 'ok')
  const istioctl = versionFinding('istioctl', said('1.26.3'), '1.27.0')
  assert.equal(istioctl.level, 'error')
  assert.match(istioctl.detail, /native sidecars/)
  assert.equal(versionFinding('helm', said('v3.14.2+g9a7a7e4'), '3.7.0').detail, '3.14.2')
  assert.match(versionFinding('helm', said('v3.6.3+gd506314'), '3.7.0').detail, /helm repo update/)
})

test('kubectl skew beyond one minor version is a warning', () => {
  assert.equal(kubectlSkewFinding([1, 32, 4], [1, 33, 1]).level, 'ok')
  assert.equal(kubectlSkewFinding([1, 30, 0], [1, 33, 1]).level, 'warn')
})

test('memory and inotify limits warn with the fix', () => {
  assert.equal(dockerMemoryFinding(16 * 1024 ** 3).level, 'ok')
  assert.equal(dockerMemoryFinding(4 * 1024 ** 3).level, 'warn')
  const low = inotifyFinding(128, 8192)
  assert.equal(low.level, 'warn')
  assert.equal(low.fix, 'sudo sysctl fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288')
  assert.equal(inotifyFinding(512, 524288).level, 'ok')
})

test('an address in use inside a pool is an error naming the pool', () => {
  const finding = poolFinding('172.18.0.1', { east: 254, west: 255 }, ['172.18.0.2', '172.18.255.210', '172.18.254.199'])
  assert.equal(finding.level, 'error')
  assert.match(finding.detail, /172\.18\.255\.210 \(west's pool\)/)
  assert.doesNotMatch(finding.detail, /254\.199/)
  assert.equal(poolFinding('172.18.0.1', { east: 254, west: 255 }, ['172.18.0.2']).level, 'ok')
})

test('the table lists every finding, and the fix under each problem', () => {
  const text = formatFindings([
    { check: 'kind', level: 'error', detail: 'not on PATH', fix: 'install kind' },
    { check: 'helm', level: 'ok', detail: '3.14.2' },
  ])
  assert.match(text, /^CHECK\s+STATUS\s+DETAIL/)
  assert.match(text, /kind\s+ERROR\s+not on PATH\n\s+fix: install kind/)
  assert.match(text, /helm\s+ok\s+3\.14\.2/)
})

test('tools are found on PATH, and all missing ones are named at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'workbook-path-'))
  writeFileSync(join(dir, 'kind'), '#!/bin/sh\n')
  chmodSync(join(dir, 'kind'), 0o755)
  writeFileSync(join(dir, 'helm'), 'not executable')
  const env = { PATH: dir }
  assert.equal(findOnPath('kind', env), join(dir, 'kind'))
  assert.equal(findOnPath('helm', env), undefined)
  assert.deepEqual(missingTools(['kind', 'helm', 'istioctl'], env), ['helm', 'istioctl'])
  assert.throws(() => requireTools(['kind', 'helm', 'istioctl'], env), (error: Error & { fix?: string }) =>
    /helm, istioctl are not on PATH/.test(error.message) && /helm: install Helm 3/.test(error.fix ?? '') && /istioctl: install istioctl 1\.27/.test(error.fix ?? ''))
  assert.doesNotThrow(() => requireTools(['kind'], env))
})
