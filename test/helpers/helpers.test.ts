// The helpers' own contracts: cleanup order, deadlines, and process-group cleanup that also
// reaps grandchildren (a server's children must not outlive a failed test).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup.js';
import { isProcessAlive, spawnNode } from './process.js';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait.js';

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
