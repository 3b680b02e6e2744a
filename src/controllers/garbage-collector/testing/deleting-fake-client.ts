// DeletingFakeClient: the client seam's FakeApiClient (src/client/testing) plus the DELETE
// semantics clients observe from the API server (kube-api.md §3.10), which the collector
// depends on and the plain fake does not model:
// - preconditions.uid / preconditions.resourceVersion → 409 Conflict when they do not match;
// - propagationPolicy Orphan (or orphanDependents) → finalizer `orphan` + deletionTimestamp;
//   Foreground → finalizer `foregroundDeletion` + deletionTimestamp; Background/default →
//   deleted at once unless the object carries other finalizers (then only deletionTimestamp);
// - an update/patch that leaves an object with a deletionTimestamp and no finalizers deletes it;
// - a patch carrying metadata.resourceVersion is a precondition.
// Test-only; every call is also recorded in `calls` at this level.

import { ApiError } from '../../../api/errors.js';
import type { DeleteOptions, KubeList, KubeObject, Status } from '../../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type ListOptions,
  type PatchType,
  type ResourceDescriptor,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
  type WriteOptions,
  realClock,
  resourceKey,
} from '../../../client/index.js';
import { FakeApiClient } from '../../../client/testing/index.js';
import { rfc3339 } from '../../../util/index.js';

export interface RecordedCall {
  verb: 'delete' | 'patch' | 'update';
  resource: string;
  namespace: string;
  name: string;
  options?: DeleteOptions;
  patch?: unknown;
}

function conflict(r: ResourceDescriptor, name: string, msg: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resourceKey(r)} "${name}": ${msg}`);
}

export class DeletingFakeClient implements ApiClient {
  readonly inner: FakeApiClient;
  readonly calls: RecordedCall[] = [];

  constructor(private readonly clock: Clock = realClock) {
    this.inner = new FakeApiClient(clock);
  }

  seed<T extends KubeObject>(r: ResourceDescriptor, obj: T): T {
    return this.inner.seed(r, obj);
  }

  objectsOf<T extends KubeObject>(r: ResourceDescriptor): T[] {
    return this.inner.objectsOf<T>(r);
  }

  find<T extends KubeObject>(r: ResourceDescriptor, name: string): T | undefined {
    return this.objectsOf<T>(r).find((o) => o.metadata.name === name);
  }

  get<T extends KubeObject = KubeObject>(r: ResourceDescriptor, namespace: string, name: string): Promise<T> {
    return this.inner.get<T>(r, namespace, name);
  }

  list<T extends KubeObject = KubeObject>(r: ResourceDescriptor, options?: ListOptions): Promise<KubeList<T>> {
    return this.inner.list<T>(r, options);
  }

  create<T extends KubeObject = KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, options?: WriteOptions): Promise<T> {
    return this.inner.create<T>(r, namespace, obj, options);
  }

  async update<T extends KubeObject = KubeObject>(r: ResourceDescriptor, namespace: string, obj: T): Promise<T> {
    this.calls.push({ verb: 'update', resource: resourceKey(r), namespace, name: obj.metadata.name ?? '' });
    const out = await this.inner.update<T>(r, namespace, obj);
    return this.finalizeIfDone(r, namespace, out);
  }

  updateStatus<T extends KubeObject = KubeObject>(r: ResourceDescriptor, namespace: string, obj: T): Promise<T> {
    return this.inner.updateStatus<T>(r, namespace, obj);
  }

  async patch<T extends KubeObject = KubeObject>(
    r: ResourceDescriptor,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: WriteOptions & { subresource?: string },
  ): Promise<T> {
    this.calls.push({ verb: 'patch', resource: resourceKey(r), namespace, name, patch: structuredClone(patch) });
    const rv = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    if (rv) {
      const cur = await this.inner.get(r, namespace, name);
      if (cur.metadata.resourceVersion !== rv) throw conflict(r, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    void options;
    const out = await this.inner.patch<T>(r, namespace, name, patchType, patch);
    return this.finalizeIfDone(r, namespace, out);
  }

  private async finalizeIfDone<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T): Promise<T> {
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
      await this.inner.delete(r, namespace, obj.metadata.name ?? '');
    }
    return obj;
  }

  async delete(r: ResourceDescriptor, namespace: string, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    this.calls.push({ verb: 'delete', resource: resourceKey(r), namespace, name, options: structuredClone(options) });
    const cur = await this.inner.get(r, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cur.metadata.uid) {
      throw conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}`);
    }
    const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : 'Background');
    let finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
    if (policy === 'Orphan') finalizers = [...finalizers, 'orphan'];
    else if (policy === 'Foreground') finalizers = [...finalizers, 'foregroundDeletion'];
    if (finalizers.length === 0) return this.inner.delete(r, namespace, name);
    const next = structuredClone(cur);
    next.metadata.finalizers = finalizers;
    next.metadata.deletionTimestamp ??= rfc3339(this.clock.now());
    return this.inner.update(r, namespace, next);
  }

  watch<T extends KubeObject = KubeObject>(r: ResourceDescriptor, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle> {
    return this.inner.watch<T>(r, options, onEvent);
  }
}
