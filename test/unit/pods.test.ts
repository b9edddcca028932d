import { test } from 'node:test'
import assert from 'node:assert/strict'
import { currentPod, podsUsingCsiDriver, spiffeCsiDriver } from '../../lib/pods.ts'

test('the pods that mount a CSI driver\'s volume are found in kubectl\'s pod list, and only those', () => {
  const list = JSON.stringify({
    items: [
      { metadata: { name: 'helloworld-v1-abc', namespace: 'default' }, spec: { volumes: [{ name: 'istio-envoy', emptyDir: {} }, { name: 'workload-socket', csi: { driver: 'csi.spiffe.io', readOnly: true } }] } },
      { metadata: { name: 'istiod-xyz', namespace: 'istio-system' }, spec: { volumes: [{ name: 'local-certs', emptyDir: {} }] } },
      { metadata: { name: 'other', namespace: 'default' }, spec: { volumes: [{ name: 'data', csi: { driver: 'ebs.csi.aws.com' } }] } },
      { metadata: { name: 'no-volumes', namespace: 'default' }, spec: {} },
    ],
  })
  assert.deepEqual(podsUsingCsiDriver(list, spiffeCsiDriver), ['default/helloworld-v1-abc'])
  assert.deepEqual(podsUsingCsiDriver(list, 'ebs.csi.aws.com'), ['default/other'])
  assert.deepEqual(podsUsingCsiDriver('{"items": []}', spiffeCsiDriver), [])
  assert.deepEqual(podsUsingCsiDriver('not json', spiffeCsiDriver), [])
})

test('a workload\'s current pod is its newest one that is not terminating', () => {
  const pod = (name: string, created: string, extra: Record<string, string> = {}) => ({ metadata: { name, uid: `uid-${name}`, creationTimestamp: created, ...extra }, spec: { serviceAccountName: 'curl', nodeName: 'cluster-east-control-plane' } })
  const list = JSON.stringify({ items: [pod('old', '2025-09-05T17:00:00Z'), pod('newest-leaving', '2025-09-05T17:02:00Z', { deletionTimestamp: '2025-09-05T17:03:00Z' }), pod('new', '2025-09-05T17:01:00Z')] })
  assert.deepEqual(currentPod(list), { name: 'new', uid: 'uid-new', serviceAccount: 'curl', node: 'cluster-east-control-plane' })
  assert.equal(currentPod('{"items": []}'), undefined)
  assert.equal(currentPod('No resources found'), undefined)
})
