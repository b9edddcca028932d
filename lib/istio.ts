// What istioctl reports about the mesh, read from its tables: remote clusters and the
// certificates a proxy holds. Each check says what is missing, not just that something is.
import type { Cluster } from './clusters.ts'
import { parseTable, type Row } from './table.ts'
import { waitFor } from './wait.ts'

const remoteClusterColumns = ['NAME', 'SECRET', 'STATUS', 'ISTIOD'] as const
const secretColumns = ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', 'TRUST DOMAIN'] as const

export function parseRemoteClusters(text: string): Row[] {
  return parseTable(text, remoteClusterColumns, 'istioctl remote-clusters')
}

// Names of clusters that are not (yet) synced, of those we expect.
export function unsynced(rows: Row[], expected: string[]): string[] {
  return expected.filter((name) => !rows.some((row) => row.NAME === name && row.STATUS === 'synced'))
}

export function parseProxySecrets(text: string): Row[] {
  return parseTable(text, secretColumns, 'istioctl proxy-config secret')
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

export async function waitForRemoteClusters(east: Cluster): Promise<Row[]> {
  let polls = 0
  let seen = ''
  const expected = [east.name, east.other.name]
  return waitFor(east.name, `${expected.join(' and ')} synced in ${east.name}'s istiod`, 'remoteSynced', async () => {
    const result = await east.$({ quiet: polls++ > 0, nothrow: true, standIn: standInRemoteClusters(east) })`istioctl --context=${east.context} remote-clusters`
    if (result.exitCode !== 0) {
      seen = result.stderr.trim()
      return undefined
    }
    const rows = parseRemoteClusters(result.stdout)
    const notSynced = unsynced(rows, expected)
    seen = notSynced.length ? `not synced: ${notSynced.join(', ')}` : ''
    return notSynced.length === 0 ? rows : undefined
  }, `check the remote secret (make 08) and that ${east.other.name}'s API server is reachable from ${east.name}`, () => seen)
}

// The walkthrough's merge patch that picks a deployment's injection templates, e.g.
// "sidecar,spire": the default sidecar plus the patch that mounts SPIRE's socket.
export function injectionTemplatesPatch(templates: string): string {
  return JSON.stringify({ spec: { template: { metadata: { annotations: { 'inject.istio.io/templates': templates } } } } })
}
