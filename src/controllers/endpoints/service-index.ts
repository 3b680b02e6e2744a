// ServiceSelectorIndex: which Services of a namespace select a pod, kept from Service events, for
// the controllers that turn a pod event into Service keys (endpoints, endpointslice). Upstream's
// controllers list the namespace's Services and match each (GetPodServiceMemberships); this
// index keeps the cheap case cheap: a pod event in a namespace without Services that have a
// selector costs one Map lookup.
//
// Contract: `onService` on every Service add/update, `forget` on its deletion; `servicesFor*`
// answer `namespace/name` keys. Not thread-safe (one event loop).

import type { Pod } from '../../api/types.js';
import { isTombstone, type Informer } from '../../client/index.js';
import { podEndpointsChanged, selectorMatches, servicesToUpdate } from './subsets.js';
import type { Service } from './types.js';

export class ServiceSelectorIndex {
  /** namespace -> service name -> selector, for the Services that have one. */
  private readonly selectors = new Map<string, Map<string, Readonly<Record<string, string>>>>();

  /** Records (or, for a Service without a selector, drops) the Service's selector. */
  onService(svc: Service): void {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const selector = svc.spec?.selector;
    if (!selector) {
      this.forget(ns, name);
      return;
    }
    let m = this.selectors.get(ns);
    if (!m) this.selectors.set(ns, (m = new Map()));
    m.set(name, selector);
  }

  /** Drops a Service (and its namespace, once empty: the cheap check). */
  forget(ns: string, name: string): void {
    const m = this.selectors.get(ns);
    if (!m) return;
    m.delete(name);
    if (m.size === 0) this.selectors.delete(ns);
  }

  /** Keys of the Services of `namespace` whose selector matches `labels`. */
  servicesFor(namespace: string, labels: Record<string, string> | undefined): Set<string> {
    const out = new Set<string>();
    const m = this.selectors.get(namespace);
    if (!m) return out;
    for (const [name, selector] of m) if (selectorMatches(selector, labels)) out.add(`${namespace}/${name}`);
    return out;
  }

  /** Keys of the Services a pod added or deleted concerns. */
  servicesForPod(pod: Pod): Set<string> {
    return this.servicesFor(pod.metadata.namespace ?? '', pod.metadata.labels);
  }

  /**
   * Keys of the Services a pod update concerns: none when nothing their endpoints show changed
   * (upstream podEndpointsChanged) or the resourceVersion is the same (a resync); else those of
   * the new labels, plus, when the labels changed, those of the old ones (all, when the pod
   * changed too; otherwise only those it joined or left).
   */
  servicesForPodUpdate(old: Pod, pod: Pod): Set<string> {
    const ns = pod.metadata.namespace ?? '';
    if (!this.selectors.has(ns) || old.metadata.resourceVersion === pod.metadata.resourceVersion) return new Set();
    const { podChanged, labelsChanged } = podEndpointsChanged(old, pod);
    if (!podChanged && !labelsChanged) return new Set();
    const services = this.servicesFor(ns, pod.metadata.labels);
    return labelsChanged ? servicesToUpdate(this.servicesFor(ns, old.metadata.labels), services, podChanged) : services;
  }
}

/**
 * Wires a controller keyed by Service (`namespace/name`) to its caches: every Service event
 * updates `index` and queues the Service (`queueService`); every pod event queues the Services
 * whose endpoints it may change (`queuePodServices`: on add and delete those selecting the pod,
 * on update those servicesForPodUpdate names).
 */
export function queueServiceAndPodEvents(
  index: ServiceSelectorIndex,
  services: Informer<Service>,
  pods: Informer<Pod>,
  queueService: (key: string) => void,
  queuePodServices: (keys: Iterable<string>) => void,
): void {
  const keyOf = (svc: Service): string => `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
  services.addEventHandler({
    add: (svc) => {
      index.onService(svc);
      queueService(keyOf(svc));
    },
    update: (_old, svc) => {
      index.onService(svc);
      queueService(keyOf(svc));
    },
    delete: (obj) => {
      const svc = isTombstone(obj) ? obj.obj : obj;
      index.forget(svc.metadata.namespace ?? '', svc.metadata.name ?? '');
      queueService(keyOf(svc));
    },
  });
  pods.addEventHandler({
    add: (pod) => queuePodServices(index.servicesForPod(pod)),
    update: (old, pod) => queuePodServices(index.servicesForPodUpdate(old, pod)),
    delete: (obj) => queuePodServices(index.servicesForPod(isTombstone(obj) ? obj.obj : obj)),
  });
}
