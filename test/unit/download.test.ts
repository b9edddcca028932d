// lib/download.ts against a server on 127.0.0.1 (the only network a test may use).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { download } from '../../lib/download.ts'
import { scratchDir } from '../scratch.ts'

const body = Buffer.from('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: metallb-system\n'.repeat(2000))
const digest = createHash('sha256').update(body).digest('hex')
const other = createHash('sha256').update('something else').digest('hex')
let server: Server
let base: string
const requests: string[] = []

before(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '')
    if (request.url === '/manifest.yaml') {
      response.writeHead(200, { 'content-length': String(body.length) })
      // In two pieces, so the file is written from a stream, not one buffer.
      response.write(body.subarray(0, 1000))
      setTimeout(() => response.end(body.subarray(1000)), 20)
    } else if (request.url === '/moved') {
      response.writeHead(302, { location: '/manifest.yaml' })
      response.end()
    } else if (request.url === '/broken') {
      response.writeHead(200, { 'content-length': String(body.length) })
      response.write(body.subarray(0, 1000))
      setTimeout(() => response.destroy(), 20)
    } else {
      response.writeHead(404)
      response.end('not here')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => server.close())

const folder = () => scratchDir('workbook-download-')

test('a file whose sha256 matches is kept at the destination, and nothing else is left', async () => {
  const dir = folder()
  const to = join(dir, 'rendered', 'metallb-native.yaml')
  await download({ url: `${base}/manifest.yaml`, sha256: digest, to })
  assert.deepEqual(readFileSync(to), body)
  assert.deepEqual(readdirSync(join(dir, 'rendered')), ['metallb-native.yaml'])
})

test('redirects are followed, and the digest may be given in capitals', async () => {
  const to = join(folder(), 'm.yaml')
  await download({ url: `${base}/moved`, sha256: digest.toUpperCase(), to })
  assert.deepEqual(readFileSync(to), body)
})

test('a file whose sha256 differs is refused with both digests, and not kept', async () => {
  const dir = folder()
  const to = join(dir, 'metallb-native.yaml')
  await assert.rejects(download({ url: `${base}/manifest.yaml`, sha256: other, to, fix: 'nothing was applied' }),
    (error: Error & { fix?: string }) => error.message.includes(`its sha256 is ${digest}, the pinned one ${other}`) && error.fix === 'nothing was applied')
  assert.deepEqual(readdirSync(dir), [], 'no partial or unverified file is left behind')
})

test('a file that was there is replaced only by a verified one', async () => {
  const dir = folder()
  const to = join(dir, 'metallb-native.yaml')
  writeFileSync(to, 'the copy checked last time\n')
  await assert.rejects(download({ url: `${base}/manifest.yaml`, sha256: other, to }))
  assert.equal(readFileSync(to, 'utf8'), 'the copy checked last time\n')
  assert.deepEqual(readdirSync(dir), ['metallb-native.yaml'])
})

test('a missing file, a broken transfer and a bad digest are errors that say so, and leave nothing', async () => {
  const dir = folder()
  const to = join(dir, 'x.yaml')
  await assert.rejects(download({ url: `${base}/nowhere`, sha256: digest, to }), /cannot fetch http:\/\/127\.0\.0\.1:\d+\/nowhere: the server answered 404/)
  await assert.rejects(download({ url: `${base}/broken`, sha256: digest, to }), /broke off after/)
  await assert.rejects(download({ url: `${base}/manifest.yaml`, sha256: 'abc', to }), /"abc" is not a sha256 digest/)
  await assert.rejects(download({ url: 'ftp://127.0.0.1/x', sha256: digest, to }), /not an http\(s\) or file URL/)
  assert.deepEqual(readdirSync(dir), [])
})

test('a closed port is an error that names the URL', async () => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  const dir = folder()
  await assert.rejects(download({ url: `http://127.0.0.1:${port}/m.yaml`, sha256: digest, to: join(dir, 'm.yaml') }), new RegExp(`cannot fetch http://127\\.0\\.0\\.1:${port}/m\\.yaml: ECONNREFUSED`))
  assert.deepEqual(readdirSync(dir), [])
})

test('a file: URL (a copy on disk) is read and checked the same way', async () => {
  const dir = folder()
  const source = join(dir, 'mirror.yaml')
  writeFileSync(source, body)
  await download({ url: pathToFileURL(source).href, sha256: digest, to: join(dir, 'out', 'm.yaml') })
  assert.deepEqual(readFileSync(join(dir, 'out', 'm.yaml')), body)
  await assert.rejects(download({ url: pathToFileURL(source).href, sha256: other, to: join(dir, 'out', 'n.yaml') }), /its sha256 is/)
  assert.equal(existsSync(join(dir, 'out', 'n.yaml')), false)
  await assert.rejects(download({ url: pathToFileURL(join(dir, 'none.yaml')).href, sha256: digest, to: join(dir, 'out', 'o.yaml') }), /no such file/)
})
