// The service accounts controller against a real server: every namespace gets a `default`
// ServiceAccount, one deleted comes back, and a namespace being deleted gets none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { isNotFound, namespacesResource, serviceAccountsResource } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/wait.js';
import { startCluster, type Cluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
let c: Cluster;

beforeAll(async () => {
  c = await startCluster(cleanup);
});
afterAll(() => cleanup.run());

const defaultAccount = (ns: string) =>
  c.client.get<KubeObject>(serviceAccountsResource, ns, 'default').then(
    (sa) => sa,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );

describe('ServiceAccountsController', () => {
  it('gives every namespace a default account, the built-in ones and new ones', async () => {
    for (const ns of ['default', 'kube-system']) await waitFor(() => defaultAccount(ns), { message: `the default account of ${ns}` });
    await c.client.create(namespacesResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-x' } });
    const sa = await waitFor(() => defaultAccount('team-x'), { message: 'the default account of team-x' });
    expect(sa.metadata.name).toBe('default');
  });

  it('recreates a deleted default account, with a new uid', async () => {
    const before = await waitFor(() => defaultAccount('default'), { message: 'the default account' });
    await c.client.delete(serviceAccountsResource, 'default', 'default');
    const after = await waitFor(async () => {
      const sa = await defaultAccount('default');
      return sa && sa.metadata.uid !== before.metadata.uid ? sa : undefined;
    }, { message: 'a new default account' });
    expect(after.metadata.name).toBe('default');
  });
});
