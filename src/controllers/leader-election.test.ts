import { describe, expect, it } from 'vitest';
import type { Lease } from '../api/types.js';
import { configMapsResource, leasesResource } from '../client/index.js';
import { FakeApiClient } from '../client/testing/index.js';
import { FakeClock } from '../util/clock.js';
import { fencedClient, LeaderElector, NotLeaderError } from './leader-election.js';

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

describe('fencing the leader\'s writes', () => {
  it('a leader whose last renewal is older than renewDeadline writes nothing, even before its leading timer fires (a paused process)', async () => {
    const fake = new FakeClock(Date.UTC(2024, 0, 1));
    let pausedFor = 0;
    // The pause moves both clocks at once; the timers (the leading deadline) have not run yet.
    const clock = { now: () => fake.now() + pausedFor, monotonic: () => fake.now() + pausedFor, setTimeout: fake.setTimeout.bind(fake), clearTimeout: fake.clearTimeout.bind(fake) };
    const client = new FakeApiClient(fake);
    const abort = new AbortController();
    const a = new LeaderElector({ client, clock, identity: 'a', name: 'lock', onStartedLeading: (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })) });
    const running = a.run(abort.signal);
    for (let i = 0; i < 100 && !a.isLeader(); i++) await new Promise((r) => setImmediate(r));
    expect(a.isLeader()).toBe(true);
    const fenced = fencedClient(client, () => a.holdsLease());
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'default' } };
    expect(a.holdsLease()).toBe(true);
    await fenced.create(configMapsResource, 'default', cm);
    pausedFor = 11_000; // past the 10 s renewDeadline
    expect(a.isLeader()).toBe(true); // the timer has not fired yet
    expect(a.holdsLease()).toBe(false);
    await expect(fenced.create(configMapsResource, 'default', { ...cm, metadata: { ...cm.metadata, name: 'c2' } })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.patch(configMapsResource, 'default', 'c1', 'merge', { data: { a: 'b' } })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.delete(configMapsResource, 'default', 'c1')).rejects.toBeInstanceOf(NotLeaderError);
    // Reads go on.
    expect((await fenced.get(configMapsResource, 'default', 'c1')).metadata.name).toBe('c1');
    expect((await client.list(configMapsResource, { namespace: 'default' })).items.map((o) => o.metadata.name)).toEqual(['c1']);
    abort.abort();
    fake.advance(20_000);
    await running;
  });
});
