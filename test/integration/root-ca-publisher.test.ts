// The root CA publisher against a real server: every namespace gets the ConfigMap
// `kube-root-ca.crt` holding the cluster CA (the server's own tls/ca.crt), a new namespace too;
// one edited is put back and one deleted comes back, as upstream's root-ca-cert-publisher does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { configMapsResource, isNotFound, namespacesResource } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/wait.js';
import { startCluster, type Cluster } from './daemonset-harness.js';

type ConfigMap = KubeObject & { data?: Record<string, string> };

const cleanup = new Cleanup();
let c: Cluster;
let ca = '';

beforeAll(async () => {
  c = await startCluster(cleanup);
  ca = readFileSync(join(c.dataDir, 'tls', 'ca.crt'), 'utf8');
});
afterAll(() => cleanup.run());

const rootCa = (ns: string) =>
  c.client.get<ConfigMap>(configMapsResource, ns, 'kube-root-ca.crt').then(
    (cm) => cm,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );

describe('root CA publisher', () => {
  it('publishes the cluster CA in every namespace, the built-in ones and new ones', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await waitFor(() => rootCa(ns), { message: `kube-root-ca.crt in ${ns}` });
      expect(cm.data).toEqual({ 'ca.crt': ca });
      expect(cm.metadata.annotations?.['kubernetes.io/description']).toMatch(/^Contains a CA bundle that can be used to verify the kube-apiserver/);
    }
    await c.client.create(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ca-team' } });
    expect((await waitFor(() => rootCa('ca-team'), { message: 'kube-root-ca.crt in ca-team' })).data).toEqual({ 'ca.crt': ca });
  });

  it('puts back an edited copy (keeping its own labels) and recreates a deleted one', async () => {
    const cm = await waitFor(() => rootCa('default'), { message: 'kube-root-ca.crt' });
    await c.client.update(configMapsResource, 'default', { ...cm, metadata: { ...cm.metadata, labels: { mine: 'yes' } }, data: { 'ca.crt': 'forged', extra: 'x' } } as ConfigMap);
    const restored = await waitFor(async () => {
      const now = await rootCa('default');
      return now?.data?.['ca.crt'] === ca ? now : undefined;
    }, { message: 'the CA put back' });
    expect(restored.data).toEqual({ 'ca.crt': ca });
    expect(restored.metadata.labels).toEqual({ mine: 'yes' });

    await c.client.delete(configMapsResource, 'default', 'kube-root-ca.crt');
    const again = await waitFor(async () => {
      const now = await rootCa('default');
      return now && now.metadata.uid !== cm.metadata.uid ? now : undefined;
    }, { message: 'a new kube-root-ca.crt' });
    expect(again.data).toEqual({ 'ca.crt': ca });
  });
});
