// One place for every version, address and default the workbook uses.
// Scripts and templates take their values from here, never from literals of their own.

export const versions = {
  spireHelmRepo: { name: 'spiffe-hardened', url: 'https://spiffe.github.io/helm-charts-hardened' },
  spireCrdsChart: '0.5.0',
  spireChart: '0.24.0', // ships SPIRE 1.11.0
  // MetalLB as Istio's own kind helper installs it since 2025-03-25 (istio/istio 1.30.3,
  // samples/kind-lb/setupkind.sh: v0.14.9; the walkthrough's v0.13.11 came before). The
  // manifest is fetched, checked against this sha256 of the file at that tag, and applied
  // from the copy (lib/metallb.ts). METALLB_MANIFEST_URL with METALLB_MANIFEST_SHA256
  // picks another release or a mirror.
  metallb: {
    release: 'v0.14.9',
    manifest: 'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml',
    sha256: '951065e85692aa106f1bb5d5a487d9306154923a794ab1d82122881cbaf588e4',
  },
  // Native sidecars (the `spire` injection template patches initContainers) need 1.29+
  // nodes; 06 asks istiod for them explicitly (ENABLE_NATIVE_SIDECARS).
  // Pinned by digest: kind guarantees a node image only for the release that built it
  // (this one: kind v0.29.0).
  kindNodeImage: 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f',
  // 05 fetches each bundle endpoint from a short-lived pod of the other cluster with it.
  curlImage: 'curlimages/curl:8.14.1',
} as const

// The tool releases the real-cluster workflow installs (.github/workflows/e2e.yaml reads
// them from `make pins`, lib/pins.ts); its kubectl follows the node image's version.
export const workflowTools = {
  kind: 'v0.29.0',
  helm: 'v3.18.4',
  istioctl: '1.27.0',
} as const

export const minimumVersions = {
  kind: '0.29.0', // the release the pinned node image was built for
  helm: '3.7.0', // `helm repo update <name>`
  istioctl: '1.27.0',
} as const

export const defaults = {
  eastName: 'east',
  westName: 'west',
  eastIpSpace: 254,
  westIpSpace: 255,
  requests: 12,
  existingClusters: 'reuse',
  provider: 'kind',
} as const

// Every wait has a deadline in seconds, overridable by the environment variable named here.
export const deadlines = {
  // `docker info` runs every Docker CLI plugin first: seconds on Docker Desktop.
  dockerInfo: { env: 'WAIT_DOCKER_INFO_SECONDS', seconds: 30 },
  metallbReady: { env: 'WAIT_METALLB_SECONDS', seconds: 180 },
  helmWait: { env: 'WAIT_HELM_SECONDS', seconds: 600 },
  loadBalancerAddress: { env: 'WAIT_LB_ADDRESS_SECONDS', seconds: 120 },
  federation: { env: 'WAIT_FEDERATION_SECONDS', seconds: 180 },
  rollout: { env: 'WAIT_ROLLOUT_SECONDS', seconds: 300 },
  remoteSynced: { env: 'WAIT_REMOTE_SYNC_SECONDS', seconds: 180 },
  gatewaySecrets: { env: 'WAIT_GATEWAY_SECRETS_SECONDS', seconds: 180 },
  responses: { env: 'WAIT_RESPONSES_SECONDS', seconds: 180 },
  podsGone: { env: 'WAIT_PODS_GONE_SECONDS', seconds: 180 },
} as const

export type DeadlineName = keyof typeof deadlines

// Values only a live cluster knows. A dry run uses these and says so.
export const standIns = {
  kindNetwork: '172.18.0.0/16 172.18.0.1 fc00:f853:ccd:e793::/64 fc00:f853:ccd:e793::1',
  apiServerIp: (ipSpace: number) => `172.18.0.${ipSpace === 255 ? 3 : 2}`,
  bundleEndpoint: (ipSpace: number) => `172.18.${ipSpace}.200`,
  otherLoadBalancer: (ipSpace: number) => `172.18.${ipSpace}.201`,
} as const

export const paths = {
  configFile: 'workbook.config.json',
  logs: 'out/logs',
  rendered: 'out/rendered',
  dryRun: 'out/dry-run',
  experiments: 'out/experiments',  // an experiment's edited templates and the rendered files before it
} as const
