// A stand-in for the four release sites the steps fetch kind, kubectl, helm and istioctl
// from (lib/toolchain.ts), on 127.0.0.1 only: each project's file layout, with the checksum
// file it publishes beside every download. What it serves are launchers of the lab's own
// tools (a two-line shell script that runs test/lab/bin/<tool>), as a binary (kind,
// kubectl) or inside a .tar.gz (helm: <os>-<arch>/helm, istioctl: istioctl), so a step that
// fetched its tools really runs the lab with them. The workbook reaches it through the
// settings a user names a mirror with (KIND_DOWNLOAD_URL, ...).
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { tools, type FetchedTool } from '../../../lib/defaults.ts'
import { releaseFile, releaseSites, type Platform } from '../../../lib/toolchain.ts'

export interface TarFile {
  name: string
  data: Buffer
  mode?: number
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8')
}

// A ustar archive: a 512-byte header per file (name, mode, size and mtime in octal, the
// checksum of the header's bytes), the data padded to 512 bytes, two empty blocks at the end.
export function tar(files: readonly TarFile[]): Buffer {
  const blocks: Buffer[] = []
  for (const file of files) {
    const header = Buffer.alloc(512)
    field(header, 0, 100, file.name)
    field(header, 100, 8, `${(file.mode ?? 0o644).toString(8).padStart(7, '0')}\0`)
    field(header, 108, 8, '0000000\0')
    field(header, 116, 8, '0000000\0')
    field(header, 124, 12, `${file.data.length.toString(8).padStart(11, '0')}\0`)
    field(header, 136, 12, `${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`)
    field(header, 148, 8, '        ')
    field(header, 156, 1, '0')
    field(header, 257, 8, 'ustar\u000000')
    const sum = header.reduce((total, byte) => total + byte, 0)
    field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
    blocks.push(header, file.data, Buffer.alloc((512 - (file.data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

// What a fault does to one tool's download.
export interface ReleaseFaults {
  wrongChecksum?: FetchedTool   // its checksum file names another digest
  breakOff?: FetchedTool        // the connection drops half way through the download
}

export interface ReleaseServer {
  url: string
  env: Record<string, string>   // KIND_DOWNLOAD_URL, ... pointing here
  requests: string[]            // every path asked for, in order
  faults: ReleaseFaults
  downloads(tool: FetchedTool): number   // how often the tool's file itself was fetched
  close(): Promise<void>
}

const prefixes: Record<FetchedTool, string> = { kind: 'kind', kubectl: 'kubernetes', helm: 'helm', istioctl: 'istio' }

export function launcher(labBin: string, tool: FetchedTool): Buffer {
  return Buffer.from(`#!/bin/sh\n# the lab's ${tool}, as a fetched release\nexec '${join(labBin, tool)}' "$@"\n`)
}

export async function startReleaseServer(labBin: string, platform: Platform): Promise<ReleaseServer> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const env = Object.fromEntries((Object.keys(prefixes) as FetchedTool[]).map((tool) => [releaseSites[tool].env, `${url}/${prefixes[tool]}`]))
  // Each project's file at the path lib/toolchain.ts asks for, and its checksum file.
  const files = new Map<string, { tool: FetchedTool; data: Buffer; checksum?: boolean }>()
  for (const tool of Object.keys(prefixes) as FetchedTool[]) {
    const file = releaseFile(tool, tools[tool].release, platform, env)
    const binary = launcher(labBin, tool)
    const data = !file.member ? binary : gzipSync(tar([
      ...(tool === 'helm' ? [{ name: `${platform.os}-${platform.arch}/`, data: Buffer.alloc(0), mode: 0o755 }] : []),
      { name: file.member, data: binary, mode: 0o755 },
      { name: tool === 'helm' ? `${platform.os}-${platform.arch}/LICENSE` : 'LICENSE', data: Buffer.from('stand-in\n') },
    ]))
    const path = new URL(file.url).pathname
    const name = path.split('/').pop()!
    files.set(path, { tool, data })
    // kind and Helm publish "<digest>  <file>" (sha256sum's format), Kubernetes and Istio the digest alone.
    const sum = file.checksumUrl.endsWith('.sha256sum') ? `${sha256(data)}  ${name}\n` : `${sha256(data)}\n`
    files.set(new URL(file.checksumUrl).pathname, { tool, data: Buffer.from(sum), checksum: true })
  }
  const requests: string[] = []
  const faults: ReleaseFaults = {}
  server.on('request', (request, response) => {
    const path = request.url ?? ''
    requests.push(path)
    const found = files.get(path)
    if (!found) {
      response.writeHead(404)
      response.end('Not Found')
      return
    }
    let data = found.data
    if (found.checksum && faults.wrongChecksum === found.tool) data = Buffer.from(`${sha256('another file')}  ${path.split('/').pop()!.replace(/\.sha256(sum)?$/, '')}\n`)
    response.writeHead(200, { 'content-length': String(data.length) })
    if (!found.checksum && faults.breakOff === found.tool) {
      response.write(data.subarray(0, Math.floor(data.length / 2)))
      setTimeout(() => response.destroy(), 20)
      return
    }
    response.end(data)
  })
  return {
    url, env, requests, faults,
    downloads: (tool) => requests.filter((path) => files.get(path)?.tool === tool && !files.get(path)!.checksum).length,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
