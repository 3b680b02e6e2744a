// Hollow nodes keep one write queue per kubelet loop (integration layer, real API server): a
// backlog of Lease renewals — here every renewal held open, as under a server too busy to
// answer them — must not hold back a pod's status write or a node's registration, as it
// cannot on real nodes whose loops are independent. With one queue for every write, or with
// loops that could borrow every shared slot, the pod below never becomes Ready (its write
// waits behind renewals that never finish).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { HttpTransport, leasesResource, loadKubeconfig, podsResource, RestClient, type ResourceDescriptor, type WriteOptions } from '../../src/client/index.js';
import { startHollowNodes, type HollowNodes } from '../../src/hollow/index.js';
import { Cleanup, startTestServer, waitFor } from '../helpers/index.js';

/** A RestClient whose Lease updates (renewals) wait until `release()`; every other call is plain. */
class HeldRenewals extends RestClient {
  held = 0;
  private readonly waiting: Array<() => void> = [];
  private released = false;

  override update<T extends KubeObject>(r: ResourceDescriptor, namespace: string, obj: T, o?: WriteOptions): Promise<T> {
    if (r !== leasesResource || this.released) return super.update(r, namespace, obj, o);
    this.held++;
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => super.update(r, namespace, obj, o));
  }

  release(): void {
    this.released = true;
    for (const w of this.waiting.splice(0)) w();
  }
}

const cleanup = new Cleanup();
let client: HeldRenewals;
let hollow: HollowNodes;

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath), maxSockets: 16 });
  cleanup.defer(() => transport.destroy(), 'transport');
  client = new HeldRenewals(transport.request);
  cleanup.defer(() => client.release(), 'held renewals');
  // concurrency 2: the loops share 6 writes in flight, each sure of 1. Renewals every 250 ms:
  // held renewals take every slot the other loops' shares leave (4: one per node), and the
  // next renewals wait behind them.
  hollow = await startHollowNodes({ client, count: 4, namePrefix: 'loops-', readyDelayMs: 10, leaseDurationSeconds: 1, concurrency: 2 });
  cleanup.defer(() => hollow.stop(), 'hollow nodes');
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

describe('hollow nodes: one write queue per loop', () => {
  it('a pod becomes Running and Ready and a new node registers while every Lease renewal is held', async () => {
    await waitFor(() => client.held >= 2, { timeoutMs: 10_000, message: 'renewals held' });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'held-renewals', namespace: 'default' },
      spec: { nodeName: 'loops-1', containers: [{ name: 'c', image: 'example.com/c:1' }] },
    };
    await client.create(podsResource, 'default', pod);
    const ready = await waitFor(
      async () => {
        const p = await client.get<Pod>(podsResource, 'default', 'held-renewals');
        return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : false;
      },
      { timeoutMs: 15_000, message: 'pod Ready with renewals held' },
    );
    expect(ready.status?.phase).toBe('Running');
    // Registration (its first Lease is a create) is not behind the renewals either.
    await expect(hollow.addNodes(1)).resolves.toEqual(['loops-4']);
    expect(hollow.stats().queued).toBeGreaterThan(0); // the renewals are still waiting
    client.release();
    await waitFor(() => hollow.stats().writes.leases > 5, { timeoutMs: 10_000, message: 'renewals after release' });
  }, 60_000);
});
