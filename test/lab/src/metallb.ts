// MetalLB v0.14.9, the release the workbook pins (lib/defaults.ts), as the lab stands it in:
// the kinds, names and images of its config/manifests/metallb-native.yaml (metallb/metallb
// v0.14.9), without the CRDs' schemas or the RBAC rules. The lab has no network, so the
// tests hand the workbook this stand-in through METALLB_MANIFEST_URL (a file: URL) and
// METALLB_MANIFEST_SHA256, as a user pins another release or a mirror; kubectl then
// applies it from the file like any other. Also its address pools and admission webhook.
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { stringify } from 'yaml'
import type { Obj } from './model.ts'
import { crd, namespace, podTemplate, service, serviceAccount } from './objects.ts'

export const release = 'v0.14.9'
const image = (name: string) => `quay.io/metallb/${name}:${release}`

export function metallbManifest(): Obj[] {
  const ns = 'metallb-system'
  const labels = (component: string) => ({ app: 'metallb', component })
  const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: string, account: string): Obj => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(kind === 'RoleBinding' ? { namespace: ns } : {}), labels: { app: 'metallb' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: ns }],
  })
  return [
    namespace(ns, { 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' }),
    crd('metallb.io', 'BFDProfile', 'bfdprofiles', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPAdvertisement', 'bgpadvertisements', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPPeer', 'bgppeers', 'Namespaced', ['v1beta1', 'v1beta2']),
    crd('metallb.io', 'Community', 'communities', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'IPAddressPool', 'ipaddresspools', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'L2Advertisement', 'l2advertisements', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'ServiceL2Status', 'servicel2statuses', 'Namespaced', ['v1beta1']),
    serviceAccount('controller', ns, labels('controller')),
    serviceAccount('speaker', ns, labels('speaker')),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'controller', namespace: ns, labels: { app: 'metallb' } }, rules: [] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-lister', namespace: ns, labels: { app: 'metallb' } }, rules: [] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-system:controller', labels: { app: 'metallb' } }, rules: [] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-system:speaker', labels: { app: 'metallb' } }, rules: [] },
    binding('RoleBinding', 'controller', 'controller', 'controller'),
    binding('RoleBinding', 'pod-lister', 'pod-lister', 'speaker'),
    binding('ClusterRoleBinding', 'metallb-system:controller', 'metallb-system:controller', 'controller'),
    binding('ClusterRoleBinding', 'metallb-system:speaker', 'metallb-system:speaker', 'speaker'),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'metallb-excludel2', namespace: ns }, data: { 'excludel2.yaml': 'announcedInterfacesToExclude: ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo$", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^nodelocaldns.*"]\n' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'metallb-webhook-cert', namespace: ns } },
    service('metallb-webhook-service', ns, { component: 'controller' }, [{ name: 'webhook', port: 443, targetPort: 9443 }]),
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'controller', namespace: ns, labels: labels('controller') },
      spec: {
        revisionHistoryLimit: 3, selector: { matchLabels: labels('controller') },
        template: podTemplate(labels('controller'), [{ name: 'controller', image: image('controller'), args: ['--port=7472', '--log-level=info', '--tls-min-version=VersionTLS12'], ports: [{ containerPort: 7472, name: 'monitoring' }, { containerPort: 9443, name: 'webhook-server', protocol: 'TCP' }] }], { spec: { serviceAccountName: 'controller' } }),
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'speaker', namespace: ns, labels: labels('speaker') },
      spec: {
        selector: { matchLabels: labels('speaker') },
        template: podTemplate(labels('speaker'), [{ name: 'speaker', image: image('speaker'), args: ['--port=7472', '--log-level=info'], ports: [{ containerPort: 7472, name: 'monitoring' }, { containerPort: 7946, name: 'memberlist-tcp' }, { containerPort: 7946, name: 'memberlist-udp', protocol: 'UDP' }] }], { spec: { serviceAccountName: 'speaker', hostNetwork: true } }),
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'metallb-webhook-configuration' },
      webhooks: ['bgppeersvalidationwebhook', 'bfdprofilevalidationwebhook', 'bgpadvertisementvalidationwebhook', 'communityvalidationwebhook', 'ipaddresspoolvalidationwebhook', 'l2advertisementvalidationwebhook']
        .map((name) => ({ name: `${name}.metallb.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', clientConfig: { service: { name: 'metallb-webhook-service', namespace: ns } } })),
    },
  ]
}

// The stand-in as a file (YAML documents, as the release's manifest is), its file: URL and
// sha256: what a test, or a person using the lab by hand, sets METALLB_MANIFEST_URL and
// METALLB_MANIFEST_SHA256 to.
export function writeStandInManifest(dir: string): { file: string; url: string; sha256: string } {
  mkdirSync(dir, { recursive: true })
  const file = resolve(join(dir, 'metallb-native.yaml'))
  const text = metallbManifest().map((doc) => stringify(doc)).join('---\n')
  writeFileSync(file, text)
  return { file, url: pathToFileURL(file).href, sha256: createHash('sha256').update(text).digest('hex') }
}

// node test/lab/src/metallb.ts <folder>: write it and print the two settings.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { url, sha256 } = writeStandInManifest(process.argv[2] ?? process.env.LAB_STATE ?? '.')
  process.stdout.write(`export METALLB_MANIFEST_URL=${url}\nexport METALLB_MANIFEST_SHA256=${sha256}\n`)
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

export function parseRange(text: string): [number, number] | string {
  const value = text.trim()
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(value)
  if (cidr) {
    const base = ipToInt(cidr[1]!)
    const bits = Number(cidr[2])
    if (base === undefined || bits > 32) return `invalid CIDR "${value}"`
    const size = 2 ** (32 - bits)
    const start = Math.floor(base / size) * size
    return [start, start + size - 1]
  }
  const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(value)
  if (range) {
    const first = ipToInt(range[1]!)
    const last = ipToInt(range[2]!)
    if (first === undefined || last === undefined) return `invalid IP range "${value}": invalid address`
    if (first > last) return `invalid IP range "${value}": start IP ${range[1]} is after the end IP ${range[2]}`
    return [first, last]
  }
  return `invalid CIDR "${value}"`
}

export function poolRanges(pool: Obj): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  for (const text of pool.spec?.addresses ?? []) {
    const range = parseRange(String(text))
    if (typeof range !== 'string') ranges.push(range)
  }
  return ranges
}

export function addressesIn(ranges: Array<[number, number]>, limit = 1024): string[] {
  const addresses: string[] = []
  for (const [first, last] of ranges) {
    for (let n = first; n <= last && addresses.length < limit; n++) addresses.push(intToIp(n))
  }
  return addresses
}

// What MetalLB's validating webhook says about a pool or an advertisement; undefined: fine.
export function validateMetallb(obj: Obj, others: Obj[]): string | undefined {
  if (obj.kind === 'IPAddressPool') {
    const addresses = obj.spec?.addresses
    if (!Array.isArray(addresses) || addresses.length === 0) return `admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: pool ${obj.metadata?.name} has no addresses`
    const mine: Array<[number, number]> = []
    for (const text of addresses) {
      const range = parseRange(String(text))
      if (typeof range === 'string') return `admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: ${range} in pool ${obj.metadata?.name}`
      mine.push(range)
    }
    for (const other of others) {
      if (other.kind !== 'IPAddressPool' || other.metadata?.name === obj.metadata?.name) continue
      for (const [a, b] of poolRanges(other)) {
        if (mine.some(([c, d]) => c <= b && a <= d)) return `admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: CIDR "${intToIp(a)}-${intToIp(b)}" in pool "${other.metadata?.name}" overlaps with pool "${obj.metadata?.name}"`
      }
    }
  }
  return undefined
}
