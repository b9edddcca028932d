// Keeps the benchmark honest: its arithmetic on made-up invocations, and one real pair
// of runs at a tiny scale. It checks consistency, not speed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { benchLine, measure, sideOf, stepOf, type Invocation } from './measure.ts'
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

test('at a tiny scale: S >= C, W >= C, and the modelled run is slower than the instant one', async () => {
  const instant = await demoOnLab(0)
  const modelled = await demoOnLab(0.002)
  const { S, C } = modelled.measures
  assert.ok(C > 0, 'the modelled run recorded no modelled time')
  assert.ok(S >= C, `S=${S} < C=${C}`)
  assert.ok(modelled.W >= C, `W=${modelled.W} < C=${C}`)
  assert.ok(modelled.W > instant.W, `run 2 (${modelled.W}s) was not slower than run 1 (${instant.W}s)`)
  assert.equal(instant.measures.S, 0, 'with every tool answering at once, nothing is modelled')
})
