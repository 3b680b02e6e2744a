import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { indexPodByNodeName, isTombstone, podNodeNameIndex } from './cache.js';
import { Informer, SharedInformerFactory } from './informer.js';
import { nodesResource, podsResource } from './resources.js';
import { FakeApiClient } from './testing/fake-client.js';

const pod = (name: string, node: string, ns = 'default'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'x' } }, spec: { nodeName: node, containers: [] } });

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function start(client: FakeApiClient): { inf: Informer<Pod>; log: string[] } {
  const inf = new Informer<Pod>(client, podsResource, { freezeObjects: true, indexers: { [podNodeNameIndex]: indexPodByNodeName }, backoffInitialMs: 1, backoffMaxMs: 5 });
  const log: string[] = [];
  inf.addEventHandler({
    add: (p) => log.push(`add ${p.metadata.name}`),
    update: (_a, b) => log.push(`update ${b.metadata.name}`),
    delete: (p) => log.push(`delete ${isTombstone(p) ? `tombstone ${p.obj.metadata.name}` : p.metadata.name}`),
  });
  inf.start();
  stops.push(() => inf.stop());
  return { inf, log };
}

describe('Informer', () => {
  it('lists, syncs, then follows the watch; cache is frozen and indexed', async () => {
    const client = new FakeApiClient();
    await client.create(podsResource, 'default', pod('a', 'n1'));
    const { inf, log } = start(client);
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(log).toEqual(['add a']);
    await until(() => client.openWatches() === 1);
    await client.create(podsResource, 'default', pod('b', 'n2'));
    await client.patch(podsResource, 'default', 'a', 'merge', { metadata: { labels: { app: 'y' } } });
    await client.delete(podsResource, 'default', 'b');
    await until(() => log.length === 4);
    expect(log).toEqual(['add a', 'add b', 'update a', 'delete b']);
    const cached = inf.lister.namespace('default').get('a')!;
    expect(Object.isFrozen(cached.metadata)).toBe(true);
    expect(() => {
      (cached.metadata as { name?: string }).name = 'z';
    }).toThrow();
    expect(inf.indexer.byIndex(podNodeNameIndex, 'n1').map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('caches and hands to handlers what the transform makes of listed and watched objects, never changing the received ones', async () => {
    const client = new FakeApiClient();
    await client.create(podsResource, 'default', pod('a', 'n1'));
    const received: Pod[] = [];
    const inf = new Informer<Pod>(client, podsResource, {
      freezeObjects: true,
      indexers: { [podNodeNameIndex]: indexPodByNodeName },
      transform: (p) => {
        received.push(p);
        return { metadata: { name: p.metadata.name, namespace: p.metadata.namespace, resourceVersion: p.metadata.resourceVersion }, spec: { nodeName: p.spec.nodeName, containers: [] } };
      },
    });
    const seen: Pod[] = [];
    inf.addEventHandler({ add: (p) => seen.push(p), update: (_a, b) => seen.push(b), delete: (p) => seen.push(isTombstone(p) ? p.obj : p) });
    inf.start();
    stops.push(() => inf.stop());
    await inf.waitForSync();
    await until(() => client.openWatches() === 1);
    await client.create(podsResource, 'default', pod('b', 'n2'));
    await client.patch(podsResource, 'default', 'a', 'merge', { metadata: { labels: { app: 'y' } } });
    await client.delete(podsResource, 'default', 'b');
    await until(() => seen.length === 4);
    // Every object handed on and cached is the transform's: no labels, indexed by node.
    expect(seen.map((p) => p.metadata.labels)).toEqual([undefined, undefined, undefined, undefined]);
    expect(inf.lister.namespace('default').get('a')?.metadata.labels).toBeUndefined();
    expect(inf.indexer.byIndex(podNodeNameIndex, 'n1').map((p) => p.metadata.name)).toEqual(['a']);
    expect(inf.lister.list().map((p) => p.metadata.name)).toEqual(['a']);
    // The transform saw the whole objects, labels and all, and left them as they came.
    expect(received.map((p) => p.metadata.labels?.app)).toEqual(['x', 'x', 'y', 'x']);
  });

  it('re-watches from the last resourceVersion when the stream ends, without losing events', async () => {
    const client = new FakeApiClient();
    const { inf, log } = start(client);
    await inf.waitForSync();
    await until(() => client.openWatches() === 1);
    client.closeWatches();
    await client.create(podsResource, 'default', pod('late', 'n1'));
    await until(() => log.includes('add late'));
    const lists = client.actions.filter((a) => a.verb === 'list').length;
    expect(lists).toBe(1);
  });

  it('relists on 410 and reports objects deleted meanwhile as tombstones', async () => {
    const client = new FakeApiClient();
    await client.create(podsResource, 'default', pod('a', 'n1'));
    await client.create(podsResource, 'default', pod('b', 'n1'));
    const { inf, log } = start(client);
    await inf.waitForSync();
    await until(() => client.openWatches() === 1);
    // The watch is down (and refused) while b is deleted and c created; then history is compacted.
    let refuse = true;
    client.prependReactor((a) => {
      if (a.verb === 'watch' && refuse) throw new Error('connection refused');
    });
    client.closeWatches();
    await client.delete(podsResource, 'default', 'b');
    await client.create(podsResource, 'default', pod('c', 'n1'));
    client.compact();
    refuse = false;
    await until(() => log.includes('delete tombstone b') && log.includes('add c'));
    expect(client.actions.filter((a) => a.verb === 'list')).toHaveLength(2);
    expect(inf.lister.namespace('default').list().map((p) => p.metadata.name).sort()).toEqual(['a', 'c']);
  });

  it('an in-stream ERROR 410 event forces a relist', async () => {
    const client = new FakeApiClient();
    const { inf } = start(client);
    await inf.waitForSync();
    await until(() => client.openWatches() === 1);
    client.sendWatchError(podsResource, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', message: 'too old resource version', code: 410 });
    await until(() => client.actions.filter((a) => a.verb === 'list').length === 2);
  });

  it('a watch that ends at once without events is retried after a backoff, never in a tight loop', async () => {
    const client = new FakeApiClient();
    client.prependReactor((a) => {
      if (a.verb === 'watch') setTimeout(() => client.closeWatches(), 0);
    });
    const inf = new Informer<Pod>(client, podsResource, { backoffInitialMs: 40, backoffMaxMs: 40 });
    inf.start();
    stops.push(() => inf.stop());
    await inf.waitForSync();
    await new Promise((r) => setTimeout(r, 300));
    const watches = client.actions.filter((a) => a.verb === 'watch').length;
    expect(watches).toBeGreaterThan(2);
    expect(watches).toBeLessThan(12); // ~300 ms / 40 ms; without the backoff, thousands
  });

  it('a non-410 ERROR in the stream is reported and backed off', async () => {
    const client = new FakeApiClient();
    const errors: unknown[] = [];
    const inf = new Informer<Pod>(client, podsResource, { backoffInitialMs: 200, backoffMaxMs: 200, onError: (e) => errors.push(e) });
    inf.start();
    stops.push(() => inf.stop());
    await inf.waitForSync();
    await until(() => client.openWatches() === 1);
    client.sendWatchError(podsResource, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'InternalError', message: 'boom', code: 500 });
    await until(() => errors.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.openWatches()).toBe(0); // still backing off
    await until(() => client.openWatches() === 1);
  });

  it('a stopped informer cannot be started again, and waitForSync on it returns at once', async () => {
    const client = new FakeApiClient();
    const inf = new Informer<Pod>(client, podsResource, {});
    await inf.stop();
    inf.start();
    await inf.waitForSync(); // would never return if start() had listed again without syncing
    expect(inf.hasSynced()).toBe(false);
    expect(client.actions.filter((a) => a.verb === 'list')).toEqual([]);
  });

  it('stop() releases waitForSync callers and does not wait long for a request in flight', async () => {
    const failing = new FakeApiClient();
    failing.prependReactor((a) => {
      if (a.verb === 'list') throw new Error('connection refused');
    });
    const a = new Informer<Pod>(failing, podsResource, { backoffInitialMs: 1, backoffMaxMs: 5 });
    a.start();
    const synced = a.waitForSync();
    await until(() => failing.actions.filter((x) => x.verb === 'list').length >= 2);
    await a.stop();
    await synced;
    expect(a.hasSynced()).toBe(false);

    const hanging = new FakeApiClient();
    hanging.prependReactor((x) => (x.verb === 'list' ? new Promise<void>(() => undefined) : undefined));
    const b = new Informer<Pod>(hanging, podsResource, { stopWaitMs: 50 });
    b.start();
    const t0 = Date.now();
    await b.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a handler added after sync receives the cached objects', async () => {
    const client = new FakeApiClient();
    await client.create(podsResource, 'default', pod('a', 'n1'));
    const { inf } = start(client);
    await inf.waitForSync();
    const seen: string[] = [];
    inf.addEventHandler({ add: (p, initial) => seen.push(`${p.metadata.name}:${initial}`) });
    expect(seen).toEqual(['a:true']);
  });

  it('SharedInformerFactory shares one informer per resource', async () => {
    const client = new FakeApiClient();
    const f = new SharedInformerFactory(client, { backoffInitialMs: 1 });
    const a = f.forResource(podsResource);
    expect(f.forResource(podsResource)).toBe(a);
    expect(f.forResource(nodesResource)).not.toBe(a);
    f.start();
    stops.push(() => f.shutdown());
    await f.waitForCacheSync();
    expect(a.hasSynced()).toBe(true);
  });
});
