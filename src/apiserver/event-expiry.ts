// Events expire (upstream: kube-apiserver --event-ttl, 1 h, an etcd lease renewed by every write
// of the event).
//
// Contract:
// - Every `intervalMs` (default 60 s) the sweeper reads the stored core/v1 Events. It remembers,
//   per event, the revision it last saw and when it first saw that revision; an event whose
//   revision has not changed for more than `ttlMs` (default 1 h) is deleted. So an event lives
//   a TTL after its last write (a repeat patching its count renews it), give or take one
//   interval, whatever times its body names (agents' clocks may be off). After a restart, or
//   when another server takes over sweeping, known events get a fresh TTL.
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

export function startEventExpiry(store: Store, opts: EventExpiryOptions = {}): EventExpiry {
  const ttlMs = opts.ttlMs ?? 3_600_000;
  const now = opts.now ?? Date.now;
  const prefix = `${registryRoot}core/events/`;
  /** Per event key: the revision last seen, and when it was first seen. */
  const seen = new Map<string, { rev: number; at: number }>();
  const task: PeriodicTask<number> = startPeriodic(async () => {
    const t = now();
    const list = await store.list(prefix);
    const present = new Set<string>();
    let deleted = 0;
    for (const kv of list.items) {
      if (task.stopped) break;
      present.add(kv.key);
      const s = seen.get(kv.key);
      if (!s || s.rev !== kv.modRevision) {
        seen.set(kv.key, { rev: kv.modRevision, at: t });
        continue;
      }
      if (t - s.at <= ttlMs) continue;
      try {
        await store.delete(kv.key, kv.modRevision);
        seen.delete(kv.key);
        deleted++;
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
      }
    }
    if (!task.stopped) for (const k of seen.keys()) if (!present.has(k)) seen.delete(k);
    return deleted;
  }, { intervalMs: opts.intervalMs ?? 60_000, ...(opts.active ? { active: opts.active } : {}), ...(opts.onError ? { onError: opts.onError } : {}) });
  return { sweep: () => task.runOnce(), stop: () => task.stop() };
}
