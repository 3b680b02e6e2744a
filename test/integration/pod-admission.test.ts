// Pod admission that reads other objects, against a real server: the Priority plugin's
// resolution of priorityClassName (and the system classes every cluster has), and the
// ServiceAccount plugin's default account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { type ResourceDescriptor, podsResource } from '../../src/client/index.js';
import { apiClients, apiFailure, Cleanup, waitFor, type ApiClients } from '../helpers/index.js';
import { ns, startCluster, type Cluster } from './daemonset-harness.js';

const priorityClasses: ResourceDescriptor = { group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', namespaced: false, kind: 'PriorityClass' };

const cleanup = new Cleanup();
let c: Cluster;
let api: ApiClients;

beforeAll(async () => {
  c = await startCluster(cleanup, false);
  api = apiClients(c.server.kubeconfigPath);
});
afterAll(() => cleanup.run());

const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }) as Pod;

describe('pod admission', () => {
  it('every cluster has the two system priority classes, which cannot be deleted', async () => {
    const list = await api.scheduling.listPriorityClass();
    const byName = new Map(list.items.map((p) => [p.metadata?.name, p]));
    expect(byName.get('system-node-critical')).toMatchObject({ value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    expect(byName.get('system-node-critical')?.globalDefault).toBeFalsy();
    expect(byName.get('system-cluster-critical')).toMatchObject({ value: 2000000000 });
    const f = await apiFailure(api.scheduling.deletePriorityClass({ name: 'system-node-critical' }));
    expect(f.code).toBe(403);
    expect(f.status?.message).toBe('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted');
  });

  it('resolves priorityClassName to its value and preemption policy; an unknown class or a contradicting priority is 403', async () => {
    const critical = await c.client.create<Pod>(podsResource, ns, pod('critical', { priorityClassName: 'system-node-critical' }));
    expect(critical.spec).toMatchObject({ priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    const unknown = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('lost', { priorityClassName: 'nope' }) as never }));
    expect([unknown.code, unknown.status?.reason, unknown.status?.message]).toEqual([403, 'Forbidden', 'pods "lost" is forbidden: no PriorityClass with name nope was found']);
    const contradicts = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: pod('liar', { priorityClassName: 'system-node-critical', priority: 5 }) as never }));
    expect(contradicts.code).toBe(403);
    expect(contradicts.status?.message).toBe('pods "liar" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name');
    const generated = await apiFailure(api.core.createNamespacedPod({ namespace: ns, body: { ...pod(''), metadata: { generateName: 'gen-', namespace: ns }, spec: { ...pod('').spec, priorityClassName: 'nope' } } as never }));
    expect(generated.status?.message).toBe('pods "gen-" is forbidden: no PriorityClass with name nope was found');
  });

  it('a pod naming no class gets priority 0, or the global default class once one exists', async () => {
    const plain = await c.client.create<Pod>(podsResource, ns, pod('plain'));
    expect(plain.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(plain.spec.priorityClassName).toBeUndefined();
    await c.client.create<KubeObject>(priorityClasses, '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'everyone' }, value: 1000, globalDefault: true, preemptionPolicy: 'Never' } as KubeObject);
    // Admission reads the default class at most once a second.
    const dflt = await waitFor(async () => {
      const p = await c.client.create<Pod>(podsResource, ns, { ...pod(''), metadata: { generateName: 'dflt-', namespace: ns } });
      return p.spec.priorityClassName === 'everyone' ? p : undefined;
    }, { message: 'a pod with the default class', timeoutMs: 5000 });
    expect(dflt.spec).toMatchObject({ priorityClassName: 'everyone', priority: 1000, preemptionPolicy: 'Never' });
    // Only one class may be the default.
    const second = await apiFailure(api.scheduling.createPriorityClass({ body: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'second' }, value: 5, globalDefault: true } }));
    expect([second.code, second.status?.message]).toEqual([403, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist']);
  });

  it('runs a pod that names no account as default, and keeps serviceAccount and serviceAccountName equal', async () => {
    const plain = await c.client.create<Pod>(podsResource, ns, pod('sa-none'));
    expect(plain.spec).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default' });
    const old = await c.client.create<Pod>(podsResource, ns, pod('sa-old', { serviceAccount: 'builder' }));
    expect(old.spec).toMatchObject({ serviceAccountName: 'builder', serviceAccount: 'builder' });
    const named = await c.client.create<Pod>(podsResource, ns, pod('sa-named', { serviceAccountName: 'runner' }));
    expect(named.spec).toMatchObject({ serviceAccountName: 'runner', serviceAccount: 'runner' });
  });
});
