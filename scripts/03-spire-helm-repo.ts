#!/usr/bin/env node
// Page: docs/03-spire-helm-repo.md
// SPIRE's hardened Helm charts come from one repository; step 04 installs from it.
import { step } from '../lib/step.ts'
import { versions } from '../lib/defaults.ts'

const wb = await step('03-spire-helm-repo', 'add the SPIRE Helm repository', { tools: ['helm'], contexts: false })
const repo = versions.spireHelmRepo

await wb.$({ fix: `check that ${repo.url} is reachable, or remove a repo of the same name: helm repo remove ${repo.name}` })`helm repo add ${repo.name} ${repo.url}`
// A repo added long ago may not list the pinned chart versions yet.
await wb.$`helm repo update ${repo.name}`
