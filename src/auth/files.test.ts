import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { breakStaleLock, ensurePrivateDir, tryLockFile, writeFileAtomic } from './files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes with the mode, skips an unchanged file (mode still enforced), and leaves no temporary file when a write fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'));
    dirs.push(dir);
    const f = join(dir, 'kubeconfig.yaml');
    writeFileAtomic(f, 'a', 0o600);
    expect([readFileSync(f, 'utf8'), statSync(f).mode & 0o777]).toEqual(['a', 0o600]);
    const inode = statSync(f).ino;
    writeFileSync(f, 'a', { mode: 0o644 });
    writeFileAtomic(f, 'a', 0o600);
    expect(statSync(f).ino).toBe(inode); // not replaced
    expect(statSync(f).mode & 0o777).toBe(0o600);
    // A path whose temporary file cannot be renamed over a directory fails, names the path, and cleans up.
    const target = join(dir, 'is-a-dir');
    mkdirSync(target);
    expect(() => writeFileAtomic(target, 'b', 0o600)).toThrow(target);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('tryLockFile and breakStaleLock', () => {
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'lock-'));
    dirs.push(d);
    return d;
  };
  const old = (path: string, ageMs: number): void => {
    const t = new Date(Date.now() - ageMs);
    utimesSync(path, t, t);
  };

  it('takes a free lock once, and not while it is held', () => {
    const lock = join(dir(), 'f.lock');
    expect(tryLockFile(lock, 10_000)).toBe(true);
    expect(tryLockFile(lock, 10_000)).toBe(false);
    rmSync(lock);
    expect(tryLockFile(lock, 10_000)).toBe(true);
  });

  it('breaks a lock older than the stale age and takes it, leaving no takeover file', () => {
    const d = dir();
    const lock = join(d, 'f.lock');
    writeFileSync(lock, '');
    old(lock, 20_000);
    expect(tryLockFile(lock, 10_000)).toBe(true);
    expect(Date.now() - statSync(lock).mtimeMs).toBeLessThan(5_000);
    expect(readdirSync(d)).toEqual(['f.lock']);
  });

  it('does not remove a lock taken by another process after this one judged it stale', () => {
    const lock = join(dir(), 'f.lock');
    writeFileSync(lock, '');
    old(lock, 20_000);
    const judged = statSync(lock);
    // Another process broke the stale lock and took it in between.
    rmSync(lock);
    writeFileSync(lock, 'other');
    expect(breakStaleLock(lock, judged, 10_000)).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe('other');
    // Still the judged file: removed.
    const again = statSync(lock);
    expect(breakStaleLock(lock, again, 10_000)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('leaves the lock alone while another process is taking it over; a crashed takeover is cleared', () => {
    const lock = join(dir(), 'f.lock');
    writeFileSync(lock, '');
    old(lock, 20_000);
    writeFileSync(`${lock}.takeover`, '');
    expect(breakStaleLock(lock, statSync(lock), 10_000)).toBe(false);
    expect(tryLockFile(lock, 10_000)).toBe(false);
    expect(existsSync(lock)).toBe(true);
    old(`${lock}.takeover`, 20_000);
    expect(breakStaleLock(lock, statSync(lock), 10_000)).toBe(false);
    expect(existsSync(`${lock}.takeover`)).toBe(false);
    expect(tryLockFile(lock, 10_000)).toBe(true);
  });
});

describe('ensurePrivateDir', () => {
  it('makes missing dirs 0700 and leaves the mode of one made beforehand', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'));
    dirs.push(dir);
    const made = join(dir, 'a', 'b');
    ensurePrivateDir(made);
    expect(statSync(made).mode & 0o777).toBe(0o700);
    const own = join(dir, 'own');
    mkdirSync(own);
    chmodSync(own, 0o750);
    ensurePrivateDir(own);
    expect(statSync(own).mode & 0o777).toBe(0o750);
  });
});
