import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultStorageClass } from '../../lib/storage.ts'

const sc = (name: string, annotations: Record<string, string> = {}) => ({ metadata: { name, annotations } })

test('the default StorageClass is the one annotated so (the current or the beta annotation)', () => {
  assert.equal(defaultStorageClass(JSON.stringify({ items: [sc('fast'), sc('standard-rwo', { 'storageclass.kubernetes.io/is-default-class': 'true' })] })), 'standard-rwo')
  assert.equal(defaultStorageClass(JSON.stringify({ items: [sc('gp2', { 'storageclass.beta.kubernetes.io/is-default-class': 'true' })] })), 'gp2')
})

test('no default StorageClass: none annotated, annotated "false", none at all, or no list', () => {
  assert.equal(defaultStorageClass(JSON.stringify({ items: [sc('fast'), sc('slow', { 'storageclass.kubernetes.io/is-default-class': 'false' })] })), undefined)
  assert.equal(defaultStorageClass(JSON.stringify({ items: [] })), undefined)
  assert.equal(defaultStorageClass('error: the server does not allow this method'), undefined)
})
