// Event recorder: core/v1 Events about an involved object, written asynchronously (a failure
// to record an event never fails a sync). Every recorded call creates one Event with count 1.
//
// Spam filter (upstream client-go's EventSourceObjectSpamFilter): each (source component,
// source host, involved object) key owns a token bucket of `burst` tokens (default 25)
// refilled at `qps` (default 1 per 300 s); an event finding the bucket empty is dropped, not
// written. A DaemonSet creating 5,000 pods thus writes ~25 SuccessfulCreate events, not 5,000.
// Keys are kept in an LRU of 4,096 entries, as upstream does.

import { randomBytes } from 'node:crypto';
import type { Event, KubeObject, ObjectReference } from '../api/types.js';
import type { ApiClient } from './api-client.js';
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
  component: string;
  host?: string;
  clock?: Clock;
  /** Filled in when the involved object lacks kind/apiVersion (objects from lists often do). */
  defaultKind?: { kind: string; apiVersion: string };
  onError?: (err: unknown) => void;
  /** Token bucket per source+object (default burst 25, qps 1/300); false: write every event. */
  spamFilter?: { burst: number; qps: number } | false;
}

const spamFilterCacheSize = 4096;

export class ApiEventRecorder implements EventRecorder {
  private pending = new Set<Promise<unknown>>();
  private readonly clock: Clock;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: ApiEventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
  }

  /** Events dropped by the spam filter so far. */
  dropped = 0;
  /** Spam filter buckets by key, in LRU order (Map iteration order = least recently used first). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token for `key`; false when the bucket is empty (the event is spam). */
  private allow(key: string): boolean {
    const f = this.opts.spamFilter ?? { burst: 25, qps: 1 / 300 };
    if (f === false) return true;
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(f.burst, b.tokens + ((now - b.at) / 1000) * f.qps);
      b.at = now;
    } else {
      b = { tokens: f.burst, at: now };
      if (this.buckets.size >= spamFilterCacheSize) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const involved = objectReference(obj);
    if (!involved.kind && this.opts.defaultKind) involved.kind = this.opts.defaultKind.kind;
    if (!involved.apiVersion && this.opts.defaultKind) involved.apiVersion = this.opts.defaultKind.apiVersion;
    const spamKey = [this.opts.component, this.opts.host ?? '', involved.kind ?? '', involved.namespace ?? '', involved.name ?? '', involved.uid ?? '', involved.apiVersion ?? ''].join('\u0000');
    if (!this.allow(spamKey)) {
      this.dropped++;
      return;
    }
    const now = rfc3339(this.clock.now());
    const ns = obj.metadata.namespace || 'default';
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name ?? 'unknown'}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: involved,
      reason,
      message,
      source: this.opts.host ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    const p = this.client
      .create(eventsResource, ns, ev)
      .catch((e: unknown) => this.opts.onError?.(e))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** Records events as strings `"<type> <reason> <message>"` (tests). */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];
  event(_obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}
