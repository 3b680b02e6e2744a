import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, dataDirLockFile, lockDataDir } from './data-dir-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'everynode-lock-'));
  dirs.push(d);
  return d;
}

/**
 * Another process holding the lock file as an agent does (SQLite's exclusive file lock; this
 * test file cannot load the TypeScript module in a plain child), holding it until killed.
 */
function holderProcess(dir: string): Promise<ReturnType<typeof spawn>> {
  const script = `const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(join(dir, dataDirLockFile))});
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL); COMMIT');
    console.log('held');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => (b.toString().includes('held') ? resolve(child) : undefined));
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

describe('data dir lock', () => {
  it('one holder in this process: a second fails at once naming the dir, and succeeds after release', () => {
    const dir = join(tempDir(), 'node-1'); // created if missing
    const first = lockDataDir(dir);
    expect(existsSync(join(dir, dataDirLockFile))).toBe(true);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`data dir ${dir} is in use by another agent`);
    first.release();
    first.release(); // idempotent
    lockDataDir(dir).release();
  });

  it('held by another process: refused; freed when that process is killed (no stale lock)', async () => {
    const dir = tempDir();
    const child = await holderProcess(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    lockDataDir(dir).release();
  }, 30_000);
});
