// Keeps the benchmark honest: its arithmetic on made-up invocations, and one real pair
// of runs at a tiny scale. It checks consistency, not speed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { benchLine, measure, sideOf, stepOf, type Invocation } from './measure.ts'
import { durations } from '../lab/src/timing.ts'
import { demoOnLab } from './run.ts'

const call = (tool: string, args: string[], start: number, modelledMs: number): Invocation => ({ tool, args, exitCode: 0, start, end: start + modelledMs, modelledMs })

test('each invocation is about east, west or both', () => {
  const names = { east: 'east', west: 'west' }
  assert.equal(sideOf(call('kubectl', ['--context=kind-cluster-east', 'get', 'svc'], 0, 0), names), 'east')
  assert.equal(sideOf(call('helm', ['--kube-context', 'kind-cluster-west', 'upgrade'], 0, 0), names), 'west')
  assert.equal(sideOf(call('kind', ['create', 'cluster', '--name', 'cluster-west'], 0, 0), names), 'west')
  assert.equal(sideOf(call('docker', ['inspect', '-f', '{{...}}', 'cluster-east-control-plane'], 0, 0), names), 'east')
  assert.equal(sideOf(call('helm', ['repo', 'add', 'spiffe-hardened', 'https://x'], 0, 0), names), 'both')
})

test('steps are told apart by their start times; C takes the longer side of each step', () => {
  const starts = [{ step: '01-clusters', start: 100 }, { step: '02-environment', start: 200 }]
  assert.equal(stepOf(call('kind', [], 150, 0), starts), '01-clusters')
  assert.equal(stepOf(call('kind', [], 250, 0), starts), '02-environment')
  const m = measure([
    call('kind', ['get', 'clusters'], 101, 100),
    call('kind', ['create', 'cluster', '--name', 'cluster-east'], 110, 3000),
    call('kind', ['create', 'cluster', '--name', 'cluster-west'], 110, 2000),
    call('kubectl', ['--context=kind-cluster-west', 'apply'], 130, 500),
    call('kubectl', ['--context=kind-cluster-east', 'get'], 210, 1000),
  ], starts)
  assert.equal(m.S, 6.6)
  assert.equal(m.C, 0.1 + 3 + 1)
  assert.match(benchLine({ S: m.S, C: m.C, W: 5, O: 1, scripts: 2 }), /^bench: S=6\.60 C=4\.10 W=5\.00 O=1\.00 W\/S=0\.76 \(W-O\)\/C=0\.98 O\/script=0\.50$/)
})

// One run of make demo on the lab at a tiny scale: the benchmark's figures come from the
// modelled durations the lab recorded (invocations.jsonl, modelledMs), which must be the
// lab's own table scaled, and be split between east and west the way the steps work.
test('at a tiny scale, the modelled durations recorded are the lab\'s table scaled, and S and C split them by step and cluster', async () => {
  const scale = 0.002
  const run = await demoOnLab(scale)
  const { S, C, perStep } = run.measures
  assert.ok(run.invocations.length > 50, 'the run logged its invocations')
  const scaled = (seconds: number) => Math.round(seconds * 1000 * scale)
  // Each kind create cluster sleeps its modelled 60 s (in two halves), no more, no less.
  const creates = run.invocations.filter((i) => i.tool === 'kind' && i.args.slice(0, 2).join(' ') === 'create cluster')
  assert.equal(creates.length, 2)
  for (const create of creates) assert.equal(create.modelledMs, 2 * Math.round(scaled(durations.kindCreateCluster) / 2), create.args.join(' '))
  // Each helm upgrade --install sleeps at least its render time.
  const installs = run.invocations.filter((i) => i.tool === 'helm' && i.args.includes('upgrade'))
  assert.equal(installs.length, 4)
  for (const install of installs) assert.ok((install.modelledMs ?? 0) >= scaled(durations.helmInstall), `${install.args.join(' ')}: ${install.modelledMs} ms`)
  // S adds up every modelled duration, in seconds.
  const total = run.invocations.reduce((sum, i) => sum + (i.modelledMs ?? 0), 0) / 1000
  assert.ok(Math.abs(S - total) < 1e-9, `S=${S}, the log adds up to ${total}`)
  // East and west both wait in 01, 04 and 06, at once: C counts the longer side. The
  // gateway (07) is west's alone. So C < S.
  for (const step of ['01-clusters', '04-spire-install', '06-istio-control-planes']) {
    const p = perStep[step]!
    assert.ok(p.east > 0 && p.west > 0 && Math.abs(p.C - (p.both + Math.max(p.east, p.west))) < 1e-9, `${step}: ${JSON.stringify(p)}`)
  }
  assert.ok(perStep['07-eastwest-gateway']!.west > 0 && perStep['07-eastwest-gateway']!.east === 0, JSON.stringify(perStep['07-eastwest-gateway']))
  assert.ok(C < S, `C=${C} is not below S=${S}`)
})
