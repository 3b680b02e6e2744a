// The watch cache: ONE store watch over /registry/ from startup, a ring buffer of recent
// events, and the per-request watchers that HTTP watch requests become.
//
// Invariants:
// - Events reach the cache in revision order without gaps (the Store contract). `rev` is the
//   last revision seen; every event with revision in (ringStart, rev] is in the ring.
// - A watcher receives, in revision order and exactly once, every event with revision >
//   its `minRev` that concerns its resource (and namespace), translated through its filter:
//   an object entering the filter is ADDED, leaving it is DELETED (previous state with the
//   event's resourceVersion), as upstream's cacher does.
// - Each event's wire line is encoded once per variant and shared by all watchers; per-event
//   work is proportional to the watchers of that one resource only.
// - Watches from a revision the ring no longer holds read from the store's history (their own
//   store watch). Below the store's compaction point, or when that history cannot be read
//   (the store watch ends with Compacted or Internal), the answer is one ERROR event (410).
// - A watcher whose unsent output exceeds `maxBufferedBytes` is closed (slow clients must not
//   hold memory or block others); the client re-watches from its last revision.
// - The store watch never stays down while the cache runs: whatever ended it (Unavailable,
//   Compacted, a failing event), the cache closes its watchers (clients relist / re-watch),
//   tells onChange listeners '*', and restarts it on a timer with capped exponential backoff
//   (`restartDelayMs` doubling up to `maxRestartDelayMs`), retrying failed restarts the same
//   way until the store answers again or stop() is called. Restarts never run back to back in
//   microtasks, so a failure that repeats at once cannot starve the event loop.
// - A watcher whose client is gone before its stream is set up (during the handler's or
//   serve()'s awaits) is never registered.

import { SelectionCache } from './selection-cache.js';
import { fillSchemaDefaults } from '../api/schema/index.js';
import type { ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { ApiError, tooLargeResourceVersion } from '../api/errors.js';
import { groupVersionOf, tableKeyOf, type KindDef } from '../api/kinds.js';
import { POD_SECURITY_LABEL_PREFIX } from '../api/pod-security.js';
import type { KubeObject } from '../api/types.js';
import { freezeSharedInTests, sharedObjectsCheckedInTests, watchObjectSink, watchObjectSinkOf, type WatchObjectEventType, type WatchObjectSink } from '../api/watch-objects.js';
import { StorageError, type KeyValue, type ListResult, type Store, type Watcher as StoreWatcher, type WatchEvent } from '../storage/interface.js';
import type { Logger } from '../util/logger.js';
import { buildTable, type TableApiVersion } from './tables/index.js';
import type { ObjectFilter } from './filter.js';
import { asServedVersion, decodeStored, goJsonEscape, partialObjectMetadata, withResourceVersion } from './object-codec.js';
import type { IncludeObject } from './query.js';
import { keyPrefix, parseKey, registryRoot, resourceIndexKey } from './registry.js';
import { toHttpError } from './errors.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** How long a read at a resourceVersion the store has not reached waits for it (upstream: 3 s). */
export const FRESHNESS_WAIT_MS = 3000;
/** How often such a wait looks at the store's revision again. */
const FRESHNESS_POLL_MS = 50;
/** Offers (WatchCache.offer) kept at most; past it they are dropped (a bound, never reached by writers that wait for their writes). */
const MAX_OFFERS = 4096;

/** One store event, with lazily decoded objects and lazily encoded wire lines. */
export class CachedEvent {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string;
  private obj?: KubeObject;
  private prevObj?: KubeObject;
  private lines?: Map<string, string>;
  /**
   * spec.nodeName of the new and the previous object ('' when unset), recorded when the event
   * was routed to node-indexed watchers; lets a replay skip other nodes' events undecoded.
   */
  nodeNames?: [string | undefined, string | undefined];

  constructor(readonly ev: WatchEvent) {
    const parsed = parseKey(ev.key);
    this.resource = parsed?.resource ?? '';
    this.namespace = parsed?.namespace;
    this.name = parsed?.name ?? '';
  }

  get revision(): number {
    return this.ev.revision;
  }

  /** The type without a filter: ADDED (created by this event), MODIFIED or DELETED. */
  get naturalType(): EventType {
    if (this.ev.type === 'delete') return 'DELETED';
    return this.ev.createRevision === this.ev.revision ? 'ADDED' : 'MODIFIED';
  }

  /** The new object (put), with metadata.resourceVersion = the event revision. */
  object(): KubeObject | undefined {
    if (this.ev.type !== 'put' || this.ev.value === undefined) return undefined;
    return (this.obj ??= decodeStored(this.ev.value, this.ev.revision));
  }

  /** The previous object, with metadata.resourceVersion = the event revision. */
  previous(): KubeObject | undefined {
    if (this.ev.prevValue === undefined) return undefined;
    return (this.prevObj ??= decodeStored(this.ev.prevValue, this.ev.revision));
  }

  /**
   * Drops the decoded objects and encoded lines (they are rebuilt on demand). Called once the
   * event has been delivered to the live watchers: the ring keeps only the stored JSON, so
   * 10,000 cached events cost their JSON strings, not also two decoded objects and lines each.
   * The latest event of its key keeps its decoded object (see `latestObject`): the object is
   * the one the in-process informers hold, so keeping it costs a reference.
   */
  release(): void {
    if (!this.latest) this.obj = undefined;
    this.prevObj = undefined;
    this.lines = undefined;
  }

  /** Set while this is the ring's last event of its key; cleared (and released) when superseded. */
  latest = true;

  /** Marks the event superseded by a newer one of its key, and drops its decoded object. */
  supersede(): void {
    this.latest = false;
    this.obj = undefined;
  }

  /** The object if some reader decoded it already (never decodes). */
  decodedObject(): KubeObject | undefined {
    return this.obj;
  }

  /** Takes `obj`, the writer's equivalent of decodeStored(value), as the decoded object (see WatchCache.offer). */
  adopt(obj: KubeObject): void {
    obj.metadata.resourceVersion = String(this.ev.revision);
    this.obj = obj;
  }

  /** The JSON line for `type` (the object is the previous state for DELETED). */
  line(type: EventType): string {
    const key = type;
    let l = this.lines?.get(key);
    if (l === undefined) {
      const src = type === 'DELETED' ? this.ev.prevValue : this.ev.value;
      l = `{"type":"${type}","object":${withResourceVersion(src ?? '{}', this.ev.revision)}}\n`;
      (this.lines ??= new Map()).set(key, l);
    }
    return l;
  }

  /** The Table line for `type` (one row; headers unless omitted). */
  tableLine(type: EventType, gk: string, include: IncludeObject, apiVersion: TableApiVersion, omitHeaders: boolean): string {
    const key = `T|${type}|${include}|${apiVersion}|${omitHeaders ? 1 : 0}`;
    let l = this.lines?.get(key);
    if (l === undefined) {
      const obj = type === 'DELETED' ? this.previous() : this.object();
      const table = buildTable(gk, obj ? [obj] : [], { includeObject: include, apiVersion, omitHeaders });
      l = `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
      (this.lines ??= new Map()).set(key, l);
    }
    return l;
  }
}

export interface TableOptions {
  apiVersion: TableApiVersion;
  includeObject: IncludeObject;
}

export interface WatchRequest {
  kind: KindDef;
  /** The path namespace (namespaced kinds); undefined: all namespaces / cluster-scoped. */
  namespace: string | undefined;
  filter: ObjectFilter | undefined;
  /** Raw resourceVersion query value (undefined when absent). */
  resourceVersion: string | undefined;
  sendInitialEvents: boolean | undefined;
  allowBookmarks: boolean;
  /** Seconds until the stream ends; 0: no timeout; negative: it ends at once, with no event. */
  timeoutSeconds: number;
  table?: TableOptions;
  /** Set (the meta.k8s.io apiVersion) when events carry PartialObjectMetadata (metadata-only clients). */
  partialMetadata?: string;
}

export interface WatchCacheOptions {
  store: Store;
  logger: Logger;
  /** Ring capacity in events (default 10,000). */
  capacity?: number;
  /** Period of BOOKMARK events for watchers that allow them (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Unsent bytes after which a watcher is closed (default 32 MiB). */
  maxBufferedBytes?: number;
  /** First delay before restarting a failed store watch (default 100 ms); doubles per failure. */
  restartDelayMs?: number;
  /** Cap of the restart delay (default 5 s). */
  maxRestartDelayMs?: number;
}

class ActiveWatcher {
  closed = false;
  headersSent = false;
  /** Last revision delivered or skipped past; used for bookmarks. */
  lastRev: number;
  storeWatch?: StoreWatcher;
  timer?: NodeJS.Timeout;
  /** The bookmark 2 s before the timeout (allowWatchBookmarks with timeoutSeconds). */
  deadlineBookmark?: NodeJS.Timeout;
  readonly gk: string;
  /** Set when the client (in this process) takes events as objects; never for Tables. */
  private readonly sink: WatchObjectSink | undefined;

  constructor(
    readonly req: WatchRequest,
    readonly res: ServerResponse,
    public minRev: number,
    private readonly cache: WatchCache,
  ) {
    this.lastRev = minRev;
    this.gk = tableKeyOf(req.kind);
    this.sink = req.table || req.partialMetadata ? undefined : watchObjectSinkOf(res);
  }

  write(chunk: string): void {
    if (this.closed) return;
    this.res.write(chunk);
    this.checkBuffered();
  }

  /** Hands the event to an object sink (see src/api/watch-objects.ts); `bytes` as a line. */
  private send(sink: WatchObjectSink, type: WatchObjectEventType, obj: KubeObject, bytes: number): void {
    if (this.closed) return;
    sink[watchObjectSink](type, obj, bytes);
    this.checkBuffered();
  }

  private checkBuffered(): void {
    if (this.res.writableLength > this.cache.maxBufferedBytes) {
      this.cache.logger.warn(`closing slow watcher of ${this.gk} (${this.res.writableLength} bytes unsent)`);
      this.close();
    }
  }

  /**
   * Delivers one event if it concerns this watcher (see the module invariants). Never throws:
   * it runs inside the store's delivery loop; a failure closes only this watcher.
   */
  deliver(e: CachedEvent): void {
    try {
      this.deliverUnsafe(e);
    } catch (err) {
      this.cache.logger.error(`watch of ${this.gk}: cannot deliver event at revision ${e.revision}; closing the watch`, err);
      // The client is told (an ERROR event, 500 as upstream), not left with a stream that just ends.
      if (!this.sink && !this.closed) {
        const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: the event at revision ${e.revision} cannot be served`, reason: 'InternalError', code: 500 };
        this.res.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      }
      this.close();
    }
  }

  private deliverUnsafe(e: CachedEvent): void {
    if (this.closed || e.revision <= this.minRev) return;
    this.lastRev = e.revision;
    const r = this.req;
    if (r.namespace !== undefined && e.namespace !== r.namespace) return;
    let type: EventType | undefined = e.naturalType;
    const f = r.filter;
    if (f) {
      if (f.name !== undefined && f.name !== e.name) return;
      if (f.namespace !== undefined && (e.namespace ?? '') !== f.namespace) return;
      const cur = e.ev.type === 'put' ? e.object() : undefined;
      const curMatch = cur !== undefined && f.matches(cur);
      const prev = e.previous();
      const prevMatch = prev !== undefined ? f.matches(prev) : type === 'MODIFIED' && curMatch;
      if (e.ev.type === 'delete') type = prevMatch ? 'DELETED' : undefined;
      else if (curMatch) type = prevMatch ? 'MODIFIED' : 'ADDED';
      else type = prevMatch ? 'DELETED' : undefined;
      if (type === undefined) return;
    }
    if (this.sink) {
      const obj = type === 'DELETED' ? e.previous() : e.object();
      if (obj) {
        this.send(this.sink, type, this.served(obj), (type === 'DELETED' ? e.ev.prevValue : e.ev.value)?.length ?? 0);
        return;
      }
    }
    this.write(this.encode(e, type));
  }

  /** A stored object as the watched kind serves it (a view's form; see KindView). */
  private served(obj: KubeObject): KubeObject {
    return this.req.kind.view ? this.req.kind.view.fromStored(obj) : obj;
  }

  private encode(e: CachedEvent, type: EventType): string {
    const t = this.req.table;
    const partial = this.req.partialMetadata;
    if (partial) {
      const obj = type === 'DELETED' ? e.previous() : e.object();
      return `{"type":"${type}","object":${JSON.stringify(partialObjectMetadata(obj ?? ({ metadata: {} } as KubeObject), partial))}}\n`;
    }
    if (this.req.kind.view) {
      // A view's events are converted for each watcher (views are rare: Events through events.k8s.io/v1).
      const obj = type === 'DELETED' ? e.previous() : e.object();
      const served = obj ? this.served(obj) : undefined;
      if (!t) return `{"type":"${type}","object":${served ? goJsonEscape(JSON.stringify(served)) : '{}'}}\n`;
      const table = buildTable(this.gk, served ? [served] : [], { includeObject: t.includeObject, apiVersion: t.apiVersion, omitHeaders: this.headersSent });
      this.headersSent = true;
      return `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
    }
    if (!t) {
      // Custom resources are served in the watched version whatever version wrote them (a CRD's
      // versions convert with strategy None: only apiVersion differs), with that version's
      // schema defaults filled in (the event's object is shared: defaults go on a copy).
      if (this.req.kind.custom) {
        const obj = type === 'DELETED' ? e.previous() : e.object();
        const k = this.req.kind;
        const gv = groupVersionOf(k);
        const copy = obj ? structuredClone(obj) : undefined;
        const defaulted = copy !== undefined && fillSchemaDefaults({ group: k.group, version: k.version, kind: k.kind }, copy);
        if (copy && (copy.apiVersion !== gv || defaulted)) return `{"type":"${type}","object":${JSON.stringify({ ...copy, apiVersion: gv })}}\n`;
      }
      return e.line(type);
    }
    const omit = this.headersSent;
    this.headersSent = true;
    return e.tableLine(type, this.gk, t.includeObject, t.apiVersion, omit);
  }

  /** A synthetic ADDED for an object of the initial state (stored JSON + its modRevision). */
  writeInitial(value: string, modRevision: number, obj: KubeObject | undefined): void {
    const t = this.req.table;
    if (this.req.partialMetadata) {
      this.write(`{"type":"ADDED","object":${JSON.stringify(partialObjectMetadata(obj ?? decodeStored(value, modRevision), this.req.partialMetadata))}}\n`);
      return;
    }
    if (this.sink) {
      this.send(this.sink, 'ADDED', this.served(obj ?? decodeStored(value, modRevision)), value.length);
      return;
    }
    if (!t) {
      const k = this.req.kind;
      this.write(`{"type":"ADDED","object":${k.custom || k.view ? asServedVersion(k, withResourceVersion(value, modRevision)) : withResourceVersion(value, modRevision)}}\n`);
      return;
    }
    const o = this.served(obj ?? decodeStored(value, modRevision));
    const table = buildTable(this.gk, [o], { includeObject: t.includeObject, apiVersion: t.apiVersion, omitHeaders: this.headersSent });
    this.headersSent = true;
    this.write(`{"type":"ADDED","object":${JSON.stringify(table)}}\n`);
  }

  bookmark(rev: number, initialEventsEnd = false): void {
    const k = this.req.kind;
    const metadata: Record<string, unknown> = { resourceVersion: String(rev) };
    if (initialEventsEnd) {
      // The blueprint is the empty list the client assembles the initial events into
      // (client-go's WatchList decodes it; upstream encodes it in the response's media type).
      const blueprint = JSON.stringify({ kind: `${k.kind}List`, apiVersion: groupVersionOf(k), metadata: {}, items: [] });
      metadata.annotations = { 'k8s.io/initial-events-end': 'true', 'kubernetes.io/initial-events-list-blueprint': Buffer.from(blueprint).toString('base64') };
    }
    if (this.sink) {
      this.send(this.sink, 'BOOKMARK', { kind: k.kind, apiVersion: groupVersionOf(k), metadata }, 100);
      return;
    }
    const object = this.req.partialMetadata ? { kind: 'PartialObjectMetadata', apiVersion: this.req.partialMetadata, metadata } : { kind: k.kind, apiVersion: groupVersionOf(k), metadata };
    this.write(`{"type":"BOOKMARK","object":${JSON.stringify(object)}}\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadlineBookmark) clearTimeout(this.deadlineBookmark);
    this.storeWatch?.stop();
    this.cache.unregister(this);
    if (!this.res.writableEnded) this.res.end();
  }
}

/** True when the client side of `res` is gone (destroyed response, socket, or HTTP/2 stream: its answer has no `destroyed`). */
function responseGone(res: ServerResponse): boolean {
  return res.destroyed || res.socket?.destroyed === true || (res as unknown as { stream?: { destroyed?: boolean } }).stream?.destroyed === true;
}

/** The spec.nodeName value a watcher's field selector pins with `=`, if any. */
function nodeIndexValue(req: WatchRequest): string | undefined {
  return req.filter?.field?.requirements.find((r) => r.field === 'spec.nodeName' && r.op === '=')?.value;
}

function nodeNameOf(obj: KubeObject | undefined): string | undefined {
  if (!obj) return undefined;
  const n = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof n === 'string' ? n : '';
}

export class WatchCache {
  readonly logger: Logger;
  readonly maxBufferedBytes: number;
  private readonly store: Store;
  private readonly capacity: number;
  private readonly ring: (CachedEvent | undefined)[];
  private head = 0; // index of the oldest event
  private size = 0;
  /** Every event with revision > ringStart is in the ring (up to `rev`). */
  private ringStart = 0;
  private _rev = 0;
  private storeWatch?: StoreWatcher;
  /** Watchers per resource (`<group>/<plural>`), except those indexed by node. */
  private readonly byResource = new Map<string, Set<ActiveWatcher>>();
  /**
   * Watchers whose field selector pins `spec.nodeName=<n>` (node agents watching their pods),
   * per resource and node name, as upstream's indexed triggers: an event reaches only the
   * watchers of its old and new node, so per-event work does not grow with the node count.
   */
  private readonly byNode = new Map<string, Map<string, Set<ActiveWatcher>>>();
  private readonly all = new Set<ActiveWatcher>();
  /** Namespaces seen: whether each is terminating, and its PodSecurity labels (frozen; `{}` when none). */
  private readonly namespaces = new Map<string, { terminating: boolean; podSecurityLabels: Readonly<Record<string, string>> }>();
  /** Every ServiceAccount seen (`<ns>/<name>`) with its automountServiceAccountToken (undefined: unset). */
  private readonly serviceAccounts = new Map<string, boolean | undefined>();
  private bookmarkTimer?: NodeJS.Timeout;
  private readonly bookmarkIntervalMs: number;
  /**
   * The newest ring event of each key. An update's prevValue is, byte for byte, the value of
   * the key's previous event; when that event is still in the ring the new event points at the
   * same string, so the ring holds each stored value once rather than twice (the store reads
   * the old value back as a fresh string). Entries leave with their event.
   */
  private readonly lastByKey = new Map<string, CachedEvent>();
  /** The keys of the events taken at revision `_rev` (see dispatch). */
  private readonly keysAtRev = new Set<string>();
  /** Writers' offers by key (see offer). */
  private readonly offered = new Map<string, { value: string; obj: KubeObject }>();
  /** Change listeners (see onChange). */
  private readonly changeListeners = new Set<(resource: string) => void>();
  private stopped = false;
  /** What watch and list filters look at in stored objects, per stored version (the registry shares it). */
  readonly selections = new SelectionCache();
  private readonly initialRestartDelayMs: number;
  private readonly maxRestartDelayMs: number;
  /** The delay the next restart attempt waits (see scheduleRestart). */
  private restartDelayMs: number;
  private restartTimer?: NodeJS.Timeout;
  /** Date.now() when the current store watch was started. */
  private storeWatchStartedAt = 0;
  /** Incremented per store watch: callbacks of an earlier (ended) watch are ignored. */
  private storeWatchGen = 0;

  constructor(opts: WatchCacheOptions) {
    this.store = opts.store;
    this.logger = opts.logger;
    this.capacity = Math.max(16, opts.capacity ?? 10_000);
    this.ring = new Array(this.capacity);
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 32 * 1024 * 1024;
    this.initialRestartDelayMs = Math.max(1, opts.restartDelayMs ?? 100);
    this.maxRestartDelayMs = Math.max(this.initialRestartDelayMs, opts.maxRestartDelayMs ?? 5_000);
    this.restartDelayMs = this.initialRestartDelayMs;
  }

  /**
   * Calls `fn(resource)` (`<group|core>/<plural>`) for every event the cache receives, and
   * with '*' whenever the store watch restarts (events may have been missed). For derived
   * caches (the RBAC authorizer's). Returns the unsubscribe function.
   */
  onChange(fn: (resource: string) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private notifyChange(resource: string): void {
    for (const fn of this.changeListeners) {
      try {
        fn(resource);
      } catch (err) {
        this.logger.error('watch cache: change listener failed', err);
      }
    }
  }

  get rev(): number {
    return this._rev;
  }

  /**
   * Resolves once the store has reached revision `rv`, for a GET at a resourceVersion
   * (upstream's cacher.Get waiting until fresh). Not reached after `timeoutMs`: 504 Timeout,
   * `Too large resource version` with Retry-After (tooLargeResourceVersion), as a list at such a
   * revision. The store's current revision decides, as it does for lists (reads are served from
   * the store; revisions the cache never sees count too); the cache's own revision is only a
   * fast path, since the store is always at least there. `rv` <= 0 resolves at once.
   */
  async waitUntilFresh(rv: number, timeoutMs = FRESHNESS_WAIT_MS): Promise<void> {
    if (rv <= this._rev) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.store.currentRevision();
      if (current >= rv) return;
      const left = deadline - Date.now();
      if (left <= 0) throw tooLargeResourceVersion(rv, current);
      await new Promise((r) => setTimeout(r, Math.min(FRESHNESS_POLL_MS, left)));
    }
  }

  /**
   * The stored object of `key` at `revision` as a watcher of this cache already decoded it
   * (`decodeStored` of that revision's value), or undefined when the cache holds no such
   * decoded object (the key changed since, was never decoded, or left the ring). Never decodes.
   * The object is SHARED with the in-process watchers it was delivered to (see
   * src/api/watch-objects.ts): read-only for the caller; the test suites deep-freeze it.
   */
  latestObject(key: string, revision: number): KubeObject | undefined {
    const e = this.lastByKey.get(key);
    if (e === undefined || e.revision !== revision || e.ev.type !== 'put') return undefined;
    const obj = e.decodedObject();
    return obj === undefined ? undefined : freezeSharedInTests(obj);
  }

  /**
   * The store's current state of `key`, from the cache, when the cache is known to hold it:
   * its store watch runs and has seen exactly the store's published revision
   * (Store.publishedRevision), and the key's newest event is in the ring and is a put. Otherwise
   * undefined (never seen, left the ring, deleted, or the cache may be behind): callers read the
   * store. Saves the read an update makes before writing (an update is in its key's turn, so
   * the previous write to the key is published before it starts; anything newer fails the
   * write's compare-and-swap, which re-reads).
   */
  currentKv(key: string): KeyValue | undefined {
    if (this.storeWatch === undefined || this.store.publishedRevision?.() !== this._rev) return undefined;
    const e = this.lastByKey.get(key);
    if (e === undefined || e.ev.type !== 'put' || e.ev.value === undefined) return undefined;
    return { key, value: e.ev.value, createRevision: e.ev.createRevision, modRevision: e.ev.revision };
  }

  /**
   * A namespace's state as far as the cache has seen: 'Active', 'Terminating', or undefined
   * (unknown: not seen yet or gone; callers then ask the store).
   */
  namespacePhase(ns: string): 'Active' | 'Terminating' | undefined {
    const t = this.namespaces.get(ns);
    return t === undefined ? undefined : t.terminating ? 'Terminating' : 'Active';
  }

  /**
   * A namespace's `pod-security.kubernetes.io/` labels as far as the cache has seen (frozen;
   * `{}` when it has none), or undefined (not seen yet or gone; callers then ask the store).
   */
  namespacePodSecurityLabels(ns: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(ns)?.podSecurityLabels;
  }

  /**
   * A ServiceAccount's automountServiceAccountToken as far as the cache has seen: `{ automount }`
   * (undefined when unset) for an account it holds, undefined when it has not seen the account
   * (not created yet, or gone: callers then ask the store). Spares pod admission a store read per
   * pod, which waits for the store's current commit.
   */
  serviceAccountAutomount(namespace: string, name: string): { automount: boolean | undefined } | undefined {
    const key = `${namespace}/${name}`;
    return this.serviceAccounts.has(key) ? { automount: this.serviceAccounts.get(key) } : undefined;
  }

  private noteServiceAccount(namespace: string, name: string, value: string): void {
    let automount: boolean | undefined;
    try {
      const v = (JSON.parse(value) as { automountServiceAccountToken?: unknown }).automountServiceAccountToken;
      automount = typeof v === 'boolean' ? v : undefined;
    } catch {
      automount = undefined;
    }
    this.serviceAccounts.set(`${namespace}/${name}`, automount);
  }

  /** The namespaces and service accounts the cache tracks, as a list of the store at `revision` (default: current) shows them. */
  private async listTracked(revision?: number): Promise<number> {
    const [namespaces, accounts] = await Promise.all([
      this.store.list(`${registryRoot}core/namespaces/`, revision ? { revision } : {}),
      this.store.list(`${registryRoot}core/serviceaccounts/`, revision ? { revision } : {}),
    ]);
    this.namespaces.clear();
    this.serviceAccounts.clear();
    for (const kv of namespaces.items) {
      const p = parseKey(kv.key);
      if (p) this.noteNamespace(p.name, kv.value);
    }
    for (const kv of accounts.items) {
      const p = parseKey(kv.key);
      if (p?.namespace !== undefined) this.noteServiceAccount(p.namespace, p.name, kv.value);
    }
    return namespaces.revision;
  }

  private noteNamespace(name: string, value: string): void {
    let terminating = false;
    const podSecurityLabels: Record<string, string> = {};
    try {
      const metadata = (JSON.parse(value) as { metadata?: { deletionTimestamp?: string; labels?: Record<string, unknown> } }).metadata;
      terminating = Boolean(metadata?.deletionTimestamp);
      for (const [k, v] of Object.entries(metadata?.labels ?? {})) if (k.startsWith(POD_SECURITY_LABEL_PREFIX) && typeof v === 'string') podSecurityLabels[k] = v;
    } catch {
      /* stored values are JSON; treat anything else as active, without labels */
    }
    this.namespaces.set(name, { terminating, podSecurityLabels: Object.freeze(podSecurityLabels) });
  }

  /** Lists namespaces and starts the one store watch after that revision. */
  async start(): Promise<void> {
    const rev = await this.store.currentRevision();
    await this.listTracked(rev);
    this._rev = rev;
    this.ringStart = rev;
    this.startStoreWatch();
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), this.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /** Starts the one store watch after `_rev`; callbacks of earlier watches are ignored. */
  private startStoreWatch(): void {
    const gen = ++this.storeWatchGen;
    this.storeWatchStartedAt = Date.now();
    this.storeWatch = this.store.watch(registryRoot, this._rev, {
      onEvents: (events) => {
        if (gen === this.storeWatchGen) this.onEvents(events);
      },
      onError: (err) => {
        if (gen === this.storeWatchGen) this.onStoreError(err);
      },
    });
  }

  /**
   * The store watch ended. Watchers are closed now (they may miss events until the restart; a
   * client re-watches from its last revision and is served once the cache catches up), and a
   * restart is scheduled (see the module invariants).
   */
  private onStoreError(err: StorageError): void {
    if (this.stopped) return;
    this.storeWatchGen++;
    this.storeWatch = undefined;
    // A watch that ran for a while before failing was healthy: start the backoff over. One
    // that failed right away (a persistent per-event error) keeps the grown delay.
    if (Date.now() - this.storeWatchStartedAt >= this.maxRestartDelayMs) this.restartDelayMs = this.initialRestartDelayMs;
    this.logger.warn(`watch cache: store watch ended: ${err.code}: ${err.message}; restarting in ${this.restartDelayMs} ms`);
    this.closeCacheWatchers();
    this.notifyChange('*');
    this.scheduleRestart();
  }

  /** Closes every watcher fed by the cache (not those reading store history themselves). */
  private closeCacheWatchers(): void {
    for (const w of [...this.all]) if (!w.storeWatch) w.close();
  }

  /** Arms the one restart timer with the current delay, then doubles the delay (capped). */
  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.maxRestartDelayMs, delay * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restartStoreWatch();
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * Restarts the store watch after the history the cache holds; when the store compacted past
   * `_rev`, from its current revision with an empty ring (watchers registered since the failure
   * are closed, listeners told '*': events in between are lost). A failed attempt (the store
   * still unreachable) schedules the next one. Never rejects.
   */
  private async restartStoreWatch(): Promise<void> {
    try {
      const compacted = await this.store.compactedRevision();
      if (this.stopped) return;
      if (this._rev < compacted) {
        const rev = await this.store.currentRevision();
        await this.listTracked(rev);
        if (this.stopped) return;
        this._rev = rev;
        this.keysAtRev.clear();
        for (const e of this.lastByKey.values()) e.supersede();
        this.ring.fill(undefined);
        this.lastByKey.clear();
        this.size = 0;
        this.head = 0;
        this.ringStart = rev;
        this.closeCacheWatchers();
        this.notifyChange('*');
      }
      this.startStoreWatch();
    } catch (e) {
      if (this.stopped) return;
      this.logger.warn(`watch cache: restart of the store watch failed; next attempt in ${this.restartDelayMs} ms`, e);
      this.scheduleRestart();
    }
  }

  private onEvents(events: WatchEvent[]): void {
    try {
      this.dispatch(events);
    } catch (err) {
      this.logger.error('watch cache: dispatch failed', err);
    }
  }

  /**
   * A writer's offer of the decoded form of a value it is about to write to `key`: `obj` is
   * `storedObject` of what it encodes to `value`, so it is what `decodeStored(value, rev)` would
   * give but for metadata.resourceVersion, which the cache sets when the put of `value` arrives
   * and becomes that event's object instead of a parse. From the offer on, `obj` is SHARED: the
   * writer never writes to it again (the test suites deep-freeze it, and check that it is the
   * parse of `value`). One offer per key is kept; a newer one replaces it, and the writer
   * withdraws it (the returned function) when its write fails. An offer whose event never comes
   * (the cache restarted past it) stays until the next offer of its key replaces it or
   * MAX_OFFERS clears them all; it can only ever match a put of its exact value.
   */
  offer(key: string, value: string, obj: KubeObject): () => void {
    if (sharedObjectsCheckedInTests) {
      if (!isDeepStrictEqual(obj, JSON.parse(value))) throw new Error(`watch cache: the object offered for ${key} is not the parse of its value`);
      // All but the object and its metadata themselves (the event sets metadata.resourceVersion;
      // readers freeze the rest when it reaches them).
      for (const [name, v] of Object.entries(obj)) if (name !== 'metadata') freezeSharedInTests(v);
      for (const v of Object.values(obj.metadata)) freezeSharedInTests(v);
    }
    if (this.offered.size >= MAX_OFFERS) this.offered.clear();
    const offer = { value, obj };
    this.offered.set(key, offer);
    return () => {
      if (this.offered.get(key) === offer) this.offered.delete(key);
    };
  }

  private dispatch(events: WatchEvent[]): void {
    // Progress after a restart: the next failure is retried soon again.
    if (events.length > 0 && events[events.length - 1]!.revision > this._rev) this.restartDelayMs = this.initialRestartDelayMs;
    for (const ev of events) {
      // One revision may change several keys (an etcd transaction or range delete written by
      // another tool): each is taken once, and only events already taken are skipped.
      if (ev.revision < this._rev || (ev.revision === this._rev && this.keysAtRev.has(ev.key))) continue;
      if (ev.revision > this._rev) this.keysAtRev.clear();
      this.keysAtRev.add(ev.key);
      const e = new CachedEvent(ev);
      if (this.offered.size > 0 && ev.type === 'put') {
        const o = this.offered.get(ev.key);
        // Equal text (the same string for an in-process store: one pointer comparison).
        if (o !== undefined && o.value === ev.value) {
          this.offered.delete(ev.key);
          e.adopt(o.obj);
        }
      }
      this._rev = ev.revision;
      this.push(e);
      if (this.changeListeners.size > 0) this.notifyChange(e.resource);
      if (e.resource === 'core/namespaces') {
        if (ev.type === 'put' && ev.value !== undefined) this.noteNamespace(e.name, ev.value);
        else this.namespaces.delete(e.name);
      } else if (e.resource === 'core/serviceaccounts' && e.namespace !== undefined) {
        if (ev.type === 'put' && ev.value !== undefined) this.noteServiceAccount(e.namespace, e.name, ev.value);
        else this.serviceAccounts.delete(`${e.namespace}/${e.name}`);
      }
      const ws = this.byResource.get(e.resource);
      if (ws) for (const w of ws) if (!w.storeWatch) w.deliver(e);
      const idx = this.byNode.get(e.resource);
      if (idx) {
        // Indexed watchers (spec.nodeName=<n>): only those of the old and the new node.
        const cur = nodeNameOf(e.ev.type === 'put' ? e.object() : undefined);
        const prev = nodeNameOf(e.previous());
        e.nodeNames = [cur, prev];
        const a = cur !== undefined ? idx.get(cur) : undefined;
        if (a) for (const w of a) if (!w.storeWatch) w.deliver(e);
        const b = prev !== undefined && prev !== cur ? idx.get(prev) : undefined;
        if (b) for (const w of b) if (!w.storeWatch) w.deliver(e);
      }
      e.release();
    }
  }

  private push(e: CachedEvent): void {
    const key = e.ev.key;
    const prior = this.lastByKey.get(key);
    const pv = e.ev.prevValue;
    if (prior && pv !== undefined) {
      const v = prior.ev.value;
      // Equal content, so replacing the field is invisible to every other reader of the event.
      if (v !== undefined && v.length === pv.length && v === pv) e.ev.prevValue = v;
    }
    prior?.supersede();
    this.lastByKey.set(key, e);
    if (this.size === this.capacity) {
      const evicted = this.ring[this.head]!;
      if (this.lastByKey.get(evicted.ev.key) === evicted) {
        this.lastByKey.delete(evicted.ev.key);
        evicted.supersede();
      }
      this.ringStart = evicted.revision;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    this.ring[(this.head + this.size) % this.capacity] = e;
    this.size++;
  }

  /** Index (0-based from head) of the first event with revision > rev. */
  private firstAfter(rev: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[(this.head + mid) % this.capacity]!.revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  unregister(w: ActiveWatcher): void {
    this.all.delete(w);
    const key = resourceIndexKey(w.req.kind);
    const node = nodeIndexValue(w.req);
    if (node !== undefined) {
      const idx = this.byNode.get(key);
      const set = idx?.get(node);
      if (idx && set) {
        set.delete(w);
        if (set.size === 0) idx.delete(node);
        if (idx.size === 0) this.byNode.delete(key);
      }
      return;
    }
    const set = this.byResource.get(key);
    if (set) {
      set.delete(w);
      if (set.size === 0) this.byResource.delete(key);
    }
  }

  private register(w: ActiveWatcher): void {
    this.all.add(w);
    const key = resourceIndexKey(w.req.kind);
    const node = nodeIndexValue(w.req);
    if (node !== undefined) {
      let idx = this.byNode.get(key);
      if (!idx) this.byNode.set(key, (idx = new Map()));
      let set = idx.get(node);
      if (!set) idx.set(node, (set = new Set()));
      set.add(w);
      return;
    }
    let set = this.byResource.get(key);
    if (!set) this.byResource.set(key, (set = new Set()));
    set.add(w);
  }

  private sendBookmarks(): void {
    for (const w of [...this.all]) {
      if (w.storeWatch && !w.closed) this.migrateToCache(w);
      if (!w.req.allowBookmarks || w.req.table || w.closed) continue;
      w.bookmark(this.bookmarkRevision(w));
    }
  }

  /**
   * A watcher reading store history (it started before the ring, e.g. every agent re-watching
   * after a server restart) is fed by the cache from the moment the ring holds every event
   * after what it has seen: its own store watch stops (each one reads every event of its
   * kind), the ring's later events are replayed to it, and live ones follow. Its bookmarks
   * then carry the cache's revision, not its last event's.
   */
  private migrateToCache(w: ActiveWatcher): void {
    if (w.lastRev < this.ringStart || w.lastRev > this._rev) return;
    w.storeWatch!.stop();
    w.storeWatch = undefined;
    w.minRev = w.lastRev;
    const key = resourceIndexKey(w.req.kind);
    for (let i = this.firstAfter(w.lastRev); i < this.size && !w.closed; i++) {
      const e = this.ring[(this.head + i) % this.capacity]!;
      if (e.resource !== key) continue;
      w.deliver(e);
      e.release();
    }
  }

  /** The revision a bookmark may promise an attached watcher: every event up to it was sent. */
  private bookmarkRevision(w: ActiveWatcher): number {
    // Cache-backed watchers have seen every event up to the cache revision.
    return w.storeWatch ? w.lastRev : Math.max(this._rev, w.minRev);
  }

  /**
   * Serves one watch request on `res` (status 200, newline-delimited JSON). Resolves once the
   * stream is set up; the stream ends on timeout, client disconnect, slow client, or close().
   * A client already gone when this is called (the handler awaited authentication first), or
   * gone during its own awaits, gets nothing and leaves no watcher behind.
   */
  async serve(req: WatchRequest, res: ServerResponse): Promise<void> {
    const rvRaw = req.resourceVersion;
    const rv = rvRaw === undefined ? undefined : Number(rvRaw);
    const initialByDefault = rv === undefined || rv === 0;
    const sendInitial = req.sendInitialEvents ?? initialByDefault;
    // The close listener goes on before the first await: 'close' fires once, and a watcher
    // registered after it would stay forever (a dead socket's writes never fill the buffer).
    const w = new ActiveWatcher(req, res, 0, this);
    res.on('close', () => w.close());
    if (responseGone(res)) {
      w.close();
      return;
    }
    let compacted = 0;
    let current = 0;
    if (rv !== undefined && rv > 0) [compacted, current] = await Promise.all([this.store.compactedRevision(), this.store.currentRevision()]);
    if (w.closed) return;
    // The initial state is read before the 200 is sent, so a store that cannot be read answers
    // with its error (503 while it is down), not an empty stream. A watch-list that must wait
    // for a newer state reads it after the wait (its failures are then ERROR events).
    const waitsForFresh = req.sendInitialEvents === true && rv !== undefined && rv > current;
    let initial = sendInitial && !waitsForFresh ? await this.readInitialState(req) : undefined;
    if (w.closed) return;

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (req.timeoutSeconds < 0) {
      // A timeout already passed (a negative timeoutSeconds): over before any event.
      w.close();
      return;
    }

    if (rv !== undefined && rv > 0 && !sendInitial) {
      // Below the compaction point the history is gone; above the store's revision the RV
      // cannot come from this store (it was reset): both make informers relist.
      let message: string | undefined;
      if (rv < compacted) message = `too old resource version: ${rv} (${compacted})`;
      else if (rv > current) message = `resource version ${rv} is newer than the current revision ${current} of this store (a store wiped and started again?); list again`;
      if (message !== undefined) {
        const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
        res.end(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        return;
      }
    }

    if (waitsForFresh) {
      // A watch-list (sendInitialEvents=true, resourceVersionMatch=NotOlderThan) must start
      // from a state at least as new as the RV: wait for the store to reach it, as upstream's
      // cacher does, else end with its Timeout error (Too large resource version) as the one
      // ERROR event, so the client falls back to a list.
      try {
        await this.waitUntilFresh(rv);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (!w.closed) res.end(`{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`);
        return;
      }
      if (w.closed) return;
    }

    const deadline = Date.now() + req.timeoutSeconds * 1000;
    if (req.timeoutSeconds > 0) {
      w.timer = setTimeout(() => w.close(), req.timeoutSeconds * 1000);
      w.timer.unref();
    }

    let from: number;
    if (sendInitial) {
      // Failures after the 200 (the store, or a stored value that cannot be decoded) end the
      // stream with one ERROR event carrying the Status the request would have got.
      try {
        initial ??= await this.readInitialState(req);
        if (w.closed) return;
        from = this.writeInitialState(w, initial);
      } catch (err) {
        if (!w.closed) res.end(`{"type":"ERROR","object":${JSON.stringify(toHttpError(err, { logger: this.logger }).toStatus())}}\n`);
        w.close();
        return;
      }
      if (w.closed) return;
      if (req.sendInitialEvents === true && req.allowBookmarks) w.bookmark(from, true);
    } else if (rv === undefined || rv === 0) {
      // sendInitialEvents=false without a revision: start at the latest.
      from = Math.max(this._rev, await this.store.currentRevision());
    } else {
      from = rv;
    }
    if (w.closed) return;
    w.minRev = from;
    w.lastRev = from;
    this.attach(w, from);
    // As upstream, a watcher that takes bookmarks gets one 2 s before its timeout, so its client
    // re-watches from a fresh revision rather than one compaction may have passed.
    if (req.allowBookmarks && !req.table && req.timeoutSeconds > 2) {
      const wait = deadline - 2000 - Date.now();
      if (wait > 0) {
        w.deadlineBookmark = setTimeout(() => {
          if (!w.closed) w.bookmark(this.bookmarkRevision(w));
        }, wait);
        w.deadlineBookmark.unref();
      }
    }
  }

  /** Sends synthetic ADDED events for the current state; returns the revision listed at. */
  /** The stored objects a watch's initial events come from (its kind, namespace and name). */
  private async readInitialState(req: WatchRequest): Promise<{ list: ListResult; exactKey: string | undefined }> {
    const { kind, namespace, filter } = req;
    let prefix = keyPrefix(kind, kind.namespaced ? namespace : undefined);
    if (kind.namespaced && namespace === undefined && filter?.namespace !== undefined) prefix = keyPrefix(kind, filter.namespace);
    const exactKey = filter?.name !== undefined && (!kind.namespaced || namespace !== undefined || filter.namespace !== undefined) ? prefix + filter.name : undefined;
    // A selector over objects seen before reads their keys, not their values (selection-cache.ts).
    const known = filter?.needsObject && exactKey === undefined ? await this.selections.knownPage(this.store, kind, prefix, {}, filter) : undefined;
    return { list: known ?? (await this.store.list(exactKey ?? prefix)), exactKey };
  }

  /** Writes the initial state's ADDED events that pass the watch's filter; returns its revision. */
  private writeInitialState(w: ActiveWatcher, { list, exactKey }: { list: ListResult; exactKey: string | undefined }): number {
    const { filter } = w.req;
    for (const kv of list.items) {
      if (w.closed) break;
      if (exactKey !== undefined && kv.key !== exactKey) continue;
      if (filter) {
        const p = parseKey(kv.key);
        if (filter.name !== undefined && p?.name !== filter.name) continue;
        if (filter.namespace !== undefined && (p?.namespace ?? '') !== filter.namespace) continue;
        if (filter.needsObject && !this.selections.accepts(w.req.kind, kv, filter)) continue;
      }
      w.writeInitial(kv.value, kv.modRevision, undefined);
    }
    return list.revision;
  }

  /** Replays events after `from` (ring or store history), then delivers live events. */
  private attach(w: ActiveWatcher, from: number): void {
    if (this.stopped) {
      w.close();
      return;
    }
    if (from >= this.ringStart) {
      // Synchronous replay + register: no event can slip in between.
      const key = resourceIndexKey(w.req.kind);
      const node = nodeIndexValue(w.req);
      for (let i = this.firstAfter(from); i < this.size && !w.closed; i++) {
        const e = this.ring[(this.head + i) % this.capacity]!;
        if (e.resource !== key) continue;
        // A node agent's re-watch: other nodes' events cannot pass its field selector.
        if (node !== undefined && e.nodeNames && e.nodeNames[0] !== node && e.nodeNames[1] !== node) continue;
        w.deliver(e);
        // The ring keeps only stored JSON (see CachedEvent.release).
        e.release();
      }
      if (!w.closed) this.register(w);
      return;
    }
    // Older than the ring: this watcher reads the store's history with its own store watch.
    if (w.closed) return;
    this.register(w);
    const key = resourceIndexKey(w.req.kind);
    w.storeWatch = this.store.watch(keyPrefix(w.req.kind), from, {
      onEvents: (events) => {
        for (const ev of events) {
          const e = new CachedEvent(ev);
          if (e.resource === key) w.deliver(e);
        }
      },
      // Compacted: the history after `from` is gone (or, through EncryptingStore, unreadable).
      // Internal: the history cannot be read (e.g. a value that does not decrypt); a re-watch
      // from `from` would replay it and fail the same way, in a loop. Both end with 410
      // Expired, so the client relists and watches from the current state. The reason stays in
      // the server log: it may name an object this client cannot see. Unavailable (the store
      // is down) only ends the stream; the client re-watches from its last revision.
      onError: (err) => {
        if (err.code !== 'Unavailable') {
          if (err.code !== 'Compacted') this.logger.warn(`watch of ${w.gk} from revision ${from}: store history cannot be read, answering 410 Expired: ${err.code}: ${err.message}`);
          const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from}`, reason: 'Expired', code: 410 };
          w.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        }
        w.close();
      },
    });
  }

  /**
   * Ends the watches of a kind no longer served (a CRD's version, or the CRD, gone), as
   * upstream tears the kind's storage down: clients relist and meet its 404.
   */
  closeWatchersOf(kind: { group: string; version: string; plural: string }): void {
    for (const w of [...this.all]) {
      const k = w.req.kind;
      if (k.group === kind.group && k.version === kind.version && k.plural === kind.plural) w.close();
    }
  }

  /** Number of open watchers (tests, metrics). */
  get watcherCount(): number {
    return this.all.size;
  }

  /** Ends every watch and the store watch, and cancels a pending restart. */
  stop(): void {
    this.stopped = true;
    this.storeWatchGen++;
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.storeWatch?.stop();
    for (const w of [...this.all]) w.close();
  }
}
