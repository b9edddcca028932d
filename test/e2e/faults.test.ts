// Faults: each stops the demo with a clear message and a non-zero exit, and a rerun once
// the fault is gone gets through.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { tail, Workspace, workspacesRemovedAfterwards, type Run } from './lab.ts'

const workspace = workspacesRemovedAfterwards()

// The step a make demo stopped in: the last heading it printed.
function stoppedIn(run: Run): string | undefined {
  return [...run.stdout.matchAll(/^(\d\d-[a-z-]+): /gm)].map((m) => m[1]).pop()
}

async function recovers(ws: Workspace): Promise<void> {
  const rerun = await ws.make('demo', { timeoutMs: 180_000 })
  assert.equal(rerun.code, 0, `the rerun failed:\n${tail(rerun)}`)
  assert.match(rerun.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
}

describe('faults', { concurrency: 2 }, () => {
  test('Docker not answering: the doctor says so, nothing is created; then a rerun succeeds', async () => {
    const ws = workspace()
    ws.setFaults({ dockerDown: true })
    const run = await ws.make('demo')
    assert.notEqual(run.code, 0)
    assert.equal(stoppedIn(run), '00-preflight', tail(run))
    assert.match(run.output, /docker daemon\s+ERROR\s+not answering/)
    assert.match(run.output, /start Docker/)
    // docker is on PATH; only its daemon is down. Saying otherwise sends the user the wrong way.
    assert.doesNotMatch(run.output, /docker\s+ERROR\s+not on PATH/, 'the doctor says docker is not on PATH, but only its daemon is down')
    assert.deepEqual(ws.invocations().filter((i) => i.tool === 'kind' && i.args[0] === 'create'), [])
    ws.clearFaults()
    await recovers(ws)
  })

  // With TOOLS unset a missing tool is fetched (test/e2e/tools.test.ts); TOOLS=path runs
  // only what is on PATH.
  test('a tool missing from PATH with TOOLS=path: the doctor names it and how to install it; then a rerun succeeds', async () => {
    const ws = workspace()
    const run = await ws.make('demo', { env: { PATH: ws.pathWithout('helm'), TOOLS: 'path' } })
    assert.notEqual(run.code, 0)
    assert.equal(stoppedIn(run), '00-preflight', tail(run))
    assert.match(run.output, /helm\s+ERROR\s+not on PATH \(TOOLS=path\)/)
    assert.match(run.output, /install Helm 3\.20\.0 or newer, or 4\.1\.0 or newer/)
    assert.match(run.stderr, /problem.* to fix first: .*helm/)
    // The doctor stopped the demo before any step made anything.
    assert.deepEqual(ws.invocations().filter((i) => i.tool === 'kind' && i.args[0] === 'create'), [], 'a cluster was created')
    assert.deepEqual(Object.keys(ws.clusters()), [])
    await recovers(ws)
  })

  test('helm failing once: step 04 stops with helm\'s error; then a rerun succeeds', async () => {
    const ws = workspace()
    ws.setFaults({ helmFailOnce: true })
    const run = await ws.make('demo')
    assert.notEqual(run.code, 0)
    assert.equal(stoppedIn(run), '04-spire-install', tail(run))
    assert.match(run.stderr, /helm failed \(exit 1\)/)
    assert.match(run.stderr, /Kubernetes cluster unreachable: .*TLS handshake timeout/)
    assert.equal(ws.invocations().filter((i) => i.tool === 'helm' && i.exitCode !== 0).length, 1, 'helm failed once')
    await recovers(ws)
  })

  // Helm 3's --wait waits for a LoadBalancer's address (pkg/kube/ready.go); Helm 4's
  // watcher counts the Service ready once it has a cluster IP, so 05's own wait gives up.
  // The shortened deadlines run out in a second or two; at the harness's clock an address
  // that does come takes 5 ms and SPIRE's server 45 ms, so the rerun's waits keep a wide margin.
  for (const helm of [{ version: '3', stops: '04-spire-install', says: /Error: (INSTALLATION|UPGRADE) FAILED: context deadline exceeded/ },
    { version: '4', stops: '05-federate-bundles', says: /gave up waiting for the bundle endpoint address \(LoadBalancer of service spire-server\) after 1s \(last seen: no address assigned yet\)/ }]) {
    test(`the LoadBalancer address never assigned, Helm ${helm.version}: the demo stops in ${helm.stops} by the shortened deadline, spire-server still pending; then a rerun succeeds`, async () => {
      const ws = workspace({ env: { WAIT_LB_ADDRESS_SECONDS: '1', WAIT_HELM_SECONDS: '2', LAB_HELM_VERSION: helm.version } })
      ws.setFaults({ lbNeverAssigned: true })
      const run = await ws.make('demo', { timeoutMs: 90_000 })
      assert.notEqual(run.code, 0)
      assert.equal(stoppedIn(run), helm.stops, tail(run))
      assert.match(run.stderr, helm.says, tail(run))
      assert.match(run.output, /--timeout 2s/, 'the deadline was not shortened')
      for (const context of ['kind-cluster-east', 'kind-cluster-west']) {
        const service = await ws.run('kubectl', [`--context=${context}`, 'get', 'svc', 'spire-server', '-n', 'spire'])
        assert.match(service.stdout, /spire-server\s+LoadBalancer\s+\S+\s+<pending>/, `${context}: ${service.output}`)
      }
      ws.clearFaults()
      await recovers(ws)
    })
  }

  test('spire-server bundle show printing garbage: step 05 stops before applying it; then a rerun succeeds', async () => {
    const ws = workspace()
    ws.setFaults({ bundleGarbage: true })
    const run = await ws.make('demo')
    assert.notEqual(run.code, 0)
    assert.equal(stoppedIn(run), '05-federate-bundles', tail(run))
    assert.match(run.stderr, /the bundle from (east|west) is not JSON/)
    assert.match(run.stderr, /spire-server-0/)
    assert.equal(ws.applied().filter((r) => r.documents.some((d) => d.kind === 'ClusterFederatedTrustDomain')).length, 0, 'nothing was federated with garbage')
    ws.clearFaults()
    await recovers(ws)
  })

  test('a context deleted from the kubeconfig: a step names it and the fix; then make demo restores it and succeeds', async () => {
    const ws = workspace()
    const clusters = await ws.make('01')
    assert.equal(clusters.code, 0, tail(clusters))
    const deleted = await ws.run('kubectl', ['config', 'delete-context', 'kind-cluster-west'])
    assert.equal(deleted.code, 0, deleted.output)
    const run = await ws.make('02')
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /no kubeconfig context "kind-cluster-west" for the west cluster/)
    assert.match(run.stderr, /make 01/)
    await recovers(ws)
    const contexts = await ws.run('kubectl', ['config', 'get-contexts', '-o', 'name'])
    assert.deepEqual(contexts.stdout.trim().split('\n').sort(), ['kind-cluster-east', 'kind-cluster-west'])
  })

  test('istioctl install failing: step 06 stops with istioctl\'s error; then a rerun succeeds', async () => {
    const ws = workspace()
    ws.setFaults({ istioctlInstallFails: true })
    const run = await ws.make('demo')
    assert.notEqual(run.code, 0)
    assert.equal(stoppedIn(run), '06-istio-control-planes', tail(run))
    assert.match(run.stderr, /istioctl failed \(exit 1\)/)
    assert.match(run.stderr, /Istiod encountered an error|failed to install manifests/)
    ws.clearFaults()
    await recovers(ws)
  })
})

describe('kind and the kubeconfig lock', () => {
  test('a create that loses kind\'s kubeconfig lock still leaves its context, written again', async () => {
    const ws = new Workspace()
    try {
      ws.setFaults({ kindLockLost: 'cluster-west' })
      const run = await ws.make('01')
      assert.equal(run.code, 0, tail(run))
      assert.match(run.output, /\[west\] .*kind could not lock the kubeconfig .*writing context kind-cluster-west again/)
      const contexts = await ws.run('kubectl', ['config', 'get-contexts', '-o', 'name'])
      assert.deepEqual(contexts.stdout.split('\n').filter(Boolean).sort(), ['kind-cluster-east', 'kind-cluster-west'])
      assert.ok(ws.invocations().some((i) => i.tool === 'kind' && i.args.join(' ') === 'export kubeconfig --name cluster-west' && i.exitCode === 0))
    } finally {
      ws.remove()
    }
  })
})
