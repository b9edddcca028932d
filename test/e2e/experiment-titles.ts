// The experiments in scripts/experiments/ and their titles (the second argument of each
// one's experiment() call), read in TypeScript: what `make experiments` (a sed in the
// Makefile, so that listing needs no Node) must print.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './lab.ts'

export function listExperiments(dir = join(repoRoot, 'scripts', 'experiments')): Array<{ name: string; title: string }> {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((file) => {
    const match = /await experiment\('([^']+)', '((?:\\'|[^'])*)'/.exec(readFileSync(join(dir, file), 'utf8'))
    return { name: file.slice(0, -3), title: match ? match[2]!.replace(/\\'/g, "'") : '' }
  })
}
