// Several API servers on one etcd (same key prefix), each with its own data dir and port, as
// `everynode server --store etcd://...` runs them: bootstrap is safe when they start at once,
// any of them takes writes, every object is readable and watchable through every server, every
// watch sees every write whichever server took it (compared event by event), and optimistic
// concurrency holds across servers (a stale resourceVersion is a 409 wherever it is sent).
//
// Without the `etcd` binary the file is skipped with a message naming the `etcd-server` package.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/storage/index.js';
import {
  Cleanup,
  clusterDataDirs,
  etcdAvailable,
  etcdSkipReason,
  freshEtcdStoreUrl,
  httpRequest,
  openWireWatch,
  sharedTestEtcd,
  startTestServer,
  waitFor,
  type HttpAnswer,
  type TestServer,
  type WireWatch,
} from '../helpers/index.js';

const bootstrapNamespaces = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
const NS = 'multi';

type Obj = { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string }; data?: Record<string, string> };

const post = (base: string, path: string, body: unknown) => httpRequest(base + path, { method: 'POST', body: JSON.stringify(body) });
const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const obj = (a: HttpAnswer) => a.json as Obj;
const listRv = (a: HttpAnswer) => (a.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
const haveEtcd = etcdAvailable();

if (!haveEtcd) {
  describe('several API servers on one etcd', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}

describe.skipIf(!haveEtcd)('several API servers on one etcd', () => {
  const cleanup = new Cleanup();
  let storeUrl = '';
  let servers: TestServer[] = [];
  let dirs: string[] = [];
  let s1 = '';
  let s2 = '';

  beforeAll(async () => {
    await sharedTestEtcd(cleanup);
    storeUrl = await freshEtcdStoreUrl(cleanup);
    // Servers of one cluster share its CA, Secrets key and tokens (copied data dir files).
    dirs = await clusterDataDirs(cleanup, 4);
    // Three servers start at the same moment on one empty prefix: each bootstraps the default
    // namespaces, and all but one of each create meet AlreadyExists.
    servers = await Promise.all(
      dirs.slice(0, 3).map((dataDir) => startTestServer(cleanup, { storeUrl, dataDir, compaction: { intervalMs: 200, retainRevisions: 50 } })),
    );
    s1 = servers[0]!.server.url;
    s2 = servers[1]!.server.url;
  });
  afterAll(() => cleanup.run());

  it('started every server and created each bootstrap namespace exactly once', async () => {
    const uidsBy: Record<string, string>[] = [];
    for (const ts of servers) {
      const r = await httpRequest(`${ts.server.url}/api/v1/namespaces`);
      expect(r.status).toBe(200);
      const items = (r.json as { items: Obj[] }).items;
      expect(items.map((n) => n.metadata.name).sort()).toEqual(bootstrapNamespaces);
      uidsBy.push(Object.fromEntries(items.map((n) => [n.metadata.name, n.metadata.uid])));
    }
    // The same objects (same uids) through every server.
    expect(uidsBy[1]).toEqual(uidsBy[0]);
    expect(uidsBy[2]).toEqual(uidsBy[0]);
    // And in etcd itself: one key per namespace under the shared prefix.
    const raw = await EtcdStore.open(EtcdStore.parseUrl(storeUrl));
    try {
      const keys = (await raw.list('/registry/core/namespaces/')).items.map((kv) => kv.key);
      expect(keys).toEqual(bootstrapNamespaces.map((n) => `/registry/core/namespaces/${n}`));
    } finally {
      await raw.close();
    }
    // Only two servers are needed from here on.
    await servers[2]!.close();
  });

  it('an object created through server 1 is readable, listable and watchable through server 2', async () => {
    const ns = await post(s1, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    expect(ns.status, ns.text).toBe(201);
    const rv0 = listRv(await httpRequest(`${s2}/api/v1/namespaces/${NS}/configmaps`));
    const w = await openWireWatch(cleanup, s2, `/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=${rv0}`);
    expect(w.status).toBe(200);

    const created = await post(s1, `/api/v1/namespaces/${NS}/configmaps`, cm('from-s1', { a: '1' }));
    expect(created.status, created.text).toBe(201);
    const got = await httpRequest(`${s2}/api/v1/namespaces/${NS}/configmaps/from-s1`);
    expect(got.status, got.text).toBe(200);
    expect(obj(got).metadata).toMatchObject({ uid: obj(created).metadata.uid, resourceVersion: obj(created).metadata.resourceVersion });
    expect(obj(got).data).toEqual({ a: '1' });
    await waitFor(
      async () => ((await httpRequest(`${s2}/api/v1/namespaces/${NS}/configmaps`)).json as { items: Obj[] }).items.some((o) => o.metadata.name === 'from-s1'),
      { message: 'from-s1 in a list through server 2' },
    );
    await waitFor(() => w.events.find((e) => e.object.metadata?.name === 'from-s1'), { message: 'ADDED from-s1 on server 2' });
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'from-s1', resourceVersion: obj(created).metadata.resourceVersion } } });
    w.stop();
  });

  it('every watch sees every write, whichever server took it, in the same order', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const rv = listRv(await httpRequest(s1 + path));
    const watches: WireWatch[] = [];
    for (const base of [s1, s2]) {
      const w = await openWireWatch(cleanup, base, `${path}?watch=true&resourceVersion=${rv}`);
      expect(w.status).toBe(200);
      watches.push(w);
    }

    // 8 writers, each alternating servers; creates, then updates, then deletes of half.
    const N = 40;
    const acked: { type: string; name: string; rv: number }[] = [];
    const bases = [s1, s2];
    await Promise.all(
      Array.from({ length: 8 }, async (_, wr) => {
        for (let i = wr; i < N; i += 8) {
          const name = `w-${i}`;
          const c = await post(bases[i % 2]!, path, cm(name, { v: '0' }));
          expect(c.status, c.text).toBe(201);
          acked.push({ type: 'ADDED', name, rv: Number(obj(c).metadata.resourceVersion) });
          const u = await httpRequest(`${bases[(i + 1) % 2]}${path}/${name}`, {
            method: 'PATCH',
            contentType: 'application/merge-patch+json',
            body: JSON.stringify({ data: { v: '1' } }),
          });
          expect(u.status, u.text).toBe(200);
          acked.push({ type: 'MODIFIED', name, rv: Number(obj(u).metadata.resourceVersion) });
          if (i % 2 === 0) {
            const d = await httpRequest(`${bases[i % 2]}${path}/${name}`, { method: 'DELETE' });
            expect(d.status, d.text).toBe(200);
            acked.push({ type: 'DELETED', name, rv: NaN });
          }
        }
      }),
    );
    const total = acked.length;
    for (const w of watches) await waitFor(() => w.events.length >= total, { message: `${total} events on each watch`, timeoutMs: 30_000 });

    const seq = (w: WireWatch) => w.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`);
    // The same history through both servers, event by event.
    expect(seq(watches[1]!)).toEqual(seq(watches[0]!));
    const events = watches[0]!.events;
    expect(events).toHaveLength(total);
    // Revisions strictly increase (one etcd log), so no gaps and no duplicates.
    const rvs = events.map((e) => Number(e.object.metadata?.resourceVersion));
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]!);
    // Each acknowledged create and update appears with its own revision; each delete once.
    const byKey = (type: string, name: string) => events.filter((e) => e.type === type && e.object.metadata?.name === name);
    for (const a of acked) {
      const matching = byKey(a.type, a.name);
      expect(matching, `${a.type} ${a.name}`).toHaveLength(1);
      if (a.type !== 'DELETED') expect(Number(matching[0]!.object.metadata?.resourceVersion)).toBe(a.rv);
    }
    for (const w of watches) w.stop();
  });

  it('optimistic concurrency holds across servers: a stale resourceVersion is 409 Conflict', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const c = await post(s1, path, cm('occ', { v: '0' }));
    expect(c.status, c.text).toBe(201);
    const seenBy2 = obj(await httpRequest(`${s2}${path}/occ`));
    expect(seenBy2.metadata.resourceVersion).toBe(obj(c).metadata.resourceVersion);

    // Server 1 takes an update; server 2 is then sent a PUT carrying the old resourceVersion.
    const u1 = await httpRequest(`${s1}${path}/occ`, { method: 'PUT', body: JSON.stringify({ ...cm('occ', { v: '1' }), metadata: { name: 'occ', resourceVersion: obj(c).metadata.resourceVersion } }) });
    expect(u1.status, u1.text).toBe(200);
    const stale = await httpRequest(`${s2}${path}/occ`, { method: 'PUT', body: JSON.stringify({ ...cm('occ', { v: 'stale' }), metadata: { name: 'occ', resourceVersion: seenBy2.metadata.resourceVersion } }) });
    expect(stale.status, stale.text).toBe(409);
    expect(stale.json).toMatchObject({ kind: 'Status', code: 409, reason: 'Conflict' });
    // The same for a delete precondition, and the object keeps server 1's write.
    const del = await httpRequest(`${s2}${path}/occ`, { method: 'DELETE', body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: seenBy2.metadata.resourceVersion } }) });
    expect(del.status, del.text).toBe(409);
    const now = obj(await httpRequest(`${s2}${path}/occ`));
    expect(now.data).toEqual({ v: '1' });
    expect(now.metadata.resourceVersion).toBe(obj(u1).metadata.resourceVersion);

    // Racing read-modify-write PUTs from both servers: exactly one wins per round.
    for (let round = 0; round < 5; round++) {
      const cur = obj(await httpRequest(`${s1}${path}/occ`));
      const answers = await Promise.all(
        [s1, s2].map((base, i) =>
          httpRequest(`${base}${path}/occ`, { method: 'PUT', body: JSON.stringify({ ...cm('occ', { v: `r${round}-s${i + 1}` }), metadata: { name: 'occ', resourceVersion: cur.metadata.resourceVersion } }) }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    }
  });

  it('a name created through both servers at once exists once: one 201, one 409 AlreadyExists', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const answers = await Promise.all([s1, s2].map((base, i) => post(base, path, cm(name, { by: `s${i + 1}` }))));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists' });
      const winner = obj(answers.find((a) => a.status === 201)!);
      for (const base of [s1, s2]) expect(obj(await httpRequest(`${base}${path}/${name}`)).metadata.uid).toBe(winner.metadata.uid);
    }
  });

  it("the servers' compactors run on etcd and the servers keep serving watches after compaction", async () => {
    const raw = await EtcdStore.open(EtcdStore.parseUrl(storeUrl));
    try {
      // Enough writes to move past the 50 revisions the compactors keep.
      const path = `/api/v1/namespaces/${NS}/configmaps`;
      for (let i = 0; i < 60; i++) expect((await post(i % 2 ? s1 : s2, path, cm(`compact-${i}`))).status).toBe(201);
      const current = await raw.currentRevision();
      await waitFor(async () => (await raw.compactedRevision()) >= current - 50, { message: 'a compaction by the servers', timeoutMs: 30_000 });
      const w = await openWireWatch(cleanup, s2, `${path}?watch=true&resourceVersion=${listRv(await httpRequest(s2 + path))}`);
      expect((await post(s1, path, cm('after-compaction'))).status).toBe(201);
      await waitFor(() => w.events.find((e) => e.object.metadata?.name === 'after-compaction'), { message: 'event after compaction' });
      w.stop();
    } finally {
      await raw.close();
    }
  });

  it('a namespace deleted through a server that then stops is finalized by the others', async () => {
    const extra = await startTestServer(cleanup, { storeUrl, dataDir: dirs[3]! });
    const s3 = extra.server.url;
    expect((await post(s3, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } })).status).toBe(201);
    const held = { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } };
    expect((await post(s3, '/api/v1/namespaces/doomed/configmaps', held)).status).toBe(201);
    expect((await httpRequest(`${s3}/api/v1/namespaces/doomed`, { method: 'DELETE' })).status).toBe(200);
    // Server 3 starts finalizing: the ConfigMap is being deleted, held by its finalizer.
    const marked = async (): Promise<boolean> => {
      const a = await httpRequest(`${s2}/api/v1/namespaces/doomed/configmaps/held`);
      return a.status === 200 && Boolean((obj(a).metadata as { deletionTimestamp?: string }).deletionTimestamp);
    };
    await waitFor(marked, { message: 'the held ConfigMap marked for deletion' });
    await extra.close();
    const released = await httpRequest(`${s2}/api/v1/namespaces/doomed/configmaps/held`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { finalizers: null } }),
    });
    expect(released.status, released.text).toBe(200);
    await waitFor(async () => (await httpRequest(`${s2}/api/v1/namespaces/doomed`)).status === 404, { timeoutMs: 15_000, message: 'namespace doomed removed by the remaining servers' });
  });

  it('server 2 keeps serving reads, writes and watches when server 1 is gone', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const w = await openWireWatch(cleanup, s2, `${path}?watch=true&resourceVersion=${listRv(await httpRequest(s2 + path))}`);
    await servers[0]!.close();
    const c = await post(s2, path, cm('after-s1'));
    expect(c.status, c.text).toBe(201);
    await waitFor(() => w.events.find((e) => e.object.metadata?.name === 'after-s1'), { message: 'event on server 2' });
    expect((await httpRequest(`${s2}${path}/from-s1`)).status).toBe(200);
    w.stop();
  });
});
