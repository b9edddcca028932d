// The whole chain on the lab at a realistic clock (LAB_TIME_SCALE 0.1: SPIRE's server takes
// 4.5 s to start, MetalLB's webhook answers 0.5 s after its controller), so a step that
// does not wait for what it needs fails here: make demo from nothing; what runs where,
// against the lab's table of roles; the remote secret's token kept out of sight; and every
// manifest and values file the workbook applied, checked field by field
// (manifest-checks.ts). Then, on a finished demo, what a rerun does: make demo again
// (nothing new), each script alone, the cleanup. The realistic clock matters for a run
// from nothing; a rerun waits on nothing that is not there, so those start from the shared
// chain's finished demo (chain.ts, fast clock) and run while the realistic demo waits.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { roles } from '../lab/src/expected.ts'
import { sharedChain } from './chain.ts'
import { readable, realisticClock, snapshot, steps, tail, Workspace, type Run } from './lab.ts'
import { helmValuesProblems, manifestProblems } from './manifest-checks.ts'
import { pinnedProblems, placementProblems } from './outcome.ts'

const ws = new Workspace({ timeScale: realisticClock })
const again = new Workspace()
let first: Run
after(() => {
  ws.remove()
  again.remove()
})

describe('make demo on the lab', { concurrency: 2 }, () => {
  describe('from nothing, at the realistic clock', { concurrency: false }, () => {
    before(async () => {
      first = await ws.make('demo', { timeoutMs: 180_000 })
    })

    test('from nothing, make demo without a terminal succeeds and step 15 reports both versions and no failed request', () => {
      assert.equal(first.code, 0, tail(first))
      assert.match(first.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/, tail(first))
      assert.doesNotMatch(first.output, /request\(s\) failed on the way/, tail(first))
      const created = ws.invocations().filter((i) => i.tool === 'kind' && i.args.slice(0, 2).join(' ') === 'create cluster')
      assert.deepEqual(created.map((i) => i.args[3]).sort(), [roles.east.kindName, roles.west.kindName])
      // Each round is one exec in which curl fetches a range of URLs: 12 by default.
      const curls = ws.invocations().filter((i) => i.tool === 'kubectl' && i.args.includes('exec') && i.args.includes('curl') && i.args.some((a) => a.includes('helloworld')))
      assert.ok(curls.length >= 1, 'step 15 sent no requests')
      for (const call of curls) assert.ok(call.args.includes('helloworld:5000/hello?[1-12]') && call.args.includes(`--context=${roles.east.context}`), `step 15 ran ${call.args.join(' ')}`)
    })

    test('v1 runs in east only, v2 in west only, curl in east; each cluster runs the pinned charts, node image and MetalLB', () => {
      assert.deepEqual(placementProblems(ws), [])
      assert.deepEqual(pinnedProblems(ws), [])
    })

    test('each cluster federated the other role\'s trust domain with that server\'s current bundle', () => {
      const clusters = ws.clusters()
      for (const role of [roles.east, roles.west]) {
        const here = clusters[role.kindName]!
        const other = clusters[roles[role.other].kindName]!
        const cftds = Object.values(here.objects).filter((s) => s.obj.kind === 'ClusterFederatedTrustDomain')
        assert.deepEqual(cftds.map((s) => s.obj.spec.trustDomain), [roles[role.other].trustDomain], `${role.role}'s ClusterFederatedTrustDomains`)
        assert.deepEqual(JSON.parse(cftds[0]!.obj.spec.trustDomainBundle), other.spire!.bundle, `${role.role} holds ${role.other}'s current bundle`)
      }
    })

    test('the remote secret\'s token appears nowhere in the output or under out/, and no file holding it is readable by others', () => {
      const token = ws.clusters()[roles.west.kindName]!.readerToken!
      assert.match(token, /^lab-token-[0-9a-f]{48}$/, 'west has a reader token for remote secrets')
      // It did reach east: the secret there holds it (else this test would prove nothing).
      const secret = ws.clusters()[roles.east.kindName]!.objects['|Secret|istio-system|istio-remote-secret-west']
      assert.ok(secret, 'east has the remote secret for west')
      assert.ok(Buffer.from(String(secret.obj.data.west), 'base64').toString('utf8').includes(token))
      assert.ok(!first.output.includes(token), 'the token was printed')
      for (const file of [...ws.files(ws.dir), ...ws.files(ws.home)]) {
        const text = readFileSync(file, 'utf8')
        if (!text.includes(token)) continue
        assert.ok(!relative(ws.dir, file).startsWith('out'), `${relative(ws.dir, file)} holds the token`)
        assert.ok(!readable(file), `${relative(ws.root, file)} holds the token and is readable by others`)
      }
      assert.ok(ws.files(join(ws.dir, 'out')).length > 10, 'out/ has the logs and rendered files to scan')
    })

    test('every manifest and Helm values file the workbook applied passes the check for its kind, unknown fields refused', () => {
      const counts: Record<string, number> = {}
      const records = ws.applied()
      assert.ok(records.some((r) => r.kind === 'manifest') && records.some((r) => r.kind === 'values'), 'the lab recorded manifests and values files')
      for (const record of records) {
        for (const doc of record.documents) {
          if (record.kind === 'values') {
            counts['helm values'] = (counts['helm values'] ?? 0) + 1
            assert.deepEqual(helmValuesProblems(doc), [], `helm values ${record.source} in ${record.cluster}`)
            continue
          }
          const type = `${doc.apiVersion}/${doc.kind}`
          counts[type] = (counts[type] ?? 0) + 1
          assert.deepEqual(manifestProblems(doc), [], `${type} ${doc.metadata?.name} (${record.tool} ${record.source} in ${record.cluster})`)
        }
      }
      for (const [type, atLeast] of Object.entries({
        'spire.spiffe.io/v1alpha1/ClusterFederatedTrustDomain': 2, 'install.istio.io/v1alpha1/IstioOperator': 3, 'metallb.io/v1beta1/IPAddressPool': 2,
        'networking.istio.io/v1/Gateway': 1, 'networking.istio.io/v1/DestinationRule': 1, 'v1/Secret': 1, 'apps/v1/Deployment': 3, 'v1/Service': 2, 'helm values': 4,
      })) {
        assert.ok((counts[type] ?? 0) >= atLeast, `expected at least ${atLeast} ${type} applied, saw ${counts[type] ?? 0}`)
      }
    })
  })

  describe('again, on a finished demo', { concurrency: false }, () => {
    before(async () => {
      again.restore((await sharedChain()).checkpoint('15-send-requests'))
    })

    test('a second make demo succeeds and creates nothing new', async () => {
      const before = snapshot(again)
      const calls = again.invocations().length
      const second = await again.make('demo', { timeoutMs: 180_000 })
      assert.equal(second.code, 0, tail(second))
      assert.match(second.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
      const after = snapshot(again)
      const ran = again.invocations().slice(calls)
      assert.ok(ran.length > 30, 'the second run ran its commands')
      assert.deepEqual(ran.filter((i) => i.tool === 'kind' && ['create', 'delete'].includes(i.args[0]!)), [], 'no cluster created or deleted')
      assert.deepEqual(Object.keys(after.things).sort(), Object.keys(before.things).sort(), 'the same objects, releases, clusters and containers')
      for (const key of Object.keys(before.things)) assert.deepEqual(after.things[key], before.things[key], `${key} changed`)
      assert.deepEqual(Object.keys(after.pods).sort(), Object.keys(before.pods).sort())
      for (const [owner, names] of Object.entries(before.pods)) {
        assert.equal(after.pods[owner]!.length, names.length, `${owner}: pods`)
        // istioctl install puts the gateway's injection annotation back to "gateway" and step
        // 07's patch sets "gateway,spire-gateway" again: the gateway alone rolls (see the report).
        if (!owner.includes('istio-eastwestgateway')) assert.deepEqual(after.pods[owner], names, `${owner}: pods were replaced`)
      }
    })

    test('after make demo, each script run alone succeeds', async () => {
      for (const step of steps) {
        const run = await again.make(step.slice(0, 2), { timeoutMs: 60_000 })
        assert.equal(run.code, 0, `make ${step.slice(0, 2)}:\n${tail(run)}`)
      }
      assert.deepEqual(Object.keys(again.clusters()).sort(), ['cluster-east', 'cluster-west'])
    })

    test('make clean YES=1 deletes both clusters and their contexts', async () => {
      const clean = await again.make('clean', { env: { YES: '1' } })
      assert.equal(clean.code, 0, tail(clean))
      assert.deepEqual(Object.keys(again.clusters()), [])
      assert.deepEqual(Object.keys(again.docker().containers), [])
      assert.doesNotMatch(readFileSync(again.kubeconfig, 'utf8'), /kind-cluster-(east|west)/)
    })
  })
})
