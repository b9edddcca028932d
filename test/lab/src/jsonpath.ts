// kubectl's JSONPath templates: text and {expressions}, with .field, ['field'], [n], [*],
// [a:b], ..field, [?(@.f=="v")], {range}..{end}, {"literal"}. As with `kubectl get`,
// missing keys print nothing; an index past the end of a list is an error.

export class JsonPathError extends Error {}

type Value = unknown

function parseSegments(expr: string): string[] {
  // split an expression like .a.b[0]['c'][?(@.x=="y")] into segments
  const segments: string[] = []
  let i = 0
  const text = expr.trim().replace(/^\$/, '')
  while (i < text.length) {
    const ch = text[i]!
    if (ch === '.') {
      if (text[i + 1] === '.') {
        let j = i + 2
        while (j < text.length && /[\w-]/.test(text[j]!)) j++
        segments.push(`..${text.slice(i + 2, j)}`)
        i = j
        continue
      }
      // A backslash escapes the next character (a dot in a key: {.data.agent\.conf}), and
      // is dropped from the name (client-go util/jsonpath, parser.go: advance, parseField).
      let j = i + 1
      while (j < text.length && (text[j] === '\\' || /[\w\-/]/.test(text[j]!))) j += text[j] === '\\' ? 2 : 1
      const name = text.slice(i + 1, j).replace(/\\/g, '')
      if (name !== '') segments.push(name)
      i = j
      continue
    }
    if (ch === '[') {
      let depth = 0
      let j = i
      let quote = ''
      for (; j < text.length; j++) {
        const c = text[j]!
        if (quote) {
          if (c === quote) quote = ''
          continue
        }
        if (c === '"' || c === "'") quote = c
        else if (c === '[') depth++
        else if (c === ']' && --depth === 0) break
      }
      if (j >= text.length) throw new JsonPathError(`unterminated array`)
      segments.push(text.slice(i, j + 1))
      i = j + 1
      continue
    }
    if (ch === '@') {
      i++
      continue
    }
    if (/\s/.test(ch)) {
      i++
      continue
    }
    throw new JsonPathError(`unrecognized character in action: U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} '${ch}'`)
  }
  return segments
}

function literal(text: string): Value {
  const t = text.trim()
  if (/^(["']).*\1$/.test(t)) return t.slice(1, -1)
  if (t === 'true' || t === 'false') return t === 'true'
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t)
  return t
}

function descend(value: Value, name: string, out: Value[]): void {
  if (Array.isArray(value)) {
    for (const item of value) descend(item, name, out)
    return
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, Value>
    if (name in obj) out.push(obj[name])
    for (const child of Object.values(obj)) if (child !== null && typeof child === 'object') descend(child, name, out)
  }
}

function step(values: Value[], segment: string): Value[] {
  const out: Value[] = []
  if (segment.startsWith('..')) {
    for (const v of values) descend(v, segment.slice(2), out)
    return out
  }
  if (!segment.startsWith('[')) {
    for (const v of values) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && segment in (v as object)) out.push((v as Record<string, Value>)[segment])
    }
    return out
  }
  const inner = segment.slice(1, -1).trim()
  if (/^(["']).*\1$/.test(inner)) {
    return step(values, inner.slice(1, -1))
  }
  if (inner === '*') {
    for (const v of values) {
      if (Array.isArray(v)) out.push(...v)
      else if (v !== null && typeof v === 'object') out.push(...Object.values(v as object))
    }
    return out
  }
  if (inner.startsWith('?(') && inner.endsWith(')')) {
    const cond = inner.slice(2, -1)
    const match = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/.exec(cond)
    for (const v of values) {
      const items = Array.isArray(v) ? v : [v]
      for (const item of items) {
        if (match) {
          const left = evaluate(match[1]!, item)
          const right = literal(match[3]!)
          const l = left[0]
          const ok = match[2] === '==' ? l === right || String(l) === String(right)
            : match[2] === '!=' ? String(l) !== String(right)
            : match[2] === '<' ? Number(l) < Number(right) : match[2] === '>' ? Number(l) > Number(right)
            : match[2] === '<=' ? Number(l) <= Number(right) : Number(l) >= Number(right)
          if (left.length > 0 && ok) out.push(item)
        } else if (evaluate(cond, item).length > 0) out.push(item)
      }
    }
    return out
  }
  const slice = /^(-?\d*):(-?\d*)(?::(-?\d+))?$/.exec(inner)
  if (slice) {
    for (const v of values) {
      if (!Array.isArray(v)) continue
      const start = slice[1] === '' ? 0 : Number(slice[1])
      const end = slice[2] === '' ? v.length : Number(slice[2])
      out.push(...v.slice(start < 0 ? v.length + start : start, end < 0 ? v.length + end : end))
    }
    return out
  }
  if (/^-?\d+$/.test(inner)) {
    const index = Number(inner)
    for (const v of values) {
      if (!Array.isArray(v)) continue
      const at = index < 0 ? v.length + index : index
      if (at < 0 || at >= v.length) throw new JsonPathError(`array index out of bounds: index ${index}, length ${v.length}`)
      out.push(v[at])
    }
    return out
  }
  throw new JsonPathError(`invalid array index ${inner}`)
}

function evaluate(expr: string, data: Value): Value[] {
  let values: Value[] = [data]
  for (const segment of parseSegments(expr)) values = step(values, segment)
  return values
}

function show(value: Value): string {
  if (typeof value === 'string') return value
  if (value === undefined) return ''
  return JSON.stringify(value)
}

type Node = { text: string } | { expr: string } | { range: string; body: Node[] }

function parseTemplate(template: string): Node[] {
  const tokens: Array<{ text?: string; action?: string }> = []
  let i = 0
  let text = ''
  while (i < template.length) {
    const ch = template[i]!
    if (ch === '{') {
      let j = i + 1
      let quote = ''
      for (; j < template.length; j++) {
        const c = template[j]!
        if (quote) {
          if (c === '\\') j++
          else if (c === quote) quote = ''
          continue
        }
        if (c === '"') quote = c
        else if (c === '}') break
      }
      if (j >= template.length) throw new JsonPathError(`unclosed action`)
      if (text) tokens.push({ text })
      text = ''
      tokens.push({ action: template.slice(i + 1, j) })
      i = j + 1
      continue
    }
    text += ch
    i++
  }
  if (text) tokens.push({ text })
  let k = 0
  const block = (inRange: boolean): Node[] => {
    const nodes: Node[] = []
    while (k < tokens.length) {
      const token = tokens[k++]!
      if (token.text !== undefined) {
        nodes.push({ text: token.text })
        continue
      }
      const action = token.action!.trim()
      if (action === 'end') {
        if (!inRange) throw new JsonPathError('not in range, nothing to end')
        return nodes
      }
      if (action.startsWith('range ')) {
        nodes.push({ range: action.slice(6), body: block(true) })
        continue
      }
      if (/^"(?:[^"\\]|\\.)*"$/.test(action)) {
        nodes.push({ text: JSON.parse(action) })
        continue
      }
      nodes.push({ expr: action })
    }
    if (inRange) throw new JsonPathError('unclosed range')
    return nodes
  }
  return block(false)
}

function run(nodes: Node[], data: Value): string {
  let out = ''
  for (const node of nodes) {
    if ('text' in node) out += node.text
    else if ('expr' in node) out += evaluate(node.expr, data).map(show).join(' ')
    else for (const item of evaluate(node.range, data)) out += run(node.body, item)
  }
  return out
}

// kubectl accepts the template with or without braces: `.a.b` means `{.a.b}`.
export function jsonpath(template: string, data: Value): string {
  const t = template.includes('{') ? template : `{${template}}`
  return run(parseTemplate(t), data)
}
