// Periodic compaction: keeps the last `retainRevisions` revisions of history (what watches
// and lists at older revisions can still reach) and drops the rest, like the apiserver's
// etcd compactor. Errors are reported and retried on the next tick; they never throw.

import { startPeriodic } from '../util/index.js';
import type { Store } from './interface.js';

export interface CompactorOptions {
  /** Time between compactions, ms. */
  intervalMs: number;
  /** History to keep: compacts to `currentRevision - retainRevisions` (default 1000). */
  retainRevisions?: number;
  /** Called with each failure (default: ignored; the next tick retries). */
  onError?: (err: unknown) => void;
  /** Called after each compaction that advanced the compaction point. */
  onCompacted?: (revision: number) => void;
  /**
   * Whether this process compacts now (default: always). Servers sharing one store let only
   * one of them compact (the controller-manager leader), so a shared etcd is compacted once per
   * interval, not once per server. runOnce() compacts regardless.
   */
  active?: () => boolean;
}

export interface Compactor {
  /** Stops the timer; resolves when a compaction in progress has finished. Idempotent. */
  stop(): Promise<void>;
  /** Runs one compaction now (also what each tick does); resolves to the compaction point. */
  runOnce(): Promise<number>;
}

export function startCompactor(store: Store, opts: CompactorOptions): Compactor {
  const retain = Math.max(0, opts.retainRevisions ?? 1000);
  return startPeriodic(async () => {
    const [current, compacted] = await Promise.all([store.currentRevision(), store.compactedRevision()]);
    const target = current - retain;
    if (target <= compacted) return compacted;
    const point = await store.compact(target);
    opts.onCompacted?.(point);
    return point;
  }, opts);
}
