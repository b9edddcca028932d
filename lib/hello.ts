// Replies of the helloworld service, and the tally step 15 keeps of them.

// "Hello version: v2, instance: helloworld-v2-5f86f7755b-6rhj4"
export function parseHello(output: string): { version: string; instance: string } | undefined {
  const match = /Hello version: (\S+), instance: (\S+)/.exec(output)
  return match ? { version: match[1]!, instance: match[2]! } : undefined
}

// What went wrong in one failed call: the last line of its error output, skipping
// kubectl exec's own trailer ("command terminated with exit code 6"), which hides curl's.
export function failureReason(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^command terminated with exit code \d+$/.test(line))
  return lines.at(-1) ?? output.trim()
}

// One round of requests: curl fetched each URL in turn and wrote a newline after each
// (-w '\n'), so every line of stdout is one reply; curl's own errors come on stderr.
export function tallyRound(tally: Tally, stdout: string, stderr: string): void {
  let replies = 0
  for (const line of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const hello = parseHello(line)
    if (hello) tally.add(hello.version)
    else tally.fail(line)
    replies++
  }
  const errors = stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl: ('))
  for (const error of errors) tally.fail(error)
  if (replies === 0 && errors.length === 0) tally.fail(failureReason(stderr || stdout || 'no output'))
}

export class Tally {
  readonly counts = new Map<string, number>()
  failures = 0
  lastFailure = ''

  add(version: string): void {
    this.counts.set(version, (this.counts.get(version) ?? 0) + 1)
  }

  fail(reason: string): void {
    this.failures++
    this.lastFailure = reason
  }

  total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0) + this.failures
  }

  missing(expected: readonly string[]): string[] {
    return expected.filter((version) => !this.counts.has(version))
  }

  summary(): string {
    const parts = [...this.counts.entries()].sort().map(([version, n]) => `${version}: ${n}`)
    if (this.failures > 0) parts.push(`failed: ${this.failures}`)
    return parts.join(', ') || 'no replies'
  }
}
