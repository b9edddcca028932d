// MetalLB v0.13.11 as kubectl would get it from the pinned release URL (the lab has no
// network: it knows this one manifest), its address pools, and its admission webhook.
import type { Obj } from './model.ts'
import { crd, namespace, podTemplate, service, serviceAccount } from './objects.ts'

export const manifestUrl = 'https://raw.githubusercontent.com/metallb/metallb/v0.13.11/config/manifests/metallb-native.yaml'
const image = (name: string) => `quay.io/metallb/${name}:v0.13.11`

export function metallbManifest(): Obj[] {
  const ns = 'metallb-system'
  const labels = (component: string) => ({ app: 'metallb', component })
  return [
    namespace(ns, { 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' }),
    crd('metallb.io', 'AddressPool', 'addresspools', 'Namespaced', ['v1beta1', 'v1beta2']),
    crd('metallb.io', 'BFDProfile', 'bfdprofiles', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPAdvertisement', 'bgpadvertisements', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPPeer', 'bgppeers', 'Namespaced', ['v1beta2', 'v1beta1']),
    crd('metallb.io', 'Community', 'communities', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'IPAddressPool', 'ipaddresspools', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'L2Advertisement', 'l2advertisements', 'Namespaced', ['v1beta1']),
    serviceAccount('controller', ns, labels('controller')),
    serviceAccount('speaker', ns, labels('speaker')),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-system:controller', labels: { app: 'metallb' } }, rules: [] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-system:speaker', labels: { app: 'metallb' } }, rules: [] },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'metallb-excludel2', namespace: ns }, data: { 'excludel2.yaml': 'announcedInterfacesToExclude: ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo$", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^nodelocaldns.*"]\n' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-server-cert', namespace: ns } },
    service('webhook-service', ns, labels('controller'), [{ name: 'webhook', port: 443, targetPort: 9443 }]),
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'controller', namespace: ns, labels: labels('controller') },
      spec: {
        revisionHistoryLimit: 3, selector: { matchLabels: labels('controller') },
        template: podTemplate(labels('controller'), [{ name: 'controller', image: image('controller'), args: ['--port=7472', '--log-level=info'], ports: [{ containerPort: 7472, name: 'monitoring' }, { containerPort: 9443, name: 'webhook-server', protocol: 'TCP' }] }], { spec: { serviceAccountName: 'controller' } }),
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'speaker', namespace: ns, labels: labels('speaker') },
      spec: {
        selector: { matchLabels: labels('speaker') },
        template: podTemplate(labels('speaker'), [{ name: 'speaker', image: image('speaker'), args: ['--port=7472', '--log-level=info'], ports: [{ containerPort: 7472, name: 'monitoring' }] }], { spec: { serviceAccountName: 'speaker', hostNetwork: true } }),
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'metallb-webhook-configuration' },
      webhooks: ['ipaddresspoolvalidationwebhook', 'l2advertisementvalidationwebhook', 'bgppeersvalidationwebhook', 'bgpadvertisementvalidationwebhook', 'communityvalidationwebhook', 'bfdprofilevalidationwebhook']
        .map((name) => ({ name: `${name}.metallb.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', clientConfig: { service: { name: 'webhook-service', namespace: ns } } })),
    },
  ]
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
