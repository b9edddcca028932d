// The doctor (make doctor, the body of 00-preflight): every problem at once, without polls
// or retries. A doctor that hangs is killed by the run's limit (10 s, times
// E2E_TIMEOUT_SCALE) and fails; how fast it answers is `make bench`'s business, not a test's.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Workspace, tail } from './lab.ts'

const ws = new Workspace()
after(() => ws.remove())

// TOOLS=path: the tools on PATH and nothing else (without it, the steps fetch what is
// missing: test/e2e/tools.test.ts).
test('with two tools missing and TOOLS=path, the doctor names both, each with its fix, and runs no command twice', async () => {
  const bin = join(ws.root, 'bin-without-helm-and-istioctl')
  mkdirSync(bin)
  for (const tool of ['docker', 'kind', 'kubectl']) symlinkSync(join(ws.dir, 'test', 'lab', 'bin', tool), join(bin, tool))
  const run = await ws.script('00-preflight', [], { env: { PATH: [bin, ws.systemBin].join(':'), TOOLS: 'path' }, timeoutMs: 10_000 })
  assert.notEqual(run.code, 0)
  assert.match(run.stdout, /helm\s+ERROR\s+not on PATH \(TOOLS=path\)\n\s+fix: install Helm 3\.20\.0 or newer, or 4\.1\.0 or newer .*; or leave TOOLS unset, and the steps fetch and run helm 4\.2\.4/)
  assert.match(run.stdout, /istioctl\s+ERROR\s+not on PATH \(TOOLS=path\)\n\s+fix: install istioctl 1\.29 or newer/)
  assert.match(run.stdout, /kind\s+ok\s+0\.31\.0, the default; runs \S+\/bin-without-helm-and-istioctl\/kind/)
  assert.match(run.stderr, /2 problems to fix first: helm, istioctl/)
  // No polls and no retries: no command was run twice.
  const calls = ws.invocations().map((i) => `${i.tool} ${i.args.join(' ')}`)
  assert.ok(calls.length >= 3, calls.join('\n'))
  assert.deepEqual(calls.filter((call, i) => calls.indexOf(call) !== i), [], 'a command was repeated')
})

test('with everything present, the doctor passes and lists each tool\'s version', async () => {
  const run = await ws.script('00-preflight', [], { timeoutMs: 10_000 })
  assert.equal(run.code, 0, tail(run))
  for (const tool of ['docker', 'docker daemon', 'kind', 'kubectl', 'helm', 'istioctl']) assert.match(run.stdout, new RegExp(`^${tool}\\s+ok\\s`, 'm'), tool)
  // The lab's tools report releases inside the supported ranges, so they are used as they are.
  assert.match(run.stdout, /^kind\s+ok\s+0\.31\.0, the default; runs test\/lab\/bin\/kind$/m)
  assert.match(run.stdout, /^helm\s+ok\s+4\.1\.4, supported \(the default is 4\.2\.4\); runs test\/lab\/bin\/helm$/m)
})

// The lab's docker plays the CLI release LAB_DOCKER_VERSION names. With the daemon silent,
// `docker info --format` prints its template over empty server info: 27.5.1 exits 0, 28.1+
// exits 1 (docker/cli cli/command/system/info.go). The doctor must see a silent daemon in both.
for (const version of ['27.5.1', '28.1.1']) {
  test(`a stopped Docker fails the doctor with "start Docker", with a ${version} CLI`, async () => {
    const env = { LAB_DOCKER_VERSION: version }
    ws.setFaults({ dockerDown: true })
    try {
      const info = await ws.run('docker', ['info', '--format', '{{.ServerVersion}} {{.MemTotal}}'], { env })
      assert.equal(info.stdout, ' 0\n')
      assert.equal(info.code, version === '27.5.1' ? 0 : 1)
      assert.match(info.stderr, /Cannot connect to the Docker daemon/)
      const run = await ws.script('00-preflight', [], { env })
      assert.notEqual(run.code, 0)
      assert.match(run.stdout, /docker daemon\s+ERROR\s+not answering/)
      assert.match(run.stdout, /fix: start Docker/)
      assert.doesNotMatch(run.stdout, /server 0/)
      assert.doesNotMatch(run.stdout, /docker memory/)
      assert.match(run.stderr, /to fix first: .*docker daemon/)
    } finally {
      ws.clearFaults()
    }
  })

  test(`a socket this user may not open gets its own fix, with a ${version} CLI`, async () => {
    ws.setFaults({ dockerSocketDenied: true })
    try {
      const run = await ws.script('00-preflight', [], { env: { LAB_DOCKER_VERSION: version } })
      assert.notEqual(run.code, 0)
      assert.match(run.stdout, /docker daemon\s+ERROR\s+permission denied on Docker's socket unix:\/\/\/var\/run\/docker\.sock/)
      assert.match(run.stdout, /fix: add yourself to the docker group \(sudo usermod -aG docker \$USER\)/)
      assert.doesNotMatch(run.stdout, /start Docker/)
      // kind lists its nodes through that same CLI: its error carries the CLI's own words,
      // the API version in the URL included.
      const env = { LAB_DOCKER_VERSION: version }
      const docker = await ws.run('docker', ['ps', '-a'], { env })
      const kind = await ws.run('kind', ['get', 'clusters'], { env })
      const api = (text: string) => /docker\.sock\/(v1\.\d+)\//.exec(text)?.[1]
      assert.ok(api(docker.stderr), docker.stderr)
      assert.equal(api(kind.stderr), api(docker.stderr), kind.stderr)
    } finally {
      ws.clearFaults()
    }
  })
}

test('a slow docker info (Docker Desktop runs its CLI plugins) is waited for and reported as slow, not down', async () => {
  ws.setFaults({ dockerInfoSeconds: 3.5 })
  try {
    const run = await ws.script('00-preflight')
    assert.equal(run.code, 0, tail(run))
    assert.match(run.stdout, /docker daemon\s+WARN\s+server 27\.5\.1, but docker info took \d+\.\ds/)
    assert.match(run.stdout, /slow, not down/)
    assert.match(run.stdout, /docker memory\s+ok/)
    // Given less time than it needs, it is an error that says how to give it more.
    const hurried = await ws.script('00-preflight', [], { env: { WAIT_DOCKER_INFO_SECONDS: '1' } })
    assert.notEqual(hurried.code, 0)
    assert.match(hurried.stdout, /docker daemon\s+ERROR\s+docker info did not finish within 1s/)
    assert.match(hurried.stdout, /WAIT_DOCKER_INFO_SECONDS=<seconds>/)
  } finally {
    ws.clearFaults()
  }
})

test('kind on Podman is refused up front, with the reason: asked for, or through a docker that is Podman\'s', async () => {
  const asked = await ws.make('demo', { env: { KIND_EXPERIMENTAL_PROVIDER: 'podman' } })
  assert.notEqual(asked.code, 0)
  assert.match(asked.stdout, /kind provider\s+ERROR\s+KIND_EXPERIMENTAL_PROVIDER=podman makes kind run the clusters on podman, which the workbook does not support: .*\.IPAM/)
  assert.match(asked.stdout, /CLUSTER_PROVIDER=existing/)
  assert.deepEqual(ws.invocations().filter((i) => i.tool === 'kind' && i.args[0] === 'create'), [])
  // Step 01 alone refuses it too, before any cluster is created.
  const alone = await ws.make('01', { env: { KIND_EXPERIMENTAL_PROVIDER: 'podman' } })
  assert.notEqual(alone.code, 0)
  assert.match(alone.stderr, /KIND_EXPERIMENTAL_PROVIDER=podman makes kind run the clusters on podman/)
  assert.deepEqual(ws.invocations().filter((i) => i.tool === 'kind' && i.args[0] === 'create'), [])
  // podman-docker's `docker` answers `docker -v` as Podman; kind then picks Podman by itself.
  const bin = join(ws.root, 'bin-podman-docker')
  mkdirSync(bin)
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\n[ "$1" = --version ] && { echo "podman version 5.4.0"; exit 0; }\necho "Error: unknown flag" >&2; exit 125\n', { mode: 0o755 })
  const podman = await ws.script('00-preflight', [], { env: { PATH: `${bin}:${ws.env.PATH}` } })
  assert.notEqual(podman.code, 0)
  assert.match(podman.stdout, /kind provider\s+ERROR\s+docker is not Docker's \("podman version 5\.4\.0"\), so kind would run the clusters on Podman/)
})
