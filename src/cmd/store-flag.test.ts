import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../auth/index.js';
import { corsAllowedOriginsFromFlag, nodeLifecycleFromFlags, storeWaitMsFromFlag, tlsSansFromFlag, wildcardListenNote } from './store-flag.js';

describe('--store-wait', () => {
  const etcd = 'etcd://127.0.0.1:2379';
  it('reads durations and plain seconds', () => {
    expect(storeWaitMsFromFlag('60s', etcd)).toBe(60_000);
    expect(storeWaitMsFromFlag('1m30s', etcd)).toBe(90_000);
    expect(storeWaitMsFromFlag('500ms', etcd)).toBe(500);
    expect(storeWaitMsFromFlag('2h', etcd)).toBe(7_200_000);
    expect(storeWaitMsFromFlag('45', etcd)).toBe(45_000);
    expect(storeWaitMsFromFlag('0', etcd)).toBe(0);
  });
  it('is 0 for the SQLite store (a local file: nothing to wait for)', () => {
    expect(storeWaitMsFromFlag('60s', undefined)).toBe(0);
  });
  it('refuses anything else, naming the flag', () => {
    for (const bad of ['', 'soon', '10x', '-5s', '1.5s', ' s', '5s10']) {
      expect(() => storeWaitMsFromFlag(bad, etcd), bad).toThrow(/invalid --store-wait/);
    }
  });
});

describe('--cors-allowed-origins', () => {
  it('takes repeated and comma-separated patterns, ignoring empty ones', () => {
    expect(corsAllowedOriginsFromFlag([])).toEqual([]);
    expect(corsAllowedOriginsFromFlag(['^https://a\\.example$, ^http://127\\.0\\.0\\.1(:\\d+)?$', '', '^https://b$'])).toEqual(['^https://a\\.example$', '^http://127\\.0\\.0\\.1(:\\d+)?$', '^https://b$']);
  });
});

describe('--tls-san', () => {
  it('takes DNS names (any case, wildcards) and IP addresses, IPv6 with or without brackets', () => {
    const ok = ['server.example.com', 'Node-1', '*.apps.example.com', '10.0.0.5', '::1', '[fd00::1]'];
    expect(tlsSansFromFlag('server', ok)).toEqual(ok);
  });
  it('refuses what is neither, naming the flag and the value', () => {
    for (const bad of ['https://x', 'a b', '', 'host:6443', '-x', 'a..b']) {
      expect(() => tlsSansFromFlag('up', [bad])).toThrow(`up: invalid --tls-san ${JSON.stringify(bad)}: want a DNS name (e.g. server.example.com) or an IP address`);
    }
  });
});

describe('the note of a server listening on every address', () => {
  it('names what the certificate holds besides loopback, or how to add a name; nothing for one address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wildcard-note-'));
    try {
      const bare = await ensurePki(join(dir, 'a'));
      expect(wildcardListenNote('0.0.0.0:6443', 6443, bare.servingCertPem)).toBe(
        'listening on every address (port 6443): machines elsewhere reach it by a name or IP the serving certificate holds (none yet besides loopback: add one with --tls-san NAME)',
      );
      const named = await ensurePki(join(dir, 'b'), { sans: ['10.0.0.2', 'server.example.com'] });
      expect(wildcardListenNote('[::]:7000', 7000, named.servingCertPem)).toBe(
        'listening on every address (port 7000): machines elsewhere reach it by a name or IP the serving certificate holds (it holds 10.0.0.2, server.example.com; --tls-san NAME adds one)',
      );
      expect(wildcardListenNote('127.0.0.1:6443', 6443, named.servingCertPem)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--node-monitor-grace-period and --node-startup-grace-period', () => {
  it('are the node lifecycle controller\'s grace periods, at least 15s, absent when neither is given', () => {
    expect(nodeLifecycleFromFlags(undefined, undefined)).toBeUndefined();
    expect(nodeLifecycleFromFlags('20s', undefined)).toEqual({ gracePeriodMs: 20_000 });
    expect(nodeLifecycleFromFlags('2m', '1m30s')).toEqual({ gracePeriodMs: 120_000, startupGracePeriodMs: 90_000 });
    expect(nodeLifecycleFromFlags(undefined, '45')).toEqual({ startupGracePeriodMs: 45_000 });
    expect(() => nodeLifecycleFromFlags('10s', undefined)).toThrow('--node-monitor-grace-period 10s: must be at least 15s (agents renew their Lease every 10s; a shorter grace marks live nodes Unknown)');
    expect(() => nodeLifecycleFromFlags(undefined, 'soon')).toThrow('invalid --node-startup-grace-period "soon": want e.g. 40s or 2m');
  });
});
