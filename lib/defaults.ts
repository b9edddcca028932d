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
  // kind v0.31.0's own node image (kubernetes-sigs/kind v0.31.0,
  // pkg/apis/config/defaults/image.go), pinned by digest: kind lists the images suitable for
  // a release in that release's notes (site/content/docs/user/quick-start.md). Why 1.35:
  // see `tools` below.
  kindNodeImage: 'kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f',
  // 05 fetches each bundle endpoint from a short-lived pod of the other cluster with it.
  curlImage: 'curlimages/curl:8.14.1',
} as const

// ---------- The tools the steps run ----------
//
// The default combination (`release` below) is what a step runs when a tool is missing or
// outside its range (fetched once into .cache/bin/, lib/toolchain.ts), and what the
// real-cluster workflow runs (`make pins`, lib/pins.ts). How it was chosen:
//  - Istio 1.30.3: the newest release of the newest Istio minor (istio/istio tags). Istio
//    supports Kubernetes 1.32 to 1.36 with 1.30 and 1.31 to 1.35 with 1.29 (`istioSupport`).
//  - Kubernetes 1.35.0 on the nodes: the newest version both supported Istio minors support,
//    and the one Istio's own CI runs its kind clusters on at 1.29 and 1.30 (istio/istio
//    1.29.0, 1.30.3: prow/integ-suite-kind.sh, NODE_IMAGE kind-node:v1.35.0). kind v0.32.0's
//    own image, 1.36.1, is beyond Istio 1.29; v0.30.0's, 1.34.0, leaves upstream support first.
//  - kind v0.31.0: the release whose own node image that is.
//  - kubectl 1.35.2: the nodes' minor version.
//  - Helm 4.2.4: the newest Helm (helm/helm tags), built with the Kubernetes 1.36 client.
// Each range's lower bound has its reason next to it; a release newer than the newest
// `tried` (by minor version) has not been run by anyone, and the doctor says so.
export type FetchedTool = 'kind' | 'kubectl' | 'helm' | 'istioctl'

export interface ToolSupport {
  release: string              // the default: fetched when needed, run by the workflow
  oldest: readonly string[]    // the oldest supported release of each major version
  why: string                  // why nothing older is supported: the upstream source
  tried: readonly string[]     // the releases the real-cluster workflow runs
}

// The Istio minors upstream supports, the newest release of each (istio/istio tags), and
// the Kubernetes versions each supports (istio/istio.io, data/compatibility/supportStatus.yml:
// 1.30 supports 1.32 to 1.36, 1.29 supports 1.31 to 1.35; 1.28, which supports 1.30 to
// 1.34, left support on 2026-07-01). istioctl warns below its MinK8SVersion (istio/istio
// istioctl/pkg/install/k8sversion/version.go: 30 at 1.29.0, 32 at 1.30.0).
export const istioSupport = [
  { minor: '1.30', release: '1.30.3', kubernetes: { oldest: '1.32', newest: '1.36' } },
  { minor: '1.29', release: '1.29.6', kubernetes: { oldest: '1.31', newest: '1.35' } },
] as const

export const tools: Record<FetchedTool, ToolSupport> = {
  kind: {
    release: '0.31.0',
    oldest: ['0.31.0'],
    why: 'the pinned node image is the one kind v0.31.0 was released with, and kind names the images suitable for a release in that release\'s notes (kubernetes-sigs/kind v0.31.0: pkg/apis/config/defaults/image.go, site/content/docs/user/quick-start.md)',
    tried: ['0.31.0'],
  },
  kubectl: {
    release: '1.35.2',
    oldest: ['1.34.0'],
    why: 'kubectl is supported within one minor version of the API server, and the nodes run Kubernetes 1.35 (Kubernetes version skew policy, kubernetes/website content/en/releases/version-skew-policy.md)',
    tried: ['1.35.2'],
  },
  helm: {
    release: '4.2.4',
    oldest: ['3.20.0', '4.1.0'],
    why: 'a Helm supports the Kubernetes minor of the client it was built with and the three before it, nothing newer (helm.sh docs/topics/version_skew); the first built with the 1.35 client are 3.20.0 and 4.1.0 (helm/helm go.mod: k8s.io/client-go v0.35.0)',
    tried: ['4.2.4'],
  },
  istioctl: {
    release: '1.30.3',
    oldest: ['1.29.0'],
    why: 'Istio 1.29 is the oldest minor upstream still supports, and the oldest that supports Kubernetes 1.35 (istio/istio.io data/compatibility/supportStatus.yml: 1.28 supports 1.30 to 1.34 and left support on 2026-07-01)',
    tried: istioSupport.map((istio) => istio.release),
  },
}

// Below these the steps cannot work at all, whatever TOOLS says: 06 and 07 refuse an older
// istioctl. 1.27 is the oldest release whose source the settings were read against (what
// gen-eastwest-gateway.sh prints, ENABLE_NATIVE_SIDECARS, what caCertificates does); nothing
// older was checked.
export const minimumVersions = {
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
