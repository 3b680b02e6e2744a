// Times stored by older builds as clients sent them, rewritten once in the form this server
// stores them.
//
// Builds before canonical metav1.Time/MicroTime decoding stored a client's values as sent: a
// MicroTime with three fractional digits (what a JavaScript `Date` gives) breaks every Go reader
// (`kubectl events` for the whole namespace, client-go leader election on a Lease), and the value
// stayed so until something rewrote the object.
//
// Contract:
// - At start, in the background, every Event and Lease whose stored JSON holds a timestamp with
//   a fraction of other than six digits is decoded as a request body is (canonical times) and,
//   when that changes it, written back with a compare-and-swap on the revision read (a write in
//   between wins; the object was then written by this build and is canonical already).
// - Only values the decoder accepts are rewritten; anything else is left as it is. Nothing but
//   the times' text changes, so watchers see a MODIFIED event with the same content.
// - A failure is logged and the pass ends; the next start tries again.

import { decodeObject } from '../api/schema/index.js';
import type { KindRegistry } from '../api/kinds.js';
import { StorageError, type Store } from '../storage/index.js';
import type { Logger } from '../util/logger.js';
import { decodeStored, encodeForStore, jsonEqual } from './object-codec.js';
import { keyPrefix } from './registry.js';

/** A timestamp whose fraction has 1–5 or 7+ digits: not canonical for a MicroTime. */
const oddFraction = /T\d\d:\d\d:\d\d\.(\d{1,5}|\d{7,})(Z|[+-]\d\d:\d\d)"/;

const kindsWithClientTimes = [
  { group: '', version: 'v1', plural: 'events' },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
];

/**
 * Rewrites the stored Events and Leases that need it; resolves to how many were rewritten. Pages
 * are read at the current revision each (a long pass is not ended by compaction); `stopped()`
 * is asked before each page and each write, so a server's shutdown does not wait for the pass.
 */
export async function canonicalizeStoredTimes(store: Store, kinds: KindRegistry, logger: Logger, stopped: () => boolean = () => false): Promise<number> {
  let rewritten = 0;
  for (const r of kindsWithClientTimes) {
    const k = kinds.byResource(r.group, r.version, r.plural);
    if (!k) continue;
    const gvk = { group: k.group, version: k.version, kind: k.kind };
    let startAfter: string | undefined;
    for (;;) {
      if (stopped()) return rewritten;
      const page = await store.list(keyPrefix(k), { limit: 500, ...(startAfter !== undefined ? { startAfter } : {}) });
      for (const kv of page.items) {
        if (stopped()) return rewritten;
        if (!oddFraction.test(kv.value)) continue;
        let stored: ReturnType<typeof decodeStored>;
        let canonical: ReturnType<typeof decodeStored>;
        try {
          stored = decodeStored(kv.value, kv.modRevision);
          canonical = decodeObject(gvk, structuredClone(stored), 'Ignore').object;
          canonical.apiVersion = stored.apiVersion;
          canonical.kind = stored.kind;
        } catch {
          continue;
        }
        if (jsonEqual(canonical, stored)) continue;
        try {
          await store.update(kv.key, encodeForStore(canonical), kv.modRevision);
          rewritten++;
        } catch (err) {
          if (!(err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
        }
      }
      if (!page.more || page.items.length === 0) break;
      startAfter = page.items[page.items.length - 1]!.key;
    }
  }
  if (rewritten > 0) logger.info(`rewrote the times of ${rewritten} Events and Leases stored by an older build in canonical form`);
  return rewritten;
}
