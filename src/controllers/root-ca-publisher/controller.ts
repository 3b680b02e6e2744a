// RootCaPublisher: every active namespace has the ConfigMap `kube-root-ca.crt` holding the
// cluster CA (`ca.crt`), as upstream's root-ca-cert-publisher keeps it, so clients in pods (and
// tools that read it) can verify the API server, and projected service account volumes that
// name it find it.
//
// Contract: level-triggered on namespace keys. A namespace added or updated, or that ConfigMap
// changed or deleted, queues its namespace; sync(ns), when the namespace exists and is not
// Terminating: creates the ConfigMap when the cache has none; when its data is not exactly
// { ca.crt: <CA> } or it lacks the description annotation, puts both back with an update (the
// resourceVersion read: a conflict retries from a fresh cache). Other labels and annotations
// are kept. AlreadyExists counts as done; other errors are retried with back-off.

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
  configMapsResource,
  realClock,
} from '../../client/index.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const descriptionKey = 'kubernetes.io/description';
/** Upstream's description of the ConfigMap. */
const description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

type ConfigMap = KubeObject & { data?: Record<string, string> };

export interface RootCaPublisherOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  /** The cluster CA certificate (PEM) to publish. */
  caPem: string;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export class RootCaPublisher {
  private readonly client: ApiClient;
  private readonly caPem: string;
  private readonly namespaces: Informer<Namespace>;
  private readonly configMaps: Informer<ConfigMap>;
  readonly queue: RateLimitingQueue<string>;
  private readonly onError: (err: unknown) => void;

  constructor(o: RootCaPublisherOptions) {
    this.client = o.client;
    this.caPem = o.caPem;
    this.onError = o.onError ?? (() => {});
    this.queue = new RateLimitingQueue<string>(o.clock ?? realClock);
    this.namespaces = o.informers.forResource<Namespace>(namespacesResource);
    this.configMaps = o.informers.forResource<ConfigMap>(configMapsResource);
    this.namespaces.addEventHandler({
      add: (ns) => this.queue.add(ns.metadata.name ?? ''),
      update: (_old, ns) => this.queue.add(ns.metadata.name ?? ''),
    });
    const ours = (cm: ConfigMap): void => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace ?? '');
    };
    this.configMaps.addEventHandler({
      update: (_old, cm) => ours(cm),
      delete: (obj) => ours(isTombstone(obj) ? obj.obj : obj),
    });
  }

  /** Runs `workers` workers until `signal` aborts (runQueueWorkers). */
  run(signal: AbortSignal, workers = 1): Promise<void> {
    return runQueueWorkers({ queue: this.queue, caches: [this.namespaces, this.configMaps], signal, workers, sync: (key) => this.sync(key), onError: this.onError });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const cm = this.configMaps.lister.namespace(namespace).get(ROOT_CA_CONFIGMAP);
    const data = { 'ca.crt': this.caPem };
    try {
      if (!cm) {
        await this.client.create(configMapsResource, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [descriptionKey]: description } }, data });
        return;
      }
      const current = cm.data ?? {};
      if (Object.keys(current).length === 1 && current['ca.crt'] === this.caPem && cm.metadata.annotations?.[descriptionKey]) return;
      await this.client.update(configMapsResource, namespace, { ...cm, metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), [descriptionKey]: description } }, data } as ConfigMap);
    } catch (err) {
      if (isAlreadyExists(err) || hasStatusCause(err, namespaceTerminatingCause)) return;
      throw err;
    }
  }
}
