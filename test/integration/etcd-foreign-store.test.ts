// A server pointed at an etcd prefix where a Kubernetes API server keeps its objects refuses to
// start, naming a key it found and what to do, and writes nothing there; the same etcd under a
// prefix of its own serves. Real etcd; skipped where the `etcd` binary is missing.

import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { Cleanup, etcdAvailable, sharedTestEtcd, startTestServer } from '../helpers/index.js';

describe.skipIf(!etcdAvailable())('an etcd that holds a Kubernetes cluster', () => {
  it('is refused under the Kubernetes keys, before anything is written, and served under a prefix of its own', async () => {
    const cleanup = new Cleanup();
    try {
      const etcd = await sharedTestEtcd(cleanup);
      const client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
      cleanup.defer(() => client.close(), 'etcd client');
      const prefix = `/k8s-${randomBytes(4).toString('hex')}`;
      // What kube-apiserver writes: protobuf values behind the k8s magic, at group-less paths.
      await client.put(`${prefix}/registry/namespaces/default`).value(Buffer.from('k8s\u0000\n\u000f\n\u0002v1\u0012\tNamespace'));
      await client.put(`${prefix}/registry/apiextensions.k8s.io/customresourcedefinitions/foos.example.com`).value('{"kind":"CustomResourceDefinition"}');
      const before = Object.keys(await client.getAll().prefix(prefix).strings()).sort();

      await expect(startTestServer(cleanup, { storeUrl: `etcd://${etcd.endpoint}?prefix=${prefix}` })).rejects.toThrow(
        `the store etcd://${etcd.endpoint}?prefix=${prefix} holds a Kubernetes API server's objects (/registry/namespaces/default; everynode keeps its own under /registry/core/): give everynode a prefix of its own, e.g. \`--store etcd://HOST:PORT?prefix=/everynode\``,
      );
      expect(Object.keys(await client.getAll().prefix(prefix).strings()).sort()).toEqual(before);

      const ts = await startTestServer(cleanup, { storeUrl: `etcd://${etcd.endpoint}?prefix=${prefix}/everynode` });
      expect(ts.server.url).toMatch(/^https:/);
    } finally {
      await cleanup.run();
    }
  }, 60_000);
});
