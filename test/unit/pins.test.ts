// One place for versions: the real-cluster workflow runs the combinations lib/defaults.ts
// names (through `make pins`), keeps no version of its own, and checks every download.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { istioSupport, tools } from '../../lib/defaults.ts'
import { matrix, pins } from '../../lib/pins.ts'
import { nodeKubernetesVersion } from '../../lib/versions.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const workflowText = readFileSync(join(root, '.github', 'workflows', 'e2e.yaml'), 'utf8')
const workflow = parse(workflowText)
const steps: Array<{ name?: string; run?: string; uses?: string; if?: string }> = workflow.jobs.demo.steps
const scripts = steps.map((s) => s.run ?? '').join('\n')

test('the default combination: kubectl of the nodes\' minor version, the rest from lib/defaults.ts', () => {
  assert.equal(nodeKubernetesVersion('kindest/node:v1.33.1@sha256:0500'), 'v1.33.1')
  assert.equal(nodeKubernetesVersion('kindest/node:v1.31.9'), 'v1.31.9')
  assert.throws(() => nodeKubernetesVersion('kindest/node:latest'), /no vX\.Y\.Z tag/)
  assert.deepEqual(pins(), {
    KIND_VERSION: `v${tools.kind.release}`,
    KUBECTL_VERSION: `v${tools.kubectl.release}`,
    HELM_VERSION: `v${tools.helm.release}`,
    ISTIO_VERSION: tools.istioctl.release,
  })
  const nodes = nodeKubernetesVersion().split('.').slice(0, 2).join('.')
  assert.equal(`v${tools.kubectl.release}`.split('.').slice(0, 2).join('.'), nodes)
  // kubectl's lower bound is one minor version under the nodes' (the skew policy).
  const [major, minor] = nodes.slice(1).split('.').map(Number)
  assert.deepEqual(tools.kubectl.oldest, [`${major}.${minor! - 1}.0`])
})

test('the matrix: one combination per supported Istio minor, each on nodes that minor supports', () => {
  const combinations = matrix()
  assert.deepEqual(combinations.map((c) => c.istio).sort(), istioSupport.map((i) => i.release).sort())
  assert.deepEqual(combinations.filter((c) => c.name === 'default'), [{ name: 'default', tools: 'pinned', istio: tools.istioctl.release }])
  const nodes = nodeKubernetesVersion().slice(1).split('.').map(Number)
  const minorOf = (v: string) => Number(v.split('.')[1])
  for (const istio of istioSupport) {
    assert.ok(nodes[1]! >= minorOf(istio.kubernetes.oldest) && nodes[1]! <= minorOf(istio.kubernetes.newest),
      `Istio ${istio.minor} supports Kubernetes ${istio.kubernetes.oldest} to ${istio.kubernetes.newest}, not the nodes' ${nodes.join('.')}`)
  }
  for (const c of combinations.filter((c) => c.name !== 'default')) {
    assert.equal(c.tools, 'path')
    assert.equal(pins(c.name).ISTIO_VERSION, c.istio)
    assert.equal(pins(c.name).KIND_VERSION, pins().KIND_VERSION)
  }
  assert.throws(() => pins('nonesuch'), /no combination "nonesuch"/)
})

test('make pins prints them as NAME=value lines for $GITHUB_ENV, and the matrix as JSON', () => {
  const make = (...args: string[]) => spawnSync('make', ['--no-print-directory', '-s', 'pins', ...args], { cwd: root, encoding: 'utf8' })
  const run = make()
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, Object.entries(pins()).map(([k, v]) => `${k}=${v}\n`).join(''))
  const listed = make('ARGS=--matrix')
  assert.equal(listed.status, 0, listed.stderr)
  assert.deepEqual(JSON.parse(listed.stdout), matrix())
  const other = matrix().find((c) => c.name !== 'default')!
  const one = make(`ARGS=--entry=${other.name}`)
  assert.equal(one.stdout, Object.entries(pins(other.name)).map(([k, v]) => `${k}=${v}\n`).join(''))
})

test('the workflow takes every version from make pins and keeps none of its own', () => {
  assert.ok(steps.some((s) => /make -s pins ARGS=--entry=\$\{\{ matrix\.name \}\} .*GITHUB_ENV/.test(s.run ?? '')), 'a step appends its combination\'s pins to $GITHUB_ENV')
  const listing = workflow.jobs.combinations.steps.map((s: { run?: string }) => s.run ?? '').join('\n')
  assert.match(listing, /make -s pins ARGS=--matrix.*GITHUB_OUTPUT/)
  assert.equal(workflow.jobs.demo.strategy.matrix.include, '${{ fromJSON(needs.combinations.outputs.matrix) }}')
  assert.equal(workflow.jobs.demo.env.TOOLS, '${{ matrix.tools }}')
  // The default combination fetches its own tools; the others are installed first.
  for (const name of ['Install kind, kubectl, helm and istioctl, each checked against its published checksum', 'The tools on PATH are the ones installed']) {
    assert.equal(steps.find((s) => s.name === name)?.if, "matrix.tools == 'path'", name)
  }
  for (const run of ['make doctor', 'make demo']) assert.ok(steps.some((s) => s.run === run && !('if' in s)), run)
  const used = new Set([...scripts.matchAll(/\$\{([A-Z_]+_VERSION)\}/g)].map((m) => m[1]))
  assert.deepEqual([...used].sort(), Object.keys(pins()).sort())
  const literal = /\bv?\d+\.\d+\.\d+\b/.exec(workflowText)
  assert.equal(literal, null, `a version written into the workflow: ${literal?.[0]}`)
  assert.equal(JSON.stringify(workflow.env ?? {}).match(/VERSION/), null, 'no version variables of its own')
})

test('every download in the workflow is checked against its published checksum before it is installed', () => {
  const install = steps.find((s) => /curl/.test(s.run ?? ''))!.run!
  // One fetch() holds the only two curl calls: the file, then its checksum, then sha256sum --check.
  assert.equal([...scripts.matchAll(/\bcurl\b/g)].length, 2, 'curl is used only inside fetch()')
  assert.match(install, /fetch\(\) \{[\s\S]*curl[^\n]*"\$1"[\s\S]*curl[^\n]*"\$2"[\s\S]*sha256sum --check --strict -[\s\S]*?\n\s*\}/)
  assert.match(install, /set -euo pipefail/, 'a failed check stops the step')
  const fetched = [...install.matchAll(/^\s*fetch "([^"]+)" \\\n\s*"([^"]+)"/gm)].map((m) => [m[1]!, m[2]!])
  assert.deepEqual(fetched.map(([file]) => file.split('/').pop()), ['kind-linux-amd64', 'kubectl', 'helm-${HELM_VERSION}-linux-amd64.tar.gz', 'istioctl-${ISTIO_VERSION}-linux-amd64.tar.gz'])
  for (const [file, sum] of fetched) assert.match(sum, new RegExp(`^${file.replace(/[.$*{}]/g, '\\$&')}\\.sha256(sum)?$`), `${file}'s checksum comes from beside it`)
  // Each installed binary is one that was fetched and checked.
  for (const tool of ['kind', 'kubectl', 'helm', 'istioctl']) assert.match(install, new RegExp(`install -m 0755 \\S+ "\\$HOME/bin/${tool}"`))
})
