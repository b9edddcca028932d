// What a finished demo must have left in the lab, judged against the lab's table of roles
// (test/lab/src/expected.ts), not against the workbook's own files: which version of
// helloworld runs where, and which pinned chart, node image and MetalLB release each
// cluster runs. The demo test asserts that these find nothing; the mutants test, that
// each finds the mistake made on purpose.
import { pinned, roles, type Role } from '../lab/src/expected.ts'
import type { ClusterState, Stored } from '../lab/src/model.ts'
import type { Workspace } from './lab.ts'

const workload = (state: ClusterState, name: string): Stored | undefined => state.objects[`apps|Deployment|${pinned.namespaces.apps}|${name}`]
const podsOf = (state: ClusterState, kind: string, ns: string, name: string) =>
  Object.values(state.objects).filter((s) => s.obj.kind === 'Pod' && s.meta.owner === `apps|${kind}|${ns}|${name}`)
const images = (pods: Stored[]) => pods.flatMap((p) => (p.obj.spec?.containers ?? []).map((c: { image?: string }) => String(c.image)))

// Where each version of helloworld (and curl) runs: v1 in east only, v2 in west only.
export function placementProblems(ws: Workspace): string[] {
  const problems: string[] = []
  const clusters = ws.clusters()
  for (const role of Object.keys(roles) as Role[]) {
    const state = clusters[roles[role].kindName]
    if (!state) {
      problems.push(`there is no cluster ${roles[role].kindName}`)
      continue
    }
    for (const version of ['v1', 'v2'] as const) {
      const name = `helloworld-${version}`
      const runs = workload(state, name) !== undefined
      const belongs = pinned.helloworld[version] === role
      if (runs && !belongs) problems.push(`${name} runs in ${role}; it belongs in ${pinned.helloworld[version]} only`)
      if (!runs && belongs) problems.push(`${name} does not run in ${role}`)
      if (runs && belongs && !images(podsOf(state, 'Deployment', pinned.namespaces.apps, name)).some((image) => image.endsWith(`examples-helloworld-${version}:1.0`))) {
        problems.push(`${name} in ${role} has no pod running examples-helloworld-${version}`)
      }
    }
    const curl = workload(state, 'curl') !== undefined
    if (curl !== (pinned.curl === role)) problems.push(curl ? `curl runs in ${role}; it belongs in ${pinned.curl} only` : `curl does not run in ${role}`)
    if (!state.objects[`|Service|${pinned.namespaces.apps}|helloworld`]) problems.push(`${role} has no Service helloworld`)
  }
  return problems
}

// The pinned releases each cluster runs: charts, node image, MetalLB, SPIRE's trust domain.
export function pinnedProblems(ws: Workspace): string[] {
  const problems: string[] = []
  const clusters = ws.clusters()
  const containers = Object.values(ws.docker().containers)
  for (const role of Object.keys(roles) as Role[]) {
    const want = roles[role]
    const state = clusters[want.kindName]
    if (!state) {
      problems.push(`there is no cluster ${want.kindName}`)
      continue
    }
    for (const chart of Object.values(pinned.charts)) {
      const release = state.releases[`${chart.namespace}/${chart.release}`]
      if (!release) problems.push(`${role} has no Helm release ${chart.namespace}/${chart.release}`)
      else if (release.chart !== chart.name || release.version !== chart.version) problems.push(`${role}'s release ${chart.release} is chart ${release.chart} ${release.version}, not ${chart.name} ${chart.version}`)
    }
    const nodes = containers.filter((c) => c.cluster === want.kindName)
    if (nodes.length === 0) problems.push(`${role} has no node container`)
    for (const node of nodes) if (node.image !== pinned.nodeImage) problems.push(`${role}'s node ${node.name} runs ${node.image}, not ${pinned.nodeImage}`)
    for (const [kind, name, image] of [['Deployment', 'controller', pinned.metallb.controllerImage], ['DaemonSet', 'speaker', pinned.metallb.speakerImage]] as const) {
      const running = images(podsOf(state, kind, pinned.namespaces.metallb, name))
      if (!running.includes(image)) problems.push(`${role}'s MetalLB ${name} runs ${running.join(', ') || 'nothing'}, not ${image}`)
    }
    if (state.spire?.trustDomain !== want.trustDomain) problems.push(`${role}'s SPIRE server has trust domain ${state.spire?.trustDomain ?? '(none)'}, not ${want.trustDomain}`)
  }
  return problems
}
