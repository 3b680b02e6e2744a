// TaintEvictionController: deletes pods bound to a node with NoExecute taints they do not
// tolerate (upstream's pkg/controller/tainteviction).
//
// Per pod on a node (spec.nodeName), against the node's NoExecute taints:
// - no NoExecute taints → cancel any scheduled eviction;
// - some taint not tolerated → evict now;
// - all tolerated, every used toleration without tolerationSeconds → stay (cancel);
// - all tolerated, shortest tolerationSeconds S → evict S after the taints were first seen
//   for this pod (an eviction already scheduled earlier is kept).
// An eviction is a DELETE with the pod's UID as precondition and a Normal
// `TaintManagerEviction` event; cancelling a scheduled one emits a `TaintManagerEviction`
// "Cancelling deletion" event. Node and pod events only enqueue; the work re-reads the caches.

import { deepEqual } from '../../api/patch/index.js';
import type { Node, Pod } from '../../api/types.js';
import {
  ApiEventRecorder,
  type ApiClient,
  type Clock,
  type EventRecorder,
  type Informer,
  RateLimitingQueue,
  type SharedInformerFactory,
  type TimerHandle,
  indexPodByNodeName,
  isConflict,
  isNotFound,
  isTombstone,
  metaNamespaceKey,
  nodesResource,
  podNodeNameIndex,
  podsResource,
  realClock,
  splitMetaNamespaceKey,
} from '../../client/index.js';
import { getMatchingTolerations, minTolerationTimeMs, noExecuteTaints } from './taints.js';
import { errorMessage, rfc3339 } from '../../util/index.js';

/** The DisruptionTarget reason of a pod the taint manager deletes (upstream's). */
const disruptionReason = 'DeletionByTaintManager';

export const taintManagerEvictionReason = 'TaintManagerEviction';
export const taintEvictionComponent = 'taint-eviction-controller';

export interface TaintEvictionControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  recorder?: EventRecorder;
  onError?: (err: unknown) => void;
}

interface ScheduledEviction {
  uid: string;
  createdAt: number;
  fireAt: number;
  timer: TimerHandle;
}

const deleteRetries = 5;

export class TaintEvictionController {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly podInformer: Informer<Pod>;
  readonly nodeInformer: Informer<Node>;
  /** Keys: `node:<name>` and `pod:<namespace>/<name>`. */
  readonly queue: RateLimitingQueue<string>;
  private readonly scheduled = new Map<string, ScheduledEviction>();
  private readonly inflight = new Set<Promise<void>>();
  /** UIDs of pods whose eviction is being sent (one DELETE and one event per pod at a time). */
  private readonly evicting = new Set<string>();
  private readonly onError: (err: unknown) => void;
  private stopped = false;

  constructor(o: TaintEvictionControllerOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.onError = o.onError ?? (() => {});
    this.recorder =
      o.recorder ?? new ApiEventRecorder(o.client, { component: taintEvictionComponent, clock: this.clock, defaultKind: { kind: 'Pod', apiVersion: 'v1' }, onError: this.onError });
    this.queue = new RateLimitingQueue<string>(this.clock);
    this.podInformer = o.informers.forResource<Pod>(podsResource);
    this.nodeInformer = o.informers.forResource<Node>(nodesResource);
    if (!this.podInformer.indexer.hasIndex(podNodeNameIndex)) this.podInformer.addIndexers({ [podNodeNameIndex]: indexPodByNodeName });

    this.nodeInformer.addEventHandler({
      add: (n) => this.enqueueNode(n),
      update: (a, b) => {
        if (!deepEqual(noExecuteTaints(a), noExecuteTaints(b))) this.enqueueNode(b);
      },
      delete: (n) => this.enqueueNode(isTombstone(n) ? n.obj : n),
    });
    this.podInformer.addEventHandler({
      add: (p) => this.enqueuePod(p),
      update: (a, b) => {
        // Every pod status write lands here: compared in place (no JSON text made per event).
        if (a.spec?.nodeName !== b.spec?.nodeName || !deepEqual(a.spec?.tolerations, b.spec?.tolerations)) this.enqueuePod(b);
      },
      delete: (p) => {
        const pod = isTombstone(p) ? p.obj : p;
        this.cancel(metaNamespaceKey(pod), true, pod);
      },
    });
  }

  private enqueueNode(n: Node): void {
    if (n.metadata.name) this.queue.add(`node:${n.metadata.name}`);
  }

  private enqueuePod(p: Pod): void {
    if (p.spec?.nodeName) this.queue.add(`pod:${metaNamespaceKey(p)}`);
  }

  /** Pod keys with a scheduled (future) eviction and its time. */
  scheduledEvictions(): Array<{ pod: string; at: number }> {
    return [...this.scheduled].map(([pod, s]) => ({ pod, at: s.fireAt }));
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    if (signal.aborted) return;
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all([this.podInformer.waitForSync(), this.nodeInformer.waitForSync()]), stop]);
    const ws: Promise<void>[] = [];
    if (!signal.aborted) for (let i = 0; i < workers; i++) ws.push(this.worker());
    await stop;
    this.stopped = true;
    this.queue.shutDown({ drain: false });
    for (const s of this.scheduled.values()) this.clock.clearTimeout(s.timer);
    this.scheduled.clear();
    await Promise.all(ws);
    await this.idle();
  }

  /** Resolves when no eviction is being sent. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        this.processKey(key);
        this.queue.forget(key);
      } catch (e) {
        this.onError(new Error(`taint eviction: ${key}: ${errorMessage(e)}`));
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Handles one queue key synchronously from the caches (evictions are started, not awaited). */
  processKey(key: string): void {
    if (key.startsWith('node:')) this.handleNode(key.slice(5));
    else if (key.startsWith('pod:')) this.handlePod(key.slice(4));
  }

  handleNode(nodeName: string): void {
    const node = this.nodeInformer.lister.get(nodeName);
    // A deleted node (upstream's handleNodeUpdate forgets it): its pods' scheduled deletions
    // stand, nothing is cancelled and no event is written; the pod GC removes the pods.
    if (!node) return;
    const taints = noExecuteTaints(node);
    const now = this.clock.now();
    for (const pod of this.podInformer.indexer.byIndex(podNodeNameIndex, nodeName)) this.processPodOnNode(pod, taints, now);
  }

  handlePod(podKey: string): void {
    const { namespace, name } = splitMetaNamespaceKey(podKey);
    const pod = this.podInformer.lister.namespace(namespace).get(name);
    if (!pod || !pod.spec?.nodeName) {
      this.cancel(podKey, false);
      return;
    }
    const node = this.nodeInformer.lister.get(pod.spec.nodeName);
    if (!node) return; // a node deleted (or not seen yet): see handleNode
    this.processPodOnNode(pod, noExecuteTaints(node), this.clock.now());
  }

  private processPodOnNode(pod: Pod, taints: ReturnType<typeof noExecuteTaints>, now: number): void {
    const key = metaNamespaceKey(pod);
    if (pod.metadata.deletionTimestamp) return;
    if (taints.length === 0) {
      this.cancel(key, true);
      return;
    }
    const { allTolerated, used } = getMatchingTolerations(taints, pod.spec?.tolerations ?? []);
    if (!allTolerated) {
      // Deleted at once: a scheduled deletion is cancelled first, with its event, as upstream.
      this.cancel(key, true);
      this.evict(pod);
      return;
    }
    const min = minTolerationTimeMs(used);
    if (min < 0) {
      this.cancel(key, true);
      return;
    }
    const startTime = now;
    const existing = this.scheduled.get(key);
    if (existing) {
      // As upstream's processPodOnNode: a scheduled deletion stands as scheduled, whatever the
      // pod's tolerationSeconds became since (only tolerating for ever, a taint it does not
      // tolerate or the taints going away change it; upstream replaces one scheduled at this
      // very instant, which its nanosecond clock never sees). A new pod of the same name gets
      // its own.
      if (existing.uid === pod.metadata.uid) return;
      this.cancel(key, true);
    }
    const fireAt = now + min;
    const timer = this.clock.setTimeout(() => {
      const s = this.scheduled.get(key);
      if (!s || s.timer !== timer) return;
      this.scheduled.delete(key);
      const cur = this.podInformer.lister.namespace(pod.metadata.namespace ?? '').get(pod.metadata.name ?? '');
      if (cur && cur.metadata.uid === s.uid && !this.stopped) this.evict(cur);
    }, Math.max(0, fireAt - now));
    this.scheduled.set(key, { uid: pod.metadata.uid ?? '', createdAt: startTime, fireAt, timer });
  }

  /**
   * Drops the pod's scheduled deletion, if any; with `withEvent` a scheduled one is reported as
   * upstream reports it (`Cancelling deletion of Pod NS/NAME`), on `gone` for a pod already
   * deleted (the lister no longer has it).
   */
  private cancel(key: string, withEvent: boolean, gone?: Pod): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    this.clock.clearTimeout(s.timer);
    this.scheduled.delete(key);
    if (withEvent) {
      const { namespace, name } = splitMetaNamespaceKey(key);
      const pod = gone ?? this.podInformer.lister.namespace(namespace).get(name);
      if (pod) this.recorder.event(pod, 'Normal', taintManagerEvictionReason, `Cancelling deletion of Pod ${key}`);
    }
  }

  private evict(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.evicting.has(uid)) return;
    this.evicting.add(uid);
    const p = this.deletePod(pod).finally(() => {
      this.inflight.delete(p);
      this.evicting.delete(uid);
    });
    this.inflight.add(p);
  }

  private async deletePod(pod: Pod): Promise<void> {
    const key = metaNamespaceKey(pod);
    this.recorder.event(pod, 'Normal', taintManagerEvictionReason, `Marking for deletion Pod ${key}`);
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    for (let attempt = 1; ; attempt++) {
      try {
        // As upstream's addConditionAndDeletePod: the pod says why it goes before it goes.
        const marked = pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === disruptionReason);
        if (!marked) {
          const condition = { type: 'DisruptionTarget', status: 'True', reason: disruptionReason, message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(this.clock.now()) };
          await this.client.patch(podsResource, ns, name, 'strategic', { status: { conditions: [condition] } }, { subresource: 'status' });
        }
        await this.client.delete(podsResource, ns, name, { preconditions: { uid: pod.metadata.uid } });
        return;
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) return;
        if (attempt >= deleteRetries) {
          this.onError(new Error(`taint eviction: deleting pod ${key}: ${errorMessage(e)}`));
          // Look again later: the pod is re-evaluated from the caches.
          this.queue.addRateLimited(`pod:${key}`);
          return;
        }
      }
    }
  }
}
