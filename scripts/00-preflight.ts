#!/usr/bin/env node
// Page: docs/00-preflight.md
// Before anything: every tool the steps need is on PATH, at a version that works, and
// Docker answers. All problems are reported at once, each with its fix.
import { step } from '../lib/step.ts'
import { runDoctor } from '../lib/doctor.ts'

const wb = await step('00-preflight', 'the tools are there, at versions that work', { contexts: false })

await runDoctor(wb)
