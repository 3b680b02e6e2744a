// Revocations shared by the servers of one store (etcd): `everynode node revoke` on any server's
// data dir locks the node out of every server, not only the one whose file it wrote.
//
// Contract:
// - The store key REVOCATIONS_KEY holds `{"revoked": [RevocationEntry...]}`, the union of the
//   servers' lists with, per user, the later cut-off (RevocationList.merge's rule: nothing
//   shared is ever lifted by a merge).
// - At start, and whenever the local list changes (a revoke here, or the file rewritten by the
//   CLI, which the server re-reads every second), the local entries are merged into the key
//   (compare-and-swap, retried on conflict); every `pollMs` (default 1 s) the key is read and,
//   when it changed, merged into the local list, whose listeners close the connections of the
//   certificates it now revokes. So a revocation reaches every server within about two polls.
// - Lifting a revocation on a shared store means removing it from the key as well as from each
//   server's file (README); merges alone only add.
// - Store or file trouble is logged and retried at the next change or poll; it never stops
//   the server.

import type { RevocationEntry, RevocationList } from '../auth/index.js';
import { StorageError, type Store } from '../storage/index.js';
import { outageLog, type Logger } from '../util/logger.js';

export const REVOCATIONS_KEY = '/everynode/auth/revocations';

const maxCasAttempts = 10;

export interface RevocationSharing {
  /** One exchange now (push the local list, pull the shared one); for tests. */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
}

function parseShared(value: string | undefined): RevocationEntry[] {
  if (value === undefined) return [];
  try {
    const v = JSON.parse(value) as { revoked?: unknown };
    return Array.isArray(v.revoked) ? (v.revoked as RevocationEntry[]) : [];
  } catch {
    return [];
  }
}

/** `shared` with `local` merged in (per user the later cut-off); undefined when nothing changes. */
function mergedInto(shared: RevocationEntry[], local: RevocationEntry[]): RevocationEntry[] | undefined {
  const byUser = new Map(shared.map((e) => [e.user, e]));
  let changed = false;
  for (const e of local) {
    const cur = byUser.get(e.user);
    if (cur && Date.parse(cur.before) >= Date.parse(e.before)) continue;
    byUser.set(e.user, e);
    changed = true;
  }
  return changed ? [...byUser.values()].sort((a, b) => a.user.localeCompare(b.user)) : undefined;
}

export function startRevocationSharing(o: { store: Store; list: RevocationList; logger: Logger; pollMs?: number }): RevocationSharing {
  const { store, list, logger } = o;
  let seenRevision = 0;
  let stopped = false;
  /** One exchange at a time; a change during one runs another after it. */
  let running: Promise<void> | undefined;
  let again = false;
  const outage = outageLog(logger, 'sharing revocations through the store');

  const push = async (): Promise<void> => {
    for (let attempt = 0; attempt < maxCasAttempts; attempt++) {
      const kv = await store.get(REVOCATIONS_KEY);
      const next = mergedInto(parseShared(kv?.value), list.list());
      if (!next) return;
      const body = JSON.stringify({ revoked: next });
      try {
        seenRevision = kv ? await store.update(REVOCATIONS_KEY, body, kv.modRevision) : await store.create(REVOCATIONS_KEY, body);
        return;
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'AlreadyExists' || err.code === 'NotFound'))) throw err;
      }
    }
    throw new Error(`${REVOCATIONS_KEY}: too many concurrent writers`);
  };

  const pull = async (): Promise<void> => {
    const kv = await store.get(REVOCATIONS_KEY);
    if (!kv || kv.modRevision === seenRevision) return;
    const shared = parseShared(kv.value);
    if (await list.merge(shared)) logger.info(`revocations from the shared store: ${shared.map((e) => e.user).join(', ')}`);
    seenRevision = kv.modRevision;
  };

  const exchange = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await push();
          await pull();
          outage.ok();
        } catch (err) {
          if (!stopped) outage.failed(err);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const unsubscribe = list.onChange(() => void exchange());
  const timer = setInterval(() => {
    if (!running) void exchange();
  }, o.pollMs ?? 1_000);
  timer.unref();
  void exchange();
  return {
    syncNow: () => exchange(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await running;
    },
  };
}
