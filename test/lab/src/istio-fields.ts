// The fields an IstioOperator may hold, as istioctl 1.30.3 reads it, and how strictly it
// reads each part. Written from istio/istio 1.30.3:
//   - operator/pkg/apis/types.go: the IstioOperator, its spec, components and k8s settings;
//   - operator/pkg/apis/validation/validation.go, ParseAndValidateIstioOperator: the whole
//     document is decoded with encoding/json's DisallowUnknownFields (so down into the
//     Kubernetes types of k8s: ServiceSpec, ServicePort, EnvVar), and spec.values is decoded
//     into values_types.proto's Values by golang/protobuf's jsonpb, whose Unmarshaler
//     (operator/pkg/apis/value_types_json.go, AllowUnknownFields false) refuses unknown
//     fields too; google.protobuf.Struct fields (pilot.env, sidecarInjectorWebhook.templates)
//     take any keys;
//   - operator/pkg/apis/values_types.proto: the fields of Values, GlobalConfig, ...;
//   - spec.meshConfig goes through pkg/config/mesh/mesh.go, ApplyMeshConfigDefaults, which
//     uses pkg/util/protomarshal ApplyYAML: unknown fields ALLOWED (dropped without a word).
//     The field names of MeshConfig are from istio/api at the commit 1.30.3 pins
//     (2e43f07b30b6, mesh/v1alpha1/config.proto); only the project's own strict check
//     (test/e2e/manifest-checks.ts) refuses unknown ones there.
// Parts the workbook never writes are kept opaque (any value): the lab does not claim to
// know them.

export type Shape =
  | { kind: 'opaque' }                                                 // not described here: anything goes
  | { kind: 'map' }                                                    // keys of the user's choosing
  | { kind: 'list'; of: Shape }
  | { kind: 'object'; type: string; decoder: 'json' | 'jsonpb' | 'lenient'; fields: Record<string, Shape> }

const opaque: Shape = { kind: 'opaque' }
const map: Shape = { kind: 'map' }
const list = (of: Shape): Shape => ({ kind: 'list', of })
// A Go struct decoded by encoding/json: field names as its json tags say.
const goStruct = (type: string, fields: Record<string, Shape>): Shape => ({ kind: 'object', type, decoder: 'json', fields })
const names = (text: string, shape: Shape = opaque): Record<string, Shape> => Object.fromEntries(text.trim().split(/\s+/).map((n) => [n, shape]))

// protoc's JSON name of a field (lowerCamelCase); jsonpb accepts it and the field's own name.
export function jsonName(field: string): string {
  return field.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())
}
// A protobuf message: each field under its own name and its JSON name (or json_name).
const proto = (type: string, fields: Record<string, Shape>, decoder: 'jsonpb' | 'lenient' = 'jsonpb', jsonNames: Record<string, string> = {}): Shape => {
  const all: Record<string, Shape> = {}
  for (const [field, shape] of Object.entries(fields)) {
    all[field] = shape
    all[jsonNames[field] ?? jsonName(field)] = shape
  }
  return { kind: 'object', type, decoder, fields: all }
}

// k8s.io/api/core/v1 (Kubernetes 1.33) and metav1, where the workbook writes into them.
const objectMeta = goStruct('ObjectMeta', {
  ...names('name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds ownerReferences finalizers managedFields'),
  labels: map, annotations: map,
})
const envVar = goStruct('EnvVar', names('name value valueFrom'))
const servicePort = goStruct('ServicePort', names('name protocol appProtocol port targetPort nodePort'))
const serviceSpec = goStruct('ServiceSpec', {
  ...names('clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution'),
  ports: list(servicePort), selector: map,
})

// operator/pkg/apis/types.go
const kubernetesResources = goStruct('KubernetesResources', {
  ...names('affinity hpaSpec imagePullPolicy podDisruptionBudget priorityClassName readinessProbe replicaCount resources strategy tolerations securityContext volumes volumeMounts'),
  env: list(envVar), nodeSelector: map, podAnnotations: map, serviceAnnotations: map, service: serviceSpec,
  overlays: list(goStruct('KubernetesOverlay', { ...names('apiVersion kind name'), patches: list(goStruct('Patch', names('path value'))) })),
})
const componentFields = { ...names('enabled namespace hub tag'), k8s: kubernetesResources }
const componentSpec = goStruct('ComponentSpec', componentFields)
const gatewayComponentSpec = goStruct('GatewayComponentSpec', { ...componentFields, name: opaque, label: map })
const components = goStruct('IstioComponentSpec', {
  base: goStruct('BaseComponentSpec', { enabled: opaque, k8s: kubernetesResources }),
  pilot: componentSpec, cni: componentSpec, ztunnel: componentSpec, istiodRemote: componentSpec,
  ingressGateways: list(gatewayComponentSpec), egressGateways: list(gatewayComponentSpec),
})

// operator/pkg/apis/values_types.proto (package istio.operator.v1alpha1)
const pkg = 'istio.operator.v1alpha1'
const multiClusterConfig = proto(`${pkg}.MultiClusterConfig`, names('enabled clusterName globalDomainSuffix includeEnvoyFilter'))
const globalConfig = proto(`${pkg}.GlobalConfig`, {
  ...names(`arch certSigners configValidation defaultNodeSelector defaultPodDisruptionBudget defaultResources defaultTolerations hub
    imagePullPolicy imagePullSecrets istioNamespace logAsJson logging meshID meshNetworks network podDNSSearchNamespaces
    omitSidecarInjectorConfigMap operatorManageWebhooks priorityClassName proxy proxy_init sds tag variant tracer remotePilotAddress
    istiod pilotCertProvider jwtPolicy sts revision mountMtlsCerts caAddress externalIstiod configCluster caName platform ipFamilies
    ipFamilyPolicy waypoint trustBundleName nativeNftables networkPolicy resourceScope agentgateway enableReaderRBAC`),
  multiCluster: multiClusterConfig,
}, 'jsonpb', { proxy_init: 'proxy_init' })
const pilotConfig = proto(`${pkg}.PilotConfig`, {
  ...names(`enabled autoscaleEnabled autoscaleBehavior image traceSampling resources cpu nodeSelector keepaliveMaxServerConnectionAge
    deploymentLabels podLabels configMap affinity rollingMaxSurge rollingMaxUnavailable tolerations podAnnotations serviceAnnotations
    serviceAccountAnnotations jwksResolverExtraRootCA hub tag variant seccompProfile topologySpreadConstraints extraContainerArgs
    volumeMounts volumes ipFamilies ipFamilyPolicy memory cni taint trustedZtunnelNamespace istiodRemote envVarFrom crlConfigMapName`),
  env: map,
})
const sidecarInjectorConfig = proto(`${pkg}.SidecarInjectorConfig`, {
  ...names('enableNamespacesByDefault reinvocationPolicy neverInjectSelector alwaysInjectSelector rewriteAppHTTPProbe injectedAnnotations injectionURL defaultTemplates'),
  templates: map,
})
const ingressGatewayConfig = proto(`${pkg}.IngressGatewayConfig`, {
  ...names(`autoscaleEnabled memory cpu customService enabled loadBalancerIP loadBalancerSourceRanges name nodeSelector podAnnotations
    podAntiAffinityLabelSelector podAntiAffinityTermLabelSelector ports resources secretVolumes serviceAnnotations type rollingMaxSurge
    rollingMaxUnavailable externalTrafficPolicy tolerations ingressPorts additionalContainers configVolumes runAsRoot injectionTemplate
    serviceAccount ipFamilies ipFamilyPolicy`),
  env: map, labels: map,
})
const gatewaysConfig = proto(`${pkg}.GatewaysConfig`, {
  ...names('istio_egressgateway enabled securityContext seccompProfile'),
  istio_ingressgateway: ingressGatewayConfig,
}, 'jsonpb', { istio_egressgateway: 'istio-egressgateway', istio_ingressgateway: 'istio-ingressgateway' })
const values = proto(`${pkg}.Values`, {
  ...names('cni ztunnel telemetry istio_cni revision ownerName meshConfig base istiodRemote revisionTags defaultRevision profile compatibilityVersion experimental gatewayClasses'),
  gateways: gatewaysConfig, global: globalConfig, pilot: pilotConfig, sidecarInjectorWebhook: sidecarInjectorConfig,
})

// istio/api mesh/v1alpha1/config.proto (package istio.mesh.v1alpha1): MeshConfig, read
// leniently by istioctl (unknown fields dropped).
const meshConfig = (() => {
  const decoder = 'lenient'
  const certificateData = proto('istio.mesh.v1alpha1.MeshConfig.CertificateData', names('pem spiffe_bundle_url cert_signers trust_domains'), decoder)
  return proto('istio.mesh.v1alpha1.MeshConfig', {
    ...names(`proxy_listen_port proxy_inbound_listen_port proxy_http_port connect_timeout hbone_idle_timeout protocol_detection_timeout
      tcp_keepalive ingress_class ingress_service ingress_controller_mode ingress_selector enable_tracing access_log_file access_log_format
      access_log_encoding enable_envoy_access_log_service disable_envoy_listener_log default_config outbound_traffic_policy
      inbound_traffic_policy config_sources enable_auto_mtls trust_domain trust_domain_aliases default_service_export_to
      default_virtual_service_export_to default_destination_rule_export_to root_namespace locality_lb_setting dns_refresh_rate
      h2_upgrade_policy inbound_cluster_stat_name outbound_cluster_stat_name certificates service_settings service_scope_configs
      enable_prometheus_merge verify_certificate_at_client ca extension_providers default_providers discovery_selectors path_normalization
      default_http_retry_policy mesh_mTLS tls_defaults`),
    ca_certificates: list(certificateData),
  }, decoder)
})()

// The profiles istioctl 1.30.3 ships (manifests/profiles/*.yaml, embedded by manifests/manifest.go).
export const istioProfiles = ['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable']

// The whole document.
export const istioOperatorShape: Shape = goStruct('IstioOperator', {
  apiVersion: opaque, kind: opaque, metadata: objectMeta,
  spec: goStruct('IstioOperatorSpec', {
    ...names('profile installPackagePath hub tag namespace revision compatibilityVersion unvalidatedValues'),
    meshConfig,
    components,
    values,
  }),
})

export interface UnknownField {
  path: string       // where, e.g. spec.values.global.netwrok
  field: string      // the unknown key
  type: string       // the type that has no such field
  decoder: 'json' | 'jsonpb' | 'lenient'
}

// Every unknown field in `value` (a parsed document), outermost first. Lenient parts are
// reported too (decoder 'lenient'); a caller decides whether they count.
export function unknownFields(value: unknown, shape: Shape, path = ''): UnknownField[] {
  const found: UnknownField[] = []
  const at = (key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key)
  if (shape.kind === 'list' && Array.isArray(value)) {
    value.forEach((item, i) => found.push(...unknownFields(item, shape.of, at(i))))
  } else if (shape.kind === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      const fieldShape = shape.fields[key]
      if (fieldShape === undefined) found.push({ path: at(key), field: key, type: shape.type, decoder: shape.decoder })
      else found.push(...unknownFields(child, fieldShape, at(key)))
    }
  }
  return found
}
