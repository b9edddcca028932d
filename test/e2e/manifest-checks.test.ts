// The project's own manifest checks (manifest-checks.ts): what the workbook's templates
// render passes, and a misspelt field, an unknown key or a value out of its set is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse, parseAllDocuments } from 'yaml'
import { renderTemplate } from '../../lib/template.ts'
import type { Obj } from '../lab/src/model.ts'
import { clusterFederatedTrustDomainProblems, helmValuesProblems, istioOperatorProblems, manifestProblems } from './manifest-checks.ts'

const bundle = JSON.stringify({ keys: [{ use: 'x509-svid', kty: 'EC', crv: 'P-256', x: 'x', y: 'y', x5c: ['MIIB'] }, { use: 'jwt-svid', kty: 'EC', kid: 'k1', crv: 'P-256', x: 'x', y: 'y' }], spiffe_sequence: 1 })
const cftd = (): Obj => parse(renderTemplate('cluster-federated-trust-domain.yaml', { OTHER_CLUSTER: 'west', OTHER_TRUST_DOMAIN: 'west.local', BUNDLE_ENDPOINT: '172.18.255.200', TRUST_DOMAIN_BUNDLE: bundle }))
const controlPlane = (): Obj => parse(renderTemplate('istio-control-plane.yaml', {
  CLUSTER: 'east', TRUST_DOMAIN: 'east.local', MESH_ID: 'east-mesh', NETWORK: 'east-network', REMOTE_TRUST_DOMAIN: 'west.local', REMOTE_BUNDLE_ENDPOINT: '172.18.255.200',
}))
const gateway = (): Obj => parse(renderTemplate('eastwest-gateway.yaml', { NETWORK: 'west-network' }))
const spireBase = (): Obj => parse(renderTemplate('spire-base.yaml'))
const spireCluster = (): Obj => parse(renderTemplate('spire-cluster.yaml', { CLUSTER: 'east', TRUST_DOMAIN: 'east.local', OTHER_TRUST_DOMAIN: 'west.local' }))

test('the federation resource, both IstioOperators, the SPIRE values and the MetalLB pool, as the templates render them, pass every check (demo.test.ts checks all the demo applies)', () => {
  assert.deepEqual(clusterFederatedTrustDomainProblems(cftd()), [])
  assert.deepEqual(istioOperatorProblems(controlPlane()), [])
  assert.deepEqual(istioOperatorProblems(gateway()), [])
  assert.deepEqual(helmValuesProblems(spireBase()), [])
  assert.deepEqual(helmValuesProblems(spireCluster()), [])
  for (const doc of parseAllDocuments(renderTemplate('metallb-pool.yaml', { POOL_RANGE: '172.18.254.200-172.18.254.240' }))) assert.deepEqual(manifestProblems(doc.toJS()), [])
})

test('a ClusterFederatedTrustDomain with a misspelt field, a missing one, a wrong profile, an http URL or a bundle that is not one is refused', () => {
  const cases: Array<[string, (doc: Obj) => void, RegExp]> = [
    ['spec.trustDomian', (d) => { d.spec.trustDomian = d.spec.trustDomain; delete d.spec.trustDomain }, /spec: unknown field "trustDomian"/],
    ['no trustDomain', (d) => { delete d.spec.trustDomain }, /spec\.trustDomain: Required value/],
    ['bundleEndpointProfile.tpye', (d) => { d.spec.bundleEndpointProfile.tpye = 'https_spiffe' }, /spec\.bundleEndpointProfile: unknown field "tpye"/],
    ['profile https_spifee', (d) => { d.spec.bundleEndpointProfile.type = 'https_spifee' }, /"https_spifee" is not one of https_spiffe, https_web/],
    ['endpoint ID without spiffe://', (d) => { d.spec.bundleEndpointProfile.endpointSPIFFEID = 'west.local/spire/server' }, /endpointSPIFFEID: "west\.local\/spire\/server" is not a spiffe:\/\/ ID/],
    ['http URL', (d) => { d.spec.bundleEndpointURL = 'http://172.18.255.200:8443' }, /scheme must be https/],
    ['trust domain in capitals', (d) => { d.spec.trustDomain = 'West.Local' }, /"West\.Local" is not a trust domain name/],
    ['bundle that is not JSON', (d) => { d.spec.trustDomainBundle = 'keys: []' }, /not a SPIFFE bundle/],
    ['metadata.nmae', (d) => { d.metadata = { nmae: 'west' } }, /metadata\.name: Required value/],
  ]
  for (const [name, change, says] of cases) {
    const doc = cftd()
    change(doc)
    const problems = clusterFederatedTrustDomainProblems(doc)
    assert.ok(problems.some((p) => says.test(p)), `${name}: ${problems.join('; ') || 'accepted'}`)
  }
})

test('an IstioOperator with meshConfig.trustDomian, values.global.netwrok, profile minimall or a misspelt k8s field is refused', () => {
  const cases: Array<[string, (doc: Obj) => void, RegExp]> = [
    ['meshConfig.trustDomian', (d) => { d.spec.meshConfig.trustDomian = d.spec.meshConfig.trustDomain; delete d.spec.meshConfig.trustDomain }, /spec\.meshConfig\.trustDomian: unknown field "trustDomian" \(istio\.mesh\.v1alpha1\.MeshConfig has none\) \(istioctl would drop it/],
    ['caCertificates[0].spiffeBundleURL', (d) => { d.spec.meshConfig.caCertificates[0].spiffeBundleURL = 'x' }, /caCertificates\[0\]\.spiffeBundleURL: unknown field/],
    ['values.global.netwrok', (d) => { d.spec.values.global.netwrok = d.spec.values.global.network }, /spec\.values\.global\.netwrok: unknown field "netwrok" \(istio\.operator\.v1alpha1\.GlobalConfig has none\)$/],
    ['values.global.multiCluster.clustername', (d) => { d.spec.values.global.multiCluster.clustername = 'east' }, /multiCluster\.clustername: unknown field/],
    ['values.sidecarInjectorWebhook.template', (d) => { d.spec.values.sidecarInjectorWebhook.template = {} }, /sidecarInjectorWebhook\.template: unknown field/],
    ['profile minimall', (d) => { d.spec.profile = 'minimall' }, /spec\.profile: "minimall" is not one of Istio's profiles/],
    ['spec.meshconfig', (d) => { d.spec.meshconfig = {} }, /spec\.meshconfig: unknown field "meshconfig" \(IstioOperatorSpec has none\)/],
  ]
  for (const [name, change, says] of cases) {
    const doc = controlPlane()
    change(doc)
    const problems = istioOperatorProblems(doc)
    assert.ok(problems.some((p) => says.test(p)), `${name}: ${problems.join('; ') || 'accepted'}`)
  }
  const gw = gateway()
  gw.spec.components.ingressGateways[0].k8s.service.ports[0].targetprot = 15021
  assert.match(istioOperatorProblems(gw).join('\n'), /ports\[0\]\.targetprot: unknown field "targetprot" \(ServicePort has none\)/)
  // Keys of the user's choosing pass: labels, pilot.env, injection templates.
  const free = controlPlane()
  free.spec.values.pilot.env.ANY_VARIABLE = 'x'
  free.spec.values.sidecarInjectorWebhook.templates['my-template'] = 'spec: {}'
  assert.deepEqual(istioOperatorProblems(free), [])
})

test('SPIRE values with an unknown key, at any level the workbook writes to, are refused; a map the check does not describe is a problem too', () => {
  const cases: Array<[string, () => Obj, RegExp]> = [
    ['spire-sever', () => ({ 'spire-sever': { enabled: true } }), /^spire-sever: unknown key "spire-sever"/],
    ['global.spire.trustDomian', () => ({ global: { spire: { trustDomian: 'east.local' } } }), /^global\.spire\.trustDomian: unknown key/],
    ['caSubject.organisation', () => ({ global: { spire: { caSubject: { organisation: 'x' } } } }), /caSubject\.organisation: unknown key/],
    ['sds.defaultSVIDname', () => { const v = spireBase(); v['spire-agent'].sds.defaultSVIDname = 'default'; return v }, /spire-agent\.sds\.defaultSVIDname: unknown key/],
    ['sidecars.federatesWit', () => { const v = spireCluster(); v['spire-server'].controllerManager.identities.clusterSPIFFEIDs.sidecars.federatesWit = ['west.local']; return v }, /clusterSPIFFEIDs\.sidecars\.federatesWit: unknown key/],
    ['matchExpressions[0].opertor', () => { const v = spireBase(); v['spire-server'].controllerManager.identities.clusterSPIFFEIDs.sidecars.podSelector.matchExpressions[0].opertor = 'Exists'; return v }, /matchExpressions\[0\]\.opertor: unknown key/],
    ['a map under a plain value', () => ({ 'spire-server': { caKeyType: { rsa: 2048 } } }), /spire-server\.caKeyType: the check has no key list for this map/],
  ]
  for (const [name, values, says] of cases) {
    const problems = helmValuesProblems(values())
    assert.ok(problems.some((p) => says.test(p)), `${name}: ${problems.join('; ') || 'accepted'}`)
  }
})

test('MetalLB pools outside metallb-system or without addresses are refused', () => {
  const [pool] = parseAllDocuments(renderTemplate('metallb-pool.yaml', { POOL_RANGE: '172.18.254.200-172.18.254.240' })).map((d) => d.toJS())
  assert.notDeepEqual(manifestProblems({ ...pool, metadata: { ...pool.metadata, namespace: 'default' } }), [])
  assert.notDeepEqual(manifestProblems({ ...pool, spec: { adresses: pool.spec.addresses } }), [])
})
