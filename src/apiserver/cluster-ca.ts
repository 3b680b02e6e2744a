// Which CA a shared store's cluster has: servers on one etcd must share the data dir's
// identity files (tls/, secrets-encryption.key, tokens.json), and a server started on it with
// a data dir of its own would otherwise silently be another cluster on the same objects (its
// own CA, admin token and Secrets key: the first server's clients get 401 there, agents cannot
// fail over to it, and Secrets do not decrypt).
//
// Contract:
// - The store key CLUSTER_CA_KEY holds `{"caSha256": "<hex>"}`, the SHA-256 of the CA
//   certificate (DER) of the first server that started on the store; it is never changed.
// - beforePki(): before the data dir's PKI is created, refuses a data dir without a CA when
//   the store already names one (a fresh data dir would mint a new CA), and one whose CA is
//   another (e.g. a data dir of another cluster).
// - afterPki(caPem): records the CA when the store names none (create; a server that lost the
//   race compares with the winner's), and refuses a CA that differs.
// - Only for stores servers share (etcd). A SQLite store lives in its data dir with the CA.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caHash } from '../auth/index.js';
import { StorageError, type Store } from '../storage/index.js';

export const CLUSTER_CA_KEY = '/everynode/cluster-ca';

/** The error of a data dir that is not the cluster's (what to copy into it). */
export function refusal(dataDir: string, why: string): Error {
  return new Error(
    `${why}: a server joining a cluster on a shared store needs the files of an existing server's data dir. ` +
      `Copy tls/, secrets-encryption.key, tokens.json and kubeconfig.yaml from one of its servers into ${dataDir} and start again ` +
      '(README, "Several servers on etcd")',
  );
}

function recorded(value: string): string | undefined {
  try {
    const v = (JSON.parse(value) as { caSha256?: unknown }).caSha256;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function clusterCaGuard(store: Store, dataDir: string): { beforePki(): Promise<void>; afterPki(caPem: string): Promise<void> } {
  const caFile = join(dataDir, 'tls', 'ca.crt');
  const compare = (want: string | undefined, caPem: string): void => {
    if (want === undefined) return;
    const have = caHash(caPem);
    if (have !== want) throw refusal(dataDir, `the store belongs to a cluster whose CA is sha256:${want.slice(0, 16)}…, not this data dir's (sha256:${have.slice(0, 16)}…)`);
  };
  return {
    async beforePki() {
      const kv = await store.get(CLUSTER_CA_KEY);
      if (!kv) return;
      if (!existsSync(caFile)) throw refusal(dataDir, `the store already holds a cluster, and ${dataDir} has no CA (tls/ca.crt)`);
      compare(recorded(kv.value), readFileSync(caFile, 'utf8'));
    },
    async afterPki(caPem) {
      const value = JSON.stringify({ caSha256: caHash(caPem) });
      try {
        await store.create(CLUSTER_CA_KEY, value);
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'AlreadyExists')) throw err;
        const kv = await store.get(CLUSTER_CA_KEY);
        if (kv) compare(recorded(kv.value), caPem);
      }
    },
  };
}
