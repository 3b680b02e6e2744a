// EtcdStore: the Store contract over etcd v3 (npm `etcd3`, raw KV/Watch RPCs), the way the
// Kubernetes apiserver uses etcd. Several EtcdStores (in one process or in several apiservers)
// may share one etcd cluster; each sees every write, whichever store made it.
//
// Mapping:
// - Keys on the wire are `<prefix><key>` (UTF-8), so stores with different prefixes share one
//   etcd without seeing each other's keys. Revisions are etcd's: one counter for the whole
//   cluster, so a store's revisions are strictly increasing but not contiguous, and a fresh
//   store's currentRevision() is whatever etcd is at (>= 1).
// - create: txn `create_revision(key) == 0` → put, else → range (AlreadyExists with current).
// - update: txn `create_revision(key) > 0 && mod_revision(key) == expected` → put,
//   else → range (NotFound when absent, Conflict with current).
// - delete: txn `create_revision(key) > 0 [&& mod_revision(key) == expected]` → delete with
//   prev_kv, else → range. A delete of a missing key never consumes a revision.
// - list: linearizable ranges (serializable off) pinned to one revision (the first page's
//   header revision when none is asked), paged internally so that no response approaches
//   gRPC's default 4 MiB receive limit: the first range of a list asks for FIRST_PAGE keys,
//   the following ones for as many as fit `pageBytes` (1 MiB) at the sizes observed so far,
//   capped at `pageSize`. The client's receive limit is raised to 64 MiB only as a safety net
//   for outliers (FIRST_PAGE keys of etcd's largest values, 1.5 MiB each, still fit); a
//   RESOURCE_EXHAUSTED reply halves the page and retries. `remaining` is etcd's exact
//   `count` minus what was returned.
// - watch(prefix, R): one gRPC watch stream per watcher with `start_revision = R` (not R+1),
//   prev_kv and fragment on; events at revision R are dropped client-side. Starting at R makes
//   etcd's own check (`start < compactRev` → compacted) equal to the contract's
//   (`R < compactedRevision` → Compacted), and it never depends on a tombstone at the
//   compaction point. On connection loss the watch resumes transparently from the last
//   delivered revision (again `start = lastDelivered`), so there are no gaps or duplicates;
//   if it cannot reconnect within `watchRetryMs` it ends with Unavailable.
// - compact(R): etcd Compact (physical: false). Compaction is cluster-wide: it also compacts
//   the history of every other prefix (as in Kubernetes, where one compactor serves all).
// - compactedRevision(): etcd has no RPC that reports the compaction point, and a reserved
//   key would consume a revision per compaction and drift when someone else (etcdctl, another
//   apiserver) compacts. Instead it is read from etcd itself: a range at revision r fails with
//   "compacted" exactly when r < compactRev, so the point is the smallest r whose range
//   succeeds. The store keeps a known lower bound (from its own compactions and from
//   compacted errors/watch replies), checks it with one range, and binary-searches upwards
//   only when someone compacted further. Never compacted (or compacted at 1) reads as 0.
//
// Durability: etcd acknowledges a write after a quorum committed it to its WAL (fsync).
//
// Retries: the etcd3 client retries an RPC that failed with a recoverable gRPC error (e.g.
// UNAVAILABLE) up to 3 times and fails over between endpoints. A write whose reply was lost
// may therefore be applied once and then report AlreadyExists/Conflict on the retry, the same
// at-least-once window the Kubernetes apiserver has with etcd.

// Types only: the client library (and gRPC under it, ~6 MB of heap and ~25 MB of RSS) loads
// when a store is opened, so a server on SQLite never pays for it.
import type { Etcd3, IKeyValue, IRangeRequest, IRangeResponse, IWatchResponse } from 'etcd3';
import type { IPolicy } from 'cockatiel';
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
import { compareKeys } from '../internal/keys.js';
import { closedError, conflictError, listPage } from '../internal/results.js';
import { compactedError } from '../internal/watch-hub.js';

export interface EtcdStoreOptions {
  /** etcd client endpoints, `host:port` (an `http://` scheme is accepted and ignored). */
  endpoints: string[];
  /** Prepended to every key on the wire (e.g. `/everynode`); default ''. */
  prefix?: string;
  /** Most keys one range request asks for (default 1000). */
  pageSize?: number;
  /** Bytes one range response aims at (default 1 MiB; gRPC's default receive limit is 4 MiB). */
  pageBytes?: number;
  /** Deadline of each unary RPC, ms (default 15000): a hung etcd turns into Unavailable. */
  requestTimeoutMs?: number;
  /** How long a broken watch keeps reconnecting before it ends with Unavailable, ms (default 30000). */
  watchRetryMs?: number;
}

type Etcd3Stream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_PAGE_BYTES = 1 << 20;
/** Keys in the first range of a list, before any size is known. */
const FIRST_PAGE = 32;
const MAX_RECEIVE_BYTES = 64 << 20;

export interface EtcdStoreStats {
  /** Range requests sent by list(). */
  rangeRequests: number;
  /** Largest key+value payload of one range response, bytes. */
  largestRangeBytes: number;
}

/**
 * The etcd client's policy per endpoint. Its default, a circuit breaker opening for 5 s after
 * three consecutive recoverable errors, exists to steer calls to other endpoints; with one
 * endpoint there is nowhere to steer, and it turned one broken watch stream (which cancels
 * every call in flight on that connection) or a paused process into 5 s of 503s for every
 * client of the server. So: none with one endpoint (each call fails or succeeds on its own, and
 * the client's global retry still retries it); with several, a breaker that tries the
 * endpoint again after 1 s.
 */
export function hostPolicy(endpoints: number, recoverable: (err: Error) => boolean, c: typeof import('cockatiel')): () => IPolicy {
  if (endpoints <= 1) return () => c.noop;
  return () => c.circuitBreaker(c.handleWhen(recoverable), { halfOpenAfter: 1_000, breaker: new c.ConsecutiveBreaker(3) });
}

export class EtcdStore implements Store {
  /**
   * Parses `etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]` (also `etcd+http://`). The prefix may
   * also be given as a path: `etcd://127.0.0.1:2379/everynode` means prefix `/everynode`.
   */
  static parseUrl(url: string): EtcdStoreOptions {
    const m = /^etcd(?:\+https?)?:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i.exec(url);
    if (!m) throw new StorageError('Internal', `invalid etcd URL ${JSON.stringify(url)}: use etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]`);
    const endpoints = (m[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (endpoints.length === 0) throw new StorageError('Internal', `etcd URL ${JSON.stringify(url)} names no endpoint`);
    for (const e of endpoints) {
      if (!/^(\[[0-9a-f:.]+\]|[^:\s]+):\d{1,5}$/i.test(e)) {
        throw new StorageError('Internal', `etcd URL ${JSON.stringify(url)}: endpoint ${JSON.stringify(e)} is not HOST:PORT`);
      }
    }
    const params = new URLSearchParams(m[3] ?? '');
    const pathPrefix = decodeURIComponent(m[2] ?? '');
    const prefix = params.get('prefix') ?? (pathPrefix === '/' ? '' : pathPrefix);
    return { endpoints, prefix };
  }

  /** Connects and checks that etcd answers (fails with Unavailable otherwise). */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const [lib, cockatiel] = await Promise.all([import('etcd3'), import('cockatiel')]);
    const store = new EtcdStore(opts, lib.Etcd3, (endpoints) => hostPolicy(endpoints, lib.isRecoverableError, cockatiel));
    try {
      await store.currentRevision();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  readonly prefix: string;
  readonly endpoints: readonly string[];
  private readonly client: Etcd3;
  private readonly prefixBytes: Buffer;
  private readonly maxPage: number;
  private readonly pageBytes: number;
  private readonly watchRetryMs: number;
  private readonly counters: EtcdStoreStats = { rangeRequests: 0, largestRangeBytes: 0 };
  /** A lower bound of etcd's compaction point (exact after compactedRevision()). */
  private knownCompacted = 0;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly watches = new Set<EtcdWatch>();

  /** Use `open`; `Client` is the etcd3 client class (loaded by open). */
  private constructor(opts: EtcdStoreOptions, Client: typeof Etcd3, policyFor: (endpoints: number) => () => IPolicy) {
    if (opts.endpoints.length === 0) throw new StorageError('Internal', 'EtcdStore needs at least one endpoint');
    this.endpoints = opts.endpoints.map((e) => e.replace(/^https?:\/\//, ''));
    this.prefix = opts.prefix ?? '';
    this.prefixBytes = Buffer.from(this.prefix, 'utf8');
    this.maxPage = Math.max(1, opts.pageSize ?? DEFAULT_PAGE_SIZE);
    this.pageBytes = Math.max(1024, opts.pageBytes ?? DEFAULT_PAGE_BYTES);
    this.watchRetryMs = Math.max(0, opts.watchRetryMs ?? 30_000);
    const timeout = Math.max(1, opts.requestTimeoutMs ?? 15_000);
    this.client = new Client({
      hosts: [...this.endpoints],
      grpcOptions: {
        // Notice a dead peer on a silent network (etcd's default minimum ping interval is 5 s).
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: { host: policyFor(this.endpoints.length) },
    });
  }

  // ---- writes -------------------------------------------------------------------------------

  async create(key: string, value: string): Promise<number> {
    const k = this.wire(key);
    const res = await this.track(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8') } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (res.succeeded) return rev(res.header.revision);
    const cur = this.failedRange(res.responses);
    throw new StorageError('AlreadyExists', `key already exists: ${key}`, key, cur);
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const k = this.wire(key);
    const res = await this.track(() =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
        ],
        success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8') } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (res.succeeded) return rev(res.header.revision);
    const cur = this.failedRange(res.responses);
    if (!cur) throw new StorageError('NotFound', `key not found: ${key}`, key);
    throw conflictError(key, expectedModRevision, cur);
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const k = this.wire(key);
    const res = await this.track(() =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
          ...(expectedModRevision === undefined
            ? []
            : [{ key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision }]),
        ],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (res.succeeded) {
      const prev = res.responses[0]?.response_delete_range?.prev_kvs?.[0];
      if (!prev) throw new StorageError('Internal', `etcd delete of ${key} returned no previous value`, key);
      return { revision: rev(res.header.revision), prev: this.toKeyValue(prev) };
    }
    const cur = this.failedRange(res.responses);
    if (!cur) throw new StorageError('NotFound', `key not found: ${key}`, key);
    throw conflictError(key, expectedModRevision ?? 0, cur);
  }

  // ---- reads --------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.track(() => this.client.kv.range({ key: this.wire(key) }));
    const kv = res.kvs[0];
    return kv && this.toKeyValue(kv);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const end = this.rangeEnd(prefix);
    let start =
      opts.startAfter !== undefined && compareKeys(opts.startAfter, prefix) >= 0
        ? Buffer.concat([this.wire(opts.startAfter), Buffer.from([0])])
        : this.wire(prefix);
    const want = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const items: KeyValue[] = [];
    let total: number | undefined;
    let pageSize = Math.min(FIRST_PAGE, this.maxPage);
    let seenKeys = 0;
    let seenBytes = 0;
    for (;;) {
      const req = { key: start, range_end: end, revision, limit: Math.min(pageSize, want - items.length), ...(opts.keysOnly ? { keys_only: true } : {}) };
      const res = await this.rangePage(req);
      if (revision === 0) revision = rev(res.header.revision);
      total ??= Number(res.count);
      let bytes = 0;
      for (const kv of res.kvs) {
        items.push(this.toKeyValue(kv));
        bytes += kv.key.length + kv.value.length;
      }
      this.counters.rangeRequests++;
      this.counters.largestRangeBytes = Math.max(this.counters.largestRangeBytes, bytes);
      seenKeys += res.kvs.length;
      seenBytes += bytes;
      // Size the next page to carry about pageBytes (plus framing and revisions per key).
      const perKey = seenBytes / Math.max(1, seenKeys) + 32;
      pageSize = Math.max(1, Math.min(this.maxPage, Math.floor(this.pageBytes / perKey), req.limit * 16));
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) {
        return { items, revision, more: false };
      }
      if (items.length >= want) {
        return listPage(items, total, revision);
      }
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  async count(prefix: string): Promise<number> {
    const res = await this.track(() =>
      this.client.kv.range({ key: this.wire(prefix), range_end: this.rangeEnd(prefix), count_only: true }),
    );
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    return rev((await this.probe(0)).header.revision);
  }

  // ---- watch --------------------------------------------------------------------------------

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    const w = new EtcdWatch(this, prefix, fromRevision, handlers);
    if (this.closed) {
      queueMicrotask(() => w.fail(closedError()));
    } else {
      this.watches.add(w);
      queueMicrotask(() => w.connect());
    }
    return { stop: () => w.stop() };
  }

  /** @internal Opens a raw watch stream (for EtcdWatch). */
  openWatchStream(): Promise<Etcd3Stream> {
    if (this.closed) return Promise.reject(closedError());
    return this.client.watchClient.watch();
  }

  /** @internal */
  watchRequest(prefix: string, startRevision: number): { key: Buffer; range_end: Buffer; start_revision: number; prev_kv: boolean; fragment: boolean } {
    return { key: this.wire(prefix), range_end: this.rangeEnd(prefix), start_revision: startRevision, prev_kv: true, fragment: true };
  }

  /** @internal */
  unwire(key: Buffer): string {
    return key.subarray(this.prefixBytes.length).toString('utf8');
  }

  /** @internal */
  noteCompacted(revision: number): void {
    this.knownCompacted = Math.max(this.knownCompacted, revision);
  }

  /** @internal */
  forget(w: EtcdWatch): void {
    this.watches.delete(w);
  }

  /** @internal */
  get watchRetryLimitMs(): number {
    return this.watchRetryMs;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- compaction ---------------------------------------------------------------------------

  async compact(revision: number): Promise<number> {
    if (revision <= this.knownCompacted) {
      this.checkOpen();
      return this.compactedRevision();
    }
    try {
      await this.track(() => this.client.kv.compact({ revision, physical: false }));
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Compacted') return this.compactedRevision();
      throw err;
    }
    this.noteCompacted(revision);
    return revision;
  }

  async compactedRevision(): Promise<number> {
    const known = this.knownCompacted;
    if (await this.revisionReadable(Math.max(1, known))) return known;
    // Someone compacted beyond what this store knows: find the smallest readable revision.
    let lo = Math.max(1, known) + 1;
    let hi = await this.currentRevision();
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await this.revisionReadable(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.noteCompacted(lo);
    return this.knownCompacted;
  }

  private async revisionReadable(revision: number): Promise<boolean> {
    try {
      await this.probe(revision);
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Compacted') return false;
      throw err;
    }
  }

  /** A cheap linearizable read (count of one key) at `revision` (0: current). */
  private probe(revision: number): Promise<IRangeResponse> {
    return this.track(() => this.client.kv.range({ key: this.prefixBytes.length > 0 ? this.prefixBytes : Buffer.from([0]), count_only: true, revision }));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Paging counters (for tests and benchmarks). */
  stats(): EtcdStoreStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.fail(closedError());
    this.watches.clear();
    // Requests already sent finish (their promises settle) before the client goes away.
    await Promise.allSettled([...this.inFlight]);
    this.client.close();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  /** Runs one RPC: refused when closed, errors mapped to StorageError, tracked for close(). */
  private async track<T>(call: () => Promise<T>): Promise<T> {
    this.checkOpen();
    const p = call();
    this.inFlight.add(p);
    try {
      return await p;
    } catch (err) {
      throw this.mapError(err);
    } finally {
      this.inFlight.delete(p);
    }
  }

  private async rangePage(req: IRangeRequest & { limit: number }): Promise<IRangeResponse> {
    for (;;) {
      try {
        return await this.track(() => this.client.kv.range(req));
      } catch (err) {
        // A response over the receive limit: halve the page and ask again.
        if (err instanceof StorageError && err.code === 'Internal' && /RESOURCE_EXHAUSTED|larger than max/i.test(err.message) && req.limit > 1) {
          req.limit = Math.max(1, Math.floor(req.limit / 2));
          continue;
        }
        throw err;
      }
    }
  }

  private wire(key: string): Buffer {
    return Buffer.concat([this.prefixBytes, Buffer.from(key, 'utf8')]);
  }

  /** The exclusive end of the wire range holding every key that starts with `prefix`. */
  private rangeEnd(prefix: string): Buffer {
    const b = Buffer.from(this.wire(prefix));
    for (let i = b.length - 1; i >= 0; i--) {
      if (b[i]! < 0xff) {
        b[i] = b[i]! + 1;
        return b.subarray(0, i + 1);
      }
    }
    return Buffer.from([0]); // every key (etcd: range_end "\0" means "to the end")
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.unwire(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: rev(kv.create_revision),
      modRevision: rev(kv.mod_revision),
    };
  }

  private failedRange(responses: Array<{ response_range?: IRangeResponse }>): KeyValue | undefined {
    const kv = responses[0]?.response_range?.kvs?.[0];
    return kv && this.toKeyValue(kv);
  }

  /** @internal Maps an etcd3/gRPC error to the contract's closed set of codes. */
  mapError(err: unknown): StorageError {
    if (err instanceof StorageError) return err;
    const e = err as { name?: unknown; message?: unknown; constructor?: { name?: string } };
    // gRPC's connection errors end in an empty "Resolution note:" and repeat "Error:".
    const message = (typeof e?.message === 'string' ? e.message : String(err)).replace(/\s*Resolution note:\s*$/, '').replace(/Last error: Error: /, 'last error: ');
    const kind = e?.constructor?.name ?? '';
    const where = `etcd ${this.endpoints.join(',')}`;
    if (/required revision has been compacted/.test(message)) {
      return new StorageError('Compacted', `${where}: ${message}`);
    }
    if (/required revision is a future revision/.test(message)) {
      return new StorageError('FutureRevision', `${where}: ${message}`);
    }
    // A request over etcd's --max-request-bytes (1.5 MiB by default): refused by etcd itself, or
    // by its gRPC server before (a message over its receive limit).
    if (/request is too large|RESOURCE_EXHAUSTED: grpc: received message larger than max/.test(message)) {
      return new StorageError('TooLarge', `${where}: ${message}`);
    }
    if (
      this.closed ||
      /^(GRPCUnavailableError|GRPCDeadlineExceededError|GRPCCancelledError|ClientClosedError|BrokenCircuitError|IsolatedCircuitError|EtcdWatchStreamEnded)$/.test(kind) ||
      /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|circuit|no leader|leader changed|request timed out|timed out|too many requests|not capable|closed/i.test(message)
    ) {
      return new StorageError('Unavailable', `${where}: ${message}`);
    }
    return new StorageError('Internal', `${where}: ${message}`);
  }
}

/**
 * One watch: a gRPC watch stream, re-created after connection loss from the last delivered
 * revision. Invariants: `lastDelivered` only grows; every event with revision <= lastDelivered
 * has been delivered (or belonged to the start revision); no callback after stop()/fail().
 */
class EtcdWatch {
  private lastDelivered: number;
  private stopped = false;
  private stream: Etcd3Stream | undefined;
  /** Events of a fragmented response, until its last fragment arrives. */
  private fragments: IWatchResponse['events'] = [];
  /** When the current run of failed (re)connects started; undefined while connected. */
  private failingSince: number | undefined;
  private backoffMs = 50;
  private lastError = '';

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
  ) {
    this.lastDelivered = Math.max(0, Math.floor(fromRevision));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.store.forget(this);
    this.closeStream();
  }

  fail(err: StorageError): void {
    if (this.stopped) return;
    this.stop();
    try {
      this.handlers.onError(err);
    } catch {
      // The watch is over either way.
    }
  }

  async connect(): Promise<void> {
    if (this.stopped) return;
    let stream: Etcd3Stream;
    try {
      stream = await this.store.openWatchStream();
    } catch (err) {
      this.broken(err);
      return;
    }
    if (this.stopped) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    this.fragments = [];
    let ended = false;
    const onBroken = (err: unknown): void => {
      if (ended || this.stream !== stream) return;
      ended = true;
      this.stream = undefined;
      try {
        stream.cancel();
      } catch {
        // already closed
      }
      this.broken(err);
    };
    stream.on('data', (res) => {
      if (this.stream === stream) this.onResponse(res);
    });
    stream.on('error', (err) => onBroken(err));
    stream.on('end', () => onBroken(new Error('watch stream ended')));
    // start_revision = lastDelivered (not +1): see the file comment. 0 means "now" to etcd.
    stream.write({ create_request: this.store.watchRequest(this.prefix, Math.max(1, this.lastDelivered)) });
  }

  private onResponse(res: IWatchResponse): void {
    if (this.stopped) return;
    const compactRevision = rev(res.compact_revision);
    if (compactRevision > 0) {
      this.store.noteCompacted(compactRevision);
      this.fail(compactedError(this.lastDelivered, compactRevision));
      return;
    }
    if (res.canceled) {
      const reason = res.cancel_reason || 'canceled by the server';
      const err = this.store.mapError(new Error(`etcd watch canceled: ${reason}`));
      this.fail(err.code === 'Unavailable' ? err : new StorageError('Internal', err.message));
      return;
    }
    if (res.created) {
      this.failingSince = undefined;
      this.backoffMs = 50;
    }
    if (res.events.length === 0) return;
    if (res.fragment) {
      this.fragments.push(...res.events);
      return;
    }
    const raw = this.fragments.length > 0 ? [...this.fragments, ...res.events] : res.events;
    this.fragments = [];
    const events: WatchEvent[] = [];
    for (const e of raw) {
      const revision = rev(e.kv.mod_revision);
      if (revision <= this.lastDelivered) continue;
      const prev = e.prev_kv ?? undefined;
      const key = this.store.unwire(e.kv.key);
      const ev: WatchEvent =
        e.type === 'Delete'
          ? { type: 'delete', key, revision, createRevision: prev ? rev(prev.create_revision) : 0 }
          : { type: 'put', key, value: e.kv.value.toString('utf8'), revision, createRevision: rev(e.kv.create_revision) };
      if (prev) ev.prevValue = prev.value.toString('utf8');
      events.push(ev);
    }
    if (events.length === 0) return;
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      this.fail(new StorageError('Internal', `watch handler failed: ${(err as Error)?.message ?? String(err)}`));
      return;
    }
    this.lastDelivered = Math.max(this.lastDelivered, events[events.length - 1]!.revision);
  }

  /** The stream broke (or could not be opened): reconnect with backoff, or give up. */
  private broken(err: unknown): void {
    if (this.stopped) return;
    const mapped = this.store.mapError(err);
    if (this.store.isClosed) {
      this.fail(closedError());
      return;
    }
    this.lastError = mapped.message;
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince >= this.store.watchRetryLimitMs) {
      this.fail(
        new StorageError(
          'Unavailable',
          `etcd watch of ${JSON.stringify(this.prefix)} lost its connection and could not resume from revision ${this.lastDelivered} within ${this.store.watchRetryLimitMs} ms: ${this.lastError}`,
        ),
      );
      return;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(2000, this.backoffMs * 2);
    const t = setTimeout(() => void this.connect(), delay);
    t.unref();
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    if (!s) return;
    try {
      s.cancel();
    } catch {
      // already closed
    }
  }
}

function rev(v: string | number | undefined | null): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

