// Small builders for the objects the stand-in charts and manifests create.
import type { Obj } from './model.ts'

export function crd(group: string, kind: string, plural: string, scope: 'Namespaced' | 'Cluster', versions: string[], shortNames: string[] = [], schema?: Obj): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, ...(shortNames.length ? { shortNames } : {}) },
      scope,
      versions: versions.map((name, i) => ({
        name, served: true, storage: i === 0,
        schema: { openAPIV3Schema: schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  }
}

export function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } }
}

export function serviceAccount(name: string, ns: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } }
}

export function configMap(name: string, ns: string, data: Record<string, string>, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data }
}

export interface ContainerSpec {
  name: string
  image: string
  args?: string[]
  env?: Array<{ name: string; value: string }>
  ports?: Array<{ containerPort: number; name?: string; protocol?: string }>
  volumeMounts?: Obj[]
}

export function podTemplate(labels: Record<string, string>, containers: ContainerSpec[], extra: Obj = {}): Obj {
  return { metadata: { labels: { ...labels }, annotations: extra.annotations ?? {} }, spec: { containers, ...(extra.spec ?? {}) } }
}

export function workload(kind: 'Deployment' | 'DaemonSet' | 'StatefulSet', name: string, ns: string, labels: Record<string, string>, containers: ContainerSpec[], extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: ns, labels: { ...labels, ...(extra.labels ?? {}) } },
    spec: {
      ...(kind === 'DaemonSet' ? {} : { replicas: 1 }),
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      selector: { matchLabels: { ...labels } },
      template: podTemplate(labels, containers, extra),
    },
  }
}

export function service(name: string, ns: string, selector: Record<string, string>, ports: Array<{ name: string; port: number; targetPort?: number | string; protocol?: string }>, type = 'ClusterIP', labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels },
    spec: { type, selector, ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })) },
  }
}
