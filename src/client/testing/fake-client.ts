// FakeApiClient: an in-memory implementation of the ApiClient seam for unit tests of
// informers and controllers. It is a fake of the *client interface*, not of the apiserver:
// no validation, no defaulting beyond uid/resourceVersion/creationTimestamp/generateName, a
// simplified strategic merge patch (maps merge, null deletes, ownerReferences merge by uid,
// other lists replaced), equality-only label selectors.
//
// Tests can: read `actions` (every call, in order), inject failures with `prependReactor`,
// force 410 with `compact()`, end every open watch with `closeWatches()`.

import { randomUUID } from 'node:crypto';
import { ApiError } from '../../api/errors.js';
import type { DeleteOptions, KubeList, KubeObject, Status } from '../../api/types.js';
import type { ApiClient, ListOptions, PatchType, WatchEvent, WatchHandle, WatchOptions, WriteOptions } from '../api-client.js';
import { type Clock, realClock, rfc3339 } from '../../util/index.js';
import { apiVersionOf, type ResourceDescriptor, resourceKey } from '../resources.js';

export interface FakeAction {
  verb: 'get' | 'list' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete' | 'watch';
  resource: string;
  namespace: string;
  name?: string;
  object?: KubeObject;
  patch?: unknown;
  patchType?: PatchType;
}

/** Return undefined to let the call proceed; throw (or return a rejected promise) to fail it. */
export type Reactor = (action: FakeAction) => void | Promise<void>;

interface WatchEntry {
  resource: string;
  opts: WatchOptions;
  onEvent: (e: WatchEvent) => void;
  end: () => void;
}

const alnum = 'bcdfghjklmnpqrstvwxz2456789';

function ref(r: ResourceDescriptor): { group: string; resource: string; kind: string } {
  return { group: r.group, resource: r.plural, kind: r.kind };
}

function matchesLabelSelector(sel: string | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  return sel.split(',').every((term) => {
    const t = term.trim();
    if (!t) return true;
    const ne = t.split('!=');
    if (ne.length === 2) return labels[ne[0]!.trim()] !== ne[1]!.trim();
    const eq = t.split(/==?/);
    if (eq.length === 2) return labels[eq[0]!.trim()] === eq[1]!.trim();
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function matchesFieldSelector(sel: string | undefined, obj: KubeObject): boolean {
  if (!sel) return true;
  return sel.split(',').every((term) => {
    const ne = term.split('!=');
    const neg = ne.length === 2;
    const [path, value] = neg ? ne : term.split(/==?/);
    let cur: unknown = obj;
    for (const p of (path ?? '').split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    const v = cur === undefined ? '' : String(cur);
    return neg ? v !== value : v === value;
  });
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Simplified strategic merge patch (see file comment). */
export function applyStrategicMerge(target: unknown, patch: unknown, key?: string): unknown {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) {
    if (key === 'ownerReferences' && Array.isArray(target)) {
      let out = [...(target as Array<{ uid?: string }>)];
      for (const p of patch as Array<Record<string, unknown>>) {
        if (p['$patch'] === 'delete') {
          out = out.filter((o) => o.uid !== p['uid']);
          continue;
        }
        const i = out.findIndex((o) => o.uid === p['uid']);
        if (i >= 0) out[i] = applyStrategicMerge(out[i], p) as { uid?: string };
        else out.push(clone(p));
      }
      return out;
    }
    return clone(patch);
  }
  if (typeof patch === 'object') {
    const p = patch as Record<string, unknown>;
    if (p['$patch'] === 'replace') {
      const { $patch: _, ...rest } = p;
      return clone(rest);
    }
    const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(p)) {
      if (k.startsWith('$')) continue;
      const merged = applyStrategicMerge(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return patch;
}

export class FakeApiClient implements ApiClient {
  readonly actions: FakeAction[] = [];
  private readonly reactors: Reactor[] = [];
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history = new Map<string, Array<{ rv: number; event: WatchEvent }>>();
  private readonly watches = new Set<WatchEntry>();
  private rv = 0;
  private compactedBelow = 0;

  constructor(private readonly clock: Clock = realClock) {}

  /** Seeds an object without recording an action or emitting events (unless `emit`). */
  seed<T extends KubeObject>(r: ResourceDescriptor, obj: T, emit = false): T {
    return this.store(r, clone(obj), emit ? 'ADDED' : undefined) as T;
  }

  prependReactor(fn: Reactor): void {
    this.reactors.unshift(fn);
  }

  clearActions(): void {
    this.actions.length = 0;
  }

  resourceVersion(): number {
    return this.rv;
  }

  /** Makes every resourceVersion up to the current one too old (410 on watch). */
  compact(): void {
    this.compactedBelow = this.rv;
  }

  /** Ends every open watch stream (as a server timeout would). */
  closeWatches(): void {
    for (const w of [...this.watches]) w.end();
  }

  openWatches(): number {
    return this.watches.size;
  }

  objectsOf<T extends KubeObject>(r: ResourceDescriptor): T[] {
    return [...(this.objects.get(resourceKey(r))?.values() ?? [])].map((o) => clone(o) as T);
  }

  private bucket(r: ResourceDescriptor): Map<string, KubeObject> {
    const k = resourceKey(r);
    let b = this.objects.get(k);
    if (!b) this.objects.set(k, (b = new Map()));
    return b;
  }

  private key(r: ResourceDescriptor, ns: string, name: string): string {
    return r.namespaced ? `${ns}/${name}` : name;
  }

  private async record(a: FakeAction): Promise<void> {
    this.actions.push(a);
    for (const r of this.reactors) await r(a);
  }

  private store(r: ResourceDescriptor, obj: KubeObject, type?: 'ADDED' | 'MODIFIED'): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    obj.apiVersion ??= apiVersionOf(r);
    obj.kind ??= r.kind;
    this.bucket(r).set(this.key(r, obj.metadata.namespace ?? '', obj.metadata.name ?? ''), obj);
    if (type) this.emit(r, { type, object: clone(obj) });
    return clone(obj);
  }

  private emit(r: ResourceDescriptor, event: WatchEvent): void {
    const k = resourceKey(r);
    let h = this.history.get(k);
    if (!h) this.history.set(k, (h = []));
    h.push({ rv: this.rv, event });
    for (const w of this.watches) if (w.resource === k && this.watchMatches(w.opts, event.object as KubeObject)) w.onEvent(clone(event));
  }

  private watchMatches(o: WatchOptions | ListOptions, obj: KubeObject): boolean {
    if (o.namespace && obj.metadata.namespace !== o.namespace) return false;
    return matchesLabelSelector(o.labelSelector, obj.metadata.labels ?? {}) && matchesFieldSelector(o.fieldSelector, obj);
  }

  async get<T extends KubeObject>(r: ResourceDescriptor, namespace: string, name: string): Promise<T> {
    await this.record({ verb: 'get', resource: resourceKey(r), namespace, name });
    const o = this.bucket(r).get(this.key(r, namespace, name));
    if (!o) throw notFoundOf(r, name);
    return clone(o) as T;
  }

  async list<T extends KubeObject>(r: ResourceDescriptor, o: ListOptions = {}): Promise<KubeList<T>> {
    await this.record({ verb: 'list', resource: resourceKey(r), namespace: o.namespace ?? '' });
    const items = [...this.bucket(r).values()].filter((x) => this.watchMatches(o, x)).map((x) => clone(x) as T);
    return { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata: { resourceVersion: String(this.rv) }, items };
  }

  async create<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, _o?: WriteOptions): Promise<T> {
    const o = clone(obj);
    if (r.namespaced) o.metadata.namespace = namespace;
    if (!o.metadata.name && o.metadata.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += alnum[Math.floor(Math.random() * alnum.length)];
      o.metadata.name = o.metadata.generateName + suffix;
    }
    await this.record({ verb: 'create', resource: resourceKey(r), namespace, name: o.metadata.name, object: clone(o) });
    if (!o.metadata.name) throw new ApiError(422, 'Invalid', 'name or generateName is required');
    if (this.bucket(r).has(this.key(r, namespace, o.metadata.name))) {
      throw new ApiError(409, 'AlreadyExists', `${r.group ? `${r.plural}.${r.group}` : r.plural} "${o.metadata.name}" already exists`, { name: o.metadata.name, kind: r.plural });
    }
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = rfc3339(this.clock.now());
    o.metadata.generation = 1;
    return this.store(r, o, 'ADDED') as T;
  }

  private async replace<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, verb: 'update' | 'updateStatus'): Promise<T> {
    const name = obj.metadata.name ?? '';
    await this.record({ verb, resource: resourceKey(r), namespace, name, object: clone(obj) });
    const cur = this.bucket(r).get(this.key(r, namespace, name));
    if (!cur) throw notFoundOf(r, name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const next = clone(obj);
    next.metadata.uid = cur.metadata.uid;
    next.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    if (verb === 'updateStatus') {
      const merged = { ...clone(cur), status: next['status'] } as KubeObject;
      return this.store(r, merged, 'MODIFIED') as T;
    }
    if ('status' in cur) (next as KubeObject)['status'] = clone(cur['status']);
    return this.store(r, next, 'MODIFIED') as T;
  }

  update<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T): Promise<T> {
    return this.replace(r, namespace, obj, 'update');
  }

  updateStatus<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T): Promise<T> {
    return this.replace(r, namespace, obj, 'updateStatus');
  }

  async patch<T extends KubeObject>(r: ResourceDescriptor, namespace: string, name: string, patchType: PatchType, patch: unknown): Promise<T> {
    await this.record({ verb: 'patch', resource: resourceKey(r), namespace, name, patch: clone(patch), patchType });
    const cur = this.bucket(r).get(this.key(r, namespace, name));
    if (!cur) throw notFoundOf(r, name);
    if (patchType === 'json') throw new ApiError(415, 'UnsupportedMediaType', 'json patch is not supported by the fake client');
    const pm = (patch as { metadata?: { uid?: string } }).metadata;
    if (pm?.uid && pm.uid !== cur.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${pm.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    const next = applyStrategicMerge(clone(cur), patch) as KubeObject;
    next.metadata.uid = cur.metadata.uid;
    return this.store(r, next, 'MODIFIED') as T;
  }

  async delete(r: ResourceDescriptor, namespace: string, name: string, _o?: DeleteOptions): Promise<KubeObject | Status> {
    await this.record({ verb: 'delete', resource: resourceKey(r), namespace, name });
    const k = this.key(r, namespace, name);
    const cur = this.bucket(r).get(k);
    if (!cur) throw notFoundOf(r, name);
    this.bucket(r).delete(k);
    this.rv++;
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(this.rv);
    this.emit(r, { type: 'DELETED', object: clone(gone) });
    return gone;
  }

  async watch<T extends KubeObject>(r: ResourceDescriptor, o: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle> {
    await this.record({ verb: 'watch', resource: resourceKey(r), namespace: o.namespace ?? '' });
    const from = o.resourceVersion ? Number(o.resourceVersion) : 0;
    if (o.resourceVersion && o.resourceVersion !== '0' && from < this.compactedBelow) {
      throw new ApiError(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`);
    }
    let resolveDone!: () => void;
    const done = new Promise<void>((res) => (resolveDone = res));
    const entry: WatchEntry = {
      resource: resourceKey(r),
      opts: o,
      onEvent: onEvent as (e: WatchEvent) => void,
      end: () => {
        if (this.watches.delete(entry)) resolveDone();
      },
    };
    // Replay history after `from` (RV unset/0: synthetic ADDED for current objects).
    const replay: WatchEvent[] = [];
    if (!o.resourceVersion || o.resourceVersion === '0') {
      for (const obj of this.bucket(r).values()) if (this.watchMatches(o, obj)) replay.push({ type: 'ADDED', object: clone(obj) });
    } else {
      for (const h of this.history.get(resourceKey(r)) ?? []) {
        if (h.rv > from && this.watchMatches(o, h.event.object as KubeObject)) replay.push(clone(h.event));
      }
    }
    this.watches.add(entry);
    queueMicrotask(() => {
      for (const e of replay) if (this.watches.has(entry)) entry.onEvent(e);
    });
    return { stop: entry.end, done };
  }

  /** Sends an in-stream ERROR event (e.g. a 410 Status) to every open watch of `r`, then ends them. */
  sendWatchError(r: ResourceDescriptor, status: Status): void {
    for (const w of [...this.watches]) {
      if (w.resource !== resourceKey(r)) continue;
      w.onEvent({ type: 'ERROR', object: status });
      w.end();
    }
  }
}

function notFoundOf(r: ResourceDescriptor, name: string): ApiError {
  const q = r.group ? `${r.plural}.${r.group}` : r.plural;
  return new ApiError(404, 'NotFound', `${q} "${name}" not found`, { name, kind: r.plural, ...(r.group ? { group: r.group } : {}) });
}

export { ref as resourceRef };
