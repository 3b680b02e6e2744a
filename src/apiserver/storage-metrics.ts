// What the store holds and what its upkeep did, for /metrics (metrics.ts renders it):
//
//   apiserver_storage_objects{resource}        objects stored per resource (upstream's name and
//                                              label: `pods`, `daemonsets.apps`), counted at
//                                              start and every `intervalMs` (default 60 s)
//   apiserver_storage_size_bytes{storage_cluster_id="sqlite"}
//                                              the SQLite store's files (database and WAL) on
//                                              disk, read at each scrape; absent on etcd
//   everynode_store_compactions_total          compactions that moved the compaction point
//   everynode_store_compacted_revision         the compaction point this server last moved
//   everynode_events_expired_total             Events deleted by the expiry sweeper (--event-ttl)
//
// Contract: counting reads the store with count(prefix) once per stored resource (versions
// that share a storage prefix count once, under the stored version's resource). A resource
// served later (a new CRD) is counted from the next tick; one no longer served is dropped. The
// upkeep counters are this server's: with several servers on one store, the one that compacts
// and sweeps (the controller-manager leader's) has them.

import { statSync } from 'node:fs';
import type { KindRegistry } from '../api/kinds.js';
import type { Store } from '../storage/interface.js';
import { startPeriodic, type PeriodicTask } from '../util/index.js';
import { keyPrefix } from './registry.js';

export class StorageStats {
  compactions = 0;
  compactedRevision = 0;
  eventsExpired = 0;
  /** resource (`plural` or `plural.group`) → objects stored, at the last count. */
  objects = new Map<string, number>();
  /** The SQLite store's database file, when the store is SQLite. */
  constructor(private readonly sqliteFile?: string) {}

  /** Bytes of the SQLite database and its WAL on disk now; undefined on etcd. */
  sizeBytes(): number | undefined {
    if (this.sqliteFile === undefined) return undefined;
    let total = 0;
    for (const f of [this.sqliteFile, `${this.sqliteFile}-wal`]) {
      try {
        total += statSync(f).size;
      } catch {
        // no WAL (yet), or the file is gone: counts as nothing
      }
    }
    return total;
  }
}

/** Counts every stored resource's objects into `stats.objects` now and every `intervalMs`. */
export function startObjectCounting(store: Store, kinds: KindRegistry, stats: StorageStats, opts: { intervalMs?: number; onError?: (err: unknown) => void } = {}): PeriodicTask<void> {
  const task = startPeriodic(async () => {
    const prefixes = new Map<string, string>();
    for (const k of kinds.all()) {
      const s = k.view?.stored ?? k;
      prefixes.set(keyPrefix(k), s.group ? `${s.plural}.${s.group}` : s.plural);
    }
    const counted = new Map<string, number>();
    for (const [prefix, resource] of prefixes) {
      if (task.stopped) return;
      counted.set(resource, await store.count(prefix));
    }
    stats.objects = counted;
  }, { intervalMs: opts.intervalMs ?? 60_000, ...(opts.onError ? { onError: opts.onError } : {}) });
  task.runOnce().catch((err: unknown) => opts.onError?.(err));
  return task;
}
