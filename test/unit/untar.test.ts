// lib/untar.ts: one file out of a .tar.gz, read in Node. Archives written by the system's
// tar too (GNU's and PAX formats, long names), where there is one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { extractFromTarGz, tarEntries } from '../../lib/untar.ts'
import { tar } from '../lab/src/releases.ts'
import { scratchDir } from '../scratch.ts'

const binary = Buffer.from('#!/bin/sh\necho helm\n'.repeat(100))

test('the named file comes out whole; folders and other files are passed over', () => {
  const archive = gzipSync(tar([
    { name: 'linux-amd64/', data: Buffer.alloc(0), mode: 0o755 },
    { name: 'linux-amd64/LICENSE', data: Buffer.from('license\n') },
    { name: 'linux-amd64/helm', data: binary, mode: 0o755 },
  ]))
  assert.deepEqual(extractFromTarGz(archive, 'linux-amd64/helm'), binary)
  // "./istioctl" and "istioctl" are the same file.
  assert.deepEqual(tarEntries(tar([{ name: './istioctl', data: binary }])).map((e) => e.name), ['istioctl'])
})

test('what is not there, not gzip, or not tar is an error that says so', () => {
  const archive = gzipSync(tar([{ name: 'istioctl', data: binary }]))
  assert.throws(() => extractFromTarGz(archive, 'linux-amd64/helm'), /the archive holds no file linux-amd64\/helm/)
  assert.throws(() => extractFromTarGz(Buffer.from('<html>'), 'istioctl'), /not a gzip file/)
  const bad = tar([{ name: 'istioctl', data: binary }])
  bad[0] = 'X'.charCodeAt(0)
  assert.throws(() => extractFromTarGz(gzipSync(bad), 'istioctl'), /not a tar archive \(the header at byte 0 has a bad checksum\)/)
  const cut = tar([{ name: 'istioctl', data: binary }]).subarray(0, 1024)
  assert.throws(() => extractFromTarGz(gzipSync(cut), 'istioctl'), /the tar archive ends inside "istioctl"/)
})

const systemTar = spawnSync('tar', ['--version'], { encoding: 'utf8' })
test('archives the system\'s tar writes, long names included (GNU and PAX formats)', { skip: systemTar.status !== 0 && 'no tar on this machine' }, () => {
  const dir = scratchDir('workbook-untar-')
  const long = `${'a-folder-with-a-long-name/'.repeat(6)}istioctl`
  mkdirSync(join(dir, long, '..'), { recursive: true })
  writeFileSync(join(dir, long), binary)
  writeFileSync(join(dir, 'short'), 'short\n')
  for (const format of ['gnu', 'pax']) {
    const archive = join(dir, `${format}.tar.gz`)
    const made = spawnSync('tar', [`--format=${format}`, '-czf', archive, '-C', dir, long, 'short'], { encoding: 'utf8' })
    if (made.status !== 0) continue // a tar without --format (BSD's): its own format is covered above
    assert.deepEqual(extractFromTarGz(readFileSync(archive), long), binary, format)
    assert.equal(extractFromTarGz(readFileSync(archive), 'short').toString(), 'short\n', format)
  }
})
