// Tools on demand (lib/toolchain.ts) against the stand-in release sites on 127.0.0.1
// (test/lab/src/releases.ts): the first fetch, the cache, a checksum that does not match, a
// download that breaks off, and which binary each TOOLS choice runs.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { tools } from '../../lib/defaults.ts'
import { pins } from '../../lib/pins.ts'
import { shell } from '../../lib/run.ts'
import { chooseTools, currentPlatform, fetchPinned, parseChecksumFile, pinnedBinary, putOnPath, releaseFile, toolsMode, type Platform } from '../../lib/toolchain.ts'
import { launcher, startReleaseServer, type ReleaseServer } from '../lab/src/releases.ts'
import { scratchDir } from '../scratch.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const labBin = join(root, 'test', 'lab', 'bin')
const platform: Platform = { os: 'linux', arch: 'amd64' }
let server: ReleaseServer
before(async () => {
  server = await startReleaseServer(labBin, platform)
})
after(() => server.close())

const cache = () => join(scratchDir('workbook-tools-'), '.cache', 'bin')
// Everything under a folder, hidden entries included.
const everything = (dir: string): string[] => !existsSync(dir) ? [] : readdirSync(dir, { recursive: true }).map(String).sort()

test('TOOLS is unset, path or pinned; anything else is refused with the choices', () => {
  assert.equal(toolsMode({}), 'auto')
  assert.equal(toolsMode({ TOOLS: 'path' }), 'path')
  assert.equal(toolsMode({ TOOLS: 'pinned' }), 'pinned')
  assert.throws(() => toolsMode({ TOOLS: 'latest' }), (error: Error & { fix?: string }) => /TOOLS=latest is not a choice/.test(error.message) && /TOOLS=path .* TOOLS=pinned/.test(error.fix ?? ''))
})

test('the platform as the projects name it: linux or darwin, amd64 or arm64', () => {
  assert.deepEqual(currentPlatform('linux', 'x64'), { os: 'linux', arch: 'amd64' })
  assert.deepEqual(currentPlatform('darwin', 'arm64'), { os: 'darwin', arch: 'arm64' })
  assert.throws(() => currentPlatform('win32', 'x64'), /Linux and macOS on amd64 or arm64 only, not win32\/x64/)
  assert.throws(() => currentPlatform('linux', 'ppc64'), (error: Error & { fix?: string }) => /TOOLS=path/.test(error.fix ?? ''))
})

test('each project\'s own layout, the same URLs the workflow installs from, and a mirror instead', () => {
  const mac: Platform = { os: 'darwin', arch: 'arm64' }
  assert.deepEqual(releaseFile('kind', '0.31.0', mac, {}), { url: 'https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-darwin-arm64', checksumUrl: 'https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-darwin-arm64.sha256sum' })
  assert.equal(releaseFile('kubectl', '1.35.2', mac, {}).url, 'https://dl.k8s.io/release/v1.35.2/bin/darwin/arm64/kubectl')
  assert.deepEqual(releaseFile('helm', '4.2.4', mac, {}), { url: 'https://get.helm.sh/helm-v4.2.4-darwin-arm64.tar.gz', checksumUrl: 'https://get.helm.sh/helm-v4.2.4-darwin-arm64.tar.gz.sha256sum', member: 'darwin-arm64/helm' })
  assert.deepEqual(releaseFile('istioctl', '1.30.3', mac, {}), { url: 'https://github.com/istio/istio/releases/download/1.30.3/istioctl-1.30.3-osx-arm64.tar.gz', checksumUrl: 'https://github.com/istio/istio/releases/download/1.30.3/istioctl-1.30.3-osx-arm64.tar.gz.sha256', member: 'istioctl' })
  assert.equal(releaseFile('helm', '4.2.4', mac, { HELM_DOWNLOAD_URL: 'https://mirror.example/helm/' }).url, 'https://mirror.example/helm/helm-v4.2.4-darwin-arm64.tar.gz')
  assert.throws(() => releaseFile('kind', '0.31.0', mac, { KIND_DOWNLOAD_URL: 'mirror.example' }), /KIND_DOWNLOAD_URL "mirror\.example" is not a URL/)
  // The workflow's URLs for linux/amd64, with the default combination's versions filled in.
  const workflow = readFileSync(join(root, '.github', 'workflows', 'e2e.yaml'), 'utf8')
  const install = (parse(workflow).jobs.demo.steps as Array<{ run?: string }>).map((s) => s.run ?? '').join('\n')
  const filled = install.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => pins()[name] ?? `?${name}`)
  for (const tool of ['kind', 'kubectl', 'helm', 'istioctl'] as const) {
    const file = releaseFile(tool, tools[tool].release, platform, {})
    assert.ok(filled.includes(`fetch "${file.url}" \\\n`) && filled.includes(`"${file.checksumUrl}"`), `${tool}: ${file.url}`)
  }
})

test('a published checksum file is read by its first word, which must be a sha256', () => {
  const digest = 'a'.repeat(64)
  assert.equal(parseChecksumFile(`${digest}  kind-linux-amd64\n`, 'u'), digest)
  assert.equal(parseChecksumFile(`${digest.toUpperCase()}\n`, 'u'), digest)
  assert.throws(() => parseChecksumFile('<html>Not Found</html>', 'https://x/kind.sha256sum'), /https:\/\/x\/kind\.sha256sum does not start with a sha256 \(it says "<html>Not Found<\/html>"\)/)
})

test('the first fetch checks each release against its published checksum and keeps only the binary, executable; later ones reuse it', async () => {
  const dir = cache()
  for (const tool of ['kind', 'kubectl', 'helm', 'istioctl'] as const) {
    const before = server.downloads(tool)
    const first = await fetchPinned(tool, { cacheDir: dir, platform, env: server.env })
    assert.equal(first.fetched, true)
    assert.equal(first.binary, join(dir, `${tool}-${tools[tool].release}-linux-amd64`, tool))
    assert.deepEqual(readFileSync(first.binary), launcher(labBin, tool), `${tool}: the launcher itself, out of its archive`)
    assert.equal(statSync(first.binary).mode & 0o777, 0o755)
    assert.deepEqual(readdirSync(dirname(first.binary)), [tool], 'nothing but the binary (no archive, no LICENSE)')
    const again = await fetchPinned(tool, { cacheDir: dir, platform, env: server.env })
    assert.deepEqual(again, { binary: first.binary, fetched: false })
    assert.equal(server.downloads(tool), before + 1, `${tool} was downloaded once`)
  }
  assert.deepEqual(readdirSync(dir).sort(), ['helm', 'istioctl', 'kind', 'kubectl'].map((t) => `${t}-${tools[t as keyof typeof tools].release}-linux-amd64`))
})

test('a download whose sha256 is not the published one is refused with both digests, and nothing is installed', async () => {
  const dir = cache()
  server.faults.wrongChecksum = 'helm'
  try {
    await assert.rejects(fetchPinned('helm', { cacheDir: dir, platform, env: server.env }), (error: Error & { fix?: string }) =>
      /helm-v4\.2\.4-linux-amd64\.tar\.gz is not the file that was published: its sha256 is [0-9a-f]{64}, the published one [0-9a-f]{64}; it was not kept/.test(error.message)
      && /nothing was installed or run; Helm publishes that checksum beside the file \(helm-v4\.2\.4-linux-amd64\.tar\.gz\.sha256sum\)/.test(error.fix ?? ''))
    assert.deepEqual(everything(dir), [], 'no binary, no archive, no hidden work folder')
  } finally {
    delete server.faults.wrongChecksum
  }
})

test('a download that breaks off half way is a clear error, and nothing is half-installed', async () => {
  const dir = cache()
  server.faults.breakOff = 'istioctl'
  try {
    await assert.rejects(fetchPinned('istioctl', { cacheDir: dir, platform, env: server.env }), /fetching http:\/\/127\.0\.0\.1:\d+\/istio\/1\.30\.3\/istioctl-1\.30\.3-linux-amd64\.tar\.gz broke off after/)
    assert.deepEqual(everything(dir), [])
  } finally {
    delete server.faults.breakOff
  }
  // Once the site answers again, the next try fetches it whole.
  assert.equal((await fetchPinned('istioctl', { cacheDir: dir, platform, env: server.env })).fetched, true)
})

test('a site that does not have the release says which URL', async () => {
  const dir = cache()
  await assert.rejects(fetchPinned('kind', { cacheDir: dir, platform, env: { KIND_DOWNLOAD_URL: `${server.url}/nowhere` } }), /cannot fetch http:\/\/127\.0\.0\.1:\d+\/nowhere\/v0\.31\.0\/kind-linux-amd64\.sha256sum: the server answered 404/)
  assert.deepEqual(everything(dir), [])
})

// A folder of stand-in tools that print a version and fail at anything else.
function fakeTools(versions: Record<string, string>): string {
  const bin = scratchDir('workbook-fake-tools-')
  for (const [tool, says] of Object.entries(versions)) {
    writeFileSync(join(bin, tool), `#!/bin/sh\ncase "$*" in *version*) echo '${says}'; exit 0;; esac\necho "the fake ${tool} was run: $*" >&2\nexit 3\n`)
    chmodSync(join(bin, tool), 0o755)
  }
  return bin
}

test('which binary each TOOLS choice runs: a supported one on PATH, else the pinned release; TOOLS=path and TOOLS=pinned as they say', async () => {
  const bin = fakeTools({ kind: 'kind v0.20.0 go1.20.4 linux/amd64', helm: 'v4.1.4+g05fa379', istioctl: 'client version: 1.31.0' })
  // Nothing else on PATH: kubectl is missing.
  const env = { ...server.env, PATH: bin }
  const saved = process.env.PATH
  process.env.PATH = env.PATH
  try {
    const dir = cache()
    const $ = shell(undefined)
    const auto = await chooseTools(['kind', 'kubectl', 'helm', 'istioctl'], { mode: 'auto', $, cacheDir: dir, env })
    // kind 0.20.0 is too old, istioctl 1.31 newer than tried, kubectl missing: the pinned ones.
    assert.equal(auto.get('kind')!.binary, pinnedBinary(dir, 'kind', currentPlatform()))
    assert.equal(auto.get('kind')!.judgement?.verdict, 'too old')
    assert.equal(auto.get('istioctl')!.judgement?.verdict, 'newer than tried')
    assert.equal(auto.get('istioctl')!.pinned, true)
    assert.deepEqual([auto.get('kubectl')!.onPath, auto.get('kubectl')!.pinned], [undefined, true])
    // helm 4.1.4 is supported: used as it is.
    assert.deepEqual([auto.get('helm')!.binary, auto.get('helm')!.pinned, auto.get('helm')!.judgement?.verdict], [join(bin, 'helm'), false, 'fine'])
    const path = await chooseTools(['kind', 'istioctl'], { mode: 'path', $, cacheDir: cache(), env })
    assert.equal(path.get('kind')!.binary, join(bin, 'kind'), 'TOOLS=path: whatever it is')
    assert.equal(path.get('istioctl')!.binary, join(bin, 'istioctl'))
    const pinnedDir = cache()
    const pinned = await chooseTools(['helm'], { mode: 'pinned', $, cacheDir: pinnedDir, env })
    assert.equal(pinned.get('helm')!.binary, pinnedBinary(pinnedDir, 'helm', currentPlatform()), 'TOOLS=pinned: the pinned one, though a supported helm is on PATH')
    assert.equal(pinned.get('helm')!.onPath, undefined, 'TOOLS=pinned does not look at PATH')
    // The pinned folders go first on PATH, once each; the rest keeps its order.
    const run = { PATH: `${bin}:/usr/bin` }
    putOnPath(auto.values(), run)
    putOnPath(auto.values(), run)
    const pinnedDirs = (['kind', 'kubectl', 'istioctl'] as const).map((tool) => dirname(auto.get(tool)!.binary!))
    assert.deepEqual(run.PATH.split(':'), [...pinnedDirs, bin, '/usr/bin'])
  } finally {
    process.env.PATH = saved
  }
})

test('a fetch that fails leaves a problem naming the mirror setting and TOOLS=path, not an exception', async () => {
  const saved = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    const choices = await chooseTools(['kind'], { mode: 'auto', $: shell(undefined), cacheDir: cache(), env: { PATH: '/nonexistent', KIND_DOWNLOAD_URL: `${server.url}/nowhere` } })
    const problem = choices.get('kind')!.problem
    assert.match(problem?.message ?? '', /the server answered 404/)
    assert.match(problem?.fix ?? '', /behind a mirror of kind's releases, name it with KIND_DOWNLOAD_URL; or install kind 0\.31\.0 or newer .* and run with TOOLS=path/)
  } finally {
    process.env.PATH = saved
  }
})
