// Experiments: one setting changed on a finished demo, to see what it is for. Each script in
// scripts/experiments/ reads like a step: the change (an edited copy of a template, run
// through the same step, or the walkthrough's own command), the checks that show the
// symptom, where to look; with --repair, the way back. The plumbing is here: edited
// templates, running a step as you would (node scripts/NN-*.ts), the diff of what it
// rendered, and the outcome each check is expected to have.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join, relative } from 'node:path'
import { styleText } from 'node:util'
import { parseDocument } from 'yaml'
import type { Cluster } from './clusters.ts'
import { deadlines, paths, type DeadlineName } from './defaults.ts'
import { unifiedDiff } from './diff.ts'
import { fail } from './errors.ts'
import { heading, ok, say } from './output.ts'
import type { Result } from './run.ts'
import { root, step, type Workbook } from './step.ts'
import { templateFile, templateOverlays } from './template.ts'
import type { Tool } from './tools.ts'

export interface StepRun {
  templates?: boolean                        // with this experiment's edited templates (WORKBOOK_TEMPLATES)
  expect?: 'passes' | 'fails'                // the outcome the experiment predicts (default: passes)
  shows?: RegExp[]                           // what its output must hold: the symptom
  waitAtMost?: Partial<Record<DeadlineName, number>> // shorter deadlines for a wait expected to give up (your WAIT_* wins)
  because?: string                           // why that outcome, said with it
}

// A template's values, by dotted path. Each change fails loudly when the path is not there:
// an edited template the experiment does not know would otherwise change nothing, quietly.
export interface TemplateEdit {
  set(path: string, value: unknown): void
  remove(path: string): void
  replace(path: string, from: string, to: string): void
}

export interface Experiment {
  name: string
  repair: boolean
  east: Cluster
  west: Cluster
  wb: Workbook
  section(title: string): void
  editTemplate(file: string, edit: (template: TemplateEdit) => void): string
  step(id: string, options?: StepRun): Promise<Result>
  expectOutput(result: Result, expected: { shows?: RegExp[]; lacks?: RegExp[] }, what: string): void
  lookAt(lines: string[]): void
  done(text: string): void
}

const page = (name: string) => `docs/experiments/${name}.md`

// A pattern for a line of output, with names filled in literally: re`^\* ${domain}$`
// (multiline: ^ and $ are a line's ends).
export function re(pieces: TemplateStringsArray, ...values: unknown[]): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(pieces.raw.reduce((source, piece, i) => source + piece + (i < values.length ? escape(String(values[i])) : ''), ''), 'm')
}

export function editedTemplate(text: string, where: string, edit: (template: TemplateEdit) => void): string {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) fail(`${where} is not valid YAML: ${doc.errors[0]!.message}`)
  const untouched = doc.toString({ lineWidth: 0 })
  const at = (path: string) => path.split('.')
  const need = (path: string) => {
    if (!doc.hasIn(at(path))) fail(`${where} has no ${path}: this experiment changes it`, 'put the template back as the workbook has it (git checkout templates/), or change the setting by hand')
  }
  edit({
    set(path, value) {
      need(path)
      // A new node: the value gets the style it needs, not the old value's quotes.
      doc.setIn(at(path), doc.createNode(value))
    },
    remove(path) {
      need(path)
      doc.deleteIn(at(path))
    },
    replace(path, from, to) {
      need(path)
      const value = doc.getIn(at(path))
      if (typeof value !== 'string' || !value.includes(from)) fail(`${where}: ${path} does not hold "${from}"`, 'put the template back as the workbook has it (git checkout templates/)')
      doc.setIn(at(path), doc.createNode(value.replace(from, to)))
    },
  })
  const changed = doc.toString({ lineWidth: 0 })
  if (changed === untouched) fail(`${where}: the experiment's change changes nothing`, 'is the template already edited this way?')
  return changed
}

function colour(diff: string): string {
  return diff.trimEnd().split('\n').map((line) =>
    line.startsWith('+') && !line.startsWith('+++') ? styleText('green', line)
      : line.startsWith('-') && !line.startsWith('---') ? styleText('red', line) : line).join('\n')
}

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : []
}

export async function experiment(name: string, title: string, options: { tools?: Tool[] } = {}): Promise<Experiment> {
  const wb = await step(`experiments/${name}`, title, { tools: options.tools ?? ['kubectl', 'istioctl', 'helm'], switches: ['repair'] })
  if (wb.dryRun) fail('an experiment changes a running demo: a dry run cannot show what it breaks', `run it on a finished demo (make demo), without DRY_RUN or --dry-run: make experiment NAME=${name}`)
  const repair = wb.flags.switches.has('repair')
  const own = join(paths.experiments, name)
  const templates = join(own, 'templates')
  if (!repair) rmSync(join(root, own), { recursive: true, force: true })
  const shown = (file: string) => relative(process.cwd(), join(root, file)) || file
  const edited: Array<{ source: string; copy: string }> = []
  // Steps run with this same Node, whatever `node` is on PATH.
  process.env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`

  const ex: Experiment = {
    name, repair, east: wb.east, west: wb.west, wb,
    section(text) {
      heading(`\n── ${text}`)
    },
    editTemplate(file, edit) {
      const source = templateFile(file)
      const text = editedTemplate(readFileSync(source, 'utf8'), relative(root, source) || source, edit)
      const target = join(root, templates, file)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, text)
      edited.push({ source, copy: target })
      say(`edited copy of templates/${file}: ${shown(join(templates, file))}`)
      return target
    },
    async step(id, run = {}) {
      const rendered = join(paths.rendered, id)
      const before = join(own, 'before', id)
      if (run.templates) {
        rmSync(join(root, before), { recursive: true, force: true })
        if (existsSync(join(root, rendered))) cpSync(join(root, rendered), join(root, before), { recursive: true })
      }
      const env: Record<string, string> = {}
      if (run.templates) env.WORKBOOK_TEMPLATES = [shown(templates), ...templateOverlays()].join(delimiter)
      for (const [deadline, seconds] of Object.entries(run.waitAtMost ?? {})) {
        const variable = deadlines[deadline as DeadlineName].env
        env[variable] = process.env[variable] || String(seconds)
      }
      const script = `scripts/${id}.ts`
      // The step's own lines and its ✖ are shown as they come; it keeps its own log.
      const result = await wb.$({ show: true, nothrow: true, env })`node ${script}`
      if (run.templates) showRenderedChange(before, rendered)
      const expected = run.expect ?? 'passes'
      const outcome = result.exitCode === 0 ? 'passes' : 'fails'
      const output = result.stdout + result.stderr
      const because = run.because ? `: ${run.because}` : ''
      if (outcome !== expected) {
        fail(`step ${id} ${outcome === 'passes' ? 'passed' : 'failed'}, and the experiment expected it to ${expected === 'passes' ? 'pass' : 'fail'}${because}`,
          `is the demo finished (make demo), and no other experiment left in place (make experiment NAME=<it> REPAIR=1)? See ${page(name)}; the step's log is ${paths.logs}/${id}.log`)
      }
      const missing = (run.shows ?? []).filter((pattern) => !pattern.test(output))
      if (missing.length > 0) fail(`step ${id} ${outcome === 'passes' ? 'passed' : 'failed'} as expected, but its output does not show ${missing.map(String).join(', ')}`, `see ${page(name)} and ${paths.logs}/${id}.log`)
      ok(undefined, `as expected, step ${id.slice(0, 2)} ${outcome === 'passes' ? 'passes' : 'fails'}${because}`)
      return result
    },
    expectOutput(result, expected, what) {
      const output = result.stdout + result.stderr
      const missing = (expected.shows ?? []).filter((pattern) => !pattern.test(output))
      const present = (expected.lacks ?? []).filter((pattern) => pattern.test(output))
      if (missing.length + present.length > 0) {
        fail(`the experiment expected ${what}; the output ${[...missing.map((p) => `does not show ${p}`), ...present.map((p) => `shows ${p}`)].join(' and ')}`,
          `see ${page(name)} and the log ${paths.logs}/experiments/${name}.log`)
      }
      ok(undefined, `as expected, ${what}`)
    },
    lookAt(lines) {
      for (const line of lines) say(`  ${line}`)
    },
    done(text) {
      say(`\n${text}`)
      say(repair ? `Page: ${page(name)}` : `Page: ${page(name)}. To put it back: make experiment NAME=${name} REPAIR=1`)
    },
  }
  heading(repair ? `Putting back what ${name} changed, then showing the demo works again.` : `Changing one setting of the finished demo (put it back with make experiment NAME=${name} REPAIR=1).`)
  return ex

  // What the step rendered differently from the files of the last run before it.
  function showRenderedChange(before: string, rendered: string): void {
    const previous = files(join(root, before))
    if (previous.length === 0) {
      // Nothing rendered before (the demo ran from another checkout, or out/ was removed):
      // the templates' change, then.
      say(`(no earlier ${rendered}/ to compare with; the change to the template:)`)
      for (const { source, copy } of edited) {
        say(colour(unifiedDiff(readFileSync(source, 'utf8'), readFileSync(copy, 'utf8'), relative(process.cwd(), source), relative(process.cwd(), copy))))
      }
      return
    }
    let changed = 0
    for (const file of files(join(root, rendered))) {
      const was = previous.includes(file) ? readFileSync(join(root, before, file), 'utf8') : ''
      const diff = unifiedDiff(was, readFileSync(join(root, rendered, file), 'utf8'), shown(join(before, file)), shown(join(rendered, file)))
      if (diff) say(colour(diff))
      if (diff) changed++
    }
    if (changed === 0) say(`(${rendered}/ is as the run before left it: the change was in place already)`)
  }
}
