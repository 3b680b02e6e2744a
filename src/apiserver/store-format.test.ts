import { describe, expect, it } from 'vitest';
import { openStore } from '../storage/index.js';
import { checkStoreFormat, STORE_FORMAT, STORE_FORMAT_KEY } from './store-format.js';

describe('store format', () => {
  it('raises a store without the key (format 1) to this build’s, and refuses one of a newer build', async () => {
    const store = await openStore('memory://');
    try {
      await checkStoreFormat(store);
      expect(JSON.parse((await store.get(STORE_FORMAT_KEY))!.value)).toEqual({ format: STORE_FORMAT });
      await checkStoreFormat(store); // same format: nothing to do
      const kv = (await store.get(STORE_FORMAT_KEY))!;
      await store.update(STORE_FORMAT_KEY, JSON.stringify({ format: STORE_FORMAT + 1 }), kv.modRevision);
      await expect(checkStoreFormat(store)).rejects.toThrow(`the store was written by a newer everynode (store format ${STORE_FORMAT + 1}; this build knows format ${STORE_FORMAT} and older)`);
      const kv2 = (await store.get(STORE_FORMAT_KEY))!;
      await store.update(STORE_FORMAT_KEY, 'garbage', kv2.modRevision);
      await expect(checkStoreFormat(store)).rejects.toThrow(/an unreadable format/);
      // A build that knows more raises it.
      const kv3 = (await store.get(STORE_FORMAT_KEY))!;
      await store.update(STORE_FORMAT_KEY, JSON.stringify({ format: 1 }), kv3.modRevision);
      await checkStoreFormat(store, { ours: STORE_FORMAT + 1, raise: false });
      expect(JSON.parse((await store.get(STORE_FORMAT_KEY))!.value)).toEqual({ format: 1 });
      await checkStoreFormat(store, { ours: STORE_FORMAT + 1 });
      expect(JSON.parse((await store.get(STORE_FORMAT_KEY))!.value)).toEqual({ format: STORE_FORMAT + 1 });
    } finally {
      await store.close();
    }
  });
});
