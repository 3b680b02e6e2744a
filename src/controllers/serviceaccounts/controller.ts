// ServiceAccountsController: every active namespace has a ServiceAccount named `default`
// (upstream's serviceaccounts-controller), so pods that name no account run as it and get its
// token from their agent.
//
// Contract: level-triggered on namespace keys. A namespace added, or a `default` account
// deleted, queues its namespace; sync(ns) creates `default` when the namespace exists, is not
// Terminating, and the cache has no such account (AlreadyExists counts as done; other errors
// are retried with back-off). It never updates or deletes an account.

import type { KubeObject, Namespace } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type Informer,
  type SharedInformerFactory,
  RateLimitingQueue,
  runQueueWorkers,
  isAlreadyExists,
  hasStatusCause,
  namespaceTerminatingCause,
  isTombstone,
  namespacesResource,
  realClock,
  serviceAccountsResource,
} from '../../client/index.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface ServiceAccountsControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export class ServiceAccountsController {
  private readonly client: ApiClient;
  private readonly namespaces: Informer<Namespace>;
  private readonly accounts: Informer<KubeObject>;
  readonly queue: RateLimitingQueue<string>;
  private readonly onError: (err: unknown) => void;

  constructor(o: ServiceAccountsControllerOptions) {
    const clock = o.clock ?? realClock;
    this.client = o.client;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(clock);
    this.namespaces = o.informers.forResource<Namespace>(namespacesResource);
    this.accounts = o.informers.forResource<KubeObject>(serviceAccountsResource);
    this.namespaces.addEventHandler({
      add: (ns) => this.queue.add(ns.metadata.name ?? ''),
      update: (_old, ns) => this.queue.add(ns.metadata.name ?? ''),
    });
    this.accounts.addEventHandler({
      delete: (obj) => {
        const sa = isTombstone(obj) ? obj.obj : obj;
        if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(sa.metadata.namespace ?? '');
      },
    });
  }

  /** Runs `workers` workers until `signal` aborts (runQueueWorkers). */
  run(signal: AbortSignal, workers = 1): Promise<void> {
    return runQueueWorkers({ queue: this.queue, caches: [this.namespaces, this.accounts], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.accounts.lister.namespace(namespace).get(DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await this.client.create(serviceAccountsResource, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } });
    } catch (err) {
      if (isAlreadyExists(err) || hasStatusCause(err, namespaceTerminatingCause)) return;
      throw err;
    }
  }
}
