import { test } from 'node:test'
import assert from 'node:assert/strict'
import { kindNetworkName, kubeconfigLockFile, kubeconfigTurn, lockLeftOver, lostKubeconfigLock, requireDockerNodes } from '../../lib/kind.ts'
import { scratchDir } from '../scratch.ts'

test('kind commands that write the kubeconfig take turns, even after one fails', async () => {
  const events: string[] = []
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const job = (name: string, ms: number, fails = false) => kubeconfigTurn(async () => {
    events.push(`start ${name}`)
    await sleep(ms)
    events.push(`end ${name}`)
    if (fails) throw new Error(`${name} failed`)
    return name
  })
  const results = await Promise.allSettled([job('east', 30, true), job('west', 5)])
  assert.deepEqual(events, ['start east', 'end east', 'start west', 'end west'])
  assert.equal(results[0].status, 'rejected')
  assert.deepEqual(results[1], { status: 'fulfilled', value: 'west' })
})

test('kind\'s lost lock race is recognised', () => {
  assert.ok(lostKubeconfigLock('ERROR: failed to create cluster: failed to lock config file: open /root/.kube/config.lock: file exists'))
  assert.ok(!lostKubeconfigLock('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "cluster-east"'))
})

test('the lock file is read from kind\'s message; one older than the command is left over', async () => {
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  assert.equal(kubeconfigLockFile('ERROR: failed to create cluster: failed to lock config file: open /home/me/.kube/config.lock: file exists'), '/home/me/.kube/config.lock')
  assert.equal(kubeconfigLockFile('ERROR: failed to delete cluster "cluster-east": failed to lock config file: open /tmp/a b/config.lock: file exists'), '/tmp/a b/config.lock')
  assert.equal(kubeconfigLockFile('ERROR: failed to create cluster: node(s) already exist'), undefined)
  const lock = join(scratchDir('workbook-lock-'), 'config.lock')
  assert.equal(lockLeftOver(lock, Date.now()), false, 'no lock, nothing left over')
  writeFileSync(lock, '')
  assert.equal(lockLeftOver(lock, Date.now() + 5000), true)
  assert.equal(lockLeftOver(lock, Date.now() - 60_000), false, 'made after the command started: another kind writing now')
})

test('kind\'s network follows KIND_EXPERIMENTAL_DOCKER_NETWORK; kind on Podman or nerdctl is refused', () => {
  assert.equal(kindNetworkName({}), 'kind')
  assert.equal(kindNetworkName({ KIND_EXPERIMENTAL_DOCKER_NETWORK: 'lab-net' }), 'lab-net')
  assert.doesNotThrow(() => requireDockerNodes({}))
  assert.doesNotThrow(() => requireDockerNodes({ KIND_EXPERIMENTAL_PROVIDER: 'docker' }))
  assert.doesNotThrow(() => requireDockerNodes({ KIND_EXPERIMENTAL_PROVIDER: 'something' }), 'kind ignores values it does not know')
  for (const provider of ['podman', 'nerdctl', 'finch', 'nerdctl.lima']) {
    assert.throws(() => requireDockerNodes({ KIND_EXPERIMENTAL_PROVIDER: provider }),
      (error: Error & { fix?: string }) => error.message.startsWith(`KIND_EXPERIMENTAL_PROVIDER=${provider} makes kind run the clusters on ${provider}`) && /CLUSTER_PROVIDER=existing/.test(error.fix ?? ''))
  }
})
