// FailoverTransport + RestClient + Informer over two real HTTPS servers that share one store
// (as two `everynode server`s share etcd): when the server in use hangs (SIGSTOP: no answer, no
// RST), the request that times out there marks it failed, which ends the informer's watch on it
// at once, so the informer watches again, on the other server, from its last resourceVersion,
// and sees an object created there within seconds, not after the 180 s watch idle timeout.

import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { ensurePki } from '../auth/pki.js';
import { FailoverTransport, ServerFailedError } from './failover-transport.js';
import { Informer } from './informer.js';
import type { ResourceDescriptor } from './resources.js';
import { RestClient } from './rest-client.js';

const configMaps: ResourceDescriptor = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const NS = 'default';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The shared state: config maps with resourceVersions, and the watches to tell about new ones. */
class Store {
  rv = 1;
  readonly items: KubeObject[] = [];
  private readonly watchers = new Set<(o: KubeObject) => void>();

  add(name: string): KubeObject {
    const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, resourceVersion: String(++this.rv) } };
    this.items.push(o);
    for (const w of this.watchers) w(o);
    return o;
  }

  watch(fromRv: number, send: (o: KubeObject) => void): () => void {
    for (const o of this.items) if (Number(o.metadata.resourceVersion) > fromRv) send(o);
    this.watchers.add(send);
    return () => this.watchers.delete(send);
  }
}

interface FakeServer {
  url: string;
  hits: string[];
  /** Stop answering, as a SIGSTOPped process: no new answers, no watch events, no RST. */
  hang(): void;
  openWatches(): number;
}

async function fakeApiServer(store: Store, tls: https.ServerOptions): Promise<FakeServer> {
  let hung = false;
  let openWatches = 0;
  const hits: string[] = [];
  const srv = https.createServer(tls, (req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (hung) return;
    const url = new URL(req.url ?? '/', 'https://x');
    if (req.method === 'GET' && url.pathname === `/api/v1/namespaces/${NS}/configmaps`) {
      if (url.searchParams.get('watch') === 'true') {
        openWatches++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const unwatch = store.watch(Number(url.searchParams.get('resourceVersion') ?? '0'), (o) => {
          if (!hung) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
        });
        res.on('close', () => {
          openWatches--;
          unwatch();
        });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(store.rv) }, items: store.items }));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        srv.close(() => r());
        srv.closeAllConnections();
      }),
  );
  return { url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits, hang: () => (hung = true), openWatches: () => openWatches };
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FailoverTransport under an informer, over HTTPS', () => {
  it('moves the informer watch to the other server as soon as a request marks the hung one failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'everynode-failover-watch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pki = await ensurePki(dir);
    const store = new Store();
    const a = await fakeApiServer(store, pki.tlsOptions);
    const b = await fakeApiServer(store, pki.tlsOptions);

    const failovers: Array<{ from: string; to: string; at: number }> = [];
    const transport = new FailoverTransport({
      servers: [a.url, b.url],
      ca: pki.caCertPem,
      requestTimeoutMs: 1000,
      onFailover: (from, to) => failovers.push({ from, to, at: Date.now() }),
    });
    cleanups.push(() => transport.destroy());
    // The default watch idle timeout (180 s): the fix must not rely on it.
    const client = new RestClient(transport.request);
    const errors: unknown[] = [];
    const seen = new Map<string, number>();
    const informer = new Informer<KubeObject>(client, configMaps, { namespace: NS, backoffInitialMs: 100, backoffMaxMs: 500, onError: (e) => errors.push(e) });
    informer.addEventHandler({ add: (o) => seen.set(o.metadata.name ?? '', Date.now()) });
    informer.start();
    cleanups.push(() => informer.stop());
    await informer.waitForSync();

    store.add('before');
    await waitUntil(() => seen.has('before'), 5000, 'the informer to see "before" through a');
    expect(a.openWatches()).toBe(1);
    expect(b.hits).toEqual([]);

    a.hang();
    // Some request times out on a (1 s) and is retried on b; a is marked failed.
    const list = await client.list(configMaps, { namespace: NS });
    expect(list.items.map((o) => o.metadata.name)).toEqual(['before']);
    expect(failovers.map((f) => `${f.from} -> ${f.to}`)).toEqual([`${a.url} -> ${b.url}`]);
    const failedAt = failovers[0]!.at;

    // The watch on a was ended with it (its connection closed), and the informer watches again
    // on b from the resourceVersion of "before": no relist.
    await waitUntil(() => a.openWatches() === 0, 2000, 'the watch connection to a to close');
    await waitUntil(() => b.openWatches() === 1, 3000, 'the informer to watch through b');
    expect(b.hits.filter((h) => h.includes('watch=true'))[0]).toContain(`resourceVersion=${store.items[0]!.metadata.resourceVersion}`);
    expect(b.hits.filter((h) => !h.includes('watch=true'))).toHaveLength(1); // the retried list, no informer relist

    const created = Date.now();
    store.add('after'); // as if created through b
    await waitUntil(() => seen.has('after'), 3000, 'the informer to see "after" through b');
    expect(seen.get('after')! - created).toBeLessThan(1000);
    expect(Date.now() - failedAt).toBeLessThan(5000);
    // What the informer reported: its watch ended by the failover (a connection error).
    expect(errors.some((e) => e instanceof ServerFailedError)).toBe(true);
    expect(transport.currentServer).toBe(b.url);
    expect(informer.lister.list().map((o) => o.metadata.name).sort()).toEqual(['after', 'before']);
  });
});
