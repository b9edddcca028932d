// Rollouts: kubectl already knows how to wait for one; we give it the deadline.
import type { Cluster } from './clusters.ts'
import { deadlines, type DeadlineName } from './defaults.ts'
import { deadlineSeconds } from './wait.ts'
import { ok } from './output.ts'

export async function waitForRollout(cluster: Cluster, resource: string, namespace: string, deadline: DeadlineName = 'rollout'): Promise<void> {
  const seconds = deadlineSeconds(deadline)
  await cluster.$({
    fix: `see why its pods do not become Ready: kubectl --context=${cluster.context} describe ${resource} -n ${namespace}; to wait longer, set ${deadlines[deadline].env}=<seconds>`,
  })`kubectl --context=${cluster.context} rollout status ${resource} -n ${namespace} --timeout=${`${seconds}s`}`
  ok(cluster.name, `${resource} in ${namespace} is rolled out`)
}
