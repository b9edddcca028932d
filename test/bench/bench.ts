// make bench: how close `make demo` comes to its critical path, on the test lab.
//   S  the modelled durations of every tool invocation, added up: running them one after another
//   C  the critical path: steps in order, east and west independent within a step
//   W  the wall time of the run with modelled durations (scaled by BENCH_SCALE, default 1/50)
//   O  the wall time of the run where every tool answers at once: the workbook's own overhead
// All in seconds of the scaled run. Targets: W/S <= 0.60, (W-O)/C <= 1.10, O/script <= 0.50.
import { benchLine } from './measure.ts'
import { demoOnLab, scriptCount } from './run.ts'

const scale = Number(process.env.BENCH_SCALE ?? 1 / 50)
if (!Number.isFinite(scale) || scale <= 0) {
  console.error(`BENCH_SCALE="${process.env.BENCH_SCALE}" is not a positive number (default 0.02)`)
  process.exit(2)
}

console.log(`run 1: make demo on the lab, every tool answering at once ...`)
const instant = await demoOnLab(0)
console.log(`run 2: make demo on the lab, modelled durations x ${scale} ...`)
const modelled = await demoOnLab(scale)

const O = instant.W
const { W } = modelled
const { S, C, perStep } = modelled.measures

const rows = Object.keys(modelled.walls).map((step) => {
  const p = perStep[step] ?? { S: 0, C: 0 }
  return `${step.padEnd(26)} ${(instant.walls[step] ?? 0).toFixed(2).padStart(6)} ${modelled.walls[step]!.toFixed(2).padStart(7)} ${p.S.toFixed(2).padStart(7)} ${p.C.toFixed(2).padStart(7)}`
})
console.log(`\n${'step'.padEnd(26)} ${'O'.padStart(6)} ${'W'.padStart(7)} ${'S'.padStart(7)} ${'C'.padStart(7)}   (seconds)`)
console.log(rows.join('\n'))
console.log(`\nW/S     ${(W / S).toFixed(2)}  (target <= 0.60: east and west overlap; C/S = ${(C / S).toFixed(2)} and O/S = ${(O / S).toFixed(2)} bound it from below)`)
console.log(`(W-O)/S ${((W - O) / S).toFixed(2)}  (the same without the workbook's own overhead)`)
console.log(`(W-O)/C ${((W - O) / C).toFixed(2)}  (target <= 1.10: waits notice their condition soon after it holds)`)
console.log(`O/script ${(O / scriptCount).toFixed(2)} s (target <= 0.50)`)
console.log(benchLine({ S, C, W, O, scripts: scriptCount }))
