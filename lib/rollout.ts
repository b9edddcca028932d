// Rollouts: kubectl already knows how to wait for one; we give it the deadline, and say
// which step makes the thing when it is not there at all.
import type { Cluster } from './clusters.ts'
import { deadlines, type DeadlineName } from './defaults.ts'
import { deadlineSeconds } from './wait.ts'
import { ok } from './output.ts'

export interface RolloutOptions {
  deadline?: DeadlineName
  madeBy?: string          // the step that creates the resource, e.g. "make 06"
}

export async function waitForRollout(cluster: Cluster, resource: string, namespace: string, options: RolloutOptions = {}): Promise<void> {
  const deadline = options.deadline ?? 'rollout'
  const seconds = deadlineSeconds(deadline)
  const missing = options.madeBy ? `if it is not found, create it first (${options.madeBy}); ` : ''
  await cluster.$({
    fix: `${missing}see why its pods do not become Ready: kubectl --context=${cluster.context} describe ${resource} -n ${namespace}; to wait longer, set ${deadlines[deadline].env}=<seconds>`,
  })`kubectl --context=${cluster.context} rollout status ${resource} -n ${namespace} --timeout=${`${seconds}s`}`
  ok(cluster.name, `${resource} in ${namespace} is rolled out`)
}
