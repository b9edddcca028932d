// One file out of a .tar.gz, in Node alone (no `tar` needed): gunzip, then walk the tar's
// 512-byte headers. Helm's and Istio's release archives hold the binary as a plain file
// ("linux-amd64/helm", "istioctl"); long names come as a PAX "path" record or a GNU
// "././@LongLink" entry before the file they name, and both are read.
import { gunzipSync } from 'node:zlib'

const block = 512

function text(header: Buffer, start: number, length: number): string {
  const field = header.subarray(start, start + length)
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? length : end).toString('utf8')
}

function octal(header: Buffer, start: number, length: number): number {
  const field = text(header, start, length).trim()
  return field === '' ? 0 : parseInt(field, 8)
}

// "path" from a PAX extended header: records "<length> <key>=<value>\n".
function paxPath(data: Buffer): string | undefined {
  let rest = data.toString('utf8')
  while (rest.length > 0) {
    const space = rest.indexOf(' ')
    const length = Number(rest.slice(0, space))
    if (!Number.isInteger(length) || length <= 0) return undefined
    const record = rest.slice(space + 1, length - 1)
    if (record.startsWith('path=')) return record.slice(5)
    rest = rest.slice(length)
  }
  return undefined
}

export interface TarEntry {
  name: string
  type: string      // "0" a file, "5" a folder, ...
  data: Buffer
}

export function tarEntries(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  let offset = 0
  let longName: string | undefined
  while (offset + block <= archive.length) {
    const header = archive.subarray(offset, offset + block)
    if (header.every((byte) => byte === 0)) break
    const stored = octal(header, 148, 8)
    let sum = 0
    for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!
    if (sum !== stored) throw new Error(`not a tar archive (the header at byte ${offset} has a bad checksum)`)
    const size = octal(header, 124, 12)
    const type = text(header, 156, 1) || '0'
    const prefix = text(header, 345, 155)
    const data = archive.subarray(offset + block, offset + block + size)
    if (data.length < size) throw new Error(`the tar archive ends inside "${text(header, 0, 100)}"`)
    offset += block + Math.ceil(size / block) * block
    if (type === 'x') {
      longName = paxPath(data) ?? longName
      continue
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '')
      continue
    }
    if (type === 'g') continue
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100))
    longName = undefined
    entries.push({ name: name.replace(/^\.\//, ''), type, data })
  }
  return entries
}

// The regular file at `member` inside a gzipped tar.
export function extractFromTarGz(archive: Buffer, member: string): Buffer {
  let tar: Buffer
  try {
    tar = gunzipSync(archive)
  } catch (error) {
    throw new Error(`not a gzip file (${(error as Error).message})`)
  }
  const entry = tarEntries(tar).find((e) => e.name === member && (e.type === '0' || e.type === '7'))
  if (!entry) throw new Error(`the archive holds no file ${member}`)
  return entry.data
}
