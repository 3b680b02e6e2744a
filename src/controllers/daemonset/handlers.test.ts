import { describe, expect, it } from 'vitest';
import type { DaemonSet, Node, Pod } from '../../api/types.js';
import { Harness, newDaemonSet, newNode, newPod, simpleDaemonSetLabel } from './testing/fixtures.js';

// Event routing (§4.1 / §15 "event routing"): handlers enqueue only the affected DaemonSets.
// Handlers are driven through the informers' cache + handler path by replaying what a watch delivers.

type Handlers = {
  add(o: unknown): void;
  update(a: unknown, b: unknown): void;
  delete(o: unknown): void;
};

function handlersOf(h: Harness, which: 'pod' | 'node'): Handlers {
  const inf = which === 'pod' ? h.controller.podInformer : h.controller.nodeInformer;
  // Calls the handlers the controller registered on the informer directly (test-only access to
  // the informer's private handler list), as the informer does for a watch event.
  const hs = (inf as unknown as { handlers: Array<{ add?: (o: unknown, i: boolean) => void; update?: (a: unknown, b: unknown) => void; delete?: (o: unknown) => void }> }).handlers;
  return {
    add: (o) => hs.forEach((x) => x.add?.(o, false)),
    update: (a, b) => hs.forEach((x) => x.update?.(a, b)),
    delete: (o) => hs.forEach((x) => x.delete?.(o)),
  };
}

function threeDaemonSets(h: Harness): DaemonSet[] {
  const a = newDaemonSet('foo1');
  const b = newDaemonSet('foo2');
  const c = newDaemonSet('bar');
  c.spec.selector = { matchLabels: { app: 'other' } };
  c.spec.template.metadata = { labels: { app: 'other' } };
  return [a, b, c].map((d) => h.addDaemonSet(d));
}

function drain(h: Harness): string[] {
  const out: string[] = [];
  for (let k = h.controller.queue.tryGet(); k !== undefined; k = h.controller.queue.tryGet()) {
    out.push(k);
    h.controller.queue.done(k);
  }
  return out.sort();
}

describe('pod handlers', () => {
  it('owned pod add: owner only, creation observed', () => {
    const h = new Harness();
    const [a] = threeDaemonSets(h);
    h.controller.expectations.expectCreations('default/foo1', 1);
    handlersOf(h, 'pod').add(newPod('p-', 'n1', { ds: a }));
    expect(drain(h)).toEqual(['default/foo1']);
    expect(h.controller.expectations.satisfiedExpectations('default/foo1')).toBe(true);
  });
  it('orphan add: every DS whose selector matches (2 of 3)', () => {
    const h = new Harness();
    threeDaemonSets(h);
    handlersOf(h, 'pod').add(newPod('p-', 'n1'));
    expect(drain(h)).toEqual(['default/foo1', 'default/foo2']);
  });
  it('orphan update: same labels -> nothing; changed labels -> matching', () => {
    const h = new Harness();
    threeDaemonSets(h);
    const p1 = newPod('p-', 'n1');
    const p2: Pod = structuredClone(p1);
    p2.metadata.resourceVersion = '2';
    handlersOf(h, 'pod').update(p1, p2);
    expect(drain(h)).toEqual([]);
    const p3: Pod = structuredClone(p2);
    p3.metadata.resourceVersion = '3';
    p3.metadata.labels = { ...simpleDaemonSetLabel, extra: 'x' };
    handlersOf(h, 'pod').update(p2, p3);
    expect(drain(h)).toEqual(['default/foo1', 'default/foo2']);
  });
  it('controller ref change: old and new owner', () => {
    const h = new Harness();
    const [a, b] = threeDaemonSets(h);
    const p1 = newPod('p-', 'n1', { ds: a });
    const p2 = newPod('p-', 'n1', { ds: b });
    p2.metadata.name = p1.metadata.name;
    p2.metadata.resourceVersion = '2';
    handlersOf(h, 'pod').update(p1, p2);
    expect(drain(h)).toEqual(['default/foo1', 'default/foo2']);
  });
  it('owned delete: owner, deletion observed; orphan delete: nothing', () => {
    const h = new Harness();
    const [a] = threeDaemonSets(h);
    h.controller.expectations.setExpectations('default/foo1', 0, 1);
    handlersOf(h, 'pod').delete(newPod('p-', 'n1', { ds: a }));
    expect(drain(h)).toEqual(['default/foo1']);
    expect(h.controller.expectations.satisfiedExpectations('default/foo1')).toBe(true);
    handlersOf(h, 'pod').delete(newPod('p-', 'n1'));
    expect(drain(h)).toEqual([]);
  });
});

describe('node handlers', () => {
  it('node add enqueues only DaemonSets whose nodeSelector matches', () => {
    const h = new Harness();
    const a = newDaemonSet('blue');
    a.spec.template.spec.nodeSelector = { color: 'blue' };
    h.addDaemonSet(a);
    h.addDaemonSet(newDaemonSet('any'));
    handlersOf(h, 'node').add(newNode('n1'));
    expect(drain(h)).toEqual(['default/any']);
  });
  it('node update: identical labels/taints or allocatable change -> nothing; label or taint change -> enqueue', () => {
    const h = new Harness();
    const a = newDaemonSet('blue');
    a.spec.template.spec.nodeSelector = { color: 'blue' };
    h.addDaemonSet(a);
    const n1 = newNode('n1');
    const n2: Node = structuredClone(n1);
    n2.status!.allocatable = { cpu: '1' };
    handlersOf(h, 'node').update(n1, n2);
    expect(drain(h)).toEqual([]);
    const n3: Node = structuredClone(n1);
    n3.metadata.labels = { color: 'blue' };
    handlersOf(h, 'node').update(n1, n3);
    expect(drain(h)).toEqual(['default/blue']);
    const n4: Node = structuredClone(n3);
    n4.spec!.taints = [{ key: 'k', effect: 'NoExecute' }];
    handlersOf(h, 'node').update(n3, n4);
    expect(drain(h)).toEqual(['default/blue']);
  });
});

describe('worker semantics', () => {
  it('a failing sync is requeued rate-limited; success forgets', async () => {
    const h = new Harness();
    const ds = h.addDaemonSet(newDaemonSet('foo'));
    h.addNodes(newNode('n1'));
    h.podControl.createError = new Error('boom');
    await h.controller.processKey('default/foo');
    expect(h.controller.queue.numRequeues('default/foo')).toBe(1);
    h.podControl.createError = undefined;
    h.clock.advance(5);
    expect(h.controller.queue.tryGet()).toBe('default/foo');
    await h.controller.processKey('default/foo');
    expect(h.controller.queue.numRequeues('default/foo')).toBe(0);
    expect(ds.metadata.name).toBe('foo');
  });
  it('a deleted DaemonSet drops its expectations', async () => {
    const h = new Harness();
    h.controller.expectations.expectCreations('default/gone', 3);
    await h.controller.syncDaemonSet('default/gone');
    expect(h.controller.expectations.getExpectations('default/gone')).toBeUndefined();
  });
});

describe('selector memo', () => {
  it('a new DS object with an equal selector gets the same Selector; a changed one a new one', () => {
    const h = new Harness();
    const a = newDaemonSet('foo1');
    const copy = JSON.parse(JSON.stringify(a)) as DaemonSet;
    const first = h.controller.selectorOf(a);
    expect(h.controller.selectorOf(copy)).toBe(first);
    copy.spec.selector = { matchLabels: { app: 'other' } };
    const other = h.controller.selectorOf(copy);
    expect(other).not.toBe(first);
    expect(other.matches({ app: 'other' })).toBe(true);
    expect(first.matches({ app: 'other' })).toBe(false);
  });
});
