// Which store format a store holds, so a build never serves a store that a newer build has
// changed in ways it does not know (a downgrade).
//
// Contract:
// - The store key STORE_FORMAT_KEY holds `{"format": N}`. Stores written before the key
//   existed count as format 1.
// - At start a server refuses a store whose format is above STORE_FORMAT (naming both and what
//   to do) before it writes anything, and raises a lower or missing one to STORE_FORMAT once its
//   data dir is known to be the cluster's (compare-and-swap; a server that loses the race reads
//   again).
// - STORE_FORMAT goes up when a build stores something an older build would misread or lose
//   (a change of meaning, not a new field older builds ignore). Format 2: tokens' tombstones and
//   their sharing, service account tokens bound to Secrets and Nodes, canonical stored times.
//   Builds before the key cannot refuse; from format 2 on, every build does.

import { casWrite, type Store } from '../storage/index.js';

export const STORE_FORMAT_KEY = '/everynode/store-format';
export const STORE_FORMAT = 2;

function formatOf(value: string | undefined): number {
  if (value === undefined) return 1;
  try {
    const f = (JSON.parse(value) as { format?: unknown }).format;
    return typeof f === 'number' && Number.isInteger(f) && f >= 1 ? f : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Refuses a store of a newer format; raises an older one to this build's (unless `raise` is false). */
export async function checkStoreFormat(store: Store, o: { ours?: number; raise?: boolean } = {}): Promise<void> {
  const ours = o.ours ?? STORE_FORMAT;
  await casWrite(store, STORE_FORMAT_KEY, (kv) => {
    const theirs = formatOf(kv?.value);
    if (theirs > ours) {
      const what = Number.isFinite(theirs) ? `format ${theirs}` : `an unreadable format (${STORE_FORMAT_KEY}: ${JSON.stringify(kv?.value)})`;
      throw new Error(
        `the store was written by a newer everynode (store ${what}; this build knows format ${ours} and older): start the newer build again, ` +
          'or restore a backup made before the upgrade (`everynode restore`); an older build would misread or lose what the newer one stored',
      );
    }
    return theirs === ours || o.raise === false ? undefined : JSON.stringify({ format: ours });
  });
}

/**
 * Where a Kubernetes API server keeps its objects in etcd that everynode's layout never uses
 * (everynode's core objects are under /registry/core/; Kubernetes' namespaces, pods and nodes
 * are at these keys without a group).
 */
const KUBERNETES_ONLY_PREFIXES = ['/registry/namespaces/', '/registry/pods/', '/registry/minions/'];

/**
 * Refuses a shared store (etcd) whose keys, under the prefix everynode was given, hold a
 * Kubernetes API server's objects: both would read and write the same /registry keys (CRDs and
 * custom resources have the same paths) and each would misread the other's. Nothing is
 * written before. A store everynode alone has written has none of these keys.
 */
export async function refuseKubernetesStore(store: Store, storeUrl: string): Promise<void> {
  for (const prefix of KUBERNETES_ONLY_PREFIXES) {
    const found = (await store.list(prefix, { limit: 1 })).items[0];
    if (!found) continue;
    throw new Error(
      `the store ${storeUrl} holds a Kubernetes API server's objects (${found.key}; everynode keeps its own under /registry/core/): ` +
        'give everynode a prefix of its own, e.g. `--store etcd://HOST:PORT?prefix=/everynode`; sharing the keys would mix the two clusters\' objects',
    );
  }
}
