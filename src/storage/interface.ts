// The storage contract: a revisioned key-value log, the shape of etcd v3 that Kubernetes'
// storage layer relies on. Every backend (memory, sqlite, etcd) implements `Store` and
// passes the one conformance suite in ./testing/conformance.ts.
//
// Invariants every backend keeps:
// - One global revision counter. Every successful write (create, update, delete) appends one
//   entry to the log and gets the next revision; revisions are strictly increasing, never
//   reused, and the first write of a fresh store gets a revision > 0.
// - `modRevision` of a key is the revision of its last write; `createRevision` the revision of
//   the write that created it (a key deleted and created again gets a new createRevision).
// - Writes are atomic and durable when their promise resolves (for sqlite: committed with
//   fsync; concurrent writes may share one commit — group commit).
// - Compare-and-swap: update/delete with an expected modRevision fail with `Conflict` if the
//   key's current modRevision differs, and change nothing.
// - watch(prefix, rev) delivers, in revision order and without gaps or duplicates, every event
//   on keys under `prefix` with revision > rev, first from history, then live. If rev is below
//   the compaction point the watch fails with `Compacted` (the apiserver answers 410). A
//   watch may also fail with `Compacted` above that point when the history after rev can no
//   longer be read at all (EncryptingStore: values encrypted with a retired key): for the
//   consumer that history is gone, and the remedy is the same — relist, then watch from the
//   list's revision.
// - list(prefix, {revision}) reads a consistent snapshot at that revision (default: current).
//   Paging returns keys in ascending byte order; `continueKey` is the last key returned;
//   the next page reads with `{revision: <same>, startAfter: continueKey}`.
// - Values are opaque strings (the apiserver stores JSON).

export type StorageErrorCode =
  | 'NotFound' // key does not exist (update/delete/get with `mustExist`)
  | 'AlreadyExists' // create of an existing key
  | 'Conflict' // compare-and-swap failed: modRevision differs
  | 'Compacted' // the requested revision is below the compaction point (or its history is unreadable, see watch)
  | 'FutureRevision' // the requested revision is above the current revision
  | 'Unavailable' // the backend cannot be reached or was closed
  | 'TooLarge' // the backend refuses a value this big (etcd's --max-request-bytes); nothing was written
  | 'Internal'; // anything else; a bug or a corrupt store

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly key?: string,
    /** For Conflict: the key's current state, when known (saves a read on retry). */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface ListOptions {
  /** Read at this revision (0 or undefined: the current revision). */
  revision?: number;
  /** Max items to return (0 or undefined: no limit). */
  limit?: number;
  /** Start strictly after this key (for paging). */
  startAfter?: string;
  /** Keys and revisions only: every item's value is '' (cheaper when the values are not needed). */
  keysOnly?: boolean;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision this list was read at. */
  revision: number;
  /** True when more keys under the prefix follow the last returned one. */
  more: boolean;
  /** When `more`: how many keys remain after this page (exact or estimated). */
  remaining?: number;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** For put: the new value. For delete: undefined. */
  value?: string;
  /** The previous value (delete: the value that was deleted; put of an existing key: the old value). */
  prevValue?: string;
  /** Revision of this event (the key's new modRevision; for delete the delete's revision). */
  revision: number;
  /** createRevision of the key (for delete: that of the deleted value). */
  createRevision: number;
}

export interface Watcher {
  /** Stops delivery; idempotent. No callback runs after `stop()` returns. */
  stop(): void;
}

export interface WatchHandlers {
  /** Events in revision order. Called synchronously from the backend's delivery loop: keep it cheap. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended with an error (Compacted, Unavailable). No more events follow. */
  onError(err: StorageError): void;
}

export interface Store {
  /** Creates `key`; fails with AlreadyExists. Returns the new revision. */
  create(key: string, value: string): Promise<number>;

  /** Reads the current value, or undefined when the key does not exist. */
  get(key: string): Promise<KeyValue | undefined>;

  /** Lists keys with the given prefix in ascending key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;

  /** Counts keys under a prefix at the current revision. */
  count(prefix: string): Promise<number>;

  /**
   * Compare-and-swap update: succeeds only if the key's modRevision equals `expectedModRevision`.
   * Fails with NotFound if the key does not exist, Conflict if it changed. Returns the new revision.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<number>;

  /**
   * Deletes `key`, optionally only if its modRevision equals `expectedModRevision`.
   * Returns the deleted KeyValue and the revision of the delete.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }>;

  /** Watches keys under `prefix` for events with revision > `fromRevision`. */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher;

  /** The current (latest) revision. */
  currentRevision(): Promise<number>;

  /**
   * Optional: the revision of the newest write whose events this store has published to its
   * watchers, known synchronously (a store whose watchers receive events in the same turn as
   * the write is acknowledged). A watcher of every key that has seen exactly this revision holds
   * the store's current state of every key it saw; reads then may be served from it (the API
   * server's watch cache does, for the read before an update). Stores that cannot tell (etcd:
   * events arrive later over the network) leave it out or answer undefined.
   */
  publishedRevision?(): number | undefined;

  /** Drops history at and below `revision` (latest values are kept). Returns the new compaction point. */
  compact(revision: number): Promise<number>;

  /** The revision at or below which history has been compacted (0 when never). */
  compactedRevision(): Promise<number>;

  close(): Promise<void>;
}

/**
 * Reads `key`, applies `tryUpdate` and writes with compare-and-swap, retrying on Conflict
 * with the fresh state. `tryUpdate` may throw to abort (the error propagates unchanged).
 * Returning `undefined` means "no change": nothing is written and the current state returned.
 */
export async function guaranteedUpdate(
  store: Store,
  key: string,
  tryUpdate: (current: KeyValue) => string | undefined | Promise<string | undefined>,
  maxAttempts = 16,
): Promise<KeyValue> {
  let current = await store.get(key);
  for (let attempt = 0; ; attempt++) {
    if (!current) throw new StorageError('NotFound', `key not found: ${key}`, key);
    const next = await tryUpdate(current);
    if (next === undefined || next === current.value) return current;
    try {
      const revision = await store.update(key, next, current.modRevision);
      return { key, value: next, createRevision: current.createRevision, modRevision: revision };
    } catch (err) {
      if (!(err instanceof StorageError) || err.code !== 'Conflict' || attempt + 1 >= maxAttempts) throw err;
      current = err.current ?? (await store.get(key));
    }
  }
}
