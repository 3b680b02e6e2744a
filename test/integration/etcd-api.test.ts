// The API integration suites on an etcd-backed server: the client-node CRUD (every served
// kind), list (selectors, pagination), informer (restart, compaction → 410 → relist) and
// bad-input suites run here unchanged, with every server they start opened on the file's etcd
// (a fresh key prefix per server), plus wire-level watch replay checks written for etcd, whose
// revisions are etcd's cluster-wide counter (strictly increasing, not contiguous).
//
// The suites are imported inside describe blocks, so their hooks and tests are collected here;
// the same files also run on their own against SQLite. Without the `etcd` binary everything
// here is skipped with a message naming the `etcd-server` package.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/storage/index.js';
import {
  Cleanup,
  etcdAvailable,
  etcdSkipReason,
  httpRequest,
  openWireWatch,
  setDefaultTestStore,
  sharedTestEtcd,
  startTestServer,
  waitFor,
  type TestServer,
} from '../helpers/index.js';

const haveEtcd = etcdAvailable();
const fileCleanup = new Cleanup();

if (!haveEtcd) {
  describe('API integration suites on etcd', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
} else {
  setDefaultTestStore('etcd');
  // One etcd for the whole file, started before any suite's own beforeAll.
  beforeAll(async () => {
    await sharedTestEtcd(fileCleanup);
  });
  afterAll(() => fileCleanup.run());

  describe('on etcd: client-node CRUD', async () => {
    await import('./client-node-crud.test.js');
  });
  describe('on etcd: client-node lists', async () => {
    await import('./client-node-lists.test.js');
  });
  describe('on etcd: client-node informer', async () => {
    await import('./client-node-informer.test.js');
  });
  describe('on etcd: bad input', async () => {
    await import('./client-node-bad-input.test.js');
  });

  // Checks that the imported suites' servers really were etcd-backed: each suite's namespace
  // exists as a key in etcd under a server prefix of its own.
  describe('on etcd: the suites above stored their objects in etcd', () => {
    it('finds each suite namespace under its own /t-<id> prefix', async () => {
      const etcd = await sharedTestEtcd(fileCleanup);
      const raw = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '' });
      try {
        const owners = new Map<string, string>();
        for (let after: string | undefined; ; ) {
          const page = await raw.list('/t-', after === undefined ? { limit: 500 } : { limit: 500, startAfter: after });
          for (const kv of page.items) {
            const m = /^(\/t-[0-9a-f]+)\/.*\/core\/namespaces\/([^/]+)$/.exec(kv.key);
            if (m) owners.set(m[2]!, m[1]!);
          }
          if (!page.more) break;
          after = page.items.at(-1)?.key;
        }
        const prefixes = ['crud', 'lists', 'informer', 'bad'].map((ns) => owners.get(ns));
        expect(prefixes.every((p) => p !== undefined), JSON.stringify(Object.fromEntries(owners))).toBe(true);
        expect(new Set(prefixes).size).toBe(4);
      } finally {
        await raw.close();
      }
    });
  });

  describe('on etcd: watch replay from a resourceVersion', () => {
    const cleanup = new Cleanup();
    let ts: TestServer;
    let base = '';
    const NS = 'replay';
    const cms = `/api/v1/namespaces/${NS}/configmaps`;
    beforeAll(async () => {
      ts = await startTestServer(cleanup, { store: 'etcd', compaction: { intervalMs: 3_600_000, retainRevisions: 0 } });
      expect(ts.store).toBe('etcd');
      expect(ts.storeUrl).toMatch(/^etcd:\/\//);
      base = ts.server.url;
      const ns = await httpRequest(`${base}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }) });
      expect(ns.status, ns.text).toBe(201);
    });
    afterAll(() => cleanup.run());

    const rvOf = (body: unknown) => (body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

    it('replays exactly the writes after the given RV, in order, then continues live', async () => {
      const writes: { type: string; name: string; rv: string }[] = [];
      const create = async (name: string) => {
        const r = await httpRequest(base + cms, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '0' } }) });
        expect(r.status, r.text).toBe(201);
        writes.push({ type: 'ADDED', name, rv: rvOf(r.json) });
        return rvOf(r.json);
      };
      const from = await create('a');
      await create('b');
      const upd = await httpRequest(`${base}${cms}/a`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ data: { v: '1' } }) });
      expect(upd.status, upd.text).toBe(200);
      writes.push({ type: 'MODIFIED', name: 'a', rv: rvOf(upd.json) });
      const del = await httpRequest(`${base}${cms}/b`, { method: 'DELETE' });
      expect(del.status, del.text).toBe(200);
      const afterDelete = await httpRequest(base + cms);
      writes.push({ type: 'DELETED', name: 'b', rv: rvOf(afterDelete.json) });

      // Revisions strictly increase (etcd's counter; gaps allowed).
      const rvs = writes.map((w) => Number(w.rv));
      expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
      expect(new Set(rvs).size).toBe(rvs.length);

      const w = await openWireWatch(cleanup, base, `${cms}?watch=true&resourceVersion=${from}`);
      expect(w.status).toBe(200);
      const expected = writes.slice(1);
      await waitFor(() => w.events.length >= expected.length, { message: 'replayed events' });
      const got = w.events.map((e) => ({ type: e.type, name: e.object.metadata?.name ?? '', rv: e.object.metadata?.resourceVersion ?? '' }));
      // The DELETED event carries the delete's revision, which the list after it is at or above.
      expect(got.map((e) => [e.type, e.name])).toEqual(expected.map((e) => [e.type, e.name]));
      expect(got.slice(0, 2).map((e) => e.rv)).toEqual(expected.slice(0, 2).map((e) => e.rv));
      expect(Number(got[2]?.rv)).toBeLessThanOrEqual(Number(expected[2]?.rv));
      expect(Number(got[2]?.rv)).toBeGreaterThan(Number(expected[1]?.rv));

      const live = await create('c');
      await waitFor(() => w.events.find((e) => e.object.metadata?.name === 'c'), { message: 'live ADDED c' });
      expect(w.events.at(-1)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'c', resourceVersion: live } } });
      w.stop();
    });

    it('a watch without RV starts with the current state as ADDED events', async () => {
      const w = await openWireWatch(cleanup, base, `${cms}?watch=true`);
      await waitFor(() => w.events.length >= 2, { message: 'initial ADDED events' });
      expect(w.events.map((e) => [e.type, e.object.metadata?.name]).sort()).toEqual([
        ['ADDED', 'a'],
        ['ADDED', 'c'],
      ]);
      w.stop();
    });

    it('answers 410 Expired for an RV below the compaction point', async () => {
      const first = await httpRequest(base + cms, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' } }) });
      expect(first.status).toBe(201);
      const oldRv = rvOf(first.json);
      await httpRequest(`${base}${cms}/old`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ data: { x: 'y' } }) });
      const point = await ts.server.compactNow();
      expect(point).toBeGreaterThan(Number(oldRv));
      const w = await openWireWatch(cleanup, base, `${cms}?watch=true&resourceVersion=${oldRv}`);
      if (w.status === 200) {
        // Upstream sends 410 as an ERROR event inside a 200 stream.
        await waitFor(() => w.events.length > 0, { message: 'ERROR event' });
        expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
      } else {
        expect(w.status).toBe(410);
      }
      w.stop();
    });

    it('answers 413 for an object over what etcd accepts (not a 500), writing nothing', async () => {
      const dss = `/apis/apps/v1/namespaces/${NS}/daemonsets`;
      // A DaemonSet has no size limit of its own: env of about 1.6 MB is refused by etcd
      // (request is too large), of 2.6 MB by its gRPC receive limit first.
      const ds = (name: string, bytes: number) => ({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { none: 'here' }, containers: [{ name: 'c', image: 'busybox', env: Array.from({ length: Math.ceil(bytes / 800) }, (_, i) => ({ name: `E${i}`, value: 'x'.repeat(780) })) }] } },
        },
      });
      for (const size of [1_600_000, 2_600_000]) {
        const name = `big-${size}`;
        const r = await httpRequest(base + dss, { method: 'POST', body: JSON.stringify(ds(name, size)) });
        expect(r.status, r.text.slice(0, 300)).toBe(413);
        expect(r.json).toMatchObject({ kind: 'Status', code: 413, reason: 'RequestEntityTooLarge' });
        expect((r.json as { message: string }).message).toMatch(/^Request entity too large: the store refused the object as too large/);
        expect((await httpRequest(`${base}${dss}/${name}`)).status).toBe(404);
      }
      // An update that grows an object past it: the same, and the object keeps its value.
      expect((await httpRequest(base + dss, { method: 'POST', body: JSON.stringify(ds('grows', 1000)) })).status).toBe(201);
      const grown = ds('grows', 1_600_000);
      const grow = await httpRequest(`${base}${dss}/grows`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ spec: { template: grown.spec.template } }) });
      expect(grow.status, grow.text.slice(0, 300)).toBe(413);
      const kept = (await httpRequest(`${base}${dss}/grows`)).json as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
      expect(kept.spec.template.spec.containers[0]!.env).toHaveLength(2);
    });
  });
}
