import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unifiedDiff } from '../../lib/diff.ts'
import { scratchDir } from '../scratch.ts'

const values = 'spire-agent:\n  sds:\n    enabled: true\n    defaultSVIDName: default\n    defaultBundleName: "null"\n    defaultAllBundlesName: ROOTCA\n\nspiffe-oidc-discovery-provider:\n  enabled: false\n'

test('one changed line: a hunk with three lines of context either side, as diff -u prints it', () => {
  const after = values.replace('defaultBundleName: "null"', 'defaultBundleName: ROOTCA')
  assert.equal(unifiedDiff(values, after, 'before/a.yaml', 'after/a.yaml'), [
    '--- before/a.yaml',
    '+++ after/a.yaml',
    '@@ -2,7 +2,7 @@',
    '   sds:',
    '     enabled: true',
    '     defaultSVIDName: default',
    '-    defaultBundleName: "null"',
    '+    defaultBundleName: ROOTCA',
    '     defaultAllBundlesName: ROOTCA',
    ' ',
    ' spiffe-oidc-discovery-provider:',
    '',
  ].join('\n'))
})

test('the same texts give no diff; a file that went away is all removed lines', () => {
  assert.equal(unifiedDiff(values, values, 'a', 'b'), '')
  const gone = unifiedDiff('a: 1\nb: 2\n', '', 'rule.yaml', '(deleted)')
  assert.equal(gone, '--- rule.yaml\n+++ (deleted)\n@@ -1,2 +0,0 @@\n-a: 1\n-b: 2\n')
})

// Rebuild the second text from the first and the hunks: what `patch` would do.
function applyDiff(before: string, diff: string): string {
  const source = before === '' ? [] : before.replace(/\n$/, '').split('\n')
  const result: string[] = []
  let at = 0
  for (const hunk of diff.split(/^(?=@@ )/m).slice(1)) {
    const [header, ...body] = hunk.replace(/\n$/, '').split('\n')
    const start = Number(/^@@ -(\d+)/.exec(header!)![1])
    const from = (/^@@ -\d+,0 /.test(header!) ? start : start - 1)
    while (at < from) result.push(source[at++]!)
    for (const line of body) {
      if (line.startsWith('+')) result.push(line.slice(1))
      else {
        assert.equal(source[at], line.slice(1), `hunk ${header} does not fit the text at line ${at + 1}`)
        if (line.startsWith(' ')) result.push(source[at]!)
        at++
      }
    }
  }
  while (at < source.length) result.push(source[at++]!)
  return result.length ? result.join('\n') + '\n' : ''
}

test('for many random edits, the hunks turn the first text into the second, and diff -u agrees on what changed', () => {
  let seed = 7
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
  const dir = scratchDir('workbook-diff-')
  const realDiff = ['/usr/bin/diff', '/bin/diff'].find((p) => existsSync(p))
  for (let round = 0; round < 200; round++) {
    const before = Array.from({ length: random(30) }, (_, i) => `line ${i} ${random(3)}`)
    const after = [...before]
    for (let edits = random(5); edits > 0; edits--) {
      const at = random(after.length + 1)
      if (random(2) === 0 && after.length > 0) after.splice(Math.min(at, after.length - 1), 1)
      else after.splice(at, 0, `new ${random(4)}`)
    }
    const [a, b] = [before.map((l) => l + '\n').join(''), after.map((l) => l + '\n').join('')]
    const diff = unifiedDiff(a, b, 'a', 'b')
    assert.equal(applyDiff(a, diff), b, `round ${round}:\n${diff}`)
    assert.equal(diff === '', a === b)
    if (realDiff) {
      writeFileSync(join(dir, 'a'), a)
      writeFileSync(join(dir, 'b'), b)
      const real = spawnSync(realDiff, ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' })
      // Both describe a change of the same size (the longest common subsequence is unique in length).
      const count = (text: string, mark: string) => text.split('\n').filter((l) => l.startsWith(mark) && !l.startsWith(mark.repeat(3))).length
      assert.equal(count(diff, '-'), count(real.stdout, '-'), `round ${round}: removed lines`)
      assert.equal(count(diff, '+'), count(real.stdout, '+'), `round ${round}: added lines`)
    }
  }
})
