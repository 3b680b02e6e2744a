// `everynode up`: its options are checked before anything starts, and Ctrl-C stops the
// controllers before the agents stop their pods (no replacement pods are created).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { ensurePki, issueClientCert, storeNodeIdentity } from '../auth/index.js';
import { dashboardToken, newDashboardToken, runAgent, runtimeHandlersFromFlag, runUp, startOrStopUp, stopUp, type UpParts } from './agent.js';

describe('everynode up', () => {
  it('keeps the dashboard sign-in token in the data dir (0600); a deleted or malformed file gives a new one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'up-dash-token-'));
    try {
      const t = dashboardToken(dir);
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(dashboardToken(dir)).toBe(t);
      expect(statSync(join(dir, 'dashboard-token')).mode & 0o777).toBe(0o600);
      writeFileSync(join(dir, 'dashboard-token'), 'short\n');
      const u = dashboardToken(dir);
      expect(u).not.toBe(t);
      expect(readFileSync(join(dir, 'dashboard-token'), 'utf8').trim()).toBe(u);
      rmSync(join(dir, 'dashboard-token'));
      const v = dashboardToken(dir);
      expect(v).not.toBe(u);
      // Replaced (the usual port was taken): the new one is kept from then on.
      const w = newDashboardToken(dir);
      expect(w).not.toBe(v);
      expect(dashboardToken(dir)).toBe(w);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad --hollow-nodes, --dashboard, --cluster-dns, --cluster-domain or --runtime-handlers before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'up-flags-'));
    try {
      const dataDir = join(dir, 'data');
      await expect(runUp(['--data-dir', dataDir, '--hollow-nodes', 'x'])).rejects.toThrow('up: invalid --hollow-nodes "x": want a count >= 0');
      await expect(runUp(['--data-dir', dataDir, '--hollow-nodes', ''])).rejects.toThrow('invalid --hollow-nodes');
      await expect(runUp(['--data-dir', dataDir, '--dashboard', 'nowhere'])).rejects.toThrow('up: invalid --dashboard "nowhere": want HOST:PORT or off');
      // Not a loopback address: refused by the dashboard's own rule, before the server starts.
      await expect(runUp(['--data-dir', dataDir, '--dashboard', '0.0.0.0:8001'])).rejects.toThrow(/^up: invalid --dashboard "0\.0\.0\.0:8001": refusing to listen on 0\.0\.0\.0: .*loopback address only$/);
      await expect(runUp(['--data-dir', dataDir, '--dashboard', '[::]:8001'])).rejects.toThrow('refusing to listen on ::');
      // A port out of range is refused before the start too (it failed after the agents had started, and up hung).
      await expect(runUp(['--data-dir', dataDir, '--dashboard', '[::1]:99999'])).rejects.toThrow('port must be 0 to 65535, got 99999');
      await expect(runUp(['--data-dir', dataDir, '--dashboard', 'off', '--cluster-dns', '127.0.0.1'])).rejects.toThrow('up: invalid --cluster-dns "127.0.0.1": want HOST:PORT or off');
      await expect(runUp(['--data-dir', dataDir, '--dashboard', 'off', '--cluster-dns', '127.0.0.1:70000'])).rejects.toThrow('invalid --cluster-dns');
      await expect(runUp(['--data-dir', dataDir, '--dashboard', 'off', '--cluster-domain', 'bad_domain'])).rejects.toThrow('up: invalid --cluster-domain "bad_domain": want a DNS name such as cluster.local');
      await expect(runUp(['--data-dir', dataDir, '--dashboard', 'off', '--runtime-handlers', 'runc,Kata_QEMU'])).rejects.toThrow('up: invalid --runtime-handlers "runc,Kata_QEMU": "Kata_QEMU" is not a RuntimeClass handler name (a DNS label)');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says it is not ready, then stops the controllers, then the agents with their pods, then the server', async () => {
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`${name} done`);
    };
    await stopUp({
      server: { controllerManager: { stop: step('controllers') }, beginShutdown: () => void order.push('not ready'), close: step('server') },
      agents: [1, 2].map((i) => ({ stop: async (o: { stopPods: boolean }) => step(`agent-${i} stopPods=${o.stopPods}`)() })),
      rotations: [{ stop: () => void order.push('rotation') }],
      hollow: { stop: step('hollow') },
      dashboard: { close: step('dashboard') },
      dashboardTransport: { destroy: () => void order.push('dashboard transport') },
    });
    expect(order).toEqual([
      'not ready',
      'dashboard start', 'dashboard done', 'dashboard transport',
      'controllers start', 'controllers done',
      'rotation',
      'agent-1 stopPods=true start', 'agent-2 stopPods=true start', 'agent-1 stopPods=true done', 'agent-2 stopPods=true done',
      'hollow start', 'hollow done',
      'server start', 'server done',
    ]);
  });

  it('a startup failure stops what had started (the controllers release their lease) and is rethrown', async () => {
    const order: string[] = [];
    const parts: UpParts = { server: { controllerManager: { stop: async () => void order.push('controllers') }, beginShutdown: () => undefined, close: async () => void order.push('server') }, agents: [], rotations: [] };
    const failed = startOrStopUp(parts, async () => {
      parts.agents.push({ stop: async (o) => void order.push(`agent stopPods=${o.stopPods}`) });
      parts.rotations.push({ stop: () => void order.push('rotation') });
      throw new Error('dashboard: 127.0.0.1 resolved to 10.0.0.1, not a loopback address');
    }, silentLogger);
    await expect(failed).rejects.toThrow('not a loopback address');
    expect(order).toEqual(['controllers', 'rotation', 'agent stopPods=true', 'server']);
  });
});

describe('everynode up --dashboard', () => {
  it('an address given on the command line that is taken is an error (only the default falls back to a free port)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'up-dash-'));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(runUp(['--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--nodes', '0', '--cluster-dns', 'off', '--dashboard', `127.0.0.1:${port}`])).rejects.toThrow(/EADDRINUSE/);
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('--runtime-handlers', () => {
  it('takes comma-separated handler names, blanks ignored', () => {
    expect(runtimeHandlersFromFlag('agent', undefined)).toEqual([]);
    expect(runtimeHandlersFromFlag('agent', ' runc, process ,,')).toEqual(['runc', 'process']);
    expect(() => runtimeHandlersFromFlag('agent', 'a b')).toThrow('agent: invalid --runtime-handlers "a b": "a b" is not a RuntimeClass handler name (a DNS label)');
  });
});

describe('everynode agent', () => {
  it('started under another --name than its data dir joined as, says so instead of asking for a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-name-'));
    try {
      const pki = await ensurePki(join(dir, 'server'));
      const client = await issueClientCert(pki, { commonName: 'system:node:alpha', organizations: ['system:nodes'], days: 1 });
      const agentDir = join(dir, 'agent');
      storeNodeIdentity(agentDir, { ...client, caPem: pki.caCertPem, servingCertPem: client.certPem, servingKeyPem: client.keyPem });
      await expect(runAgent(['--data-dir', agentDir, '--name', 'beta'])).rejects.toThrow(
        `agent: ${agentDir} holds the identity of node "alpha", not "beta": run with --name alpha, or join as beta with --server URL --token TOKEN`,
      );
      await expect(runAgent(['--data-dir', join(dir, 'empty'), '--name', 'beta'])).rejects.toThrow('agent: --server URL --token TOKEN (or --kubeconfig FILE) is required');
      // A name the API server would refuse is refused before anything starts.
      await expect(runAgent(['--data-dir', join(dir, 'empty'), '--name', 'Bad_Name'])).rejects.toThrow(/^agent: invalid node name "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
      // So is a node IP that is no address (it used to fail later as a DNS lookup).
      await expect(runAgent(['--data-dir', join(dir, 'empty'), '--name', 'beta', '--node-ip', 'notanip'])).rejects.toThrow('agent: invalid --node-ip "notanip": want an IPv4 or IPv6 address');
      // Labels NodeRestriction refuses to a node are refused before anything starts.
      await expect(runAgent(['--data-dir', join(dir, 'empty'), '--name', 'beta', '--labels', 'node-role.kubernetes.io/worker=,zone=a,node.kubernetes.io/pool=x'])).rejects.toThrow(
        'agent: --labels node-role.kubernetes.io/worker: a node may not set these labels on its own Node (NodeRestriction); an admin sets them with `kubectl label node beta KEY=VALUE`',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
