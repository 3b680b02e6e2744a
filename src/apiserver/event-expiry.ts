// Events expire (upstream: kube-apiserver --event-ttl, 1 h, an etcd lease renewed by every write
// of the event).
//
// Contract:
// - Every `intervalMs` (default 60 s) the sweeper reads the stored core/v1 Events. It remembers,
//   per event, the revision it last saw and when it first saw that revision; an event whose
//   revision has not changed for more than `ttlMs` (default 1 h) is deleted. So an event lives
//   a TTL after its last write (a repeat patching its count renews it), give or take one
//   interval, whatever times its body names (agents' clocks may be off).
// - A restart does not give events a fresh TTL. Each sweep records in the store a sample of
//   the revision clock, (the revision its list read at, the time of the sweep), under
//   REVISION_CLOCK_KEY, keeping samples for a TTL and two intervals. An event first seen by a
//   sweeper (after a restart, or when another server takes over sweeping) counts from the time
//   of the first sample at or above its modRevision (it was written by then), or from now when
//   it was written after the last sample. stop() records a last sample. So the TTL holds
//   across restarts, give or take one interval (events of the last interval before a crash get
//   a fresh TTL), measured by the servers' clocks only.
// - Deletes are compare-and-swap on the revision read, straight on the store as a lease expiry
//   is (no finalizers, no admission); watchers see DELETED. A conflict (the event was just
//   written again) keeps it for the next sweep. Several servers sharing a store may all sweep.
// - `active()` false skips a sweep (only the controller-manager leader sweeps, as compaction).

import type { Store } from '../storage/interface.js';
import { StorageError } from '../storage/interface.js';
import { startPeriodic, type PeriodicTask } from '../util/index.js';
import { registryRoot } from './registry.js';

/** Where the sweepers keep their revision clock: JSON `[[revision, ms], ...]`, ascending. */
export const REVISION_CLOCK_KEY = '/everynode/event-expiry/revision-clock';
/** At most this many samples are kept (a day at the default interval), whatever the TTL. */
const maxClockSamples = 1_440;

export interface EventExpiryOptions {
  ttlMs?: number;
  intervalMs?: number;
  now?: () => number;
  active?: () => boolean;
  onError?: (err: unknown) => void;
  /** Called after each sweep that deleted events, with their number. */
  onExpired?: (count: number) => void;
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
  const intervalMs = opts.intervalMs ?? 60_000;
  /** Per event key: the revision last seen, and since when its TTL counts. */
  const seen = new Map<string, { rev: number; at: number }>();
  const task: PeriodicTask<number> = startPeriodic(async () => {
    const t = now();
    const clock = await readClock(store);
    const list = await store.list(prefix);
    const present = new Set<string>();
    let deleted = 0;
    for (const kv of list.items) {
      if (task.stopped) break;
      present.add(kv.key);
      const s = seen.get(kv.key);
      if (!s || s.rev !== kv.modRevision) {
        // Written since the last sweep: its TTL counts from now. First seen: from the clock.
        seen.set(kv.key, { rev: kv.modRevision, at: s ? t : Math.min(t, writtenBy(clock.samples, kv.modRevision) ?? t) });
        if (s) continue;
      }
      const at = seen.get(kv.key)?.at ?? t;
      if (t - at <= ttlMs) continue;
      try {
        await store.delete(kv.key, kv.modRevision);
        seen.delete(kv.key);
        deleted++;
      } catch (err) {
        if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
      }
    }
    if (!task.stopped) {
      for (const k of seen.keys()) if (!present.has(k)) seen.delete(k);
      await recordSample(store, clock, [list.revision, t], t - ttlMs - 2 * intervalMs);
    }
    if (deleted > 0) opts.onExpired?.(deleted);
    return deleted;
  }, { intervalMs, ...(opts.active ? { active: opts.active } : {}), ...(opts.onError ? { onError: opts.onError } : {}) });
  return {
    sweep: () => task.runOnce(),
    async stop() {
      await task.stop();
      // A last sample, so events written since the last sweep keep their age across a clean
      // restart (after a crash, those of the last interval get a fresh TTL). Any server's sample
      // is true, leader or not: best effort.
      try {
        const clock = await readClock(store);
        await recordSample(store, clock, [await store.currentRevision(), now()], now() - ttlMs - 2 * intervalMs);
      } catch (err) {
        opts.onError?.(err);
      }
    },
  };
}

type Sample = [revision: number, ms: number];

/** The stored revision clock (empty when absent or unreadable) and the revision to update it at. */
async function readClock(store: Store): Promise<{ samples: Sample[]; modRevision: number | undefined }> {
  const kv = await store.get(REVISION_CLOCK_KEY);
  if (!kv) return { samples: [], modRevision: undefined };
  let samples: Sample[] = [];
  try {
    const v = JSON.parse(kv.value) as unknown;
    if (Array.isArray(v)) samples = v.filter((x): x is Sample => Array.isArray(x) && x.length === 2 && Number.isSafeInteger(x[0]) && Number.isFinite(x[1]));
  } catch {
    // A damaged clock is replaced by the next sample.
  }
  return { samples, modRevision: kv.modRevision };
}

/** The time of the first sample at or above `rev` (the write was made by then); undefined when every sample is older. */
function writtenBy(samples: readonly Sample[], rev: number): number | undefined {
  for (const [r, ms] of samples) if (r >= rev) return ms;
  return undefined;
}

/**
 * Appends `sample` and drops samples older than `keepFrom` (keeping the newest of those, which
 * still bounds older writes). A conflict (another server sweeping at the same moment) skips
 * this sample: the other server's is as good.
 */
async function recordSample(store: Store, clock: { samples: Sample[]; modRevision: number | undefined }, sample: Sample, keepFrom: number): Promise<void> {
  const kept = clock.samples.filter(([r]) => r < sample[0]);
  let first = 0;
  while (first < kept.length - 1 && kept[first + 1]![1] < keepFrom) first++;
  const next = JSON.stringify([...kept.slice(first), sample].slice(-maxClockSamples));
  try {
    if (clock.modRevision === undefined) await store.create(REVISION_CLOCK_KEY, next);
    else await store.update(REVISION_CLOCK_KEY, next, clock.modRevision);
  } catch (err) {
    if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'AlreadyExists' || err.code === 'NotFound'))) throw err;
  }
}
