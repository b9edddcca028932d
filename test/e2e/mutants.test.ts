// Mistakes made on purpose. Each mutant copies the repository (as every workspace does),
// changes one thing with a textual edit that must match exactly once (a changed source
// fails the mutant loudly, so it is updated rather than silently testing nothing), runs
// the shortest chain of steps that shows the mistake, from a checkpoint where one helps (two
// bare kind clusters, or a point of the shared chain, chain.ts), at a clock slow enough that
// a missing wait trips when the mistake is a missing wait (the harness's fast clock
// otherwise), and names the failure it expects. Together they show that `make test` fails
// on each: a step fails with that message, or a check the demo test runs (outcome.ts,
// manifest-checks.ts) finds the mistake.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pinned, roles } from '../lab/src/expected.ts'
import { sharedChain } from './chain.ts'
import { tail, workspacesRemovedAfterwards, type Workspace } from './lab.ts'
import { manifestProblems } from './manifest-checks.ts'
import { pinnedProblems, placementProblems } from './outcome.ts'

type Start = 'clusters' | 'after-03' | 'done'

interface Mutant {
  name: string
  file: string
  find: string
  replace: string
  from: Start
  run: string[]                    // the steps to run, in order
  clock?: number                   // LAB_TIME_SCALE, when the mistake is a missing wait (a slower clock shows it)
  env?: Record<string, string>
  shows: (ws: Workspace, failedAt: string | undefined, output: string, since: number) => void
}

const mutants: Mutant[] = [
  {
    name: '04 installs SPIRE without --wait',
    file: 'scripts/04-spire-install.ts',
    find: ' --version ${versions.spireChart} --wait --timeout ${timeout}`',
    replace: ' --version ${versions.spireChart}`',
    from: 'after-03',
    run: ['04-spire-install', '05-federate-bundles'],
    // At 0.3, SPIRE's server takes 13.5 s to start: 05 asks it long before.
    clock: 0.3,
    shows: (_ws, failedAt, output) => {
      assert.equal(failedAt, '05-federate-bundles', output)
      assert.match(output, /error: unable to upgrade connection: container not found \("spire-server"\)/)
    },
  },
  {
    name: '01 applies the MetalLB pool once, without waiting for the webhook to answer',
    file: 'scripts/01-clusters.ts',
    find: `    // MetalLB's admission webhook answers a little after its pods are Ready: retry the apply.
    let refusal = ''
    await waitFor(cluster.name, \`MetalLB to accept the pool \${range}\`, 'metallbReady', async () => {
      const applied = await cluster.$({ nothrow: true })\`kubectl --context=\${cluster.context} apply -f \${pool}\`
      refusal = applied.stderr.trim()
      return applied.exitCode === 0 ? true : undefined
    }, \`check MetalLB's pods: kubectl --context=\${cluster.context} get pods -n metallb-system\`, () => refusal)`,
    replace: '    await cluster.$`kubectl --context=${cluster.context} apply -f ${pool}`',
    from: 'clusters',
    run: ['01-clusters'],
    // At real time the webhook answers 5 s after MetalLB's controller is Ready: 2.5 s at
    // this clock, some eight times what 01 takes from the controller's readiness to the
    // apply on a busy 2-core machine (250-350 ms).
    clock: 0.5,
    shows: (_ws, failedAt, output) => {
      assert.equal(failedAt, '01-clusters', output)
      assert.match(output, /failed calling webhook "ipaddresspoolvalidationwebhook\.metallb\.io"/)
    },
  },
  {
    name: '11 applies helloworld v1 in west',
    file: 'scripts/11-helloworld-v1.ts',
    find: 'const { east } = wb',
    replace: 'const { west: east } = wb',
    from: 'done',
    run: ['11-helloworld-v1'],
    shows: (ws, failedAt, output) => {
      assert.equal(failedAt, undefined, output)
      // What the demo test's placement check says.
      assert.ok(placementProblems(ws).includes('helloworld-v1 runs in west; it belongs in east only'), placementProblems(ws).join('\n'))
    },
  },
  {
    name: 'lib/clusters.ts misspells the trust domains',
    file: 'lib/clusters.ts',
    find: 'trustDomain: `${name}.local`,',
    replace: 'trustDomain: `${name}.lcoal`,',
    from: 'after-03',
    run: ['04-spire-install', '05-federate-bundles'],
    // Both sides agree on the misspelt names, so SPIRE federates them as it would on real
    // clusters; what the demo test's check of the pinned trust domains says is the failure.
    shows: (ws, failedAt, output) => {
      assert.equal(failedAt, undefined, output)
      for (const role of [roles.east, roles.west]) {
        const problem = `${role.role}'s SPIRE server has trust domain ${role.role}.lcoal, not ${role.trustDomain}`
        assert.ok(pinnedProblems(ws).includes(problem), pinnedProblems(ws).join('\n'))
      }
    },
  },
  {
    name: 'the MetalLB pool goes to namespace default',
    file: 'templates/metallb-pool.yaml',
    find: '  name: kind-pool\n  namespace: metallb-system\n',
    replace: '  name: kind-pool\n  namespace: default\n',
    from: 'done',
    run: ['01-clusters'],
    env: { WAIT_METALLB_SECONDS: '1' },
    shows: (_ws, failedAt, output) => {
      assert.equal(failedAt, '01-clusters', output)
      assert.match(output, /gave up waiting for MetalLB to accept the pool .*resource must be created in metallb-system namespace/s)
    },
  },
  {
    name: 'the control plane sets meshConfig.trustDomian',
    file: 'templates/istio-control-plane.yaml',
    find: '    accessLogFile: /dev/stdout\n    trustDomain: ${TRUST_DOMAIN}\n',
    replace: '    accessLogFile: /dev/stdout\n    trustDomian: ${TRUST_DOMAIN}\n',
    from: 'done',
    run: ['06-istio-control-planes'],
    shows: (ws, failedAt, output, since) => {
      // istioctl 1.30.3 drops unknown meshConfig fields without a word, and so does the lab's.
      assert.equal(failedAt, undefined, output)
      const operators = ws.applied().filter((r) => r.time >= since && r.source.includes('06-istio-control-planes')).flatMap((r) => r.documents)
      assert.ok(operators.length >= 2, '06 applied its IstioOperators')
      // What the demo test's manifest check says.
      for (const doc of operators) assert.ok(manifestProblems(doc).some((p) => /^spec\.meshConfig\.trustDomian: unknown field "trustDomian"/.test(p)), manifestProblems(doc).join('\n'))
    },
  },
]

// A textual edit that must match exactly once.
export function mutate(dir: string, mutant: Pick<Mutant, 'name' | 'file' | 'find' | 'replace'>): void {
  const path = join(dir, mutant.file)
  const text = readFileSync(path, 'utf8')
  const count = text.split(mutant.find).length - 1
  if (count !== 1) throw new Error(`mutant "${mutant.name}": ${mutant.file} holds its text ${count} times, not once: the source changed, update the mutant`)
  writeFileSync(path, text.replace(mutant.find, () => mutant.replace))
}

// The checkpoints are made at the fast clock; each mutant runs at its own.
const workspace = workspacesRemovedAfterwards()
const base = workspace()
const checkpoints = {} as Record<Start, string>

before(async () => {
  // Two kind clusters and nothing else; the unchanged demo up to 03, and all of it.
  const made = await Promise.all([roles.east, roles.west].map((role) => base.run('kind', ['create', 'cluster', '--name', role.kindName, '--image', pinned.nodeImage])))
  for (const run of made) if (run.code !== 0) throw new Error(`kind create cluster failed:\n${run.output}`)
  checkpoints.clusters = base.checkpoint('clusters')
  const chain = await sharedChain()
  checkpoints['after-03'] = chain.checkpoint('03-spire-helm-repo')
  checkpoints.done = chain.checkpoint('15-send-requests')
})

describe('mistakes made on purpose fail', { concurrency: 3 }, () => {
  test('every mutant\'s edit matches its source exactly once', () => {
    for (const mutant of mutants) {
      const text = readFileSync(join(base.dir, mutant.file), 'utf8')
      assert.equal(text.split(mutant.find).length - 1, 1, `mutant "${mutant.name}": the source of ${mutant.file} changed`)
    }
  })

  for (const mutant of mutants) {
    test(`when ${mutant.name}`, async () => {
      const ws = workspace({ timeScale: mutant.clock, env: mutant.env })
      mutate(ws.dir, mutant)
      ws.restore(checkpoints[mutant.from])
      const since = Date.now()
      const { failedAt, output } = await ws.chain(mutant.run)
      try {
        mutant.shows(ws, failedAt, output, since)
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- output ---\n${tail({ code: 0, stdout: '', stderr: '', output, ms: 0 }, 30)}`)
      }
    })
  }
})
