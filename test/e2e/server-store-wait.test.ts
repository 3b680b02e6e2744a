// `everynode server --store etcd://...` started before its etcd answers (a supervisor starting
// both at once): the server waits (`--store-wait`, default 60 s), says so, and starts once etcd
// answers; with `--store-wait 0` it fails at once, naming the endpoint and the cause.
//
// Real processes: an etcd this file starts, killed while the servers start (EtcdProcess.restart
// keeps its ports), and the built `everynode` binary. Skipped, saying why, without etcd.

import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { etcdAvailable, etcdSkipReason, startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { everynodeBin, spawnNode } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { clientFromKubeconfig, nodesResource } from '../../src/client/index.js';

const haveEtcd = etcdAvailable();
const listening = /everynode server listening on (\S+) \(kubeconfig: ([^)]+)\)/;

describe.skipIf(!haveEtcd)('server start before its etcd answers', () => {
  const cleanup = new Cleanup();
  let etcd: EtcdProcess | undefined;
  afterAll(async () => {
    await cleanup.run();
    await etcd?.stop();
  });

  it('waits for etcd and starts once it answers; --store-wait 0 fails at once', async () => {
    etcd = await startEtcd();
    const storeUrl = `etcd://${etcd.endpoint}?prefix=/store-wait-${process.pid}`;
    const waiting = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'store-wait-'), '--listen', '127.0.0.1:0', '--store', storeUrl, '--store-wait', '40s']);
    let refused = '';
    let refusedExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    await etcd.restart({
      whileDown: async () => {
        // Nothing listens on the endpoint now: the first server must say it waits, not exit.
        await waitFor(() => (/waiting for the store \(up to 40 s in all\): .*ECONNREFUSED/.test(waiting.output()) ? true : undefined), {
          timeoutMs: 20_000,
          message: `"waiting for the store" from the server; output:\n${waiting.output()}`,
        });
        const started = Date.now();
        const failing = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'store-wait-0-'), '--listen', '127.0.0.1:0', '--store', storeUrl, '--store-wait', '0']);
        refusedExit = await failing.exited;
        refused = failing.output();
        // It gave up without waiting (the Node process start itself takes a second or two).
        expect(Date.now() - started).toBeLessThan(15_000);
      },
    });
    expect(refusedExit?.code).not.toBe(0);
    expect(refused).toContain(etcd.endpoint);
    expect(refused).toMatch(/ECONNREFUSED/);
    expect(refused).not.toMatch(/waiting for the store/);

    // etcd is back: the waiting server starts and serves.
    const m = await waitFor(() => listening.exec(waiting.output()) ?? undefined, { timeoutMs: 40_000, message: `the waiting server to listen; output:\n${waiting.output()}` });
    expect(waiting.output()).toMatch(/store reachable after \d+\.\d s/);
    const { client, transport } = clientFromKubeconfig((m[2] ?? '').trim());
    cleanup.defer(() => transport.destroy(), 'transport');
    const list = await client.list(nodesResource);
    expect(list.items).toEqual([]);
  }, 120_000);

  it('rejects a malformed --store-wait before starting anything', async () => {
    const p = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'store-wait-bad-'), '--store', 'etcd://127.0.0.1:1', '--store-wait', 'soon']);
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(p.output()).toContain('invalid --store-wait "soon": want e.g. 30s, 5m or 0');
  }, 30_000);
});

if (!haveEtcd) {
  describe('server start before its etcd answers', () => {
    it.skip(etcdSkipReason, () => undefined);
  });
}
