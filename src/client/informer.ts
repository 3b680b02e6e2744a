// Informer: list-then-watch into a read-only cache, with handlers.
//
// Reflector loop (client-go semantics):
// 1. LIST (consistent read); replace the cache (emitting add/update/delete-with-tombstone
//    against the previous content); remember the list resourceVersion; hasSynced() becomes true.
// 2. WATCH from the last seen resourceVersion (bookmarks update it). When the stream ends
//    normally, watch again from the last RV. When it fails, back off (doubling, capped) and
//    watch again. On 410 (Expired/Gone, as an HTTP answer or an in-stream ERROR event), relist.
// 3. LIST failures back off the same way.
// Handlers run synchronously in event order, after the cache has been updated. A handler
// added after the informer has synced first receives an `add` for every cached object.

import type { KubeObject, Status } from '../api/types.js';
import type { ApiClient, WatchEvent, WatchHandle } from './api-client.js';
import {
  type DeletedFinalStateUnknown,
  type IndexFunc,
  Indexer,
  deepFreeze,
  indexByNamespace,
  metaNamespaceKey,
  namespaceIndex,
} from './cache.js';
import { type Clock, type TimerHandle, realClock } from '../util/index.js';
import { errorFromStatus, isResourceExpired } from './errors.js';
import { Lister } from './lister.js';
import type { ResourceDescriptor } from './resources.js';

export interface ResourceEventHandler<T> {
  add?(obj: T, isInInitialList: boolean): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  indexers?: Record<string, IndexFunc<T>>;
  /**
   * What the cache keeps of each listed or watched object (client-go's SetTransform): e.g. only
   * the fields its handlers read, so a process caching many large objects holds less. It must
   * return a new object rather than change its argument (a watch object may be shared), and it
   * must keep the metadata the cache and its indexers key on (name, namespace, resourceVersion).
   */
  transform?: (obj: T) => T;
  /** Deep-freeze cached objects (tests), so an accidental write throws. */
  freezeObjects?: boolean;
  /** Backoff after a failed list or watch: initial and cap in ms (client-go: 800 ms .. 30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Server-side watch timeout in seconds; default random in [300, 600). */
  watchTimeoutSeconds?: () => number;
  /** How long stop() waits for a list or watch request in flight (default 1000 ms). */
  stopWaitMs?: number;
  onError?: (err: unknown) => void;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  private readonly handlers: ResourceEventHandler<T>[] = [];
  private readonly clock: Clock;
  private synced = false;
  private started = false;
  private stopped = false;
  private lastRV = '';
  private currentWatch: WatchHandle | undefined;
  private sleepTimer: { handle: TimerHandle; wake: () => void } | undefined;
  private loop: Promise<void> | undefined;
  private syncWaiters: Array<() => void> = [];

  constructor(
    private readonly client: ApiClient,
    readonly resource: ResourceDescriptor,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.indexer = new Indexer<T>({ [namespaceIndex]: indexByNamespace as IndexFunc<T>, ...(opts.indexers ?? {}) }, opts.freezeObjects ?? false);
    this.lister = new Lister(this.indexer);
  }

  addEventHandler(h: ResourceEventHandler<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.indexer.list()) h.add?.(o, true);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Resolves once the first list has been stored (or immediately if it has). */
  waitForSync(): Promise<void> {
    // A stopped informer never syncs: its callers are released at once (check hasSynced()).
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.loop = this.run();
  }

  /**
   * Stops the informer: no handler is called after this resolves, and `waitForSync()` callers
   * are released (check hasSynced()). A list or watch request in flight is not waited for longer
   * than `stopWaitMs` (default 1 s): its answer is dropped when it comes.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.currentWatch?.stop();
    if (this.sleepTimer) {
      this.clock.clearTimeout(this.sleepTimer.handle);
      this.sleepTimer.wake();
    }
    const ws = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of ws) w();
    if (!this.loop) return;
    let timer: TimerHandle | undefined;
    await Promise.race([this.loop, new Promise<void>((r) => (timer = this.clock.setTimeout(r, this.opts.stopWaitMs ?? 1_000)))]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepTimer = undefined;
        resolve();
      };
      this.sleepTimer = { handle: this.clock.setTimeout(wake, ms), wake };
    });
  }

  /** onError, which must not be able to stop the informer by throwing. */
  private reportError(err: unknown): void {
    try {
      this.opts.onError?.(err);
    } catch {
      // a failing error handler is not the informer's problem
    }
  }

  private nextBackoff(cur: number): number {
    return Math.min(cur === 0 ? (this.opts.backoffInitialMs ?? 800) : cur * 2, this.opts.backoffMaxMs ?? 30_000);
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (!this.stopped) {
      try {
        await this.listAndReplace();
        backoff = 0;
      } catch (e) {
        if (this.stopped) return;
        this.reportError(e);
        backoff = this.nextBackoff(backoff);
        await this.sleep(backoff);
        continue;
      }
      // Watch until a 410 forces a relist.
      let watchBackoff = 0;
      while (!this.stopped) {
        let expired = false;
        try {
          const startedAt = this.clock.now();
          const r = await this.watchOnce();
          expired = r.expired;
          // A watch that failed in-stream, or ended at once without a single event, is an error
          // (upstream's "very short watch"): back off before the next one, never spin.
          if (!expired && !this.stopped && (r.failed || (r.events === 0 && this.clock.now() - startedAt < 1_000))) {
            watchBackoff = this.nextBackoff(watchBackoff);
            await this.sleep(watchBackoff);
            continue;
          }
          watchBackoff = 0;
        } catch (e) {
          if (this.stopped) return;
          if (isResourceExpired(e)) {
            expired = true;
          } else {
            this.reportError(e);
            watchBackoff = this.nextBackoff(watchBackoff);
            await this.sleep(watchBackoff);
            continue;
          }
        }
        if (expired) break;
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const list = await this.client.list<T>(this.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    });
    if (this.stopped) return;
    const fresh = new Map<string, T>();
    const transform = this.opts.transform;
    for (const item of list.items) fresh.set(metaNamespaceKey(item), transform ? transform(item) : item);
    const old = new Map<string, T>();
    for (const o of this.indexer.list()) old.set(metaNamespaceKey(o), o);
    this.indexer.replace([...fresh.values()]);
    this.lastRV = list.metadata.resourceVersion ?? '';
    const initial = !this.synced;
    for (const [key, o] of old) {
      if (!fresh.has(key)) this.dispatchDelete({ key, obj: o, tombstone: true });
    }
    for (const [key, o] of fresh) {
      const prev = old.get(key);
      if (prev) this.dispatchUpdate(prev, this.indexer.getByKey(key) ?? o);
      else this.dispatchAdd(this.indexer.getByKey(key) ?? o, initial);
    }
    if (!this.synced) {
      this.synced = true;
      const ws = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of ws) w();
    }
  }

  /**
   * One watch stream: `expired` when the server said 410 (relist), `failed` after another ERROR
   * event, and how many events it carried.
   */
  private async watchOnce(): Promise<{ expired: boolean; failed: boolean; events: number }> {
    let expired = false;
    let failed = false;
    let events = 0;
    let handle: WatchHandle | undefined;
    let stopRequested = false;
    const timeout = this.opts.watchTimeoutSeconds?.() ?? 300 + Math.floor(Math.random() * 300);
    handle = await this.client.watch<T>(
      this.resource,
      {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastRV,
        allowWatchBookmarks: true,
        timeoutSeconds: timeout,
      },
      (ev) => {
        if (expired || failed || this.stopped) return;
        events++;
        if (ev.type === 'ERROR') {
          const err = errorFromStatus(500, ev.object);
          if (isResourceExpired(err)) expired = true;
          else {
            failed = true;
            this.reportError(err);
          }
          if (handle) handle.stop();
          else stopRequested = true;
          return;
        }
        this.handleEvent(ev);
      },
    );
    this.currentWatch = handle;
    if (this.stopped || stopRequested) handle.stop();
    try {
      await handle.done;
    } finally {
      this.currentWatch = undefined;
    }
    return { expired, failed, events };
  }

  private handleEvent(ev: WatchEvent<T>): void {
    const received = ev.object as T;
    const rv = received.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastRV = rv;
      return;
    }
    if (!received.metadata) return;
    const obj = this.opts.transform ? this.opts.transform(received) : received;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const prev = this.indexer.upsert(obj);
      const stored = this.indexer.get(obj) ?? obj;
      if (prev) this.dispatchUpdate(prev, stored);
      else this.dispatchAdd(stored, false);
    } else if (ev.type === 'DELETED') {
      const prev = this.indexer.delete(obj);
      if (this.opts.freezeObjects) deepFreeze(obj);
      this.dispatchDelete(obj ?? prev);
    }
    if (rv) this.lastRV = rv;
  }

  private dispatchAdd(o: T, initial: boolean): void {
    for (const h of this.handlers) this.safe(() => h.add?.(o, initial));
  }

  private dispatchUpdate(a: T, b: T): void {
    for (const h of this.handlers) this.safe(() => h.update?.(a, b));
  }

  private dispatchDelete(o: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.handlers) this.safe(() => h.delete?.(o));
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.reportError(e);
    }
  }
}

export interface SharedInformerFactoryOptions {
  clock?: Clock;
  /** Restrict every informer to one namespace (default: all). */
  namespace?: string;
  freezeObjects?: boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  onError?: (err: unknown) => void;
  /**
   * What each resource's cache keeps of an object (Informer's transform), by `<group>/<plural>`
   * (`/pods` for core): fields no consumer of the factory reads can be left out of memory.
   */
  transforms?: Record<string, (obj: KubeObject) => KubeObject>;
}

/** One informer per resource, shared by every controller in the process. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    readonly client: ApiClient,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {}

  forResource<T extends KubeObject>(resource: ResourceDescriptor): Informer<T> {
    const key = `${resource.group}/${resource.version}/${resource.plural}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, resource, {
        namespace: resource.namespaced ? this.opts.namespace : undefined,
        clock: this.opts.clock,
        freezeObjects: this.opts.freezeObjects,
        backoffInitialMs: this.opts.backoffInitialMs,
        backoffMaxMs: this.opts.backoffMaxMs,
        onError: this.opts.onError,
        transform: this.opts.transforms?.[`${resource.group}/${resource.plural}`],
      });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /**
   * Stops and forgets the informer of a resource that is no longer served (a custom resource
   * whose CRD went); a later forResource makes a new one.
   */
  async remove(resource: ResourceDescriptor): Promise<void> {
    const key = `${resource.group}/${resource.version}/${resource.plural}`;
    const inf = this.informers.get(key);
    if (!inf) return;
    this.informers.delete(key);
    await inf.stop();
  }

  /** Starts every informer requested so far (and any requested later). */
  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

export type { Status };
