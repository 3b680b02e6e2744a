// client-node 1.4's informer (makeInformer = list, then watch from the list RV) against the real
// server: it must see every change, survive a server restart on the same data dir and port, and
// recover through 410 → relist after compaction, always converging to the server's exact state.
//
// What a real user does, and so this test does: client-node's informer stops for good on any
// non-410 error (connection refused while the server restarts), emitting 'error'; the user's
// 'error' handler calls start() again after a short delay (kube-api.md §5, informer rule 7).

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients, Cleanup, restartTestServer, startTestServer, waitFor, type ApiClients, type TestServer, testFetch } from '../helpers/index.js';

const NS = 'informer';
const PATH = `/api/v1/namespaces/${NS}/configmaps`;

interface Seen {
  verb: 'add' | 'update' | 'delete';
  name: string;
  rv: string;
}

const cleanup = new Cleanup();
let ts: TestServer;
let c: ApiClients;
let informer: k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;
const seen: Seen[] = [];
let listCalls = 0;
let errors = 0;
/** While true, the 'error' handler does not restart the informer (test-controlled outage). */
let paused = false;
/** Compaction only when the test asks (compactNow), and then up to the current revision. */
const compaction = { intervalMs: 3_600_000, retainRevisions: 0 };

beforeAll(async () => {
  ts = await startTestServer(cleanup, { compaction });
  c = apiClients(ts.server.kubeconfigPath);
  await c.core.createNamespace({ body: { metadata: { name: NS } } });
  // Objects that exist before the informer starts arrive through its initial list.
  for (const n of ['pre-1', 'pre-2']) await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: n }, data: { v: '0' } } });

  // The informer keeps using the first KubeConfig: a restarted server on the same port is the
  // same cluster to it.
  informer = k8s.makeInformer(c.kc, PATH, () => {
    listCalls++;
    return c.core.listNamespacedConfigMap({ namespace: NS });
  });
  const record = (verb: Seen['verb']) => (o: k8s.V1ConfigMap) => seen.push({ verb, name: o.metadata?.name ?? '', rv: o.metadata?.resourceVersion ?? '' });
  informer.on('add', record('add'));
  informer.on('update', record('update'));
  informer.on('delete', record('delete'));
  informer.on('error', () => {
    errors++;
    setTimeout(() => {
      if (!paused) void informer.start();
    }, 100);
  });
  cleanup.defer(async () => {
    paused = true;
    await informer.stop();
  }, 'informer');
  await informer.start();
});
afterAll(() => cleanup.run());

type State = Record<string, { rv: string; data: Record<string, string> | undefined }>;

function stateOf(items: readonly k8s.V1ConfigMap[]): State {
  const s: State = {};
  const sorted = [...items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const o of sorted) s[o.metadata?.name ?? ''] = { rv: o.metadata?.resourceVersion ?? '', data: o.data };
  return s;
}

/** Waits until the informer's cache equals the server's current list exactly (names, RVs, data). */
async function converged(what: string): Promise<State> {
  let server: State = {};
  await waitFor(
    async () => {
      server = stateOf((await c.core.listNamespacedConfigMap({ namespace: NS })).items);
      return JSON.stringify(stateOf(informer.list(NS))) === JSON.stringify(server);
    },
    { message: `informer cache to equal the server state (${what})`, timeoutMs: 30_000 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nserver: ${JSON.stringify(server)}\ncache:  ${JSON.stringify(stateOf(informer.list(NS)))}`);
  });
  return server;
}

interface Write {
  verb: Seen['verb'];
  name: string;
  rv: string;
}

/** A batch of creates, updates (merge patch) and deletes; returns each acknowledged write. */
async function changes(tag: string, existing: string[]): Promise<Write[]> {
  const out: Write[] = [];
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  for (let i = 0; i < 3; i++) {
    const o = await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `${tag}-${i}` }, data: { v: '1' } } });
    out.push({ verb: 'add', name: `${tag}-${i}`, rv: o.metadata?.resourceVersion ?? '' });
  }
  for (const name of [...existing, `${tag}-0`]) {
    for (const v of ['2', '3']) {
      const o = await c.core.patchNamespacedConfigMap({ name, namespace: NS, body: { data: { v, by: tag } } }, merge);
      out.push({ verb: 'update', name, rv: o.metadata?.resourceVersion ?? '' });
    }
  }
  await c.core.deleteNamespacedConfigMap({ name: `${tag}-1`, namespace: NS });
  out.push({ verb: 'delete', name: `${tag}-1`, rv: '' });
  return out;
}

function expectAllSeen(writes: Write[], from: number): void {
  const window = seen.slice(from);
  for (const w of writes) {
    if (w.verb === 'delete') expect(window.some((s) => s.verb === 'delete' && s.name === w.name), `delete of ${w.name}`).toBe(true);
    else expect(window.some((s) => s.verb === w.verb && s.name === w.name && s.rv === w.rv), `${w.verb} of ${w.name} at RV ${w.rv}`).toBe(true);
  }
}

describe('client-node informer', () => {
  it('lists the initial objects and sees every later add, update and delete', async () => {
    await converged('initial list');
    expect(seen.filter((s) => s.verb === 'add').map((s) => s.name).sort()).toEqual(['pre-1', 'pre-2']);
    const mark = seen.length;
    const writes = await changes('live', ['pre-1']);
    await converged('live changes');
    expectAllSeen(writes, mark);
    expect(listCalls).toBe(1);
  });

  it('keeps working across a server restart on the same data dir and port', async () => {
    const listsBefore = listCalls;
    const errorsBefore = errors;
    const mark = seen.length;
    const oldPort = ts.server.port;
    ts = await restartTestServer(cleanup, ts, { compaction });
    expect(ts.server.port).toBe(oldPort);
    // Writes right after the restart, likely before the informer has reconnected: the resumed
    // watch must replay them from the store's history.
    const writes = await changes('restart', ['pre-2', 'live-0']);
    await converged('after restart');
    expectAllSeen(writes, mark);
    // Resumed from its last RV: every change arrived as its own event, no relist was needed.
    expect(listCalls).toBe(listsBefore);
    expect(errors).toBeGreaterThan(errorsBefore); // it really was disconnected and restarted
  });

  it('converges when the store is compacted under a live watch', async () => {
    const mark = seen.length;
    const before = await changes('compact-live', ['pre-1']);
    const compactedTo = await ts.server.compactNow();
    expect(compactedTo).toBeGreaterThan(0);
    const after = await changes('compact-live2', ['compact-live-0']);
    await converged('compaction under a live watch');
    // Whether or not the live watch had to relist, the cache saw the final state of each object.
    for (const w of [...before, ...after].filter((x) => x.verb === 'delete')) {
      expect(informer.get(w.name, NS)).toBeUndefined();
      expect(seen.slice(mark).some((s) => s.verb === 'delete' && s.name === w.name)).toBe(true);
    }
  });

  it('gets 410 for a compacted RV, relists and converges to the exact server state', async () => {
    // The user's informer is offline (stopped) while others write and the server compacts.
    paused = true;
    await informer.stop();
    // makeInformer returns a ListWatch; its last seen RV is what it will watch from.
    const lastRv = (informer as unknown as k8s.ListWatch<k8s.V1ConfigMap>).latestResourceVersion();
    expect(lastRv).toMatch(/^\d+$/);
    const known = informer.list(NS).map((o) => o.metadata?.name ?? '');
    const mark = seen.length;
    const listsBefore = listCalls;

    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const updated = known.filter((_, i) => i % 3 === 0);
    const deleted = known.filter((_, i) => i % 3 === 1);
    for (const name of updated) await c.core.patchNamespacedConfigMap({ name, namespace: NS, body: { data: { v: 'offline' } } }, merge);
    for (const name of deleted) await c.core.deleteNamespacedConfigMap({ name, namespace: NS });
    for (let i = 0; i < 3; i++) await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `offline-${i}` }, data: { v: '1' } } });

    const compactedTo = await ts.server.compactNow();
    expect(compactedTo).toBeGreaterThan(Number(lastRv)); // the informer's RV is really gone

    // On the wire: a watch from the informer's RV is answered with 410 Expired (HTTP 410, or a
    // 200 whose first event is ERROR carrying a 410 Status).
    const res = await testFetch(`${ts.server.url}${PATH}?watch=true&resourceVersion=${lastRv}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 200) {
      const reader = res.body!.getReader();
      let buf = '';
      while (!buf.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += Buffer.from(value).toString('utf8');
      }
      await reader.cancel();
      const ev = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as { type: string; object: { code?: number; reason?: string } };
      expect(ev.type).toBe('ERROR');
      expect(ev.object.code).toBe(410);
      expect(ev.object.reason).toBe('Expired');
    } else {
      expect(res.status).toBe(410);
      const st = (await res.json()) as { reason?: string; code?: number };
      expect(st.code).toBe(410);
    }

    paused = false;
    await informer.start();
    const server = await converged('relist after 410');
    expect(listCalls).toBeGreaterThan(listsBefore);
    const window = seen.slice(mark);
    for (const name of deleted) expect(window.some((s) => s.verb === 'delete' && s.name === name), `delete of ${name}`).toBe(true);
    for (const name of updated) expect(window.some((s) => s.verb === 'update' && s.name === name && s.rv === server[name]?.rv), `update of ${name}`).toBe(true);
    for (let i = 0; i < 3; i++) expect(window.some((s) => s.verb === 'add' && s.name === `offline-${i}`)).toBe(true);

    // …and it keeps watching live after the relist.
    const mark2 = seen.length;
    const writes = await changes('post-relist', ['offline-0']);
    await converged('live after relist');
    expectAllSeen(writes, mark2);
  });

  it('a label-selected informer sees objects enter and leave the selection', async () => {
    const events: Seen[] = [];
    const selected = k8s.makeInformer(c.kc, PATH, () => c.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'tier=gold' }), 'tier=gold');
    for (const verb of ['add', 'update', 'delete'] as const) selected.on(verb, (o) => events.push({ verb, name: o.metadata?.name ?? '', rv: o.metadata?.resourceVersion ?? '' }));
    cleanup.defer(() => selected.stop(), 'selected informer');
    await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'sel-a', labels: { tier: 'gold' } } } });
    await selected.start();
    await waitFor(() => selected.get('sel-a', NS), { message: 'sel-a in the selected cache' });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    // Starts matching → ADDED; stops matching → DELETED (upstream filtered-watch semantics).
    await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'sel-b', labels: { tier: 'silver' } } } });
    await c.core.patchNamespacedConfigMap({ name: 'sel-b', namespace: NS, body: { metadata: { labels: { tier: 'gold' } } } }, merge);
    await c.core.patchNamespacedConfigMap({ name: 'sel-a', namespace: NS, body: { metadata: { labels: { tier: 'silver' } } } }, merge);
    await waitFor(() => selected.get('sel-b', NS) !== undefined && selected.get('sel-a', NS) === undefined, { message: 'sel-b in and sel-a out of the selected cache' });
    expect(events.some((e) => e.verb === 'add' && e.name === 'sel-b')).toBe(true);
    expect(events.some((e) => e.verb === 'delete' && e.name === 'sel-a')).toBe(true);
    expect(selected.list(NS).map((o) => o.metadata?.name)).toEqual(['sel-b']);
  });
});
