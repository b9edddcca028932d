// Template substitution: templates/*.yaml hold ${NAME} placeholders, filled here.
// WORKBOOK_TEMPLATES names folders of your own edited templates (a list, like PATH): a
// template found in one of them is used instead of templates/<name>, the first folder first.
//
// The walkthrough fills its files with sed, which breaks as soon as a value holds "/",
// "&", a quote or a newline. We substitute inside the parsed YAML instead: a placeholder
// can only ever become (part of) a string value, whatever the value holds. A value with
// several lines (a trust bundle) is written as a `|-` block scalar, indented under its key,
// which is exactly what the walkthrough's `sed 's/^/    /'` did by hand.
import { existsSync, readFileSync } from 'node:fs'
import { delimiter, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments, visit, Scalar, isScalar } from 'yaml'
import { fail } from './errors.ts'
import { note } from './output.ts'

export type Vars = Readonly<Record<string, string | number>>

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

export const templatesDir = fileURLToPath(new URL('../templates/', import.meta.url))

// Fill the placeholders of one string. A placeholder without a value is an error that names it.
export function substitute(text: string, vars: Vars, where: string): string {
  return text.replace(placeholder, (_, name: string) => {
    const value = vars[name]
    if (value === undefined) fail(`${where} needs a value for \${${name}}, and none was given`, `pass ${name} when rendering ${where}`)
    return String(value)
  })
}

export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(placeholder)].map((m) => m[1]!))]
}

// Render YAML text (one or more documents) with the given values.
export function renderYaml(text: string, vars: Vars, where: string): string {
  const documents = parseAllDocuments(text)
  if (!Array.isArray(documents)) fail(`${where} is empty`)
  const rendered = documents.map((doc) => {
    if (doc.errors.length > 0) fail(`${where} is not valid YAML: ${doc.errors[0]!.message}`)
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value !== 'string' || !node.value.includes('${')) return
        const value = substitute(node.value, vars, where)
        node.value = value
        if (value.includes('\n')) node.type = Scalar.BLOCK_LITERAL
      },
      Pair(_key, pair) {
        if (isScalar(pair.key) && typeof pair.key.value === 'string' && pair.key.value.includes('${')) {
          pair.key.value = substitute(pair.key.value, vars, where)
        }
      },
    })
    return doc.toString({ lineWidth: 0 })
  })
  // A document after the first keeps its own "---" marker when it had one.
  return rendered.map((doc, i) => (i === 0 || doc.startsWith('---') ? doc : `---\n${doc}`)).join('')
}

// The folders WORKBOOK_TEMPLATES names, in order ('' entries skipped).
export function templateOverlays(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.WORKBOOK_TEMPLATES ?? '').split(delimiter).filter((dir) => dir !== '')
}

// Where templates/<name> is read from: the first overlay folder that holds it, else templates/.
export function templateFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of templateOverlays(env)) {
    const file = join(dir, name)
    if (existsSync(file)) return file
  }
  return templatesDir + name
}

// Read templates/<name> (or your edited copy) and render it.
export function renderTemplate(name: string, vars: Vars = {}): string {
  const file = templateFile(name)
  const where = file === templatesDir + name ? `templates/${name}` : relative(process.cwd(), file) || file
  // Said each time: a forgotten WORKBOOK_TEMPLATES would otherwise change what a step applies unseen.
  if (where !== `templates/${name}`) note(undefined, `templates/${name}: using your edited copy ${where} (WORKBOOK_TEMPLATES)`)
  return renderYaml(readFileSync(file, 'utf8'), vars, where)
}
