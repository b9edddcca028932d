// The lab's parsers must not accept what the real tools refuse: every kubectl and helm
// command line of a lab demo (its invocation log; the shared chain's, chain.ts, from the
// empty lab to step 15) is replayed through the real kubectl
// 1.33 and helm 4 (test/e2e/real-tools.ts), against a kubeconfig whose server answers
// nowhere. They then get as far as they can without a cluster; an unknown flag, a missing
// argument or any other usage error fails the test. A connection error is what a command
// whose usage was fine meets next.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { realTools } from './real-tools.ts'
import { sharedChain } from './chain.ts'
import { Workspace } from './lab.ts'

// cobra's and kubectl's words for a command line they do not accept.
const usageError = /unknown (shorthand )?flag|flag needs an argument|invalid argument ".*" for ".*" flag|unknown command|requires (at least |at most |exactly )?\d+ arguments?|accepts (at most |between )?\d+ arg|See '.* -h' for help|Run '.* --help' for usage|must specify one of|--[\w-]+ (is|are) not (allowed|supported)/i
// What a command meets once its usage passed: no server, no network.
const connectionError = /connection refused|Unable to connect to the server|cluster unreachable|proxyconnect|no such host/i

interface Replay { tool: string; args: string[]; code: number; stderr: string }

const ws = new Workspace()
let tools: ReturnType<typeof realTools>
let env: Record<string, string>
let replays: Replay[] = []

function replay(tool: string, args: string[]): Promise<Replay> {
  return new Promise((done) => {
    const child = spawn(tool === 'kubectl' ? tools.kubectl : tools.helm, args, { cwd: ws.dir, env, stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })
    // `-f -` reads a manifest from stdin; the log has no stdin, so any manifest will do.
    child.stdin.end(args.includes('-') ? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: replayed\n' : '')
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ tool, args, code: code ?? 137, stderr })
    })
  })
}

async function replayAll(lines: Array<{ tool: string; args: string[] }>): Promise<Replay[]> {
  const results: Replay[] = []
  for (let i = 0; i < lines.length; i += 4) results.push(...await Promise.all(lines.slice(i, i + 4).map((l) => replay(l.tool, l.args))))
  return results
}

before(async () => {
  tools = realTools()
  ws.restore((await sharedChain()).checkpoint('15-send-requests'))
  // A port nothing listens on: take one, then let it go.
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  // The contexts the demo used, each pointing at that port (no certificates to load).
  const contexts: string[] = (parse(readFileSync(ws.kubeconfig, 'utf8')).contexts ?? []).map((c: { name: string }) => c.name)
  const home = join(ws.root, 'replay-home')
  mkdirSync(home, { recursive: true })
  writeFileSync(join(home, 'kubeconfig'), stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': contexts[0],
    clusters: contexts.map((name) => ({ name, cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } })),
    users: contexts.map((name) => ({ name, user: { token: 'replay' } })),
    contexts: contexts.map((name) => ({ name, context: { cluster: name, user: name } })),
  }))
  env = {
    PATH: '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'kubeconfig'),
    HELM_CONFIG_HOME: join(home, 'helm-config'), HELM_CACHE_HOME: join(home, 'helm-cache'), HELM_DATA_HOME: join(home, 'helm-data'),
    // helm repo add and update fetch over https: send them to the closed port, so they fail at once.
    HTTPS_PROXY: `http://127.0.0.1:${port}`, HTTP_PROXY: `http://127.0.0.1:${port}`,
  }
  const seen = new Set<string>()
  const lines = ws.invocations().filter((i) => ['kubectl', 'helm'].includes(i.tool)).filter((i) => {
    const key = JSON.stringify([i.tool, i.args])
    return !seen.has(key) && seen.add(key)
  })
  replays = await replayAll(lines)
})
after(() => ws.remove())

test('the replay tells a usage error from a connection error (a check of the check)', async () => {
  const [badFlag, badArgs, fine] = await replayAll([
    { tool: 'kubectl', args: ['--context=kind-cluster-east', 'get', 'pods', '--bogus'] },
    { tool: 'helm', args: ['--kube-context=kind-cluster-east', 'upgrade', 'spire'] },
    { tool: 'kubectl', args: ['--context=kind-cluster-east', 'get', 'pods'] },
  ])
  assert.match(badFlag!.stderr, usageError)
  assert.match(badArgs!.stderr, usageError)
  assert.doesNotMatch(fine!.stderr, usageError)
  assert.match(fine!.stderr, connectionError)
})

test(`every kubectl and helm line of a lab demo parses with the real kubectl and helm`, () => {
  const kinds = new Set(replays.map((r) => `${r.tool} ${r.args.find((a) => !a.startsWith('-')) ?? ''}`))
  assert.ok(replays.length >= 30 && kinds.size >= 8, `only ${replays.length} lines (${[...kinds].join(', ')}) were replayed`)
  assert.ok(replays.some((r) => r.tool === 'helm' && r.args.includes('upgrade')), 'helm upgrade was replayed')
  const refused = replays.filter((r) => usageError.test(r.stderr))
  assert.deepEqual(refused.map((r) => `${r.tool} ${r.args.join(' ')}\n    ${r.stderr.trim().split('\n').slice(0, 2).join('\n    ')}`), [],
    'the real tools refuse command lines the lab accepted')
  // The lines that needed the cluster got as far as connecting to it.
  const connected = replays.filter((r) => connectionError.test(r.stderr))
  assert.ok(connected.length >= replays.length / 2, `only ${connected.length} of ${replays.length} lines reached the point of connecting`)
})
