// The Makefile with the tools a Mac has: `make help` (the default goal) without GNU grep's
// -P, and a clear word when there is no Node, and so no npm, to fetch Node 24 with.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scratchDir } from '../scratch.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const make = ['/usr/bin/make', '/usr/local/bin/make', '/bin/make'].find((p) => existsSync(p)) ?? 'make'

// Each numbered script's title, read here with JavaScript, to compare with what make prints.
function titles(): Map<string, string> {
  const found = new Map<string, string>()
  for (const file of readdirSync(join(root, 'scripts')).filter((f) => /^\d\d-.*\.ts$/.test(f))) {
    const match = /await step\('[^']+', '((?:\\'|[^'])*)'/.exec(readFileSync(join(root, 'scripts', file), 'utf8'))
    assert.ok(match, `no step() title in ${file}`)
    found.set(file.slice(0, 2), match[1]!.replace(/\\'/g, "'"))
  }
  return found
}

test('make help lists every step with its title using no grep -P (BSD grep, as on macOS, refuses it)', () => {
  const bin = scratchDir('workbook-bsd-grep-')
  writeFileSync(join(bin, 'grep'), [
    '#!/bin/sh',
    'for arg in "$@"; do case "$arg" in --perl-regexp|-P|-[!-]*P*) echo "grep: invalid option -- P" >&2; echo "usage: grep [-abcdDEFGHhIiJLlMmnOopqRSsUVvwXxZz] [-A num] [-B num] [-C[num]]" >&2; exit 2;; esac; done',
    'exec /usr/bin/grep "$@"',
  ].join('\n') + '\n', { mode: 0o755 })
  const refused = spawnSync(join(bin, 'grep'), ['-oP', 'x'], { input: 'x', encoding: 'utf8' })
  assert.equal(refused.status, 2, 'the stand-in grep refuses -P')
  const run = spawnSync(make, ['--no-print-directory', 'help'], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stderr, '')
  const expected = titles()
  assert.ok(expected.size >= 17)
  for (const [number, title] of expected) {
    const line = run.stdout.split('\n').find((l) => l.startsWith(`  make ${number} `))
    assert.ok(line, `no line for make ${number}`)
    assert.ok(line.endsWith(` ${title}`), `make ${number}: "${line}" does not end with its title "${title}"`)
  }
  assert.match(run.stdout, /make 08 +\(make remote-secret\) +let east discover west's services$/m)
})

test('with no Node, and so no npm, the Makefile says what to install instead of failing on npm', () => {
  const dir = scratchDir('workbook-no-node-')
  copyFileSync(join(root, 'Makefile'), join(dir, 'Makefile'))
  // A PATH with the shell and the usual tools, but no node and no npm.
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  for (const tool of ['bash', 'sh', 'sed', 'cmp', 'cp', 'cat', 'env', 'uname']) {
    const path = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p))
    if (path) symlinkSync(path, join(bin, tool))
  }
  const run = spawnSync(make, ['--no-print-directory', '00'], { cwd: dir, encoding: 'utf8', env: { PATH: bin, HOME: dir } })
  assert.notEqual(run.status, 0)
  assert.match(run.stdout, /System Node is missing; the workbook needs 22\.18 or newer\./)
  assert.match(run.stderr, /There is no npm to fetch Node 24 with \(npm comes with Node\.js\): install Node\.js 22\.18 or newer/)
  assert.doesNotMatch(run.stdout + run.stderr, /Fetching Node 24|command not found/)
  assert.equal(existsSync(join(dir, '.cache')), false, 'nothing was fetched')
})
