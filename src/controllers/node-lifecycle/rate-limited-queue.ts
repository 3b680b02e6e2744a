// Rate limiting of NoExecute tainting (upstream's scheduler.RateLimitedTimedQueue with a
// flowcontrol token bucket): nodes waiting to be tainted are tried in order, one token each;
// when the bucket is empty the pass stops and the rest wait for the next pass.

import type { Clock } from '../../client/index.js';

/** Token bucket with TryAccept semantics; qps 0 never accepts (evictions stopped). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = qps > 0 ? burst : 0;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

interface TimedValue {
  value: string;
  uid: string;
  addedAt: number;
  processAt: number;
}

/** A set of node names ordered by the time they may next be processed. */
export class RateLimitedTimedQueue {
  private items: TimedValue[] = [];

  constructor(
    private limiter: TokenBucket,
    private readonly clock: Clock,
  ) {}

  get qps(): number {
    return this.limiter.qps;
  }

  /** Adds `value` unless present; returns whether it was added. */
  add(value: string, uid: string): boolean {
    if (this.items.some((i) => i.value === value)) return false;
    const now = this.clock.now();
    this.items.push({ value, uid, addedAt: now, processAt: now });
    this.items.sort((a, b) => a.processAt - b.processAt);
    return true;
  }

  remove(value: string): boolean {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.value !== value);
    return this.items.length !== before;
  }

  has(value: string): boolean {
    return this.items.some((i) => i.value === value);
  }

  values(): string[] {
    return this.items.map((i) => i.value);
  }

  clear(): void {
    this.items = [];
  }

  /**
   * A new rate, as upstream's SwapLimiter: when the old limiter has no token left (the queue is
   * waiting on it), the new one starts drained too, so flapping between rates (a zone crossing
   * its unhealthy threshold back and forth) never hands out a free token.
   */
  swapLimiter(qps: number): void {
    if (qps === this.limiter.qps) return;
    const next = new TokenBucket(qps, 1, this.clock);
    if (!this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  /**
   * Processes due items in order while the limiter grants tokens. `fn` answers whether the item
   * is done; if not it is retried after `retryMs`.
   */
  async try(fn: (value: string, uid: string) => Promise<boolean>, retryMs = 50): Promise<void> {
    for (;;) {
      const head = this.items[0];
      if (!head || head.processAt > this.clock.now()) return;
      if (!this.limiter.tryAccept()) return;
      this.items.shift();
      let ok = false;
      try {
        ok = await fn(head.value, head.uid);
      } finally {
        if (!ok && !this.has(head.value)) {
          this.items.push({ ...head, processAt: this.clock.now() + retryMs });
          this.items.sort((a, b) => a.processAt - b.processAt);
        }
      }
    }
  }
}
