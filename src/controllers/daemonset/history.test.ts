import { describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet } from '../../api/types.js';
import { controllerRevisionsResource } from '../../client/index.js';
import { canonicalJSON, computeHash, controllerRevisionName, matchRevision, revisionPayload } from './history.js';
import { Harness, newDaemonSet, newNodes, newPod, simpleDaemonSetLabel } from './testing/fixtures.js';

describe('revision payload (§9.1, kube-api §3.7)', () => {
  it('is canonical sorted-key JSON with $patch replace, creationTimestamp null and resources {} (as kubectl encodes it)', () => {
    const ds = newDaemonSet('foo');
    expect(revisionPayload(ds)).toBe(
      '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"name":"simple-daemon","type":"production"}},' +
        '"spec":{"containers":[{"image":"foo/bar","imagePullPolicy":"IfNotPresent","name":"foo","resources":{},"terminationMessagePath":"/dev/termination-log"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always"}}}}',
    );
    // Containers with resources keep them; init containers are completed too.
    const d2 = newDaemonSet('foo');
    d2.spec.template.spec.containers[0]!.resources = { limits: { cpu: '1' } };
    d2.spec.template.spec.initContainers = [{ name: 'init', image: 'i' }];
    const p = JSON.parse(revisionPayload(d2)) as { spec: { template: { spec: { containers: { resources: unknown }[]; initContainers: { resources: unknown }[] } } } };
    expect(p.spec.template.spec.containers[0]!.resources).toEqual({ limits: { cpu: '1' } });
    expect(p.spec.template.spec.initContainers[0]!.resources).toEqual({});
  });
  it('revisions stored without resources {} (older payload) still match', () => {
    const ds = newDaemonSet('foo');
    const data = JSON.parse(revisionPayload(ds)) as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    delete data.spec.template.spec.containers[0]!['resources'];
    expect(matchRevision(ds, { metadata: {}, revision: 1, data } as ControllerRevision)).toBe(true);
    expect(matchRevision(ds, { metadata: {}, revision: 1, data: JSON.stringify(data) } as ControllerRevision)).toBe(true);
  });
  it('revisions and templates an older build stored with quantities as sent match their canonical form; other quantities do not', () => {
    const withResources = (requests: Record<string, string>) => {
      const d = newDaemonSet('foo');
      d.spec.template.spec.containers[0]!.resources = { requests, limits: { memory: requests['memory'] ?? '1Gi' } };
      return d;
    };
    const canonical = withResources({ cpu: '500m', memory: '1Gi' });
    const asSent = withResources({ cpu: '0.5', memory: '1024Mi' });
    const dataOf = (d: DaemonSet) => JSON.parse(canonicalJSON({ spec: { template: { ...d.spec.template, $patch: 'replace' } } })) as unknown;
    // A revision stored as sent is the current one of the canonical template, and the other way round.
    expect(matchRevision(canonical, { metadata: {}, revision: 1, data: dataOf(asSent) } as ControllerRevision)).toBe(true);
    expect(matchRevision(asSent, { metadata: {}, revision: 1, data: dataOf(canonical) } as ControllerRevision)).toBe(true);
    expect(revisionPayload(asSent)).toBe(revisionPayload(canonical));
    expect(matchRevision(withResources({ cpu: '0.6', memory: '1Gi' }), { metadata: {}, revision: 1, data: dataOf(asSent) } as ControllerRevision)).toBe(false);
    // The hash (what pods are labelled with) is of the template as stored: unchanged by this.
    expect(computeHash(asSent.spec.template, undefined)).not.toBe(computeHash(canonical.spec.template, undefined));
  });
  it('canonicalJSON sorts keys recursively and keeps array order', () => {
    expect(canonicalJSON({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('matching ignores key order of stored data and ignores non-template changes', () => {
    const ds = newDaemonSet('foo');
    const rev = { metadata: {}, revision: 1, data: JSON.parse(revisionPayload(ds)) as unknown } as ControllerRevision;
    const shuffled = { spec: { template: { spec: (rev.data as { spec: { template: { spec: unknown } } }).spec.template.spec, metadata: { labels: { type: 'production', name: 'simple-daemon' }, creationTimestamp: null }, $patch: 'replace' } } };
    expect(matchRevision(ds, { ...rev, data: shuffled })).toBe(true);
    const ds2 = structuredClone(ds);
    ds2.spec.minReadySeconds = 30;
    ds2.spec.updateStrategy = { type: 'OnDelete' };
    ds2.metadata.labels = { x: 'y' };
    expect(matchRevision(ds2, rev)).toBe(true);
    ds2.spec.template.spec.containers[0]!.image = 'foo/bar:2';
    expect(matchRevision(ds2, rev)).toBe(false);
  });
});

describe('revision names', () => {
  it('are <owner>-<hash>, the owner cut to 223 characters (upstream ControllerRevisionName)', () => {
    expect(controllerRevisionName('foo', '5d4b')).toBe('foo-5d4b');
    expect(controllerRevisionName('x'.repeat(223), '5d4b')).toBe(`${'x'.repeat(223)}-5d4b`);
    expect(controllerRevisionName('y'.repeat(253), '5d4b')).toBe(`${'y'.repeat(223)}-5d4b`);
  });
});

describe('hash (decision 5)', () => {
  it('is stable, in the safe alphabet, and changes with the template and collisionCount', () => {
    const t = newDaemonSet('foo').spec.template;
    const h = computeHash(t, undefined);
    // Pinned: changing the hash input rolls every DaemonSet in every cluster on upgrade.
    expect(h).toBe(computeHash(structuredClone(t), undefined));
    expect(h).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(h).toBe('8997dd66c');
    expect(computeHash(t, 1)).toBe('59654495db');
    const reordered = { spec: t.spec, metadata: { labels: { type: 'production', name: 'simple-daemon' } } };
    expect(computeHash(reordered, undefined)).toBe(h);
    expect(computeHash(t, 0)).not.toBe(h);
    expect(computeHash(t, 1)).not.toBe(computeHash(t, 0));
    const t2 = structuredClone(t);
    t2.spec.containers[0]!.image = 'x';
    expect(computeHash(t2, undefined)).not.toBe(h);
  });
});

async function syncOnce(h: Harness, ds: DaemonSet): Promise<void> {
  await h.sync(ds, { expectError: true });
}

describe('history (§9.3–9.5)', () => {
  it('creates revision 1 named <ds>-<hash> with labels, annotations, owner and data', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    await syncOnce(h, ds);
    const revs = h.client.objectsOf<ControllerRevision>(controllerRevisionsResource);
    expect(revs).toHaveLength(1);
    const hash = computeHash(ds.spec.template, undefined);
    expect(revs[0]!.metadata.name).toBe(`foo-${hash}`);
    expect(revs[0]!.revision).toBe(1);
    expect(revs[0]!.metadata.labels).toEqual({ ...simpleDaemonSetLabel, 'controller-revision-hash': hash });
    expect(revs[0]!.metadata.annotations).toEqual(ds.metadata.annotations);
    expect(revs[0]!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true });
    expect(canonicalJSON(revs[0]!.data)).toBe(revisionPayload(ds));
  });

  it('template change -> revision 2; rollback reuses revision 1 renumbered to 3', async () => {
    const h = new Harness();
    let ds = h.addDaemonSet(newDaemonSet('foo'));
    await syncOnce(h, ds);
    const v1 = structuredClone(h.cachedDaemonSet(ds));
    const d2 = structuredClone(v1);
    d2.spec.template.spec.containers[0]!.image = 'foo/bar:2';
    ds = h.updateDaemonSet(d2);
    await syncOnce(h, ds);
    ds = h.updateDaemonSet(v1);
    await syncOnce(h, ds);
    const revs = h.client.objectsOf<ControllerRevision>(controllerRevisionsResource).map((r) => [r.metadata.name, r.revision]);
    expect(revs.sort()).toEqual([
      [`foo-${computeHash(v1.spec.template, undefined)}`, 3],
      [`foo-${computeHash(d2.spec.template, undefined)}`, 2],
    ].sort());
  });

  it('hash collision: a planted revision with our name but other data bumps collisionCount; next pass uses a new name', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    const name = `foo-${computeHash(ds.spec.template, undefined)}`;
    h.client.seed(controllerRevisionsResource, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name, namespace: 'default' }, data: { other: true }, revision: 1 } as ControllerRevision);
    const r = await h.sync(ds, { expectError: true });
    expect(r.error).toBeDefined();
    expect(h.liveDaemonSet('foo').status?.collisionCount).toBe(1);
    h.addNodes(...newNodes(1));
    await h.sync(h.cachedDaemonSet(ds));
    expect(h.podControl.createdPods[0]!.metadata.labels!['controller-revision-hash']).toBe(computeHash(ds.spec.template, 1));
  });

  it('dedup: two current revisions -> pods relabelled to the higher one, the lower deleted', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo', 'OnDelete'));
    const data = JSON.parse(revisionPayload(ds)) as unknown;
    const owner = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    const mk = (n: string, rev: number): ControllerRevision =>
      ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: `foo-${n}`, namespace: 'default', labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': n }, ownerReferences: owner }, data, revision: rev }) as ControllerRevision;
    for (const r of [mk('aaa', 1), mk('bbb', 2)]) h.controller.historyInformer.indexer.add(h.client.seed(controllerRevisionsResource, r));
    h.addNodes(...newNodes(1));
    h.addPods(newPod('p-', 'node-0', { ds, labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': 'aaa' } }));
    await h.sync(ds);
    expect(h.pods()[0]!.metadata.labels!['controller-revision-hash']).toBe('bbb');
    expect(h.client.objectsOf<ControllerRevision>(controllerRevisionsResource).map((r) => r.metadata.name)).toEqual(['foo-bbb']);
  });

  it('cleanup keeps revisionHistoryLimit old revisions and any revision a live pod uses', async () => {
    const h = new Harness();
    const d = newDaemonSet('foo', 'OnDelete');
    d.spec.revisionHistoryLimit = 1;
    let ds = h.addDaemonSet(d);
    h.addNodes(...newNodes(1));
    await syncOnce(h, ds); // rev 1 + a pod with its hash
    for (const img of ['b', 'c', 'd']) {
      const n = structuredClone(h.cachedDaemonSet(ds));
      n.spec.template.spec.containers[0]!.image = img;
      ds = h.updateDaemonSet(n);
      await syncOnce(h, ds);
    }
    const revs = h.client.objectsOf<ControllerRevision>(controllerRevisionsResource).map((r) => r.revision).sort();
    // current (4), the newest old beyond the limit is pruned oldest-first except rev 1 (live pod)
    expect(revs).toEqual([1, 4]);
  });

  it('adopts a matching orphan revision in the namespace, not one in another namespace', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    const data = JSON.parse(revisionPayload(ds)) as unknown;
    const orphan = (ns: string): ControllerRevision =>
      ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'foo-orphan', namespace: ns, labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': 'orph' } }, data, revision: 1 }) as ControllerRevision;
    h.controller.historyInformer.indexer.add(h.client.seed(controllerRevisionsResource, orphan('default')));
    h.controller.historyInformer.indexer.add(h.client.seed(controllerRevisionsResource, orphan('other')));
    const claimed = await h.controller.controlledHistories(h.cachedDaemonSet(ds));
    expect(claimed.map((r) => r.metadata.namespace)).toEqual(['default']);
    const patches = h.client.actions.filter((a) => a.verb === 'patch');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.patch).toEqual({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }], uid: claimed[0]!.metadata.uid } });
  });
});
