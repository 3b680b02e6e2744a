// PodGarbageCollector: deletes pods bound (spec.nodeName) to a Node that no longer exists
// (upstream's podgc gcOrphaned).
//
// Contract: a node name missing from the node cache is quarantined first; only after
// `quarantineMs` and a live GET answering NotFound are its pods deleted (force: grace period 0,
// UID precondition). The quarantine covers informer lag and a node re-registering. A pass runs
// every `gcCheckPeriodMs`, and a Node deletion event schedules a check at the end of its
// quarantine, so a deleted node's pods go after about `quarantineMs`.

import type { Node, Pod } from '../../api/types.js';
import {
  type ApiClient,
  type Clock,
  type Informer,
  type SharedInformerFactory,
  type TimerHandle,
  indexPodByNodeName,
  isConflict,
  isNotFound,
  isTombstone,
  nodesResource,
  podNodeNameIndex,
  podsResource,
  realClock,
} from '../../client/index.js';
import { errorMessage } from '../../util/index.js';

export interface PodGarbageCollectorOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  clock?: Clock;
  /** Period of the orphaned-pod pass (upstream gcCheckPeriod: 20 s). */
  gcCheckPeriodMs?: number;
  /** Time a missing node stays quarantined before its pods go (upstream: 40 s). */
  quarantineMs?: number;
  onError?: (err: unknown) => void;
}

export class PodGarbageCollector {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  readonly gcCheckPeriodMs: number;
  readonly quarantineMs: number;
  private readonly onError: (err: unknown) => void;
  /** Node name → time it was first seen missing. */
  private readonly quarantine = new Map<string, number>();
  private readonly timers = new Set<TimerHandle>();
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: PodGarbageCollectorOptions) {
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.gcCheckPeriodMs = o.gcCheckPeriodMs ?? 20_000;
    this.quarantineMs = o.quarantineMs ?? 40_000;
    this.onError = o.onError ?? (() => {});
    this.podInformer = o.informers.forResource<Pod>(podsResource);
    this.nodeInformer = o.informers.forResource<Node>(nodesResource);
    if (!this.podInformer.indexer.hasIndex(podNodeNameIndex)) this.podInformer.addIndexers({ [podNodeNameIndex]: indexPodByNodeName });
    this.nodeInformer.addEventHandler({
      delete: (obj) => {
        const node = isTombstone(obj) ? obj.obj : obj;
        const name = node.metadata.name ?? '';
        if (this.stopped || !name || this.quarantine.has(name)) return;
        if (this.podInformer.indexer.byIndex(podNodeNameIndex, name).length === 0) return;
        this.quarantine.set(name, this.clock.now());
        this.schedule(this.quarantineMs);
      },
    });
  }

  private schedule(ms: number): void {
    const h = this.clock.setTimeout(() => {
      this.timers.delete(h);
      if (!this.stopped) this.enqueuePass();
    }, ms);
    this.timers.add(h);
  }

  /** Runs passes one at a time (a pass never overlaps the previous one). */
  private enqueuePass(): Promise<void> {
    this.running = this.running.then(() => this.gcOrphaned()).catch((e: unknown) => this.onError(e));
    return this.running;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stop = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all([this.podInformer.waitForSync(), this.nodeInformer.waitForSync()]), stop]);
    const tick = (): void => {
      if (this.stopped) return;
      void this.enqueuePass();
      const h = this.clock.setTimeout(() => {
        this.timers.delete(h);
        tick();
      }, this.gcCheckPeriodMs);
      this.timers.add(h);
    };
    if (!signal.aborted) tick();
    await stop;
    this.stopped = true;
    for (const h of this.timers) this.clock.clearTimeout(h);
    this.timers.clear();
    await this.running;
  }

  /**
   * One pass: quarantine node names that pods are bound to but the cache lacks; for names whose
   * quarantine is over, confirm with a live GET and delete their pods.
   */
  async gcOrphaned(): Promise<void> {
    const now = this.clock.now();
    const pods = this.podInformer.lister.list();
    for (const p of pods) {
      const nodeName = p.spec?.nodeName;
      if (!nodeName || this.quarantine.has(nodeName)) continue;
      if (!this.nodeInformer.lister.get(nodeName)) this.quarantine.set(nodeName, now);
    }
    for (const [nodeName, since] of [...this.quarantine]) {
      if (this.nodeInformer.lister.get(nodeName)) {
        this.quarantine.delete(nodeName);
        continue;
      }
      if (now - since < this.quarantineMs) continue;
      let exists = true;
      try {
        await this.client.get(nodesResource, '', nodeName);
      } catch (e) {
        if (!isNotFound(e)) {
          this.onError(new Error(`pod GC: checking node ${nodeName}: ${errorMessage(e)}`));
          continue;
        }
        exists = false;
      }
      this.quarantine.delete(nodeName);
      if (exists) continue;
      for (const p of this.podInformer.indexer.byIndex(podNodeNameIndex, nodeName)) await this.deletePod(p, nodeName);
    }
  }

  private async deletePod(p: Pod, nodeName: string): Promise<void> {
    try {
      await this.client.delete(podsResource, p.metadata.namespace ?? '', p.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: p.metadata.uid },
      });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      this.onError(new Error(`pod GC: deleting orphaned pod ${p.metadata.namespace}/${p.metadata.name} (node ${nodeName}): ${errorMessage(e)}`));
    }
  }

  /** Node names currently quarantined (tests, debugging). */
  quarantined(): string[] {
    return [...this.quarantine.keys()];
  }
}
