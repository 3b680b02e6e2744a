// WatchCache against a real MemoryStore and a real HTTP server: replay from the store's
// history when the ring no longer holds a revision, periodic bookmarks, slow-client closing.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { newKindRegistry } from '../api/kinds.js';
import { MemoryStore } from '../storage/index.js';
import { silentLogger } from '../util/logger.js';
import { buildFilter } from './filter.js';
import { WatchCache, type WatchRequest } from './watch-cache.js';

const kinds = newKindRegistry();
const cm = kinds.byResource('', 'v1', 'configmaps')!;
const pods = kinds.byResource('', 'v1', 'pods')!;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

function cmValue(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels }, data });
}

function podValue(name: string, nodeName?: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: [] } });
}

async function setup(opts: { capacity?: number; bookmarkIntervalMs?: number; maxBufferedBytes?: number }) {
  const store = new MemoryStore();
  const cache = new WatchCache({ store, logger: silentLogger, ...opts });
  await cache.start();
  let nextReq: Partial<WatchRequest> = {};
  const server: Server = createServer((_req, res) => {
    void cache.serve({ kind: cm, namespace: 'ns', filter: undefined, resourceVersion: undefined, sendInitialEvents: undefined, allowBookmarks: false, timeoutSeconds: 0, ...nextReq }, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  stops.push(async () => {
    cache.stop();
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await store.close();
  });
  const port = (server.address() as { port: number }).port;
  const watch = (req: Partial<WatchRequest>, read = true) =>
    new Promise<{ res: IncomingMessage; events: any[] }>((ok) => {
      nextReq = req;
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const events: any[] = [];
        let buf = '';
        if (read) {
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              events.push(JSON.parse(buf.slice(0, i)));
              buf = buf.slice(i + 1);
            }
          });
        } else {
          res.pause();
        }
        ok({ res, events });
      });
    });
  return { store, cache, watch };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WatchCache', () => {
  it('replays from the store history when the ring has evicted the revision', async () => {
    const { store, cache, watch } = await setup({ capacity: 16 });
    const first = await store.create('/registry/core/configmaps/ns/c0', cmValue('c0', { v: '0' }));
    for (let i = 1; i <= 40; i++) await store.update('/registry/core/configmaps/ns/c0', cmValue('c0', { v: String(i) }), first + i - 1);
    await until(() => cache.rev === first + 40, 'cache to catch up');
    const { events } = await watch({ resourceVersion: String(first) });
    await until(() => events.length === 40, '40 replayed events');
    expect(events.map((e) => e.object.data.v)).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(events.every((e) => e.type === 'MODIFIED')).toBe(true);
    // Live events keep flowing to the store-backed watcher.
    await store.delete('/registry/core/configmaps/ns/c0');
    await until(() => events.length === 41, 'the DELETED event');
    expect(events[40]).toMatchObject({ type: 'DELETED', object: { data: { v: '40' }, metadata: { resourceVersion: String(first + 41) } } });
  });

  it('sends periodic bookmarks only to watchers that allow them', async () => {
    const { store, watch } = await setup({ bookmarkIntervalMs: 30 });
    const rev = await store.create('/registry/core/configmaps/ns/b', cmValue('b'));
    const withBm = await watch({ resourceVersion: String(rev), allowBookmarks: true });
    const without = await watch({ resourceVersion: String(rev) });
    await until(() => withBm.events.some((e) => e.type === 'BOOKMARK'), 'a bookmark');
    const bm = withBm.events.find((e) => e.type === 'BOOKMARK');
    expect(bm.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(rev);
    await store.create('/registry/core/configmaps/ns/b2', cmValue('b2'));
    await until(() => without.events.length === 1, 'the ADDED event');
    expect(without.events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('filters with selectors and closes a watcher that does not read', async () => {
    const { store, cache, watch } = await setup({ maxBufferedBytes: 64 * 1024 });
    const base = await store.currentRevision();
    const sel = await watch({ resourceVersion: String(base), filter: buildFilter(cm, 'keep=yes', '') });
    const slow = await watch({ resourceVersion: String(base) }, false);
    await until(() => cache.watcherCount === 2, 'two watchers');
    const big = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 200 && cache.watcherCount === 2; i++) {
      await store.create(`/registry/core/configmaps/ns/s${i}`, cmValue(`s${i}`, { big }, { keep: i === 0 ? 'yes' : 'no' }));
    }
    await until(() => cache.watcherCount === 1, 'the slow watcher to be closed');
    await until(() => sel.events.length === 1, 'the selected object');
    expect(sel.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 's0' } } });
    slow.res.destroy();
  });

  it('routes spec.nodeName-pinned watchers through the node index, with filter transitions', async () => {
    const { store, cache, watch } = await setup({});
    const base = await store.currentRevision();
    const onN1 = await watch({ kind: pods, resourceVersion: String(base), filter: buildFilter(pods, '', 'spec.nodeName=n1') });
    const onN2 = await watch({ kind: pods, resourceVersion: String(base), filter: buildFilter(pods, '', 'spec.nodeName=n2') });
    const unbound = await watch({ kind: pods, resourceVersion: String(base), filter: buildFilter(pods, '', 'spec.nodeName=') });
    await until(() => cache.watcherCount === 3, 'three watchers');
    const r1 = await store.create('/registry/core/pods/ns/p', podValue('p'));
    await store.update('/registry/core/pods/ns/p', podValue('p', 'n1'), r1);
    await store.delete('/registry/core/pods/ns/p');
    await store.create('/registry/core/pods/ns/q', podValue('q', 'n2'));
    await until(() => onN1.events.length === 2 && onN2.events.length === 1 && unbound.events.length === 2, 'indexed events');
    expect(onN1.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED p', 'DELETED p']);
    expect(onN2.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED q']);
    expect(unbound.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED p', 'DELETED p']);

    // A node agent re-watching from revision base+1 (not "0", which means the current state)
    // replays the later events from the ring: other nodes' events are skipped by the node
    // names recorded at dispatch, its own are decoded and filtered as live ones were.
    const from = String(base + 1);
    const again = await watch({ kind: pods, resourceVersion: from, filter: buildFilter(pods, '', 'spec.nodeName=n1') });
    const againN2 = await watch({ kind: pods, resourceVersion: from, filter: buildFilter(pods, '', 'spec.nodeName=n2') });
    await until(() => again.events.length === 2 && againN2.events.length === 1, 'replayed indexed events');
    const show = (e: { type: string; object: { metadata: { name: string; resourceVersion: string } } }) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`;
    expect(again.events.map(show)).toEqual(onN1.events.map(show));
    expect(againN2.events.map(show)).toEqual(onN2.events.map(show));
  });
});
