import { test } from 'node:test'
import assert from 'node:assert/strict'
import { atLeast, parseVersion } from '../../lib/versions.ts'
import { parseKindClusters } from '../../lib/kind.ts'

test('versions are read as the tools print them', () => {
  assert.deepEqual(parseVersion('kind v0.20.0 go1.20.4 linux/amd64'), [0, 20, 0])
  assert.deepEqual(parseVersion('v3.14.2+g9a7a7e4'), [3, 14, 2])
  assert.deepEqual(parseVersion('1.27'), [1, 27, 0])
  assert.equal(parseVersion('unknown'), undefined)
})

test('atLeast compares part by part', () => {
  assert.equal(atLeast([1, 27, 0], [1, 27, 0]), true)
  assert.equal(atLeast([1, 26, 9], [1, 27, 0]), false)
  assert.equal(atLeast([1, 100, 0], [1, 27, 0]), true)
  assert.equal(atLeast([0, 19, 9], [0, 20, 0]), false)
  assert.equal(atLeast([2, 0, 0], [1, 27, 0]), true)
})

test('kind get clusters: names, or none', () => {
  assert.deepEqual(parseKindClusters('cluster-east\ncluster-west\n'), ['cluster-east', 'cluster-west'])
  assert.deepEqual(parseKindClusters(''), [])
  assert.deepEqual(parseKindClusters('No kind clusters found.\n'), [])
})
