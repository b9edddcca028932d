import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tools, type FetchedTool } from '../../lib/defaults.ts'
import { dockerDaemonFindings, dockerMemoryFinding, formatFindings, inotifyFinding, kubectlSkewFinding, nodeProviderFinding, poolFinding, toolFinding, versionFinding } from '../../lib/doctor.ts'
import { WorkbookError } from '../../lib/errors.ts'
import { judge } from '../../lib/support.ts'
import type { ToolChoice } from '../../lib/toolchain.ts'
import { findOnPath, missingTools, requireTools } from '../../lib/tools.ts'
import { parseVersion } from '../../lib/versions.ts'
import { scratchDir } from '../scratch.ts'

const said = (output: string | undefined) => ({ missing: false as const, output })

test('docker\'s version, and istioctl\'s floor for 06 and 07: missing, failing, too old, fine', () => {
  const missing = versionFinding('docker', { missing: true }, undefined)
  assert.equal(missing.level, 'error')
  assert.equal(missing.detail, 'not on PATH')
  assert.match(missing.fix ?? '', /install Docker/)
  // Present but not answering (a stopped daemon, say) is not "not on PATH".
  const failing = versionFinding('docker', said(undefined), undefined)
  assert.equal(failing.level, 'warn')
  assert.match(failing.detail, /present, but asking its version failed/)
  assert.equal(versionFinding('docker', said('Docker version 27.5.1, build 9f9e405'), undefined).detail, '27.5.1')
  const istioctl = versionFinding('istioctl', said('1.26.3'), '1.27.0')
  assert.equal(istioctl.level, 'error')
  assert.match(istioctl.detail, /native sidecars/)
  assert.equal(versionFinding('istioctl', said('client version: 1.28.1'), '1.27.0').level, 'ok')
})

const asked = (tool: FetchedTool, version: string, extra: Partial<ToolChoice> = {}): ToolChoice => {
  const parsed = parseVersion(version)!
  return { tool, mode: 'path', pinned: false, fetched: false, onPath: `/usr/local/bin/${tool}`, binary: `/usr/local/bin/${tool}`, version: parsed, judgement: judge(tool, parsed), ...extra }
}

test('a tool row says default, supported, newer than tried or too old, and which binary the steps run', () => {
  const fine = toolFinding(asked('kind', tools.kind.release))
  assert.deepEqual(fine, { check: 'kind', level: 'ok', detail: `${tools.kind.release}, the default; runs /usr/local/bin/kind` })
  const supported = toolFinding(asked('helm', '4.1.4'))
  assert.equal(supported.level, 'ok')
  assert.equal(supported.detail, `4.1.4, supported (the default is ${tools.helm.release}); runs /usr/local/bin/helm`)
  const newer = toolFinding(asked('istioctl', '1.31.0'))
  assert.equal(newer.level, 'warn')
  assert.equal(newer.detail, '1.31.0 is newer than anything tried (the newest tried is 1.30.3); runs /usr/local/bin/istioctl')
  assert.match(newer.fix ?? '', /leave TOOLS unset, and the steps fetch and run istioctl 1\.30\.3/)
  const old = toolFinding(asked('istioctl', '1.28.2'))
  assert.equal(old.level, 'error')
  assert.match(old.detail, /^1\.28\.2 is older than 1\.29\.0: Istio 1\.29 is the oldest minor upstream still supports.*supportStatus\.yml/)
  assert.match(old.fix ?? '', /install istioctl .*; or leave TOOLS unset/)
  const missing = toolFinding({ tool: 'helm', mode: 'path', pinned: false, fetched: false, problem: new WorkbookError('helm is not on PATH', 'install it') })
  assert.equal(missing.level, 'error')
  assert.equal(missing.detail, 'not on PATH (TOOLS=path)')
  assert.match(missing.fix ?? '', /install Helm .*; or leave TOOLS unset, and the steps fetch and run helm 4\.2\.4/)
  const unknown = toolFinding({ tool: 'kubectl', mode: 'auto', pinned: false, fetched: false, onPath: '/usr/bin/kubectl', binary: '/usr/bin/kubectl', pathAnswer: 'garbage' })
  assert.equal(unknown.level, 'warn')
  assert.match(unknown.detail, /version unknown \("garbage"\); runs \/usr\/bin\/kubectl as it is/)
})

test('with the tools left to the workbook, a missing or unsupported one is replaced by the pinned release, and the row says so', () => {
  const pinnedKind = `${process.cwd()}/.cache/bin/kind-${tools.kind.release}-linux-amd64/kind`
  const base = { tool: 'kind' as const, mode: 'auto' as const, pinned: true, binary: pinnedKind, version: parseVersion(tools.kind.release) }
  const notThere = toolFinding({ ...base, fetched: true })
  assert.equal(notThere.level, 'ok')
  assert.equal(notThere.detail, `not on PATH; runs the pinned ${tools.kind.release}, fetched just now: .cache/bin/kind-${tools.kind.release}-linux-amd64/kind`)
  const old = toolFinding({ ...base, fetched: false, onPath: '/usr/bin/kind', judgement: judge('kind', [0, 20, 0]) })
  assert.equal(old.level, 'ok')
  assert.match(old.detail, new RegExp(`^/usr/bin/kind: 0\\.20\\.0 is older than ${tools.kind.oldest[0]!.replace(/\./g, '\\.')} \\(the pinned node image .*\\); runs the pinned ${tools.kind.release.replace(/\./g, '\\.')}: \\.cache/bin/kind-`))
  const forced = toolFinding({ ...base, mode: 'pinned', fetched: false })
  assert.match(forced.detail, /^TOOLS=pinned; runs the pinned /)
  const broken = toolFinding({ ...base, pinned: false, binary: undefined, fetched: false, problem: new WorkbookError('cannot fetch https://example/kind: ECONNREFUSED', 'check the network') })
  assert.deepEqual(broken, { check: 'kind', level: 'error', detail: 'cannot fetch https://example/kind: ECONNREFUSED', fix: 'check the network' })
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

const kindNet = { name: 'kind', subnet: '172.18.0.0/16', gateway: '172.18.0.1' }
const clusters = [{ name: 'east', ipSpace: 254 }, { name: 'west', ipSpace: 255 }]

test('an address in use inside a pool is an error naming the pool', () => {
  const finding = poolFinding(kindNet, clusters, ['172.18.0.2', '172.18.255.210', '172.18.254.199'])
  assert.equal(finding.level, 'error')
  assert.match(finding.detail, /172\.18\.255\.210 \(west's pool\)/)
  assert.doesNotMatch(finding.detail, /254\.199/)
  assert.equal(poolFinding(kindNet, clusters, ['172.18.0.2']).level, 'ok')
})

test('the pools are carved from the network the doctor sees, or it says why they cannot be', () => {
  const small = poolFinding({ name: 'kind', subnet: '10.89.0.0/24', gateway: '10.89.0.1' }, clusters, ['10.89.0.2', '10.89.0.225'])
  assert.equal(small.level, 'error')
  assert.match(small.detail, /10\.89\.0\.225 \(west's pool\)/)
  assert.equal(poolFinding({ name: 'kind', subnet: '10.89.0.0/24', gateway: '10.89.0.1' }, clusters, []).detail, 'east 10.89.0.200-10.89.0.219, west 10.89.0.220-10.89.0.239')
  const tiny = poolFinding({ name: 'kind', subnet: '10.89.0.0/26', gateway: '10.89.0.1' }, clusters, [])
  assert.equal(tiny.level, 'error')
  assert.match(tiny.detail, /smaller than a \/24/)
})

// What `docker info --format '{{.ServerVersion}} {{.MemTotal}}'` prints (docker/cli
// cli/command/system/info.go): the template over empty server info when the daemon is silent.
const silent = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'
const denied = 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: permission denied\n'

test('a silent daemon is "not answering" with a 27.x CLI (exit 0) and a 28.1+ CLI (exit 1) alike', () => {
  for (const exitCode of [0, 1]) {
    const [finding, ...rest] = dockerDaemonFindings({ stdout: ' 0\n', stderr: silent, exitCode, seconds: 0.2 }, 30)
    assert.equal(finding!.level, 'error', `exit ${exitCode}`)
    assert.match(finding!.detail, /^not answering \(docker info: Cannot connect to the Docker daemon/)
    assert.match(finding!.fix ?? '', /start Docker/)
    assert.deepEqual(rest, [], 'no memory row for a daemon that did not answer')
  }
})

test('a refused socket has its own fix, not "start Docker"', () => {
  for (const exitCode of [0, 1]) {
    const [finding] = dockerDaemonFindings({ stdout: ' 0\n', stderr: denied, exitCode, seconds: 0.1 }, 30)
    assert.equal(finding!.level, 'error')
    assert.match(finding!.detail, /permission denied on Docker's socket unix:\/\/\/var\/run\/docker\.sock/)
    assert.match(finding!.fix ?? '', /usermod -aG docker/)
    assert.doesNotMatch(finding!.fix ?? '', /start Docker/)
  }
})

test('a running daemon is ok, a slow one a warning (not down), one past the deadline an error', () => {
  const [fine, memory] = dockerDaemonFindings({ stdout: '27.5.1 17179869184\n', stderr: '', exitCode: 0, seconds: 0.4 }, 30)
  assert.deepEqual(fine, { check: 'docker daemon', level: 'ok', detail: 'server 27.5.1' })
  assert.equal(memory!.check, 'docker memory')
  const [slow] = dockerDaemonFindings({ stdout: '28.1.1 17179869184\n', stderr: '', exitCode: 0, seconds: 7.5 }, 30)
  assert.equal(slow!.level, 'warn')
  assert.match(slow!.detail, /server 28\.1\.1, but docker info took 7\.5s/)
  assert.match(slow!.fix ?? '', /slow, not down/)
  const [gone] = dockerDaemonFindings({ stdout: '', stderr: '', exitCode: 1, seconds: 30.1 }, 30)
  assert.equal(gone!.level, 'error')
  assert.match(gone!.detail, /did not finish within 30s/)
  assert.match(gone!.fix ?? '', /WAIT_DOCKER_INFO_SECONDS/)
})

test('kind on Podman or nerdctl is refused with the reason, whether asked for or taken for Docker', () => {
  for (const provider of ['podman', 'nerdctl', 'finch']) {
    const finding = nodeProviderFinding(provider, 'Docker version 27.5.1, build 9f9e405')
    assert.equal(finding?.level, 'error')
    assert.match(finding!.detail, new RegExp(`KIND_EXPERIMENTAL_PROVIDER=${provider}.*\\.IPAM`))
    assert.match(finding!.fix ?? '', /CLUSTER_PROVIDER=existing/)
  }
  assert.match(nodeProviderFinding(undefined, 'podman version 5.4.0')?.detail ?? '', /docker is not Docker's \("podman version 5\.4\.0"\), so kind would run the clusters on Podman/)
  assert.equal(nodeProviderFinding(undefined, 'Docker version 28.1.1, build 4eba377'), undefined)
  assert.equal(nodeProviderFinding('docker', 'Docker version 28.1.1, build 4eba377'), undefined)
  assert.equal(nodeProviderFinding(undefined, undefined), undefined)
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
  const dir = scratchDir('workbook-path-')
  writeFileSync(join(dir, 'kind'), '#!/bin/sh\n')
  chmodSync(join(dir, 'kind'), 0o755)
  writeFileSync(join(dir, 'helm'), 'not executable')
  const env = { PATH: dir }
  assert.equal(findOnPath('kind', env), join(dir, 'kind'))
  assert.equal(findOnPath('helm', env), undefined)
  assert.deepEqual(missingTools(['kind', 'helm', 'istioctl'], env), ['helm', 'istioctl'])
  assert.throws(() => requireTools(['kind', 'helm', 'istioctl'], env), (error: Error & { fix?: string }) =>
    /helm, istioctl are not on PATH/.test(error.message) && /helm: install Helm /.test(error.fix ?? '') && /istioctl: install istioctl /.test(error.fix ?? ''))
  assert.doesNotThrow(() => requireTools(['kind'], env))
})
