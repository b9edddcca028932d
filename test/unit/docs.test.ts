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

test('every relative link in README.md and docs/ resolves to a file or folder', () => {
  const files = [...(existsSync(readmePath) ? [readmePath] : []), ...markdownFiles(docsDir)]
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
