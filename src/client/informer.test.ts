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
