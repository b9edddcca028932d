// The project's own checks of what the workbook hands to the tools, each written from the
// documented fields of the pinned release (no schema, chart or code copied in):
//   - ClusterFederatedTrustDomain: spiffe/spire-controller-manager v0.6.0,
//     api/v1alpha1/clusterfederatedtrustdomain_types.go (fields, required ones, the trust
//     domain pattern and the profile enum of the CRD it generates) and
//     clusterfederatedtrustdomain_webhook.go (what its admission webhook parses);
//   - IstioOperator: every field checked against istioctl 1.30.3's types
//     (test/lab/src/istio-fields.ts), meshConfig included, where istioctl itself drops
//     unknown fields without a word;
//   - SPIRE's Helm values: the keys chart spire 0.24.0 knows (its values.yaml and its
//     subcharts'), at every level the workbook writes to;
//   - MetalLB's IPAddressPool and L2Advertisement: metallb v0.13.11 and v0.14.9 (the same fields) api/v1beta1
//     (ipaddresspool_types.go, l2advertisement_types.go), in MetalLB's namespace;
//   - built-in Kubernetes kinds and Istio's Gateway and DestinationRule: the
//     kubernetes-models packages.
// Each returns the problems it finds, [] when there are none.
import { Ajv } from 'ajv'
import * as core from 'kubernetes-models/v1'
import * as apps from 'kubernetes-models/apps/v1'
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import * as apiextensions from 'kubernetes-models/apiextensions.k8s.io/v1'
import * as admission from 'kubernetes-models/admissionregistration.k8s.io/v1'
import * as istioNetworking from '@kubernetes-models/istio/networking.istio.io/v1'
import { istioOperatorShape, istioProfiles, unknownFields } from '../lab/src/istio-fields.ts'
import type { Obj } from '../lab/src/model.ts'

const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value)

const objectMetaFields = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']

function unknownKeys(value: Obj, known: string[], where: string): string[] {
  return Object.keys(value).filter((key) => !known.includes(key)).map((key) => `${where}: unknown field "${key}"`)
}

// ---------- ClusterFederatedTrustDomain (spire-controller-manager v0.6.0) ----------

// A trust domain name as go-spiffe's TrustDomainFromString takes it: lowercase letters,
// digits, dots, dashes and underscores (a spiffe:// ID is accepted for its host part).
const trustDomainName = /^[a-z0-9._-]+$/
function spiffeIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || !id.startsWith('spiffe://')) return 'not a spiffe:// ID'
  const [domain, ...path] = id.slice('spiffe://'.length).split('/')
  if (!domain || !trustDomainName.test(domain)) return `its trust domain "${domain}" is not valid`
  if (path.some((segment) => !/^[A-Za-z0-9._-]+$/.test(segment) || segment === '.' || segment === '..')) return 'its path is not valid'
  return undefined
}

export function clusterFederatedTrustDomainProblems(doc: Obj): string[] {
  const problems: string[] = []
  if (doc.apiVersion !== 'spire.spiffe.io/v1alpha1') problems.push(`apiVersion is ${JSON.stringify(doc.apiVersion)}, not spire.spiffe.io/v1alpha1`)
  problems.push(...unknownKeys(doc, ['apiVersion', 'kind', 'metadata', 'spec', 'status'], '(root)'))
  if (!isObject(doc.metadata) || typeof doc.metadata.name !== 'string' || doc.metadata.name === '') problems.push('metadata.name: Required value')
  else problems.push(...unknownKeys(doc.metadata, objectMetaFields, 'metadata'))
  const spec = doc.spec
  if (!isObject(spec)) return [...problems, 'spec: Required value']
  problems.push(...unknownKeys(spec, ['trustDomain', 'bundleEndpointURL', 'bundleEndpointProfile', 'trustDomainBundle', 'className'], 'spec'))
  // Required by the CRD: trustDomain, bundleEndpointURL, bundleEndpointProfile (and its type).
  for (const field of ['trustDomain', 'bundleEndpointURL']) {
    if (spec[field] === undefined) problems.push(`spec.${field}: Required value`)
    else if (typeof spec[field] !== 'string') problems.push(`spec.${field}: must be a string`)
  }
  for (const field of ['trustDomainBundle', 'className']) {
    if (spec[field] !== undefined && typeof spec[field] !== 'string') problems.push(`spec.${field}: must be a string`)
  }
  if (typeof spec.trustDomain === 'string') {
    // The CRD's pattern is [a-z0-9._-]{1,255}; the webhook then parses the whole name.
    const name = spec.trustDomain.startsWith('spiffe://') ? spec.trustDomain.slice('spiffe://'.length) : spec.trustDomain
    if (!/[a-z0-9._-]{1,255}/.test(spec.trustDomain) || !trustDomainName.test(name)) problems.push(`spec.trustDomain: "${spec.trustDomain}" is not a trust domain name`)
  }
  if (typeof spec.bundleEndpointURL === 'string') {
    // pkg/spireapi/types.go, ValidateBundleEndpointURL: https, a host, no user info.
    let url: URL | undefined
    try {
      url = new URL(spec.bundleEndpointURL)
    } catch {
      problems.push(`spec.bundleEndpointURL: "${spec.bundleEndpointURL}" is not a URL`)
    }
    if (url && url.protocol !== 'https:') problems.push('spec.bundleEndpointURL: scheme must be https')
    if (url && url.hostname === '') problems.push('spec.bundleEndpointURL: host must be specified')
    if (url && (url.username !== '' || url.password !== '')) problems.push('spec.bundleEndpointURL: cannot contain userinfo')
  }
  const profile = spec.bundleEndpointProfile
  if (profile === undefined) problems.push('spec.bundleEndpointProfile: Required value')
  else if (!isObject(profile)) problems.push('spec.bundleEndpointProfile: must be an object')
  else {
    problems.push(...unknownKeys(profile, ['type', 'endpointSPIFFEID'], 'spec.bundleEndpointProfile'))
    if (profile.type === undefined) problems.push('spec.bundleEndpointProfile.type: Required value')
    else if (!['https_spiffe', 'https_web'].includes(profile.type)) problems.push(`spec.bundleEndpointProfile.type: "${profile.type}" is not one of https_spiffe, https_web`)
    if (profile.type === 'https_web' && profile.endpointSPIFFEID) problems.push('spec.bundleEndpointProfile.endpointSPIFFEID: not applicable to the https_web profile')
    if (profile.type === 'https_spiffe') {
      const problem = spiffeIdProblem(profile.endpointSPIFFEID)
      if (problem) problems.push(`spec.bundleEndpointProfile.endpointSPIFFEID: ${JSON.stringify(profile.endpointSPIFFEID)} is ${problem}`)
    }
  }
  if (typeof spec.trustDomainBundle === 'string' && spec.trustDomainBundle !== '') {
    // The webhook reads it as a SPIFFE bundle: a JWK set whose keys are X.509 or JWT authorities.
    let bundle: unknown
    try {
      bundle = JSON.parse(spec.trustDomainBundle)
    } catch {
      bundle = undefined
    }
    if (!isObject(bundle) || !Array.isArray(bundle.keys)) problems.push('spec.trustDomainBundle: not a SPIFFE bundle (a JSON object with "keys")')
    else {
      for (const [i, key] of bundle.keys.entries()) {
        if (!isObject(key) || !['x509-svid', 'jwt-svid'].includes(key.use)) problems.push(`spec.trustDomainBundle: key ${i} has use ${JSON.stringify(isObject(key) ? key.use : key)}, not x509-svid or jwt-svid`)
        else if (key.use === 'x509-svid' && (!Array.isArray(key.x5c) || key.x5c.length !== 1)) problems.push(`spec.trustDomainBundle: x509-svid key ${i} must carry one certificate (x5c)`)
        else if (key.use === 'jwt-svid' && typeof key.kid !== 'string') problems.push(`spec.trustDomainBundle: jwt-svid key ${i} has no kid`)
      }
    }
  }
  return problems
}

// ---------- IstioOperator (istioctl 1.30.3), strictly ----------

export function istioOperatorProblems(doc: Obj): string[] {
  const problems: string[] = []
  if (doc.apiVersion !== 'install.istio.io/v1alpha1') problems.push(`apiVersion is ${JSON.stringify(doc.apiVersion)}, not install.istio.io/v1alpha1`)
  const profile = doc.spec?.profile ?? 'default'
  if (!istioProfiles.includes(profile)) problems.push(`spec.profile: "${profile}" is not one of Istio's profiles (${istioProfiles.join(', ')})`)
  for (const unknown of unknownFields(doc, istioOperatorShape)) {
    problems.push(`${unknown.path}: unknown field "${unknown.field}" (${unknown.type} has none)${unknown.decoder === 'lenient' ? ' (istioctl would drop it without a word)' : ''}`)
  }
  return problems
}

// ---------- SPIRE's Helm values (chart spire 0.24.0) ----------

// The keys one level of the values may hold, and what is known below each; `any` describes
// every entry of a map whose keys are the user's (clusterSPIFFEIDs: default, sidecars, ...).
interface Keys {
  keys?: Record<string, Keys | 'value'>
  any?: Keys
  items?: Keys
}
const level = (list: string, below: Record<string, Keys> = {}): Keys =>
  ({ keys: { ...Object.fromEntries(list.trim().split(/\s+/).map((k) => [k, 'value' as const])), ...below } })

// charts/spire/charts/spire-server/templates/controller-manager-cluster-ids.yaml: the
// properties an entry may have (the template fails on any other); selectors are
// Kubernetes LabelSelectors.
const labelSelector = level('matchLabels', { matchExpressions: { items: level('key operator values') } })
const clusterSPIFFEID = level('name annotations labels enabled type admin dnsNameTemplates downstream federatesWith jwtTTL ttl spiffeIDTemplate workloadSelectorTemplates autoPopulateDNSNames fallback hint', {
  podSelector: labelSelector, namespaceSelector: labelSelector,
})

const spireChartValues: Keys = level(
  // charts/spire/values.yaml, plus the subcharts by name (Chart.yaml dependencies)
  'upstream upstream-spire-agent spiffe-csi-driver upstream-spiffe-csi-driver tornjak-frontend spire-lib',
  {
    // the global keys the chart's templates read (charts/spire/values.yaml and .Values.global.* in the templates)
    global: level('k8s telemetry openshift installAndUpgradeHooks deleteHooks', {
      spire: level('bundleConfigMap clusterName jwtIssuer trustDomain upstreamServerAddress upstreamSpireAddress persistence recommendations image namespaces strictMode ingressControllerType tools', {
        caSubject: level('country organization commonName'),
      }),
    }),
    // charts/spire/charts/spire-server/values.yaml (and `enabled`, the parent's condition)
    'spire-server': level(`enabled global replicaCount image kind externalServer imagePullSecrets nameOverride crNameOverride namespaceOverride
      fullnameOverride serviceAccount podAnnotations podLabels podSecurityContext securityContext priorityClassName configMap resources
      autoscaling nodeSelector tolerations affinity topologySpreadConstraints livenessProbe readinessProbe persistence dataStore adminIDs
      auditLogEnabled logLevel jwtIssuer clusterName trustDomain bundleConfigMap clusterDomain caSubject credentialComposer keyManager
      upstreamAuthority notifier externalControllerManagers tools telemetry ingress extraEnv extraVolumes extraVolumeMounts extraContainers
      initContainers caKeyType caTTL defaultX509SvidTTL defaultJwtSvidTTL nodeAttestor bundlePublisher tornjak secrets unsupportedBuiltInPlugins
      customPlugins chown experimental tests kubeConfigs`, {
      service: level('type port annotations'),
      federation: level('enabled bundleEndpoint tls ingress'),
      controllerManager: level(`enabled className watchClassless entryIDPrefixCleanup parentIDTemplate expandEnv extraEnv installAndUpgradeHook
        deleteHook image resources securityContext service configMap ignoreNamespaces reconcile validatingWebhookConfiguration cacheNamespaces`, {
        identities: level('clusterStaticEntries clusterFederatedTrustDomains', { clusterSPIFFEIDs: { any: clusterSPIFFEID } }),
      }),
    }),
    // charts/spire/charts/spire-agent/values.yaml
    'spire-agent': level(`enabled global image imagePullSecrets nameOverride namespaceOverride fullnameOverride serviceAccount configMap
      podAnnotations podLabels podSecurityContext securityContext resources nodeSelector tolerations affinity authorizedDelegates logLevel
      clusterName trustDomain trustBundleURL trustBundleFormat trustBundleHostPath bundleConfigMap availabilityTarget upstream server
      healthChecks updateStrategy livenessProbe readinessProbe fsGroupFix keyManager nodeAttestor workloadAttestors telemetry
      kubeletConnectByHostname socketPath socketAlternate hostCert priorityClassName extraEnvVars extraVolumes extraVolumeMounts
      extraContainers initContainers hostAliases unsupportedBuiltInPlugins customPlugins experimental agents tools sockets persistence`, {
      sds: level('enabled defaultSVIDName defaultBundleName defaultAllBundlesName disableSPIFFECertValidation'),
    }),
    // charts/spire/charts/spiffe-oidc-discovery-provider/values.yaml
    'spiffe-oidc-discovery-provider': level(`enabled global agentSocketName csiDriverName replicaCount namespaceOverride annotations image
      spiffeHelper resources service configMap podSecurityContext securityContext readinessProbe livenessProbe podAnnotations tls
      insecureScheme jwtIssuer config imagePullSecrets nameOverride fullnameOverride serviceAccount deleteHook autoscaling nodeSelector
      tolerations affinity trustDomain clusterDomain telemetry ingress tests tools`),
  },
)

// Unknown keys in a values document, at every level it writes to. A map the checker has no
// key list for is a problem too: the check must cover whatever the workbook sets.
export function helmValuesProblems(values: unknown, keys: Keys = spireChartValues, path = ''): string[] {
  const problems: string[] = []
  const at = (key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key)
  if (Array.isArray(values)) {
    if (keys.items) values.forEach((item, i) => problems.push(...helmValuesProblems(item, keys.items!, at(i))))
    else if (values.some(isObject)) problems.push(`${path}: the check has no key list for the items of this list`)
    return problems
  }
  if (!isObject(values)) return problems
  for (const [key, value] of Object.entries(values)) {
    const below = keys.any ?? keys.keys?.[key]
    if (below === undefined) problems.push(`${at(key)}: unknown key "${key}" (chart spire 0.24.0 has no such value)`)
    else if (below === 'value') {
      if (isObject(value) || (Array.isArray(value) && value.some(isObject))) problems.push(`${at(key)}: the check has no key list for this map`)
    } else problems.push(...helmValuesProblems(value, below, at(key)))
  }
  return problems
}

// ---------- MetalLB (v0.13.11 and v0.14.9, api/v1beta1: the same fields) ----------

const ajv = new Ajv({ strict: false, allErrors: true })
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
        avoidBuggyIPs: { type: 'boolean' },
        serviceAllocation: { type: 'object' },
        ipAddressPools: { type: 'array', items: { type: 'string' } },
        ipAddressPoolSelectors: { type: 'array' },
        nodeSelectors: { type: 'array' },
        interfaces: { type: 'array', items: { type: 'string' } },
      },
      additionalProperties: false,
    },
  },
  allOf: [{ if: { properties: { kind: { const: 'IPAddressPool' } } }, then: { required: ['spec'], properties: { spec: { required: ['addresses'] } } } }],
})

// ---------- every kind the workbook applies ----------

const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': core.Namespace, 'v1/Service': core.Service, 'v1/ServiceAccount': core.ServiceAccount, 'v1/Secret': core.Secret, 'v1/ConfigMap': core.ConfigMap,
  'apps/v1/Deployment': apps.Deployment, 'apps/v1/DaemonSet': apps.DaemonSet, 'apps/v1/StatefulSet': apps.StatefulSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': rbac.ClusterRole, 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': rbac.ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': rbac.Role, 'rbac.authorization.k8s.io/v1/RoleBinding': rbac.RoleBinding,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': apiextensions.CustomResourceDefinition,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': admission.ValidatingWebhookConfiguration,
  'networking.istio.io/v1/Gateway': istioNetworking.Gateway, 'networking.istio.io/v1/DestinationRule': istioNetworking.DestinationRule,
}

export function manifestProblems(doc: Obj): string[] {
  const type = `${doc.apiVersion}/${doc.kind}`
  if (type === 'spire.spiffe.io/v1alpha1/ClusterFederatedTrustDomain') return clusterFederatedTrustDomainProblems(doc)
  if (type === 'install.istio.io/v1alpha1/IstioOperator') return istioOperatorProblems(doc)
  if (type.startsWith('metallb.io/')) return validateMetallb(doc) ? [] : [ajv.errorsText(validateMetallb.errors)]
  const Model = models[type]
  if (!Model) return [`no check for ${type}`]
  try {
    new Model(doc as never).validate()
    return []
  } catch (error) {
    return [(error as Error).message]
  }
}
