// Whether a tool's version is one the workbook supports, from the ranges in lib/defaults.ts:
// the default release, inside the range (fine), newer than anything tried, or too old.
import { tools, type FetchedTool } from './defaults.ts'
import { compare, requireVersion, show, type Version } from './versions.ts'

export type Verdict = 'default' | 'fine' | 'newer than tried' | 'too old'

export interface Judgement {
  verdict: Verdict
  text: string      // "0.31.0, the default", "1.31.0 is newer than anything tried (...)", ...
  why?: string      // for "too old": the upstream reason for the bound
}

// kubectl's range follows the nodes kind creates; with clusters of your own (CLUSTER_PROVIDER
// =existing) their version decides, which the workbook does not know before it asks them.
export function judge(tool: FetchedTool, version: Version, options: { anyKubectl?: boolean } = {}): Judgement {
  const support = tools[tool]
  const shown = show(version)
  if (compare(version, requireVersion(support.release)) === 0) return { verdict: 'default', text: `${shown}, the default` }
  if (!(tool === 'kubectl' && options.anyKubectl)) {
    const oldest = support.oldest.map(requireVersion)
    // The oldest release of this major version; a major older than every listed one has none.
    const floor = oldest.find((v) => v[0] === version[0]) ?? (version[0] < oldest[0]![0] ? oldest[0] : undefined)
    if (floor && compare(version, floor) < 0) {
      return { verdict: 'too old', text: `${shown} is older than ${show(floor)}`, why: support.why }
    }
  }
  const newest = support.tried.map(requireVersion).sort(compare).at(-1)!
  // A patch release of a tried minor version counts as tried.
  if (version[0] > newest[0] || (version[0] === newest[0] && version[1] > newest[1])) {
    return { verdict: 'newer than tried', text: `${shown} is newer than anything tried (the newest tried is ${show(newest)})` }
  }
  return { verdict: 'fine', text: `${shown}, supported (the default is ${support.release})` }
}

// In the supported range and not newer than anything tried: used as it is.
export function usable(judgement: Judgement): boolean {
  return judgement.verdict === 'default' || judgement.verdict === 'fine'
}
