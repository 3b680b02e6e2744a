import { describe, expect, it } from 'vitest';
import { deepFreeze, errorOf } from '../testing/index.js';
import type { SchemaNode } from '../schema/types.js';
import { applyStrategicMergePatch } from './index.js';
import { resolveSchema, schemaFor } from '../schema/index.js';

// Hand-built schema trees mirroring the upstream shapes (merge keys and strategies from the
// Kubernetes type definitions). Named definitions go through `ref` to exercise `resolve`.
const str: SchemaNode = { kind: 'scalar', type: 'string' };
const int: SchemaNode = { kind: 'scalar', type: 'integer' };
const bool: SchemaNode = { kind: 'scalar', type: 'boolean' };
const strMap: SchemaNode = { kind: 'map', values: str };
const ref = (name: string): SchemaNode => ({ kind: 'ref', ref: name });
const obj = (properties: Record<string, SchemaNode>): SchemaNode => ({ kind: 'object', properties });
const atomic = (items: SchemaNode): SchemaNode => ({ kind: 'array', items, listType: 'atomic' });
const mergeBy = (key: string, items: SchemaNode): SchemaNode => ({ kind: 'array', items, patchStrategy: 'merge', patchMergeKey: key });

const defs: Record<string, SchemaNode> = {
  ObjectMeta: obj({
    name: str,
    namespace: str,
    labels: strMap,
    annotations: strMap,
    finalizers: { kind: 'array', items: str, patchStrategy: 'merge', listType: 'set' },
    ownerReferences: mergeBy('uid', obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool })),
  }),
  Container: obj({
    name: str,
    image: str,
    args: atomic(str),
    command: atomic(str),
    env: mergeBy('name', obj({ name: str, value: str })),
    envFrom: atomic(obj({ prefix: str })),
    ports: mergeBy('containerPort', obj({ name: str, containerPort: int, protocol: str })),
    volumeMounts: mergeBy('mountPath', obj({ name: str, mountPath: str, readOnly: bool })),
  }),
  Volume: obj({ name: str, hostPath: obj({ path: str, type: str }), emptyDir: obj({ medium: str }) }),
  PodSpec: obj({
    containers: mergeBy('name', ref('Container')),
    initContainers: mergeBy('name', ref('Container')),
    volumes: { kind: 'array', items: ref('Volume'), patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    tolerations: atomic(obj({ key: str, operator: str, effect: str })),
    nodeSelector: strMap,
    hostNetwork: bool,
  }),
  PodTemplateSpec: obj({ metadata: ref('ObjectMeta'), spec: ref('PodSpec') }),
  DaemonSet: obj({
    apiVersion: str,
    kind: str,
    metadata: ref('ObjectMeta'),
    spec: obj({
      selector: obj({ matchLabels: strMap }),
      template: ref('PodTemplateSpec'),
      updateStrategy: obj({ type: str, rollingUpdate: obj({ maxUnavailable: { kind: 'int-or-string' } }) }),
    }),
    status: obj({ conditions: mergeBy('type', obj({ type: str, status: str, reason: str })) }),
  }),
  Node: obj({
    metadata: ref('ObjectMeta'),
    spec: obj({ unschedulable: bool, taints: atomic(obj({ key: str, value: str, effect: str })), podCIDRs: { kind: 'array', items: str, patchStrategy: 'merge' } }),
    status: obj({ conditions: mergeBy('type', obj({ type: str, status: str, reason: str })) }),
  }),
};
const resolve = (n: SchemaNode): SchemaNode => {
  if (n.kind !== 'ref') return n;
  const d = defs[n.ref];
  if (!d) throw new Error(`unknown ref ${n.ref}`);
  return d;
};
const DS = ref('DaemonSet');
const NODE = ref('Node');

type J = Record<string, unknown>;

function daemonSet(containers: unknown[], extra: J = {}): J {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', labels: { app: 'agent' }, annotations: { keep: 'me' } },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers, tolerations: [{ key: 'a', operator: 'Exists' }], ...extra },
      },
    },
  };
}

function templateSpec(o: unknown): J {
  return ((o as J)['spec'] as J)['template'] as J;
}

interface Case {
  name: string;
  schema: SchemaNode | undefined;
  target: J;
  patch: J;
  want: J;
}

const lastApplied =
  '{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"annotations":{},"name":"agent","namespace":"default"},"spec":{}}\n';

const cases: Case[] = [
  {
    name: 'apply: $setElementOrder/containers + changed image (kube-api.md §3.9)',
    schema: DS,
    target: daemonSet([{ name: 'agent', image: 'busybox:1.36', args: ['sleep', '1d'] }]),
    patch: {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'agent' }], containers: [{ image: 'busybox:1.37', name: 'agent' }] } } },
    },
    want: (() => {
      const d = daemonSet([{ name: 'agent', image: 'busybox:1.37', args: ['sleep', '1d'] }]);
      (d['metadata'] as J)['annotations'] = { keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
      return d;
    })(),
  },
  {
    name: 'set image keeps the other containers and their order',
    schema: DS,
    target: daemonSet([
      { name: 'init', image: 'a:1' },
      { name: 'agent', image: 'busybox:1.37' },
      { name: 'sidecar', image: 's:1' },
    ]),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'init' }, { name: 'agent' }, { name: 'sidecar' }], containers: [{ image: 'busybox:1.40', name: 'agent' }] } } } },
    want: daemonSet([
      { name: 'init', image: 'a:1' },
      { name: 'agent', image: 'busybox:1.40' },
      { name: 'sidecar', image: 's:1' },
    ]),
  },
  {
    name: '$setElementOrder reorders and places a new container',
    schema: DS,
    target: daemonSet([
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b' },
    ]),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }], containers: [{ name: 'c', image: 'c' }] } } } },
    want: daemonSet([
      { name: 'c', image: 'c' },
      { name: 'b', image: 'b' },
      { name: 'a', image: 'a' },
    ]),
  },
  {
    name: 'apply drops a container: {"$patch":"delete","name":"sidecar"}',
    schema: DS,
    target: daemonSet([
      { name: 'agent', image: 'busybox:1.37' },
      { name: 'sidecar', image: 's:1' },
    ]),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'agent' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } } },
    want: daemonSet([{ name: 'agent', image: 'busybox:1.37' }]),
  },
  {
    name: 'apply removes env from a container: "env":null inside the entry',
    schema: DS,
    target: daemonSet([
      { name: 'agent', image: 'busybox:1.37', env: [{ name: 'A', value: '1' }] },
      { name: 'other', image: 'o', env: [{ name: 'B', value: '2' }] },
    ]),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'agent' }, { name: 'other' }], containers: [{ env: null, name: 'agent' }] } } } },
    want: daemonSet([
      { name: 'agent', image: 'busybox:1.37' },
      { name: 'other', image: 'o', env: [{ name: 'B', value: '2' }] },
    ]),
  },
  {
    name: 'env merges by name; ports by containerPort; volumeMounts by mountPath',
    schema: DS,
    target: daemonSet([
      {
        name: 'agent',
        image: 'i',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, name: 'http' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ]),
    patch: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'agent',
                env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }, { $patch: 'delete', name: 'A' }],
                ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
                volumeMounts: [{ mountPath: '/data', readOnly: true }],
              },
            ],
          },
        },
      },
    },
    want: daemonSet([
      {
        name: 'agent',
        image: 'i',
        env: [
          { name: 'B', value: '3' },
          { name: 'C', value: '4' },
        ],
        ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }],
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
      },
    ]),
  },
  {
    name: 'new items land after the live items they follow (upstream interleaving)',
    schema: DS,
    target: daemonSet([
      { name: 'a', image: '1' },
      { name: 'b', image: '1' },
      { name: 'c', image: '1' },
    ]),
    patch: { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }, { name: 'd', image: '1' }] } } } },
    want: daemonSet([
      { name: 'a', image: '1' },
      { name: 'b', image: '2' },
      { name: 'd', image: '1' },
      { name: 'c', image: '1' },
    ]),
  },
  {
    name: 'args, command and tolerations are atomic',
    schema: DS,
    target: daemonSet([{ name: 'agent', image: 'i', args: ['a', 'b'], command: ['sh'] }]),
    patch: { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'agent', args: ['c'] }] } } } },
    want: (() => {
      const d = daemonSet([{ name: 'agent', image: 'i', args: ['c'], command: ['sh'] }]);
      (templateSpec(d)['spec'] as J)['tolerations'] = [{ key: 'b', operator: 'Exists' }];
      return d;
    })(),
  },
  {
    name: 'apply removes tolerations: "tolerations":null',
    schema: DS,
    target: daemonSet([{ name: 'agent', image: 'i' }]),
    patch: { spec: { template: { spec: { tolerations: null } } } },
    want: (() => {
      const d = daemonSet([{ name: 'agent', image: 'i' }]);
      delete (templateSpec(d)['spec'] as J)['tolerations'];
      return d;
    })(),
  },
  {
    name: 'rollout restart annotation',
    schema: DS,
    target: daemonSet([{ name: 'agent', image: 'i' }]),
    patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-30T01:16:02Z' } } } } },
    want: (() => {
      const d = daemonSet([{ name: 'agent', image: 'i' }]);
      (templateSpec(d)['metadata'] as J)['annotations'] = { 'kubectl.kubernetes.io/restartedAt': '2026-11-30T01:16:02Z' };
      return d;
    })(),
  },
  {
    name: 'rollout undo: ControllerRevision data with "$patch":"replace" on the template',
    schema: DS,
    target: (() => {
      const d = daemonSet([
        { name: 'agent', image: 'busybox:1.40', env: [{ name: 'A', value: '1' }] },
        { name: 'sidecar', image: 's' },
      ]);
      (templateSpec(d)['metadata'] as J)['annotations'] = { 'kubectl.kubernetes.io/restartedAt': 'x' };
      return d;
    })(),
    patch: {
      spec: {
        template: {
          $patch: 'replace',
          metadata: { creationTimestamp: null, labels: { app: 'agent' } },
          spec: { containers: [{ image: 'busybox:1.37', name: 'agent' }], terminationGracePeriodSeconds: 30 },
        },
      },
    },
    want: (() => {
      const d = daemonSet([]);
      (d['spec'] as J)['template'] = {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ image: 'busybox:1.37', name: 'agent' }], terminationGracePeriodSeconds: 30 },
      };
      return d;
    })(),
  },
  {
    name: '"$patch":"replace" inside a list replaces the list',
    schema: DS,
    target: daemonSet([
      { name: 'a', image: '1' },
      { name: 'b', image: '1' },
    ]),
    patch: { spec: { template: { spec: { containers: [{ name: 'c', image: '2' }, { $patch: 'replace' }] } } } },
    want: daemonSet([{ name: 'c', image: '2' }]),
  },
  {
    name: '"$patch":"delete" on a map empties it',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }]),
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: (() => {
      const d = daemonSet([{ name: 'a', image: '1' }]);
      (d['metadata'] as J)['labels'] = {};
      return d;
    })(),
  },
  {
    name: '"$patch":"replace" on a map replaces it',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }]),
    patch: { metadata: { annotations: { $patch: 'replace', only: 'this' } } },
    want: (() => {
      const d = daemonSet([{ name: 'a', image: '1' }]);
      (d['metadata'] as J)['annotations'] = { only: 'this' };
      return d;
    })(),
  },
  {
    name: '"$patch":"merge" on a map is a plain merge',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }]),
    patch: { metadata: { annotations: { $patch: 'merge', more: 'x' } } },
    want: (() => {
      const d = daemonSet([{ name: 'a', image: '1' }]);
      (d['metadata'] as J)['annotations'] = { keep: 'me', more: 'x' };
      return d;
    })(),
  },
  {
    name: 'a new field is taken whole, without nulls or directives',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }]),
    patch: {
      spec: {
        template: {
          spec: {
            volumes: [{ name: 'v', hostPath: { path: '/x', type: null } }, { $patch: 'delete', name: 'w' }],
            nodeSelector: { a: 'b', c: null },
          },
        },
      },
    },
    want: daemonSet([{ name: 'a', image: '1' }], { volumes: [{ name: 'v', hostPath: { path: '/x' } }], nodeSelector: { a: 'b' } }),
  },
  {
    name: '$retainKeys clears fields not listed (volume source switch)',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }], { volumes: [{ name: 'v', hostPath: { path: '/x' } }] }),
    patch: { spec: { template: { spec: { volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, name: 'v' }] } } } },
    want: daemonSet([{ name: 'a', image: '1' }], { volumes: [{ name: 'v', emptyDir: {} }] }),
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    schema: DS,
    target: { metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { finalizers: ['d', 'b'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
    want: { metadata: { name: 'x', finalizers: ['d', 'b', 'c'] } },
  },
  {
    name: '$setElementOrder on a primitive merge list',
    schema: DS,
    target: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['c', 'a'] } },
  },
  {
    name: 'ownerReferences merge by uid',
    schema: DS,
    target: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'DaemonSet' }] } },
    patch: { metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', name: 'b', kind: 'Node' }] } },
    want: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'DaemonSet', controller: true }, { uid: 'u2', name: 'b', kind: 'Node' }] } },
  },
  {
    name: 'status conditions merge by type',
    schema: NODE,
    target: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'MemoryPressure', status: 'False' }] } },
  },
  {
    name: 'kubectl taint: the whole new list replaces Node.spec.taints',
    schema: NODE,
    target: { metadata: { name: 'n1' }, spec: { taints: [{ effect: 'NoSchedule', key: 'k', value: 'v' }] } },
    patch: { spec: { taints: [{ effect: 'NoExecute', key: 'k2', value: 'v2' }, { effect: 'NoSchedule', key: 'k', value: 'v' }] } },
    want: { metadata: { name: 'n1' }, spec: { taints: [{ effect: 'NoExecute', key: 'k2', value: 'v2' }, { effect: 'NoSchedule', key: 'k', value: 'v' }] } },
  },
  {
    name: 'kubectl taint k:NoSchedule- removes one taint by sending the remaining list',
    schema: NODE,
    target: { metadata: { name: 'n1' }, spec: { taints: [{ effect: 'NoExecute', key: 'k2', value: 'v2' }, { effect: 'NoSchedule', key: 'k', value: 'v' }] } },
    patch: { spec: { taints: [{ effect: 'NoExecute', key: 'k2', value: 'v2' }] } },
    want: { metadata: { name: 'n1' }, spec: { taints: [{ effect: 'NoExecute', key: 'k2', value: 'v2' }] } },
  },
  {
    name: 'kubectl taint removing the last taint: {"spec":{"taints":null}}',
    schema: NODE,
    target: { metadata: { name: 'n1' }, spec: { taints: [{ effect: 'NoSchedule', key: 'k', value: 'v' }], unschedulable: true } },
    patch: { spec: { taints: null } },
    want: { metadata: { name: 'n1' }, spec: { unschedulable: true } },
  },
  {
    name: 'kubectl cordon',
    schema: NODE,
    target: { metadata: { name: 'n1' }, spec: {} },
    patch: { spec: { unschedulable: true } },
    want: { metadata: { name: 'n1' }, spec: { unschedulable: true } },
  },
  {
    name: 'kubectl uncordon',
    schema: NODE,
    target: { metadata: { name: 'n1' }, spec: { unschedulable: true } },
    patch: { spec: { unschedulable: null } },
    want: { metadata: { name: 'n1' }, spec: {} },
  },
  {
    name: 'primitive merge list of another kind (podCIDRs)',
    schema: NODE,
    target: { spec: { podCIDRs: ['10.0.0.0/24'] } },
    patch: { spec: { podCIDRs: ['10.0.1.0/24', '10.0.0.0/24'] } },
    want: { spec: { podCIDRs: ['10.0.1.0/24', '10.0.0.0/24'] } },
  },
  {
    name: 'label removal by null',
    schema: DS,
    target: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { a: null } } },
    want: { metadata: { labels: { b: '2' } } },
  },
  {
    name: 'unknown schema: maps merge, lists are atomic',
    schema: undefined,
    target: { spec: { m: { a: 1, b: 2 }, l: [{ name: 'a', x: 1 }], s: 'x' } },
    patch: { spec: { m: { b: null, c: 3 }, l: [{ name: 'b' }] } },
    want: { spec: { m: { a: 1, c: 3 }, l: [{ name: 'b' }], s: 'x' } },
  },
  {
    name: 'a field unknown to the schema behaves as unknown schema',
    schema: DS,
    target: { spec: { extra: { a: 1 }, list: [1] } },
    patch: { spec: { extra: { b: 2 }, list: [2] } },
    want: { spec: { extra: { a: 1, b: 2 }, list: [2] } },
  },
  {
    name: 'type change replaces the value',
    schema: DS,
    target: { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 1 } } } },
    patch: { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: '10%' } } } },
    want: { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: '10%' } } } },
  },
  {
    name: 'empty patch changes nothing',
    schema: DS,
    target: daemonSet([{ name: 'a', image: '1' }]),
    patch: {},
    want: daemonSet([{ name: 'a', image: '1' }]),
  },
];

describe('applyStrategicMergePatch', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const target = deepFreeze(JSON.parse(JSON.stringify(c.target)) as J);
    const patch = deepFreeze(JSON.parse(JSON.stringify(c.patch)) as J);
    const before = JSON.stringify(target);
    const got = applyStrategicMergePatch(target, patch, c.schema, resolve);
    expect(got).toEqual(c.want);
    expect(JSON.stringify(target)).toBe(before);
  });

  it('the result shares no objects with the inputs', () => {
    const target = daemonSet([{ name: 'a', image: '1' }]);
    const got = applyStrategicMergePatch(target, { metadata: { labels: { b: '2' } } }, DS, resolve) as J;
    ((got['spec'] as J)['selector'] as J)['x'] = 1;
    expect((target['spec'] as J)['selector']).toEqual({ matchLabels: { app: 'agent' } });
  });

  it('a struct field whose strategy is replace takes the patch whole (PodDisruptionBudgetSpec.selector, with the served schema)', () => {
    const pdb = schemaFor({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' });
    const target = { spec: { minAvailable: 1, selector: { matchLabels: { app: 'x', tier: 'old' } } } };
    expect(applyStrategicMergePatch(target, { spec: { selector: { matchLabels: { app: 'x' } } } }, pdb, resolveSchema)).toEqual({ spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } });
    // Elsewhere a selector still merges (a DaemonSet's has no strategy).
    const ds = schemaFor({ group: 'apps', version: 'v1', kind: 'DaemonSet' });
    expect(applyStrategicMergePatch({ spec: { selector: { matchLabels: { a: '1' } } } }, { spec: { selector: { matchLabels: { b: '2' } } } }, ds, resolveSchema)).toEqual({ spec: { selector: { matchLabels: { a: '1', b: '2' } } } });
  });

  it('a list map without a patch strategy is replaced whole (CustomResourceDefinitionStatus.conditions), one with a strategy merges (DaemonSetStatus.conditions)', () => {
    const crd = schemaFor({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' });
    const conditions = [{ type: 'Established', status: 'True' }, { type: 'NamesAccepted', status: 'True' }];
    expect(applyStrategicMergePatch({ status: { conditions } }, { status: { conditions: [{ type: 'Established', status: 'False' }] } }, crd, resolveSchema)).toEqual({ status: { conditions: [{ type: 'Established', status: 'False' }] } });
    const ds = schemaFor({ group: 'apps', version: 'v1', kind: 'DaemonSet' });
    expect(applyStrategicMergePatch({ status: { conditions } }, { status: { conditions: [{ type: 'Established', status: 'False' }] } }, ds, resolveSchema)).toEqual({ status: { conditions: [{ type: 'Established', status: 'False' }, { type: 'NamesAccepted', status: 'True' }] } });
  });

  it('a non-object target is patched as an empty object', () => {
    expect(applyStrategicMergePatch(undefined, { a: { b: 1, c: null } }, undefined, resolve)).toEqual({ a: { b: 1 } });
  });

  const errors: [string, unknown, number, string][] = [
    ['non-object patch', [1], 400, 'invalid JSON document'],
    ['null patch', null, 400, 'invalid JSON document'],
    [
      'merge-list element without its merge key',
      { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      400,
      'map: map[image:x] does not contain declared merge key: name',
    ],
    [
      'delete directive without the merge key',
      { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } },
      400,
      'map: map[$patch:delete] does not contain declared merge key: name',
    ],
    [
      'unknown $patch in a map',
      { metadata: { labels: { $patch: 'frob' } } },
      400,
      'unknown patch type: frob in map: map[$patch:frob]',
    ],
    [
      'unknown $patch in a list element',
      { spec: { template: { spec: { containers: [{ $patch: 'frob', name: 'a' }] } } } },
      400,
      'unknown patch type: frob in map: map[$patch:frob name:a]',
    ],
    [
      '$setElementOrder that contradicts the patch list',
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'z', image: 'x' }] } } } },
      400,
      "The order in patch list:\n[map[image:x name:z]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n",
    ],
    ['$setElementOrder without a list name', { spec: { $setElementOrder: [] } }, 400, 'invalid patch format of setElementOrder list'],
    ['$deleteFromPrimitiveList without a list name', { metadata: { $deleteFromPrimitiveList: ['a'] } }, 400, 'invalid patch format of primitive list'],
    ['$retainKeys not a list', { spec: { $retainKeys: 'x' } }, 400, 'invalid patch format of retainKeys'],
    ['$retainKeys missing a patched key', { spec: { $retainKeys: ['a'], b: 1 } }, 400, 'invalid patch format of retainKeys'],
    ['mixed element types in a merge list', { metadata: { finalizers: [1] } }, 400, 'list element types are not identical: [[a] [1]]'],
  ];
  it.each(errors)('%s', (_name, patch, code, message) => {
    const target = deepFreeze({ ...daemonSet([{ name: 'a', image: '1' }]), metadata: { finalizers: ['a'], labels: { a: 'b' } } });
    const err = errorOf(() => applyStrategicMergePatch(target, patch, DS, resolve));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
  });

  it('422 for a list of lists in a merge list', () => {
    const err = errorOf(() => applyStrategicMergePatch({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['x']] } }, DS, resolve));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('lists of lists are not supported');
  });

  it('a merge list of maps without a merge key is rejected', () => {
    const schema: SchemaNode = obj({ l: { kind: 'array', items: obj({ a: str }), patchStrategy: 'merge' } });
    const err = errorOf(() => applyStrategicMergePatch({ l: [{ a: '1' }] }, { l: [{ a: '2' }] }, schema, resolve));
    expect(err.code).toBe(400);
    expect(err.message).toBe('cannot merge lists without merge key for l');
  });
});
