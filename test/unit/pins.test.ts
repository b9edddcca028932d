// One place for versions: the real-cluster workflow installs what lib/defaults.ts pins
// (through `make pins`), keeps no version of its own, and checks every download.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { versions, workflowTools } from '../../lib/defaults.ts'
import { nodeKubernetesVersion, pins } from '../../lib/pins.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const workflowText = readFileSync(join(root, '.github', 'workflows', 'e2e.yaml'), 'utf8')
const workflow = parse(workflowText)
const steps: Array<{ name?: string; run?: string; uses?: string }> = workflow.jobs.demo.steps
const scripts = steps.map((s) => s.run ?? '').join('\n')

test('kubectl is pinned to the node image\'s Kubernetes release, the tools to lib/defaults.ts', () => {
  assert.equal(nodeKubernetesVersion('kindest/node:v1.33.1@sha256:0500'), 'v1.33.1')
  assert.equal(nodeKubernetesVersion('kindest/node:v1.31.9'), 'v1.31.9')
  assert.throws(() => nodeKubernetesVersion('kindest/node:latest'), /no vX\.Y\.Z tag/)
  assert.deepEqual(pins(), {
    KIND_VERSION: workflowTools.kind,
    KUBECTL_VERSION: versions.kindNodeImage.split(':')[1]!.split('@')[0],
    HELM_VERSION: workflowTools.helm,
    ISTIO_VERSION: workflowTools.istioctl,
  })
})

test('make pins prints them as NAME=value lines for $GITHUB_ENV', () => {
  const run = spawnSync('make', ['--no-print-directory', '-s', 'pins'], { cwd: root, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, Object.entries(pins()).map(([k, v]) => `${k}=${v}\n`).join(''))
})

test('the workflow takes every version from make pins and keeps none of its own', () => {
  assert.ok(steps.some((s) => /make -s pins .*GITHUB_ENV/.test(s.run ?? '')), 'a step appends make pins to $GITHUB_ENV')
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
