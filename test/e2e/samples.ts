// The pages' samples, read from docs/ and compared with what the scripts print. A success
// sample is a ```text block whose first line is a step's heading ("05-federate-bundles: ...",
// "inspect-trust: ..."); a failure sample is a ```text block with a line that starts with ✖.
//
// Compared line by line, tagged by cluster ([east], [west], none):
// - command lines ($ ...): exactly, and per cluster in the same order, none missing, none
//   extra (east's and west's lines interleave differently from run to run, each cluster's
//   own do not);
// - what a step reports (✔, •, and an inspection's indented lines): the same ones, in any
//   order, once what changes from run to run is masked (below);
// - table rows (the doctor's, istioctl's): their first and last columns, in order (the
//   doctor's inotify row by name only: it is the test machine's).
// What changes from run to run: durations and counts, addresses of node containers, pod
// name suffixes, serial numbers and fingerprints, UUIDs, dates, the lab's file:// URL of
// MetalLB's manifest, absolute paths before out/. A sample may write "..." for a part it leaves out.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Block {
  page: string      // docs/05-federate-bundles.md
  line: number      // where the block starts
  lines: string[]
  checkedBy?: string // <!-- checked by test/e2e/x.test.ts --> just above it: that test compares it
}

export function textBlocks(file: string, page: string): Block[] {
  const blocks: Block[] = []
  let current: Block | undefined
  let checkedBy: string | undefined
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const marker = /^\s*<!-- checked by (\S+) -->\s*$/.exec(line)
    if (!current && marker) checkedBy = marker[1]
    else if (!current && /^\s*```text\s*$/.test(line)) {
      current = { page, line: i + 1, lines: [], ...(checkedBy ? { checkedBy } : {}) }
      checkedBy = undefined
    } else if (!current && line.trim() !== '') checkedBy = undefined
    else if (current && /^\s*```\s*$/.test(line)) {
      blocks.push(current)
      current = undefined
    } else if (current) current.lines.push(line)
  })
  // Blocks indented under a list item keep their indentation: drop it.
  return blocks.map((block) => {
    const indent = Math.min(...block.lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length))
    return { ...block, lines: block.lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)) }
  })
}

export function docPages(docsDir: string): Array<{ file: string; page: string }> {
  return readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort().map((f) => ({ file: join(docsDir, f), page: `docs/${f}` }))
}

const heading = /^(\d\d-[a-z0-9-]+|inspect-[a-z]+): /

// The step whose output a success sample shows, or undefined when the block is not one (or
// another test compares it: a sample of a situation this test's run does not make).
export function successOf(block: Block): string | undefined {
  return isFailure(block) || block.checkedBy ? undefined : heading.exec(block.lines[0] ?? '')?.[1]
}

export function isFailure(block: Block): boolean {
  return block.lines.some((line) => line.startsWith('✖'))
}

// ---------- masking what changes from run to run ----------

const ansi = /\u001b\[[0-9;]*m/g

export interface Masks {
  // What the lab has where a real machine has something else: the stand-in MetalLB
  // manifest's file:// URL (the pages show the pinned one), the workspace's home (/home/me).
  replace?: Array<[lab: string, shown: string]>
}

// Command lines: only what the lab picks at random in them (a probe pod's name, a node
// container's address, a pod's name and UID).
function maskCommand(line: string): string {
  return line.replace(/bundle-probe-[0-9a-f]{6}\b/g, 'bundle-probe-<hex>').replace(/\b172\.18\.0\.\d+\b/g, '172.18.0.<n>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}\b/g, '-<pod>')
}

// Everything else: also numbers, identifiers and times.
function maskReport(line: string, masks: Masks = {}): string {
  let text = line
  for (const [lab, shown] of masks.replace ?? []) text = text.split(lab).join(shown)
  return maskCommand(text)
    .replace(/\/[^\s'"]*?\/out\//g, '.../out/')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}\b/g, '-<pod>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b/g, '<hex>')
    .replace(/\d+(?:\.\d+)?/g, 'N')
    .replace(/\bN [KM]iB\b/g, 'N <size>')
}

// ---------- lines ----------

export type Kind = 'command' | 'report' | 'row' | 'message' | 'other'

export interface Line {
  tag: string       // east, west, or '' for none
  kind: Kind
  text: string      // the line without its tag
}

function classify(raw: string): Line | undefined {
  const line = raw.replace(ansi, '').trimEnd()
  if (line.trim() === '') return undefined
  const tagged = /^\[([a-z0-9-]+)\] (.*)$/.exec(line)
  const tag = tagged?.[1] ?? ''
  const rest = tagged ? tagged[2]! : line
  if (/^\$ /.test(rest)) return { tag, kind: 'command', text: rest }
  if (/^[✔•]/.test(rest) || /^ {2}\S/.test(rest)) return { tag, kind: 'report', text: rest.trim() }
  if (/^[✖→]/.test(rest.trimStart())) return { tag, kind: 'message', text: rest.trim() }
  if (/^\S.*\S {2,}\S/.test(rest)) return { tag, kind: 'row', text: rest }
  return { tag, kind: 'other', text: rest }
}

export function lines(text: string): Line[] {
  return text.split('\n').map(classify).filter((l): l is Line => l !== undefined)
}

// The doctor's rows about the machine the tests run on: compared by name alone.
const machineRows = ['inotify']

// A table row by its first and last columns (columns are two spaces or more apart).
function rowKey(text: string, masks: Masks): string {
  const columns = text.trim().split(/\s{2,}/)
  if (machineRows.includes(columns[0]!)) return columns[0]!
  return maskReport(`${columns[0]} … ${columns.length > 1 ? columns.at(-1) : ''}`, masks)
}

const byTag = (all: Line[], kind: Kind, tag: string) => all.filter((l) => l.kind === kind && l.tag === tag)

// Differences between a success sample and a step's output; [] when the sample shows the output.
export function successDifferences(sample: string[], output: string, masks: Masks = {}): string[] {
  const wanted = lines(sample.join('\n'))
  const got = lines(output)
  const problems: string[] = []
  const first = got.find((l) => l.kind === 'other')
  if (wanted[0]?.text !== first?.text) problems.push(`heading: the sample says "${wanted[0]?.text}", the step printed "${first?.text}"`)
  const tags = [...new Set([...wanted, ...got].map((l) => l.tag))].sort()
  for (const tag of tags) {
    const mine = byTag(wanted, 'command', tag).map((l) => maskCommand(l.text))
    const theirs = byTag(got, 'command', tag).map((l) => maskCommand(l.text))
    if (mine.join('\n') !== theirs.join('\n')) {
      problems.push(`commands${tag ? ` of [${tag}]` : ''} differ:\n    sample:\n      ${mine.join('\n      ') || '(none)'}\n    output:\n      ${theirs.join('\n      ') || '(none)'}`)
    }
    const reports = (all: Line[]) => byTag(all, 'report', tag).map((l) => maskReport(l.text, masks)).sort()
    const [a, b] = [reports(wanted), reports(got)]
    const missing = b.filter((r, i) => b.indexOf(r) === i && a.filter((x) => x === r).length < b.filter((x) => x === r).length)
    const extra = a.filter((r, i) => a.indexOf(r) === i && b.filter((x) => x === r).length < a.filter((x) => x === r).length)
    if (missing.length) problems.push(`reports${tag ? ` of [${tag}]` : ''} the step printed and the sample lacks:\n      ${missing.join('\n      ')}`)
    if (extra.length) problems.push(`reports${tag ? ` of [${tag}]` : ''} in the sample that the step did not print:\n      ${extra.join('\n      ')}`)
  }
  const rows = (all: Line[]) => all.filter((l) => l.kind === 'row').map((l) => rowKey(l.text, masks))
  if (rows(wanted).join('\n') !== rows(got).join('\n')) problems.push(`table rows differ:\n    sample:\n      ${rows(wanted).join('\n      ')}\n    output:\n      ${rows(got).join('\n      ')}`)
  return problems
}

// A sample line as a pattern: masked like the output, its "..." matching anything.
function pattern(line: string, masks: Masks): RegExp {
  const parts = maskReport(line.trim(), masks).split(/\.\.\.(?!\/out\/)|…/)
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
}

// Differences between a failure sample and what the step printed when it failed: every line
// of the sample is a line of the output, in order; the ✖ and → lines must be among them.
export function failureDifferences(sample: string[], output: string, masks: Masks = {}): string[] {
  const got = output.replace(ansi, '').split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const problems: string[] = []
  let at = 0
  // The doctor's rows about the test machine (and their fix lines) only have to be there.
  const machine = (line: string) => machineRows.find((name) => line.startsWith(`${name} `))
  const kept = sample.map((l) => l.trim()).filter((l, i, all) => l !== '' && !machine(l) && !(l.startsWith('fix:') && machine(all[i - 1] ?? '')))
  for (const name of sample.map((l) => machine(l.trim())).filter((n): n is string => n !== undefined)) {
    if (!got.some((g) => g.startsWith(`${name} `))) problems.push(`the output has no ${name} row`)
  }
  for (const line of kept) {
    const match = pattern(line, masks)
    const found = got.findIndex((g, i) => i >= at && match.test(maskReport(g, masks)))
    if (found < 0) problems.push(`the sample's line is not in the output (in this order): ${line}`)
    else at = found + 1
  }
  for (const mark of ['✖', '→']) {
    if (!sample.some((l) => l.trim().startsWith(mark))) problems.push(`the sample has no ${mark} line`)
  }
  return problems
}
