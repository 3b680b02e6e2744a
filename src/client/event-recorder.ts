// Event recorder: core/v1 Events about an involved object, as client-go's tools/record writes
// them (controllers, and the node agent as the kubelet). Recording never fails the caller's work.
//
// Contracts:
// - `event` / `record` never throw, never wait and do no I/O: the event is correlated at once
//   and one write queued. Writes go out in order, up to `maxInFlight` (default 8) at once, and
//   never two of one Event at once (so the create of an event always precedes its count
//   patches): sent one at a time, a server slow to answer (a loaded node whose agent shares
//   the machine with it) held every event behind the round trips of hundreds before it, and
//   a pod's events showed up minutes late. At most `maxQueued` (default 1000, upstream's queue
//   length) wait, and an event finding the queue full is dropped. A repeat of an Event whose
//   write is still waiting (not yet sent) updates that write instead of queuing another: the
//   write goes out with the latest count, lastTimestamp and message, and a busy node whose
//   probes keep failing does not build a backlog that delays its other events by minutes. A write the server refuses
//   is dropped (reported to `onError`); one that cannot reach the server is tried again 10 s
//   later, up to 12 times (client-go's recordToSink), unless stop() was called. The next
//   occurrence of a dropped event repairs it (a patch of an event the server lacks becomes a
//   create).
// - Correlation, in upstream's order (EventCorrelator):
//   1. aggregation: events alike but for their message (same source, involved object without
//      fieldPath, type, reason) are combined once 10 distinct messages were seen within 600 s:
//      the event written is then "(combined from similar events): MSG", one object for them all
//      (a DaemonSet creating 5,000 pods writes a handful of SuccessfulCreate events);
//   2. deduplication: an event equal to one already written (involved object with fieldPath,
//      type, reason, message) is a strategic-merge patch of that Event's count, lastTimestamp
//      and message, its name and firstTimestamp kept;
//   3. spam filter (EventSourceObjectSpamFilter): per source + involved object (fieldPath
//      aside) a token bucket of `burst` (25) refilled at `qps` (1 per 300 s); an event finding
//      it empty is not written, though it is still counted in 2 (the next write carries the
//      count of every occurrence).
//   Every cache is an LRU of 4096 keys, as upstream's.

import type { Event, KubeObject, ObjectReference } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { isAlreadyExists, isApiError, isNotFound } from './errors.js';
import { type Clock, realClock, rfc3339 } from '../util/index.js';
import { eventsResource } from './resources.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export function objectReference(obj: KubeObject): ObjectReference {
  const ref: ObjectReference = { kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion: obj.apiVersion };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export interface ApiEventRecorderOptions {
  /** source.component and reportingComponent. */
  component: string;
  /** source.host and reportingInstance (the kubelet's node name; controllers leave it empty). */
  host?: string;
  clock?: Clock;
  /** Filled in when the involved object lacks kind/apiVersion (objects from lists often do). */
  defaultKind?: { kind: string; apiVersion: string };
  /** A write that failed (the event is dropped). */
  onError?: (err: unknown) => void;
  /** Token bucket per source+object (default burst 25, qps 1/300); false: no spam filter. */
  spamFilter?: { burst: number; qps: number } | false;
  /** Default 10 distinct messages within 600 s (upstream's). */
  aggregation?: { maxEvents: number; intervalMs: number };
  /** Writes allowed to wait; default 1000. */
  maxQueued?: number;
  /** Writes sent at once (never two of one Event); default 8. */
  maxInFlight?: number;
  /** Pause before trying again a write that could not reach the server (default 10 s). */
  retryMs?: number;
}

const cacheSize = 4096;
/** client-go's maxTriesPerEvent and sleepDuration for writes that could not reach the server. */
const MAX_WRITE_TRIES = 12;
const WRITE_RETRY_MS = 10_000;

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

interface Write {
  event: Event;
  /** Patch the existing Event `event.metadata.name` (else create it). */
  patch: boolean;
}

export class ApiEventRecorder implements EventRecorder {
  private readonly clock: Clock;
  private readonly component: string;
  private readonly host: string;
  private readonly spam = new Lru<{ tokens: number; at: number }>(cacheSize);
  private readonly aggregates = new Lru<{ messages: Set<string>; last: number }>(cacheSize);
  private readonly observed = new Lru<{ count: number; name: string; firstTimestamp: string }>(cacheSize);
  private readonly queue: Write[] = [];
  /** The queued (not yet sent) write of each Event, by name: a repeat updates it (see the header). */
  private readonly queuedByName = new Map<string, Write>();
  /** Names of the Events being written (one write of an Event at a time). */
  private readonly writing = new Set<string>();
  /** Pending while writes are queued or being sent; resolved when the last one ends. */
  private sending: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private seq = 0;
  private stopped = false;
  /** End the pauses before retries (stop()). */
  private readonly wakers = new Set<() => void>();
  /** Events not written: spam-filtered or finding the queue full. */
  dropped = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly o: ApiEventRecorderOptions,
  ) {
    this.clock = o.clock ?? realClock;
    this.component = o.component;
    this.host = o.host ?? '';
  }

  /** Records an event about `obj` (EventRecorder). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const ref = objectReference(obj);
    if (!ref.kind && this.o.defaultKind) ref.kind = this.o.defaultKind.kind;
    if (!ref.apiVersion && this.o.defaultKind) ref.apiVersion = this.o.defaultKind.apiVersion;
    this.record(ref, type, reason, message);
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
    const host = this.host;
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
      source: host ? { component: this.component, host } : { component: this.component },
      firstTimestamp: seen?.firstTimestamp ?? ts,
      lastTimestamp: ts,
      count: (seen?.count ?? 0) + 1,
      type,
      reportingComponent: this.component,
      reportingInstance: host,
    };
    this.observed.set(key, { count: event.count!, name: event.metadata.name!, firstTimestamp: event.firstTimestamp! });
    // Its write still waits: it will carry this occurrence too (a create stays a create).
    const queued = this.queuedByName.get(event.metadata.name!);
    if (queued) {
      queued.event = event;
      return;
    }

    // 3. Spam filter per source + involved object.
    if (!this.allow([this.component, host, ...obj, type].join('\u0000'), now)) {
      this.dropped++;
      return;
    }
    if (this.queue.length >= (this.o.maxQueued ?? 1000)) {
      this.dropped++;
      return;
    }
    const w: Write = { event, patch: seen !== undefined };
    this.queue.push(w);
    this.queuedByName.set(event.metadata.name!, w);
    this.pump();
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

  /** Starts queued writes, oldest first, while fewer than maxInFlight are out (see the header). */
  private pump(): void {
    const max = Math.max(1, this.o.maxInFlight ?? 8);
    while (this.writing.size < max) {
      // The first write whose Event has none out (usually the head of the queue).
      const i = this.queue.findIndex((q) => !this.writing.has(q.event.metadata.name!));
      if (i < 0) break;
      const w = this.queue.splice(i, 1)[0]!;
      const name = w.event.metadata.name!;
      // Sent from now on: a later repeat queues a patch of its own.
      if (this.queuedByName.get(name) === w) this.queuedByName.delete(name);
      this.writing.add(name);
      this.sending ??= new Promise<void>((resolve) => (this.drained = resolve));
      void this.send(w).finally(() => {
        this.writing.delete(name);
        this.pump();
      });
    }
    if (this.writing.size === 0 && this.queue.length === 0 && this.sending) {
      this.sending = undefined;
      this.drained?.();
      this.drained = undefined;
    }
  }

  /** One write, tried again while the server cannot be reached (never rejects). */
  private async send(w: Write): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(w);
        return;
      } catch (err) {
        // As client-go's recordToSink: the server's refusal is final; a failure to reach it
        // (the API server restarting) is tried again, 10 s apart, 12 times in all.
        if (isApiError(err) || attempt >= MAX_WRITE_TRIES || this.stopped) {
          if (!isAlreadyExists(err)) this.o.onError?.(err);
          return;
        }
        await new Promise<void>((resolve) => {
          const t = this.clock.setTimeout(() => {
            this.wakers.delete(wake);
            resolve();
          }, this.o.retryMs ?? WRITE_RETRY_MS);
          const wake = (): void => {
            this.clock.clearTimeout(t);
            this.wakers.delete(wake);
            resolve();
          };
          this.wakers.add(wake);
        });
      }
    }
  }

  /** Ends retries of failed writes (what is queued is still tried once); flush() then returns soon. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
  }

  private async write(w: Write): Promise<void> {
    const ns = w.event.metadata.namespace ?? 'default';
    if (w.patch) {
      try {
        const body = { count: w.event.count, lastTimestamp: w.event.lastTimestamp, message: w.event.message };
        await this.client.patch<Event>(eventsResource, ns, w.event.metadata.name ?? '', 'strategic', body);
        return;
      } catch (err) {
        // Gone (expired, deleted) or never written: create it, count and all.
        if (!isNotFound(err)) throw err;
      }
    }
    await this.client.create<Event>(eventsResource, ns, w.event);
  }
}

/** Records events as strings `"<type> <reason> <message>"` (tests). */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];
  event(_obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}
