// Events expire an hour (here: a TTL of 1.5 s) after their last write, as upstream's
// --event-ttl: the sweep deletes events not written for a TTL and keeps those written since,
// whatever times their bodies name.
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
});
