// A real etcd for tests: `startEtcd()` spawns the `etcd` binary (Debian package `etcd-server`)
// on free loopback ports with a temporary data dir, detached in its own process group, and
// resolves once it answers /health. `stop()` kills the group and removes the data dir.
//
// Invariants: every etcd started here is killed (SIGKILL to its group) when the test process
// exits, even if a test forgot stop(); ports are asked from the OS (bind 127.0.0.1:0), never
// fixed. Where the binary is missing, `etcdAvailable()` is false and `etcdSkipReason` names the
// package to install, so tests can `describe.skipIf(!etcdAvailable())` and print why.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, trackProcessGroup, untrackProcessGroup } from './process.js';
import { sleep } from './wait.js';

/** The etcd binary: $ETCD_BIN, else `etcd` on PATH. */
export const etcdBin = process.env['ETCD_BIN'] ?? 'etcd';

export const etcdSkipReason = `etcd binary ${JSON.stringify(etcdBin)} not found: install the Debian package etcd-server (apt-get install etcd-server) to run the etcd tests`;

let available: boolean | undefined;

/** True when the etcd binary runs (`etcd --version`). Cached. */
export function etcdAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(etcdBin, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    available = r.status === 0;
    if (!available) console.warn(`[skip] ${etcdSkipReason}`);
  }
  return available;
}

export interface EtcdProcess {
  /** Client endpoint, `127.0.0.1:PORT` (what `etcd://` store URLs and the etcd3 client take). */
  endpoint: string;
  /** The data directory (kept across restart(), removed by stop()). */
  dataDir: string;
  /**
   * SIGKILLs etcd (no graceful shutdown), runs `whileDown` (if given) while nothing listens,
   * and starts it again on the same ports and data.
   */
  restart(opts?: { whileDown?: () => Promise<void> }): Promise<void>;
  /** SIGKILLs the process group and removes the data dir. Idempotent. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function healthy(clientPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: clientPort, path: '/health', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  // Wait for Node to reap the child (no zombie left behind), bounded.
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + 10_000;
  await Promise.race([exited, new Promise<void>((res) => setTimeout(res, 10_000).unref())]);
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(20);
  untrackProcessGroup(pid);
}

/** Starts a single-member etcd on free loopback ports; see the file comment. */
export async function startEtcd(opts: { timeoutMs?: number } = {}): Promise<EtcdProcess> {
  if (!etcdAvailable()) throw new Error(etcdSkipReason);
  const dataDir = mkdtempSync(join(tmpdir(), 'everynode-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'test',
    '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `test=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ];

  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    output = '';
    const c = spawn(etcdBin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (c.pid === undefined) throw new Error(`failed to spawn ${etcdBin}`);
    child = c;
    trackProcessGroup(c.pid);
    const keep = (d: string): void => {
      output = (output + d).slice(-20_000);
    };
    c.stdout?.setEncoding('utf8').on('data', keep);
    c.stderr?.setEncoding('utf8').on('data', keep);
    let exited: string | undefined;
    c.once('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (exited) throw new Error(`etcd exited (${exited}) before answering; output:\n${output}`);
      if (await healthy(clientPort)) return;
      if (Date.now() > deadline) {
        await killGroup(c);
        throw new Error(`etcd on ${clientUrl} did not answer /health in time; output:\n${output}`);
      }
      await sleep(50);
    }
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  return {
    endpoint: `127.0.0.1:${clientPort}`,
    dataDir,
    async restart(r = {}) {
      if (stopped) throw new Error('etcd was stopped');
      if (child) await killGroup(child);
      try {
        await r.whileDown?.();
      } finally {
        await launch();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child) await killGroup(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
