// Token tombstones, the merge servers sharing a store converge with, and the file lock.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_ID, ensureAdminToken, LockBusy, mergeTokenStates, rotateAdminToken, TokenStore, type TokenState } from './authn.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'everynode-tokens-'));
  dirs.push(d);
  return d;
}
const join1 = { user: 'system:bootstrap', groups: ['system:bootstrappers'], kind: 'join' as const };
const empty: TokenState = { tokens: [], deleted: [] };

describe('token tombstones', () => {
  it('a deleted token leaves a tombstone naming its id and salt; the file keeps it', () => {
    const d = dir();
    const s = new TokenStore(d);
    const { token, record } = s.create({ ...join1, ttlSeconds: 3600 });
    expect(s.revoke(record.id)).toBe(true);
    expect(s.lookup(token).ok).toBe(false);
    const file = JSON.parse(readFileSync(join(d, 'tokens.json'), 'utf8')) as TokenState;
    expect(file.tokens).toEqual([]);
    expect(file.deleted).toEqual([{ id: record.id, salt: record.salt, created: record.created, deleted: expect.any(String), expires: record.expires }]);
    expect(s.revoke(record.id)).toBe(false);
  });

  it('rotating the admin token tombstones the old instance and keeps the new one', () => {
    const s = new TokenStore(dir());
    const first = ensureAdminToken(s)!;
    const second = rotateAdminToken(s);
    expect(s.lookup(first).ok).toBe(false);
    expect(s.lookup(second).ok).toBe(true);
    const st = s.state();
    expect(st.tokens.map((t) => t.id)).toEqual([ADMIN_TOKEN_ID]);
    expect(st.deleted).toHaveLength(1);
    expect(st.deleted[0]!.salt).not.toBe(st.tokens[0]!.salt);
  });
});

describe('mergeTokenStates', () => {
  it('a server that deleted a token and one that still has it converge on the deletion, in either order', () => {
    const a = new TokenStore(dir());
    const { token, record } = a.create(join1);
    const b = new TokenStore(dir());
    b.merge(a.state());
    expect(b.lookup(token).ok).toBe(true);
    a.revoke(record.id);
    // b learns of the deletion; a merging b's stale copy does not bring the token back.
    expect(a.merge(b.state())).toBe(false);
    expect(a.lookup(token).ok).toBe(false);
    expect(b.merge(a.state())).toBe(true);
    expect(b.lookup(token).ok).toBe(false);
    expect(JSON.stringify(a.state())).toBe(JSON.stringify(b.state()));
  });

  it('an admin token rotated on one server replaces it on the other, even when both instants are equal', () => {
    const a = new TokenStore(dir());
    const old = ensureAdminToken(a)!;
    const b = new TokenStore(dir());
    b.merge(a.state());
    const now = new Date();
    // Rotation at the very millisecond the old one was made: the tombstone, not the clock, decides.
    const aState = a.state();
    const rotated: TokenState = {
      tokens: [{ ...aState.tokens[0]!, salt: 'ff'.repeat(16), hash: '00'.repeat(32), created: aState.tokens[0]!.created }],
      deleted: [{ id: ADMIN_TOKEN_ID, salt: aState.tokens[0]!.salt, deleted: now.toISOString() }],
    };
    b.merge(rotated);
    expect(b.lookup(old).ok).toBe(false);
    expect(b.list().map((t) => t.salt)).toEqual(['ff'.repeat(16)]);
  });

  it('is commutative, associative and idempotent on three servers’ changes', () => {
    const xs = [new TokenStore(dir()), new TokenStore(dir()), new TokenStore(dir())];
    const made = xs.map((s) => s.create(join1).record);
    xs[1]!.merge(xs[0]!.state());
    xs[1]!.revoke(made[0]!.id);
    xs[2]!.create({ ...join1, id: 'same01' });
    xs[0]!.create({ ...join1, id: 'same01', now: new Date(Date.now() + 1000) });
    const [s0, s1, s2] = xs.map((s) => s.state()) as [TokenState, TokenState, TokenState];
    const orders = [
      mergeTokenStates(mergeTokenStates(s0, s1), s2),
      mergeTokenStates(s2, mergeTokenStates(s1, s0)),
      mergeTokenStates(mergeTokenStates(s1, s2), mergeTokenStates(s0, s0)),
    ].map((m) => JSON.stringify(m));
    expect(new Set(orders).size).toBe(1);
    const m = JSON.parse(orders[0]!) as TokenState;
    expect(m.tokens.map((t) => t.id).sort()).toEqual([made[1]!.id, made[2]!.id, 'same01'].sort());
    // The later-created instance of a reused id wins.
    expect(m.tokens.find((t) => t.id === 'same01')!.created).toBe(s0.tokens.find((t) => t.id === 'same01')!.created);
    expect(JSON.stringify(mergeTokenStates(m, m))).toBe(orders[0]);
    expect(JSON.stringify(mergeTokenStates(m, empty))).toBe(orders[0]);
  });

  it('a token superseded or deleted anywhere does not come back, whatever the grouping of merges', () => {
    const rec = (salt: string, created: string) => ({ id: ADMIN_TOKEN_ID, salt, hash: '00'.repeat(32), user: 'u', groups: [], kind: 'admin' as const, created });
    const a: TokenState = { tokens: [rec('11'.repeat(16), '2026-12-01T00:00:01.000Z')], deleted: [] };
    const b: TokenState = { tokens: [rec('22'.repeat(16), '2026-12-01T00:00:02.000Z')], deleted: [] };
    const c: TokenState = { tokens: [], deleted: [{ id: ADMIN_TOKEN_ID, salt: '22'.repeat(16), created: '2026-12-01T00:00:02.000Z', deleted: '2026-12-01T00:00:03.000Z' }] };
    const left = mergeTokenStates(mergeTokenStates(a, b), c);
    const right = mergeTokenStates(a, mergeTokenStates(b, c));
    expect(JSON.stringify(left)).toBe(JSON.stringify(right));
    expect(left.tokens).toEqual([]);
  });

  it('an admin token rotated within the same millisecond is still the live one', () => {
    const s = new TokenStore(dir());
    const at = new Date('2026-12-01T00:00:00.000Z');
    s.create({ id: ADMIN_TOKEN_ID, user: 'u', groups: [], kind: 'admin', now: at });
    const { token } = s.create({ id: ADMIN_TOKEN_ID, user: 'u', groups: [], kind: 'admin', now: at });
    expect(s.lookup(token, at).ok).toBe(true);
    const other = new TokenStore(dir());
    other.merge(s.state());
    expect(other.lookup(token, at).ok).toBe(true);
  });

  it('drops the tombstones of tokens that expired over a day ago', () => {
    const t = { id: 'abc123', salt: '11'.repeat(16), deleted: '2026-01-01T00:00:00.000Z' };
    const m = mergeTokenStates({ tokens: [], deleted: [{ ...t, expires: '2026-01-02T00:00:00.000Z' }, { ...t, id: 'abc124' }] }, empty, new Date('2026-01-04T00:00:00Z'));
    expect(m.deleted.map((x) => x.id)).toEqual(['abc124']);
  });
});

describe('tokens.json lock', () => {
  it('a change waits for another process holding the lock, and both changes are kept', async () => {
    const d = dir();
    const s = new TokenStore(d);
    s.create(join1);
    // Another process takes the lock, adds a token by rewriting the file, and lets go 300 ms later.
    const script = `
      const fs = require('node:fs');
      fs.writeFileSync(${JSON.stringify(join(d, 'tokens.json.lock'))}, '', { flag: 'wx' });
      process.stdout.write('locked\\n');
      const f = ${JSON.stringify(join(d, 'tokens.json'))};
      const v = JSON.parse(fs.readFileSync(f, 'utf8'));
      v.tokens.push({ ...v.tokens[0], id: 'other1', salt: '22'.repeat(16) });
      setTimeout(() => { fs.writeFileSync(f + '.x', JSON.stringify(v)); fs.renameSync(f + '.x', f); fs.rmSync(f + '.lock'); }, 300);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const started = Date.now();
    s.create({ ...join1, id: 'mine01' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await new Promise((r) => child.once('exit', r));
    expect(s.list().map((t) => t.id).sort()).toEqual(expect.arrayContaining(['mine01', 'other1']));
    expect(existsSync(join(d, 'tokens.json.lock'))).toBe(false);
  });

  it('a merge that must not wait (a server\'s event loop) gives up at once on a held lock, changing nothing', () => {
    const d = dir();
    const s = new TokenStore(d);
    const other = new TokenStore(dir());
    other.create(join1);
    writeFileSync(join(d, 'tokens.json.lock'), '');
    const started = Date.now();
    expect(() => s.merge(other.state(), new Date(), { wait: false })).toThrow(LockBusy);
    expect(Date.now() - started).toBeLessThan(500);
    expect(s.list()).toEqual([]);
    rmSync(join(d, 'tokens.json.lock'));
    expect(s.merge(other.state(), new Date(), { wait: false })).toBe(true);
    expect(s.list()).toHaveLength(1);
  });

  it('a lock left by a crashed writer (over 10 s old) is taken over', () => {
    const d = dir();
    const s = new TokenStore(d);
    const lock = join(d, 'tokens.json.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(s.create(join1).record.id).toMatch(/^[a-z0-9]{6}$/);
    expect(existsSync(lock)).toBe(false);
  });
});
