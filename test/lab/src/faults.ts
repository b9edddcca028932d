// Faults a test injects by writing $LAB_STATE/faults.json, read afresh by every command:
//   {"dockerDown": true}            the Docker daemon does not answer (and so no kind node does)
//   {"dockerSocketDenied": true}    this user may not open Docker's socket (not in the docker group)
//   {"dockerInfoSeconds": 4}        `docker info` takes this many real seconds (Docker Desktop runs its CLI plugins)
//   {"helmFailOnce": true}          the next `helm upgrade` fails once, as on a flaky API server
//   {"lbNeverAssigned": true}       MetalLB never assigns a LoadBalancer address
//   {"bundleGarbage": true}         `spire-server bundle show` prints garbage
//   {"istioctlInstallFails": true}  `istioctl install` fails
//   {"fail": [{"tool": "kubectl", "args": "rollout status", "times": 1, "exitCode": 1, "stderr": "..."}]}
//                                   any command whose arguments contain `args` fails (`times` times, or always)
// Removing a key (or the file) removes the fault.
import { files, readJson, stateDir, updateJson } from './state.ts'

export interface FailRule {
  tool: string
  args?: string
  times?: number
  exitCode?: number
  stderr?: string
  stdout?: string
}

export interface Faults {
  dockerDown?: boolean
  dockerSocketDenied?: boolean
  dockerInfoSeconds?: number
  helmFailOnce?: boolean
  lbNeverAssigned?: boolean
  bundleGarbage?: boolean
  istioctlInstallFails?: boolean
  // `kind create cluster --name <this>` makes the cluster, then loses the race for the
  // kubeconfig lock as real kind does when another kind writes it at that moment.
  kindLockLost?: string
  fail?: FailRule[]
}

export function faults(): Faults {
  try {
    return readJson<Faults>(files.faults(stateDir()), {})
  } catch {
    return {}
  }
}

// True once per name and state folder, however many commands ask at the same time.
export function consumeOnce(name: string, limit = 1): boolean {
  let granted = false
  updateJson<Record<string, number>>(files.faultsConsumed(stateDir()), {}, (consumed) => {
    const used = consumed[name] ?? 0
    if (used < limit) {
      consumed[name] = used + 1
      granted = true
    }
  })
  return granted
}

// A generic failure rule matching this command, if one applies (and is not used up).
export function matchingFailure(tool: string, args: string[]): FailRule | undefined {
  const rules = faults().fail ?? []
  const line = args.join(' ')
  for (const [index, rule] of rules.entries()) {
    if (rule.tool !== tool) continue
    if (rule.args !== undefined && !line.includes(rule.args)) continue
    if (rule.times !== undefined && !consumeOnce(`fail-${index}`, rule.times)) continue
    return rule
  }
  return undefined
}
