// The state a DaemonSet keeps across sync passes (node-slots.ts) must never serve a stale view:
// every test runs several passes over the same controller and changes the caches in between
// (the way informers do: replaced objects, deletions that shift list positions, relabels).

import { describe, expect, it } from 'vitest';
import type { DaemonSet, Node } from '../../api/types.js';
import { Harness, newDaemonSet, newNode, newNodes, newPod } from './testing/fixtures.js';

async function converge(h: Harness, ds: DaemonSet): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await h.sync(ds);
    h.markAllReady(h.clock.now() - 3600_000);
  }
}

function status(h: Harness, ds: DaemonSet) {
  const s = h.liveDaemonSet(ds.metadata.name ?? '').status!;
  return { desired: s.desiredNumberScheduled, current: s.currentNumberScheduled, ready: s.numberReady, misscheduled: s.numberMisscheduled };
}

describe('state kept across sync passes', () => {
  it('sees a pod deleted from the middle of the cache (positions shift) and recreates it', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(5));
    await converge(h, ds);
    expect(status(h, ds)).toEqual({ desired: 5, current: 5, ready: 5, misscheduled: 0 });
    const victim = h.pods()[2]!;
    h.controller.podInformer.indexer.delete(victim);
    const r = await h.sync(ds);
    expect(r.creates).toBe(1);
    expect(r.createdNodes).toEqual([victim.spec.nodeName]);
  });

  it('re-evaluates placement when a node object is replaced with new labels, and not otherwise', async () => {
    const h = new Harness();
    const d = newDaemonSet('foo');
    d.spec.template.spec.nodeSelector = { color: 'blue' };
    const ds = h.addDaemonSet(d);
    const nodes: Node[] = [newNode('a', { color: 'blue' }), newNode('b', { color: 'blue' }), newNode('c', { color: 'red' })];
    h.addNodes(...nodes);
    await converge(h, ds);
    expect(status(h, ds)).toEqual({ desired: 2, current: 2, ready: 2, misscheduled: 0 });
    // Relabel b (a new object, as an informer delivers it): its pod must go.
    h.controller.nodeInformer.indexer.update({ ...nodes[1]!, metadata: { ...nodes[1]!.metadata, labels: { color: 'red' } } });
    let r = await h.sync(ds);
    expect(r.deleted.length).toBe(1);
    // Relabel c to blue: it gets a pod.
    h.controller.nodeInformer.indexer.update({ ...nodes[2]!, metadata: { ...nodes[2]!.metadata, labels: { color: 'blue' } } });
    r = await h.sync(ds);
    expect(r.createdNodes).toEqual(['c']);
  });

  it('re-evaluates every node when the template placement changes (new DS object, same generation)', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(newNode('a', { color: 'blue' }), newNode('b', { color: 'red' }));
    await converge(h, ds);
    const d = structuredClone(h.cachedDaemonSet(ds));
    d.spec.template.spec.nodeSelector = { color: 'red' };
    h.updateDaemonSet(d);
    const r = await h.sync(ds);
    expect(r.deletes).toBe(1);
  });

  it('follows pod replacement: a pod turning not ready changes the status', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(3));
    await converge(h, ds);
    expect(status(h, ds).ready).toBe(3);
    h.markNotReady(h.pods()[1]!);
    await h.sync(ds);
    expect(status(h, ds).ready).toBe(2);
  });

  it('releases a pod whose labels stop matching and adopts a matching orphan across passes', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(2));
    await converge(h, ds);
    const owned = h.pods()[0]!;
    h.updatePod(owned, (p) => {
      p.metadata.labels = { other: 'x' };
    });
    await h.sync(ds);
    expect(h.podControl.patches.map((p) => p.name)).toEqual([owned.metadata.name]);
    const orphan = newPod('orphan-', 'node-9');
    h.addPods(orphan);
    await h.sync(ds);
    expect(h.podControl.patches.map((p) => p.name)).toEqual([orphan.metadata.name]);
  });

  it('a DaemonSet recreated under the same name starts from fresh state', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(2));
    await converge(h, ds);
    h.controller.dsInformer.indexer.delete(ds);
    for (const p of h.pods()) h.controller.podInformer.indexer.delete(p);
    await h.sync(ds);
    const again = h.addDaemonSet(newDaemonSet('foo'));
    const r = await h.sync(again);
    expect(r.creates).toBe(2);
  });
});

describe('memory kept across passes', () => {
  type Internals = { slotsByKey: Map<string, { slots: { nodeSlots: { name: string; facts: unknown[] }[] } }>; dropIdleSlots(): void };
  const internals = (h: Harness) => h.controller as unknown as Internals;

  it('a node whose daemon pod went keeps no pod object; an idle DaemonSet\'s slots are dropped and rebuilt by its next pass', async () => {
    const h = new Harness();
    const d = newDaemonSet('foo');
    d.spec.template.spec.nodeSelector = { color: 'blue' };
    const ds = h.addDaemonSet(d);
    const nodes: Node[] = [newNode('a', { color: 'blue' }), newNode('b', { color: 'blue' })];
    h.addNodes(...nodes);
    await converge(h, ds);
    // b no longer selected: its pod is deleted; the pod goes from the cache as the informer would.
    h.controller.nodeInformer.indexer.update({ ...nodes[1]!, metadata: { ...nodes[1]!.metadata, labels: { color: 'red' } } });
    await h.sync(ds);
    for (const p of h.pods().filter((p) => p.spec.nodeName === 'b')) h.controller.podInformer.indexer.delete(p);
    await h.sync(ds);
    const slots = internals(h).slotsByKey.get('default/foo')!.slots;
    expect(slots.nodeSlots.find((s) => s.name === 'b')!.facts).toEqual([]);
    // Idle for a minute: dropped; the next pass rebuilds them and still sees the right state.
    h.clock.advance(61_000);
    internals(h).dropIdleSlots();
    expect(internals(h).slotsByKey.size).toBe(0);
    const r = await h.sync(ds);
    expect([r.creates, r.deleted.length]).toEqual([0, 0]);
    expect(status(h, ds)).toMatchObject({ desired: 1, current: 1 });
    expect(internals(h).slotsByKey.size).toBe(1);
  });
});
