// Istio as istioctl and istiod really behave, on the lab: the east-west gateway is injected
// only because its IstioOperator names an injectionTemplate, and re-running step 06 keeps
// the gateway that step 07 installed. Then the lab's Istio rules on their own: pruning by
// owner labels, the gateway chart's two deployments, proxy-config secret's TRUST DOMAIN
// column, `istioctl version`, and create-remote-secret's reader service account.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { finishedDemoWorkspaces } from './chain.ts'
import { tail, workspacesRemovedAfterwards, type Workspace } from './lab.ts'

const WEST = '--context=kind-cluster-west'
const workspace = workspacesRemovedAfterwards()

function gatewayPod(ws: Workspace): { labels: Record<string, string>; annotations: Record<string, string>; image: string } {
  const west = ws.clusters()['cluster-west']!
  const pods = Object.values(west.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === 'apps|Deployment|istio-system|istio-eastwestgateway')
  assert.equal(pods.length, 1, 'one gateway pod')
  const pod = pods[0]!.obj
  return { labels: pod.metadata.labels ?? {}, annotations: pod.metadata.annotations ?? {}, image: pod.spec.containers.find((c: { name: string }) => c.name === 'istio-proxy')?.image }
}

describe('the workbook against Istio\'s own rules', { concurrency: 2 }, () => {
  // Copies of the shared chain's finished demo (chain.ts): `base` for the tests that only
  // read it, one of its own for each test that changes it.
  const fresh = finishedDemoWorkspaces()
  let base: Workspace
  before(() => {
    base = fresh()
  })

  test('the demo\'s east-west gateway was injected with gateway,spire-gateway and holds west\'s SPIRE certificate and both roots', async () => {
    const pod = gatewayPod(base)
    assert.equal(pod.labels['sidecar.istio.io/inject'], 'true')
    assert.deepEqual(JSON.parse(pod.annotations['sidecar.istio.io/status']!).templates, ['gateway', 'spire-gateway'])
    assert.match(pod.image, /^docker\.io\/istio\/proxyv2:1\.30\.3$/)
    const secrets = await base.ok('istioctl', [WEST, 'proxy-config', 'secret', 'deploy/istio-eastwestgateway', '-n', 'istio-system'])
    assert.match(secrets, /TRUST DOMAIN/)
    assert.match(secrets, /^ROOTCA\s.*\seast\.local$/m)
  })

  test('make 06 again after the whole demo keeps west\'s east-west gateway, and 09 and 15 still pass', async () => {
    const ws = fresh()
    // The log came with the checkpoint (out/): only what this run adds to it counts.
    const logFile = join(ws.dir, 'out', 'logs', '06-istio-control-planes.log')
    const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0
    const rerun = await ws.script('06-istio-control-planes')
    assert.equal(rerun.code, 0, tail(rerun))
    const log = readFileSync(logFile, 'utf8').slice(logged)
    assert.match(log, /Installation complete/, 'the log holds istioctl\'s output')
    assert.doesNotMatch(log, /Removed/, 'istioctl pruned something')
    assert.ok(ws.clusters()['cluster-west']!.objects['apps|Deployment|istio-system|istio-eastwestgateway'], 'the gateway deployment is gone')
    for (const step of ['09-verify-control-planes', '15-send-requests']) {
      const run = await ws.script(step, [], { env: { WAIT_GATEWAY_SECRETS_SECONDS: '10', WAIT_RESPONSES_SECONDS: '60' } })
      assert.equal(run.code, 0, `${step}:\n${tail(run)}`)
    }
  })

  test('a gateway IstioOperator without injectionTemplate: the pod is never injected, and 09 says the certificate comes from istiod', async () => {
    const ws = fresh({ env: { WAIT_GATEWAY_SECRETS_SECONDS: '10' } })
    const file = join(ws.dir, 'templates', 'eastwest-gateway.yaml')
    const template = readFileSync(file, 'utf8')
    const without = template.replace(/\n    gateways:\n(?: {6,}.*\n)+/, '\n')
    assert.notEqual(without, template, 'the template has an injectionTemplate to take out')
    assert.doesNotMatch(without, /injectionTemplate/)
    writeFileSync(file, without)
    const seven = await ws.script('07-eastwest-gateway')
    assert.equal(seven.code, 0, tail(seven))
    // Istio's gateway chart rendered its plain deployment: the proxy image itself, marked
    // not to be injected, so 07's template annotation changed nothing but the pod.
    const pod = gatewayPod(ws)
    assert.equal(pod.labels['sidecar.istio.io/inject'], 'false')
    assert.equal(pod.annotations['sidecar.istio.io/inject'], 'false')
    assert.equal(pod.annotations['inject.istio.io/templates'], 'gateway,spire-gateway')
    assert.equal(pod.annotations['sidecar.istio.io/status'], undefined)
    assert.match(pod.image, /^docker\.io\/istio\/proxyv2:/)
    const nine = await ws.script('09-verify-control-planes')
    assert.notEqual(nine.code, 0, 'step 09 passed with a gateway on istiod\'s certificate')
    assert.match(nine.stderr, /the gateway's certificate comes from istiod, not SPIRE: is it injected with spire-gateway\?/, tail(nine))
    assert.match(nine.stderr, /injectionTemplate \(make 07\)/)
    assert.doesNotMatch(nine.stderr, /gave up waiting/, 'it waited for a certificate that cannot come')
    // The gateway passes mTLS through untouched: v2 still answers east's curl.
    const fifteen = await ws.script('15-send-requests', [], { env: { WAIT_RESPONSES_SECONDS: '60' } })
    assert.equal(fifteen.code, 0, tail(fifteen))
    assert.match(fifteen.stdout, /replies: v1: [1-9]\d*, v2: [1-9]\d*/)
  })

  test('istioctl with TOOLS=path: 06 and 07 refuse one older than 1.27 and run nothing with it; one whose version is unknown is asked once, when the step chooses it', async () => {
    const ws = fresh()
    // An istioctl that answers like 1.26.3, and writes down every time it is run.
    const bin = join(ws.root, 'bin-old-istioctl')
    const calls = join(ws.root, 'old-istioctl-calls')
    mkdirSync(bin)
    writeFileSync(join(bin, 'istioctl'), `#!/bin/sh\necho "$*" >> '${calls}'\n[ "$1" = version ] && { echo "1.26.3"; exit 0; }\nexit 1\n`, { mode: 0o755 })
    for (const step of ['06-istio-control-planes', '07-eastwest-gateway']) {
      writeFileSync(calls, '')
      const run = await ws.script(step, [], { env: { TOOLS: 'path', PATH: `${bin}:${ws.env.PATH}` } })
      assert.notEqual(run.code, 0, tail(run))
      assert.match(run.stderr, /istioctl 1\.26\.3 is older than 1\.27\.0: the oldest Istio whose source the workbook's settings were checked against/, tail(run))
      assert.deepEqual(readFileSync(calls, 'utf8').split('\n').filter(Boolean), ['version --remote=false --short'], `${step}: istioctl asked its version once, and run for nothing else`)
    }
    // One that does not say a version it can be judged by: used as it is, and not asked again.
    writeFileSync(join(bin, 'istioctl'), `#!/bin/sh\necho "$*" >> '${calls}'\n[ "$1" = version ] && { echo "a build of my own"; exit 0; }\nexit 1\n`, { mode: 0o755 })
    writeFileSync(calls, '')
    const run = await ws.script('06-istio-control-planes', [], { env: { TOOLS: 'path', PATH: `${bin}:${ws.env.PATH}` } })
    assert.notEqual(run.code, 0, 'the stand-in istioctl fails its install')
    const asked = readFileSync(calls, 'utf8').split('\n').filter((line) => line.startsWith('version'))
    assert.deepEqual(asked, ['version --remote=false --short'], 'istioctl was asked its version more than once')
  })
})

describe('the lab\'s istioctl and istiod, rule by rule', { concurrency: false }, () => {
  const ws = workspace()
  const A = '--context=kind-cluster-a'
  const file = (name: string, text: string) => {
    const path = join(ws.root, name)
    writeFileSync(path, text)
    return path
  }
  const gatewayOperator = (injectionTemplate: boolean, name = 'eastwest') => file(`gw-${injectionTemplate}-${name}.yaml`, [
    'apiVersion: install.istio.io/v1alpha1', 'kind: IstioOperator', ...(name ? ['metadata:', `  name: ${name}`] : []), 'spec:', '  profile: empty', '  components:', '    ingressGateways:',
    '      - name: istio-eastwestgateway', '        enabled: true', '        label: {istio: eastwestgateway, app: istio-eastwestgateway, topology.istio.io/network: a-network}',
    '        k8s:', '          service:', '            ports: [{name: tls, port: 15443, targetPort: 15443}]',
    '  values:', ...(injectionTemplate ? ['    gateways:', '      istio-ingressgateway:', '        injectionTemplate: gateway'] : []), '    global: {network: a-network}', '',
  ].join('\n'))
  const controlPlane = (name?: string) => file(`cp-${name ?? 'unnamed'}.yaml`, [
    'apiVersion: install.istio.io/v1alpha1', 'kind: IstioOperator', ...(name ? ['metadata:', `  name: ${name}`] : []), 'spec:', '  profile: minimal',
    '  meshConfig: {trustDomain: a.local}', '  values:', '    global: {network: a-network}', '',
  ].join('\n'))
  const deployment = async () => {
    const run = await ws.run('kubectl', [A, 'get', 'deploy', 'istio-eastwestgateway', '-n', 'istio-system', '-o', 'json'])
    return run.code === 0 ? JSON.parse(run.stdout) : undefined
  }

  before(async () => {
    assert.equal((await ws.run('kind', ['create', 'cluster', '--name', 'cluster-a'])).code, 0)
  })

  test('istioctl version: "client version: 1.30.3", or the release LAB_ISTIO_VERSION names', async () => {
    assert.equal(await ws.ok('istioctl', ['version', '--remote=false', '--short']), 'client version: 1.30.3\n')
    assert.equal(await ws.ok('istioctl', ['version', '--remote=false']), 'client version: 1.30.3\n')
    assert.match(await ws.ok('istioctl', ['version', '--remote=false', '--short=false']), /^client version: version\.BuildInfo\{Version:"1\.30\.3"/)
    const older = await ws.run('istioctl', ['version', '--remote=false', '--short'], { env: { LAB_ISTIO_VERSION: '1.28.0' } })
    assert.equal(older.stdout, 'client version: 1.28.0\n')
    const unknown = await ws.run('istioctl', ['version', '--remote=false'], { env: { LAB_ISTIO_VERSION: '1.26.0' } })
    assert.notEqual(unknown.code, 0)
    assert.match(unknown.stderr, /LAB_ISTIO_VERSION=1\.26\.0 is not a release the lab models/)
  })

  test('create-remote-secret makes the reader service account when it is missing, unless --create-service-account=false', async () => {
    const refused = await ws.run('istioctl', [A, 'create-remote-secret', '--name=a', '--server=https://172.18.0.2:6443', '--create-service-account=false'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /failed retrieving service account istio-reader-service-account\.istio-system required for creating the remote secret/)
    const made = await ws.ok('istioctl', [A, 'create-remote-secret', '--name=a', '--server=https://172.18.0.2:6443'])
    assert.match(made, /name: istio-remote-secret-a/)
    assert.equal(await ws.ok('kubectl', [A, 'get', 'sa', 'istio-reader-service-account', '-n', 'istio-system', '-o', 'name']), 'serviceaccount/istio-reader-service-account\n')
    const token = ws.clusters()['cluster-a']!.readerToken!
    assert.ok(made.includes(token), 'the secret carries the token of the account it made')
  })

  test('a gateway IstioOperator without injectionTemplate renders a pod the injector skips, whatever its template annotation says', async () => {
    await ws.ok('istioctl', [A, 'install', '-y', '-f', controlPlane('control-plane')])
    await ws.ok('istioctl', [A, 'install', '-y', '-f', gatewayOperator(false)])
    const plain = await deployment()
    assert.equal(plain.spec.template.metadata.labels['sidecar.istio.io/inject'], 'false')
    assert.equal(plain.spec.template.spec.containers[0].image, 'docker.io/istio/proxyv2:1.30.3')
    assert.equal(plain.spec.template.metadata.annotations['inject.istio.io/templates'], undefined)
    await ws.ok('kubectl', [A, 'patch', 'deploy', 'istio-eastwestgateway', '-n', 'istio-system', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': 'gateway,spire-gateway' } } } } })])
    await ws.ok('kubectl', [A, 'rollout', 'status', 'deployment/istio-eastwestgateway', '-n', 'istio-system', '--timeout=30s'])
    const pods = JSON.parse(await ws.ok('kubectl', [A, 'get', 'pods', '-n', 'istio-system', '-l', 'istio=eastwestgateway', '-o', 'json'])).items
    assert.equal(pods.length, 1)
    assert.equal(pods[0].metadata.annotations['sidecar.istio.io/status'], undefined, 'the pod was injected')
    // istiod's certificate: its root names no trust domain, so the column is left out.
    const secrets = await ws.ok('istioctl', [A, 'proxy-config', 'secret', 'deploy/istio-eastwestgateway', '-n', 'istio-system'])
    assert.match(secrets.split('\n')[0]!, /^RESOURCE NAME\s+TYPE\s+STATUS\s+VALID CERT\s+SERIAL NUMBER\s+NOT AFTER\s+NOT BEFORE$/)
    assert.match(secrets, /^default\s+Cert Chain\s+ACTIVE\s+true\s/m)
    assert.match(secrets, /^ROOTCA\s+CA\s+ACTIVE\s+true\s/m)
    // With injectionTemplate: image "auto", left to the injector with the template named.
    await ws.ok('istioctl', [A, 'install', '-y', '-f', gatewayOperator(true)])
    const injectable = await deployment()
    assert.equal(injectable.spec.template.metadata.labels['sidecar.istio.io/inject'], 'true')
    assert.equal(injectable.spec.template.metadata.annotations['inject.istio.io/templates'], 'gateway')
    assert.equal(injectable.spec.template.spec.containers[0].image, 'auto')
  })

  test('native sidecars: istiod\'s "auto" only when every node runs 1.33+, ENABLE_NATIVE_SIDECARS=true on any node', async () => {
    const app = file('app.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: default}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec: {containers: [{name: app, image: busybox}]}\n')
    const proxyIn = async (context: string) => {
      const pod = JSON.parse(await ws.ok('kubectl', [context, 'get', 'pods', '-l', 'app=app', '-o', 'json'])).items[0]
      if ((pod.spec.initContainers ?? []).some((c: { name: string; restartPolicy?: string }) => c.name === 'istio-proxy' && c.restartPolicy === 'Always')) return 'initContainers'
      return (pod.spec.containers ?? []).some((c: { name: string }) => c.name === 'istio-proxy') ? 'containers' : 'nowhere'
    }
    const operator = (env: string) => file(`cp-native-${env}.yaml`, `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: control-plane}\nspec:\n  profile: minimal\n${env ? `  values: {pilot: {env: {ENABLE_NATIVE_SIDECARS: "${env}"}}}\n` : ''}`)
    const B = '--context=kind-cluster-b'
    assert.equal((await ws.run('kind', ['create', 'cluster', '--name', 'cluster-b', '--image', 'kindest/node:v1.32.2'])).code, 0)
    for (const [context, env, where] of [[A, '', 'initContainers'], [B, '', 'containers'], [B, 'true', 'initContainers'], [A, 'false', 'containers']] as const) {
      await ws.ok('istioctl', [context, 'install', '-y', '-f', operator(env)])
      await ws.ok('kubectl', [context, 'label', 'namespace', 'default', 'istio-injection=enabled', '--overwrite'])
      await ws.ok('kubectl', [context, 'apply', '-f', app])
      await ws.ok('kubectl', [context, 'rollout', 'restart', 'deployment/app'])
      await ws.ok('kubectl', [context, 'rollout', 'status', 'deployment/app', '--timeout=30s'])
      assert.equal(await proxyIn(context), where, `${context}, ENABLE_NATIVE_SIDECARS=${env || '(auto)'}`)
    }
  })

  test('istioctl install prunes by owner labels: a named IstioOperator keeps what another installed, an unnamed one removes it', async () => {
    assert.ok(await deployment(), 'the gateway is there to begin with')
    const labels = (await deployment()).metadata.labels
    assert.equal(labels['install.operator.istio.io/owning-resource'], 'eastwest')
    assert.equal(labels['operator.istio.io/component'], 'IngressGateways')
    assert.equal(labels['operator.istio.io/version'], '1.30.3')
    const named = await ws.ok('istioctl', [A, 'install', '-y', '-f', controlPlane('control-plane')])
    assert.doesNotMatch(named, /Removed/)
    assert.ok(await deployment(), 'the named control plane pruned the gateway')
    const unnamed = await ws.ok('istioctl', [A, 'install', '-y', '-f', controlPlane()])
    assert.match(unnamed, /Removed apps\/v1, Kind=Deployment\/istio-eastwestgateway\.istio-system\./)
    assert.match(unnamed, /Removed \/v1, Kind=Service\/istio-eastwestgateway\.istio-system\./)
    assert.equal(await deployment(), undefined, 'the unnamed control plane left the gateway')
    // istiod itself stays: the unnamed install rendered it.
    assert.equal((await ws.run('kubectl', [A, 'get', 'deploy', 'istiod', '-n', 'istio-system', '-o', 'name'])).stdout, 'deployment.apps/istiod\n')
    // And the other way round: an unnamed gateway IstioOperator (profile empty) renders no
    // control plane, so once its gateway is ready it prunes istiod.
    const gatewayUnnamed = await ws.ok('istioctl', [A, 'install', '-y', '-f', gatewayOperator(true, '')])
    assert.match(gatewayUnnamed, /Removed apps\/v1, Kind=Deployment\/istiod\.istio-system\./)
    assert.equal((await ws.run('kubectl', [A, 'get', 'deploy', 'istiod', '-n', 'istio-system'])).code, 1)
  })
})
