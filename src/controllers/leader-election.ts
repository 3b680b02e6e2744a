// Leader election over a coordination.k8s.io/v1 Lease (client-go leaderelection, restated).
//
// Record: spec.holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions.
// Every write is a compare-and-swap on the Lease's resourceVersion, so two candidates can never
// both succeed in taking the same record.
//
// Candidate loop (every retryPeriod): GET the Lease (create it when missing). The record is
// expired when nothing about it has changed for `leaseDurationSeconds` of the record, measured
// on this candidate's own clock from when it first observed the current record (never from the
// record's renewTime: clocks of different hosts are not compared). An expired or empty record,
// or one this candidate already holds, is taken by writing it back with holderIdentity = self.
//
// Leader loop: renew every retryPeriod. Invariant: a leader that has not renewed successfully
// within renewDeadline of its last successful renewal stops leading at once (the leading
// signal aborts from a timer, even while a renew request hangs). renewDeadline < leaseDuration,
// so it stops before any standby may consider the record expired; a standby takes over within
// leaseDuration (+ one retryPeriod) of the leader's last renewal.
//
// On stop (`run`'s signal) a leader releases the Lease (holderIdentity '', leaseDurationSeconds
// 1) so a standby takes over without waiting the full duration.
//
// Fencing: the leading signal is a timer, and a process paused (SIGSTOP, a VM or laptop
// suspended) runs its overdue work before or beside that timer. holdsLease() checks, at the
// moment of asking, that the last successful renewal was sent less than renewDeadline ago (on
// the monotonic and on the wall clock); fencedClient refuses every write of the controllers
// when it does not, so a leader that lost the lease writes nothing more, even in a pass it
// started while it still led.

import { setMaxListeners } from 'node:events';
import type { Lease } from '../api/types.js';
import { type ApiClient, type Clock, type TimerHandle, isAlreadyExists, isConflict, isNotFound, leasesResource, realClock } from '../client/index.js';
import { errorMessage, rfc3339Micro as microTime } from '../util/index.js';

/**
 * Abort listeners a controller-manager signal may carry: every controller and each of its
 * workers adds one (about a dozen today), so Node's default warning at 10 is not a leak here.
 */
export const controllerSignalListeners = 64;

export const defaultLeaseDurationMs = 15_000;
export const defaultRenewDeadlineMs = 10_000;
// Upstream's 2 s: a standby takes over within leaseDuration + 2 × retryPeriod ≈ 19 s of the
// leader's death. (It was 1 s: the leader's renewals were then three quarters of an idle
// cluster's writes, ~6 MB a minute on disk, which wears the flash of small edge machines.)
export const defaultRetryPeriodMs = 2_000;

export interface LeaderElectionTiming {
  /** How long a record stays valid after the last change a candidate observed (default 15 s; whole seconds on the wire). */
  leaseDurationMs?: number;
  /** How long a leader keeps acting without a successful renewal (default 10 s; must be < leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts (default 1 s). */
  retryPeriodMs?: number;
}

export interface LeaderElectorOptions extends LeaderElectionTiming {
  client: ApiClient;
  /** Default kube-system. */
  namespace?: string;
  /** Default everynode-controller-manager. */
  name?: string;
  identity: string;
  clock?: Clock;
  /** Release the lease when run() is stopped while leading (default true). */
  releaseOnCancel?: boolean;
  /**
   * Called when this candidate becomes leader. `signal` aborts when leadership ends (lost or
   * stopping). The returned promise must settle once everything started has stopped; the
   * elector does not contend again before that.
   */
  onStartedLeading: (signal: AbortSignal) => Promise<void>;
  /** Called after onStartedLeading's promise settled. */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to self). */
  onNewLeader?: (identity: string) => void;
  onError?: (err: unknown) => void;
}

function recordKey(l: Lease): string {
  const s = l.spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds ?? 0, s.acquireTime ?? '', s.renewTime ?? '', s.leaseTransitions ?? 0]);
}

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly o: LeaderElectorOptions;
  private observedKey = '';
  private observedTime = 0;
  private observedHolder = '';
  private observed: Lease | undefined;
  private leading = false;
  /** When the write that made this candidate leader was sent (its first renewal deadline counts from it). */
  private acquiredSentAt = 0;
  /** When the last successful acquisition or renewal was sent: elapsed() and clock.now() readings. */
  private renewedSentAt = 0;
  private renewedSentAtWall = 0;

  constructor(o: LeaderElectorOptions) {
    this.o = o;
    this.client = o.client;
    this.clock = o.clock ?? realClock;
    this.identity = o.identity;
    this.namespace = o.namespace ?? 'kube-system';
    this.name = o.name ?? 'everynode-controller-manager';
    this.leaseDurationMs = o.leaseDurationMs ?? defaultLeaseDurationMs;
    this.renewDeadlineMs = o.renewDeadlineMs ?? defaultRenewDeadlineMs;
    this.retryPeriodMs = o.retryPeriodMs ?? defaultRetryPeriodMs;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('leader election: renewDeadline must be less than leaseDuration');
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) throw new Error('leader election: retryPeriod must be less than renewDeadline');
    if (!this.identity) throw new Error('leader election: identity must not be empty');
  }

  /** True while this candidate holds the lease and has renewed it within renewDeadline. */
  isLeader(): boolean {
    return this.leading;
  }

  /**
   * True while the record names this candidate and its last successful acquisition or renewal
   * was sent less than renewDeadline ago by both clocks, checked now (not by the timer that
   * ends leadership, which a paused process runs late): what a write made on behalf of the
   * leader must check (fencedClient). On stop it stays true while the term winds down, until
   * renewDeadline after the last renewal (renewals stop with the term) or the release, so the
   * term's last writes (its events, flushed within seconds) are still made. The wall clock
   * catches a suspended machine, whose monotonic clock stood still; a forward step of the wall
   * clock beyond renewDeadline (NTP at boot) only holds writes back until the next renewal.
   */
  holdsLease(): boolean {
    return this.observedHolder === this.identity && this.elapsed() - this.renewedSentAt < this.renewDeadlineMs && this.clock.now() - this.renewedSentAtWall < this.renewDeadlineMs;
  }

  /** The holder last observed (may be stale). */
  getLeader(): string {
    return this.observedHolder;
  }

  /** Contends, leads, and contends again after losing, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const acquired = await this.acquire(signal);
      if (!acquired) return;
      await this.lead(signal);
      if (signal.aborted) {
        if (this.o.releaseOnCancel ?? true) await this.release();
        return;
      }
    }
  }

  /** Retries every retryPeriod until the lease is ours (true) or signal aborts (false). */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      let ok = false;
      this.acquiredSentAt = this.elapsed();
      const sentAtWall = this.clock.now();
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (e) {
        this.o.onError?.(new Error(`error retrieving resource lock ${this.namespace}/${this.name}: ${errorMessage(e)}`));
      }
      if (ok) {
        this.renewedSentAt = this.acquiredSentAt;
        this.renewedSentAtWall = sentAtWall;
        return !signal.aborted;
      }
      await this.sleep(this.jitter(this.retryPeriodMs), signal);
    }
    return false;
  }

  /** Leads until a renewal misses its deadline or `signal` aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    const leadership = new AbortController();
    setMaxListeners(controllerSignalListeners, leadership.signal);
    const stopLeading = (): void => leadership.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    this.leading = true;
    let deadline: TimerHandle | undefined;
    /** Arms the deadline renewDeadline after `from`: when the successful renewal was sent. */
    const armDeadline = (from: number): void => {
      if (deadline) this.clock.clearTimeout(deadline);
      deadline = this.clock.setTimeout(() => {
        if (!leadership.signal.aborted) this.o.onError?.(new Error(`failed to renew lease ${this.namespace}/${this.name} within ${this.renewDeadlineMs} ms: stopping leading`));
        stopLeading();
      }, Math.max(0, from + this.renewDeadlineMs - this.elapsed()));
    };
    armDeadline(this.acquiredSentAt);
    const renewLoop = (async () => {
      while (!leadership.signal.aborted) {
        await this.sleep(this.retryPeriodMs, leadership.signal);
        if (leadership.signal.aborted) return;
        let ok = false;
        // Timed from when the renewal was sent: the standbys time the record from when they
        // read it, which is later (the renewal window never outlasts what they allow).
        const sentAt = this.elapsed();
        const sentAtWall = this.clock.now();
        try {
          ok = await this.tryAcquireOrRenew();
        } catch (e) {
          this.o.onError?.(new Error(`failed to renew lease ${this.namespace}/${this.name}: ${errorMessage(e)}`));
        }
        if (leadership.signal.aborted) return;
        if (ok) {
          this.renewedSentAt = sentAt;
          this.renewedSentAtWall = sentAtWall;
          armDeadline(sentAt);
        }
        else if (this.observedHolder !== this.identity && this.observedHolder !== '') {
          // Someone else holds the record now: we lost it for certain.
          stopLeading();
        }
      }
    })();
    let work: Promise<void>;
    try {
      work = this.o.onStartedLeading(leadership.signal);
    } catch (e) {
      work = Promise.reject(e);
    }
    // The work ending on its own (e.g. a fatal error) also ends leadership.
    const workDone = work.then(
      () => stopLeading(),
      (e: unknown) => {
        this.o.onError?.(e);
        stopLeading();
      },
    );
    await new Promise<void>((resolve) => {
      if (leadership.signal.aborted) resolve();
      else leadership.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.leading = false;
    if (deadline) this.clock.clearTimeout(deadline);
    signal.removeEventListener('abort', stopLeading);
    await workDone;
    await renewLoop;
    this.o.onStoppedLeading?.();
  }

  /** One attempt (client-go tryAcquireOrRenew). Throws on transport/server errors other than NotFound/Conflict. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const leaseSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let current: Lease;
    try {
      current = await this.client.get<Lease>(leasesResource, this.namespace, this.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec: { holderIdentity: this.identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      };
      try {
        const created = await this.client.create<Lease>(leasesResource, this.namespace, lease);
        this.observe(created, this.elapsed());
        return true;
      } catch (e2) {
        if (isAlreadyExists(e2)) return false;
        throw e2;
      }
    }
    // The record was read when the GET answered: a change first seen now is timed from now (a
    // slow GET must not make a standby count the holder's lease down early; upstream too).
    const readAt = this.elapsed();
    this.observe(current, readAt);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedTime + durationMs > readAt) return false;

    const next: Lease = structuredClone(current);
    const held = holder === this.identity;
    next.spec = {
      ...spec,
      holderIdentity: this.identity,
      leaseDurationSeconds: leaseSeconds,
      renewTime: microTime(now),
      acquireTime: held ? (spec.acquireTime ?? microTime(now)) : microTime(now),
      leaseTransitions: held ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.client.update<Lease>(leasesResource, this.namespace, next);
      this.observe(updated, this.elapsed());
      return true;
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return false;
      throw e;
    }
  }

  /** Gives the lease up if we still hold it (best effort). */
  private async release(): Promise<void> {
    const cur = this.observed;
    if (!cur || cur.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    const next: Lease = structuredClone(cur);
    next.spec = { ...(cur.spec ?? {}), holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) };
    try {
      const updated = await this.client.update<Lease>(leasesResource, this.namespace, next);
      this.observe(updated, this.elapsed());
    } catch (e) {
      this.o.onError?.(new Error(`failed to release lease ${this.namespace}/${this.name}: ${errorMessage(e)}`));
    }
  }

  /**
   * Time for durations (lease expiry, renew deadlines): the clock's monotonic reading, so a
   * step of the wall clock (NTP) neither expires a lease early nor stretches a deadline; the
   * times written into the Lease stay wall-clock times.
   */
  private elapsed(): number {
    return this.clock.monotonic?.() ?? this.clock.now();
  }

  /** Records the Lease as read at `at` (an elapsed() reading). */
  private observe(l: Lease, now: number): void {
    const key = recordKey(l);
    this.observed = l;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedTime = now;
    }
    const holder = l.spec?.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) this.o.onNewLeader?.(holder);
    }
  }

  /** client-go's JitterUntil factor 1.2 for the candidate loop. */
  private jitter(ms: number): number {
    return ms + Math.random() * ms * 0.2;
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        this.clock.clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = this.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** A write refused because this process no longer holds the controllers' lease (see fencedClient). */
export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`${what} not sent: this controller manager no longer holds its lease (the new leader carries on)`);
    this.name = 'NotLeaderError';
  }
}

/**
 * The controllers' client of one term: reads and watches as `client`; every write asks
 * `holdsLease` first and, when it says no, fails with NotLeaderError without being sent.
 */
export function fencedClient(client: ApiClient, holdsLease: () => boolean): ApiClient {
  const fence = (what: string): void => {
    if (!holdsLease()) throw new NotLeaderError(what);
  };
  return {
    get: (r, ns, name) => client.get(r, ns, name),
    list: (r, o) => client.list(r, o),
    watch: (r, o, onEvent) => client.watch(r, o, onEvent),
    create: async (r, ns, obj, o) => {
      fence(`create of ${r.plural}`);
      return client.create(r, ns, obj, o);
    },
    update: async (r, ns, obj, o) => {
      fence(`update of ${r.plural}`);
      return client.update(r, ns, obj, o);
    },
    updateStatus: async (r, ns, obj, o) => {
      fence(`status update of ${r.plural}`);
      return client.updateStatus(r, ns, obj, o);
    },
    patch: (async (r: Parameters<ApiClient['patch']>[0], ns: string, name: string, type: Parameters<ApiClient['patch']>[3], patch: unknown, o?: Parameters<ApiClient['patch']>[5]) => {
      fence(`patch of ${r.plural}`);
      return client.patch(r, ns, name, type, patch, o as never);
    }) as ApiClient['patch'],
    delete: async (r, ns, name, o) => {
      fence(`delete of ${r.plural}`);
      return client.delete(r, ns, name, o);
    },
  };
}
