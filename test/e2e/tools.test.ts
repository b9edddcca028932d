// Only Docker needed: a clone on a machine with Docker, make and Node and none of kind,
// kubectl, helm or istioctl runs `make demo`, the steps fetching each tool once from its
// project's release site (here the stand-in on 127.0.0.1, test/lab/src/releases.ts, reached
// through the settings a mirror is named with), checked against the published checksum.
// A tool on PATH that is too old is replaced by the pinned release; a mismatch stops a step
// before anything runs, and a download that breaks off leaves nothing half-installed.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tools } from '../../lib/defaults.ts'
import { currentPlatform, releaseSites } from '../../lib/toolchain.ts'
import { startReleaseServer, type ReleaseServer } from '../lab/src/releases.ts'
import { repoRoot, tail, Workspace } from './lab.ts'
import { successDifferences, textBlocks } from './samples.ts'

const ws = new Workspace()
let server: ReleaseServer
before(async () => {
  server = await startReleaseServer(join(ws.dir, 'test', 'lab', 'bin'), currentPlatform())
})
after(async () => {
  await server.close()
  ws.remove()
})

const platform = currentPlatform()
const cacheDir = join(ws.dir, '.cache', 'bin')
const pinnedDir = (tool: keyof typeof tools) => `.cache/bin/${tool}-${tools[tool].release}-${platform.os}-${platform.arch}`
const cached = () => existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []

// A PATH with the lab's docker, Node and the basic system tools, and nothing else.
function dockerOnly(): string {
  const bin = join(ws.root, 'bin-docker-only')
  if (!existsSync(bin)) {
    mkdirSync(bin)
    symlinkSync(join(ws.dir, 'test', 'lab', 'bin', 'docker'), join(bin, 'docker'))
  }
  return [bin, ws.systemBin].join(':')
}

test('the lab\'s tools report versions inside the supported ranges: the steps use them as they are and fetch nothing', async () => {
  // The lab's tools are on the harness's PATH for every other test: supported, so no test fetches.
  const doctor = await ws.make('00', { env: server.env })
  assert.equal(doctor.code, 0, tail(doctor))
  assert.doesNotMatch(doctor.output, /fetching/)
  assert.deepEqual(server.requests, [])
})

test('with none of kind, kubectl, helm or istioctl on PATH, make demo fetches each once, checked, and runs every step with them', async () => {
  const run = await ws.make('demo', { env: { ...server.env, PATH: dockerOnly() }, timeoutMs: 240_000 })
  assert.equal(run.code, 0, tail(run, 40))
  // 00 fetched all four, each checked against the checksum published beside it.
  for (const tool of ['kind', 'kubectl', 'helm', 'istioctl'] as const) {
    assert.match(run.stdout, new RegExp(`• ${tool} is not on PATH: fetching ${tool} ${tools[tool].release.replace(/\./g, '\\.')} for ${platform.os}/${platform.arch} into ${pinnedDir(tool)} \\(once\\)`))
    assert.match(run.stdout, new RegExp(`✔ fetched http://127\\.0\\.0\\.1:\\d+/\\S+ \\(.*, sha256 [0-9a-f]{12}… as published\\) to ${pinnedDir(tool)}`))
    assert.match(run.stdout, new RegExp(`^${tool}\\s+ok\\s+not on PATH; runs the pinned ${tools[tool].release.replace(/\./g, '\\.')}, fetched just now: ${pinnedDir(tool)}/${tool}$`, 'm'))
    assert.equal(server.downloads(tool), 1, `${tool} was downloaded once, for every step`)
  }
  assert.equal(server.requests.length, 8, server.requests.join('\n'))
  // docs/00 shows this doctor run: its sample is what 00 printed, with the release sites the
  // stand-in played and the sizes of the real archives.
  const sample = textBlocks(join(repoRoot, 'docs', '00-preflight.md'), 'docs/00-preflight.md').filter((b) => b.checkedBy === 'test/e2e/tools.test.ts')
  assert.equal(sample.length, 1, 'docs/00 marks one sample as checked here')
  const doctor = run.stdout.slice(run.stdout.indexOf('00-preflight: '), run.stdout.indexOf('01-clusters: '))
  const sites = Object.values(releaseSites).map((site): [string, string] => [server.env[site.env]!, site.url])
  assert.deepEqual(successDifferences(sample[0]!.lines, doctor, { replace: sites }), [])
  assert.deepEqual(cached(), ['helm', 'istioctl', 'kind', 'kubectl'].map((t) => pinnedDir(t as keyof typeof tools).split('/').pop()))
  // Every step after 00 found them in the cache, and the demo ran on them to the end.
  assert.match(run.stdout, /^01-clusters: /m)
  assert.match(run.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
  const ran = new Set(ws.invocations().map((i) => i.tool))
  for (const tool of ['kind', 'kubectl', 'helm', 'istioctl']) assert.ok(ran.has(tool), `${tool} ran`)
})

test('a tool on PATH too old for the workbook: the steps run the pinned release, and the doctor says why; with TOOLS=path the doctor refuses it', async () => {
  // A kind that answers like v0.29.0 (the workbook's earlier pin) and leaves a mark if it is run for anything else.
  const bin = join(ws.root, 'bin-old-kind')
  mkdirSync(bin)
  const mark = join(ws.root, 'old-kind-ran')
  writeFileSync(join(bin, 'kind'), `#!/bin/sh\n[ "$1" = version ] && { echo "kind v0.29.0 go1.24.2 linux/amd64"; exit 0; }\necho "$*" >> '${mark}'\nexit 1\n`, { mode: 0o755 })
  const env = { ...server.env, PATH: `${bin}:${ws.env.PATH}` }
  const doctor = await ws.make('00', { env })
  assert.equal(doctor.code, 0, tail(doctor))
  assert.match(doctor.stdout, new RegExp(`^kind\\s+ok\\s+${bin.replace(/[.]/g, '\\.')}/kind: 0\\.29\\.0 is older than 0\\.31\\.0 \\(the pinned node image is the one kind v0\\.31\\.0 was released with.*\\); runs the pinned 0\\.31\\.0: ${pinnedDir('kind')}/kind$`, 'm'))
  const clusters = await ws.make('01', { env })
  assert.equal(clusters.code, 0, tail(clusters))
  assert.equal(existsSync(mark), false, `the old kind was run: ${existsSync(mark) ? readFileSync(mark, 'utf8') : ''}`)
  assert.equal(server.downloads('kind'), 1, 'the pinned kind came from the cache')
  const path = await ws.make('00', { env: { ...env, TOOLS: 'path' } })
  assert.notEqual(path.code, 0)
  assert.match(path.stdout, /^kind\s+ERROR\s+0\.29\.0 is older than 0\.31\.0: the pinned node image is the one kind v0\.31\.0 was released with/m)
  assert.match(path.stdout, /fix: install kind 0\.31\.0 or newer .*; or leave TOOLS unset, and the steps fetch and run kind 0\.31\.0/)
})

test('a download that does not match its published checksum stops the step before anything runs, showing both digests; nothing is installed', async () => {
  const fresh = new Workspace()
  try {
    server.faults.wrongChecksum = 'helm'
    const before = fresh.invocations().length
    const run = await fresh.script('03-spire-helm-repo', [], { env: { ...server.env, PATH: dockerOnly() } })
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /helm-v4\.2\.4-\S+\.tar\.gz is not the file that was published: its sha256 is [0-9a-f]{64}, the published one [0-9a-f]{64}; it was not kept/)
    assert.match(run.stderr, /→ nothing was installed or run/)
    assert.equal(fresh.invocations().length, before, 'no tool ran')
    assert.deepEqual(existsSync(join(fresh.dir, '.cache', 'bin')) ? readdirSync(join(fresh.dir, '.cache', 'bin')) : [], [], 'no binary, archive or work folder')
  } finally {
    delete server.faults.wrongChecksum
    fresh.remove()
  }
})

test('a download that breaks off half way: a clear error, nothing half-installed; the next run fetches it whole', async () => {
  const fresh = new Workspace()
  try {
    server.faults.breakOff = 'istioctl'
    const env = { ...server.env, PATH: dockerOnly() }
    const run = await fresh.script('09-verify-control-planes', [], { env })
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /✖ fetching http:\/\/127\.0\.0\.1:\d+\/istio\/1\.30\.3\/istioctl-1\.30\.3-\S+\.tar\.gz broke off after .*\n\s+→ try again/)
    assert.deepEqual(existsSync(join(fresh.dir, '.cache', 'bin')) ? readdirSync(join(fresh.dir, '.cache', 'bin')) : [], [])
    delete server.faults.breakOff
    const again = await fresh.script('09-verify-control-planes', [], { env })
    assert.match(again.stdout, /✔ fetched http:\/\/127\.0\.0\.1:\d+\/istio\/\S+ .* as published\)/)
    assert.ok(existsSync(join(fresh.dir, pinnedDir('istioctl'), 'istioctl')))
  } finally {
    delete server.faults.breakOff
    fresh.remove()
  }
})
