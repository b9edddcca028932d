// The combinations the real-cluster workflow runs, from lib/defaults.ts: the default one,
// and one for every other Istio minor upstream supports, on the same nodes (each Istio minor
// supports their Kubernetes version: a unit test checks it). The workflow keeps no version
// of its own:
//   make -s pins                         the default, as NAME=value lines for $GITHUB_ENV
//   make -s pins ARGS=--matrix           the combinations, as JSON for the job matrix
//   make -s pins ARGS=--entry=istio-1.29 one combination's NAME=value lines
// The default combination runs with TOOLS=pinned: the steps fetch and check their tools
// themselves, as for a newcomer. The others install theirs first and run with TOOLS=path.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { istioSupport, tools } from './defaults.ts'

export interface Combination {
  name: string
  tools: 'pinned' | 'path'   // how the job gets its tools (TOOLS=)
  istio: string
}

export function matrix(): Combination[] {
  return istioSupport.map((istio) => istio.release === tools.istioctl.release
    ? { name: 'default', tools: 'pinned' as const, istio: istio.release }
    : { name: `istio-${istio.minor}`, tools: 'path' as const, istio: istio.release })
}

export function pins(name = 'default'): Record<string, string> {
  const combination = matrix().find((c) => c.name === name)
  if (!combination) throw new Error(`no combination "${name}" (there are: ${matrix().map((c) => c.name).join(', ')})`)
  return {
    KIND_VERSION: `v${tools.kind.release}`,
    KUBECTL_VERSION: `v${tools.kubectl.release}`,
    HELM_VERSION: `v${tools.helm.release}`,
    ISTIO_VERSION: combination.istio,
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const entry = args.find((a) => a.startsWith('--entry='))?.slice('--entry='.length)
  if (args.includes('--matrix')) process.stdout.write(JSON.stringify(matrix()) + '\n')
  else process.stdout.write(Object.entries(pins(entry)).map(([name, value]) => `${name}=${value}\n`).join(''))
}
