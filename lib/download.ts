// Fetching a pinned file: a URL, the sha256 it must have, and where it goes. The bytes go
// to a temporary file beside the destination while their digest is computed; only a file
// whose digest matches is renamed into place (an atomic rename), so nothing unverified is
// ever left where the workbook, or the user, would pick it up. http(s) and file: URLs
// (a mirror, or a copy on disk) are fetched alike.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { fail } from './errors.ts'
import { busy, ok } from './output.ts'

export interface Pinned {
  url: string
  sha256: string     // 64 hex digits
  to: string         // the destination file
  label?: string     // the cluster the output line is about, if any
  fix?: string       // what to tell the user when the digest differs
  expected?: string  // where the expected digest comes from, as the messages say it (default "pinned")
  shownAs?: string   // where the file ends up, as the progress line names it (default `to`)
}

export function isSha256(text: string): boolean {
  return /^[0-9a-f]{64}$/i.test(text)
}

export function checkUrl(text: string, setting: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return fail(`${setting} "${text}" is not a URL`, 'give an https:// URL, or file:// for a copy on disk')
  }
  if (!['https:', 'http:', 'file:'].includes(url.protocol)) fail(`${setting} "${text}" is not an http(s) or file URL`, 'give an https:// URL, or file:// for a copy on disk')
  return url
}

const size = (bytes: number) => bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`

async function open(url: URL, timeoutMs: number): Promise<{ body: Readable; total?: number }> {
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url)
    let total: number
    try {
      total = statSync(path).size
    } catch (error) {
      return fail(`cannot read ${url.href}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'check the path')
    }
    return { body: createReadStream(path), total }
  }
  let response: Response
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    return fail(`cannot fetch ${url.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, `check this machine's network access to ${url.host}`)
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel()
    fail(`cannot fetch ${url.href}: the server answered ${response.status} ${response.statusText}`.trim(), 'check the URL')
  }
  const length = Number(response.headers.get('content-length'))
  return { body: Readable.fromWeb(response.body as never), total: Number.isFinite(length) && length > 0 ? length : undefined }
}

// A small text file (a published checksum), read whole.
export async function fetchText(text: string, setting: string, timeoutMs = 60_000): Promise<string> {
  const url = checkUrl(text, setting)
  const { body } = await open(url, timeoutMs)
  const chunks: Buffer[] = []
  try {
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer))
  } catch (error) {
    fail(`fetching ${url.href} broke off: ${(error as Error).message}`, `try again; check this machine's network access to ${url.host || url.href}`)
  }
  return Buffer.concat(chunks).toString('utf8')
}

// Fetch `url` to `to`, keeping it only if its sha256 is the one given.
export async function download(pinned: Pinned, timeoutMs = 300_000): Promise<void> {
  if (!isSha256(pinned.sha256)) fail(`"${pinned.sha256}" is not a sha256 digest`, 'give the 64 hex digits of the file\'s sha256')
  const url = checkUrl(pinned.url, 'the download URL')
  mkdirSync(dirname(pinned.to), { recursive: true })
  const partial = join(dirname(pinned.to), `.${basename(pinned.to)}.${process.pid}.partial`)
  const hash = createHash('sha256')
  let received = 0
  let done = busy(pinned.label, `fetching ${url.href}`)
  try {
    const { body, total } = await open(url, timeoutMs)
    let shown = Date.now()
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        hash.update(chunk)
        received += chunk.length
        if (Date.now() - shown > 250) {
          shown = Date.now()
          done()
          done = busy(pinned.label, `fetching ${basename(url.pathname)}: ${size(received)}${total ? ` of ${size(total)}` : ''}`)
        }
        next(null, chunk)
      },
    })
    try {
      await pipeline(body, counter, createWriteStream(partial, { mode: 0o644 }))
    } catch (error) {
      fail(`fetching ${url.href} broke off after ${size(received)}: ${(error as Error).message}`, `try again; check this machine's network access to ${url.host || url.href}`)
    }
    const actual = hash.digest('hex')
    const expected = pinned.expected ?? 'pinned'
    if (actual !== pinned.sha256.toLowerCase()) {
      fail(`${url.href} is not the file that was ${expected}: its sha256 is ${actual}, the ${expected} one ${pinned.sha256.toLowerCase()}; it was not kept`,
        pinned.fix ?? 'check the URL and the expected sha256; if the file changed upstream, find out why before trusting it')
    }
    renameSync(partial, pinned.to)
    ok(pinned.label, `fetched ${url.href} (${size(received)}, sha256 ${actual.slice(0, 12)}… as ${expected}) to ${pinned.shownAs ?? (relative(process.cwd(), pinned.to) || pinned.to)}`)
  } finally {
    done()
    rmSync(partial, { force: true })
  }
}
