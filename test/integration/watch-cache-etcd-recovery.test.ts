// The watch cache over a real etcd that goes away for longer than the store's watch retries
// (`watchRetryMs`): the store watch ends with Unavailable, restart attempts fail while etcd is
// down, and once etcd is back the cache restarts its watch, tells its change listeners (the
// RBAC cache) again, and serves watches with the events written after the outage.
// Skipped, with a message naming the Debian package, where the `etcd` binary is missing.

import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { collectJsonLines } from '../../src/api/testing/index.js';
import { newKindRegistry } from '../../src/api/kinds.js';
import { WatchCache, type WatchRequest } from '../../src/apiserver/watch-cache.js';
import { EtcdStore, StorageError } from '../../src/storage/index.js';
import { createLogger } from '../../src/util/logger.js';
import { Cleanup } from '../helpers/cleanup.js';
import { etcdAvailable, startEtcd } from '../helpers/etcd.js';
import { waitFor } from '../helpers/wait.js';

const cm = newKindRegistry().byResource('', 'v1', 'configmaps')!;
const cmValue = (name: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: {} });

/** Opens a watch on `port` and collects its events; `ended` resolves when the server ends it. */
function openWatch(port: number): Promise<{ res: IncomingMessage; events: { type: string; object: { metadata: { name: string } } }[]; ended: Promise<void> }> {
  return new Promise((ok, fail) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      const events: { type: string; object: { metadata: { name: string } } }[] = [];
      const ended = new Promise<void>((done) => res.on('end', done));
      collectJsonLines(res, events);
      ok({ res, events, ended });
    }).on('error', fail);
  });
}

/** Creates `key`, retrying while the etcd client reconnects (its circuit breaker may hold). */
async function createWhenReachable(store: EtcdStore, key: string, value: string): Promise<number> {
  return waitFor(
    async () => {
      try {
        return await store.create(key, value);
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Unavailable') return undefined;
        throw err;
      }
    },
    { timeoutMs: 30_000, intervalMs: 100, message: `create ${key} after the restart` },
  );
}

describe.skipIf(!etcdAvailable())('watch cache over etcd (real etcd)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('comes back after etcd was down longer than the store watch retries', async () => {
    const etcd = await startEtcd();
    cleanup.defer(() => etcd.stop(), 'etcd');
    const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: `/t-${randomBytes(6).toString('hex')}`, requestTimeoutMs: 2000, watchRetryMs: 300 });
    cleanup.defer(() => store.close(), 'store');
    const logLines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => logLines.push(l) });
    const cache = new WatchCache({ store, logger, restartDelayMs: 50, maxRestartDelayMs: 500 });
    await cache.start();
    cleanup.defer(() => cache.stop(), 'watch cache');
    const changes: string[] = [];
    cache.onChange((r) => changes.push(r));

    let nextRv = '';
    const server: Server = createServer((_req, res) => {
      const req: WatchRequest = { kind: cm, namespace: 'ns', filter: undefined, resourceVersion: nextRv, sendInitialEvents: false, allowBookmarks: false, timeoutSeconds: 0 };
      void cache.serve(req, res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    cleanup.defer(async () => {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }, 'http server');
    const port = (server.address() as { port: number }).port;

    nextRv = String(await store.currentRevision());
    const before = await openWatch(port);
    await waitFor(() => cache.watcherCount === 1, { message: 'the watcher' });
    const ra = await store.create('/registry/core/configmaps/ns/a', cmValue('a'));
    await waitFor(() => before.events.length === 1, { message: 'the event before the outage' });

    await etcd.restart({
      whileDown: async () => {
        // The store watch gives up (Unavailable), the open watch is closed, listeners hear '*'.
        await before.ended;
        await waitFor(() => changes.includes('*'), { message: "the change listeners' '*'" });
        expect(logLines.some((l) => l.includes('store watch ended: Unavailable'))).toBe(true);
        // The cache keeps trying while etcd is down.
        await waitFor(() => logLines.filter((l) => /restart of the store watch failed|store watch ended/.test(l)).length >= 3, {
          timeoutMs: 30_000,
          message: 'further restart attempts while etcd is down',
        });
      },
    });

    changes.length = 0;
    const rb = await createWhenReachable(store, '/registry/core/configmaps/ns/b', cmValue('b'));
    await waitFor(() => cache.rev >= rb, { timeoutMs: 30_000, message: 'the cache to see the write after the outage' });
    expect(changes).toContain('core/configmaps');

    // A client re-watching from its last revision gets what happened since, then live events.
    nextRv = String(ra);
    const after = await openWatch(port);
    await waitFor(() => after.events.length === 1, { message: 'the event written after the outage' });
    await store.create('/registry/core/configmaps/ns/c', cmValue('c'));
    await waitFor(() => after.events.length === 2, { message: 'a live event' });
    expect(after.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'ADDED c']);
  });
});
