import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../api/testing/index.js';
import { issuedAtOf } from './pki.js';
import { REVOCATIONS_FILE, RevocationList } from './revocation.js';

const tempDir = tempDirs('revocation');

/** notBefore of a certificate issued at `ms`: backdated, in whole seconds as X.509 stores it. */
function notBeforeFor(ms: number): number {
  return Math.floor((ms - issuedAtOf(0)) / 1000) * 1000;
}

describe('RevocationList', () => {
  it('refuses the certificates of a user issued before the cut-off second, accepts those issued after', async () => {
    const list = new RevocationList(tempDir());
    let clock = Date.parse('2026-11-30T10:00:00.400Z');
    const entry = await list.revoke('system:node:a', { reason: 'lost', now: () => (clock += 100) });
    expect(entry).toMatchObject({ user: 'system:node:a', before: '2026-11-30T10:00:01.000Z', revoked: '2026-11-30T10:00:00.600Z', reason: 'lost' });
    const cut = Date.parse(entry.before);
    // Issued a year ago, and in the very second of the revocation (before it returned).
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: notBeforeFor(cut - 365 * 86400_000) })).toBe(true);
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: notBeforeFor(cut - 1) })).toBe(true);
    // Issued once revoke() returned: a node that joined again.
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: notBeforeFor(cut) })).toBe(false);
    expect(list.isRevoked({ user: 'system:node:b', notBeforeMs: notBeforeFor(cut - 1000) })).toBe(false);
    // A certificate whose notBefore cannot be read is refused for a revoked user only.
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: Number.NaN })).toBe(true);
    expect(list.isRevoked({ user: 'system:node:b', notBeforeMs: Number.NaN })).toBe(false);
  });

  it('moves the cut-off on when the file was written only after it began', async () => {
    const list = new RevocationList(tempDir());
    const base = Date.parse('2026-11-30T10:00:00.000Z');
    // lock, revoked, cut-off 1 s, written at 1.2 s (late): cut-off 2 s, written at 1.4 s, then the wait.
    const times = [100, 200, 300, 1200, 1300, 1400, 2000].map((t) => base + t);
    const entry = await list.revoke('system:node:a', { now: () => times.shift() ?? base + 2000 });
    expect(entry.before).toBe('2026-11-30T10:00:02.000Z');
    expect(list.cutoffOf('system:node:a')).toBe(base + 2000);
  });

  it('returns only once the cut-off second has begun on the clock', async () => {
    const list = new RevocationList(tempDir());
    const entry = await list.revoke('system:node:a');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(entry.before));
    expect(Date.parse(entry.before) % 1000).toBe(0);
  });

  it('is shared through the file: another process revoking is seen on the next check, with a change event', async () => {
    const dir = tempDir();
    const server = new RevocationList(dir);
    let changes = 0;
    server.onChange(() => changes++);
    expect(server.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(false);
    await new RevocationList(dir).revoke('system:node:a');
    expect(server.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(true);
    expect(changes).toBe(1);
    expect(server.reloadIfChanged()).toBe(false);
    expect(server.list().map((e) => e.user)).toEqual(['system:node:a']);
    expect(JSON.parse(readFileSync(join(dir, REVOCATIONS_FILE), 'utf8')).revoked).toHaveLength(1);
  });

  it('a damaged file unlocks nothing: the entries loaded before stay in force and the problem is reported', async () => {
    const dir = tempDir();
    const list = new RevocationList(dir);
    await list.revoke('system:node:a');
    writeFileSync(join(dir, REVOCATIONS_FILE), '{"revoked": [ {"user": "system:node:a"');
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(true);
    expect(list.problem).toMatch(/cannot read .*revoked-certs\.json/);
    writeFileSync(join(dir, REVOCATIONS_FILE), JSON.stringify({ revoked: [{ user: 'system:node:a', before: 'yesterday' }] }));
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(true);
    expect(list.problem).toMatch(/bad entry/);
    writeFileSync(join(dir, REVOCATIONS_FILE), JSON.stringify({ revoked: [] }));
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(false);
    expect(list.problem).toBeUndefined();
  });

  it('keeps every one of concurrent revocations (the read-modify-write holds a lock file)', async () => {
    const dir = tempDir();
    const users = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `system:node:${n}`);
    await Promise.all(users.map((u) => new RevocationList(dir).revoke(u)));
    expect(new RevocationList(dir).list().map((e) => e.user).sort()).toEqual(users);
    expect(existsSync(join(dir, `${REVOCATIONS_FILE}.lock`))).toBe(false);
  });

  it('waits for a held lock, breaks a stale one', async () => {
    const dir = tempDir();
    const lock = join(dir, `${REVOCATIONS_FILE}.lock`);
    writeFileSync(lock, '');
    let done = false;
    const p = new RevocationList(dir).revoke('system:node:a').then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    rmSync(lock);
    await p;
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await new RevocationList(dir).revoke('system:node:b');
    expect(new RevocationList(dir).list()).toHaveLength(2);
  });

  it('a vanished file unlocks nothing either; an explicit empty list lifts the revocations', async () => {
    const dir = tempDir();
    const list = new RevocationList(dir);
    await list.revoke('system:node:a');
    rmSync(join(dir, REVOCATIONS_FILE));
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(true);
    expect(list.problem).toMatch(/revoked-certs\.json is gone/);
    await expect(list.revoke('system:node:b')).rejects.toThrow(/is gone; fix or remove it before revoking/);
    writeFileSync(join(dir, REVOCATIONS_FILE), JSON.stringify({ revoked: [] }));
    expect(list.isRevoked({ user: 'system:node:a', notBeforeMs: 0 })).toBe(false);
    expect(list.cutoffOf('system:node:a')).toBeUndefined();
  });

  it('refuses to load a damaged file at construction (a server must not start without its revocations)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, REVOCATIONS_FILE), 'not json');
    expect(() => new RevocationList(dir)).toThrow(/cannot read .*revoked-certs\.json/);
  });
});
