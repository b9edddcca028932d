// The docs are read next to the scripts, one page per step. These checks keep the two in
// step: every numbered script has its page and every page its script, each page names its
// script and links the pages before and after it, and no relative link in README.md or
// docs/ points at a file that is not there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const docsDir = join(root, 'docs')
const scriptsDir = join(root, 'scripts')
const readmePath = join(root, 'README.md')

// "05-federate-bundles": two digits, a dash, a lowercase name.
const numbered = /^(\d\d-[a-z0-9-]+)\.(ts|md)$/

function numberedNames(dir: string, extension: 'ts' | 'md'): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .map((file) => numbered.exec(file))
    .filter((match): match is RegExpExecArray => match !== null && match[2] === extension)
    .map((match) => match[1]!)
    .sort()
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return markdownFiles(path)
    return entry.endsWith('.md') ? [path] : []
  })
}

const scripts = numberedNames(scriptsDir, 'ts')
const pages = numberedNames(docsDir, 'md')
const show = (file: string) => relative(root, file).split(sep).join('/')

// Code is not prose: links inside fenced blocks (sample output, Mermaid) and inline code
// spans are not links on GitHub either.
function withoutCode(markdown: string): string {
  const kept: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence === undefined && opener) {
      fence = opener[1]!
      kept.push('')
    } else if (fence !== undefined) {
      if (line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '') fence = undefined
      kept.push('')
    } else {
      kept.push(line.replace(/(`+)[^`]*?\1/g, ''))
    }
  }
  return kept.join('\n')
}

// Link targets as GitHub reads them: [text](target "title"), [text](<target>),
// reference definitions "[id]: target", and href/src attributes of inline HTML.
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown)
  const targets: string[] = []
  for (const match of text.matchAll(/\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) targets.push(match[1]!)
  for (const match of text.matchAll(/^\s{0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm)) targets.push(match[1]!)
  for (const match of text.matchAll(/\b(?:href|src)\s*=\s*"([^"]*)"/g)) targets.push(match[1]!)
  return targets.map((target) => target.replace(/^<(.*)>$/, '$1'))
}

// A target that names a file in the repository, without its #anchor or ?query; undefined
// for anchors within the page and for links that leave the repository (http, mailto, ...).
function relativeFile(target: string): string | undefined {
  if (target === '' || target.startsWith('#')) return undefined
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined
  const path = target.replace(/[#?].*$/, '')
  if (path === '') return undefined
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

// Where a relative target points, from the file that holds it ("/x" is the repo root, as on GitHub).
function resolveFrom(file: string, target: string): string {
  return target.startsWith('/') ? join(root, target) : resolve(dirname(file), target)
}

function linkedFiles(file: string): Set<string> {
  const files = new Set<string>()
  for (const target of linkTargets(readFileSync(file, 'utf8'))) {
    const path = relativeFile(target)
    if (path !== undefined) files.add(resolve(resolveFrom(file, path)))
  }
  return files
}

test('the link reader finds links in prose and skips code, anchors and other sites', () => {
  const sample = [
    'See [step 05](05-federate-bundles.md#what-it-does) and [the script](<../scripts/05-federate-bundles.ts>).',
    'Also [`make 05`](../Makefile "the targets") and ![diagram](img/x.png).',
    '`[not a link](nowhere.md)` and [top](#top) and [Istio](https://istio.io/).',
    '```',
    '[also not a link](nowhere.md)',
    '```',
    '[ref]: architecture.md',
    '<a href="troubleshooting.md#docker-memory">memory</a>',
  ].join('\n')
  const files = linkTargets(sample).map(relativeFile).filter((t) => t !== undefined)
  assert.deepEqual(files.sort(), ['../Makefile', '../scripts/05-federate-bundles.ts', '05-federate-bundles.md', 'architecture.md', 'img/x.png', 'troubleshooting.md'].sort())
})

test('there are numbered scripts to document', () => {
  assert.ok(scripts.length > 0, `no numbered scripts found in ${show(scriptsDir)}`)
})

test('every numbered script has its page docs/NN-name.md, and says so in its first lines', () => {
  const missing = scripts.filter((name) => !pages.includes(name))
  assert.deepEqual(missing, [], `scripts without a page in docs/: ${missing.map((n) => `scripts/${n}.ts needs docs/${n}.md`).join(', ')}`)
  for (const name of scripts) {
    const head = readFileSync(join(scriptsDir, `${name}.ts`), 'utf8').split('\n').slice(0, 5).join('\n')
    assert.match(head, new RegExp(`^// Page: docs/${name}\\.md$`, 'm'), `scripts/${name}.ts should begin with the comment "// Page: docs/${name}.md"`)
  }
})

test('every numbered page has its script scripts/NN-name.ts', () => {
  const orphans = pages.filter((name) => !scripts.includes(name))
  assert.deepEqual(orphans, [], `pages without a script: ${orphans.map((n) => `docs/${n}.md has no scripts/${n}.ts`).join(', ')}`)
})

test('each page names its script and links to it', () => {
  for (const name of pages) {
    const file = join(docsDir, `${name}.md`)
    const text = readFileSync(file, 'utf8')
    assert.ok(text.includes(`scripts/${name}.ts`), `docs/${name}.md should name scripts/${name}.ts`)
    assert.ok(linkedFiles(file).has(join(scriptsDir, `${name}.ts`)), `docs/${name}.md should link to its script: [scripts/${name}.ts](../scripts/${name}.ts)`)
  }
})

test('each page links to the previous and the next page', () => {
  for (const [i, name] of pages.entries()) {
    const links = linkedFiles(join(docsDir, `${name}.md`))
    const previous = pages[i - 1]
    const next = pages[i + 1]
    if (previous) assert.ok(links.has(join(docsDir, `${previous}.md`)), `docs/${name}.md should link to the previous page, ${previous}.md`)
    if (next) assert.ok(links.has(join(docsDir, `${next}.md`)), `docs/${name}.md should link to the next page, ${next}.md`)
  }
})

test('docs/README.md, docs/architecture.md and docs/troubleshooting.md exist', () => {
  for (const page of ['README.md', 'architecture.md', 'troubleshooting.md']) {
    assert.ok(existsSync(join(docsDir, page)), `docs/${page} is missing`)
  }
})

test('docs/README.md links every step\'s page and script', () => {
  const links = linkedFiles(join(docsDir, 'README.md'))
  for (const name of scripts) {
    assert.ok(links.has(join(docsDir, `${name}.md`)), `docs/README.md should link docs/${name}.md`)
    assert.ok(links.has(join(scriptsDir, `${name}.ts`)), `docs/README.md should link scripts/${name}.ts`)
  }
})

test('docs/architecture.md holds the two Mermaid diagrams', () => {
  const text = readFileSync(join(docsDir, 'architecture.md'), 'utf8')
  const diagrams = [...text.matchAll(/^```mermaid\s*\n([\s\S]*?)^```/gm)].map((m) => m[1]!)
  assert.ok(diagrams.length >= 2, `docs/architecture.md should hold two \`\`\`mermaid blocks, found ${diagrams.length}`)
  assert.ok(diagrams.some((d) => /^\s*(flowchart|graph)\b/m.test(d)), 'one diagram should be a flowchart of the two clusters')
  assert.ok(diagrams.some((d) => /^\s*sequenceDiagram\b/m.test(d)), 'one diagram should be a sequence diagram of federation')
})

test('README.md exists at the repository root', () => {
  assert.ok(existsSync(readmePath),
    'README.md is missing at the repository root. The finished workbook has one (it is written separately from docs/, ' +
    'and links docs/README.md and docs/architecture.md); this test checks its links as soon as it exists.')
})

test('every relative link in README.md, CONTRIBUTING.md and docs/ resolves to a file or folder', () => {
  const files = [readmePath, join(root, 'CONTRIBUTING.md')].filter((file) => existsSync(file)).concat(markdownFiles(docsDir))
  const broken: string[] = []
  for (const file of files) {
    for (const target of linkTargets(readFileSync(file, 'utf8'))) {
      const path = relativeFile(target)
      if (path === undefined) continue
      const resolved = resolveFrom(file, path)
      if (!existsSync(resolved)) broken.push(`${show(file)}: ${target} (no ${show(resolved)})`)
      else if (!resolve(resolved).startsWith(resolve(root))) broken.push(`${show(file)}: ${target} (outside the repository)`)
    }
  }
  assert.deepEqual(broken, [], `broken links:\n  ${broken.join('\n  ')}`)
})

// ---------- the glossary: every term linked where a page first uses it ----------

// The glossary's terms, how a page writes each (in prose; a few that are names in code also
// as an inline code span of their own, `ROOTCA`), and the heading that defines it. "bundle"
// is not "bundle endpoint"; "network" is Istio's only when a page says so ("Istio network").
const glossaryTerms: ReadonlyArray<{ anchor: string; pattern: RegExp; code?: boolean }> = [
  { anchor: 'spiffe-id', pattern: /\bSPIFFE\s+IDs?\b/ },
  { anchor: 'trust-domain', pattern: /\btrust\s+domains?\b/i },
  { anchor: 'svid', pattern: /\b(?:X\.509-|X509-)?SVIDs?\b/ },
  { anchor: 'bundle', pattern: /\b(?:trust\s+)?bundles?\b(?!\s+endpoint)/i },
  { anchor: 'jwks', pattern: /\bJWKS\b/ },
  { anchor: 'registration-entry', pattern: /\bregistration\s+entr(?:y|ies)\b/i },
  { anchor: 'federation', pattern: /\bfederat(?:ion|ions|e|es|ed|ing)\b/i },
  { anchor: 'bundle-endpoint', pattern: /\bbundle\s+endpoints?\b/i },
  { anchor: 'https_spiffe', pattern: /\bhttps_spiffe\b/, code: true },
  { anchor: 'san', pattern: /\bSANs?\b/ },
  { anchor: 'xds', pattern: /\bxDS\b/ },
  { anchor: 'sds', pattern: /\bSDS\b/ },
  { anchor: 'rootca', pattern: /\bROOTCA\b/, code: true },
  { anchor: 'mesh-id', pattern: /\bmesh\s+IDs?\b/i },
  { anchor: 'network', pattern: /\bIstio\s+networks?\b/i },
  { anchor: 'east-west-gateway', pattern: /\beast-west\s+gateways?\b/i },
  { anchor: 'auto_passthrough', pattern: /\bAUTO_PASSTHROUGH\b/, code: true },
  { anchor: 'remote-secret', pattern: /\bremote\s+secrets?\b/i },
]

const glossaryPath = join(docsDir, 'glossary.md')

// GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces as -.
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')

// The page as prose, at the same offsets: fenced blocks, headings and navigation lines (links
// and separators only) blanked, and in `prose` every inline code span (listed in `spans`) and
// every link's target blanked too.
function proseOf(markdown: string): { prose: string; text: string; spans: Array<{ at: number; content: string }> } {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ')
  let fence: string | undefined
  const lines = markdown.split('\n').map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)
    if (fence === undefined && opener) {
      fence = opener[1]!
      return blank(line)
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '') fence = undefined
      return blank(line)
    }
    if (/^\s{0,3}#{1,6}\s/.test(line)) return blank(line)
    // A line of links joined by " · " (the navigation bars, a list of contents) is not prose.
    if (line.includes('·') && line.replace(/\[[^\]]*\]\([^)]*\)/g, '').replace(/[\s·]/g, '') === '') return blank(line)
    return line
  })
  const text = lines.join('\n')
  const spans: Array<{ at: number; content: string }> = []
  const prose = text.replace(/(`+)([^`]*?)\1/g, (whole, _ticks: string, content: string, at: number) => {
    spans.push({ at, content: content.trim() })
    return blank(whole)
  }).replace(/\]\([^)]*\)/g, (target) => blank(target)) // where a link points is not prose
  return { prose, text, spans }
}

// Where the term is first used on a page: its offset, or undefined when the page never uses it.
function firstUse(page: ReturnType<typeof proseOf>, term: (typeof glossaryTerms)[number]): number | undefined {
  const inProse = page.prose.search(term.pattern)
  const inCode = term.code ? page.spans.find((span) => new RegExp(`^(?:${term.pattern.source})$`, term.pattern.flags).test(span.content))?.at : undefined
  const uses = [inProse, inCode].filter((at): at is number => at !== undefined && at >= 0)
  return uses.length ? Math.min(...uses) : undefined
}

// The link around an offset, if there is one: its target.
function linkAround(text: string, at: number): string | undefined {
  for (const match of text.matchAll(/\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*(<[^>]*>|[^)\s]+)[^)]*\)/g)) {
    const start = match.index! + 1
    if (at >= start && at < start + match[1]!.length) return match[2]!.replace(/^<(.*)>$/, '$1')
  }
  return undefined
}

function pagesThatUseTheGlossary(): string[] {
  return readdirSync(docsDir).filter((file) => file.endsWith('.md') && file !== 'glossary.md').map((file) => join(docsDir, file))
}

test('the first-use reader: code, headings and navigation do not count; a link to the glossary does', () => {
  const page = proseOf([
    '# The trust domain page',
    '[All steps](README.md) · [Next: Federate the bundles →](05-federate-bundles.md)',
    '```text',
    'ROOTCA  CA  ACTIVE  east.local',
    '```',
    'Run `spire-server bundle show` and read `ROOTCA` for each [trust domain](glossary.md#trust-domain) and its bundle.',
  ].join('\n'))
  const term = (anchor: string) => glossaryTerms.find((t) => t.anchor === anchor)!
  const domain = firstUse(page, term('trust-domain'))!
  assert.equal(linkAround(page.text, domain), 'glossary.md#trust-domain')
  const rootca = firstUse(page, term('rootca'))!
  assert.equal(page.text.slice(rootca, rootca + 8), '`ROOTCA`', 'a code span of the term itself counts')
  assert.equal(linkAround(page.text, rootca), undefined)
  const bundle = firstUse(page, term('bundle'))!
  assert.equal(page.text.slice(bundle, bundle + 6), 'bundle', 'not the command in code, nor the link in the navigation line')
  assert.ok(bundle > rootca)
  assert.equal(firstUse(proseOf('Its bundle endpoint.'), term('bundle')), undefined, '"bundle endpoint" is a term of its own')
})

test('docs/glossary.md defines every term under a heading of its own', () => {
  const headings = readFileSync(glossaryPath, 'utf8').split('\n').filter((line) => /^#{2,4}\s/.test(line)).map((line) => slug(line.replace(/^#+\s*/, '')))
  const missing = glossaryTerms.filter((term) => !headings.includes(term.anchor)).map((term) => term.anchor)
  assert.deepEqual(missing, [], `docs/glossary.md has no heading for: ${missing.join(', ')}`)
})

test('every page of docs/ links each glossary term at its first use', () => {
  const problems: string[] = []
  for (const file of pagesThatUseTheGlossary()) {
    const page = proseOf(readFileSync(file, 'utf8'))
    for (const term of glossaryTerms) {
      const at = firstUse(page, term)
      if (at === undefined) continue
      const target = linkAround(page.text, at)
      const line = page.text.slice(0, at).split('\n').length
      const word = (page.prose.slice(at).match(term.pattern) ?? page.text.slice(at).match(/`[^`]*`/))?.[0]
      if (target !== `glossary.md#${term.anchor}`) problems.push(`${show(file)}:${line}: "${word}" should link [${word}](glossary.md#${term.anchor})${target ? ` (it links ${target})` : ''}`)
    }
  }
  assert.deepEqual(problems, [], `first uses without their glossary link:\n  ${problems.join('\n  ')}`)
})
