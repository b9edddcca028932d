// Every experiment on the lab, from one finished demo: `make experiment NAME=...` shows the
// symptom as its page shows it (each excerpt a page marks <!-- checked: ... --> is matched
// against the real output, so a page cannot drift from what the experiment prints), then
// REPAIR=1 brings step 15 back and leaves the clusters holding what a plain demo leaves.
// Waits the experiment expects to give up get a second or two.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sharedChain } from './chain.ts'
import { listExperiments } from './experiment-titles.ts'
import { repoRoot, snapshot, tail, workspacesRemovedAfterwards, type Run, type Workspace } from './lab.ts'

const experiments = readdirSync(join(repoRoot, 'scripts', 'experiments')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
const giveUpSoon = { WAIT_RESPONSES_SECONDS: '1', WAIT_GATEWAY_SECRETS_SECONDS: '1', WAIT_REMOTE_SYNC_SECONDS: '1', WAIT_FEDERATION_SECONDS: '1' }

const workspace = workspacesRemovedAfterwards()
const base = workspace()
const checkpoints: Record<string, string> = {}
const plain: Record<string, ReturnType<typeof comparable>> = {}

// What a plain demo leaves, to compare with: objects by content (one deleted and made again
// has a new uid and creation time), pods by workload and template (their names end in a
// random suffix).
function comparable(ws: Workspace) {
  const { things, pods } = snapshot(ws)
  for (const value of Object.values(things)) {
    const meta = (value as { metadata?: Record<string, unknown> } | undefined)?.metadata
    if (meta) for (const field of ['uid', 'creationTimestamp']) delete meta[field]
  }
  const byTemplate = Object.fromEntries(Object.entries(pods).map(([owner, names]) => [owner, names.map((n) => n.replace(/-[a-z0-9]{5}$/, '')).sort()]))
  return { things, pods: byTemplate }
}

before(async () => {
  // A finished demo: the shared chain's (chain.ts) lab after step 15, with its out/.
  checkpoints['1.30'] = (await sharedChain()).checkpoint('15-send-requests')
  base.restore(checkpoints['1.30'])
  plain['1.30'] = comparable(base)
  // The same demo with Istio 1.28's control planes: step 06 again, with the lab playing 1.28
  // (TOOLS=path: an istioctl older than the supported range is otherwise replaced).
  const older = await base.script('06-istio-control-planes', [], { env: { LAB_ISTIO_VERSION: '1.28.0', TOOLS: 'path' } })
  if (older.code !== 0) throw new Error(`06 at 1.28 failed:\n${tail(older)}`)
  checkpoints['1.28'] = base.checkpoint('done-1.28')
  plain['1.28'] = comparable(base)
})

// The blocks a page marks as the output of `make experiment`: <!-- checked: apply -->,
// <!-- checked: repair -->, <!-- checked: apply on Istio 1.28 -->, each before a ```text block.
function excerpts(name: string): Map<string, string[]> {
  const page = readFileSync(join(repoRoot, 'docs', 'experiments', `${name}.md`), 'utf8')
  const found = new Map<string, string[]>()
  for (const match of page.matchAll(/<!-- checked: ([^>]+?) -->\n+```text\n([\s\S]*?)\n```/g)) found.set(match[1]!, match[2]!.split('\n'))
  return found
}

// What differs from run to run: times, serial numbers, durations, counts, deadlines, pod names.
function normal(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\b[0-9a-f]{16,}\b/g, '<hex>')
    .replace(/\(\d+(\.\d+)?s\)/g, '(<s>)')
    .replace(/after \d+ ?m?s\b/g, 'after <n>')
    .replace(/\b(v1|v2|failed): \d+/g, '$1: <n>')
    .replace(/in \d+ rounds?/g, 'in <n> rounds')
    .replace(/(WAIT_[A-Z_]+_SECONDS)=\d+/g, '$1=<n>')
    .replace(/\b([a-z0-9-]+)-[0-9a-f]{8,10}-[a-z0-9]{5}\b/g, '$1-<pod>')
    .replace(/\bbundle-probe-[0-9a-f]{6}\b/g, 'bundle-probe-<id>')
    .replace(/\s+/g, ' ')
    .trim()
}

// Every line of the excerpt (but "..." lines) is a line of the output.
function missingLines(excerpt: string[], run: Run): string[] {
  const output = new Set(run.output.split('\n').map(normal))
  return excerpt.map((line) => line.trimEnd()).filter((line) => line.trim() !== '' && line.trim() !== '...' && !output.has(normal(line)))
}

describe('experiments on a finished demo', { concurrency: 2 }, () => {
  test('make experiments lists each one with its title, and each has its page, linked from docs/README.md', async () => {
    assert.ok(experiments.length >= 7, experiments.join(', '))
    const list = await base.make('experiments')
    assert.equal(list.code, 0, list.output)
    const index = readFileSync(join(repoRoot, 'docs', 'README.md'), 'utf8')
    for (const { name, title } of listExperiments()) {
      assert.ok(title, `${name}: no experiment() title`)
      assert.match(list.stdout, new RegExp(`^ {2}${name} +${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
      assert.ok(existsSync(join(repoRoot, 'docs', 'experiments', `${name}.md`)), `${name}: no page`)
      assert.ok(index.includes(`](experiments/${name}.md)`), `docs/README.md does not link ${name}`)
    }
    const unknown = await base.make('experiment', { args: ['NAME=no-such-thing'] })
    assert.notEqual(unknown.code, 0)
    assert.match(unknown.stderr, /there is no experiment "no-such-thing"; make experiments lists them/)
    // A dry run cannot show a symptom: refused before anything is changed or run.
    const calls = base.invocations().length
    const dry = await base.make('experiment', { args: ['NAME=no-remote-secret'], env: { DRY_RUN: '1' } })
    assert.notEqual(dry.code, 0)
    assert.match(dry.stderr, /an experiment changes a running demo: a dry run cannot show what it breaks/)
    assert.equal(base.invocations().length, calls, 'a tool ran')
  })

  const runs: Array<{ name: string; istio: '1.30' | '1.28' }> = [...experiments.map((name) => ({ name, istio: '1.30' as const })), { name: 'no-destination-rule', istio: '1.28' }]
  for (const { name, istio } of runs) {
    test(`${name}${istio === '1.28' ? ' on Istio 1.28' : ''}: the symptom its page shows, then REPAIR=1 gives back a working demo and what a plain one leaves`, async () => {
      const env: Record<string, string> = istio === '1.28' ? { LAB_ISTIO_VERSION: '1.28.0', TOOLS: 'path' } : {}
      const ws = workspace({ env })
      // With what the demo rendered, as a finished demo leaves it (the experiment diffs against it).
      ws.restore(checkpoints[istio]!)
      const pages = excerpts(name)
      const applyKey = istio === '1.28' ? 'apply on Istio 1.28' : 'apply'
      assert.ok(pages.get(applyKey) && pages.get('repair'), `docs/experiments/${name}.md marks no "${applyKey}" or "repair" excerpt`)

      const applied = await ws.make('experiment', { args: [`NAME=${name}`], env: giveUpSoon })
      assert.equal(applied.code, 0, tail(applied, 40))
      assert.deepEqual(missingLines(pages.get(applyKey)!, applied), [], `the page's excerpt is not what make experiment NAME=${name} prints:\n${tail(applied, 60)}`)

      const repaired = await ws.make('experiment', { args: [`NAME=${name}`, 'REPAIR=1'] })
      assert.equal(repaired.code, 0, tail(repaired, 40))
      assert.match(repaired.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
      assert.deepEqual(missingLines(pages.get('repair')!, repaired), [], `the page's repair excerpt is not what REPAIR=1 prints:\n${tail(repaired, 40)}`)

      const now = comparable(ws)
      const was = plain[istio]!
      assert.deepEqual(Object.keys(now.things).sort(), Object.keys(was.things).sort(), 'other objects, releases or clusters than a plain demo has')
      for (const key of Object.keys(was.things)) assert.deepEqual(now.things[key], was.things[key], `${key} is not as a plain demo leaves it`)
      assert.deepEqual(now.pods, was.pods)
    })
  }
})
