import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { WorkbookError } from '../../lib/errors.ts'
import { editedTemplate, re } from '../../lib/experiments.ts'
import { listExperiments } from '../e2e/experiment-titles.ts'
import { scratchDir } from '../scratch.ts'

const values = '# SPIRE values\nspire-agent:\n  sds:\n    defaultBundleName: "null"  # frees ROOTCA\n    defaultAllBundlesName: ROOTCA\nspire-server:\n  url: https://${BUNDLE_ENDPOINT}:8443\n  list:\n    - west.local\n'

test('an edited template: set, remove and replace by path, comments and placeholders kept', () => {
  const set = editedTemplate(values, 't.yaml', (t) => t.set('spire-agent.sds.defaultBundleName', 'ROOTCA'))
  assert.equal(parse(set)['spire-agent'].sds.defaultBundleName, 'ROOTCA')
  assert.match(set, /^ {4}defaultBundleName: ROOTCA/m, 'written plain, not in the old value\'s quotes')
  assert.match(set, /# SPIRE values/)
  const removed = editedTemplate(values, 't.yaml', (t) => t.remove('spire-server.list'))
  assert.equal(parse(removed)['spire-server'].list, undefined)
  const replaced = editedTemplate(values, 't.yaml', (t) => t.replace('spire-server.url', ':8443', ':8444'))
  assert.equal(parse(replaced)['spire-server'].url, 'https://${BUNDLE_ENDPOINT}:8444')
})

test('an edited template that does not have the path, or that the change leaves as it was, is an error that names it', () => {
  const refused = (edit: Parameters<typeof editedTemplate>[2], pattern: RegExp) =>
    assert.throws(() => editedTemplate(values, 'templates/spire-base.yaml', edit), (error: unknown) => error instanceof WorkbookError && pattern.test(error.message))
  refused((t) => t.set('spire-agent.sds.defaultSVIDName', 'x'), /templates\/spire-base\.yaml has no spire-agent\.sds\.defaultSVIDName: this experiment changes it/)
  refused((t) => t.remove('spire-server.federatesWith'), /has no spire-server\.federatesWith/)
  refused((t) => t.replace('spire-server.url', ':9443', ':8444'), /spire-server\.url does not hold ":9443"/)
  refused((t) => t.set('spire-agent.sds.defaultAllBundlesName', 'ROOTCA'), /the experiment's change changes nothing/)
})

test('re`...` fills names in literally, and ^ $ match a line', () => {
  const pattern = re`^\* ${'west.local'}$`
  assert.ok(pattern.test('banner\n* west.local\n'))
  assert.ok(!pattern.test('* westXlocal'))
  assert.ok(re`\(${'a+b'}\) ok`.test('(a+b) ok'))
})

test('the experiments there are, with the titles their scripts give', () => {
  const dir = join(scratchDir('workbook-experiments-'), 'experiments')
  mkdirSync(dir)
  writeFileSync(join(dir, 'b-thing.ts'), "const ex = await experiment('b-thing', 'the gateway\\'s own title')\n")
  writeFileSync(join(dir, 'a-thing.ts'), "const ex = await experiment('a-thing', 'first', { tools: [] })\n")
  writeFileSync(join(dir, 'notes.md'), 'not a script')
  assert.deepEqual(listExperiments(dir), [{ name: 'a-thing', title: 'first' }, { name: 'b-thing', title: "the gateway's own title" }])
  assert.ok(listExperiments().length >= 7)
})
