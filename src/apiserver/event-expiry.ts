// Events expire (upstream: kube-apiserver --event-ttl, 1 h, an etcd lease on every event write).
//
// Contract:
// - Every `intervalMs` (default 60 s) the sweeper reads the stored core/v1 Events and deletes
//   those whose last activity is more than `ttlMs` (default 1 h) old. Last activity is the
//   latest of metadata.creationTimestamp, firstTimestamp, lastTimestamp, eventTime and
//   series.lastObservedTime: a repeated event (its count patched) lives on, as a lease renewed
//   by each write would.
// - Deletes are compare-and-swap on the revision read, straight on the store as a lease expiry
//   is (no finalizers, no admission); watchers see DELETED. A conflict (the event was just
//   written again) keeps it for the next sweep. Several servers sharing a store may all sweep.
// - `active()` false skips a sweep (only the controller-manager leader sweeps, as compaction).

import type { Store } from '../storage/interface.js';
import { StorageError } from '../storage/interface.js';
import { startPeriodic, type PeriodicTask } from '../util/index.js';
import { registryRoot } from './registry.js';

export interface EventExpiryOptions {
  ttlMs?: number;
  intervalMs?: number;
  now?: () => number;
  active?: () => boolean;
  onError?: (err: unknown) => void;
}

export interface EventExpiry {
  /** One sweep now; resolves with the number of events deleted. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

interface StoredEvent {
  metadata?: { creationTimestamp?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { lastObservedTime?: string | null } | null;
}

/** The event's last activity (ms since the epoch); NaN when it names no time at all. */
export function lastActivity(e: StoredEvent): number {
  const times = [e.metadata?.creationTimestamp, e.firstTimestamp, e.lastTimestamp, e.eventTime, e.series?.lastObservedTime]
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t));
  return times.length > 0 ? Math.max(...times) : NaN;
}

export function startEventExpiry(store: Store, opts: EventExpiryOptions = {}): EventExpiry {
  const ttlMs = opts.ttlMs ?? 3_600_000;
  const now = opts.now ?? Date.now;
  const prefix = `${registryRoot}core/events/`;
  const task: PeriodicTask<number> = startPeriodic(async () => {
    const cutoff = now() - ttlMs;
    const list = await store.list(prefix);
    let deleted = 0;
    for (const kv of list.items) {
      if (task.stopped) break;
      let at: number;
      try {
        at = lastActivity(JSON.parse(kv.value) as StoredEvent);
      } catch {
        continue; // not JSON (never written by this server): left alone
      }
      if (!(at < cutoff)) continue;
      try {
        await store.delete(kv.key, kv.modRevision);
        deleted++;
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
      }
    }
    return deleted;
  }, { intervalMs: opts.intervalMs ?? 60_000, ...(opts.active ? { active: opts.active } : {}), ...(opts.onError ? { onError: opts.onError } : {}) });
  return { sweep: () => task.runOnce(), stop: () => task.stop() };
}
