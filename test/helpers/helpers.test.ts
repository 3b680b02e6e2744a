// The helpers' own contracts: cleanup order, deadlines, process-group cleanup that also
// reaps grandchildren (a server's children must not outlive a failed test), and the store
// choice of test servers (sqlite or a prefix on the file's etcd).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup.js';
import { isProcessAlive, runCommand, spawnNode } from './process.js';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait.js';
import { etcdAvailable } from './etcd.js';
import { httpRequest } from './http.js';
import { defaultTestStore, restartTestServer, setDefaultTestStore, sharedTestEtcd, startTestServer } from './server.js';

describe('Cleanup', () => {
  it('runs actions newest first, all of them, and rethrows the first failure', async () => {
    const c = new Cleanup();
    const order: number[] = [];
    c.defer(() => void order.push(1));
    c.defer(() => {
      order.push(2);
      throw new Error('boom');
    });
    c.defer(async () => void order.push(3));
    await expect(c.run()).rejects.toThrow(/boom/);
    expect(order).toEqual([3, 2, 1]);
    await c.run(); // nothing left
  });

  it('removes temp dirs', async () => {
    const c = new Cleanup();
    const dir = makeTempDir(c, 'helpers');
    expect(existsSync(dir)).toBe(true);
    await c.run();
    expect(existsSync(dir)).toBe(false);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value and names what it waited for on timeout', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 50, message: 'the impossible' })).rejects.toThrow(/the impossible/);
  });
});

describe('process groups', () => {
  it('stop() kills the child and its grandchild', async () => {
    const c = new Cleanup();
    try {
      // The child spawns a grandchild in the same process group and prints its pid.
      const script = `
        const { spawn } = require('node:child_process');
        const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        console.log('grandchild ' + g.pid);
        process.on('SIGTERM', () => {}); // ignore SIGTERM: the helper must escalate to SIGKILL
        setInterval(() => {}, 1000);
      `;
      const p = spawnNode(c, ['-e', script]);
      const m = await waitFor(() => /grandchild (\d+)/.exec(p.output()) ?? undefined, { message: 'grandchild pid' });
      const grandchild = Number(m[1]);
      expect(isProcessAlive(p.pid)).toBe(true);
      expect(isProcessAlive(grandchild)).toBe(true);
      await p.stop(300);
      expect(isProcessAlive(p.pid)).toBe(false);
      await waitFor(() => !isProcessAlive(grandchild), { message: 'grandchild to die' });
    } finally {
      await c.run();
    }
  });
});

describe('runCommand', () => {
  // A child that exits before reading its input (a server refusing to start) makes the write of
  // that input fail with EPIPE; that must not surface as an uncaught error in the test worker.
  it('gives the exit code of a child that exits without reading its input', async () => {
    const input = 'x'.repeat(4 << 20);
    for (let i = 0; i < 5; i++) {
      const run = await runCommand(process.execPath, ['-e', 'process.exit(3)'], { input, timeoutMs: 10_000 });
      expect(run.code).toBe(3);
    }
    await new Promise((r) => setTimeout(r, 50));
  });
});

describe('test servers on either store', () => {
  it('defaults to sqlite, and the file default overrides the environment', () => {
    const saved = process.env['EVERYNODE_TEST_STORE'];
    try {
      delete process.env['EVERYNODE_TEST_STORE'];
      expect(defaultTestStore()).toBe('sqlite');
      process.env['EVERYNODE_TEST_STORE'] = 'etcd';
      expect(defaultTestStore()).toBe('etcd');
      setDefaultTestStore('sqlite');
      expect(defaultTestStore()).toBe('sqlite');
      process.env['EVERYNODE_TEST_STORE'] = 'mysql';
      setDefaultTestStore(undefined);
      expect(() => defaultTestStore()).toThrow(/want sqlite or etcd/);
    } finally {
      setDefaultTestStore(undefined);
      if (saved === undefined) delete process.env['EVERYNODE_TEST_STORE'];
      else process.env['EVERYNODE_TEST_STORE'] = saved;
    }
  });

  it.skipIf(!etcdAvailable())('etcd: a prefix per server, one etcd per owner cleanup, restart keeps the store', async () => {
    const c = new Cleanup();
    try {
      const a = await startTestServer(c, { store: 'etcd' });
      const b = await startTestServer(c, { store: 'etcd' });
      expect(a.storeUrl).toMatch(/^etcd:\/\/127\.0\.0\.1:\d+\?prefix=\/t-[0-9a-f]+$/);
      expect(b.storeUrl.split('?')[0]).toBe(a.storeUrl.split('?')[0]);
      expect(b.storeUrl).not.toBe(a.storeUrl);
      const create = await httpRequest(`${a.server.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } }),
      });
      expect(create.status).toBe(201);
      // Servers on other prefixes do not see it; the restarted server (same prefix) does.
      expect((await httpRequest(`${b.server.url}/api/v1/namespaces/default/configmaps/kept`)).status).toBe(404);
      const a2 = await restartTestServer(c, a);
      expect(a2.storeUrl).toBe(a.storeUrl);
      expect(a2.server.port).toBe(a.server.port);
      expect((await httpRequest(`${a2.server.url}/api/v1/namespaces/default/configmaps/kept`)).status).toBe(200);
      const etcd = await sharedTestEtcd(c);
      await c.run();
      // The owner's cleanup stopped the file's etcd; the next caller gets a new one.
      expect(existsSync(etcd.dataDir)).toBe(false);
      const next = await sharedTestEtcd(c);
      expect(next).not.toBe(etcd);
    } finally {
      await c.run();
    }
  });
});
