// The lab's clock: how long things take in a real pair of kind clusters, in seconds, and
// how the lab turns that into real waiting. One table, exported, so that a benchmark can
// reason about the same numbers the tools sleep by.
//
// LAB_TIME_SCALE multiplies every modelled duration (default 0.005: a 60 s `kind create
// cluster` takes 0.3 s). 0 makes everything happen at once. Deadlines the workbook passes
// on the command line (--timeout=300s, --wait --timeout 600s) are real seconds and are
// never scaled; defaults the real tools apply by themselves (istioctl's readiness timeout)
// are part of the model and are.

export const durations = {
  dockerCommand: 0.1,          // docker inspect, network inspect, info
  kindCreateCluster: 60,       // node container up, control plane ready, kubeconfig written
  kindDeleteCluster: 8,
  kindExportKubeconfig: 0.3,
  kubectlRequest: 0.2,         // one API round trip: get, apply, patch, label
  kubectlExec: 0.4,            // exec into a container and run a short command
  podStart: 20,                // a pod from creation to Ready (pull, start, probes)
  podTermination: 30,          // a deleted pod until it is gone: up to its grace period, 30 s by default (terminationGracePeriodSeconds)
  metallbReady: 20,            // MetalLB's controller and speaker Ready
  metallbWebhook: 5,           // MetalLB's admission webhook answers this long after its controller is Ready
  loadBalancerAddress: 5,      // MetalLB assigns an address to a LoadBalancer Service
  cloudLoadBalancer: 30,       // an existing cluster's cloud provisions a load balancer and shows its address
  hostnameResolves: 30,        // a cloud load balancer's host name (AWS) resolves in DNS after it is shown
  helmRepoAdd: 2,
  helmRepoUpdate: 2,
  helmInstall: 4,              // render the chart and create its objects (before any --wait)
  spireServerReady: 45,        // spire-server-0 Ready (CA prepared, controller manager up)
  spireAgentReady: 30,         // spire-agent and the SPIFFE CSI driver on the node
  istioctlInstall: 5,          // render and apply the manifests (before waiting for readiness)
  istiodReady: 35,
  gatewayReady: 25,
  istioctlReadinessTimeout: 300, // istioctl install gives up on unready components after this (its default)
  createRemoteSecret: 1,
  remoteSync: 5,               // istiod has listed the remote cluster's services after the secret appears
  federation: 10,              // a ClusterFederatedTrustDomain to the other bundle in `bundle list`
  bundleRefresh: 75,           // SPIRE's server polls a federated bundle endpoint: its bundle's refresh hint (5m) / 4 attempts
  endpointsPropagation: 5,     // cross-network endpoints reach the client's proxy
  curl: 0.05,
} as const

export type Duration = keyof typeof durations

export const defaultTimeScale = 0.005

export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.LAB_TIME_SCALE
  if (text === undefined || text === '') return defaultTimeScale
  const value = Number(text)
  return Number.isFinite(value) && value >= 0 ? value : defaultTimeScale
}

// Real milliseconds for a modelled duration (a name from the table or seconds).
export function scaled(duration: Duration | number, env: NodeJS.ProcessEnv = process.env): number {
  const seconds = typeof duration === 'number' ? duration : durations[duration]
  return Math.round(seconds * 1000 * timeScale(env))
}

// Every deliberate wait of this invocation goes through sleep(), so its total is the
// invocation's modelled duration (in real, scaled milliseconds). The invocation log
// records it, and the benchmark adds it up.
let sleptMs = 0

export function modelledMs(): number {
  return sleptMs
}

export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  sleptMs += ms
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Go durations as tools take them on the command line: "300s", "5m", "1m30s", "500ms", "0".
export function parseGoDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const units: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 }
  let total = 0
  let rest = text
  if (rest === '') return undefined
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/.exec(rest)
    if (!match) return undefined
    total += Number(match[1]) * units[match[2]!]!
    rest = rest.slice(match[0].length)
  }
  return total
}

// Wait until `check` says done, sleeping exactly until the time it names (re-reading the
// state then, since other commands may have changed it), or polling when it can name none.
// Returns false when the deadline (epoch ms) passes first.
export async function waitUntil(check: () => { done: boolean; at?: number }, deadline: number): Promise<boolean> {
  for (;;) {
    const { done, at } = check()
    if (done) return true
    const now = Date.now()
    if (now >= deadline) return false
    const next = at !== undefined && Number.isFinite(at) ? Math.max(at - now, 5) : 200
    await sleep(Math.min(next, deadline - now))
  }
}
