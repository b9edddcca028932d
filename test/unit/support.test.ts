// The supported ranges of lib/defaults.ts, judged as the doctor and the steps judge them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { tools } from '../../lib/defaults.ts'
import { judge, usable } from '../../lib/support.ts'
import { parseVersion } from '../../lib/versions.ts'

const verdict = (tool: Parameters<typeof judge>[0], version: string, options?: Parameters<typeof judge>[2]) => judge(tool, parseVersion(version)!, options).verdict

test('the default release of each tool is "default"', () => {
  for (const [tool, support] of Object.entries(tools)) assert.equal(verdict(tool as keyof typeof tools, support.release), 'default', tool)
})

test('istioctl: 1.29 and 1.30 are supported, 1.28 too old (with the reason), 1.31 newer than tried', () => {
  assert.equal(verdict('istioctl', '1.29.0'), 'fine')
  assert.equal(verdict('istioctl', '1.29.6'), 'fine')
  assert.equal(verdict('istioctl', '1.30.4'), 'fine', 'a patch of a tried minor counts as tried')
  const old = judge('istioctl', [1, 28, 10])
  assert.equal(old.verdict, 'too old')
  assert.equal(old.text, '1.28.10 is older than 1.29.0')
  assert.match(old.why ?? '', /supportStatus\.yml/)
  assert.equal(verdict('istioctl', '1.27.3'), 'too old')
  const newer = judge('istioctl', [1, 31, 0])
  assert.equal(newer.verdict, 'newer than tried')
  assert.equal(newer.text, '1.31.0 is newer than anything tried (the newest tried is 1.30.3)')
  assert.equal(verdict('istioctl', '2.0.0'), 'newer than tried')
})

test('helm: each major version has its own floor, the one built with the nodes\' Kubernetes client', () => {
  assert.equal(verdict('helm', '3.19.4'), 'too old')
  assert.equal(verdict('helm', '3.20.0'), 'fine')
  assert.equal(verdict('helm', '3.21.4'), 'fine')
  assert.equal(verdict('helm', '4.0.5'), 'too old', 'Helm 4.0 was built with the 1.34 client')
  assert.equal(verdict('helm', '4.1.4'), 'fine')
  assert.equal(verdict('helm', '4.2.9'), 'fine')
  assert.equal(verdict('helm', '4.3.0'), 'newer than tried')
  assert.equal(verdict('helm', '2.17.0'), 'too old', 'a major version older than every floor')
  assert.equal(verdict('helm', '5.0.0'), 'newer than tried')
})

test('kind before the release of the node image is too old; kubectl follows the nodes, unless the clusters are your own', () => {
  assert.equal(verdict('kind', '0.29.0'), 'too old')
  assert.equal(verdict('kind', '0.32.0'), 'newer than tried')
  assert.equal(verdict('kubectl', '1.34.3'), 'fine')
  assert.equal(verdict('kubectl', '1.33.9'), 'too old')
  assert.equal(verdict('kubectl', '1.36.0'), 'newer than tried')
  assert.equal(verdict('kubectl', '1.30.1', { anyKubectl: true }), 'fine')
})

test('only the default and the fine are used as they are', () => {
  assert.deepEqual((['default', 'fine', 'newer than tried', 'too old'] as const).map((v) => usable({ verdict: v, text: '' })), [true, true, false, false])
})

// The supported-versions tables of the README and step 00's page say what lib/defaults.ts says.
test('the README and docs/00 tables name each tool\'s default and its oldest supported minor', () => {
  const root = new URL('../../', import.meta.url)
  const minor = (v: string) => v.split('.').slice(0, 2).join('.')
  for (const file of ['README.md', 'docs/00-preflight.md']) {
    const text = readFileSync(new URL(file, root), 'utf8')
    const section = text.slice(text.indexOf('## Supported versions'))
    const names = { kind: 'kind', kubectl: 'kubectl', helm: 'Helm', istioctl: 'istioctl' } as const
    for (const [tool, support] of Object.entries(tools)) {
      const row = section.split('\n').find((line) => line.startsWith(`| ${names[tool as keyof typeof names]} |`))
      assert.ok(row, `${file}: no row for ${tool}`)
      assert.ok(row.includes(`| ${support.release}`), `${file}: ${tool}'s default ${support.release}: ${row}`)
      for (const oldest of support.oldest) assert.ok(row.includes(`${minor(oldest)} `), `${file}: ${tool}'s oldest ${minor(oldest)}: ${row}`)
    }
  }
})
