import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { WorkbookError } from '../../lib/errors.ts'
import { placeholdersIn, renderTemplate, renderYaml, substitute, templateFile, templateOverlays, templatesDir } from '../../lib/template.ts'
import { scratchDir } from '../scratch.ts'

test('substitute fills every placeholder and leaves other text alone', () => {
  assert.equal(substitute('https://${HOST}:8443/${HOST}', { HOST: '10.0.0.1' }, 't'), 'https://10.0.0.1:8443/10.0.0.1')
  assert.equal(substitute('{{ .TrustDomain }} $HOME', {}, 't'), '{{ .TrustDomain }} $HOME')
})

test('a missing variable is an error that names it and the template', () => {
  assert.throws(() => renderYaml('a: ${CLUSTER}\nb: ${BUNDLE_ENDPOINT}\n', { CLUSTER: 'east' }, 'templates/x.yaml'),
    (error: unknown) => error instanceof WorkbookError && /\$\{BUNDLE_ENDPOINT\}/.test(error.message) && /templates\/x\.yaml/.test(error.message))
})

test('values with /, &, quotes, colons, hashes or newlines cannot break the YAML', () => {
  const nasty = [
    'a/b&c\\d',
    `it's "quoted"`,
    'key: value # not a comment',
    'line one\nline two\n  indented: three',
    '- not a list',
    '{not: a map}',
    '*alias',
    '',
  ]
  for (const value of nasty) {
    const text = renderYaml('spec:\n  field: ${VALUE}\n  list:\n    - ${VALUE}\n  other: fixed\n', { VALUE: value }, 't')
    const parsed = parse(text)
    assert.equal(parsed.spec.field, value, `field for ${JSON.stringify(value)} in:\n${text}`)
    assert.deepEqual(parsed.spec.list, [value])
    assert.equal(parsed.spec.other, 'fixed')
  }
})

test('a placeholder inside a longer string keeps the rest of the string', () => {
  const parsed = parse(renderYaml('url: https://${HOST}:8443\n', { HOST: 'a&b' }, 't'))
  assert.equal(parsed.url, 'https://a&b:8443')
})

test('several documents stay several documents, comments survive', () => {
  const text = renderYaml('# top\na: ${X}\n---\nb: ${X}\n', { X: 'one' }, 't')
  assert.match(text, /# top/)
  assert.deepEqual(parseAllDocuments(text).map((doc) => doc.toJS()), [{ a: 'one' }, { b: 'one' }])
})

test('invalid template YAML is reported with the template name', () => {
  assert.throws(() => renderYaml('a: [unclosed\n', {}, 'templates/broken.yaml'), /templates\/broken\.yaml is not valid YAML/)
})

test('every template renders once its placeholders are given, and leaves none behind', () => {
  for (const name of readdirSync(templatesDir).filter((file) => file.endsWith('.yaml'))) {
    const source = readFileSync(templatesDir + name, 'utf8')
    const vars = Object.fromEntries(placeholdersIn(source).map((p) => [p, `value-of-${p.toLowerCase()}`]))
    const text = renderTemplate(name, vars)
    // The workbook's own notion of a placeholder (any ${name}, lower case included), not a narrower one.
    assert.deepEqual(placeholdersIn(text), [], name)
    assert.doesNotMatch(text, /\$\{/, name)
    for (const doc of parseAllDocuments(text)) assert.equal(doc.errors.length, 0, name)
  }
})

test('WORKBOOK_TEMPLATES: the first folder that holds a template wins, else templates/', () => {
  const root = scratchDir('workbook-overlay-')
  const [mine, theirs] = [join(root, 'mine'), join(root, 'theirs')]
  mkdirSync(mine)
  mkdirSync(theirs)
  writeFileSync(join(mine, 'curl.yaml'), 'mine: ${X}\n')
  writeFileSync(join(theirs, 'curl.yaml'), 'theirs: ${X}\n')
  writeFileSync(join(theirs, 'helloworld.yaml'), 'theirs: hello\n')
  const env = { WORKBOOK_TEMPLATES: [mine, '', theirs].join(delimiter) }
  assert.deepEqual(templateOverlays(env), [mine, theirs])
  assert.equal(templateFile('curl.yaml', env), join(mine, 'curl.yaml'))
  assert.equal(templateFile('helloworld.yaml', env), join(theirs, 'helloworld.yaml'))
  assert.equal(templateFile('destination-rule.yaml', env), templatesDir + 'destination-rule.yaml')
  assert.equal(templateFile('curl.yaml', {}), templatesDir + 'curl.yaml')
  // renderTemplate follows the variable as the process has it.
  const saved = process.env.WORKBOOK_TEMPLATES
  process.env.WORKBOOK_TEMPLATES = env.WORKBOOK_TEMPLATES
  try {
    assert.equal(renderTemplate('curl.yaml', { X: 'one' }), 'mine: one\n')
    assert.throws(() => renderTemplate('curl.yaml'), (error: unknown) => error instanceof WorkbookError && error.message.includes(join('mine', 'curl.yaml')))
  } finally {
    if (saved === undefined) delete process.env.WORKBOOK_TEMPLATES
    else process.env.WORKBOOK_TEMPLATES = saved
  }
})
