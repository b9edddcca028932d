// Go text/template, the subset docker's --format/-f takes: {{.A.B}}, {{range .X}}..{{end}},
// {{if}}/{{else}}, {{json .X}}, {{index .M "k"}}, {{(index .M "k").F}}, {{.Label "k"}}, {{len}},
// {{join .L ","}}.
// Maps range in key order, as in Go.

type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipeline: string }
  | { type: 'range'; pipeline: string; body: Node[]; otherwise: Node[] }
  | { type: 'if'; pipeline: string; body: Node[]; otherwise: Node[] }

export class TemplateError extends Error {}

function tokenize(template: string): Array<{ text?: string; action?: string }> {
  const parts: Array<{ text?: string; action?: string }> = []
  let rest = template
  while (rest.length > 0) {
    const open = rest.indexOf('{{')
    if (open < 0) {
      parts.push({ text: rest })
      break
    }
    let text = rest.slice(0, open)
    let inner = rest.slice(open + 2)
    const close = inner.indexOf('}}')
    if (close < 0) throw new TemplateError('template: :1: unclosed action')
    let action = inner.slice(0, close)
    inner = inner.slice(close + 2)
    if (action.startsWith('-')) {
      text = text.trimEnd()
      action = action.slice(1)
    }
    if (action.endsWith('-')) {
      action = action.slice(0, -1)
      inner = inner.trimStart()
    }
    if (text) parts.push({ text })
    parts.push({ action: action.trim() })
    rest = inner
  }
  return parts
}

function build(parts: Array<{ text?: string; action?: string }>): Node[] {
  let i = 0
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = []
    while (i < parts.length) {
      const part = parts[i++]!
      if (part.text !== undefined) {
        nodes.push({ type: 'text', text: part.text })
        continue
      }
      const action = part.action!
      const word = action.split(/\s+/)[0]!
      if (terminators.includes(word)) return { nodes, end: word }
      if (word === 'range' || word === 'if') {
        const body = block(['end', 'else'])
        const otherwise = body.end === 'else' ? block(['end']).nodes : []
        nodes.push({ type: word, pipeline: action.slice(word.length).trim(), body: body.nodes, otherwise })
        continue
      }
      if (word === 'end' || word === 'else') throw new TemplateError(`template: :1: unexpected {{${word}}}`)
      nodes.push({ type: 'action', pipeline: action })
    }
    if (terminators.length > 0) throw new TemplateError('template: :1: unexpected EOF')
    return { nodes, end: '' }
  }
  return block([]).nodes
}

function words(pipeline: string): string[] {
  const result: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g
  let match: RegExpExecArray | null
  while ((match = re.exec(pipeline))) result.push(match[1] !== undefined ? JSON.stringify(JSON.parse(`"${match[1]}"`)) : match[2]!)
  return result
}

function field(dot: unknown, path: string, pipeline: string): unknown {
  if (path === '.') return dot
  let current: unknown = dot
  for (const name of path.split('.').slice(1)) {
    if (current === null || typeof current !== 'object') throw new TemplateError(`template: :1: executing "" at <${pipeline}>: can't evaluate field ${name} in type ${typeof current}`)
    if (!(name in (current as Record<string, unknown>))) throw new TemplateError(`template: :1: executing "" at <${pipeline}>: can't evaluate field ${name}`)
    current = (current as Record<string, unknown>)[name]
  }
  return current
}

function evaluate(pipeline: string, dot: unknown): unknown {
  // A parenthesised pipeline with fields after it: (index .Networks "kind").IPAddress
  const chained = /^\((.+)\)((?:\.[A-Za-z_]\w*)+)$/.exec(pipeline.trim())
  if (chained) return field(evaluate(chained[1]!, dot), chained[2]!, pipeline)
  const [head, ...args] = words(pipeline)
  if (head === undefined) return ''
  const arg = (word: string): unknown => word.startsWith('"') ? JSON.parse(word) : word.startsWith('.') ? field(dot, word, pipeline) : word === '$' ? dot : word
  switch (head) {
    case 'json': return JSON.stringify(arg(args[0] ?? '.'))
    case 'len': {
      const value = arg(args[0] ?? '.')
      return Array.isArray(value) ? value.length : value && typeof value === 'object' ? Object.keys(value).length : String(value ?? '').length
    }
    case 'index': {
      const value = arg(args[0]!) as Record<string, unknown>
      return value?.[String(arg(args[1]!))] ?? '<no value>'
    }
    case 'join': return (arg(args[0]!) as unknown[]).join(String(arg(args[1]!)))
    case 'upper': return String(arg(args[0]!)).toUpperCase()
    case 'lower': return String(arg(args[0]!)).toLowerCase()
    case 'println': return args.map((a) => String(arg(a))).join(' ') + '\n'
  }
  if (head.startsWith('.') && head.endsWith('.Label') && args.length === 1) {
    const labels = field(dot, head.slice(0, -'.Label'.length) || '.', pipeline) as { Labels?: Record<string, string> }
    return labels?.Labels?.[String(arg(args[0]!))] ?? ''
  }
  if (head === '.Label' && args.length === 1) {
    return (dot as { Labels?: Record<string, string> })?.Labels?.[String(arg(args[0]!))] ?? ''
  }
  if (head.startsWith('.') || head === '$' || head.startsWith('"')) {
    if (args.length > 0) throw new TemplateError(`template: :1: executing "" at <${head}>: ${head} is not a method but has arguments`)
    return arg(head)
  }
  throw new TemplateError(`template: :1: function "${head}" not defined`)
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '<no value>'
  if (typeof value === 'object') {
    if (Array.isArray(value)) return `[${value.map(show).join(' ')}]`
    return `map[${Object.keys(value).sort().map((k) => `${k}:${show((value as Record<string, unknown>)[k])}`).join(' ')}]`
  }
  return String(value)
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (value && typeof value === 'object') return Object.keys(value).length > 0
  return Boolean(value)
}

function run(nodes: Node[], dot: unknown): string {
  let text = ''
  for (const node of nodes) {
    if (node.type === 'text') text += node.text
    else if (node.type === 'action') text += show(evaluate(node.pipeline, dot))
    else if (node.type === 'if') text += run(truthy(evaluate(node.pipeline, dot)) ? node.body : node.otherwise, dot)
    else {
      const value = evaluate(node.pipeline, dot)
      const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.keys(value).sort().map((k) => (value as Record<string, unknown>)[k]) : []
      if (items.length === 0) text += run(node.otherwise, dot)
      for (const item of items) text += run(node.body, item)
    }
  }
  return text
}

export function renderGoTemplate(template: string, data: unknown): string {
  return run(build(tokenize(template)), data)
}
