// Cascading deletion of DaemonSets through the garbage collector in the server's controller
// manager: Background removes pods and ControllerRevisions, Foreground removes dependents
// before the owner, Orphan leaves pods for a new DaemonSet to adopt unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet, KubeObject, OwnerReference, Pod } from '../../src/api/types.js';
import { clusterRolesResource, configMapsResource, controllerRevisionsResource, daemonSetsResource, isNotFound, namespacesResource, podsResource, type ResourceDescriptor, type RestClient } from '../../src/client/index.js';
import { Cleanup, waitFor } from '../helpers/index.js';
import {
  type Cluster,
  EventLog,
  comparablePod,
  createNodes,
  getDs,
  listPods,
  makeDaemonSet,
  ns,
  rolledOut,
  startCluster,
  startEventLogAndKubelet,
} from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const nodes = ['n1', 'n2', 'n3'];

async function setup(): Promise<{ c: Cluster; log: EventLog }> {
  const c = await startCluster(cleanup);
  const { log } = await startEventLogAndKubelet(cleanup, c, [podsResource, daemonSetsResource]);
  await createNodes(c, nodes);
  return { c, log };
}

async function rollOut(c: Cluster, name: string): Promise<DaemonSet> {
  await c.client.create(daemonSetsResource, ns, makeDaemonSet(name));
  return waitFor(
    async () => {
      const ds = await getDs(c, name);
      return rolledOut(ds, nodes.length) ? ds : false;
    },
    { message: `${name} rolled out` },
  );
}

async function revisions(c: Cluster, app: string): Promise<ControllerRevision[]> {
  return (await c.client.list<ControllerRevision>(controllerRevisionsResource, { namespace: ns, labelSelector: `app=${app}` })).items;
}

/** True once the object is gone (a 404). */
async function missing(client: RestClient, r: ResourceDescriptor, namespace: string, name: string): Promise<boolean> {
  try {
    await client.get(r, namespace, name);
    return false;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

const gone = (c: Cluster, name: string): Promise<boolean> => missing(c.client, daemonSetsResource, ns, name);

describe('garbage collection of DaemonSets', () => {
  it('background cascade (the default) removes the pods and the ControllerRevisions', async () => {
    const { c } = await setup();
    await rollOut(c, 'bg');
    expect((await revisions(c, 'bg')).length).toBe(1);
    await c.client.delete(daemonSetsResource, ns, 'bg');
    await waitFor(() => gone(c, 'bg'));
    await waitFor(async () => (await listPods(c, 'bg')).length === 0, { message: 'pods of bg gone' });
    await waitFor(async () => (await revisions(c, 'bg')).length === 0, { message: 'revisions of bg gone' });
  });

  it('foreground cascade deletes every pod before the DaemonSet itself', async () => {
    const { c, log } = await setup();
    const ds = await rollOut(c, 'fg');
    const uids = new Set((await listPods(c, 'fg')).map((p) => p.metadata.uid));
    expect(uids.size).toBe(nodes.length);

    const answer = (await c.client.delete(daemonSetsResource, ns, 'fg', { propagationPolicy: 'Foreground' })) as DaemonSet;
    expect(answer.metadata.finalizers).toContain('foregroundDeletion');
    expect(answer.metadata.deletionTimestamp).toBeTruthy();
    await waitFor(() => gone(c, 'fg'), { message: 'fg deleted' });
    expect(await listPods(c, 'fg')).toEqual([]);
    expect(await revisions(c, 'fg')).toEqual([]);

    const dsDeleted = log.events.find((e) => e.resource === 'daemonsets' && e.type === 'DELETED' && e.obj.metadata.uid === ds.metadata.uid);
    expect(dsDeleted).toBeDefined();
    const podDeletes = log.events.filter((e) => e.resource === 'pods' && e.type === 'DELETED' && uids.has(e.obj.metadata.uid));
    expect(podDeletes.length).toBe(nodes.length);
    for (const e of podDeletes) expect(e.seq).toBeLessThan(dsDeleted!.seq);
    // No pod was created for the DS after its deletion started.
    const created = log.events.filter((e) => e.resource === 'pods' && e.type === 'ADDED' && e.obj.metadata.labels?.app === 'fg');
    expect(new Set(created.map((e) => e.obj.metadata.uid))).toEqual(uids);
  });

  it('orphan cascade leaves the pods; a new DaemonSet with the same selector adopts them unchanged', async () => {
    const { c, log } = await setup();
    const old = await rollOut(c, 'orph');
    const before = await listPods(c, 'orph');
    expect(before.length).toBe(nodes.length);

    await c.client.delete(daemonSetsResource, ns, 'orph', { propagationPolicy: 'Orphan' });
    await waitFor(() => gone(c, 'orph'), { message: 'orph deleted once its dependents are orphaned' });
    const orphans = await waitFor(async () => {
      const ps = await listPods(c, 'orph');
      return ps.length === nodes.length && ps.every((p) => (p.metadata.ownerReferences ?? []).length === 0) ? ps : false;
    });
    // Orphaning changed nothing but ownerReferences.
    const byUid = new Map(before.map((p) => [p.metadata.uid, p]));
    for (const p of orphans) expect(comparablePod(p)).toEqual(comparablePod(byUid.get(p.metadata.uid)!));
    expect((await revisions(c, 'orph')).every((r) => (r.metadata.ownerReferences ?? []).length === 0)).toBe(true);

    const podEventsBefore = log.of<Pod>('pods').length;
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('orph'));
    const fresh = await waitFor(async () => {
      const ds = await getDs(c, 'orph');
      return rolledOut(ds, nodes.length) ? ds : false;
    });
    expect(fresh.metadata.uid).not.toBe(old.metadata.uid);
    const adopted = await waitFor(async () => {
      const ps = await listPods(c, 'orph');
      return ps.every((p) => p.metadata.ownerReferences?.[0]?.uid === fresh.metadata.uid) ? ps : false;
    });
    expect(new Set(adopted.map((p) => p.metadata.uid))).toEqual(new Set(before.map((p) => p.metadata.uid)));
    for (const p of adopted) {
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'orph', uid: fresh.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(comparablePod(p)).toEqual(comparablePod(byUid.get(p.metadata.uid)!));
    }
    // No pod was created or deleted by the adoption.
    const later = log.of<Pod>('pods').slice(podEventsBefore).filter((e) => e.obj.metadata.labels?.app === 'orph');
    expect(later.filter((e) => e.type !== 'MODIFIED')).toEqual([]);
    // The orphaned revision was adopted too, not duplicated.
    const revs = await revisions(c, 'orph');
    expect(revs.length).toBe(1);
    expect(revs[0]!.metadata.ownerReferences?.[0]?.uid).toBe(fresh.metadata.uid);
  });
});

const priorityClassesResource: ResourceDescriptor = { group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', namespaced: false, kind: 'PriorityClass' };

describe('garbage collection of every deletable kind', () => {
  it('Namespaces and PriorityClasses are owners and dependents too: what they own goes with them, and they go with their owner', async () => {
    const c = await startCluster(cleanup);
    const ref = (o: KubeObject): OwnerReference => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name!, uid: o.metadata.uid! });
    const ownerNs = await c.client.create<KubeObject>(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-owner-ns' } });
    const ownerPc = await c.client.create<KubeObject>(priorityClassesResource, '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'gc-owner-pc' }, value: 7 } as KubeObject);
    const ownerRole = await c.client.create<KubeObject>(clusterRolesResource, '', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gc-owner-role' } });
    await c.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'owned-by-ns', namespace: ns, ownerReferences: [ref(ownerNs)] } });
    await c.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'owned-by-pc', namespace: ns, ownerReferences: [ref(ownerPc)] } });
    await c.client.create<KubeObject>(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-ns-owned', ownerReferences: [ref(ownerRole)] } });
    await c.client.create<KubeObject>(priorityClassesResource, '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'gc-pc-owned', ownerReferences: [ref(ownerRole)] }, value: 8 } as KubeObject);
    await c.client.delete(namespacesResource, '', 'gc-owner-ns');
    await c.client.delete(priorityClassesResource, '', 'gc-owner-pc');
    await c.client.delete(clusterRolesResource, '', 'gc-owner-role');
    await waitFor(async () => (await missing(c.client, configMapsResource, ns, 'owned-by-ns')) && (await missing(c.client, configMapsResource, ns, 'owned-by-pc')), { message: 'the ConfigMaps of the Namespace and the PriorityClass collected' });
    await waitFor(async () => (await missing(c.client, namespacesResource, '', 'gc-ns-owned')) && (await missing(c.client, priorityClassesResource, '', 'gc-pc-owned')), { message: 'the Namespace and the PriorityClass of the ClusterRole collected' });
  });

  it('deleting a Namespace takes the propagation asked for as its finalizers: Orphan keeps what it owns, Foreground waits for it, both then let the namespace go', async () => {
    const c = await startCluster(cleanup);
    const ref = (o: KubeObject): OwnerReference => ({ apiVersion: 'v1', kind: 'Namespace', name: o.metadata.name!, uid: o.metadata.uid!, blockOwnerDeletion: true });
    const orphaning = await c.client.create<KubeObject>(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-orphaning' } });
    const foreground = await c.client.create<KubeObject>(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-foreground' } });
    await c.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'kept-by-orphan', namespace: ns, ownerReferences: [ref(orphaning)] } });
    await c.client.create<KubeObject>(configMapsResource, ns, { metadata: { name: 'gone-first', namespace: ns, ownerReferences: [ref(foreground)] } });
    const o = (await c.client.delete(namespacesResource, '', 'gc-orphaning', { propagationPolicy: 'Orphan' })) as KubeObject;
    expect(o.metadata.finalizers).toEqual(['orphan']);
    const f = (await c.client.delete(namespacesResource, '', 'gc-foreground', { propagationPolicy: 'Foreground' })) as KubeObject;
    expect(f.metadata.finalizers).toEqual(['foregroundDeletion']);
    await waitFor(async () => (await missing(c.client, namespacesResource, '', 'gc-orphaning')) && (await missing(c.client, namespacesResource, '', 'gc-foreground')), { message: 'both namespaces gone' });
    const kept = await c.client.get<KubeObject>(configMapsResource, ns, 'kept-by-orphan');
    expect(kept.metadata.ownerReferences ?? []).toEqual([]);
    expect(await missing(c.client, configMapsResource, ns, 'gone-first')).toBe(true);
  });

  it('a reference from another namespace that finds no owner there does not make the live owner count as gone in its own', async () => {
    const c = await startCluster(cleanup);
    for (const name of ['gc-home', 'gc-away']) await c.client.create<KubeObject>(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const owner = await c.client.create<KubeObject>(configMapsResource, 'gc-home', { metadata: { name: 'owner', namespace: 'gc-home' } });
    const ref: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! };
    // Owner references are namespace-local: from gc-away this one names nothing, so its object goes.
    await c.client.create<KubeObject>(configMapsResource, 'gc-away', { metadata: { name: 'cross', namespace: 'gc-away', ownerReferences: [ref] } });
    await waitFor(() => missing(c.client, configMapsResource, 'gc-away', 'cross'), { message: 'the cross-namespace dependent collected' });
    // In the owner's own namespace the owner is solid: only the dangling second reference goes.
    const gone: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid: '00000000-0000-0000-0000-0000000000e1' };
    await c.client.create<KubeObject>(configMapsResource, 'gc-home', { metadata: { name: 'two-owners', namespace: 'gc-home', ownerReferences: [ref, gone] } });
    const pruned = await waitFor(async () => {
      const cm = await c.client.get<KubeObject>(configMapsResource, 'gc-home', 'two-owners');
      return cm.metadata.ownerReferences?.length === 1 ? cm : undefined;
    }, { message: 'the dangling reference removed' });
    expect(pruned.metadata.ownerReferences?.map((r) => r.uid)).toEqual([owner.metadata.uid]);
    expect(await missing(c.client, configMapsResource, 'gc-home', 'owner')).toBe(false);
  });
});
