// What chart spire 0.24.0 itself refuses, before Helm creates anything: the values schema
// of its spire-agent subchart, and the properties its ClusterSPIFFEID template accepts.
// Helm checks the schema first (helm v3.21.4, pkg/chartutil/values.go ToRenderValues →
// pkg/chartutil/jsonschema.go ValidateAgainstSchema: each chart and subchart that ships a
// values.schema.json, against its own part of the values), then renders the templates.
import { dig, isPlainObject, type Obj } from './model.ts'

// spiffe/helm-charts-hardened spire-0.24.0, charts/spire/charts/spire-agent/values.schema.json:
// four objects with integer ports and probe timings, and nothing else constrained (no
// additionalProperties: unknown keys pass, as they do through every other part of the chart).
const agentSchema: Array<{ path: string[]; minimum: number }> = [
  { path: ['server', 'port'], minimum: 1 },
  { path: ['healthChecks', 'port'], minimum: 1 },
  { path: ['livenessProbe', 'initialDelaySeconds'], minimum: 0 },
  { path: ['livenessProbe', 'periodSeconds'], minimum: 1 },
  { path: ['readinessProbe', 'initialDelaySeconds'], minimum: 0 },
  { path: ['readinessProbe', 'periodSeconds'], minimum: 1 },
]

// How Helm words a value the schema refuses. Helm 3.20 on and Helm 4 validate with
// santhosh-tekuri/jsonschema v6 (helm/helm v3.21.4 pkg/chartutil/jsonschema.go, v4.1.4
// pkg/chart/common/util/jsonschema.go: JSONSchemaValidationError trims its header), one line
// per error, "- at '/<path>': <what>"; as the real helm 4.1.4 prints them for chart spire
// 0.24.0: "got string, want integer", "got number, want object" (any number is "number"),
// "minimum: got 0, want 1". The order of the lines varies from run to run in Helm itself.
function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value === 'object' ? 'object' : typeof value
}

const at = (path: string[]) => `- at '/${path.join('/')}'`

function schemaErrors(agent: unknown): string[] {
  const errors: string[] = []
  if (!isPlainObject(agent)) return []
  for (const parent of ['server', 'healthChecks', 'livenessProbe', 'readinessProbe']) {
    if (agent[parent] !== undefined && !isPlainObject(agent[parent])) errors.push(`${at([parent])}: got ${jsonType(agent[parent])}, want object`)
  }
  for (const { path, minimum } of agentSchema) {
    const value = dig(agent, ...path)
    if (value === undefined || !isPlainObject(agent[path[0]!])) continue
    if (!Number.isInteger(value)) errors.push(`${at(path)}: got ${jsonType(value)}, want integer`)
    else if ((value as number) < minimum) errors.push(`${at(path)}: minimum: got ${value}, want ${minimum}`)
  }
  return errors
}

// charts/spire/charts/spire-server/templates/controller-manager-cluster-ids.yaml (spire-0.24.0):
// every entry of controllerManager.identities.clusterSPIFFEIDs may hold these properties
// only (line 34: `fail "Unsupported property specified: ..."`), and, when it is rendered,
// one of these types (line 41). Go templates range over a map in key order.
const clusterSPIFFEIDProperties = ['name', 'annotations', 'labels', 'enabled', 'type', 'admin', 'dnsNameTemplates', 'downstream', 'federatesWith', 'jwtTTL',
  'namespaceSelector', 'podSelector', 'spiffeIDTemplate', 'ttl', 'workloadSelectorTemplates', 'autoPopulateDNSNames', 'fallback', 'hint']
const clusterSPIFFEIDTypes = ['base', 'raw', 'child-servers', 'oidc-discovery-provider', 'test-keys']
const clusterIdsTemplate = 'spire/charts/spire-server/templates/controller-manager-cluster-ids.yaml'

function templateError(server: unknown): string | undefined {
  const ids = dig(server, 'controllerManager', 'identities', 'clusterSPIFFEIDs')
  if (!isPlainObject(ids)) return undefined
  for (const key of Object.keys(ids).sort()) {
    const entry = ids[key]
    if (!isPlainObject(entry)) continue
    for (const property of Object.keys(entry).sort()) {
      if (!clusterSPIFFEIDProperties.includes(property)) return `execution error at (${clusterIdsTemplate}:34:10): Unsupported property specified: ${property}`
    }
    const rendered = String(dig(server, 'controllerManager', 'enabled')) === 'true' && (!('enabled' in entry) || String(entry.enabled) === 'true')
    const type = entry.type ?? 'base'
    if (rendered && !clusterSPIFFEIDTypes.includes(String(type))) {
      return `execution error at (${clusterIdsTemplate}:41:12): Type given: ${type}, must be one of [${clusterSPIFFEIDTypes.join(', ')}]`
    }
  }
  return undefined
}

// Why chart spire refuses these (computed) values, in Helm's words; undefined: it does not.
export function spireChartRefusal(computed: Obj): string | undefined {
  const agent = computed['spire-agent']
  const errors = isPlainObject(agent) && agent.enabled !== false ? schemaErrors(agent) : []
  if (errors.length > 0) return `values don't meet the specifications of the schema(s) in the following chart(s):\nspire-agent:\n${errors.join('\n')}\n`
  const server = computed['spire-server']
  return isPlainObject(server) && server.enabled !== false ? templateError(server) : undefined
}
