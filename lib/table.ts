// Column tables as istioctl prints them (Go's tabwriter): every value starts where its
// column's header starts. Headers may hold spaces ("TRUST DOMAIN"), so we are told them.
import { fail } from './errors.ts'

export type Row = Record<string, string>

export function parseTable(text: string, columns: readonly string[], what: string): Row[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  const headerIndex = lines.findIndex((line) => columns.every((column) => line.includes(column)))
  if (headerIndex < 0) {
    fail(`${what} did not print the table expected (columns ${columns.join(', ')}); it printed: ${text.trim().slice(0, 200) || 'nothing'}`,
      'check the tool\'s version (make doctor) and its full output in the step log')
  }
  const header = lines[headerIndex]!
  const starts = columns.map((column) => header.indexOf(column))
  return lines.slice(headerIndex + 1).map((line) => {
    const row: Row = {}
    columns.forEach((column, i) => {
      row[column] = line.slice(starts[i], i + 1 < columns.length ? starts[i + 1] : undefined).trim()
    })
    return row
  })
}
