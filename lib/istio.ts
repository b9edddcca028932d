// What istioctl reports about the mesh, read from its tables: remote clusters and the
// certificates a proxy holds. Each check says what is missing, not just that something is.
import type { Cluster } from './clusters.ts'
import { parseTable, type Row } from './table.ts'
import { fail, WorkbookError } from './errors.ts'
import { parseVersion, type Version } from './versions.ts'
import { probeTimeout, waitFor } from './wait.ts'

const remoteClusterColumns = ['NAME', 'SECRET', 'STATUS', 'ISTIOD'] as const
const secretColumns = ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'] as const

export function parseRemoteClusters(text: string): Row[] {
  return parseTable(text, remoteClusterColumns, 'istioctl remote-clusters')
}

// Names of clusters that are not (yet) synced, of those we expect.
export function unsynced(rows: Row[], expected: string[]): string[] {
  return expected.filter((name) => !rows.some((row) => row.NAME === name && row.STATUS === 'synced'))
}

// istioctl prints the TRUST DOMAIN column only when every secret has a trust domain: SPIRE's
// certificate and root bundles do, istiod's root does not.
export function parseProxySecrets(text: string): Row[] {
  const withDomains = text.split('\n').some((line) => line.includes('RESOURCE NAME') && line.includes('TRUST DOMAIN'))
  return parseTable(text, withDomains ? [...secretColumns, 'TRUST DOMAIN'] : secretColumns, 'istioctl proxy-config secret')
}

// An active root without a trust domain is a plain CA, istiod's own: the proxy took its
// certificate from istiod, not from SPIRE, and keeps doing so until its pod is replaced.
export function certificatesFromIstiod(rows: Row[]): boolean {
  return rows.some((row) => row['RESOURCE NAME'] === 'ROOTCA' && row.STATUS === 'ACTIVE' && !row['TRUST DOMAIN'])
}

// What the east-west gateway lacks: its own certificate in its trust domain and the root
// bundles of both trust domains (the federated one reaches it through SPIRE's SDS).
export function missingGatewaySecrets(rows: Row[], ownDomain: string, trustedDomains: string[]): string[] {
  const active = rows.filter((row) => row.STATUS === 'ACTIVE' && row['VALID CERT'] === 'true')
  const missing: string[] = []
  if (!active.some((row) => row['RESOURCE NAME'] === 'default' && row['TRUST DOMAIN'] === ownDomain)) missing.push(`a valid ${ownDomain} certificate (default)`)
  for (const domain of trustedDomains) {
    if (!active.some((row) => row['RESOURCE NAME'] === 'ROOTCA' && row['TRUST DOMAIN'] === domain)) missing.push(`the ROOTCA bundle of ${domain}`)
  }
  return missing
}

const standInRemoteClusters = (east: Cluster) =>
  `NAME     SECRET                                    STATUS     ISTIOD\n${east.name}                                               synced     istiod-stand-in\n${east.other.name}     istio-system/istio-remote-secret-${east.other.name}     synced     istiod-stand-in\n`

// Inside a wait, output that is not (yet) a table is something to report, not a failure:
// istioctl prints "No active or warming secrets found." before a proxy has any.
export function rowsOrReason(parse: (text: string) => Row[], text: string): Row[] | string {
  try {
    return parse(text)
  } catch (error) {
    if (error instanceof WorkbookError) return text.trim() || 'no output'
    throw error
  }
}

export async function waitForRemoteClusters(east: Cluster): Promise<Row[]> {
  let polls = 0
  let seen = ''
  const expected = [east.name, east.other.name]
  return waitFor(east.name, `${expected.join(' and ')} synced in ${east.name}'s istiod`, 'remoteSynced', async () => {
    const result = await east.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn: standInRemoteClusters(east) })`istioctl --context=${east.context} remote-clusters`
    const rows = result.exitCode === 0 ? rowsOrReason(parseRemoteClusters, result.stdout) : result.stderr.trim() || `exit ${result.exitCode}`
    if (typeof rows === 'string') {
      seen = rows
      return undefined
    }
    const notSynced = unsynced(rows, expected)
    seen = notSynced.length ? `not synced: ${notSynced.join(', ')}` : ''
    return notSynced.length === 0 ? rows : undefined
  }, `check the remote secret (make 08) and that ${east.other.name}'s API server is reachable from ${east.name}`, () => seen)
}

// West's east-west gateway must hold its own SPIRE certificate and the roots of both trust
// domains, the federated one through SPIRE's SDS. The gateway passes calls through without
// using them; it is where the walkthrough looks for what every SPIRE-backed proxy in west holds.
export async function waitForGatewaySecrets(west: Cluster, trusted: string[]): Promise<string> {
  const standIn = [
    'RESOURCE NAME     TYPE           STATUS     VALID CERT     SERIAL NUMBER     NOT AFTER     NOT BEFORE     TRUST DOMAIN',
    `default           Cert Chain     ACTIVE     true           stand-in          -             -              ${west.trustDomain}`,
    ...trusted.map((domain) => `ROOTCA            CA             ACTIVE     true           stand-in          -             -              ${domain}`),
  ].join('\n')
  let polls = 0
  let seen = ''
  return waitFor(west.name, `the east-west gateway's ${west.trustDomain} certificate and ROOTCA bundles of ${trusted.join(' and ')}`, 'gatewaySecrets', async () => {
    const result = await west.$({ quiet: polls++ > 0, nothrow: true, timeout: probeTimeout, standIn })`istioctl --context=${west.context} proxy-config secret deploy/istio-eastwestgateway -n istio-system`
    const rows = result.exitCode === 0 ? rowsOrReason(parseProxySecrets, result.stdout) : result.stderr.trim() || `exit ${result.exitCode}`
    if (typeof rows !== 'string' && certificatesFromIstiod(rows)) {
      fail(`[${west.name}] the gateway's certificate comes from istiod, not SPIRE: is it injected with spire-gateway?`,
        `see its pod's injection templates: kubectl --context=${west.context} get pods -n istio-system -l istio=eastwestgateway -o jsonpath='{.items[*].metadata.annotations.sidecar\\.istio\\.io/status}'; the gateway's IstioOperator needs values.gateways.istio-ingressgateway.injectionTemplate (make 07)`)
    }
    const missing = typeof rows === 'string' ? [] : missingGatewaySecrets(rows, west.trustDomain, trusted)
    seen = typeof rows === 'string' ? rows : `missing ${missing.join(', ')}`
    return typeof rows !== 'string' && missing.length === 0 ? result.stdout : undefined
  }, `the gateway holds what every SPIRE-backed proxy in ${west.name} holds, and without the other trust domain's roots they cannot verify its calls; check federation (make 05), SPIRE's federatesWith and the agents' SDS names (make 04: defaultBundleName must not be ROOTCA) and the gateway's template (make 07)`, () => seen)
}

// The walkthrough's merge patch that picks a deployment's injection templates, e.g.
// "sidecar,spire": the default sidecar plus the patch that mounts SPIRE's socket.
export function injectionTemplatesPatch(templates: string): string {
  return JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': templates } } } } })
}

// `istioctl version` (short, the default): the line "control plane version: 1.28.0" names
// the release of the istiod that runs, which decides some behaviour (see step 14).
export function controlPlaneRelease(text: string): Version | undefined {
  const line = text.split('\n').find((l) => l.startsWith('control plane version:'))
  return line ? parseVersion(line.slice('control plane version:'.length)) : undefined
}
