// One etcd revision that changes several keys (a range delete as `etcdctl del --prefix` makes,
// a transaction of several puts): every change reaches the server's watchers, live and
// resuming from before it, as upstream's watch cache passes on every event of a revision.
// Real etcd, real server, real HTTP. Skipped where the `etcd` binary is missing.

import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/storage/index.js';
import { Cleanup, etcdAvailable, httpRequest, openWireWatch, startTestServer, waitFor } from '../helpers/index.js';

const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

describe.skipIf(!etcdAvailable())('several keys changed in one etcd revision', () => {
  it('every change is delivered, to live watches and to ones resuming from before it', async () => {
    const cleanup = new Cleanup();
    try {
      const ts = await startTestServer(cleanup, { store: 'etcd' });
      const url = ts.server.url;
      const base = '/api/v1/namespaces/default/configmaps';
      for (const n of ['mk-a', 'mk-b', 'mk-c', 'other']) expect((await httpRequest(url + base, { method: 'POST', body: cm(n) })).status).toBe(201);
      const rv = ((await httpRequest(url + base)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const live = await openWireWatch(cleanup, url, `${base}?watch=1&resourceVersion=${rv}`);

      const { endpoints, prefix } = EtcdStore.parseUrl(ts.storeUrl);
      const etcd = new Etcd3({ hosts: endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)) });
      cleanup.defer(() => etcd.close(), 'etcd client');
      const keyOf = (name: string) => `${prefix ?? ''}/registry/core/configmaps/default/${name}`;
      // One revision, three deletions.
      const deleted = await etcd.delete().prefix(keyOf('mk-'));
      expect(deleted.deleted).toBe('3');
      // One revision, two puts.
      const stored = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' }, data: {} });
      await etcd.if(keyOf('tx-1'), 'Create', '==', 0).then(etcd.put(keyOf('tx-1')).value(stored('tx-1')), etcd.put(keyOf('tx-2')).value(stored('tx-2'))).commit();

      const want = ['DELETED mk-a', 'DELETED mk-b', 'DELETED mk-c', 'ADDED tx-1', 'ADDED tx-2'];
      const seen = (events: { type: string; object: unknown }[]) => events.map((e) => `${e.type} ${(e.object as { metadata: { name: string } }).metadata.name}`);
      await waitFor(() => seen(live.events).length >= want.length, { timeoutMs: 10_000, message: `the live watch got ${JSON.stringify(seen(live.events))}` });
      expect(seen(live.events)).toEqual(want);
      // Both events of the transaction carry its one revision.
      const revs = live.events.map((e) => (e.object as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      expect(revs[3]).toBe(revs[4]);

      const resumed = await openWireWatch(cleanup, url, `${base}?watch=1&resourceVersion=${rv}`);
      await waitFor(() => seen(resumed.events).length >= want.length, { timeoutMs: 10_000, message: `the resumed watch got ${JSON.stringify(seen(resumed.events))}` });
      expect(seen(resumed.events)).toEqual(want);
      const names = ((await httpRequest(url + base)).json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name).sort();
      expect(names).toEqual(['other', 'tx-1', 'tx-2']);
    } finally {
      await cleanup.run();
    }
  }, 60_000);
});
