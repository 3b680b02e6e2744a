// A client with several API servers (FailoverTransport): two real servers on one etcd prefix;
// the client sticks to server 1, and when server 1 stops, reads, writes and a running informer
// keep working through server 2 (the informer re-watches from its last resourceVersion there,
// so it sees every later write exactly once and loses nothing written before).
//
// Credentials come from the kubeconfig server 1 wrote; both servers accept them: they share
// the objects through etcd and the data dir (CA, serving certificate, tokens), as the servers
// of one cluster do.
// Without the `etcd` binary the file is skipped with a message naming the `etcd-server` package.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { FailoverTransport, Informer, RestClient, loadKubeconfig, type ResourceDescriptor } from '../../src/client/index.js';
import { Cleanup, etcdAvailable, etcdSkipReason, freshEtcdStoreUrl, makeTempDir, sharedTestEtcd, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const haveEtcd = etcdAvailable();
const NS = 'default';
const configMaps: ResourceDescriptor = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
type ConfigMap = KubeObject & { data?: Record<string, string> };
const cm = (name: string, v: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v } });

if (!haveEtcd) {
  describe('a client with two API servers on one etcd', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}

describe.skipIf(!haveEtcd)('a client with two API servers on one etcd', () => {
  const cleanup = new Cleanup();
  let servers: TestServer[] = [];
  let transport: FailoverTransport;
  let client: RestClient;
  const failovers: string[] = [];

  beforeAll(async () => {
    await sharedTestEtcd(cleanup);
    const storeUrl = await freshEtcdStoreUrl(cleanup);
    const dataDir = makeTempDir(cleanup, 'failover-shared');
    servers = [await startTestServer(cleanup, { storeUrl, dataDir }), await startTestServer(cleanup, { storeUrl, dataDir })];
    const cfg = loadKubeconfig(servers[0]!.server.kubeconfigPath);
    transport = new FailoverTransport({ ...cfg, servers: servers.map((s) => s.server.url), requestTimeoutMs: 10_000, onFailover: (from, to) => failovers.push(`${from} -> ${to}`) });
    cleanup.defer(async () => transport.destroy(), 'failover transport');
    client = new RestClient(transport.request);
  });
  afterAll(() => cleanup.run());

  it('keeps reads, writes and an informer working when the server in use stops', async () => {
    const [s1, s2] = [servers[0]!.server.url, servers[1]!.server.url];
    for (let i = 0; i < 3; i++) await client.create(configMaps, NS, cm(`before-${i}`, 'x'));
    expect(transport.currentServer).toBe(s1);

    const seen: Array<{ type: string; name: string; rv: string }> = [];
    const informer = new Informer<KubeObject>(client, configMaps, { namespace: NS, backoffInitialMs: 100, backoffMaxMs: 500 });
    const record = (type: string) => (o: KubeObject) => seen.push({ type, name: o.metadata.name ?? '', rv: o.metadata.resourceVersion ?? '' });
    informer.addEventHandler({ add: record('ADDED'), update: (_a, b) => record('MODIFIED')(b), delete: (o) => record('DELETED')('obj' in o && 'key' in o ? (o as { obj: KubeObject }).obj : (o as KubeObject)) });
    informer.start();
    cleanup.defer(() => informer.stop(), 'informer');
    await informer.waitForSync();
    await client.create(configMaps, NS, cm('watched-on-1', 'x'));
    await waitFor(() => seen.some((e) => e.name === 'watched-on-1'), { message: 'the informer to see watched-on-1 through server 1' });

    await servers[0]!.close();

    // A read after the stop (possibly on a kept-alive socket the stop just closed) is retried
    // on server 2, which the client then sticks to.
    expect((await client.list(configMaps, { namespace: NS })).items).toHaveLength(4);
    expect(transport.currentServer).toBe(s2);
    expect(failovers).toEqual([`${s1} -> ${s2}`]);
    // A write to a server that refuses the connection (nothing was sent) is retried elsewhere:
    // a fresh client that still lists server 1 first.
    const fresh = new FailoverTransport({ ...loadKubeconfig(servers[1]!.server.kubeconfigPath), servers: [s1, s2] });
    cleanup.defer(async () => fresh.destroy(), 'second failover transport');
    const created = await new RestClient(fresh.request).create(configMaps, NS, cm('after-0', 'y'));
    expect(fresh.currentServer).toBe(s2);
    const updated = await client.update(configMaps, NS, { ...created, data: { v: 'z' } });
    await client.create(configMaps, NS, cm('after-1', 'y'));
    await client.delete(configMaps, NS, 'before-0');
    const list = await client.list<ConfigMap>(configMaps, { namespace: NS });
    expect(list.items.map((c) => c.metadata.name).sort()).toEqual(['after-0', 'after-1', 'before-1', 'before-2', 'watched-on-1']);
    expect((await client.get<ConfigMap>(configMaps, NS, 'after-0')).data).toEqual({ v: 'z' });

    // The informer re-established its watch on server 2 from its last resourceVersion.
    await waitFor(() => seen.some((e) => e.type === 'DELETED' && e.name === 'before-0') && seen.some((e) => e.name === 'after-1'), {
      message: `the informer to follow writes made through server 2; seen ${JSON.stringify(seen)}`,
    });
    await waitFor(() => informer.lister.list().length === 5, { message: 'the informer cache to hold the 5 live config maps' });
    expect(
      informer.lister
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['after-0', 'after-1', 'before-1', 'before-2', 'watched-on-1']);
    const afterStop = seen.filter((e) => e.name.startsWith('after-'));
    expect(afterStop.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED after-0', 'MODIFIED after-0', 'ADDED after-1']);
    expect(afterStop[1]!.rv).toBe(updated.metadata.resourceVersion);
    // Nothing written before the stop came back as new: the watch resumed, no relist replayed it.
    expect(seen.filter((e) => e.type === 'ADDED' && e.name.startsWith('before-'))).toHaveLength(3);
  });
});
