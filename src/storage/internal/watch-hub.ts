// In-process watch fan-out shared by the backends that own their write path (memory, sqlite).
//
// Model: the backend publishes every committed batch of events, in revision order, to the hub.
// `liveRevision` is the revision up to which every event has been published. A new watcher
// first catches up by reading history from the backend's log (events with
// lastDelivered < revision <= liveRevision, in chunks), then switches to live delivery in the
// same synchronous step, so there is no window in which an event can be missed or delivered
// twice: a catching-up watcher ignores published batches (it reads them from the log instead),
// and a live watcher only receives events with revision > its lastDelivered.
//
// Assumptions: publish() and readHistory() run on one thread (the backend's), and history read
// by readHistory() for revisions <= liveRevision is already committed and readable.

import { StorageError, type WatchEvent, type WatchHandlers, type Watcher } from '../interface.js';

export interface HistoryReader {
  /**
   * Events on keys starting with `prefix` with `after < revision <= upTo`, ascending, at most
   * `limit` of them, and the compaction point read in the same snapshot.
   */
  readHistory(prefix: string, after: number, upTo: number, limit: number): { events: WatchEvent[]; compactedRevision: number };
  /** The current compaction point. */
  compactedRevision(): number;
}

interface WatcherState {
  readonly prefix: string;
  readonly handlers: WatchHandlers;
  /** Every event with revision <= lastDelivered has been delivered (or skipped as not matching). */
  lastDelivered: number;
  live: boolean;
  stopped: boolean;
}

/** How many history events one catch-up step reads before yielding to the event loop. */
const CATCH_UP_CHUNK = 1000;

export class WatchHub {
  private readonly watchers = new Set<WatcherState>();
  private closed = false;

  constructor(
    private readonly reader: HistoryReader,
    /** Every event up to this revision is committed (and, for the live path, published). */
    private liveRevision: number,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    const state: WatcherState = { prefix, handlers, lastDelivered: Math.max(0, fromRevision), live: false, stopped: false };
    const stop = (): void => {
      state.stopped = true;
      this.watchers.delete(state);
    };
    if (this.closed) {
      queueMicrotask(() => this.fail(state, new StorageError('Unavailable', 'store is closed')));
      return { stop };
    }
    this.watchers.add(state);
    // Never call back before watch() has returned.
    queueMicrotask(() => this.catchUp(state));
    return { stop };
  }

  /**
   * Publishes committed events (ascending revisions, all > the previous liveRevision) and
   * advances liveRevision to `revision` (>= the last event's revision).
   */
  publish(events: readonly WatchEvent[], revision: number): void {
    this.liveRevision = Math.max(this.liveRevision, revision);
    for (const w of this.watchers) {
      if (!w.live || w.stopped) continue;
      let batch: WatchEvent[] | undefined;
      for (const ev of events) {
        if (ev.revision > w.lastDelivered && ev.key.startsWith(w.prefix)) (batch ??= []).push(ev);
      }
      if (batch) this.deliver(w, batch);
      if (!w.stopped) w.lastDelivered = Math.max(w.lastDelivered, this.liveRevision);
    }
  }

  /** Ends every watch with `err` (used on close). */
  closeAll(err: StorageError): void {
    this.closed = true;
    for (const w of [...this.watchers]) this.fail(w, err);
    this.watchers.clear();
  }

  private catchUp(w: WatcherState): void {
    if (w.stopped) return;
    try {
      if (w.lastDelivered < this.reader.compactedRevision()) {
        this.fail(w, compactedError(w.lastDelivered, this.reader.compactedRevision()));
        return;
      }
      if (w.lastDelivered >= this.liveRevision) {
        w.live = true;
        return;
      }
      const upTo = this.liveRevision;
      const { events, compactedRevision } = this.reader.readHistory(w.prefix, w.lastDelivered, upTo, CATCH_UP_CHUNK);
      if (w.lastDelivered < compactedRevision) {
        this.fail(w, compactedError(w.lastDelivered, compactedRevision));
        return;
      }
      if (events.length > 0) this.deliver(w, events);
      if (w.stopped) return;
      if (events.length >= CATCH_UP_CHUNK) {
        w.lastDelivered = events[events.length - 1]!.revision;
        setImmediate(() => this.catchUp(w));
      } else {
        // Everything up to `upTo` was read, and nothing was published meanwhile (same thread).
        w.lastDelivered = upTo;
        w.live = true;
      }
    } catch (err) {
      this.fail(w, toStorageError(err));
    }
  }

  private deliver(w: WatcherState, events: WatchEvent[]): void {
    try {
      w.handlers.onEvents(events);
    } catch (err) {
      // A throwing consumer must not break the writer or other watchers: end this watch.
      this.fail(w, new StorageError('Internal', `watch handler failed: ${(err as Error)?.message ?? String(err)}`));
    }
  }

  private fail(w: WatcherState, err: StorageError): void {
    if (w.stopped) return;
    w.stopped = true;
    this.watchers.delete(w);
    try {
      w.handlers.onError(err);
    } catch {
      // The watch is over either way.
    }
  }
}

export function compactedError(requested: number, compacted: number): StorageError {
  return new StorageError(
    'Compacted',
    `required revision ${requested} has been compacted (compacted revision ${compacted})`,
  );
}

export function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError('Internal', message);
}
