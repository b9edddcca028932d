#!/usr/bin/env node
// Page: docs/99-cleanup.md
// Deletes what the workbook created: with kind, the two clusters (kind also removes
// their kubeconfig entries); with existing clusters, what the steps installed in them,
// in an order that leaves nothing behind (lib/provider.ts). It asks first; without a
// terminal it needs --yes.
import { step } from '../lib/step.ts'
import { removeWorkbookClusters } from '../lib/provider.ts'

const wb = await step('99-cleanup', 'delete what the workbook created', {
  tools: (provider) => provider === 'kind' ? ['kind'] : ['kubectl', 'helm', 'istioctl'],
  contexts: false,
})

await removeWorkbookClusters(wb)
