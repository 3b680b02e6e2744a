import { describe, expect, it } from 'vitest';
import { newKindRegistry } from '../api/kinds.js';
import { MemoryStore } from '../storage/index.js';
import type { KeyValue, ListOptions, ListResult, Store } from '../storage/interface.js';
import { buildFilter } from './filter.js';
import { keyPrefix, objectKey } from './registry.js';
import { SelectionCache } from './selection-cache.js';

const kinds = newKindRegistry();
const cms = kinds.byResource('', 'v1', 'configmaps')!;
const pods = kinds.byResource('', 'v1', 'pods')!;
const cm = (name: string, labels: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels }, data: { blob: 'x'.repeat(100) } });

/** A store that counts the values it hands out. */
function counting(inner: Store): Store & { values: number } {
  const s = Object.create(inner) as Store & { values: number };
  s.values = 0;
  s.list = async (prefix: string, opts?: ListOptions): Promise<ListResult> => {
    const r = await inner.list(prefix, opts);
    if (!opts?.keysOnly) s.values += r.items.length;
    return r;
  };
  s.get = async (key: string): Promise<KeyValue | undefined> => {
    s.values++;
    return inner.get(key);
  };
  return s;
}

/** The names a filtered list gives, as the registry reads it: knownPage, else the whole page through accepts. */
async function names(cache: SelectionCache, store: Store, selector: string, field = ''): Promise<string[]> {
  const filter = buildFilter(cms, selector, field)!;
  const prefix = keyPrefix(cms, 'ns');
  const page = (await cache.knownPage(store, cms, prefix, {}, filter)) ?? (await store.list(prefix));
  return page.items.filter((kv) => cache.accepts(cms, kv, filter)).map((kv) => kv.key.slice(prefix.length));
}

describe('SelectionCache', () => {
  it('answers a repeated selector by keys, reading only the matching values, and sees every change', async () => {
    const mem = new MemoryStore();
    const store = counting(mem);
    for (let i = 0; i < 50; i++) await mem.create(objectKey(cms, 'ns', `c${i}`), cm(`c${i}`, { idx: String(i % 5) }));
    const cache = new SelectionCache();
    expect(await names(cache, store, 'idx=3')).toHaveLength(10);
    expect(store.values).toBe(50); // cold: every value read once
    store.values = 0;
    expect(await names(cache, store, 'idx=3')).toEqual(['c13', 'c18', 'c23', 'c28', 'c3', 'c33', 'c38', 'c43', 'c48', 'c8']);
    expect(store.values).toBe(10); // warm: the matches only
    // A label changed, an object deleted, a new one: each seen (the changed and new ones parsed again).
    const c3 = (await mem.get(objectKey(cms, 'ns', 'c3')))!;
    await mem.update(c3.key, cm('c3', { idx: '4' }), c3.modRevision);
    await mem.delete(objectKey(cms, 'ns', 'c8'));
    await mem.create(objectKey(cms, 'ns', 'new'), cm('new', { idx: '3' }));
    expect(await names(cache, store, 'idx=3')).toEqual(['c13', 'c18', 'c23', 'c28', 'c33', 'c38', 'c43', 'c48', 'new']);
    expect(await names(cache, store, 'idx=3')).toEqual(['c13', 'c18', 'c23', 'c28', 'c33', 'c38', 'c43', 'c48', 'new']);
    // Set-based and negated selectors, and a field term with it.
    expect(await names(cache, store, 'idx notin (0,1,2,3)')).toHaveLength(11);
    expect(await names(cache, store, 'idx=4', 'metadata.name!=c4')).toHaveLength(10);
  });

  it('reads a page whole when too many match, and a value that changed between keys and get', async () => {
    const mem = new MemoryStore();
    for (let i = 0; i < 100; i++) await mem.create(objectKey(cms, 'ns', `c${i}`), cm(`c${i}`, { all: 'yes' }));
    const cache = new SelectionCache();
    const filter = buildFilter(cms, 'all=yes', '')!;
    const prefix = keyPrefix(cms, 'ns');
    for (const kv of (await mem.list(prefix)).items) cache.accepts(cms, kv, filter);
    expect(await cache.knownPage(mem, cms, prefix, {}, filter)).toBeUndefined(); // 100 > 64 matches
    const few = buildFilter(cms, 'all=yes', 'metadata.name=c7')!;
    for (const kv of (await mem.list(prefix)).items) cache.accepts(cms, kv, few);
    const racing = Object.create(mem) as Store;
    racing.get = async (key) => {
      const cur = (await mem.get(key))!;
      await mem.update(key, cm('c7', { all: 'yes', touched: 'y' }), cur.modRevision);
      return mem.get(key);
    };
    expect(await cache.knownPage(racing, cms, prefix, {}, few)).toBeUndefined();
  });

  it("keeps a kind's selectable fields with the entry: a pod's spec.nodeName", async () => {
    const mem = new MemoryStore();
    const pod = (name: string, node: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { nodeName: node, containers: [] } });
    await mem.create(objectKey(pods, 'ns', 'a'), pod('a', 'n1'));
    await mem.create(objectKey(pods, 'ns', 'b'), pod('b', 'n2'));
    const cache = new SelectionCache();
    const byLabel = buildFilter(pods, 'x!=y', '')!;
    const byNode = buildFilter(pods, '', 'spec.nodeName=n2')!;
    const prefix = keyPrefix(pods, 'ns');
    for (const kv of (await mem.list(prefix)).items) cache.accepts(pods, kv, byLabel); // entries without fields
    expect((await mem.list(prefix)).items.filter((kv) => cache.accepts(pods, kv, byNode)).map((kv) => kv.key)).toEqual([objectKey(pods, 'ns', 'b')]);
    const warm = (await cache.knownPage(mem, pods, prefix, {}, byNode))!;
    expect(warm.items.filter((kv) => cache.accepts(pods, kv, byNode)).map((kv) => [kv.key, kv.value !== ''])).toEqual([[objectKey(pods, 'ns', 'b'), true]]);
  });

  it('keeps the kind that saw an entry: an Event is involvedObject.name to v1 and regarding.name to events.k8s.io, over one key', async () => {
    const coreEvents = kinds.byResource('', 'v1', 'events')!;
    const newEvents = kinds.byResource('events.k8s.io', 'v1', 'events')!;
    const mem = new MemoryStore();
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p1', namespace: 'ns' }, reason: 'R', reportingComponent: 'c' };
    await mem.create(objectKey(coreEvents, 'ns', 'e1'), JSON.stringify(event));
    const kv = (await mem.get(objectKey(coreEvents, 'ns', 'e1')))!;
    const cache = new SelectionCache();
    for (let round = 0; round < 2; round++) {
      // Each reading in turn, each twice: the entry of the other kind is never taken for its own.
      for (const [k, field] of [
        [newEvents, 'regarding.name=p1'],
        [coreEvents, 'involvedObject.name=p1'],
        [newEvents, 'reportingController=c'],
        [coreEvents, 'reportingComponent=c'],
      ] as const) {
        expect(cache.accepts(k, kv, buildFilter(k, '', field)!), `${k.group || 'core'} ${field}`).toBe(true);
        expect(cache.accepts(k, kv, buildFilter(k, '', field)!), `${k.group || 'core'} ${field} again`).toBe(true);
      }
    }
  });
});
