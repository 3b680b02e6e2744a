import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ControllerRevision, DaemonSet, KubeObject, OwnerReference, Pod } from '../../api/types.js';
import {
  type ResourceDescriptor,
  controllerRevisionsResource,
  daemonSetsResource,
  nodesResource,
  podsResource,
} from '../../client/index.js';
import { FakeClock } from '../../client/testing/index.js';
import { ApiError } from '../../api/errors.js';
import { GarbageCollector } from './garbage-collector.js';
import { GraphNode } from './graph.js';
import { configMapsResource } from '../../client/index.js';
import { DeletingFakeClient } from './testing/deleting-fake-client.js';

const ns = 'default';
const resources: ResourceDescriptor[] = [podsResource, nodesResource, daemonSetsResource, controllerRevisionsResource, configMapsResource];

function dsRef(ds: KubeObject, block = true): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name!, uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: block };
}

function newDaemonSet(name: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
}

function newPod(name: string, owners: OwnerReference[] = [], nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ownerReferences: owners.length ? owners : undefined },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(nodeName ? { nodeName } : {}) },
  };
}

function newRevision(name: string, owners: OwnerReference[]): ControllerRevision {
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name, namespace: ns, ownerReferences: owners }, revision: 1 };
}

interface Env {
  client: DeletingFakeClient;
  clock: FakeClock;
  gc: GarbageCollector;
  start(): Promise<void>;
  /** Names of objects in the order their DELETED events were observed, as `plural/name`. */
  deletedOrder: string[];
}

const stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
});

/** Events the collector recorded, as `kind/namespace/name type reason: message`. */
const recorded: string[] = [];
const recorder = { event: (o: KubeObject, type: string, reason: string, message: string) => void recorded.push(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name} ${type} ${reason}: ${message}`) };

function env(podGC: { terminatedPodThreshold?: number } = {}): Env {
  const clock = new FakeClock();
  const client = new DeletingFakeClient(clock);
  const errors: unknown[] = [];
  recorded.length = 0;
  const gc = new GarbageCollector({ client, resources, clock, recorder, onError: (e) => errors.push(e), podGC: { gcCheckPeriodMs: 20_000, quarantineMs: 40_000, ...podGC } });
  const deletedOrder: string[] = [];
  return {
    client,
    clock,
    gc,
    deletedOrder,
    async start() {
      for (const r of resources) {
        await client.watch(r, { resourceVersion: String(client.inner.resourceVersion()) }, (ev) => {
          if (ev.type === 'DELETED') deletedOrder.push(`${r.plural}/${(ev.object as KubeObject).metadata.name}`);
        });
      }
      const stop = new AbortController();
      stops.push(stop);
      void gc.run(stop.signal);
      await vi.waitFor(() => expect(gc.hasSynced()).toBe(true));
    },
  };
}

const names = (objs: KubeObject[]): string[] => objs.map((o) => o.metadata.name!).sort();

describe('GarbageCollector: background cascade', () => {
  it('deleting a DaemonSet deletes its pods and ControllerRevisions, with UID preconditions; others stay', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('foo'));
    const p1 = await e.client.create(podsResource, ns, newPod('foo-a', [dsRef(ds)]));
    await e.client.create(podsResource, ns, newPod('foo-b', [dsRef(ds)]));
    await e.client.create(controllerRevisionsResource, ns, newRevision('foo-rev1', [dsRef(ds)]));
    await e.client.create(podsResource, ns, newPod('unrelated'));
    await e.start();
    expect(e.gc.graph.node(ds.metadata.uid!)?.dependents.size).toBe(3);

    await e.client.delete(daemonSetsResource, ns, 'foo', { propagationPolicy: 'Background' });
    await vi.waitFor(() => {
      expect(names(e.client.objectsOf(podsResource))).toEqual(['unrelated']);
      expect(e.client.objectsOf(controllerRevisionsResource)).toEqual([]);
    });
    const deletes = e.client.calls.filter((c) => c.verb === 'delete' && c.resource === 'pods');
    expect(deletes.find((c) => c.name === 'foo-a')?.options).toEqual({ propagationPolicy: 'Background', preconditions: { uid: p1.metadata.uid } });
    expect(e.gc.graph.node(ds.metadata.uid!)).toBeUndefined();
  });

  it('an owner deleted before the collector started (dangling references found at startup) still cascades', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('gone'));
    await e.client.create(podsResource, ns, newPod('gone-a', [dsRef(ds)]));
    await e.client.inner.delete(daemonSetsResource, ns, 'gone');
    await e.start();
    await vi.waitFor(() => expect(e.client.objectsOf(podsResource)).toEqual([]));
  });
});

describe('GarbageCollector: foreground', () => {
  it('deletes blocking dependents first, then removes foregroundDeletion and the owner goes last', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('fg'));
    await e.client.create(podsResource, ns, newPod('fg-a', [dsRef(ds)]));
    await e.client.create(podsResource, ns, newPod('fg-b', [dsRef(ds)]));
    await e.client.create(controllerRevisionsResource, ns, newRevision('fg-rev1', [dsRef(ds)]));
    await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'fg-nonblocking', namespace: ns, ownerReferences: [dsRef(ds, false)] } });
    await e.start();
    // Hold the pod deletions at the API until released: the owner must stay meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    e.client.inner.prependReactor((a) => (a.verb === 'delete' && a.resource === 'pods' ? gate : undefined));

    const answer = await e.client.delete(daemonSetsResource, ns, 'fg', { propagationPolicy: 'Foreground' });
    expect((answer as KubeObject).metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((answer as KubeObject).metadata.deletionTimestamp).toBeTruthy();

    await vi.waitFor(() => expect(e.client.calls.filter((c) => c.verb === 'delete' && c.resource === 'pods')).toHaveLength(2));
    await vi.waitFor(() => expect(e.client.objectsOf(controllerRevisionsResource)).toEqual([]));
    await new Promise((r) => setTimeout(r, 20));
    expect(e.client.objectsOf<DaemonSet>(daemonSetsResource)[0]?.metadata.finalizers).toEqual(['foregroundDeletion']);
    release();

    await vi.waitFor(() => expect(e.client.objectsOf(daemonSetsResource)).toEqual([]));
    expect(e.client.objectsOf(podsResource)).toEqual([]);
    expect(e.client.objectsOf(controllerRevisionsResource)).toEqual([]);
    const dsAt = e.deletedOrder.indexOf('daemonsets/fg');
    for (const blocker of ['pods/fg-a', 'pods/fg-b', 'controllerrevisions/fg-rev1']) {
      expect(e.deletedOrder.indexOf(blocker)).toBeGreaterThanOrEqual(0);
      expect(e.deletedOrder.indexOf(blocker)).toBeLessThan(dsAt);
    }
    await vi.waitFor(() => expect(e.client.objectsOf(configMapsResource)).toEqual([]));
  });

  it('a blocking dependent with dependents of its own is deleted in foreground, so the cascade goes depth-first', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('top'));
    const mid = await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'mid', namespace: ns, ownerReferences: [dsRef(ds)] } });
    const midRef: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'mid', uid: mid.metadata.uid!, blockOwnerDeletion: true };
    await e.client.create(podsResource, ns, newPod('leaf', [midRef]));
    await e.start();
    await e.client.delete(daemonSetsResource, ns, 'top', { propagationPolicy: 'Foreground' });
    await vi.waitFor(() => expect(e.client.objectsOf(daemonSetsResource)).toEqual([]));
    expect(e.deletedOrder).toEqual(['pods/leaf', 'configmaps/mid', 'daemonsets/top']);
    const midDelete = e.client.calls.find((c) => c.verb === 'delete' && c.name === 'mid');
    expect(midDelete?.options?.propagationPolicy).toBe('Foreground');
  });
});

describe('GarbageCollector: orphan', () => {
  it('strips the ownerReference from every dependent, removes the orphan finalizer, and the pods stay', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('orph'));
    const keep: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: (await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'other', namespace: ns } })).metadata.uid! };
    const pa = await e.client.create(podsResource, ns, newPod('orph-a', [dsRef(ds)]));
    const pb = await e.client.create(podsResource, ns, newPod('orph-b', [dsRef(ds), keep]));
    await e.client.create(controllerRevisionsResource, ns, newRevision('orph-rev1', [dsRef(ds)]));
    await e.start();

    await e.client.delete(daemonSetsResource, ns, 'orph', { propagationPolicy: 'Orphan' });
    await vi.waitFor(() => expect(e.client.objectsOf(daemonSetsResource)).toEqual([]));
    const pods = e.client.objectsOf<Pod>(podsResource);
    expect(names(pods)).toEqual(['orph-a', 'orph-b']);
    expect(pods.find((p) => p.metadata.name === 'orph-a')?.metadata.uid).toBe(pa.metadata.uid);
    expect(pods.find((p) => p.metadata.name === 'orph-a')?.metadata.ownerReferences ?? []).toEqual([]);
    expect(pods.find((p) => p.metadata.name === 'orph-b')?.metadata.uid).toBe(pb.metadata.uid);
    expect(pods.find((p) => p.metadata.name === 'orph-b')?.metadata.ownerReferences).toEqual([keep]);
    expect(e.client.objectsOf(controllerRevisionsResource)[0]?.metadata.ownerReferences ?? []).toEqual([]);
    // The orphan finalizer was removed by the collector (that is what let the server delete the DS).
    const fin = e.client.calls.find((c) => c.verb === 'patch' && c.resource === 'daemonsets.apps');
    expect(fin?.patch).toMatchObject({ metadata: { finalizers: [] } });
    // Nothing else is deleted afterwards.
    await new Promise((r) => setTimeout(r, 20));
    expect(e.client.calls.filter((c) => c.verb === 'delete' && c.resource !== 'daemonsets.apps')).toEqual([]);
  });
});

describe('GarbageCollector: dangling references and multiple owners', () => {
  it('a dependent whose only owner UID does not exist is deleted, even when an object of that name exists with another UID', async () => {
    const e = env();
    await e.client.create(daemonSetsResource, ns, newDaemonSet('reborn'));
    const stale: OwnerReference = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'reborn', uid: 'uid-of-an-older-incarnation', controller: true };
    await e.client.create(podsResource, ns, newPod('stale', [stale]));
    await e.start();
    await vi.waitFor(() => expect(e.client.objectsOf(podsResource)).toEqual([]));
    expect(e.client.objectsOf(daemonSetsResource)).toHaveLength(1);
  });

  it('with another valid owner the dangling reference is removed and the dependent stays', async () => {
    const e = env();
    const cm = await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'alive', namespace: ns } });
    const alive: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'alive', uid: cm.metadata.uid! };
    const dead: OwnerReference = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'dead', uid: 'dead-uid', controller: true };
    const pod = await e.client.create(podsResource, ns, newPod('two-owners', [dead, alive]));
    await e.start();
    await vi.waitFor(() => expect(e.client.objectsOf<Pod>(podsResource)[0]?.metadata.ownerReferences).toEqual([alive]));
    expect(e.client.objectsOf(podsResource)[0]?.metadata.uid).toBe(pod.metadata.uid);
    expect(e.client.calls.filter((c) => c.verb === 'delete')).toEqual([]);
  });

  it('two live owners: deleting one leaves the dependent owned by the other', async () => {
    const e = env();
    const a = await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'a', namespace: ns } });
    const b = await e.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'b', namespace: ns } });
    const ra: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: a.metadata.uid! };
    const rb: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'b', uid: b.metadata.uid! };
    await e.client.create(podsResource, ns, newPod('shared', [ra, rb]));
    await e.start();
    await e.client.delete(configMapsResource, ns, 'a');
    await vi.waitFor(() => expect(e.client.objectsOf<Pod>(podsResource)[0]?.metadata.ownerReferences).toEqual([rb]));
    await e.client.delete(configMapsResource, ns, 'b');
    await vi.waitFor(() => expect(e.client.objectsOf(podsResource)).toEqual([]));
  });

  it('leaves a cluster-scoped object that names a namespaced owner alone, even when that owner is gone (upstream forgets it)', async () => {
    const e = env();
    const ds = await e.client.create(daemonSetsResource, ns, newDaemonSet('chart'));
    await e.client.create<KubeObject>(nodesResource, '', { metadata: { name: 'owned-by-namespaced', ownerReferences: [dsRef(ds)] } });
    // A control: a cluster-scoped object whose cluster-scoped owner is gone is collected.
    await e.client.create<KubeObject>(nodesResource, '', { metadata: { name: 'orphaned', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'gone', uid: 'gone-uid' }] } });
    await e.start();
    await e.client.delete(daemonSetsResource, ns, 'chart');
    await vi.waitFor(() => expect(names(e.client.objectsOf(nodesResource))).toEqual(['owned-by-namespaced']));
    await e.gc.attemptToDeleteItem(e.gc.graph.node(e.client.objectsOf(nodesResource)[0]!.metadata.uid!)!);
    expect(names(e.client.objectsOf(nodesResource))).toEqual(['owned-by-namespaced']);
    expect(e.client.calls.filter((c) => c.verb === 'delete' && c.name === 'owned-by-namespaced')).toEqual([]);
  });

  it('a dependent naming an owner of another namespace is collected (its owner is looked for in its own namespace), with a Warning event', async () => {
    const e = env();
    const parent = await e.client.create<KubeObject>(configMapsResource, 'ny', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'parent', namespace: 'ny' } });
    const ref: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: parent.metadata.uid! };
    const child = await e.client.create<KubeObject>(configMapsResource, 'nx', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'child', namespace: 'nx', ownerReferences: [ref] } });
    await e.start();
    await vi.waitFor(() => expect(names(e.client.objectsOf(configMapsResource))).toEqual(['parent']));
    expect(recorded).toEqual([`ConfigMap/nx/child Warning OwnerRefInvalidNamespace: ownerRef [v1/ConfigMap, namespace: nx, name: parent, uid: ${parent.metadata.uid!}] does not exist in namespace "nx"`]);
    expect(e.client.calls.find((c) => c.verb === 'delete' && c.name === 'child')?.options).toEqual({ propagationPolicy: 'Background', preconditions: { uid: child.metadata.uid } });
  });

  it('never deletes an object whose UID changed: the stale graph node is dropped instead', async () => {
    const e = env();
    await e.start();
    const pod = await e.client.create(podsResource, ns, newPod('same-name', [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'missing' }]));
    // Simulate a graph entry for an older incarnation of the same name.
    const stale = new GraphNode({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'same-name', uid: 'older-uid' }, true);
    stale.owners = pod.metadata.ownerReferences!;
    e.client.calls.length = 0;
    await e.gc.attemptToDeleteItem(stale);
    expect(e.client.calls.filter((c) => c.verb === 'delete')).toEqual([]);
  });
});

describe('PodGarbageCollector', () => {
  it('deletes pods bound to a missing node only after the quarantine and a live check', async () => {
    const e = env();
    await e.client.create(nodesResource, '', { metadata: { name: 'node-a' } });
    await e.client.create(podsResource, ns, newPod('on-a', [], 'node-a'));
    const orphan = await e.client.create(podsResource, ns, newPod('on-missing', [], 'node-b'));
    await e.client.create(podsResource, ns, newPod('unbound'));
    await e.start();
    const podGC = e.gc.podGC!;
    await podGC.gcOrphaned();
    expect(podGC.quarantined()).toEqual(['node-b']);
    expect(e.client.objectsOf(podsResource)).toHaveLength(3);
    e.clock.advance(39_000);
    await podGC.gcOrphaned();
    expect(e.client.objectsOf(podsResource)).toHaveLength(3);
    e.clock.advance(1_000);
    await podGC.gcOrphaned();
    expect(names(e.client.objectsOf(podsResource))).toEqual(['on-a', 'unbound']);
    const del = e.client.calls.find((c) => c.verb === 'delete' && c.name === 'on-missing');
    expect(del?.options).toEqual({ gracePeriodSeconds: 0, preconditions: { uid: orphan.metadata.uid } });
    // As upstream: marked Failed, with the reason, before it goes.
    const marked = e.client.calls.find((c) => c.verb === 'patch' && c.name === 'on-missing');
    expect(marked?.patch).toEqual({ status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: expect.any(String), reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }] } });
    expect(e.client.calls.indexOf(marked!)).toBeLessThan(e.client.calls.indexOf(del!));
  });

  it('force-deletes terminating pods on a node that is not Ready and is out of service, and only those', async () => {
    const e = env();
    const notReady = { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    const outOfService = { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] };
    await e.client.create(nodesResource, '', { metadata: { name: 'gone' }, spec: outOfService, ...notReady });
    await e.client.create(nodesResource, '', { metadata: { name: 'down' }, ...notReady });
    await e.client.create(nodesResource, '', { metadata: { name: 'up' }, spec: outOfService, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    const terminating = (name: string, node: string) => ({ ...newPod(name, [], node), metadata: { ...newPod(name, [], node).metadata, deletionTimestamp: '2026-12-02T00:00:00Z' } });
    await e.client.create(podsResource, ns, terminating('stuck', 'gone'));
    await e.client.create(podsResource, ns, newPod('running', [], 'gone'));
    await e.client.create(podsResource, ns, terminating('waits-for-taint', 'down'));
    await e.client.create(podsResource, ns, terminating('node-alive', 'up'));
    await e.start();
    await e.gc.podGC!.gcTerminating();
    expect(names(e.client.objectsOf(podsResource))).toEqual(['node-alive', 'running', 'waits-for-taint']);
    expect(e.client.calls.find((c) => c.verb === 'patch' && c.name === 'stuck')?.patch).toEqual({ status: { phase: 'Failed' } });
  });

  it('beyond the threshold, deletes the finished pods in excess: evicted first, then the oldest, names breaking ties', async () => {
    const e = env({ terminatedPodThreshold: 3 });
    const pod = (name: string, created: string, status: Pod['status']): Pod => ({ ...newPod(name, [], 'node-a'), metadata: { ...newPod(name).metadata, creationTimestamp: created }, status });
    await e.client.create(nodesResource, '', { metadata: { name: 'node-a' } });
    for (const p of [
      pod('old-running', '2026-01-01T00:00:00Z', { phase: 'Running' }),
      pod('old-pending', '2026-01-01T00:00:00Z', { phase: 'Pending' }),
      pod('old-unknown', '2026-01-01T00:00:00Z', { phase: 'Unknown' }),
      pod('b-done', '2026-01-02T00:00:00Z', { phase: 'Succeeded' }),
      pod('a-done', '2026-01-02T00:00:00Z', { phase: 'Succeeded' }),
      pod('failed', '2026-01-03T00:00:00Z', { phase: 'Failed' }),
      pod('evicted-new', '2026-01-09T00:00:00Z', { phase: 'Failed', reason: 'Evicted' }),
      pod('newest-done', '2026-01-05T00:00:00Z', { phase: 'Succeeded' }),
    ]) {
      await e.client.create(podsResource, ns, p);
    }
    await e.start();
    await e.gc.podGC!.gcTerminated();
    // Five finished, three kept: the evicted pod goes first, then the oldest by time and name.
    expect(names(e.client.objectsOf(podsResource))).toEqual(['b-done', 'failed', 'newest-done', 'old-pending', 'old-running', 'old-unknown']);
    // Finished pods are deleted as they are, not marked Failed first.
    expect(e.client.calls.filter((c) => c.verb === 'patch')).toEqual([]);
    await e.gc.podGC!.gcTerminated();
    expect(e.client.objectsOf(podsResource)).toHaveLength(6);
  });

  it('with a threshold of 0 keeps every finished pod', async () => {
    const e = env({ terminatedPodThreshold: 0 });
    await e.client.create(podsResource, ns, { ...newPod('done'), status: { phase: 'Succeeded' } });
    // A pod the same pass deletes (gcUnscheduledTerminating): the pass has run once it is gone.
    await e.client.create(podsResource, ns, { ...newPod('marker'), metadata: { ...newPod('marker').metadata, deletionTimestamp: '2026-12-02T00:00:00Z' }, status: { phase: 'Failed' } });
    await e.start();
    const stop = new AbortController();
    stops.push(stop);
    const running = e.gc.podGC!.run(stop.signal);
    await vi.waitFor(() => expect(names(e.client.objectsOf(podsResource))).toEqual(['done']));
    stop.abort();
    await running;
  });

  it('force-deletes terminating pods never bound to a node, and only those', async () => {
    const e = env();
    const terminating = (name: string, node?: string): Pod => ({ ...newPod(name, [], node), metadata: { ...newPod(name).metadata, deletionTimestamp: '2026-12-02T00:00:00Z' }, status: { phase: 'Pending' } });
    await e.client.create(nodesResource, '', { metadata: { name: 'node-a' } });
    const stuck = await e.client.create(podsResource, ns, terminating('unbound-terminating'));
    await e.client.create(podsResource, ns, terminating('bound-terminating', 'node-a'));
    await e.client.create(podsResource, ns, { ...newPod('unbound-pending'), status: { phase: 'Pending' } });
    await e.start();
    await e.gc.podGC!.gcUnscheduledTerminating();
    expect(names(e.client.objectsOf(podsResource))).toEqual(['bound-terminating', 'unbound-pending']);
    expect(e.client.calls.find((c) => c.verb === 'patch' && c.name === 'unbound-terminating')?.patch).toEqual({ status: { phase: 'Failed' } });
    expect(e.client.calls.find((c) => c.verb === 'delete' && c.name === 'unbound-terminating')?.options).toEqual({ gracePeriodSeconds: 0, preconditions: { uid: stuck.metadata.uid } });
  });

  it('a node that reappears during the quarantine keeps its pods', async () => {
    const e = env();
    await e.client.create(podsResource, ns, newPod('waiting', [], 'late-node'));
    await e.start();
    await e.gc.podGC!.gcOrphaned();
    await e.client.create(nodesResource, '', { metadata: { name: 'late-node' } });
    e.clock.advance(60_000);
    await e.gc.podGC!.gcOrphaned();
    expect(e.client.objectsOf(podsResource)).toHaveLength(1);
    expect(e.gc.podGC!.quarantined()).toEqual([]);
  });

  it('deleting a node removes its pods after the quarantine (driven by the node deletion event)', async () => {
    const e = env();
    await e.client.create(nodesResource, '', { metadata: { name: 'doomed' } });
    await e.client.create(podsResource, ns, newPod('p1', [], 'doomed'));
    await e.start();
    await e.client.delete(nodesResource, '', 'doomed');
    expect(e.gc.podGC!.quarantined()).toEqual(['doomed']);
    e.clock.advance(40_000);
    await vi.waitFor(() => expect(e.client.objectsOf(podsResource)).toEqual([]));
  });
});

describe('GarbageCollector: startup', () => {
  it('a resource that never lists does not hold the collector back past syncTimeoutMs', async () => {
    const clock = new FakeClock();
    const client = new DeletingFakeClient(clock);
    client.inner.prependReactor((a) => {
      if (a.verb === 'list' && a.resource === 'configmaps') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    });
    const errors: unknown[] = [];
    const gc = new GarbageCollector({ client, resources, clock, syncTimeoutMs: 30_000, onError: (e) => errors.push(e) });
    const ds = await client.create(daemonSetsResource, ns, newDaemonSet('early'));
    await client.create(podsResource, ns, newPod('early-a', [dsRef(ds)]));
    const stop = new AbortController();
    stops.push(stop);
    void gc.run(stop.signal);
    await new Promise((r) => setTimeout(r, 10));
    expect(gc.hasSynced()).toBe(false);
    clock.advance(30_000);
    await vi.waitFor(() => expect(gc.hasSynced()).toBe(true));
    expect(errors.map(String).some((m) => m.includes('starting without synced caches for configmaps'))).toBe(true);
    await client.delete(daemonSetsResource, ns, 'early');
    await vi.waitFor(() => expect(client.objectsOf(podsResource)).toEqual([]));
  });
});
