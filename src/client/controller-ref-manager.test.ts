import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../api/types.js';
import { newClientControllerRefManager } from './controller-ref-manager.js';
import { daemonSetsResource, podsResource } from './resources.js';
import { FakeApiClient } from './testing/fake-client.js';

const selector = { matches: (l: Record<string, string>) => l['app'] === 'x' };

describe('ControllerRefManager', () => {
  it('adopts matching orphans with an ownerReferences-only patch and releases non-matching owned pods', async () => {
    const c = new FakeApiClient();
    const ds = await c.create<KubeObject>(daemonSetsResource, 'default', { metadata: { name: 'ds' }, spec: {} });
    const mk = (name: string, labels: Record<string, string>, owned: boolean): Promise<Pod> =>
      c.create<Pod>(podsResource, 'default', {
        metadata: {
          name,
          labels,
          annotations: { keep: 'me' },
          ...(owned ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: ds.metadata.uid!, controller: true }] } : {}),
        },
        spec: { containers: [] },
      });
    const pods = [await mk('orphan', { app: 'x' }, false), await mk('owned', { app: 'x' }, true), await mk('stale', { app: 'y' }, true), await mk('other', { app: 'y' }, false)];
    const before = c.objectsOf<Pod>(podsResource).find((p) => p.metadata.name === 'orphan')!;
    const cm = newClientControllerRefManager(c, podsResource, daemonSetsResource, ds, selector);
    const claimed = await cm.claim(pods);
    expect(claimed.map((p) => p.metadata.name)).toEqual(['orphan', 'owned']);
    const after = c.objectsOf<Pod>(podsResource);
    const orphan = after.find((p) => p.metadata.name === 'orphan')!;
    expect(orphan.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const { ownerReferences: _a, resourceVersion: _b, ...restAfter } = orphan.metadata;
    const { ownerReferences: _c, resourceVersion: _d, ...restBefore } = before.metadata;
    expect(restAfter).toEqual(restBefore);
    expect(orphan.spec).toEqual(before.spec);
    expect(after.find((p) => p.metadata.name === 'stale')!.metadata.ownerReferences).toEqual([]);
    expect(c.actions.filter((a) => a.verb === 'get')).toHaveLength(1);
  });
  it('refuses adoption when the owner is being deleted (live GET)', async () => {
    const c = new FakeApiClient();
    const ds = await c.create<KubeObject>(daemonSetsResource, 'default', { metadata: { name: 'ds' }, spec: {} });
    await c.patch(daemonSetsResource, 'default', 'ds', 'merge', { metadata: { deletionTimestamp: '2024-01-01T00:00:00Z' } });
    const p = await c.create<Pod>(podsResource, 'default', { metadata: { name: 'o', labels: { app: 'x' } }, spec: { containers: [] } });
    const cm = newClientControllerRefManager(c, podsResource, daemonSetsResource, ds, selector);
    await expect(cm.claim([p])).rejects.toThrow(/has just been deleted/);
    expect(c.actions.filter((a) => a.verb === 'patch' && a.resource === 'pods')).toHaveLength(0);
  });
});
