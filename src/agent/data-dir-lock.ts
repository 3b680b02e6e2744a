// One agent per data dir.
//
// An agent's data dir holds the records of the containers it runs; an agent that starts on it
// adopts those processes, restarts the ones that died and stops the ones no pod claims. Two
// agents on one data dir would both do so, and a daemon killed once would come back twice.
//
// Contract:
// - lockDataDir(dir) holds `<dir>/agent.lock` exclusively until release(), or until the process
//   ends in any way: the lock is SQLite's file lock on that file (locking_mode=EXCLUSIVE after
//   a write), which the operating system drops with the process, so a crashed agent leaves no
//   stale lock and needs no clean-up.
// - A second holder, in another process or in this one (SQLite tracks its own connections'
//   locks per file), fails at once with DataDirInUseError naming the dir. Nothing is changed.
// - release() is idempotent.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const dataDirLockFile = 'agent.lock';

/** The data dir is held by another agent (this process or another). */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`data dir ${dataDir} is in use by another agent (${join(dataDir, dataDirLockFile)} is locked): one agent per data dir; stop that agent or give this one another --data-dir`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, dataDirLockFile), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY'); // no journal file beside the lock
    // The write takes the file's exclusive lock; locking_mode keeps it after the commit.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED') throw new DataDirInUseError(dataDir);
    throw err;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
