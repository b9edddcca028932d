// The whole chain on the lab: make demo from nothing, again (nothing new), each script
// alone, the cleanup; the remote secret's token kept out of sight; and every manifest the
// workbook applied, validated against the Kubernetes, Istio and SPIRE schemas.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Ajv } from 'ajv'
import * as core from 'kubernetes-models/v1'
import * as apps from 'kubernetes-models/apps/v1'
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import * as apiextensions from 'kubernetes-models/apiextensions.k8s.io/v1'
import * as admission from 'kubernetes-models/admissionregistration.k8s.io/v1'
import * as istioNetworking from '@kubernetes-models/istio/networking.istio.io/v1'
import * as istioInstall from '@kubernetes-models/istio/install.istio.io/v1alpha1'
import { readable, sharedSchemas, snapshot, steps, tail, Workspace, type Run } from './lab.ts'

const ws = new Workspace()
let first: Run

before(async () => {
  first = await ws.make('demo', { timeoutMs: 180_000 })
})
after(() => ws.remove())

describe('make demo on the lab', { concurrency: false }, () => {
  test('from nothing, make demo without a terminal succeeds and step 15 reports both versions', () => {
    assert.equal(first.code, 0, tail(first))
    assert.match(first.output, /15-send-requests/)
    assert.match(first.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/, tail(first))
    const created = ws.invocations().filter((i) => i.tool === 'kind' && i.args.slice(0, 2).join(' ') === 'create cluster')
    assert.deepEqual(created.map((i) => i.args[3]).sort(), ['cluster-east', 'cluster-west'])
    // Each round is one exec in which curl fetches a range of URLs: 12 by default.
    const curls = ws.invocations().filter((i) => i.tool === 'kubectl' && i.args.includes('exec') && i.args.includes('curl') && i.args.some((a) => a.includes('helloworld')))
    assert.ok(curls.length >= 1, 'step 15 sent no requests')
    for (const call of curls) assert.ok(call.args.includes('helloworld:5000/hello?[1-12]'), `step 15 ran ${call.args.join(' ')}`)
    const [, v1, v2] = /replies: v1: (\d+), v2: (\d+)/.exec(first.output)!
    assert.ok(Number(v1) + Number(v2) >= 12, `only ${v1} + ${v2} replies`)
  })

  test('each SPIRE server has a bundle of its own, and each cluster federated the other\'s exact bundle', () => {
    const clusters = ws.clusters()
    const east = clusters['cluster-east']!
    const west = clusters['cluster-west']!
    assert.equal(east.spire?.trustDomain, 'east.local')
    assert.equal(west.spire?.trustDomain, 'west.local')
    assert.notDeepEqual(east.spire!.bundle, west.spire!.bundle)
    for (const [here, other] of [[east, west], [west, east]] as const) {
      assert.deepEqual(here.spire!.bundle.keys.map((k: { use: string }) => k.use).sort(), ['jwt-svid', 'x509-svid'])
      const name = other.spire!.trustDomain.replace('.local', '')
      const cftd = here.objects[`spire.spiffe.io|ClusterFederatedTrustDomain||${name}`]
      assert.ok(cftd, `${here.name} has a ClusterFederatedTrustDomain for ${name}`)
      assert.deepEqual(JSON.parse(cftd.obj.spec.trustDomainBundle), other.spire!.bundle)
    }
  })

  test('the remote secret\'s token appears nowhere in the output or under out/, and no file holding it is readable by others', () => {
    const token = ws.clusters()['cluster-west']!.readerToken!
    assert.match(token, /^lab-token-[0-9a-f]{48}$/, 'west has a reader token for remote secrets')
    // It did reach east: the secret there holds it (else this test would prove nothing).
    const secret = ws.clusters()['cluster-east']!.objects['|Secret|istio-system|istio-remote-secret-west']
    assert.ok(secret, 'east has the remote secret for west')
    assert.ok(Buffer.from(String(secret.obj.data.west), 'base64').toString('utf8').includes(token))
    assert.ok(!first.output.includes(token), 'the token was printed')
    for (const file of [...ws.files(ws.dir), ...ws.files(ws.home)]) {
      const text = readFileSync(file, 'utf8')
      if (!text.includes(token)) continue
      assert.ok(!relative(ws.dir, file).startsWith('out'), `${relative(ws.dir, file)} holds the token`)
      assert.ok(!readable(file), `${relative(ws.root, file)} holds the token and is readable by others`)
    }
    assert.ok(ws.files(join(ws.dir, 'out')).length > 10, 'out/ has the logs and rendered files to scan')
  })

  test('every manifest the workbook applied is valid for its kind', () => {
    const schemaFile = join(sharedSchemas, 'clusterfederatedtrustdomain.spire.spiffe.io-v1alpha1.json')
    const cftdSchema = JSON.parse(readFileSync(schemaFile, 'utf8'))
    const ajv = new Ajv({ strict: false, allErrors: true })
    const validateCftd = ajv.compile(cftdSchema.schema)
    // MetalLB's kinds have no model package; their CRD's essentials, written out here.
    const validateMetallb = ajv.compile({
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata'],
      properties: {
        apiVersion: { const: 'metallb.io/v1beta1' },
        kind: { enum: ['IPAddressPool', 'L2Advertisement'] },
        metadata: { type: 'object', required: ['name', 'namespace'], properties: { name: { type: 'string' }, namespace: { const: 'metallb-system' } } },
        spec: {
          type: 'object',
          properties: {
            addresses: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(\\d+\\.){3}\\d+(/\\d+|-(\\d+\\.){3}\\d+)$' } },
            autoAssign: { type: 'boolean' },
            ipAddressPools: { type: 'array', items: { type: 'string' } },
          },
          additionalProperties: false,
        },
      },
      allOf: [{ if: { properties: { kind: { const: 'IPAddressPool' } } }, then: { required: ['spec'], properties: { spec: { required: ['addresses'] } } } }],
    })
    const models: Record<string, new (data: never) => { validate(): void }> = {
      'v1/Namespace': core.Namespace, 'v1/Service': core.Service, 'v1/ServiceAccount': core.ServiceAccount, 'v1/Secret': core.Secret, 'v1/ConfigMap': core.ConfigMap,
      'apps/v1/Deployment': apps.Deployment, 'apps/v1/DaemonSet': apps.DaemonSet, 'apps/v1/StatefulSet': apps.StatefulSet,
      'rbac.authorization.k8s.io/v1/ClusterRole': rbac.ClusterRole, 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': rbac.ClusterRoleBinding,
      'rbac.authorization.k8s.io/v1/Role': rbac.Role, 'rbac.authorization.k8s.io/v1/RoleBinding': rbac.RoleBinding,
      'apiextensions.k8s.io/v1/CustomResourceDefinition': apiextensions.CustomResourceDefinition,
      'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': admission.ValidatingWebhookConfiguration,
      'networking.istio.io/v1/Gateway': istioNetworking.Gateway, 'networking.istio.io/v1/DestinationRule': istioNetworking.DestinationRule,
      'install.istio.io/v1alpha1/IstioOperator': istioInstall.IstioOperator,
    }
    const counts: Record<string, number> = {}
    const manifests = ws.applied().filter((r) => r.kind === 'manifest')
    assert.ok(manifests.length > 0, 'the lab recorded what was applied')
    for (const record of manifests) {
      for (const doc of record.documents) {
        const type = `${doc.apiVersion}/${doc.kind}`
        const where = `${type} ${doc.metadata?.name} (${record.tool} ${record.source} in ${record.cluster})`
        counts[type] = (counts[type] ?? 0) + 1
        if (type === 'spire.spiffe.io/v1alpha1/ClusterFederatedTrustDomain') {
          assert.ok(validateCftd(doc), `${where}: ${ajv.errorsText(validateCftd.errors)}`)
          assert.doesNotThrow(() => JSON.parse(doc.spec.trustDomainBundle), `${where}: trustDomainBundle is not JSON`)
        } else if (type.startsWith('metallb.io/')) {
          assert.ok(validateMetallb(doc), `${where}: ${ajv.errorsText(validateMetallb.errors)}`)
        } else {
          const Model = models[type]
          assert.ok(Model, `${where}: no schema to validate this kind with`)
          assert.doesNotThrow(() => new Model(doc as never).validate(), (error: Error) => `${where}: ${error.message}`)
        }
      }
    }
    for (const [type, atLeast] of Object.entries({
      'spire.spiffe.io/v1alpha1/ClusterFederatedTrustDomain': 2, 'install.istio.io/v1alpha1/IstioOperator': 3, 'metallb.io/v1beta1/IPAddressPool': 2,
      'networking.istio.io/v1/Gateway': 1, 'networking.istio.io/v1/DestinationRule': 1, 'v1/Secret': 1, 'apps/v1/Deployment': 3, 'v1/Service': 2,
    })) {
      assert.ok((counts[type] ?? 0) >= atLeast, `expected at least ${atLeast} ${type} applied, saw ${counts[type] ?? 0}`)
    }
  })

  test('a second make demo succeeds and creates nothing new', async () => {
    const before = snapshot(ws)
    const calls = ws.invocations().length
    const second = await ws.make('demo', { timeoutMs: 180_000 })
    assert.equal(second.code, 0, tail(second))
    assert.match(second.output, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
    const after = snapshot(ws)
    const again = ws.invocations().slice(calls)
    assert.ok(again.length > 30, 'the second run ran its commands')
    assert.deepEqual(again.filter((i) => i.tool === 'kind' && ['create', 'delete'].includes(i.args[0]!)), [], 'no cluster created or deleted')
    assert.deepEqual(Object.keys(after.things).sort(), Object.keys(before.things).sort(), 'the same objects, releases, clusters and containers')
    for (const key of Object.keys(before.things)) assert.deepEqual(after.things[key], before.things[key], `${key} changed`)
    assert.deepEqual(Object.keys(after.pods).sort(), Object.keys(before.pods).sort())
    for (const [owner, names] of Object.entries(before.pods)) {
      assert.equal(after.pods[owner]!.length, names.length, `${owner}: pods`)
      // istioctl install puts the gateway's injection annotation back to "gateway" and step
      // 07's patch sets "gateway,spire-gateway" again: the gateway alone rolls (see the report).
      if (!owner.includes('istio-eastwestgateway')) assert.deepEqual(after.pods[owner], names, `${owner}: pods were replaced`)
    }
  })

  test('after make demo, each script run alone succeeds', async () => {
    for (const step of steps) {
      const run = await ws.make(step.slice(0, 2), { timeoutMs: 60_000 })
      assert.equal(run.code, 0, `make ${step.slice(0, 2)}:\n${tail(run)}`)
    }
    assert.deepEqual(Object.keys(ws.clusters()).sort(), ['cluster-east', 'cluster-west'])
  })

  test('make clean YES=1 deletes both clusters and their contexts', async () => {
    const clean = await ws.make('clean', { env: { YES: '1' } })
    assert.equal(clean.code, 0, tail(clean))
    assert.deepEqual(Object.keys(ws.clusters()), [])
    assert.deepEqual(Object.keys(ws.docker().containers), [])
    assert.doesNotMatch(readFileSync(ws.kubeconfig, 'utf8'), /kind-cluster-(east|west)/)
  })
})
