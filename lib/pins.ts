// The versions the real-cluster workflow installs, from lib/defaults.ts, as NAME=value
// lines it appends to $GITHUB_ENV (`make pins`): one place for every version, the
// workflow keeps no copy. kubectl is the release of the node image's Kubernetes, so
// client and nodes are the same minor version.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { versions, workflowTools } from './defaults.ts'

// "kindest/node:v1.33.1@sha256:..." → "v1.33.1"
export function nodeKubernetesVersion(image: string = versions.kindNodeImage): string {
  const tag = /:(v\d+\.\d+\.\d+)(@|$)/.exec(image)?.[1]
  if (!tag) throw new Error(`the node image ${image} has no vX.Y.Z tag`)
  return tag
}

export function pins(): Record<string, string> {
  return {
    KIND_VERSION: workflowTools.kind,
    KUBECTL_VERSION: nodeKubernetesVersion(),
    HELM_VERSION: workflowTools.helm,
    ISTIO_VERSION: workflowTools.istioctl,
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(Object.entries(pins()).map(([name, value]) => `${name}=${value}\n`).join(''))
}
