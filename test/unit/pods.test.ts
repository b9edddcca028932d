import { test } from 'node:test'
import assert from 'node:assert/strict'
import { podsUsingCsiDriver, spiffeCsiDriver } from '../../lib/pods.ts'

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
