// Results and errors every backend builds the same way, so their wording and shape cannot drift.

import { StorageError, type KeyValue, type ListResult } from '../interface.js';

/** A list page of `items` out of `total` matching keys; `more`/`remaining` set only when keys are left. */
export function listPage(items: KeyValue[], total: number, revision: number): ListResult {
  const remaining = total - items.length;
  return remaining > 0 ? { items, revision, more: true, remaining } : { items, revision, more: false };
}

/** CAS failure: `cur` (copied, so the caller may keep its own object) is the key's state now. */
export function conflictError(key: string, expected: number, cur: KeyValue): StorageError {
  return new StorageError('Conflict', `modRevision of ${key} is ${cur.modRevision}, expected ${expected}`, key, { ...cur });
}

/** Every operation on a closed store, and every watch open when it closed, fails with this. */
export function closedError(): StorageError {
  return new StorageError('Unavailable', 'store is closed');
}
