// WatchCache against a real MemoryStore and a real HTTP server: replay from the store's
// history when the ring no longer holds a revision, periodic bookmarks, slow-client closing,
// restarts of a failed store watch (with backoff on timers), clients gone before set-up.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, get, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { newKindRegistry } from '../api/kinds.js';
import { collectJsonLines } from '../api/testing/index.js';
import { MemoryStore, StorageError, type ListOptions, type Store, type Watcher, type WatchHandlers } from '../storage/index.js';
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

/**
 * A MemoryStore whose faults a test switches on: the cache's own watch (on the registry root)
 * can be ended with an error (`failLive`, as EtcdWatch ends after `watchRetryMs`) or fail as
 * soon as it starts (`watchFault`), and compactedRevision can reject or wait (`compactedFault`,
 * `compactedGate`). Everything else is the MemoryStore's.
 */
class FaultyStore implements Store {
  readonly inner = new MemoryStore();
  /** Root watches started, and when (Date.now()). */
  readonly rootWatchStarts: number[] = [];
  compactedCalls = 0;
  /** Asked per root watch: an error makes it fail right after it started. */
  watchFault: () => StorageError | undefined = () => undefined;
  /** Asked per compactedRevision call: an error makes it reject. */
  compactedFault: () => StorageError | undefined = () => undefined;
  /** When set, compactedRevision waits for it. */
  compactedGate: Promise<void> | undefined;
  private live: { handlers: WatchHandlers; inner: Watcher } | undefined;

  create(key: string, value: string): Promise<number> {
    return this.inner.create(key, value);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  list(prefix: string, opts?: ListOptions) {
    return this.inner.list(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }
  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    return this.inner.update(key, value, expectedModRevision);
  }
  delete(key: string, expectedModRevision?: number) {
    return this.inner.delete(key, expectedModRevision);
  }
  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compact(revision: number): Promise<number> {
    return this.inner.compact(revision);
  }
  async compactedRevision(): Promise<number> {
    this.compactedCalls++;
    if (this.compactedGate) await this.compactedGate;
    const err = this.compactedFault();
    if (err) throw err;
    return this.inner.compactedRevision();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    if (prefix !== '/registry/') return this.inner.watch(prefix, fromRevision, handlers);
    this.rootWatchStarts.push(Date.now());
    const err = this.watchFault();
    let stopped = false;
    if (err) {
      queueMicrotask(() => {
        if (!stopped) handlers.onError(err);
      });
      return { stop: () => void (stopped = true) };
    }
    const entry = { handlers, inner: this.inner.watch(prefix, fromRevision, handlers) };
    this.live = entry;
    return {
      stop: () => {
        stopped = true;
        entry.inner.stop();
        if (this.live === entry) this.live = undefined;
      },
    };
  }

  /** True while a root watch runs (started without a fault and not ended). */
  get running(): boolean {
    return this.live !== undefined;
  }

  /** Ends the running root watch with `err` (no more events from it). */
  failLive(err: StorageError): void {
    const l = this.live;
    if (!l) throw new Error('no root watch is running');
    this.live = undefined;
    l.inner.stop();
    l.handlers.onError(err);
  }
}

interface SetupOptions {
  capacity?: number;
  bookmarkIntervalMs?: number;
  maxBufferedBytes?: number;
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** Default: a MemoryStore. */
  store?: Store;
  /** Awaited by the HTTP handler before it calls serve() (like authentication). */
  beforeServe?: () => Promise<void>;
}

async function setup(opts: SetupOptions) {
  const { store: given, beforeServe, ...cacheOpts } = opts;
  const store = given ?? new MemoryStore();
  const cache = new WatchCache({ store, logger: silentLogger, ...cacheOpts });
  await cache.start();
  let nextReq: Partial<WatchRequest> = {};
  /** Per request, in arrival order: the response and the promise of its serve() call. */
  const served: { res: ServerResponse; done: Promise<void> }[] = [];
  const server: Server = createServer((_req, res) => {
    const req: WatchRequest = { kind: cm, namespace: 'ns', filter: undefined, resourceVersion: undefined, sendInitialEvents: undefined, allowBookmarks: false, timeoutSeconds: 0, ...nextReq };
    const done = (async () => {
      await beforeServe?.();
      await cache.serve(req, res);
    })();
    served.push({ res, done });
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
        if (read) collectJsonLines(res, events);
        else res.pause();
        ok({ res, events });
      });
    });
  /** Sends a watch request and resolves once the server has it; the caller ends it. */
  const pending = async (req: Partial<WatchRequest>) => {
    nextReq = req;
    const before = served.length;
    const creq = request({ host: '127.0.0.1', port, path: '/' });
    creq.on('error', () => undefined);
    creq.end();
    await until(() => served.length > before, 'the server to receive the request');
    return { creq, server: served[before]! };
  };
  return { store, cache, watch, pending };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WatchCache', () => {
  it('a watch-list from a revision the store has not reached waits for it, then ends with Too large resource version', async () => {
    const { store, cache, watch } = await setup({});
    const rev = await store.create('/registry/core/configmaps/ns/w0', cmValue('w0', { v: '0' }));
    await until(() => cache.rev === rev, 'cache to catch up');
    // Reached while waiting: the initial state and the bookmark at (at least) that revision.
    const waiting = watch({ resourceVersion: String(rev + 1), sendInitialEvents: true, allowBookmarks: true });
    await new Promise((r) => setTimeout(r, 100));
    await store.create('/registry/core/configmaps/ns/w1', cmValue('w1', { v: '1' }));
    const { events } = await waiting;
    await until(() => events.some((e) => e.type === 'BOOKMARK'), 'the initial-events-end bookmark');
    expect(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name).sort()).toEqual(['w0', 'w1']);
    expect(Number(events.find((e) => e.type === 'BOOKMARK').object.metadata.resourceVersion)).toBeGreaterThanOrEqual(rev + 1);
    // Never reached: one ERROR event after ~3 s, as upstream's cacher.
    const started = Date.now();
    const { res, events: failed } = await watch({ resourceVersion: String(rev + 1000), sendInitialEvents: true, allowBookmarks: true });
    await new Promise((ok) => res.on('end', ok));
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 504, reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge' }] } } });
    expect(failed[0].object.message).toBe(`Timeout: Too large resource version: ${rev + 1000}, current: ${rev + 1}`);
  }, 15_000);

  it('a watcher reading store history moves to the cache once the ring holds what follows: no event lost or repeated, bookmarks carry the cache revision', async () => {
    const { store, cache, watch } = await setup({ capacity: 16, bookmarkIntervalMs: 100 });
    const first = await store.create('/registry/core/configmaps/ns/m0', cmValue('m0', { v: '0' }));
    for (let i = 1; i <= 40; i++) await store.update('/registry/core/configmaps/ns/m0', cmValue('m0', { v: String(i) }), first + i - 1);
    await until(() => cache.rev === first + 40, 'cache to catch up');
    const { events } = await watch({ resourceVersion: String(first), allowBookmarks: true });
    await until(() => events.filter((e) => e.type === 'MODIFIED').length === 40, '40 replayed events from the store');
    // More changes of the kind (the watcher passes the ring's start), then only other kinds.
    let cmRev = first + 40;
    for (let i = 41; i <= 60; i++) cmRev = await store.update('/registry/core/configmaps/ns/m0', cmValue('m0', { v: String(i) }), cmRev);
    let rev = cmRev;
    for (let i = 0; i < 5; i++) rev = await store.create(`/registry/core/pods/ns/p${i}`, podValue(`p${i}`));
    await until(() => events.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= rev), 'a bookmark at the cache revision');
    for (let i = 61; i <= 63; i++) cmRev = await store.update('/registry/core/configmaps/ns/m0', cmValue('m0', { v: String(i) }), cmRev);
    await until(() => events.filter((e) => e.type === 'MODIFIED').length === 63, 'live events after the move');
    expect(events.filter((e) => e.type === 'MODIFIED').map((e) => Number(e.object.data.v))).toEqual(Array.from({ length: 63 }, (_, i) => i + 1));
  });

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

  it('currentKv: the store\'s current state of a key while the cache has seen exactly the store\'s published revision; otherwise undefined', async () => {
    const { store, cache } = await setup({ capacity: 16 });
    const key = '/registry/core/configmaps/ns/c0';
    const r1 = await store.create(key, cmValue('c0', { v: '1' }));
    await until(() => cache.rev === r1, 'the cache to see the create');
    expect(cache.currentKv(key)).toEqual(await store.get(key));
    const r2 = await store.update(key, cmValue('c0', { v: '2' }), r1);
    await until(() => cache.rev === r2, 'the cache to see the update');
    expect(cache.currentKv(key)).toEqual(await store.get(key));
    expect(cache.currentKv(key)?.modRevision).toBe(r2);
    // Never seen, and deleted: the store decides.
    expect(cache.currentKv('/registry/core/configmaps/ns/other')).toBeUndefined();
    const r3 = await store.create('/registry/core/configmaps/ns/gone', cmValue('gone'));
    await store.delete('/registry/core/configmaps/ns/gone', r3);
    await until(() => cache.rev === r3 + 1, 'the cache to see the delete');
    expect(cache.currentKv('/registry/core/configmaps/ns/gone')).toBeUndefined();
    // A write outside the cache's watch moves the store's published revision past the cache's:
    // nothing is answered from the cache until it has seen the store's newest revision again.
    const outside = await store.create('/elsewhere/x', 'x');
    await until(() => store.publishedRevision?.() === outside, 'the store to publish it');
    expect(cache.currentKv(key)).toBeUndefined();
    const r4 = await store.update(key, cmValue('c0', { v: '4' }), r2);
    await until(() => cache.rev === r4, 'the cache to see the next update');
    expect(cache.currentKv(key)?.value).toBe(cmValue('c0', { v: '4' }));
    // The key's event left the ring: unknown.
    for (let i = 0; i < 16; i++) await store.create(`/registry/core/configmaps/ns/f${i}`, cmValue(`f${i}`));
    const last = await store.currentRevision();
    await until(() => cache.rev === last, 'the cache to catch up');
    expect(cache.currentKv(key)).toBeUndefined();
    expect(cache.currentKv('/registry/core/configmaps/ns/f15')).toEqual(await store.get('/registry/core/configmaps/ns/f15'));
  });

  it('currentKv answers nothing for a store that cannot tell its published revision', async () => {
    const store = new FaultyStore();
    const { cache } = await setup({ store });
    const r = await store.create('/registry/core/configmaps/ns/a', cmValue('a'));
    await until(() => cache.rev === r, 'the cache to see the create');
    expect(cache.currentKv('/registry/core/configmaps/ns/a')).toBeUndefined();
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

  it('restarts the store watch after Unavailable and after failed restarts, and delivers again', async () => {
    const store = new FaultyStore();
    const { cache, watch } = await setup({ store, restartDelayMs: 10, maxRestartDelayMs: 40 });
    const changes: string[] = [];
    cache.onChange((r) => changes.push(r));
    const base = await store.currentRevision();
    const before = await watch({ resourceVersion: String(base) });
    await until(() => cache.watcherCount === 1, 'the watcher');
    const ra = await store.create('/registry/core/configmaps/ns/a', cmValue('a'));
    await until(() => before.events.length === 1, 'the ADDED event');
    const ended = new Promise<void>((ok) => before.res.on('end', ok));

    // The store gives up on its watch (EtcdWatch after watchRetryMs) and stays unreachable for
    // three restart attempts.
    let unreachable = 3;
    store.compactedFault = () => (unreachable-- > 0 ? new StorageError('Unavailable', 'connection refused') : undefined);
    store.failLive(new StorageError('Unavailable', 'etcd watch lost its connection and could not resume'));
    await ended; // open watchers are closed, so clients re-watch
    expect(cache.watcherCount).toBe(0);
    expect(changes).toContain('*');
    // Written while the cache's watch is down: delivered after the restart, from history.
    const rb = await store.create('/registry/core/configmaps/ns/b', cmValue('b'));
    await until(() => cache.rev === rb, 'the cache to catch up after the restart');
    expect(store.compactedCalls).toBeGreaterThanOrEqual(4);
    expect(changes.at(-1)).toBe('core/configmaps');
    const after = await watch({ resourceVersion: String(ra) });
    await until(() => after.events.length === 1, 'the event missed while down');
    expect(after.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'b', resourceVersion: String(rb) } } });

    // Any other error: the same, and a restart that fails is tried again.
    unreachable = 2;
    changes.length = 0;
    store.failLive(new StorageError('Internal', 'watch handler failed'));
    await until(() => cache.watcherCount === 0, 'the watcher to be closed');
    const rc = await store.create('/registry/core/configmaps/ns/c', cmValue('c'));
    await until(() => cache.rev === rc, 'the cache to catch up after the second restart');
    expect(changes).toEqual(['*', 'core/configmaps']);
    const live = await watch({ resourceVersion: String(rc) });
    await until(() => cache.watcherCount === 1, 'the new watcher');
    await store.create('/registry/core/configmaps/ns/d', cmValue('d'));
    await until(() => live.events.length === 1, 'a live event');
    expect(live.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'd' } } });
  });

  it('backs off on timers when the store watch fails at once, again and again', async () => {
    const store = new FaultyStore();
    const { cache } = await setup({ store, restartDelayMs: 20, maxRestartDelayMs: 80 });
    // A persistent per-event error (say, a value the encrypting store cannot decrypt) fails
    // every restarted watch at once, in a microtask. The fault stops once the timer below has
    // fired; without timers between restarts it would only fire after the 1000th attempt.
    let fired = false;
    let startsWhenFired = 0;
    store.watchFault = () => (!fired && store.rootWatchStarts.length < 1000 ? new StorageError('Internal', 'cannot decrypt /registry/core/secrets/ns/s') : undefined);
    const t0 = Date.now();
    const timer = new Promise<void>((ok) =>
      setTimeout(() => {
        fired = true;
        startsWhenFired = store.rootWatchStarts.length;
        ok();
      }, 50),
    );
    store.failLive(new StorageError('Internal', 'cannot decrypt /registry/core/secrets/ns/s'));
    await timer;
    expect(Date.now() - t0).toBeLessThan(1000);
    // The first start (setup) and the restarts after 20 ms and 20 + 40 ms, give or take.
    expect(startsWhenFired).toBeLessThan(6);

    // It recovers; an event delivered is progress, so the next failure starts the backoff over.
    await until(() => store.running, 'the restarted watch');
    const r1 = await store.create('/registry/core/configmaps/ns/x', cmValue('x'));
    await until(() => cache.rev === r1, 'the cache to deliver again');

    // Fails five more times, then works: the delays double up to the cap.
    const from = store.rootWatchStarts.length;
    store.watchFault = () => (store.rootWatchStarts.length <= from + 5 ? new StorageError('Internal', 'cannot decrypt') : undefined);
    const failedAt = Date.now();
    store.failLive(new StorageError('Internal', 'cannot decrypt'));
    await until(() => store.running, 'the sixth attempt to work');
    const starts = [failedAt, ...store.rootWatchStarts.slice(from)];
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps.length).toBe(6);
    // Timers may fire a millisecond early.
    [20, 40, 80, 80, 80, 80].forEach((want, i) => expect(gaps[i], `gap ${i} of ${gaps.join(', ')}`).toBeGreaterThanOrEqual(want - 2));
    const r2 = await store.create('/registry/core/configmaps/ns/y', cmValue('y'));
    await until(() => cache.rev === r2, 'the cache to deliver again');
  });

  it('registers no watcher for a client that left before the stream was set up', async () => {
    const store = new FaultyStore();
    let releaseAuth = (): void => undefined;
    let authGate: Promise<void> | undefined;
    const { cache, pending } = await setup({ store, beforeServe: () => authGate ?? Promise.resolve() });
    const rv = String(await store.create('/registry/core/configmaps/ns/a', cmValue('a')));

    // Gone while serve() awaits the store's revisions.
    let releaseStore = (): void => undefined;
    store.compactedGate = new Promise<void>((ok) => (releaseStore = ok));
    const callsBefore = store.compactedCalls;
    const a = await pending({ resourceVersion: rv });
    await until(() => store.compactedCalls > callsBefore, 'serve() to ask the store');
    a.creq.destroy();
    await until(() => a.server.res.destroyed, 'the server to see the disconnect');
    releaseStore();
    store.compactedGate = undefined;
    await a.server.done;
    expect(cache.watcherCount).toBe(0);

    // Gone before serve() is called (the handler awaited authentication).
    authGate = new Promise<void>((ok) => (releaseAuth = ok));
    const b = await pending({ resourceVersion: rv });
    b.creq.destroy();
    await until(() => b.server.res.destroyed, 'the server to see the disconnect');
    releaseAuth();
    await b.server.done;
    expect(cache.watcherCount).toBe(0);

    // Events that follow find no watcher either.
    const r = await store.create('/registry/core/configmaps/ns/b', cmValue('b'));
    await until(() => cache.rev === r, 'the cache to see the event');
    expect(cache.watcherCount).toBe(0);
  });
});

describe('WatchCache.waitUntilFresh (a GET at a resourceVersion)', () => {
  it('resolves at once for a revision reached, waits for one about to be, and answers 504 for one never reached', async () => {
    const { store, cache } = await setup({});
    const rev = await store.create('/registry/core/configmaps/ns/w', cmValue('w'));
    await expect(cache.waitUntilFresh(0)).resolves.toBeUndefined();
    await expect(cache.waitUntilFresh(rev)).resolves.toBeUndefined();

    // A revision written while the read waits.
    const waiting = cache.waitUntilFresh(rev + 1, 5_000);
    await store.create('/registry/core/configmaps/ns/w2', cmValue('w2'));
    await expect(waiting).resolves.toBeUndefined();

    const started = Date.now();
    const err = await cache.waitUntilFresh(rev + 100, 200).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(err).toMatchObject({
      code: 504,
      reason: 'Timeout',
      message: `Timeout: Too large resource version: ${rev + 100}, current: ${rev + 1}`,
      details: { retryAfterSeconds: 1, causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
    });
  });
});

describe('WatchCache.offer (a writer hands over the decoded form of what it writes)', () => {
  it('the put of exactly the offered text takes the offered object, with its resourceVersion; other text is not taken', async () => {
    const { cache, store } = await setup({});
    const key = '/registry/core/configmaps/ns/a';
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' }, data: { k: 'v' } };
    const value = JSON.stringify(obj);
    cache.offer(key, value, obj as never);
    const rev = await store.create(key, value);
    await until(() => cache.rev >= rev, 'the cache to see the create');
    expect(cache.latestObject(key, rev)).toBe(obj);
    expect(obj.metadata).toMatchObject({ resourceVersion: String(rev) });
    // An offer whose write went out with other text (or was withdrawn) is not taken.
    const other = { ...obj, metadata: { name: 'a', namespace: 'ns' }, data: { k: 'w' } };
    cache.offer(key, JSON.stringify(other), other as never);
    const rev2 = await store.update(key, JSON.stringify({ ...other, data: { k: 'x' } }), rev);
    await until(() => cache.rev >= rev2, 'the cache to see the update');
    expect(cache.latestObject(key, rev2)).toBeUndefined();
    const withdrawn = { ...obj, metadata: { name: 'a', namespace: 'ns' }, data: { k: 'y' } };
    cache.offer(key, JSON.stringify(withdrawn), withdrawn as never)();
    const rev3 = await store.update(key, JSON.stringify(withdrawn), rev2);
    await until(() => cache.rev >= rev3, 'the cache to see the last update');
    expect(cache.latestObject(key, rev3)).toBeUndefined();
  });

  it('in the test suites, refuses an object that is not the parse of its text (a value JSON drops)', async () => {
    const { cache } = await setup({});
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { k: 'v', gone: undefined } };
    expect(() => cache.offer('/registry/core/configmaps/ns/b', JSON.stringify(obj), obj as never)).toThrow('is not the parse of its value');
  });
});
