// SliceWriteTracker: what a controller's own EndpointSlice writes must look like in its cache
// before it decides again (upstream's EndpointSliceTracker, on resourceVersions and uids where
// upstream compares generations).
//
// Contract, per owner key (`namespace/name` of a Service or Endpoints):
// - `created(name)`: a slice it created; the cache must show one of that name.
// - `updated(name, replacedRV, newRV)`: the cache must no longer show `replacedRV` for it.
// - `deleted(name, uid)`: the cache must no longer show that uid under that name.
// `isStale(key, cached)` answers whether any expectation of the key is unmet by `cached` (the
// owner's slices in the cache) and drops those that are met; a slice deletion seen by the
// informer (`observedDeletion`) drops the expectations on that name, so a slice someone else
// deleted in between never leaves the key stale for good. `isOwnWrite` tells the event handlers
// which slice events are this controller's writes coming back (upstream ShouldSync's opposite).
// Syncs of one key never run concurrently (the work queue's guarantee); event handlers and
// syncs share one event loop, so no locking.

import type { KubeObject } from '../../api/types.js';

interface Expectations {
  created: Set<string>;
  replaced: Map<string, string>;
  deleted: Map<string, string>;
}

export class SliceWriteTracker {
  private readonly byKey = new Map<string, Expectations>();
  /** `namespace/sliceName` -> resourceVersion this controller's last write of it returned. */
  private readonly ownWrites = new Map<string, string>();

  private expectations(key: string): Expectations {
    let e = this.byKey.get(key);
    if (!e) this.byKey.set(key, (e = { created: new Set(), replaced: new Map(), deleted: new Map() }));
    return e;
  }

  created(key: string, slice: KubeObject): void {
    const name = slice.metadata.name ?? '';
    this.expectations(key).created.add(name);
    this.ownWrites.set(`${slice.metadata.namespace ?? ''}/${name}`, slice.metadata.resourceVersion ?? '');
  }

  updated(key: string, replacedRV: string | undefined, slice: KubeObject): void {
    const name = slice.metadata.name ?? '';
    if (replacedRV !== undefined && replacedRV !== slice.metadata.resourceVersion) this.expectations(key).replaced.set(name, replacedRV);
    this.ownWrites.set(`${slice.metadata.namespace ?? ''}/${name}`, slice.metadata.resourceVersion ?? '');
  }

  deleted(key: string, slice: KubeObject): void {
    this.expectations(key).deleted.set(slice.metadata.name ?? '', slice.metadata.uid ?? '');
  }

  /** True when `slice` (from an add or update event) is exactly what this controller last wrote. */
  isOwnWrite(slice: KubeObject): boolean {
    const rv = this.ownWrites.get(`${slice.metadata.namespace ?? ''}/${slice.metadata.name ?? ''}`);
    return rv !== undefined && rv === slice.metadata.resourceVersion;
  }

  /** A slice deletion seen by the informer: nothing is expected of that name any more. */
  observedDeletion(key: string, slice: KubeObject): void {
    const name = slice.metadata.name ?? '';
    this.ownWrites.delete(`${slice.metadata.namespace ?? ''}/${name}`);
    const e = this.byKey.get(key);
    if (!e) return;
    e.created.delete(name);
    e.replaced.delete(name);
    e.deleted.delete(name);
    this.dropIfEmpty(key, e);
  }

  /** Whether `cached` (the owner's slices in the cache) misses a write this tracker expects. */
  isStale(key: string, cached: readonly KubeObject[]): boolean {
    const e = this.byKey.get(key);
    if (!e) return false;
    const byName = new Map(cached.map((s) => [s.metadata.name ?? '', s]));
    let stale = false;
    for (const name of e.created) {
      if (byName.has(name)) e.created.delete(name);
      else stale = true;
    }
    for (const [name, rv] of e.replaced) {
      if (byName.get(name)?.metadata.resourceVersion === rv) stale = true;
      else e.replaced.delete(name);
    }
    for (const [name, uid] of e.deleted) {
      if (byName.get(name)?.metadata.uid === uid) stale = true;
      else e.deleted.delete(name);
    }
    this.dropIfEmpty(key, e);
    return stale;
  }

  /** Forgets an owner (it is gone) and its slices' own-write records. */
  forget(key: string, namespace: string, sliceNames: Iterable<string>): void {
    this.byKey.delete(key);
    for (const n of sliceNames) this.ownWrites.delete(`${namespace}/${n}`);
  }

  private dropIfEmpty(key: string, e: Expectations): void {
    if (e.created.size === 0 && e.replaced.size === 0 && e.deleted.size === 0) this.byKey.delete(key);
  }
}
