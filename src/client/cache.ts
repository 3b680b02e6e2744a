// The informer's local store: objects keyed by `namespace/name` (or `name` when cluster
// scoped) with secondary indexes.
//
// Invariant: the cache is read-only for everyone but its informer. Objects handed out are the
// stored instances; callers clone before changing (with `freeze` on, as in tests, a write
// throws).

import type { KubeObject, OwnerReference, Pod } from '../api/types.js';

export type IndexFunc<T> = (obj: T) => string[];

export function metaNamespaceKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Final state of an object deleted while the watch was down; handlers receive it instead of the object. */
export interface DeletedFinalStateUnknown<T> {
  key: string;
  obj: T;
  tombstone: true;
}

export function isTombstone<T>(o: T | DeletedFinalStateUnknown<T>): o is DeletedFinalStateUnknown<T> {
  return typeof o === 'object' && o !== null && (o as { tombstone?: unknown }).tombstone === true;
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

// Well-known index names and functions.
export const namespaceIndex = 'namespace';
export const podNodeNameIndex = 'spec.nodeName';
export const controllerUIDIndex = 'controllerUID';

export const indexByNamespace: IndexFunc<KubeObject> = (o) => [o.metadata.namespace ?? ''];
export const indexPodByNodeName: IndexFunc<KubeObject> = (o) => {
  const n = (o as Pod).spec?.nodeName;
  return n ? [n] : [];
};
export const indexByControllerUID: IndexFunc<KubeObject> = (o) => {
  const ref = getControllerOf(o);
  return ref ? [ref.uid] : [];
};

export class Indexer<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** indexName -> indexed value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(
    indexers: Record<string, IndexFunc<T>> = {},
    private readonly freeze = false,
  ) {
    this.addIndexers(indexers);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer conflict: ${name}`);
      this.indexers.set(name, fn);
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) this.indexOne(name, fn, idx, key, obj);
    }
  }

  private indexOne(_name: string, fn: IndexFunc<T>, idx: Map<string, Set<string>>, key: string, obj: T): void {
    for (const v of fn(obj)) {
      let s = idx.get(v);
      if (!s) idx.set(v, (s = new Set()));
      s.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        const s = idx.get(v);
        if (!s) continue;
        s.delete(key);
        if (s.size === 0) idx.delete(v);
      }
    }
  }

  /** Adds or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    if (this.freeze) deepFreeze(obj);
    const key = metaNamespaceKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, this.indices.get(name)!, key, obj);
    return old;
  }

  add(obj: T): void {
    this.upsert(obj);
  }

  update(obj: T): void {
    this.upsert(obj);
  }

  /** Removes by the object's key; returns the removed object. */
  delete(obj: T): T | undefined {
    return this.deleteByKey(metaNamespaceKey(obj));
  }

  deleteByKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** Replaces the whole content. */
  replace(objs: T[]): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const o of objs) this.upsert(o);
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  get(obj: KubeObject): T | undefined {
    return this.items.get(metaNamespaceKey(obj));
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index ${indexName} does not exist`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  hasIndex(indexName: string): boolean {
    return this.indexers.has(indexName);
  }
}
