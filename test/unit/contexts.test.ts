import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { contextServer, kubeconfigFiles, listContexts, requireContext } from '../../lib/contexts.ts'
import { scratchDir } from '../scratch.ts'

function kubeconfig(contexts: Array<[name: string, server: string]>): string {
  return `apiVersion: v1
kind: Config
clusters:
${contexts.map(([name, server]) => `- name: ${name}\n  cluster:\n    server: ${server}`).join('\n')}
contexts:
${contexts.map(([name]) => `- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}`).join('\n')}
users:
${contexts.map(([name]) => `- name: ${name}\n  user:\n    token: t`).join('\n')}
current-context: ${contexts[0]?.[0] ?? '""'}
`
}

function kubectlContexts(env: NodeJS.ProcessEnv): string[] {
  return execFileSync('kubectl', ['config', 'get-contexts', '-o', 'name'], { env: { PATH: process.env.PATH, HOME: env.HOME, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8' })
    .split('\n').filter(Boolean)
}

test('contexts agree with the real kubectl, across several kubeconfig files', async () => {
  const dir = scratchDir('workbook-kubeconfig-')
  const first = join(dir, 'one')
  const second = join(dir, 'two')
  writeFileSync(first, kubeconfig([['kind-cluster-east', 'https://127.0.0.1:40001'], ['gke_project_zone_prod', 'https://34.1.2.3']]))
  writeFileSync(second, kubeconfig([['kind-cluster-west', 'https://127.0.0.1:40002'], ['kind-cluster-east', 'https://shadowed:1']]))
  const env = { HOME: dir, KUBECONFIG: [first, join(dir, 'missing'), second].join(delimiter) }
  const ours = await listContexts(env)
  assert.deepEqual([...ours].sort(), kubectlContexts(env).sort())
  assert.deepEqual([...ours].sort(), ['gke_project_zone_prod', 'kind-cluster-east', 'kind-cluster-west'])
  // The first file that names a context wins, as with kubectl.
  assert.equal(await contextServer('kind-cluster-east', env), 'https://127.0.0.1:40001')
  assert.equal(await contextServer('kind-cluster-west', env), 'https://127.0.0.1:40002')
})

test('without KUBECONFIG, ~/.kube/config is read; no file means no contexts', async () => {
  const home = scratchDir('workbook-home-')
  assert.deepEqual(kubeconfigFiles({ HOME: home }), [])
  assert.deepEqual(await listContexts({ HOME: home }), [])
  assert.deepEqual(kubectlContexts({ HOME: home }), [])
})

test('a missing context is an error that lists the ones that exist', () => {
  assert.equal(requireContext('kind-cluster-east', ['kind-cluster-east'], 'east', 'fix'), 'kind-cluster-east')
  assert.throws(() => requireContext('kind-cluster-west', ['kind-cluster-east', 'minikube'], 'west', 'make 01'),
    /no kubeconfig context "kind-cluster-west" for the west cluster \(the kubeconfig has: kind-cluster-east, minikube\)/)
  assert.throws(() => requireContext('kind-cluster-west', [], 'west', 'make 01'), /has no contexts at all/)
})

test('an unreadable kubeconfig is reported with its path', async () => {
  const dir = scratchDir('workbook-kubeconfig-')
  const bad = join(dir, 'bad')
  writeFileSync(bad, 'clusters: [unclosed')
  await assert.rejects(listContexts({ KUBECONFIG: bad }), new RegExp(`kubeconfig ${bad} cannot be read`))
})
