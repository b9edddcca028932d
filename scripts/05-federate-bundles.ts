#!/usr/bin/env node
// Page: docs/05-federate-bundles.md
// Each SPIRE server learns the other trust domain: where its bundle endpoint is, and its
// current bundle to trust that endpoint the first time. From then on, spire-server
// refreshes the bundle from the endpoint by itself.
import { randomBytes } from 'node:crypto'
import { step } from '../lib/step.ts'
import { versions } from '../lib/defaults.ts'
import { holdsKeysOf } from '../lib/bundle.ts'
import { note } from '../lib/output.ts'
import { bundleEndpointAddress, bundleEndpointURLIn, showBundle, waitForBundleEndpoint, waitForCurrentBundle, waitForRelationship } from '../lib/spire.ts'
import { renderTemplate } from '../lib/template.ts'
import { urlHost } from '../lib/validate.ts'

const wb = await step('05-federate-bundles', 'federate the two trust bundles', { tools: ['kubectl'] })

const [eastEndpoint, westEndpoint] = await wb.both((cluster) => bundleEndpointAddress(cluster))
const [eastBundle, westBundle] = await wb.both((cluster) => showBundle(cluster))
const endpointOf = { east: eastEndpoint, west: westEndpoint }
const bundleOf = { east: eastBundle, west: westBundle }

// East gets a ClusterFederatedTrustDomain for west, and west one for east. The checks below
// use the bundle endpoint URL each resource names.
const [urlEastFetches, urlWestFetches] = await wb.both(async (cluster) => {
  const other = cluster.other
  const resource = renderTemplate('cluster-federated-trust-domain.yaml', {
    OTHER_CLUSTER: other.name,
    OTHER_TRUST_DOMAIN: other.trustDomain,
    BUNDLE_ENDPOINT: urlHost(endpointOf[other.role]),
    TRUST_DOMAIN_BUNDLE: bundleOf[other.role],
  })
  const manifest = wb.handOver(cluster, `cluster-federated-trust-domain-${other.name}`, resource)
  await cluster.$`kubectl --context=${cluster.context} apply -f ${manifest}`
  return bundleEndpointURLIn(resource, manifest)
})
const urlFetchedBy = { east: urlEastFetches, west: urlWestFetches }

// The controller manager makes the federation relationship (SPIRE's server then refreshes the
// bundle from the endpoint), and passes the resource's bundle to SPIRE only when it creates
// it (or when its endpoint URL or profile change). A server that federated before the other
// side got new keys (a recreated cluster, SPIRE reinstalled) keeps the old bundle, which
// cannot verify the other endpoint either, so it never heals by itself. Each server must
// hold the other's current bundle: where it does not, set it.
await wb.both(async (cluster) => {
  const other = cluster.other
  const current = bundleOf[other.role]
  const held = await waitForRelationship(cluster, urlFetchedBy[cluster.role], current)
  if (held && holdsKeysOf(held, current)) return
  note(cluster.name, `its ${other.trustDomain} bundle is not ${other.name}'s current one (${held ? 'other keys' : 'it holds none'}): setting the current one`)
  await cluster.$({ input: current })`kubectl --context=${cluster.context} exec -i -c spire-server -n spire spire-server-0 -- spire-server bundle set -format spiffe -id ${`spiffe://${other.trustDomain}`}`
  await waitForCurrentBundle(cluster, current)
})

// What federation runs on from now on: each server fetches the other's bundle from its
// endpoint. Fetch it from a short-lived pod in each cluster (no sidecar: the pod must end)
// and check it serves the keys the other server shows. -k: the endpoint's certificate is
// the SPIRE server's own SVID, which no web PKI vouches for; the keys are what we compare.
await wb.both((cluster) => {
  const other = cluster.other
  const url = urlFetchedBy[cluster.role]
  return waitForBundleEndpoint(cluster, url, bundleOf[other.role], (quiet) =>
    cluster.$({ quiet, nothrow: true, timeout: '90s', standIn: bundleOf[other.role] })`kubectl --context=${cluster.context} run ${`bundle-probe-${randomBytes(3).toString('hex')}`} --rm --attach -q --restart=Never --image=${versions.curlImage} --labels=sidecar.istio.io/inject=false -- curl -sSk --connect-timeout 5 --max-time 10 ${url}`)
})
