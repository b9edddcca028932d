#!/usr/bin/env node
// Page: docs/11-helloworld-v1.md#follow-its-identity-make-inspect-identity
// One identity followed from the rule to the certificate, after step 11: the ClusterSPIFFEID
// that names it, the pod it selects, the registration entry SPIRE made for that pod, and the
// X509-SVID the SPIRE agent handed that pod's proxy. It only reads.
import { step } from '../../lib/step.ts'
import { fail } from '../../lib/errors.ts'
import { clusterSpiffeIdRule, decodeCertificate, describeCertificate, parseEntries, proxySecrets, shows } from '../../lib/inspect.ts'
import { note, ok } from '../../lib/output.ts'
import { currentPod } from '../../lib/pods.ts'
import { sidecarsClusterSpiffeId } from '../../lib/spire.ts'

const wb = await step('inspect-identity', 'helloworld-v1\'s identity, from the ClusterSPIFFEID to the certificate in its proxy', {
  tools: ['kubectl', 'istioctl'], page: 'docs/11-helloworld-v1.md',
})
const { east } = wb
if (wb.dryRun) {
  note(undefined, `a dry run has no cluster to read: inspect-identity only reads what steps 04 to 11 made; run it against the clusters, after make 11`)
  process.exit(0)
}

// 1. The rule (step 04's values): which pods get which SPIFFE ID, and whose bundles besides.
const rule = clusterSpiffeIdRule((await east.$({ fix: 'SPIRE makes it from its Helm values: make 04' })`kubectl --context=${east.context} get clusterspiffeid ${sidecarsClusterSpiffeId} -o json`).stdout)
shows(east.name, `ClusterSPIFFEID ${rule.name}: pods with ${rule.podSelector}, in namespaces with ${rule.namespaceSelector}, get ${rule.template}; federatesWith ${rule.federatesWith.join(', ') || 'nothing'}`,
  'the rule: spire-controller-manager makes one registration entry for each pod it selects; federatesWith names the trust domains whose bundles those pods get too')

// 2. The pod: Istio's injection gave it the label the rule selects on.
const pod = currentPod((await east.$`kubectl --context=${east.context} get pods -n default -l app=helloworld,version=v1 -o json`).stdout)
if (!pod) fail(`[${east.name}] there is no helloworld-v1 pod in ${east.name}`, 'run make 11')
shows(east.name, `pod ${pod.name}: UID ${pod.uid}, service account ${pod.serviceAccount}, node ${pod.node}`,
  'the workload: SPIRE\'s agent on its node tells it apart by its pod UID')

// 3. The entry SPIRE made for this pod: its SPIFFE ID, the agent it belongs to, how the agent recognises the pod.
const entries = parseEntries((await east.$`kubectl --context=${east.context} exec -c spire-server -n spire spire-server-0 -- spire-server entry show -selector ${`k8s:pod-uid:${pod.uid}`}`).stdout)
const entry = entries[0]
if (!entry) {
  fail(`[${east.name}] SPIRE has no registration entry for pod ${pod.name}`,
    `the ClusterSPIFFEID selects pods labelled ${rule.podSelector} (Istio's injection adds the label): kubectl --context=${east.context} get pod ${pod.name} --show-labels; the controller manager's log: kubectl --context=${east.context} logs -n spire spire-server-0 -c spire-controller-manager`)
}
shows(east.name, `entry ${entry.id}: ${entry.spiffeId}, parent ${entry.parentId}, selector ${entry.selectors.join(' ')}, federatesWith ${entry.federatesWith.join(', ') || 'nothing'}`,
  'the registration entry: the agent named as parent hands this SPIFFE ID to the workload it attests with that selector, with the federated trust domains\' bundles')

// 4. What the proxy holds: the X509-SVID the agent handed it over SDS.
const secrets = proxySecrets((await east.$({ fix: 'run make 11' })`istioctl --context=${east.context} proxy-config secret ${pod.name} -n default -o json`).stdout)
if (!secrets.fromSpire) fail(`[${east.name}] ${pod.name}'s certificate comes from istiod, not SPIRE: is it injected with sidecar,spire?`, 'run make 11 (it patches the deployment with the spire template and waits for the new pod)')
if (!secrets.certificateChain) fail(`[${east.name}] ${pod.name}'s proxy holds no certificate yet`, `see its proxy's log: kubectl --context=${east.context} logs ${pod.name} -c istio-proxy`)
const svid = decodeCertificate(secrets.certificateChain)
shows(east.name, `default: ${describeCertificate(svid)}`,
  'the X509-SVID in the proxy: the SPIFFE ID is its URI SAN, east\'s SPIRE CA signed it, and it lives hours, not days (the agent renews it)')

if (svid.spiffeId !== entry.spiffeId) fail(`[${east.name}] the proxy's certificate is for ${svid.spiffeId ?? 'no SPIFFE ID'}, not ${entry.spiffeId}`, `the pod may have been replaced since: run make 11, then this again`)
ok(east.name, `helloworld-v1's SVID carries its registration entry's SPIFFE ID, ${entry.spiffeId}`)
