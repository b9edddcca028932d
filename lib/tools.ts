// Which command-line tools a script needs, and whether they are on PATH.
// Looking through PATH ourselves is instant; which release of kind, kubectl, helm and
// istioctl a step runs (asking each its version) is lib/toolchain.ts's.
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { tools } from './defaults.ts'
import { fail } from './errors.ts'
import { nodeKubernetesVersion, requireVersion } from './versions.ts'

const minor = (version: string) => version.split('.').slice(0, 2).join('.')
// The skew policy's other bound: one minor version newer than the nodes.
const [nodeMajor, nodeMinor] = requireVersion(nodeKubernetesVersion())
const newestKubectl = `${nodeMajor}.${nodeMinor + 1}`

export type Tool = 'docker' | 'kind' | 'kubectl' | 'helm' | 'istioctl'

// What to install when a tool is missing. With TOOLS unset the steps fetch kind, kubectl,
// helm and istioctl themselves (lib/toolchain.ts); these hints are for Docker, and for
// TOOLS=path. The versions are lib/defaults.ts's ranges.
export const installHints: Record<Tool, string> = {
  docker: 'install Docker (https://docs.docker.com/get-docker/) and start it',
  kind: `install kind ${tools.kind.oldest[0]} or newer (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)`,
  kubectl: `install kubectl ${minor(tools.kubectl.oldest[0]!)} to ${newestKubectl} (https://kubernetes.io/docs/tasks/tools/)`,
  helm: `install Helm ${tools.helm.oldest.join(' or newer, or ')} or newer (https://helm.sh/docs/intro/install/)`,
  istioctl: `install istioctl ${minor(tools.istioctl.oldest[0]!)} or newer (https://istio.io/latest/docs/setup/getting-started/#download)`,
}

// A file this user may run.
export function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function findOnPath(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, tool)).find(isExecutable)
}

export function missingTools(tools: readonly Tool[], env: NodeJS.ProcessEnv = process.env): Tool[] {
  return tools.filter((tool) => findOnPath(tool, env) === undefined)
}

export function requireTools(tools: readonly Tool[], env: NodeJS.ProcessEnv = process.env): void {
  const missing = missingTools(tools, env)
  if (missing.length === 0) return
  fail(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not on PATH, and this step runs ${missing.length === 1 ? 'it' : 'them'}`,
    missing.map((tool) => `${tool}: ${installHints[tool]}`).join('; ') + ' (or try the whole chain first with DRY_RUN=1, which needs none of them)')
}
