// Controller expectations (upstream pkg/controller/controller_utils.go semantics).
//
// Before issuing creates/deletes for a controller key, record how many it expects to observe;
// the informer event handlers lower the counts as the cache observes them. While unsatisfied,
// a controller must not act again (it would double-create from a stale cache). Expectations
// older than the TTL (5 min) count as satisfied, so a lost event cannot wedge a controller.

import { type Clock, realClock } from '../util/index.js';

export const expectationsTimeoutMs = 5 * 60 * 1000;

export interface ControlleeExpectations {
  add: number;
  del: number;
  /** When the expectations were last set (clock ms). */
  timestamp: number;
}

export class ControllerExpectations {
  private readonly store = new Map<string, ControlleeExpectations>();

  constructor(protected readonly clock: Clock = realClock, private readonly ttlMs = expectationsTimeoutMs) {}

  getExpectations(key: string): ControlleeExpectations | undefined {
    return this.store.get(key);
  }

  deleteExpectations(key: string): void {
    this.store.delete(key);
  }

  /** True when nothing is recorded, all expected events were seen, or the record expired. */
  satisfiedExpectations(key: string): boolean {
    const e = this.store.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.timestamp > this.ttlMs;
  }

  /**
   * Milliseconds until the key's unsatisfied expectations expire (0 when already expired);
   * undefined when they are satisfied. A controller requeues the key after it, so a lost
   * event costs one TTL, not a wait for some unrelated event.
   */
  expiresInMs(key: string): number | undefined {
    if (this.satisfiedExpectations(key)) return undefined;
    const e = this.store.get(key)!;
    return Math.max(0, e.timestamp + this.ttlMs - this.clock.now());
  }

  setExpectations(key: string, add: number, del: number): void {
    this.store.set(key, { add, del, timestamp: this.clock.now() });
  }

  expectCreations(key: string, adds: number): void {
    this.setExpectations(key, adds, 0);
  }

  expectDeletions(key: string, dels: number): void {
    this.setExpectations(key, 0, dels);
  }

  lowerExpectations(key: string, add: number, del: number): void {
    const e = this.store.get(key);
    if (e) {
      e.add -= add;
      e.del -= del;
    }
  }

  raiseExpectations(key: string, add: number, del: number): void {
    const e = this.store.get(key);
    if (e) {
      e.add += add;
      e.del += del;
    }
  }

  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  deletionObserved(key: string): void {
    this.lowerExpectations(key, 0, 1);
  }
}

/**
 * Expectations that remember *which* objects (by key, e.g. `ns/name` or UID) are expected to
 * be deleted, so that a deletion observed twice (deletionTimestamp update, then the delete) or
 * a deletion of an object the controller did not delete lowers the count at most once.
 */
export class UIDTrackingControllerExpectations extends ControllerExpectations {
  private readonly uids = new Map<string, Set<string>>();

  getSet(controllerKey: string): Set<string> | undefined {
    return this.uids.get(controllerKey);
  }

  expectDeletionsOf(controllerKey: string, deletedKeys: string[]): void {
    this.uids.set(controllerKey, new Set(deletedKeys));
    this.expectDeletions(controllerKey, deletedKeys.length);
  }

  deletionObservedOf(controllerKey: string, deleteKey: string): void {
    const s = this.uids.get(controllerKey);
    if (s?.has(deleteKey)) {
      s.delete(deleteKey);
      this.deletionObserved(controllerKey);
    }
  }

  override deleteExpectations(key: string): void {
    this.uids.delete(key);
    super.deleteExpectations(key);
  }
}
