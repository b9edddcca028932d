// The pages show what the scripts print, and the lab proves it: one run of the whole chain
// on the lab (fast clock; the shared one, chain.ts), then each page's "What success looks
// like" sample is compared with the output of its step (samples.ts says how), the inspection
// targets' output is compared with their samples, and each failure sample is provoked on
// the lab, from a point of the same run, and compared with what the step printed then.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { versions } from '../../lib/defaults.ts'
import { generateBundle } from '../lab/src/spire.ts'
import { sharedChain, type Chain, type ChainPoint } from './chain.ts'
import { docPages, failureDifferences, isFailure, successDifferences, successOf, textBlocks, type Block, type Masks } from './samples.ts'
import { repoRoot, steps, tail, Workspace } from './lab.ts'

const ws = new Workspace()
let chain: Chain
let masks: Masks = {}
const pages = docPages(join(repoRoot, 'docs'))
const blocks: Block[] = pages.flatMap(({ file, page }) => textBlocks(file, page))

before(async () => {
  // The chain, as make demo runs it, with a checkpoint after each step for the failures
  // below; the doctor after 01, once the kind network exists (its table then has the
  // address pools row), and a checkpoint of the empty lab first; then make inspect-identity,
  // make inspect-trust and 99-cleanup --yes.
  chain = await sharedChain()
  masks = { replace: shownAs(chain.builder) }
})
after(() => ws.remove())

// What the pages show where the lab has its own: the pinned MetalLB manifest for the lab's
// stand-in, a home of /home/me, and the doctor's tools in /usr/local/bin. Of the workspace
// that ran the step: the shared chain's builder, or a scenario's own.
function shownAs(w: { root: string; home: string; metallbManifestUrl: string }): Array<[string, string]> {
  return [[w.metallbManifestUrl, versions.metallb.manifest], [w.home, '/home/me'],
    [`runs ${w.root}/bin-without-kubectl/`, 'runs /usr/local/bin/'], ['runs test/lab/bin/', 'runs /usr/local/bin/']]
}
const shownFor = (w: Workspace) => shownAs({ root: w.root, home: w.home, metallbManifestUrl: w.env.METALLB_MANIFEST_URL! })

test('the sample readers: a sample that lacks a command, shows one twice, or reports what was not printed differs', () => {
  const output = ['', '07-x: title', '[west] $ kubectl rollout status deployment/istiod', '[west] ✔ deployment/istiod is rolled out (0.1s)', '[west] $ kubectl apply -f x.yaml'].join('\n')
  assert.deepEqual(successDifferences(['07-x: title', '[west] $ kubectl rollout status deployment/istiod', '[west] ✔ deployment/istiod is rolled out (2.3s)', '[west] $ kubectl apply -f x.yaml'], output), [])
  assert.equal(successDifferences(['07-x: title', '[west] $ kubectl apply -f x.yaml', '[west] ✔ deployment/istiod is rolled out (2.3s)'], output).length, 1, 'a missing command')
  assert.equal(successDifferences(['07-x: title', '[west] $ kubectl rollout status deployment/istiod', '[west] $ kubectl apply -f x.yaml'], output).length, 1, 'a missing report')
  assert.equal(successDifferences(['07-x: other', '[west] $ kubectl rollout status deployment/istiod', '[west] ✔ deployment/istiod is rolled out (2.3s)', '[west] $ kubectl apply -f x.yaml'], output).length, 1, 'another heading')
  const failure = 'x\n✖ [east] gave up waiting for the pool 172.18.254.200 after 0.2s (last seen: refused)\n  → check MetalLB; full output: /tmp/ws/repo/out/logs/01-clusters.log\n'
  assert.deepEqual(failureDifferences(['✖ [east] gave up waiting for the pool 172.18.254.200 after 180s (last seen: ...)', '  → check MetalLB; full output: .../out/logs/01-clusters.log'], failure), [])
  assert.equal(failureDifferences(['✖ [east] gave up waiting for the address after 180s', '  → check MetalLB; ...'], failure).length, 1)
})

describe('each page\'s "What success looks like" is what its step prints', { concurrency: false }, () => {
  test('every step and inspection has a success sample, and every success sample a step', () => {
    const shown = blocks.map(successOf).filter((s): s is string => s !== undefined)
    assert.deepEqual([...new Set(shown)].sort(), [...steps, '99-cleanup', 'inspect-identity', 'inspect-trust'].sort())
  })

  for (const step of [...steps, '99-cleanup', 'inspect-identity', 'inspect-trust']) {
    test(`${step}: the sample shows the commands it runs, in order, and what it reports`, () => {
      const samples = blocks.filter((b) => successOf(b) === step)
      assert.ok(samples.length > 0, `no success sample for ${step}`)
      for (const sample of samples) {
        const output = chain.runs[step]!.output
        const problems = successDifferences(sample.lines, output, masks)
        assert.deepEqual(problems, [], `${sample.page}:${sample.line} differs from what ${step} printed on the lab:\n  ${problems.join('\n  ')}\n--- output:\n${output}`)
      }
    })
  }
})

describe('the lab answers the inspections\' commands as the real tools do', { concurrency: false }, () => {
  const east = ['--context=kind-cluster-east']
  const spireServer = (...args: string[]) => [...east, 'exec', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', ...args]

  before(() => ws.restore(chain.checkpoint('15-send-requests')))

  test('spire-server entry show: one entry per selected pod, as SPIRE 1.11 prints it, federating as the ClusterSPIFFEID says', async () => {
    const run = await ws.run('kubectl', spireServer('entry', 'show', '-spiffeID', 'spiffe://east.local/ns/default/sa/curl'))
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^Found 1 entry\nEntry ID {9}: [0-9a-f-]{36}\nSPIFFE ID {8}: spiffe:\/\/east\.local\/ns\/default\/sa\/curl\nParent ID {8}: spiffe:\/\/east\.local\/spire\/agent\/k8s_psat\/east\/[0-9a-f-]{36}\nRevision {9}: 0\nX509-SVID TTL {4}: default\nJWT-SVID TTL {5}: default\nSelector {9}: k8s:pod-uid:[0-9a-f-]{36}\nFederatesWith {4}: west\.local\nHint {13}: sidecars\n\n$/)
    const all = await ws.run('kubectl', spireServer('entry', 'show'))
    assert.match(all.stdout, /^Found 2 entries\n/, 'curl and helloworld-v1 in east; nothing of kube-system, spire or istio-system')
    const refused = await ws.run('kubectl', spireServer('entry', 'show', '-entryID', 'x', '-spiffeID', 'spiffe://east.local/x'))
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /the -entryID flag can't be combined with others/)
  })

  test('proxy-config secret: a real SVID that SPIRE\'s CA signed, ROOTCA the PEM of each trust domain\'s bundle, the table read from them', async () => {
    const json = await ws.run('istioctl', [...east, 'proxy-config', 'secret', 'deploy/curl', '-o', 'json'])
    assert.equal(json.code, 0, json.stderr)
    assert.match(json.stdout, /^\{\n {4}"dynamicActiveSecrets": \[/, 'protojson, four spaces')
    const dump = JSON.parse(json.stdout)
    const [certificate, roots] = dump.dynamicActiveSecrets
    assert.deepEqual(certificate.secret.tlsCertificate.privateKey, { inlineBytes: Buffer.from('[redacted]').toString('base64') })
    const svid = new X509Certificate(Buffer.from(certificate.secret.tlsCertificate.certificateChain.inlineBytes, 'base64'))
    assert.equal(svid.subjectAltName, 'URI:spiffe://east.local/ns/default/sa/curl')
    assert.equal(svid.subject, 'C=US\nO=SPIRE')
    const validator = roots.secret.validationContext.customValidatorConfig
    assert.equal(validator.name, 'envoy.tls.cert_validator.spiffe')
    assert.deepEqual(validator.typedConfig.trustDomains.map((d: { name: string }) => d.name), ['east.local', 'west.local'], 'sorted by name')
    const pemOf = (domain: string) => Buffer.from(validator.typedConfig.trustDomains.find((d: { name: string }) => d.name === domain).trustBundle.inlineBytes, 'base64').toString()
    for (const [domain, context] of [['east.local', 'kind-cluster-east'], ['west.local', 'kind-cluster-west']]) {
      const shown = await ws.run('kubectl', [`--context=${context}`, 'exec', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', 'bundle', 'show', '-format', 'pem'])
      assert.equal(pemOf(domain!), shown.stdout, `the ${domain} root is ${domain}'s bundle as bundle show -format pem prints it`)
    }
    const eastRoot = new X509Certificate(pemOf('east.local'))
    assert.ok(svid.checkIssued(eastRoot) && svid.verify(eastRoot.publicKey), 'east\'s SPIRE CA signed curl\'s SVID')
    const validFor = new Date(svid.validTo).getTime() - new Date(svid.validFrom).getTime()
    assert.equal(validFor, 4 * 3600_000 + 10_000, 'the chart\'s defaultX509SvidTTL, 4h, from 10 s before issue')
    const table = await ws.run('istioctl', [...east, 'proxy-config', 'secret', 'deploy/curl'])
    const serial = BigInt(`0x${svid.serialNumber}`).toString(16).padStart(32, '0')
    assert.match(table.stdout, new RegExp(`^default +Cert Chain +ACTIVE +true +${serial} +${new Date(svid.validTo).toISOString().replace(/\.\d+Z$/, 'Z')} `, 'm'))
  })
})

// ---------- failures ----------

// How each failure sample happens: from the checkpoint after a step, something broken or
// missing, then the step that fails, with a short deadline where it waits. Keyed by a part
// of the sample's ✖ line.
interface Scenario {
  page?: string
  pages?: string[]                          // when the same failure is shown on more than one page
  line: string                              // a part of the sample's ✖ line
  from: ChainPoint                          // the checkpoint to start from
  before?: (w: Workspace) => Promise<void>  // break something
  after?: (w: Workspace) => void            // put back what a checkpoint does not hold
  step: string
  env?: (w: Workspace) => Record<string, string>
}

async function run(w: Workspace, tool: string, args: string[], input?: string): Promise<void> {
  const result = await w.run(tool, args, { input })
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`)
}
const east = '--context=kind-cluster-east'
const west = '--context=kind-cluster-west'
// Another bundle for a trust domain, set in the other side's SPIRE server: an old one, as
// after the other cluster was recreated.
const oldBundle = (domain: string) => JSON.stringify(generateBundle(domain, { country: 'US', organization: 'istio.io', commonName: domain }))
const setBundle = (w: Workspace, context: string, domain: string) => run(w, 'kubectl', [context, 'exec', '-i', '-c', 'spire-server', '-n', 'spire', 'spire-server-0', '--', 'spire-server', 'bundle', 'set', '-format', 'spiffe', '-id', `spiffe://${domain}`], oldBundle(domain))
const lock = (w: Workspace) => `${w.kubeconfig}.lock`

const scenarios: Scenario[] = [
  // An istioctl of 1.26, older than the workbook supports, on a PATH that has it first.
  // TOOLS=path: the tools on PATH whatever they are, here no kubectl and an istioctl too old.
  { page: 'docs/00-preflight.md', line: '2 problems to fix first: kubectl, istioctl', from: '01-clusters', step: '00-preflight', env: (w) => ({ TOOLS: 'path', PATH: `${oldIstioctl(w)}${delimiter}${w.pathWithout('kubectl')}` }) },
  {
    page: 'docs/01-clusters.md', line: 'gave up waiting for MetalLB to accept the pool', from: '01-clusters', step: '01-clusters', env: () => ({ WAIT_METALLB_SECONDS: '0.3' }),
    // MetalLB's webhook refusing the pool, in the lab's words for a webhook that does not answer (src/admission.ts).
    before: async (w) => w.setFaults({ fail: [{ tool: 'kubectl', args: 'east-metallb-pool.yaml', exitCode: 1, stderr: 'Error from server (InternalError): error when creating "out/rendered/01-clusters/east-metallb-pool.yaml": Internal error occurred: failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate-metallb-io-v1beta1-ipaddresspool?timeout=10s": dial tcp 10.96.42.17:443: connect: connection refused' }] }),
  },
  {
    page: 'docs/02-environment.md', line: 'there is no kubeconfig context "kind-cluster-east"', from: '01-clusters', step: '02-environment',
    before: async (w) => {
      await run(w, 'kubectl', ['config', 'delete-context', 'kind-cluster-east'])
      await run(w, 'kubectl', ['config', 'set-context', 'minikube', '--cluster=minikube', '--user=minikube'])
    },
  },
  {
    page: 'docs/03-spire-helm-repo.md', line: 'helm failed (exit 1): helm repo add spiffe-hardened', from: '02-environment', step: '03-spire-helm-repo',
    // A spiffe-hardened repository the user added long ago, at another URL (Helm's repositories file).
    before: async (w) => {
      mkdirSync(join(w.state, 'helm'), { recursive: true })
      writeFileSync(join(w.state, 'helm', 'repositories.json'), JSON.stringify({ repositories: [{ name: 'spiffe-hardened', url: 'https://charts.example.com/spiffe' }] }))
    },
  },
  // Helm's --wait runs out, with the lab's words for it (src/helm.ts).
  {
    page: 'docs/04-spire-install.md', line: 'helm failed (exit 1): helm --kube-context=kind-cluster-east upgrade --install spire ', from: '03-spire-helm-repo', step: '04-spire-install',
    before: async (w) => w.setFaults({ fail: [{ tool: 'helm', args: 'upgrade --install spire spiffe-hardened/spire ', exitCode: 1, stderr: 'Error: INSTALLATION FAILED: context deadline exceeded' }] }),
  },
  { pages: ['docs/05-federate-bundles.md', 'docs/troubleshooting.md'], line: 'gave up waiting for the bundle endpoint address', from: '04-spire-install', step: '05-federate-bundles', env: () => ({ WAIT_LB_ADDRESS_SECONDS: '0.3' }), before: async (w) => w.setFaults({ lbNeverAssigned: true }) },
  {
    page: 'docs/05-federate-bundles.md', line: 'gave up waiting for west\'s bundle endpoint', from: '04-spire-install', step: '05-federate-bundles', env: () => ({ WAIT_FEDERATION_SECONDS: '0.3' }),
    before: (w) => run(w, 'kubectl', [west, 'delete', 'l2advertisements', '--all', '-n', 'metallb-system']),
  },
  {
    page: 'docs/09-verify-control-planes.md', line: 'synced in east\'s istiod', from: '08-remote-secret', step: '09-verify-control-planes', env: () => ({ WAIT_REMOTE_SYNC_SECONDS: '0.3' }),
    before: (w) => run(w, 'kubectl', [east, 'delete', 'secret', 'istio-remote-secret-west', '-n', 'istio-system']),
  },
  { page: 'docs/09-verify-control-planes.md', line: 'missing the ROOTCA bundle of east.local', from: '08-remote-secret', step: '09-verify-control-planes', env: () => ({ WAIT_GATEWAY_SECRETS_SECONDS: '0.3' }), before: (w) => setBundle(w, west, 'east.local') },
  {
    page: 'docs/09-verify-control-planes.md', line: 'the gateway\'s certificate comes from istiod', from: '08-remote-secret', step: '09-verify-control-planes',
    before: async (w) => {
      await run(w, 'kubectl', [west, 'patch', 'deploy', 'istio-eastwestgateway', '-n', 'istio-system', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'gateway' } } } } })])
      await run(w, 'kubectl', [west, 'rollout', 'status', 'deployment/istio-eastwestgateway', '-n', 'istio-system'])
    },
  },
  // kubectl rollout status runs out, with the lab's words for it (src/kubectl.ts).
  {
    page: 'docs/11-helloworld-v1.md', line: 'rollout status deployment/helloworld-v1', from: '10-helloworld-service', step: '11-helloworld-v1',
    before: async (w) => w.setFaults({ fail: [{ tool: 'kubectl', args: 'rollout status deployment/helloworld-v1', exitCode: 1, stderr: 'error: timed out waiting for the condition' }] }),
  },
  { page: 'docs/15-send-requests.md', line: 'v2 never answered', from: '14-destination-rule', step: '15-send-requests', env: () => ({ WAIT_RESPONSES_SECONDS: '0.3' }), before: (w) => setBundle(w, east, 'west.local') },
  {
    page: 'docs/troubleshooting.md', line: 'kind cannot write your kubeconfig', from: 'empty', step: '01-clusters',
    before: async (w) => writeFileSync(lock(w), ''), after: (w) => rmSync(lock(w), { force: true }),
  },
]

function oldIstioctl(w: Workspace): string {
  const bin = join(w.root, 'istioctl-1.28')
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(bin, 'istioctl'), '#!/bin/sh\necho "client version: 1.28.2"\n')
  chmodSync(join(bin, 'istioctl'), 0o755)
  return bin
}

// Two scenarios at a time, each in a workspace of its own, started from the checkpoints of
// the run above.
const pool: Workspace[] = []
const idle: Workspace[] = []
async function withWorkspace<T>(work: (w: Workspace) => Promise<T>): Promise<T> {
  const w = idle.pop() ?? (() => {
    const fresh = new Workspace()
    pool.push(fresh)
    return fresh
  })()
  try {
    return await work(w)
  } finally {
    idle.push(w)
  }
}
after(() => pool.forEach((w) => w.remove()))

describe('each failure sample is what the step prints when that happens', { concurrency: 2 }, () => {
  const pagesOf = (scenario: Scenario) => scenario.pages ?? [scenario.page!]
  const samplesOf = (scenario: Scenario) => blocks.filter((b) => pagesOf(scenario).includes(b.page) && isFailure(b) && b.lines.some((l) => l.startsWith('✖') && l.includes(scenario.line)))

  test('every failure sample has its scenario', () => {
    const orphans = blocks.filter(isFailure).filter((b) => !scenarios.some((s) => samplesOf(s).includes(b)))
    assert.deepEqual(orphans.map((b) => `${b.page}:${b.line}: ${b.lines.find((l) => l.startsWith('✖'))}`), [])
  })

  test('the inspections, run before the steps they read, name the step to run', () => withWorkspace(async (w) => {
    w.restore(chain.checkpoint('10-helloworld-service'))
    const identity = await w.make('inspect-identity')
    assert.notEqual(identity.code, 0)
    assert.match(identity.stderr, /✖ \[east\] there is no helloworld-v1 pod in east\n {2}→ run make 11/, tail(identity))
    w.restore(chain.checkpoint('11-helloworld-v1'))
    const trust = await w.make('inspect-trust')
    assert.notEqual(trust.code, 0)
    assert.match(trust.stderr, /✖ \[east\] istioctl failed \(exit 1\): istioctl --context=kind-cluster-east proxy-config secret deploy\/curl -o json\n[\s\S]*→ run make 13/, tail(trust))
  }))

  for (const scenario of scenarios) {
    test(`${pagesOf(scenario).join(', ')}: ${scenario.line}`, () => withWorkspace(async (w) => {
      const samples = samplesOf(scenario)
      assert.equal(samples.length, pagesOf(scenario).length, `one failure sample on each of ${pagesOf(scenario).join(', ')} whose ✖ line has "${scenario.line}"`)
      w.restore(chain.checkpoint(scenario.from))
      try {
        await scenario.before?.(w)
        const run = await w.script(scenario.step, [], { env: scenario.env?.(w) })
        assert.notEqual(run.code, 0, `${scenario.step} did not fail:\n${tail(run)}`)
        for (const sample of samples) {
          const problems = failureDifferences(sample.lines, run.output, { replace: shownFor(w) })
          assert.deepEqual(problems, [], `${sample.page}:${sample.line} is not what ${scenario.step} printed:\n  ${problems.join('\n  ')}\n--- output:\n${tail(run, 40)}`)
        }
      } finally {
        w.clearFaults()
        scenario.after?.(w)
      }
    }))
  }
})
