// Template substitution: templates/*.yaml hold ${NAME} placeholders, filled here.
//
// The walkthrough fills its files with sed, which breaks as soon as a value holds "/",
// "&", a quote or a newline. We substitute inside the parsed YAML instead: a placeholder
// can only ever become (part of) a string value, whatever the value holds. A value with
// several lines (a trust bundle) is written as a `|-` block scalar, indented under its key,
// which is exactly what the walkthrough's `sed 's/^/    /'` did by hand.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments, visit, Scalar, isScalar } from 'yaml'
import { fail } from './errors.ts'

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

// Read templates/<name> and render it.
export function renderTemplate(name: string, vars: Vars = {}): string {
  return renderYaml(readFileSync(templatesDir + name, 'utf8'), vars, `templates/${name}`)
}
