// @kubernetes/client-node 1.4 as a real client against the in-process API server: for EVERY
// served kind, create → get → list → replace → merge patch → strategic merge patch → JSON patch
// → (status subresource) → delete → 404, through the typed APIs (kube-api.md §3.5–3.10, §5).
//
// The typed method names are derived the way client-node generates them
// (`<verb>[Namespaced]<Kind>[Status]`); a missing method fails the test instead of skipping.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients, apiFailure, Cleanup, startTestServer, waitFor, type ApiClients } from '../helpers/index.js';

// Loose object view for table-driven checks; client-node deserializes into typed models.
type Obj = { metadata?: k8s.V1ObjectMeta; [field: string]: any };
type ApiName = Exclude<keyof ApiClients, 'kc'>;
type Call = (param: Record<string, unknown>, opts?: k8s.ConfigurationOptions<k8s.ObservableMiddleware>) => Promise<Obj>;

interface PatchCase {
  body: unknown;
  check(o: Obj): void;
}

interface KindCase {
  kind: string;
  plural: string;
  group: string; // '' for core
  api: ApiName;
  namespaced: boolean;
  minimal(name: string, ns: string): Obj;
  checkCreated?(o: Obj): void;
  merge: PatchCase;
  smp: PatchCase;
  json: PatchCase;
  /** Merge patch sent to the /status subresource, when the kind has one. */
  status?: PatchCase;
}

const NS = 'crud';

const labelPatch = (key: string, value: string): PatchCase => ({
  body: { metadata: { labels: { [key]: value } } },
  check: (o) => expect(o.metadata?.labels?.[key]).toBe(value),
});

const jsonAnnotate: PatchCase = {
  body: [{ op: 'add', path: '/metadata/annotations', value: { 'json-patched': 'yes' } }],
  check: (o) => expect(o.metadata?.annotations?.['json-patched']).toBe('yes'),
};

const podSpec = (image: string): Obj => ({
  containers: [{ name: 'c', image, command: ['sleep', '3600'], env: [{ name: 'A', value: '1' }] }],
});

const kinds: KindCase[] = [
  {
    kind: 'Namespace',
    plural: 'namespaces',
    group: '',
    api: 'core',
    namespaced: false,
    minimal: (name) => ({ metadata: { name } }),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: jsonAnnotate,
  },
  {
    kind: 'Node',
    plural: 'nodes',
    group: '',
    api: 'core',
    namespaced: false,
    minimal: (name) => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoSchedule' }] } }),
    merge: { body: { spec: { unschedulable: true } }, check: (o) => expect(o.spec?.unschedulable).toBe(true) },
    // Node.spec.taints is atomic under SMP: the list is replaced whole, not merged by key.
    smp: { body: { spec: { taints: [{ key: 'c', effect: 'NoExecute' }] } }, check: (o) => expect(o.spec?.taints?.map((t: Obj) => t.key)).toEqual(['c']) },
    json: { body: [{ op: 'replace', path: '/spec/unschedulable', value: false }], check: (o) => expect(o.spec?.unschedulable ?? false).toBe(false) },
    status: {
      body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } },
      check: (o) => {
        expect(o.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status).toBe('True');
        expect(o.status?.nodeInfo?.kubeletVersion).toBe('v1.32.0');
      },
    },
  },
  {
    kind: 'Pod',
    plural: 'pods',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name, labels: { app: 'crud' } }, spec: podSpec('busybox:1') }),
    checkCreated: (o) => expect(o.spec?.containers?.[0]?.name).toBe('c'),
    merge: labelPatch('patched', 'merge'),
    // SMP merges containers by name: only the image changes, command and env stay.
    smp: {
      body: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } },
      check: (o) => {
        expect(o.spec?.containers).toHaveLength(1);
        expect(o.spec?.containers?.[0]?.image).toBe('busybox:2');
        expect(o.spec?.containers?.[0]?.command).toEqual(['sleep', '3600']);
        expect(o.spec?.containers?.[0]?.env).toEqual([{ name: 'A', value: '1' }]);
      },
    },
    json: { body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'busybox:3' }], check: (o) => expect(o.spec?.containers?.[0]?.image).toBe('busybox:3') },
    status: {
      body: { status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] } },
      check: (o) => {
        expect(o.status?.phase).toBe('Running');
        expect(o.status?.podIP).toBe('10.0.0.7');
      },
    },
  },
  {
    kind: 'Event',
    plural: 'events',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name, ns) => ({
      metadata: { name },
      involvedObject: { kind: 'Pod', namespace: ns, name: 'p1', apiVersion: 'v1' },
      reason: 'Started',
      message: 'Started container c',
      type: 'Normal',
      source: { component: 'everynode-test' },
      count: 1,
    }),
    merge: { body: { message: 'merged', count: 2 }, check: (o) => expect([o.message, o.count]).toEqual(['merged', 2]) },
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'replace', path: '/reason', value: 'Killing' }], check: (o) => expect(o.reason).toBe('Killing') },
  },
  {
    kind: 'Service',
    plural: 'services',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, spec: { selector: { app: 'crud' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } }),
    merge: { body: { spec: { selector: { tier: 'web' } } }, check: (o) => expect(o.spec?.selector).toEqual({ app: 'crud', tier: 'web' }) },
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'replace', path: '/spec/ports/0/port', value: 8080 }], check: (o) => expect(o.spec?.ports?.[0]?.port).toBe(8080) },
  },
  {
    kind: 'Endpoints',
    plural: 'endpoints',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] }),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'add', path: '/subsets/0/addresses/-', value: { ip: '10.0.0.2' } }], check: (o) => expect(o.subsets?.[0]?.addresses?.map((a: Obj) => a.ip)).toEqual(['10.0.0.1', '10.0.0.2']) },
  },
  {
    kind: 'ConfigMap',
    plural: 'configmaps',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, data: { a: '1', b: '2' } }),
    checkCreated: (o) => expect(o.data).toEqual({ a: '1', b: '2' }),
    // RFC 7386: null removes a key, other keys merge.
    merge: { body: { data: { a: null, c: '3' } }, check: (o) => expect(o.data).toEqual({ b: '2', c: '3' }) },
    smp: { body: { data: { d: '4' } }, check: (o) => expect(o.data).toEqual({ b: '2', c: '3', d: '4' }) },
    json: { body: [{ op: 'test', path: '/data/b', value: '2' }, { op: 'replace', path: '/data/b', value: 'two' }], check: (o) => expect(o.data?.b).toBe('two') },
  },
  {
    kind: 'Secret',
    plural: 'secrets',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, type: 'Opaque', data: { token: Buffer.from('s3cret').toString('base64') } }),
    checkCreated: (o) => expect(Buffer.from(String(o.data?.token), 'base64').toString()).toBe('s3cret'),
    merge: { body: { data: { extra: Buffer.from('x').toString('base64') } }, check: (o) => expect(Object.keys(o.data ?? {}).sort()).toEqual(['extra', 'token']) },
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'remove', path: '/data/extra' }], check: (o) => expect(Object.keys(o.data ?? {})).toEqual(['token']) },
  },
  {
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    group: '',
    api: 'core',
    namespaced: true,
    minimal: (name) => ({ metadata: { name } }),
    merge: { body: { automountServiceAccountToken: false }, check: (o) => expect(o.automountServiceAccountToken).toBe(false) },
    smp: labelPatch('patched', 'smp'),
    json: jsonAnnotate,
  },
  {
    kind: 'DaemonSet',
    plural: 'daemonsets',
    group: 'apps',
    api: 'apps',
    namespaced: true,
    minimal: (name) => ({
      metadata: { name },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec('busybox:1') } },
    }),
    checkCreated: (o) => {
      expect(o.metadata?.generation).toBe(1);
      // Defaults (kube-api.md §3.7); soft so the rest of the flow still runs when they are missing.
      expect.soft(o.spec?.updateStrategy?.type).toBe('RollingUpdate');
      expect.soft(o.spec?.revisionHistoryLimit).toBe(10);
    },
    merge: labelPatch('patched', 'merge'),
    smp: {
      body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } },
      check: (o) => {
        const c = o.spec?.template?.spec?.containers;
        expect(c).toHaveLength(1);
        expect(c?.[0]?.image).toBe('busybox:2');
        expect(c?.[0]?.command).toEqual(['sleep', '3600']);
        expect(o.metadata?.generation).toBe(2); // a spec change bumps generation
      },
    },
    json: {
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'busybox:3' }],
      check: (o) => {
        expect(o.spec?.template?.spec?.containers?.[0]?.image).toBe('busybox:3');
        expect(o.metadata?.generation).toBe(3);
      },
    },
    status: {
      body: { status: { observedGeneration: 3, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, numberMisscheduled: 0 } },
      check: (o) => {
        expect(o.status?.desiredNumberScheduled).toBe(2);
        expect(o.status?.numberReady).toBe(1);
        expect(o.metadata?.generation).toBe(3); // status writes never bump generation
      },
    },
  },
  {
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    group: 'apps',
    api: 'apps',
    namespaced: true,
    minimal: (name) => ({
      metadata: { name, labels: { app: 'crud' } },
      revision: 1,
      data: { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'crud' } }, spec: podSpec('busybox:1') } } },
    }),
    checkCreated: (o) => expect(o.data?.spec?.template?.$patch).toBe('replace'),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'replace', path: '/revision', value: 4 }], check: (o) => expect(o.revision).toBe(4) },
  },
  {
    kind: 'Lease',
    plural: 'leases',
    group: 'coordination.k8s.io',
    api: 'coordination',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40 } }),
    merge: { body: { spec: { holderIdentity: 'node-b' } }, check: (o) => expect(o.spec?.holderIdentity).toBe('node-b') },
    smp: { body: { spec: { leaseDurationSeconds: 15 } }, check: (o) => expect([o.spec?.holderIdentity, o.spec?.leaseDurationSeconds]).toEqual(['node-b', 15]) },
    json: { body: [{ op: 'replace', path: '/spec/holderIdentity', value: 'node-c' }], check: (o) => expect(o.spec?.holderIdentity).toBe('node-c') },
  },
  {
    kind: 'Role',
    plural: 'roles',
    group: 'rbac.authorization.k8s.io',
    api: 'rbac',
    namespaced: true,
    minimal: (name) => ({ metadata: { name }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }),
    merge: { body: { rules: [{ apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get'] }] }, check: (o) => expect(o.rules?.map((r: Obj) => r.resources)).toEqual([['daemonsets']]) },
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'add', path: '/rules/-', value: { apiGroups: [''], resources: ['configmaps'], verbs: ['watch'] } }], check: (o) => expect(o.rules).toHaveLength(2) },
  },
  {
    kind: 'RoleBinding',
    plural: 'rolebindings',
    group: 'rbac.authorization.k8s.io',
    api: 'rbac',
    namespaced: true,
    minimal: (name, ns) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    }),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'add', path: '/subjects/-', value: { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' } }], check: (o) => expect(o.subjects?.map((s: Obj) => s.name)).toEqual(['default', 'alice']) },
  },
  {
    kind: 'ClusterRole',
    plural: 'clusterroles',
    group: 'rbac.authorization.k8s.io',
    api: 'rbac',
    namespaced: false,
    minimal: (name) => ({ metadata: { name }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] }),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'replace', path: '/rules/0/verbs', value: ['get', 'watch'] }], check: (o) => expect(o.rules?.[0]?.verbs).toEqual(['get', 'watch']) },
  },
  {
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    group: 'rbac.authorization.k8s.io',
    api: 'rbac',
    namespaced: false,
    minimal: (name) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }],
    }),
    merge: labelPatch('patched', 'merge'),
    smp: labelPatch('patched', 'smp'),
    json: jsonAnnotate,
  },
  {
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    group: 'scheduling.k8s.io',
    api: 'scheduling',
    namespaced: false,
    minimal: (name) => ({ metadata: { name }, value: 1000, description: 'test' }),
    checkCreated: (o) => expect(o.value).toBe(1000),
    merge: { body: { description: 'merged' }, check: (o) => expect(o.description).toBe('merged') },
    smp: labelPatch('patched', 'smp'),
    json: { body: [{ op: 'replace', path: '/description', value: 'json' }], check: (o) => expect(o.description).toBe('json') },
  },
];

const cleanup = new Cleanup();
let clients: ApiClients;

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  clients = apiClients(server.kubeconfigPath);
  await clients.core.createNamespace({ body: { metadata: { name: NS } } });
});
afterAll(() => cleanup.run());

function method(c: KindCase, verb: string, suffix = ''): Call {
  const api = clients[c.api] as unknown as Record<string, unknown>;
  const name = `${verb}${c.namespaced ? 'Namespaced' : ''}${c.kind}${suffix}`;
  const fn = api[name];
  if (typeof fn !== 'function') throw new Error(`client-node ${c.api} has no method ${name}`);
  return (fn as Call).bind(api);
}

const where = (c: KindCase, name?: string): Record<string, unknown> => ({ ...(name ? { name } : {}), ...(c.namespaced ? { namespace: NS } : {}) });
const withType = (t: k8s.PatchStrategy) => k8s.setHeaderOptions('Content-Type', t);
const rv = (o: Obj): bigint => BigInt(o.metadata?.resourceVersion ?? 'x');

describe('client-node typed CRUD over every served kind', () => {
  it('covers every kind the server serves', () => {
    expect(kinds.map((k) => k.kind).sort()).toEqual(
      [
        'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ControllerRevision', 'DaemonSet', 'Endpoints', 'Event', 'Lease',
        'Namespace', 'Node', 'Pod', 'PriorityClass', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount',
      ].sort(),
    );
  });

  it.each(kinds.map((k) => [k.kind, k] as const))('%s: create, get, list, replace, 3 patch types, status, delete', async (_kind, c) => {
    const name = `crud-${c.plural}`;

    // create → 201 with server-set metadata
    const created = await method(c, 'create')({ ...where(c), body: c.minimal(name, NS) });
    expect(created.metadata?.name).toBe(name);
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    if (c.namespaced) expect(created.metadata?.namespace).toBe(NS);
    c.checkCreated?.(created);

    // get returns the same object
    const got = await method(c, 'read')(where(c, name));
    expect(got.metadata?.uid).toBe(created.metadata?.uid);
    expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    // list contains it; the list RV is at least the object's RV
    const list = await method(c, 'list')(where(c));
    expect(list.items.map((o: Obj) => o.metadata?.name)).toContain(name);
    expect(BigInt(list.metadata?.resourceVersion ?? 'x') >= rv(created)).toBe(true);
    if (c.namespaced) for (const o of list.items as Obj[]) expect(o.metadata?.namespace).toBe(NS);

    // replace (PUT) with the current RV bumps the RV
    const toReplace: Obj = { ...got, metadata: { ...got.metadata, labels: { ...(got.metadata?.labels ?? {}), replaced: 'yes' } } };
    const replaced = await method(c, 'replace')({ ...where(c, name), body: toReplace });
    expect(replaced.metadata?.labels?.replaced).toBe('yes');
    expect(rv(replaced) > rv(got)).toBe(true);
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);

    // the three patch content types, each read back through GET
    let last = replaced;
    for (const [strategy, p] of [
      [k8s.PatchStrategy.MergePatch, c.merge],
      [k8s.PatchStrategy.StrategicMergePatch, c.smp],
      [k8s.PatchStrategy.JsonPatch, c.json],
    ] as const) {
      const patched = await method(c, 'patch')({ ...where(c, name), body: p.body }, withType(strategy));
      p.check(patched);
      expect(rv(patched) > rv(last)).toBe(true);
      const reread = await method(c, 'read')(where(c, name));
      p.check(reread);
      expect(reread.metadata?.resourceVersion).toBe(patched.metadata?.resourceVersion);
      expect(reread.metadata?.labels?.replaced).toBe('yes');
      last = patched;
    }

    // status subresource
    if (c.status) {
      const st = await method(c, 'patch', 'Status')({ ...where(c, name), body: c.status.body }, withType(k8s.PatchStrategy.MergePatch));
      c.status.check(st);
      c.status.check(await method(c, 'read', 'Status')(where(c, name)));
      c.status.check(await method(c, 'read')(where(c, name)));
    }

    // delete, then get → 404 NotFound naming the resource
    await method(c, 'delete')(where(c, name));
    const qualified = c.group ? `${c.plural}.${c.group}` : c.plural;
    const gone = await waitFor(
      async () => {
        const f = await apiFailure(method(c, 'read')(where(c, name)));
        return f.code === 404 ? f : undefined;
      },
      { message: `${qualified} "${name}" to be gone` },
    );
    expect(gone.status?.reason).toBe('NotFound');
    expect(gone.status?.message).toBe(`${qualified} "${name}" not found`);
    expect(gone.status?.details?.kind).toBe(c.plural);
    expect(gone.status?.details?.name).toBe(name);
    const names = (await method(c, 'list')(where(c))).items.map((o: Obj) => o.metadata?.name);
    expect(names).not.toContain(name);
  });

  it('PUT on the main resource keeps the stored status; /status keeps the stored spec', async () => {
    const pod = await clients.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'status-split' }, spec: podSpec('busybox:1') as k8s.V1PodSpec } });
    const withStatus = await clients.core.patchNamespacedPodStatus(
      { name: 'status-split', namespace: NS, body: { status: { phase: 'Running' } } },
      withType(k8s.PatchStrategy.MergePatch),
    );
    expect(withStatus.status?.phase).toBe('Running');
    const put = await clients.core.replaceNamespacedPod({
      name: 'status-split',
      namespace: NS,
      body: { ...withStatus, metadata: { ...withStatus.metadata, labels: { x: 'y' } }, status: { phase: 'Failed' } },
    });
    expect(put.metadata?.labels?.x).toBe('y');
    expect(put.status?.phase).toBe('Running');
    const st = await clients.core.patchNamespacedPodStatus(
      { name: 'status-split', namespace: NS, body: { metadata: { labels: { x: 'z' } }, spec: { containers: [{ name: 'c', image: 'busybox:9' }] }, status: { phase: 'Succeeded' } } },
      withType(k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(st.status?.phase).toBe('Succeeded');
    expect(st.spec?.containers[0]?.image).toBe('busybox:1');
    expect(pod.metadata?.uid).toBe(st.metadata?.uid);
  });

  it("rejects client-node's default patch type (JSON patch) with an object body and changes nothing", async () => {
    const cm = await clients.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'default-patch-type' }, data: { a: '1' } } });
    const f = await apiFailure(clients.core.patchNamespacedConfigMap({ name: 'default-patch-type', namespace: NS, body: { data: { a: '2' } } }));
    expect(f.code).toBeGreaterThanOrEqual(400);
    expect(f.code).toBeLessThan(500);
    expect(f.status?.status).toBe('Failure');
    const after = await clients.core.readNamespacedConfigMap({ name: 'default-patch-type', namespace: NS });
    expect(after.data).toEqual({ a: '1' });
    expect(after.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it('a merge patch carrying metadata.resourceVersion is a precondition (mismatch → 409 Conflict)', async () => {
    const cm = await clients.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'precondition' }, data: { a: '1' } } });
    const stale = String(BigInt(cm.metadata?.resourceVersion ?? '0') - 1n);
    const f = await apiFailure(
      clients.core.patchNamespacedConfigMap(
        { name: 'precondition', namespace: NS, body: { metadata: { resourceVersion: stale }, data: { a: '2' } } },
        withType(k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(f.code).toBe(409);
    expect(f.status?.reason).toBe('Conflict');
    const ok = await clients.core.patchNamespacedConfigMap(
      { name: 'precondition', namespace: NS, body: { metadata: { resourceVersion: cm.metadata?.resourceVersion }, data: { a: '3' } } },
      withType(k8s.PatchStrategy.MergePatch),
    );
    expect(ok.data).toEqual({ a: '3' });
  });
});
