import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findOnPath, isExecutable, missingTools } from '../../lib/tools.ts'
import { scratchDir } from '../scratch.ts'

test('executable: a file with an execute bit; not a plain file, a folder or nothing', () => {
  const dir = scratchDir('workbook-tools-on-path-')
  writeFileSync(join(dir, 'runs'), '#!/bin/sh\n', { mode: 0o755 })
  writeFileSync(join(dir, 'plain'), 'text\n', { mode: 0o644 })
  mkdirSync(join(dir, 'folder'), { mode: 0o755 })
  assert.equal(isExecutable(join(dir, 'runs')), true)
  assert.equal(isExecutable(join(dir, 'plain')), false)
  assert.equal(isExecutable(join(dir, 'folder')), false)
  assert.equal(isExecutable(join(dir, 'absent')), false)
})

test('the first executable of that name on PATH, passing over folders and plain files', () => {
  const dir = scratchDir('workbook-tools-on-path-')
  for (const folder of ['a', 'b', 'c']) mkdirSync(join(dir, folder))
  mkdirSync(join(dir, 'a', 'kind'))
  writeFileSync(join(dir, 'b', 'kind'), 'not a program\n', { mode: 0o644 })
  writeFileSync(join(dir, 'c', 'kind'), '#!/bin/sh\n', { mode: 0o755 })
  const env = { PATH: ['a', '', 'b', 'c'].map((f) => (f ? join(dir, f) : f)).join(':') }
  assert.equal(findOnPath('kind', env), join(dir, 'c', 'kind'))
  assert.deepEqual(missingTools(['kind', 'helm'], env), ['helm'])
})
