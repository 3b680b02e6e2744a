// The agent's event recorder: core/v1 Events as the kubelet records them (source component
// "kubelet", host = the node's name), about pods, their containers (`fieldPath`
// `spec.containers{NAME}`) and the Node.
//
// Why not src/client's ApiEventRecorder: it cannot carry an involvedObject.fieldPath and writes
// every event as a new object. The kubelet's recorder (client-go tools/record) correlates
// events first, and a crash-looping container must become one Event whose count grows, not a
// new object per restart. This recorder keeps ApiEventRecorder's spam filter parameters.
//
// Contracts:
// - `record` never throws, never waits and does no I/O: it correlates the event at once and
//   queues one write. Writes go out one at a time in order (so the create of an event always
//   precedes its count patches); at most `maxQueued` (default 1000, upstream's queue length)
//   wait, and an event finding the queue full is dropped. A failed write is dropped (reported
//   to `onError`); the next occurrence of the event repairs it (a patch of an event the server
//   lacks becomes a create).
// - Correlation, in upstream's order (EventCorrelator):
//   1. aggregation: events alike but for their message (same source, involved object without
//      fieldPath, type, reason) are combined once 10 distinct messages were seen within 600 s:
//      the event written is then "(combined from similar events): MSG", one object for them all;
//   2. deduplication: an event equal to one already written (involved object with fieldPath,
//      type, reason, message) is a strategic-merge patch of that Event's count, lastTimestamp
//      and message, its name and firstTimestamp kept;
//   3. spam filter: per source + involved object (fieldPath aside) a token bucket of `burst`
//      (25) refilled at `qps` (1 per 300 s); an event finding it empty is not written, though it
//      is still counted in 2 (the next write carries the count of every occurrence).
//   Every cache is an LRU of 4096 keys, as upstream's.

import type { Event, NodeStatus, ObjectReference, Pod } from '../api/types.js';
import { type ApiClient, eventsResource, isAlreadyExists, isNotFound } from '../client/index.js';
import { type Clock, realClock, rfc3339 } from '../util/index.js';

export type EventType = 'Normal' | 'Warning';

export const kubeletComponent = 'kubelet';

export interface KubeletEventRecorderOptions {
  client: ApiClient;
  /** The node's name: source.host and reportingInstance. */
  host: string;
  /** source.component and reportingComponent; default "kubelet". */
  component?: string;
  clock?: Clock;
  /** A write that failed (the event is dropped). */
  onError?: (err: unknown) => void;
  /** Default burst 25, qps 1/300 (upstream's); false: no spam filter. */
  spamFilter?: { burst: number; qps: number } | false;
  /** Default 10 distinct messages within 600 s (upstream's). */
  aggregation?: { maxEvents: number; intervalMs: number };
  /** Writes allowed to wait; default 1000. */
  maxQueued?: number;
}

const cacheSize = 4096;

/** A Map bounded to `max` keys that forgets the least recently used one. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    if (this.m.size >= this.max) {
      const oldest = this.m.keys().next();
      if (!oldest.done) this.m.delete(oldest.value);
    }
    this.m.set(k, v);
  }
}

/** The reference of a pod (kind, apiVersion, namespace, name, uid, resourceVersion). */
export function podReference(pod: Pod): ObjectReference {
  const ref: ObjectReference = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '', apiVersion: 'v1' };
  if (pod.metadata.resourceVersion) ref.resourceVersion = pod.metadata.resourceVersion;
  return ref;
}

/**
 * The reference of one container of a pod: the pod's, with fieldPath `spec.containers{NAME}`
 * (`spec.initContainers{NAME}` for an init container), as upstream's GenerateContainerRef.
 */
export function containerReference(pod: Pod, containerName: string): ObjectReference {
  const isInit = (pod.spec.initContainers ?? []).some((c) => c.name === containerName);
  return { ...podReference(pod), fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${containerName}}` };
}

/**
 * The kubelet's reference of its Node: kind Node, the node's name, and its name as uid (not the
 * Node's uid, which the kubelet may not know yet; `kubectl describe node` looks for both).
 */
export function nodeReference(nodeName: string): ObjectReference {
  return { kind: 'Node', name: nodeName, uid: nodeName };
}

/** Upstream's message of a node condition or schedulability event. */
export function nodeStatusEventMessage(nodeName: string, reason: string): string {
  return `Node ${nodeName} status is now: ${reason}`;
}

interface Write {
  event: Event;
  /** Patch the existing Event `event.metadata.name` (else create it). */
  patch: boolean;
}

export class KubeletEventRecorder {
  private readonly clock: Clock;
  private readonly component: string;
  private readonly spam = new Lru<{ tokens: number; at: number }>(cacheSize);
  private readonly aggregates = new Lru<{ messages: Set<string>; last: number }>(cacheSize);
  private readonly observed = new Lru<{ count: number; name: string; firstTimestamp: string }>(cacheSize);
  private readonly queue: Write[] = [];
  private sending: Promise<void> | undefined;
  private seq = 0;
  /** Events not written: spam-filtered or finding the queue full. */
  dropped = 0;

  constructor(private readonly o: KubeletEventRecorderOptions) {
    this.clock = o.clock ?? realClock;
    this.component = o.component ?? kubeletComponent;
  }

  /** Records an event about `ref` (its namespace, or "default" for cluster-scoped objects). */
  record(ref: ObjectReference, type: EventType, reason: string, message: string): void {
    try {
      this.correlate(ref, type, reason, message);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  /** Resolves once every write queued so far has been sent (or failed). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private correlate(ref: ObjectReference, type: EventType, reason: string, rawMessage: string): void {
    const now = this.clock.now();
    const ts = rfc3339(now);
    const host = this.o.host;
    const obj = [ref.kind ?? '', ref.namespace ?? '', ref.name ?? '', ref.uid ?? '', ref.apiVersion ?? ''];

    // 1. Aggregation of events alike but for their message.
    let message = rawMessage;
    let key = [this.component, host, ...obj, ref.fieldPath ?? '', type, reason, message].join('\u0000');
    const aggKey = [this.component, host, ...obj, type, reason].join('\u0000');
    const agg = this.o.aggregation ?? { maxEvents: 10, intervalMs: 600_000 };
    let a = this.aggregates.get(aggKey);
    if (!a || now - a.last > agg.intervalMs) a = { messages: new Set(), last: now };
    a.messages.add(rawMessage);
    a.last = now;
    this.aggregates.set(aggKey, a);
    if (a.messages.size >= agg.maxEvents) {
      // Keep the set below the threshold, so every later message stays aggregated.
      const first = a.messages.values().next();
      if (!first.done) a.messages.delete(first.value);
      message = `(combined from similar events): ${rawMessage}`;
      key = aggKey;
    }

    // 2. Deduplication: a repeat is a patch of the Event written first.
    const seen = this.observed.get(key);
    const ns = ref.namespace || 'default';
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: seen?.name ?? this.eventName(ref.name ?? '', now), namespace: ns },
      involvedObject: { ...ref },
      reason,
      message,
      source: { component: this.component, host },
      firstTimestamp: seen?.firstTimestamp ?? ts,
      lastTimestamp: ts,
      count: (seen?.count ?? 0) + 1,
      type,
      reportingComponent: this.component,
      reportingInstance: host,
    };
    this.observed.set(key, { count: event.count!, name: event.metadata.name!, firstTimestamp: event.firstTimestamp! });

    // 3. Spam filter per source + involved object.
    if (!this.allow([this.component, host, ...obj].join('\u0000'), now)) {
      this.dropped++;
      return;
    }
    if (this.queue.length >= (this.o.maxQueued ?? 1000)) {
      this.dropped++;
      return;
    }
    this.queue.push({ event, patch: seen !== undefined });
    this.sending ??= this.send();
  }

  /** `<object name>.<hex nanoseconds>`, as upstream names events, unique within this recorder. */
  private eventName(objectName: string, now: number): string {
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${objectName}.${nanos.toString(16)}`;
  }

  private allow(key: string, now: number): boolean {
    const f = this.o.spamFilter ?? { burst: 25, qps: 1 / 300 };
    if (f === false) return true;
    let b = this.spam.get(key);
    if (b) {
      b.tokens = Math.min(f.burst, b.tokens + ((now - b.at) / 1000) * f.qps);
      b.at = now;
    } else b = { tokens: f.burst, at: now };
    this.spam.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async send(): Promise<void> {
    try {
      for (let w = this.queue.shift(); w; w = this.queue.shift()) {
        try {
          await this.write(w);
        } catch (err) {
          if (!isAlreadyExists(err)) this.o.onError?.(err);
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  private async write(w: Write): Promise<void> {
    const ns = w.event.metadata.namespace ?? 'default';
    if (w.patch) {
      try {
        const body = { count: w.event.count, lastTimestamp: w.event.lastTimestamp, message: w.event.message };
        await this.o.client.patch<Event>(eventsResource, ns, w.event.metadata.name ?? '', 'strategic', body);
        return;
      } catch (err) {
        // Gone (expired, deleted) or never written: create it, count and all.
        if (!isNotFound(err)) throw err;
      }
    }
    await this.o.client.create<Event>(eventsResource, ns, w.event);
  }
}

/** The node condition events the kubelet records when a condition takes a new status. */
const conditionEvents: Record<string, Partial<Record<string, string>>> = {
  MemoryPressure: { False: 'NodeHasSufficientMemory', True: 'NodeHasInsufficientMemory' },
  DiskPressure: { False: 'NodeHasNoDiskPressure', True: 'NodeHasDiskPressure' },
  PIDPressure: { False: 'NodeHasSufficientPID', True: 'NodeHasInsufficientPID' },
  Ready: { True: 'NodeReady', False: 'NodeNotReady' },
};

/**
 * Reasons of the events a node status write implies, in upstream's order (memory, disk, PID,
 * Ready): one per condition whose status differs from the stored one (or that was missing, as
 * at registration, or Unknown after the node lifecycle controller lost the node).
 */
export function nodeConditionEventReasons(stored: NodeStatus | undefined, written: NodeStatus | undefined): string[] {
  const out: string[] = [];
  for (const [type, byStatus] of Object.entries(conditionEvents)) {
    const next = written?.conditions?.find((c) => c.type === type);
    if (!next) continue;
    const prev = stored?.conditions?.find((c) => c.type === type);
    if (prev?.status === next.status) continue;
    const reason = byStatus[next.status];
    if (reason) out.push(reason);
  }
  return out;
}
