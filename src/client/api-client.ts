// The ApiClient seam: the only way controllers, agents and the CLI reach cluster state.
// Implementations: RestClient over a Transport (HTTP now, in-process later) and, for unit
// tests, FakeApiClient (src/client/testing). Every failure is an ApiError (./errors.ts).

import type { DeleteOptions, KubeList, KubeObject, Status } from '../api/types.js';
import type { ResourceDescriptor } from './resources.js';

export type PatchType = 'strategic' | 'merge' | 'json';

export const patchContentType: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** How the server treats unknown and duplicate fields (its default: Warn). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** The object; for ERROR the metav1.Status. */
  object: T | Status;
}

/**
 * A running watch. `done` resolves when the stream ends (server close, timeoutSeconds, or
 * stop()) and rejects when it fails mid-stream (connection error). An in-stream ERROR event is
 * delivered to the handler, not turned into a rejection.
 */
export interface WatchHandle {
  stop(): void;
  readonly done: Promise<void>;
}

/**
 * `namespace` is ignored for cluster-scoped resources (pass ''). `get` of a missing object
 * rejects with NotFound; `update` needs `metadata.name` and honours `metadata.resourceVersion`
 * as a precondition (Conflict); `watch` rejects (e.g. 410 Expired) when the server refuses to
 * start the stream. Objects and patches handed in are neither mutated nor retained (callers
 * may pass values that share parts with read-only cache objects).
 */
export interface ApiClient {
  get<T extends KubeObject = KubeObject>(resource: ResourceDescriptor, namespace: string, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(resource: ResourceDescriptor, options?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(resource: ResourceDescriptor, namespace: string, obj: T, options?: WriteOptions): Promise<T>;
  update<T extends KubeObject = KubeObject>(resource: ResourceDescriptor, namespace: string, obj: T, options?: WriteOptions): Promise<T>;
  updateStatus<T extends KubeObject = KubeObject>(resource: ResourceDescriptor, namespace: string, obj: T, options?: WriteOptions): Promise<T>;
  /**
   * With `discardAnswer`, the caller does not read the patched object: the promise resolves
   * with nothing once the write succeeded (a failure still rejects with the server's Status),
   * and RestClient does not decode the answer (for a pod, most of a status write's cost in
   * the client: hollow nodes write 5,000 of them per fan-out).
   */
  patch(
    resource: ResourceDescriptor,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions & { subresource?: string; discardAnswer: true },
  ): Promise<void>;
  patch<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: WriteOptions & { subresource?: string; discardAnswer?: false },
  ): Promise<T>;
  /** Resolves with the server's answer: the deleted object (or the object now carrying deletionTimestamp) or a Status. */
  delete(resource: ResourceDescriptor, namespace: string, name: string, options?: DeleteOptions): Promise<KubeObject | Status>;
  watch<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle>;
}
