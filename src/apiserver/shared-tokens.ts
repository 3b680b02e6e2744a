// Tokens shared by the servers of one store (etcd): a join token made, a token deleted or the
// admin token rotated on any server's data dir takes effect on every server.
//
// Contract:
// - The store key TOKENS_KEY holds a TokenState (`{"tokens": [...], "deleted": [...]}`: hashed
//   tokens and the tombstones of deleted ones, never a secret), the merge of every server's
//   `tokens.json` (mergeTokenStates: a union in which a tombstone deletes the one token
//   instance it names and, per id, the later-created token wins; any order of merges gives the
//   same state, so servers converge).
// - `pullSharedTokens` runs once at start, before the server's admin token is ensured, so a
//   server whose data dir lacks the cluster's tokens does not mint an admin token of its own
//   (which, being newer, would replace the cluster's everywhere).
// - Every `pollMs` (default 1 s) each server merges the key into its file (which its
//   authenticator re-reads at once) and, when its file holds more than the key, writes the
//   merge back (compare-and-swap, retried on conflict). A change made on one server's data dir
//   (the CLI writes the file) reaches the others within about two polls. Nothing is exchanged
//   while neither the key nor the file changed.
// - Deleting a token's tombstone is how one would resurrect it; nothing here does that. Store or
//   file trouble is logged and retried at the next poll; it never stops the server.

import { LockBusy, mergeTokenStates, type TokenState, type TokenStore } from '../auth/index.js';
import { StorageError, type Store } from '../storage/index.js';
import { outageLog, type Logger } from '../util/logger.js';

export const TOKENS_KEY = '/everynode/auth/tokens';

const maxCasAttempts = 10;

export interface TokenSharing {
  /** One exchange now; for tests. */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
}

function parseShared(value: string | undefined): TokenState {
  if (value === undefined) return { tokens: [], deleted: [] };
  try {
    const v = JSON.parse(value) as Partial<TokenState>;
    return { tokens: Array.isArray(v.tokens) ? v.tokens : [], deleted: Array.isArray(v.deleted) ? v.deleted : [] };
  } catch {
    return { tokens: [], deleted: [] };
  }
}

/** Merges the shared tokens into `tokens` once (a server's start, before its admin token is ensured). */
export async function pullSharedTokens(store: Store, tokens: TokenStore): Promise<boolean> {
  const kv = await store.get(TOKENS_KEY);
  return kv ? tokens.merge(parseShared(kv.value)) : false;
}

export function startTokenSharing(o: { store: Store; tokens: TokenStore; logger: Logger; pollMs?: number }): TokenSharing {
  const { store, tokens, logger } = o;
  let stopped = false;
  let running: Promise<void> | undefined;
  /** The key's revision and the file's state after the last exchange: unchanged ⇒ nothing to do. */
  let seenRevision = -1;
  let seenLocal = '';
  const outage = outageLog(logger, 'sharing tokens through the store');

  const once = async (): Promise<void> => {
    for (let attempt = 0; attempt < maxCasAttempts; attempt++) {
      const kv = await store.get(TOKENS_KEY);
      const local = JSON.stringify(tokens.state());
      if ((kv?.modRevision ?? 0) === seenRevision && local === seenLocal) return;
      const shared = parseShared(kv?.value);
      // Never waits for the file's lock (that would stop the server): a CLI changing the file
      // right now makes this exchange skip to the next poll.
      let changed: boolean;
      try {
        changed = tokens.merge(shared, new Date(), { wait: false });
      } catch (err) {
        if (err instanceof LockBusy) return;
        throw err;
      }
      if (changed) logger.info('tokens changed on another server taken from the shared store');
      const merged = tokens.state();
      const body = JSON.stringify(merged);
      // The file now holds the merge; the key is written only when it lacks something.
      if (kv && JSON.stringify(mergeTokenStates(shared, { tokens: [], deleted: [] })) === body) {
        seenRevision = kv.modRevision;
        seenLocal = body;
        return;
      }
      try {
        seenRevision = kv ? await store.update(TOKENS_KEY, body, kv.modRevision) : await store.create(TOKENS_KEY, body);
        seenLocal = body;
        return;
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'AlreadyExists' || err.code === 'NotFound'))) throw err;
      }
    }
    throw new Error(`${TOKENS_KEY}: too many concurrent writers`);
  };

  const exchange = (): Promise<void> => {
    if (running) return running;
    running = once()
      .then(() => outage.ok())
      .catch((err: unknown) => {
        if (!stopped) outage.failed(err);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void exchange(), o.pollMs ?? 1_000);
  timer.unref();
  void exchange();
  return {
    syncNow: async () => {
      await running;
      await exchange();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
