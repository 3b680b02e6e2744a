// What clients get when the store fails them on the read and watch paths (real etcd, real
// server, real HTTP):
// - a watch that starts with the current state (no resourceVersion) while etcd is down gets
//   the 503 ServiceUnavailable a list would get, not a 200 stream that ends empty;
// - a stored value that is not an object everynode (or anyone) could have written — put
//   straight into etcd by another tool — is a 500 InternalError for get and list (it is not
//   the client's input: no 400), and an open watch that meets it gets an ERROR event with a
//   500 Status before its stream ends.
// Skipped where the `etcd` binary is missing.

import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/storage/index.js';
import { Cleanup, etcdAvailable, httpRequest, openWireWatch, startEtcd, startTestServer, waitFor } from '../helpers/index.js';

const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
const base = '/api/v1/namespaces/default/configmaps';

describe.skipIf(!etcdAvailable())('store failures on the watch and read paths', () => {
  it('a watch from the current state while etcd is down answers 503, as a list does', async () => {
    const cleanup = new Cleanup();
    try {
      const etcd = await startEtcd();
      cleanup.defer(() => etcd.stop(), 'etcd');
      const ts = await startTestServer(cleanup, { storeUrl: `etcd://${etcd.endpoint}?prefix=/down` });
      const url = ts.server.url;
      expect((await httpRequest(url + base, { method: 'POST', body: cm('before') })).status).toBe(201);
      let watch: { status: number; text: string } | undefined;
      let list: { status: number; text: string } | undefined;
      await etcd.restart({
        whileDown: async () => {
          list = await httpRequest(`${url}${base}?limit=5`);
          watch = await httpRequest(`${url}${base}?watch=1`);
        },
      });
      expect(list?.status, list?.text).toBe(503);
      expect(watch?.status, watch?.text).toBe(503);
      expect(JSON.parse(watch!.text)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    } finally {
      await cleanup.run();
    }
  }, 60_000);

  it('a stored value that does not decode is a 500 for get and list, and an ERROR event for a watch', async () => {
    const cleanup = new Cleanup();
    try {
      const ts = await startTestServer(cleanup, { store: 'etcd' });
      const url = ts.server.url;
      expect((await httpRequest(url + base, { method: 'POST', body: cm('good') })).status).toBe(201);
      const rv = ((await httpRequest(url + base)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const live = await openWireWatch(cleanup, url, `${base}?watch=1&resourceVersion=${rv}`);

      const { endpoints, prefix } = EtcdStore.parseUrl(ts.storeUrl);
      const etcd = new Etcd3({ hosts: endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)) });
      cleanup.defer(() => etcd.close(), 'etcd client');
      await etcd.put(`${prefix ?? ''}/registry/core/configmaps/default/bad`).value('not json{');

      await waitFor(() => live.ended(), { timeoutMs: 10_000, message: `the watch ended; events ${JSON.stringify(live.events)}` });
      expect(live.events.at(-1)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'InternalError', code: 500 } });
      const get = await httpRequest(`${url}${base}/bad`);
      expect(get.status, get.text).toBe(500);
      expect(get.json).toMatchObject({ kind: 'Status', reason: 'InternalError' });
      const list = await httpRequest(url + base);
      expect(list.status, list.text).toBe(500);
      // Another object of the namespace is still served.
      expect((await httpRequest(`${url}${base}/good`)).status).toBe(200);
    } finally {
      await cleanup.run();
    }
  }, 60_000);
});
