// The host side of step 01 as the real tools behave: MetalLB's manifest checked against its
// pinned sha256 before anything is applied; pools carved from whatever network kind uses;
// kind's kubeconfig lock, which a stopped kind leaves behind for good.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tail, Workspace, workspacesRemovedAfterwards } from './lab.ts'

const workspace = workspacesRemovedAfterwards()

const pools = (ws: Workspace) => ws.applied().flatMap((r) => r.documents).filter((d) => d.kind === 'IPAddressPool').map((d) => `${d.metadata.name}: ${d.spec.addresses.join(',')}`)
const created = (ws: Workspace) => ws.invocations().filter((i) => i.tool === 'kind' && i.args[0] === 'create')

describe('MetalLB\'s manifest', { concurrency: 2 }, () => {
  test('step 01 applies the fetched copy, checked against its sha256, in both clusters', async () => {
    const ws = workspace()
    const run = await ws.make('01')
    assert.equal(run.code, 0, tail(run))
    const copy = join(ws.dir, 'out', 'rendered', '01-clusters', 'metallb-native.yaml')
    assert.equal(createHash('sha256').update(readFileSync(copy)).digest('hex'), ws.env.METALLB_MANIFEST_SHA256)
    assert.match(run.stdout, /✔ fetched file:\/\/\S+metallb-native\.yaml \(.* as pinned\) to /)
    const applies = ws.invocations().filter((i) => i.tool === 'kubectl' && i.args.includes('out/rendered/01-clusters/metallb-native.yaml'))
    assert.deepEqual(applies.map((i) => i.args.join(' ')).sort(), ['east', 'west'].map((c) => `--context=kind-cluster-${c} apply -f out/rendered/01-clusters/metallb-native.yaml`))
  })

  test('a manifest whose sha256 differs from the pinned one stops 01 before anything is created or applied', async () => {
    const ws = workspace()
    const actual = ws.env.METALLB_MANIFEST_SHA256!
    const pinned = createHash('sha256').update('a different release').digest('hex')
    const run = await ws.make('demo', { env: { METALLB_MANIFEST_SHA256: pinned } })
    assert.notEqual(run.code, 0)
    assert.match(run.stdout, /^01-clusters: /m, 'the doctor let it through; 01 refused it')
    assert.ok(run.stderr.includes(`its sha256 is ${actual}, the pinned one ${pinned}; it was not kept`), tail(run))
    assert.match(run.stderr, /nothing was applied/)
    assert.deepEqual(created(ws), [])
    assert.deepEqual(ws.applied(), [])
    assert.equal(existsSync(join(ws.dir, 'out', 'rendered', '01-clusters', 'metallb-native.yaml')), false, 'the unverified file was kept')
  })

  test('METALLB_MANIFEST_URL without METALLB_MANIFEST_SHA256 is refused by the doctor and by 01 alone', async () => {
    const ws = workspace()
    const env = { METALLB_MANIFEST_SHA256: '' }
    const demo = await ws.make('demo', { env })
    assert.notEqual(demo.code, 0)
    assert.match(demo.stdout, /metallb manifest\s+ERROR\s+METALLB_MANIFEST_URL is set without METALLB_MANIFEST_SHA256/)
    const alone = await ws.make('01', { env })
    assert.notEqual(alone.code, 0)
    assert.match(alone.stderr, /METALLB_MANIFEST_URL is set without METALLB_MANIFEST_SHA256\n\s+→ set both/)
    assert.deepEqual(created(ws), [])
  })

  test('a dry run names the file, fetches nothing', async () => {
    const ws = workspace()
    const missing = join(ws.root, 'nowhere', 'metallb-native.yaml')
    const run = await ws.script('01-clusters', ['--dry-run'], { env: { METALLB_MANIFEST_URL: `file://${missing}` } })
    assert.equal(run.code, 0, tail(run))
    assert.match(run.stdout, /dry run: file:\/\/\S+nowhere\/metallb-native\.yaml is not fetched; a real run keeps it as out\/dry-run\/01-clusters\/metallb-native\.yaml/)
    assert.match(run.stdout, /kubectl --context=kind-cluster-east apply -f out\/dry-run\/01-clusters\/metallb-native\.yaml/)
  })
})

describe('the kind network', { concurrency: 2 }, () => {
  test('a /24 network named by KIND_EXPERIMENTAL_DOCKER_NETWORK gets two pools, and the whole demo works on it', async () => {
    const ws = workspace({ env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: 'lab-net', LAB_DOCKER_SUBNET: '10.89.0.0/24' } })
    const run = await ws.make('demo', { timeoutMs: 180_000 })
    assert.equal(run.code, 0, tail(run))
    assert.deepEqual(Object.keys(ws.docker().networks), ['lab-net'])
    assert.deepEqual(pools(ws).sort(), ['kind-pool: 10.89.0.200-10.89.0.219', 'kind-pool: 10.89.0.220-10.89.0.239'])
    assert.match(run.stdout, /\[east\] ✔ MetalLB to accept the pool 10\.89\.0\.200-10\.89\.0\.219/)
    assert.match(run.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
    // The doctor, once the network exists, checks the same pools on it.
    const doctor = await ws.make('00')
    assert.equal(doctor.code, 0, tail(doctor))
    assert.match(doctor.stdout, /address pools\s+ok\s+east 10\.89\.0\.200-10\.89\.0\.219, west 10\.89\.0\.220-10\.89\.0\.239/)
    // West's API server, for the remote secret, is read on that network too.
    assert.ok(ws.invocations().some((i) => i.tool === 'docker' && i.args.join(' ') === 'inspect -f {{(index .NetworkSettings.Networks "lab-net").IPAddress}} cluster-west-control-plane' && i.exitCode === 0))
  })

  test('a network smaller than a /24 is refused with what to do, before MetalLB is installed', async () => {
    const ws = workspace({ env: { LAB_DOCKER_SUBNET: '172.18.0.0/26' } })
    const run = await ws.make('01')
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /the kind network 172\.18\.0\.0\/26 is smaller than a \/24/)
    assert.match(run.stderr, /docker network rm kind/)
    assert.deepEqual(pools(ws), [])
  })
})

describe('kind\'s kubeconfig lock', () => {
  test('a lock a stopped kind left behind: 01 says to remove it; once removed, 01 reuses the clusters and writes their contexts', async () => {
    const ws = workspace()
    const lock = `${ws.kubeconfig}.lock`
    writeFileSync(lock, '')
    const run = await ws.make('01')
    assert.notEqual(run.code, 0)
    assert.ok(run.stderr.includes(`its lock file ${lock} is there, and kind never removes a lock a stopped kind left behind`), tail(run))
    assert.ok(run.stderr.includes(`remove it: rm ${lock}; then run make 01 again`), tail(run))
    assert.equal(created(ws).length, 2, 'both creates ran (and made their clusters)')
    assert.ok(existsSync(lock), 'the workbook removed the lock itself')
    rmSync(lock)
    const again = await ws.make('01')
    assert.equal(again.code, 0, tail(again))
    assert.match(again.stdout, /reusing kind cluster cluster-east/)
    const contexts = await ws.run('kubectl', ['config', 'get-contexts', '-o', 'name'])
    assert.deepEqual(contexts.stdout.split('\n').filter(Boolean).sort(), ['kind-cluster-east', 'kind-cluster-west'])
    assert.equal(created(ws).length, 2, 'no cluster was created again')
  })
})

// The stand-in MetalLB manifest the harness serves is the one its sha256 names.
test('the harness pins its stand-in manifest by the sha256 of the file it hands over', () => {
  const ws = workspace()
  const file = fileURLToPath(ws.env.METALLB_MANIFEST_URL!)
  assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), ws.env.METALLB_MANIFEST_SHA256)
})
