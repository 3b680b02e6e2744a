// Events expire an hour (here: a TTL of 1.5 s) after their last write, as upstream's
// --event-ttl: the sweep deletes events not written for a TTL and keeps those written since,
// whatever times their bodies name; a restart does not give old events a fresh TTL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { eventsResource, HttpTransport, isNotFound, loadKubeconfig, RestClient } from '../../src/client/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { Cleanup, makeTempDir } from '../helpers/index.js';

const cleanup = new Cleanup();
let server: RunningServer;
let client: RestClient;

beforeAll(async () => {
  server = await startServer({ dataDir: makeTempDir(cleanup, 'event-ttl'), listen: '127.0.0.1:0', compaction: false, logger: silentLogger, controllers: false, eventTtl: { ttlMs: 1_500, intervalMs: 3_600_000 } });
  cleanup.defer(() => server.close());
  const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath) });
  cleanup.defer(() => transport.destroy());
  client = new RestClient(transport.request);
});
afterAll(() => cleanup.run());

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');
const event = (name: string, first: string, last: string) =>
  ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', message: 'm', type: 'Normal', firstTimestamp: first, lastTimestamp: last, count: 1 }) as unknown as KubeObject;
const exists = (name: string) =>
  client.get(eventsResource, 'default', name).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );

describe('event expiry', () => {
  it('deletes events whose last write is older than the TTL, keeps recent and repeated ones', async () => {
    // Body times far off (an agent's clock) do not matter: only writes do.
    await client.create(eventsResource, 'default', event('old', iso(-3_600_000), iso(-3_600_000)));
    await client.create(eventsResource, 'default', event('repeated', iso(3_600_000), iso(3_600_000)));
    expect(await server.expireEventsNow()).toBe(0);
    await new Promise((r) => setTimeout(r, 1_700));
    // Repeated a moment ago (its count patched, as a recorder does): alive again for a TTL.
    await client.patch(eventsResource, 'default', 'repeated', 'merge', { count: 2 });
    await client.create(eventsResource, 'default', event('fresh', iso(3_600_000), iso(3_600_000)));
    expect(await server.expireEventsNow()).toBe(1);
    expect(await exists('old')).toBe(false);
    expect(await exists('fresh')).toBe(true);
    expect(await exists('repeated')).toBe(true);
  });

  it('counts an event first seen after a restart from its last recorded write, not from the restart', async () => {
    const dataDir = makeTempDir(cleanup, 'event-ttl-restart');
    const opts = { dataDir, listen: '127.0.0.1:0', compaction: false as const, logger: silentLogger, controllers: false, eventTtl: { ttlMs: 1_500, intervalMs: 3_600_000 } };
    let s = await startServer(opts);
    const t = new HttpTransport({ ...loadKubeconfig(s.kubeconfigPath) });
    await new RestClient(t.request).create(eventsResource, 'default', event('before-restart', iso(0), iso(0)));
    t.destroy();
    await s.close();
    await new Promise((r) => setTimeout(r, 1_700));
    s = await startServer(opts);
    cleanup.defer(() => s.close());
    const t2 = new HttpTransport({ ...loadKubeconfig(s.kubeconfigPath) });
    cleanup.defer(() => t2.destroy());
    const c2 = new RestClient(t2.request);
    await c2.create(eventsResource, 'default', event('after-restart', iso(0), iso(0)));
    // The first sweep of the new server: the old event's TTL ran out while it was down.
    expect(await s.expireEventsNow()).toBe(1);
    await expect(c2.get(eventsResource, 'default', 'before-restart')).rejects.toMatchObject({ code: 404 });
    expect((await c2.get(eventsResource, 'default', 'after-restart')).metadata.name).toBe('after-restart');
  });
});
