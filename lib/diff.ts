// A line diff in the unified format `diff -u` prints, for the few short files an
// experiment changes (a rendered manifest before and after). Longest common subsequence
// over lines; hunks keep `context` unchanged lines around each change.

type Line = { kind: ' ' | '-' | '+'; text: string; a: number; b: number }

function lines(text: string): string[] {
  if (text === '') return []
  const all = text.split('\n')
  return all.at(-1) === '' ? all.slice(0, -1) : all
}

// Every line of both texts, in order, marked kept, removed or added.
function walk(before: string[], after: string[]): Line[] {
  const n = before.length
  const m = after.length
  // common[i][j]: the length of the longest common subsequence of before[i..] and after[j..]
  const common = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!)
    }
  }
  const out: Line[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) out.push({ kind: ' ', text: before[i++]!, a: i, b: ++j })
    // Removed lines before added ones, as diff -u shows a changed line.
    else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push({ kind: '-', text: before[i++]!, a: i, b: j })
    else out.push({ kind: '+', text: after[j++]!, a: i, b: j })
  }
  return out
}

// `diff -u`'s output for two texts under the names given; '' when they are the same.
export function unifiedDiff(before: string, after: string, beforeName: string, afterName: string, context = 3): string {
  const all = walk(lines(before), lines(after))
  const changed = all.map((line, index) => (line.kind === ' ' ? -1 : index)).filter((index) => index >= 0)
  if (changed.length === 0) return ''
  // Group changes whose context would touch into one hunk.
  const hunks: Array<[number, number]> = []
  for (const index of changed) {
    const from = Math.max(0, index - context)
    const to = Math.min(all.length - 1, index + context)
    const last = hunks.at(-1)
    if (last && from <= last[1] + 1) last[1] = to
    else hunks.push([from, to])
  }
  const out = [`--- ${beforeName}`, `+++ ${afterName}`]
  for (const [from, to] of hunks) {
    const part = all.slice(from, to + 1)
    const beforeCount = part.filter((l) => l.kind !== '+').length
    const afterCount = part.filter((l) => l.kind !== '-').length
    // Where the hunk starts in each file (1-based); an empty side is named by the line before it.
    const beforeStart = part.find((l) => l.kind !== '+')?.a ?? part[0]!.a
    const afterStart = part.find((l) => l.kind !== '-')?.b ?? part[0]!.b
    out.push(`@@ -${beforeStart}${beforeCount === 1 ? '' : `,${beforeCount}`} +${afterStart}${afterCount === 1 ? '' : `,${afterCount}`} @@`)
    for (const line of part) out.push(`${line.kind}${line.text}`)
  }
  return out.join('\n') + '\n'
}
