// The lab's random choices (the endpoint a request lands on, pod name suffixes, cluster IPs,
// cloud load balancer addresses, kind's API port) come from one seeded stream per tool
// invocation, so that a run can be repeated: the seed is LAB_SEED (else the state folder's
// path), mixed with the invocation's tool, arguments and number (how many invocations the
// state has logged before it). The same seed and the same sequence of commands give the
// same choices. Keys, bundles and tokens stay cryptographically random.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { files } from './state.ts'

let next: (() => number) | undefined

function invocationNumber(state: string): number {
  try {
    const log = readFileSync(files.invocations(state), 'utf8')
    let count = 0
    for (let i = log.indexOf('\n'); i >= 0; i = log.indexOf('\n', i + 1)) count++
    return count
  } catch {
    return 0
  }
}

// sfc32: a small, well-mixed generator with a 128-bit state.
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

export function seedMaterial(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): string {
  const state = env.LAB_STATE ?? ''
  const seed = env.LAB_SEED ?? state
  const tool = argv[1]?.split('/').pop() ?? ''
  return JSON.stringify([seed, tool, argv.slice(2), invocationNumber(state)])
}

// The stream of numbers in [0, 1) that a seed material gives.
export function stream(material: string): () => number {
  const digest = createHash('sha256').update(material).digest()
  const draw = sfc32(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12))
  for (let i = 0; i < 12; i++) draw()
  return draw
}

// A number in [0, 1) from this invocation's stream.
export function random(): number {
  next ??= stream(seedMaterial())
  return next()
}

// An integer in [min, max).
export function randomInt(min: number, max: number): number {
  return min + Math.floor(random() * (max - min))
}

export function randomHex(bytes: number): string {
  return Array.from({ length: bytes }, () => randomInt(0, 256).toString(16).padStart(2, '0')).join('')
}
