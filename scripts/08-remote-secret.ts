#!/usr/bin/env node
// Page: docs/08-remote-secret.md
// East's istiod discovers west's endpoints by watching west's API server. The remote
// secret is a kubeconfig for that, with a token for west: it goes from istioctl to
// kubectl on stdin and is never shown, logged or written to a file.
import { step } from '../lib/step.ts'
import { apiServerUrl, standInRemoteSecret } from '../lib/provider.ts'

const wb = await step('08-remote-secret', 'let east discover west\'s services', {
  tools: (provider) => provider === 'kind' ? ['docker', 'kubectl', 'istioctl'] : ['kubectl', 'istioctl'],
})
const { east, west } = wb

// The address east's istiod reaches west's API server at (not the host's kubeconfig address).
const westApiServer = await apiServerUrl(wb, west)

const remoteSecret = await west.$({ secret: true, standIn: standInRemoteSecret(west, westApiServer) })`istioctl --context=${west.context} create-remote-secret --name=${west.name} --server=${westApiServer}`
await east.$({ input: remoteSecret.stdout, secret: true, name: `remote-secret-${west.name}` })`kubectl --context=${east.context} apply -f -`
