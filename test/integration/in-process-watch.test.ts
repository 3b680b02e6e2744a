// Watches over the in-process transport take events as objects (src/api/watch-objects.ts):
// the same events, types and resourceVersions as the JSON lines an HTTPS watcher gets, in the
// same order, with one shared, read-only object per event for every in-process watcher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import type { KubeObject } from '../../src/api/index.js';
import { HttpTransport, RestClient, inProcessTransport, loadKubeconfig, podsResource, type WatchEvent } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let server: RunningServer;
let local: RestClient;
let remote: RestClient;

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject;
}

type Meta = { name?: string; resourceVersion?: string; labels?: Record<string, string> };
const meta = (e: WatchEvent): Meta => (e.object.metadata ?? {}) as Meta;
const summary = (e: WatchEvent): string => `${e.type} ${meta(e).name ?? ''} ${meta(e).resourceVersion ?? ''}`;

beforeAll(async () => {
  const dir = makeTempDir(cleanup, 'everynode-in-process-watch-');
  server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', controllers: false });
  cleanup.defer(() => server.close());
  local = new RestClient(inProcessTransport(server.handler));
  const http = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
  cleanup.defer(() => http.destroy());
  remote = new RestClient(http.request);
});

afterAll(() => cleanup.run());

describe('in-process watch objects', () => {
  it('delivers the same events as an HTTPS watch, as shared frozen objects, filters included', async () => {
    const from = (await local.list(podsResource, { namespace: 'default', limit: 1 })).metadata.resourceVersion ?? '';
    const seenA: WatchEvent[] = [];
    const seenB: WatchEvent[] = [];
    const seenRemote: WatchEvent[] = [];
    const seenFiltered: WatchEvent[] = [];
    const opts = { namespace: 'default', resourceVersion: from };
    const handles = [
      await local.watch(podsResource, opts, (e) => seenA.push(e)),
      await local.watch(podsResource, opts, (e) => seenB.push(e)),
      await remote.watch(podsResource, opts, (e) => seenRemote.push(e)),
      await local.watch(podsResource, { ...opts, labelSelector: 'tier=web' }, (e) => seenFiltered.push(e)),
    ];
    try {
      await local.create(podsResource, 'default', pod('a', { tier: 'web' }));
      await local.patch(podsResource, 'default', 'a', 'merge', { metadata: { labels: { tier: 'db' } } });
      await local.create(podsResource, 'default', pod('b'));
      await local.delete(podsResource, 'default', 'b', { gracePeriodSeconds: 0 });
      await waitFor(() => seenRemote.length >= 4 && seenA.length >= 4 && seenB.length >= 4 && seenFiltered.length >= 2, { timeoutMs: 10_000 });

      expect(seenA.map(summary)).toEqual(seenRemote.map(summary));
      expect(seenB.map(summary)).toEqual(seenRemote.map(summary));
      expect(seenA.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'ADDED', 'DELETED']);
      // Whole objects equal what went over the wire.
      expect(JSON.parse(JSON.stringify(seenA.map((e) => e.object)))).toEqual(seenRemote.map((e) => e.object));
      // One object per event, shared by the in-process watchers (never copied per watcher).
      seenA.forEach((e, i) => expect(e.object).toBe(seenB[i]!.object));
      // Frozen under test: a receiver writing to it fails here rather than corrupting its peers.
      expect(Object.isFrozen(seenA[0]!.object)).toBe(true);
      expect(() => {
        meta(seenA[0]!).name = 'changed';
      }).toThrow(TypeError);
      // A label selector: the pod leaving it is DELETED with its previous state.
      expect(seenFiltered.map((e) => `${e.type} ${meta(e).name} ${(meta(e).labels ?? {}).tier}`)).toEqual(['ADDED a web', 'DELETED a web']);
      expect(seenFiltered[1]!.object.metadata?.resourceVersion).toBe(seenA[1]!.object.metadata?.resourceVersion);
    } finally {
      for (const h of handles) h.stop();
    }
  });

  it('replays from an older resourceVersion and sends the initial state as objects, with bookmarks', async () => {
    const start = (await local.list(podsResource, { namespace: 'default', limit: 1 })).metadata.resourceVersion ?? '';
    await local.create(podsResource, 'default', pod('c'));
    await local.create(podsResource, 'default', pod('d'));
    const replay: WatchEvent[] = [];
    const initial: WatchEvent[] = [];
    const h1 = await local.watch(podsResource, { namespace: 'default', resourceVersion: start }, (e) => replay.push(e));
    const h2 = await local.watch(podsResource, { namespace: 'default', resourceVersion: '0', allowWatchBookmarks: true }, (e) => initial.push(e));
    try {
      await waitFor(() => replay.length >= 2 && initial.filter((e) => e.type === 'ADDED').length >= 3, { timeoutMs: 10_000 });
      expect(replay.map((e) => `${e.type} ${meta(e).name}`)).toEqual(['ADDED c', 'ADDED d']);
      expect(initial.filter((e) => e.type === 'ADDED').map((e) => meta(e).name).sort()).toEqual(['a', 'c', 'd']);
      for (const e of initial) expect(Number(e.object.metadata?.resourceVersion)).toBeGreaterThan(0);
    } finally {
      h1.stop();
      h2.stop();
    }
  });
});
