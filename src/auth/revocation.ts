// Revocation of client certificates, per user: how a node whose machine was lost, retired or
// compromised is locked out before its certificate expires.
//
// Contract:
// - `<dataDir>/revoked-certs.json` (mode 0600, atomic rewrite) holds one entry per user name
//   (a node's is `system:node:<name>`): `{ user, before, revoked, reason? }`. Every client
//   certificate of that user ISSUED before `before` (a whole second, RFC 3339) is refused, on
//   new connections and on the requests of connections already open; certificates issued
//   since (a node that joins again with a new join token) are accepted.
// - A certificate's issue time is its notBefore plus the PKI's backdating (issuedAtOf in
//   pki.ts), to the second: X.509 times carry whole seconds.
// - revoke() sets `before` to the next whole second and returns once that second has begun on
//   this clock, so a certificate issued before revoke() returns is refused and one issued
//   after it is accepted (servers sharing the data dir are assumed to share the clock).
// - The list re-reads the file when it was replaced (inode/mtime/size, one stat per check), so
//   `everynode node revoke` in another process takes effect in a running server without a
//   restart; listeners hear of every change seen (the server closes revoked connections).
//   Damage never unlocks: an unreadable, malformed or vanished file keeps what was loaded.
// - Join tokens created before a node's revocation cannot bring that node name back (join.ts).
// - Servers see the revocations of their own data dir. Servers sharing a store (etcd) also
//   share them through it (src/apiserver/shared-revocations.ts): merge() takes another server's
//   entries, keeping per user the later cut-off, so a revocation made on one reaches all.

import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, tryLockFile, writeFileAtomic } from './files.js';
import { issuedAtOf } from './pki.js';

export interface RevocationEntry {
  /** The certificate's user (CN). */
  user: string;
  /** Certificates issued before this instant (RFC 3339, whole seconds) are refused. */
  before: string;
  /** When the revocation was made (RFC 3339). */
  revoked: string;
  reason?: string;
}

export const REVOCATIONS_FILE = 'revoked-certs.json';

/** What a presented certificate tells the check: its user and its notBefore (ms since the epoch). */
export interface PresentedCert {
  user: string;
  notBeforeMs: number;
}

/** How long `revoke` waits for another process's lock on the list before giving up. */
const LOCK_WAIT_MS = 10_000;
/** A lock older than this is left over from a process that died while holding it. */
const STALE_LOCK_MS = 30_000;

export class RevocationList {
  private readonly path: string;
  private entries = new Map<string, RevocationEntry & { beforeMs: number }>();
  private loadedStamp = '';
  /** A file was in force once: its disappearance is damage, not "no revocations". */
  private everLoaded = false;
  private readonly listeners = new Set<() => void>();
  /** Why the file on disk is not in force (unreadable, malformed or gone); undefined when it is. */
  problem: string | undefined;

  /** Throws when the file exists but cannot be used: a server must not start without its revocations. */
  constructor(readonly dataDir: string) {
    this.path = join(dataDir, REVOCATIONS_FILE);
    this.reloadIfChanged();
    if (this.problem) throw new Error(this.problem);
  }

  /** True when the certificate is revoked (its user has an entry and it was issued before it); re-reads a changed file first. */
  isRevoked(c: PresentedCert): boolean {
    this.reloadIfChanged();
    return this.isRevokedLoaded(c);
  }

  /** isRevoked against the entries loaded now, without touching the file (a sweep over many connections). */
  isRevokedLoaded(c: PresentedCert): boolean {
    const e = this.entries.get(c.user);
    // An unreadable notBefore (NaN) of a user with an entry counts as revoked.
    return e !== undefined && !(issuedAtOf(c.notBeforeMs) >= e.beforeMs);
  }

  /** The cut-off (ms) of `user`'s revocation, if any: credentials made before it are void. */
  cutoffOf(user: string): number | undefined {
    this.reloadIfChanged();
    return this.entries.get(user)?.beforeMs;
  }

  /**
   * Refuses every certificate of `user` issued until now (see the contract); replaces an
   * earlier entry of the same user. The read-modify-write of the file holds a lock file, so
   * concurrent revocations (other processes) are all kept. Resolves once the cut-off second
   * has begun, and the cut-off is always after the file was written.
   */
  async revoke(user: string, o: { reason?: string; now?: () => number } = {}): Promise<RevocationEntry> {
    const now = o.now ?? Date.now;
    const release = await this.lock(now);
    let entry: RevocationEntry;
    let beforeMs: number;
    try {
      this.reloadIfChanged();
      if (this.problem) throw new Error(`${this.problem}; fix or remove it before revoking`);
      const at = now();
      for (;;) {
        beforeMs = (Math.floor(now() / 1000) + 1) * 1000;
        entry = { user, before: new Date(beforeMs).toISOString(), revoked: new Date(at).toISOString(), ...(o.reason ? { reason: o.reason } : {}) };
        this.entries.set(user, { ...entry, beforeMs });
        this.save();
        // Written before its cut-off second began: every certificate issued from then on is
        // issued after the file exists. Otherwise move the cut-off on and write again.
        if (now() < beforeMs) break;
      }
    } finally {
      release();
    }
    for (let t = now(); t < beforeMs; t = now()) await new Promise((ok) => setTimeout(ok, beforeMs - t));
    return entry;
  }

  /**
   * Takes entries made elsewhere (another server's list): per user, the later cut-off wins, so
   * merging never lifts a revocation. Written under the lock like revoke(); resolves true when
   * the list changed (listeners are told). A list whose file is damaged is left alone (false).
   */
  async merge(entries: readonly RevocationEntry[], o: { now?: () => number } = {}): Promise<boolean> {
    const release = await this.lock(o.now ?? Date.now);
    try {
      this.reloadIfChanged();
      if (this.problem) return false;
      let changed = false;
      for (const e of entries) {
        const beforeMs = Date.parse(e?.before);
        if (typeof e?.user !== 'string' || !Number.isFinite(beforeMs)) continue;
        const mine = this.entries.get(e.user);
        if (mine && mine.beforeMs >= beforeMs) continue;
        this.entries.set(e.user, { user: e.user, before: e.before, revoked: e.revoked, ...(e.reason ? { reason: e.reason } : {}), beforeMs });
        changed = true;
      }
      if (changed) this.save();
      return changed;
    } finally {
      release();
    }
  }

  /** Entries, oldest first. */
  list(): RevocationEntry[] {
    this.reloadIfChanged();
    return [...this.entries.values()].map(({ beforeMs: _b, ...e }) => e).sort((a, b) => a.revoked.localeCompare(b.revoked));
  }

  /** Calls `fn` after every change of the list this process sees (a reload or a revoke). Returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Re-reads the file if it was replaced; true when the entries changed. Never throws. A file
   * that cannot be read or parsed, or that is gone after one was in force, keeps the entries
   * loaded before (nothing is unlocked by damage) and is reported in `problem` until a good
   * file replaces it; at construction it throws. To lift every revocation, write an empty
   * list (`{"revoked": []}`).
   */
  reloadIfChanged(): boolean {
    let stamp: string;
    try {
      stamp = this.stamp();
    } catch (err) {
      this.problem = `cannot read ${this.path}: ${err instanceof Error ? err.message : String(err)}`;
      return false;
    }
    if (stamp === this.loadedStamp) return false;
    this.loadedStamp = stamp;
    const next = new Map<string, RevocationEntry & { beforeMs: number }>();
    if (stamp === '') {
      if (this.everLoaded) {
        this.problem = `${this.path} is gone`;
        return false;
      }
    } else {
      try {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { revoked?: unknown };
        if (!Array.isArray(parsed.revoked)) throw new Error('no "revoked" list');
        for (const e of parsed.revoked as RevocationEntry[]) {
          const beforeMs = Date.parse(e?.before);
          if (typeof e?.user !== 'string' || !Number.isFinite(beforeMs)) throw new Error(`bad entry ${JSON.stringify(e)}`);
          next.set(e.user, { ...e, beforeMs });
        }
      } catch (err) {
        this.problem = `cannot read ${this.path}: ${err instanceof Error ? err.message : String(err)}`;
        return false;
      }
      this.everLoaded = true;
    }
    this.problem = undefined;
    this.entries = next;
    this.notify();
    return true;
  }

  private save(): void {
    ensurePrivateDir(this.dataDir);
    const body = JSON.stringify({ revoked: [...this.entries.values()].map(({ beforeMs: _b, ...e }) => e) }, null, 2) + '\n';
    writeFileAtomic(this.path, body, 0o600);
    this.loadedStamp = this.stamp();
    this.everLoaded = true;
    this.notify();
  }

  /** Takes `<file>.lock` (exclusive create); returns its release. Breaks a stale lock; throws after LOCK_WAIT_MS. */
  private async lock(now: () => number): Promise<() => void> {
    ensurePrivateDir(this.dataDir);
    const lockPath = `${this.path}.lock`;
    const deadline = now() + LOCK_WAIT_MS;
    while (!tryLockFile(lockPath, STALE_LOCK_MS)) {
      if (now() > deadline) throw new Error(`${lockPath} is held by another process (remove it if no revocation is running)`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    return () => rmSync(lockPath, { force: true });
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** '' when the file does not exist. */
  private stamp(): string {
    const st = statSync(this.path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
  }
}
