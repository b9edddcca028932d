// What the API server and its admission webhooks refuse, for the kinds the workbook applies:
// names, MetalLB's pool validation (after its webhook answers), Istio's validation (once
// istiod runs), the schema of SPIRE's ClusterFederatedTrustDomain and the controller
// manager's webhook for it.
import { metallbReadiness } from './controllers.ts'
import { pinned } from './expected.ts'
import { validateMetallb } from './metallb.ts'
import { find, list, type ClusterState, type KindInfo, type Obj, type World } from './model.ts'
import { cftdSpecProblem, cftdWebhook, serverReadyAt } from './spire.ts'
import { scaled } from './timing.ts'

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function admit(world: World, state: ClusterState, info: KindInfo, obj: Obj, source: string, action: 'creating' | 'patching', now = Date.now()): string | undefined {
  const name = String(obj.metadata?.name ?? '')
  const pathSegment = info.group === 'rbac.authorization.k8s.io'
  if (pathSegment ? /[/%]/.test(name) || name === '.' || name === '..' || name === '' : !subdomain.test(name) || name.length > 253) {
    return `The ${info.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
  }
  for (const [key, value] of Object.entries(obj.metadata?.labels ?? {})) {
    if (!/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(String(value)) || String(value).length > 63) {
      return `The ${info.kind} "${name}" is invalid: metadata.labels: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (label ${key})`
    }
  }
  if (info.group === 'metallb.io') {
    const hook = `${info.kind.toLowerCase()}validationwebhook.metallb.io`
    const ready = metallbReadiness(world, state).at + scaled('metallbWebhook')
    if (!find(state, 'apps', 'Deployment', 'metallb-system', 'controller') || now < ready) {
      return `Error from server (InternalError): error when ${action} "${source}": Internal error occurred: failed calling webhook "${hook}": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate-metallb-io-v1beta1-${info.kind.toLowerCase()}?timeout=10s": dial tcp 10.96.42.17:443: connect: connection refused`
    }
    // metallb v0.13.11, api/v1beta1/ipaddresspool_webhook.go and l2advertisement_webhook.go (v0.14.9: internal/k8s/webhooks/webhookv1beta1/, the same rule)
    // (ValidateCreate): a pool or an advertisement outside MetalLB's namespace is refused.
    if (['IPAddressPool', 'L2Advertisement'].includes(info.kind) && obj.metadata?.namespace !== pinned.namespaces.metallb) {
      return `Error from server (Forbidden): error when ${action} "${source}": admission webhook "${hook}" denied the request: resource must be created in ${pinned.namespaces.metallb} namespace`
    }
    const denied = validateMetallb(obj, list(state, 'metallb.io', 'IPAddressPool', pinned.namespaces.metallb).map((s) => s.obj))
    if (denied) return `Error from server (Forbidden): error when ${action} "${source}": ${denied}`
  }
  if (['networking.istio.io', 'security.istio.io'].includes(info.group) && find(state, 'apps', 'Deployment', 'istio-system', 'istiod')) {
    const problem = istioValidation(obj)
    if (problem) return `Error from server (BadRequest): error when ${action} "${source}": admission webhook "validation.istio.io" denied the request: configuration is invalid: ${problem}`
  }
  if (info.kind === 'ClusterFederatedTrustDomain') {
    const problem = cftdValidation(obj)
    if (problem) return `The ClusterFederatedTrustDomain "${name}" is invalid: ${problem}`
    const denied = controllerManagerWebhook(world, state, obj, source, action, now)
    if (denied) return denied
  }
  return undefined
}

// The spire chart's ValidatingWebhookConfiguration sends ClusterFederatedTrustDomains to the
// controller manager (in spire-server-0), whose webhook parses the spec as the reconciler
// would (ParseClusterFederatedTrustDomainSpec, go-spiffe's bundle rules for
// trustDomainBundle). Its post-install hook sets failurePolicy Fail: while the controller
// manager does not answer, every create and update is refused.
function controllerManagerWebhook(world: World, state: ClusterState, obj: Obj, source: string, action: 'creating' | 'patching', now: number): string | undefined {
  const configuration = list(state, 'admissionregistration.k8s.io', 'ValidatingWebhookConfiguration').find((c) => (c.obj.webhooks ?? []).some((w: Obj) => w.name === cftdWebhook))
  if (!configuration) return undefined
  const hook = configuration.obj.webhooks.find((w: Obj) => w.name === cftdWebhook)
  const where = `error when ${action} "${source}"`
  if (now < serverReadyAt(world, state)) {
    if (hook.failurePolicy === 'Ignore') return undefined
    return `Error from server (InternalError): ${where}: Internal error occurred: failed calling webhook "${cftdWebhook}": failed to call webhook: Post "https://${hook.clientConfig?.service?.name}.${hook.clientConfig?.service?.namespace}.svc:443${hook.clientConfig?.service?.path}?timeout=10s": dial tcp 10.96.12.34:443: connect: connection refused`
  }
  const problem = cftdSpecProblem(obj.spec ?? {})
  return problem ? `Error from server (Forbidden): ${where}: admission webhook "${cftdWebhook}" denied the request: ${problem}` : undefined
}

const tlsModes = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']
const drTlsModes = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']
const protocols = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'TCP', 'TLS']

function istioValidation(obj: Obj): string | undefined {
  const spec = obj.spec ?? {}
  if (obj.kind === 'Gateway') {
    const servers = spec.servers
    if (!Array.isArray(servers) || servers.length === 0) return 'gateway must have at least one server'
    for (const server of servers) {
      if (!server?.port || !Number.isInteger(Number(server.port.number)) || Number(server.port.number) <= 0) return 'port number must be in the range 1..65535'
      if (!protocols.includes(String(server.port.protocol ?? '').toUpperCase())) return `unrecognized protocol ${JSON.stringify(server.port.protocol)}`
      if (!server.port.name) return 'port name must be set'
      if (!Array.isArray(server.hosts) || server.hosts.length === 0) return 'server config must contain at least one host'
      if (server.tls?.mode !== undefined && !tlsModes.includes(server.tls.mode)) return `unknown TLS mode ${server.tls.mode}`
    }
  }
  if (obj.kind === 'DestinationRule') {
    if (!spec.host) return 'destination rule must have an associated host'
    const tls = spec.trafficPolicy?.tls
    if (tls?.mode !== undefined && !drTlsModes.includes(tls.mode)) return `unknown TLS mode ${tls.mode}`
    if (tls?.subjectAltNames !== undefined && (!Array.isArray(tls.subjectAltNames) || !tls.subjectAltNames.every((s: unknown) => typeof s === 'string'))) return 'subjectAltNames must be a list of strings'
  }
  return undefined
}

// The CRD's schema (spire-crds 0.5.0): required fields, types, the profile enum, the trust domain pattern.
function cftdValidation(obj: Obj): string | undefined {
  const spec = obj.spec
  if (spec === null || typeof spec !== 'object') return 'spec: Required value'
  for (const field of ['trustDomain', 'bundleEndpointURL', 'bundleEndpointProfile']) {
    if (spec[field] === undefined) return `spec.${field}: Required value`
  }
  for (const field of ['trustDomain', 'bundleEndpointURL', 'className', 'trustDomainBundle']) {
    if (spec[field] !== undefined && typeof spec[field] !== 'string') return `spec.${field}: Invalid value: "${typeof spec[field]}": spec.${field} in body must be of type string: "${typeof spec[field]}"`
  }
  if (!/[a-z0-9._-]{1,255}/.test(spec.trustDomain)) return `spec.trustDomain: Invalid value: "${spec.trustDomain}": spec.trustDomain in body should match '[a-z0-9._-]{1,255}'`
  const profile = spec.bundleEndpointProfile
  if (typeof profile !== 'object' || profile === null) return 'spec.bundleEndpointProfile: Invalid value: must be of type object'
  if (profile.type === undefined) return 'spec.bundleEndpointProfile.type: Required value'
  if (!['https_spiffe', 'https_web'].includes(profile.type)) return `spec.bundleEndpointProfile.type: Unsupported value: "${profile.type}": supported values: "https_spiffe", "https_web"`
  return undefined
}
