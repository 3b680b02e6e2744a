// MemoryStore: the Store contract held in process memory. Same semantics as the durable
// backends (one revision counter, CAS, history for watch replay and list-at-revision,
// compaction), nothing survives the process. Used by tests and `memory://`.
//
// Representation:
// - `current`: the live keys; `sortedKeys`: the same keys in UTF-8 byte order (for lists).
// - `log`: every write with revision > compactedRevision, ascending. A state at an older
//   revision R >= compactedRevision is rebuilt by undoing the log entries with revision > R
//   (each entry records the state it replaced).

import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandlers,
  type Watcher,
} from '../interface.js';
import { compareKeys, lowerBound } from '../internal/keys.js';
import { closedError, conflictError, listPage } from '../internal/results.js';
import { WatchHub, compactedError } from '../internal/watch-hub.js';

interface LogEntry {
  revision: number;
  key: string;
  deleted: boolean;
  /** The new value (undefined for delete). */
  value?: string;
  createRevision: number;
  /** The replaced state: its value and modRevision (absent for a create). */
  prevValue?: string;
  prevRevision: number;
}

export class MemoryStore implements Store {
  private readonly current = new Map<string, KeyValue>();
  private readonly sortedKeys: string[] = [];
  private readonly log: LogEntry[] = [];
  private revision = 0;
  private compacted = 0;
  private closed = false;
  /** Events applied but not yet published to watchers (published in a microtask, in order). */
  private unpublished: WatchEvent[] = [];
  /** Revision of the last event published (Store.publishedRevision). */
  private published = 0;
  private readonly hub: WatchHub;

  constructor() {
    this.hub = new WatchHub(
      {
        readHistory: (prefix, after, upTo, limit) => ({
          events: this.readHistory(prefix, after, upTo, limit),
          compactedRevision: this.compacted,
        }),
        compactedRevision: () => this.compacted,
      },
      0,
    );
  }

  async create(key: string, value: string): Promise<number> {
    this.checkOpen();
    if (this.current.has(key)) throw new StorageError('AlreadyExists', `key already exists: ${key}`, key, this.current.get(key));
    const revision = ++this.revision;
    this.current.set(key, { key, value, createRevision: revision, modRevision: revision });
    this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 0, key);
    this.append({ revision, key, deleted: false, value, createRevision: revision, prevRevision: 0 });
    return revision;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const kv = this.current.get(key);
    return kv && { ...kv };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = opts.revision || this.revision;
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `required revision ${revision} is a future revision (current ${this.revision})`);
    }
    if (revision < this.compacted) throw compactedError(revision, this.compacted);
    const keys = revision === this.revision ? this.sortedKeys : undefined;
    let all: KeyValue[];
    if (keys) {
      const start =
        opts.startAfter !== undefined && compareKeys(opts.startAfter, prefix) >= 0
          ? lowerBound(keys, opts.startAfter, true)
          : lowerBound(keys, prefix);
      let end = start;
      while (end < keys.length && keys[end]!.startsWith(prefix)) end++;
      const total = end - start;
      const limit = opts.limit && opts.limit > 0 ? Math.min(opts.limit, total) : total;
      const items = keys.slice(start, start + limit).map((k) => ({ ...this.current.get(k)!, ...(opts.keysOnly ? { value: '' } : {}) }));
      return listPage(items, total, revision);
    }
    all = this.stateAt(prefix, revision);
    if (opts.startAfter !== undefined) {
      const after = opts.startAfter;
      all = all.filter((kv) => compareKeys(kv.key, after) > 0);
    }
    const limit = opts.limit && opts.limit > 0 ? Math.min(opts.limit, all.length) : all.length;
    const page = all.slice(0, limit);
    return listPage(opts.keysOnly ? page.map((kv) => ({ ...kv, value: '' })) : page, all.length, revision);
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let i = lowerBound(this.sortedKeys, prefix);
    let n = 0;
    while (i < this.sortedKeys.length && this.sortedKeys[i]!.startsWith(prefix)) (i++, n++);
    return n;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    this.checkOpen();
    const cur = this.current.get(key);
    if (!cur) throw new StorageError('NotFound', `key not found: ${key}`, key);
    if (cur.modRevision !== expectedModRevision) throw conflictError(key, expectedModRevision, cur);
    const revision = ++this.revision;
    this.current.set(key, { key, value, createRevision: cur.createRevision, modRevision: revision });
    this.append({
      revision,
      key,
      deleted: false,
      value,
      createRevision: cur.createRevision,
      prevValue: cur.value,
      prevRevision: cur.modRevision,
    });
    return revision;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    this.checkOpen();
    const cur = this.current.get(key);
    if (!cur) throw new StorageError('NotFound', `key not found: ${key}`, key);
    if (expectedModRevision !== undefined && cur.modRevision !== expectedModRevision) throw conflictError(key, expectedModRevision, cur);
    const revision = ++this.revision;
    this.current.delete(key);
    this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 1);
    this.append({
      revision,
      key,
      deleted: true,
      createRevision: cur.createRevision,
      prevValue: cur.value,
      prevRevision: cur.modRevision,
    });
    return { revision, prev: { ...cur } };
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    return this.hub.watch(prefix, fromRevision, handlers);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  /** The newest revision whose event was published (writes publish in a microtask). */
  publishedRevision(): number {
    return this.published;
  }

  async compact(revision: number): Promise<number> {
    this.checkOpen();
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `cannot compact to future revision ${revision} (current ${this.revision})`);
    }
    if (revision <= this.compacted) return this.compacted;
    this.compacted = revision;
    const cut = this.indexAfter(revision);
    this.log.splice(0, cut);
    return this.compacted;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.publishPending();
    this.closed = true;
    this.hub.closeAll(closedError());
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private append(entry: LogEntry): void {
    this.log.push(entry);
    if (this.unpublished.length === 0) queueMicrotask(() => this.publishPending());
    this.unpublished.push(toEvent(entry));
  }

  private publishPending(): void {
    if (this.unpublished.length === 0) return;
    const events = this.unpublished;
    this.unpublished = [];
    this.published = events[events.length - 1]!.revision;
    this.hub.publish(events, this.published);
  }

  /** Index of the first log entry with revision > `revision`. */
  private indexAfter(revision: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private readHistory(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let i = this.indexAfter(after); i < this.log.length && out.length < limit; i++) {
      const e = this.log[i]!;
      if (e.revision > upTo) break;
      if (e.key.startsWith(prefix)) out.push(toEvent(e));
    }
    return out;
  }

  /** The keys under `prefix` as they were at `revision` (>= compacted), sorted. */
  private stateAt(prefix: string, revision: number): KeyValue[] {
    const state = new Map<string, KeyValue>();
    for (let i = lowerBound(this.sortedKeys, prefix); i < this.sortedKeys.length; i++) {
      const k = this.sortedKeys[i]!;
      if (!k.startsWith(prefix)) break;
      state.set(k, this.current.get(k)!);
    }
    for (let i = this.log.length - 1; i >= 0; i--) {
      const e = this.log[i]!;
      if (e.revision <= revision) break;
      if (!e.key.startsWith(prefix)) continue;
      if (e.prevValue === undefined) state.delete(e.key);
      else state.set(e.key, { key: e.key, value: e.prevValue, createRevision: e.createRevision, modRevision: e.prevRevision });
    }
    return [...state.values()].sort((a, b) => compareKeys(a.key, b.key)).map((kv) => ({ ...kv }));
  }
}

function toEvent(e: LogEntry): WatchEvent {
  const ev: WatchEvent = e.deleted
    ? { type: 'delete', key: e.key, revision: e.revision, createRevision: e.createRevision }
    : { type: 'put', key: e.key, value: e.value!, revision: e.revision, createRevision: e.createRevision };
  if (e.prevValue !== undefined) ev.prevValue = e.prevValue;
  return ev;
}
