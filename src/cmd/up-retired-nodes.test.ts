import { describe, expect, it } from 'vitest';
import type { Lease, Node } from '../api/types.js';
import { leasesResource, nodesResource } from '../client/index.js';
import { FakeApiClient } from '../client/testing/index.js';
import { nodeRunByAnotherAgent } from './up-retired-nodes.js';

const now = Date.UTC(2026, 11, 5, 8, 0, 0);
const node = (name: string, ip: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: ip }] } }) as Node;
const lease = (name: string, renewedAgoMs: number): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'kube-node-lease' },
  spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(now - renewedAgoMs).toISOString() },
});

describe('up: a local node another agent runs', () => {
  it('is refused while that agent renews its lease; up\'s own node from before, a stale lease or no Node are not', async () => {
    const client = new FakeApiClient();
    expect(await nodeRunByAnotherAgent(client, 'node-3', '127.0.1.3', now)).toBeUndefined();
    await client.create(nodesResource, '', node('node-3', '127.0.0.1'));
    await client.create(leasesResource, 'kube-node-lease', lease('node-3', 5_000));
    expect(await nodeRunByAnotherAgent(client, 'node-3', '127.0.1.3', now)).toBe(
      'node node-3 is run by another agent (InternalIP 127.0.0.1, its lease renewed 5s ago): up would run its daemons a second time. Stop that agent (its name is free 40s after its last renewal), or start up with fewer --nodes',
    );
    // Renewed over 40 s ago: that agent is gone.
    expect(await nodeRunByAnotherAgent(client, 'node-3', '127.0.1.3', now + 60_000)).toBeUndefined();
    // up's own node (its address), restarted at once: its lease is fresh, and it is up's.
    await client.create(nodesResource, '', node('node-1', '127.0.1.1'));
    await client.create(leasesResource, 'kube-node-lease', lease('node-1', 1_000));
    expect(await nodeRunByAnotherAgent(client, 'node-1', '127.0.1.1', now)).toBeUndefined();
  });
});
