// `everynode server --store etcd://...` (and `everynode up --store`) as real processes (the built
// dist/, as npm test builds it): two servers with their own data dirs and ports on one etcd
// prefix serve the same objects, each writes its kubeconfig into its own data dir, `up` joins
// the same prefix, and a bad --store value is a usage error.
//
// Without the `etcd` binary the etcd cases are skipped with a message naming `etcd-server`.

import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  clusterDataDirs,
  credentialsFromKubeconfig,
  registerServer,
  etcdAvailable,
  etcdSkipReason,
  everynodeBin,
  freshEtcdStoreUrl,
  httpRequest,
  makeTempDir,
  openWireWatch,
  sharedTestEtcd,
  spawnNode,
  startServerProcess,
  waitFor,
  type ServerProcess,
} from '../helpers/index.js';

const haveEtcd = etcdAvailable();

if (!haveEtcd) {
  describe('everynode server --store etcd', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}

describe.skipIf(!haveEtcd)('everynode server --store etcd', () => {
  const cleanup = new Cleanup();
  let storeUrl = '';
  const procs: ServerProcess[] = [];
  const dirs: string[] = [];
  let upDir = '';

  beforeAll(async () => {
    await sharedTestEtcd(cleanup);
    storeUrl = await freshEtcdStoreUrl(cleanup);
    // Servers of one cluster share the CA, the Secrets key and the tokens (copied files).
    const all = await clusterDataDirs(cleanup, 3);
    dirs.push(all[0]!, all[1]!);
    upDir = all[2]!;
    procs.push(...(await Promise.all(dirs.map((dataDir) => startServerProcess(cleanup, { dataDir, extraArgs: ['--store', storeUrl] })))));
  });
  afterAll(() => cleanup.run());

  it('runs both servers, each with its kubeconfig in its data dir and no state.db there', () => {
    for (const [i, p] of procs.entries()) {
      expect(p.kubeconfigPath).toBe(join(dirs[i]!, 'kubeconfig.yaml'));
      expect(existsSync(p.kubeconfigPath)).toBe(true);
      expect(existsSync(join(dirs[i]!, 'state.db'))).toBe(false);
    }
    expect(procs[0]!.port).not.toBe(procs[1]!.port);
  });

  it('serves through server 2 what was written through server 1, including its watch', async () => {
    const [a, b] = [procs[0]!.url, procs[1]!.url];
    const ns = await httpRequest(`${a}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cli' } }) });
    expect(ns.status, ns.text).toBe(201);
    const list = await httpRequest(`${b}/api/v1/namespaces/cli/configmaps`);
    expect(list.status, list.text).toBe(200);
    const rv = (list.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const w = await openWireWatch(cleanup, b, `/api/v1/namespaces/cli/configmaps?watch=true&resourceVersion=${rv}`);
    const c = await httpRequest(`${a}/api/v1/namespaces/cli/configmaps`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: 'v' } }) });
    expect(c.status, c.text).toBe(201);
    const got = await httpRequest(`${b}/api/v1/namespaces/cli/configmaps/x`);
    expect(got.status).toBe(200);
    expect((got.json as { data: Record<string, string> }).data).toEqual({ k: 'v' });
    await waitFor(() => w.events.find((e) => e.type === 'ADDED' && e.object.metadata?.name === 'x'), { message: 'ADDED x through server 2' });
    w.stop();
  });

  it('refuses a server whose data dir is not the cluster\'s: a fresh one, another cluster\'s, or one without the cluster\'s Secrets key (even while no Secret exists)', async () => {
    const fresh = makeTempDir(cleanup, 'multi-cli-fresh');
    const otherCluster = (await clusterDataDirs(cleanup, 1))[0]!;
    // The cluster's files, but its Secrets key left out, or replaced by another cluster's.
    const noKey = makeTempDir(cleanup, 'multi-cli-nokey');
    const otherKey = makeTempDir(cleanup, 'multi-cli-otherkey');
    for (const d of [noKey, otherKey]) for (const f of ['tls', 'tokens.json', 'kubeconfig.yaml']) cpSync(join(dirs[0]!, f), join(d, f), { recursive: true });
    cpSync(join(otherCluster, 'secrets-encryption.key'), join(otherKey, 'secrets-encryption.key'));
    const copyAll = "a server joining a cluster on a shared store needs the files of an existing server's data dir\\. Copy tls\\/, secrets-encryption\\.key, tokens\\.json and kubeconfig\\.yaml from one of its servers into ";
    const cases: [string, RegExp][] = [
      [fresh, new RegExp(`the store already holds a cluster, and \\S+ has no secrets-encryption\\.key: ${copyAll}`)],
      [otherCluster, /cannot decrypt \/everynode\/secrets-encryption-check.* check the encryption key file \S+ \(servers of one cluster must share it\)/],
      [noKey, new RegExp(`has no secrets-encryption\\.key: ${copyAll}`)],
      [otherKey, /cannot decrypt \/everynode\/secrets-encryption-check/],
    ];
    for (const [dataDir, message] of cases) {
      const p = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--store', storeUrl]);
      expect((await p.exited).code).toBe(1);
      expect(p.output()).toMatch(message);
      expect(existsSync(join(dataDir, 'secrets-encryption.key')), dataDir).toBe(dataDir === otherCluster || dataDir === otherKey);
    }
    // The first server's admin kubeconfig works on the second (one cluster, one admin token).
    const creds = credentialsFromKubeconfig(procs[0]!.kubeconfigPath);
    expect((await httpRequest(`${procs[1]!.url}/api/v1/namespaces`, { token: creds.token })).status).toBe(200);
  });

  it('everynode up --store joins the same etcd prefix', async () => {
    const dataDir = upDir;
    const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '0', '--store', storeUrl]);
    const m = await waitFor(() => /everynode server listening on (https:\/\/\S+)/.exec(up.output()) ?? undefined, { message: `everynode up listening; output: ${up.output()}`, timeoutMs: 30_000 });
    registerServer(m[1]!, credentialsFromKubeconfig(join(dataDir, 'kubeconfig.yaml')));
    const got = await httpRequest(`${m[1]}/api/v1/namespaces/cli/configmaps/x`);
    expect(got.status, got.text).toBe(200);
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false);
    await up.stop();
  });
});

describe('everynode server --store (usage)', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('rejects a store that is neither sqlite nor etcd://', async () => {
    expect(existsSync(everynodeBin), `${everynodeBin}: run npm run build`).toBe(true);
    const dataDir = makeTempDir(cleanup, 'multi-cli-bad');
    const p = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--store', 'mysql://nope']);
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(p.output()).toMatch(/--store "mysql:\/\/nope": want sqlite or etcd:\/\//);
  });
});
