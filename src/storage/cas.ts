// A read-modify-write of one key with compare-and-swap, for the small records servers sharing a
// store keep beside the objects (the store format, check values).

import { StorageError, type KeyValue, type Store } from './interface.js';

/**
 * Reads `key`, asks `next` for the value to write given what is there (undefined: nothing to
 * write; `next` may throw to refuse), and writes it only if nobody wrote the key in between,
 * trying again from the read when somebody did, at most `attempts` times. Resolves to the
 * revision written, or undefined when nothing was written.
 */
export async function casWrite(store: Store, key: string, next: (current: KeyValue | undefined) => string | undefined, attempts = 5): Promise<number | undefined> {
  for (let i = 0; i < attempts; i++) {
    const kv = await store.get(key);
    const value = next(kv);
    if (value === undefined) return undefined;
    try {
      return kv ? await store.update(key, value, kv.modRevision) : await store.create(key, value);
    } catch (err) {
      if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'AlreadyExists' || err.code === 'NotFound'))) throw err;
    }
  }
  throw new Error(`${key}: too many concurrent writers`);
}
