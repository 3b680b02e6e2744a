import { describe, expect, it } from 'vitest';
import type { Lease } from '../api/types.js';
import { leasesResource } from '../client/index.js';
import { FakeApiClient } from '../client/testing/index.js';
import { FakeClock } from '../util/clock.js';
import { LeaderElector } from './leader-election.js';

/** The Lease `lock`, held by candidate `a` for 15 s. */
async function heldByA(client: FakeApiClient): Promise<void> {
  await client.create<Lease>(leasesResource, 'kube-system', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'lock', namespace: 'kube-system' },
    spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 },
  });
}

describe('LeaderElector timing', () => {
  it('a standby times the holder\'s record from when its GET answered, not from when it was sent', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const client = new FakeApiClient(clock);
  await heldByA(client);
    let slow = true;
    client.prependReactor((act) => {
      // The first GET answers 6 s after it was sent (a busy store).
      if (act.verb === 'get' && slow) {
        slow = false;
        clock.advance(6_000);
      }
    });
    const b = new LeaderElector({ client, clock, identity: 'b', name: 'lock', onStartedLeading: async () => undefined });
    expect(await b.tryAcquireOrRenew()).toBe(false); // sent at 0, read at 6 s
    clock.advance(14_000); // 20 s after sending, 14 s after reading: the record is still valid
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(1_500); // 15.5 s after reading: expired
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('times the lease on the monotonic clock: a wall-clock step forward does not expire it', async () => {
    const fake = new FakeClock(Date.UTC(2024, 0, 1));
    let step = 0;
    // Wall time jumps (NTP); the monotonic reading does not.
    const clock = { now: () => fake.now() + step, monotonic: () => fake.now(), setTimeout: fake.setTimeout.bind(fake), clearTimeout: fake.clearTimeout.bind(fake) };
    const client = new FakeApiClient(fake);
  await heldByA(client);
    const b = new LeaderElector({ client, clock, identity: 'b', name: 'lock', onStartedLeading: async () => undefined });
    expect(await b.tryAcquireOrRenew()).toBe(false);
    fake.advance(5_000);
    step = 60_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // 5 s on the monotonic clock: still held
    fake.advance(10_500);
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });
});
