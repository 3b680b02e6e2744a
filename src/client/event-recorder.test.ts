import { describe, expect, it } from 'vitest';
import type { Event, KubeObject } from '../api/types.js';
import { FakeClock } from '../util/index.js';
import { ApiEventRecorder } from './event-recorder.js';
import { ApiError } from './errors.js';
import { eventsResource } from './resources.js';
import { FakeApiClient } from './testing/index.js';

const ds = (name: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default', uid: `uid-${name}` } });

describe('ApiEventRecorder correlation and spam filter', () => {
  const list = async (client: FakeApiClient, name: string) => (await client.list<Event>(eventsResource, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
  const combined = (events: Event[]) => events.find((e) => e.message?.startsWith('(combined from similar events): '));

  it('aggregates similar events after 10 messages, and writes 25 times per source+object, then once per 300 s; other objects have their own bucket', async () => {
    const clock = new FakeClock();
    const client = new FakeApiClient(clock);
    const rec = new ApiEventRecorder(client, { component: 'daemonset-controller', clock });
    // Each occurrence's write is sent before the next one (a repeat of a write still waiting
    // would update it instead: see the next test).
    for (let i = 0; i < 100; i++) {
      rec.event(ds('a'), 'Normal', 'SuccessfulCreate', `Created pod: a-${i}`);
      await rec.flush();
    }
    rec.event(ds('b'), 'Normal', 'SuccessfulCreate', 'Created pod: b-0');
    await rec.flush();
    // 9 distinct events, then one combined event whose count grows: 25 writes in all.
    const a = await list(client, 'a');
    expect(a).toHaveLength(10);
    expect(combined(a)).toMatchObject({ message: '(combined from similar events): Created pod: a-24', count: 16 });
    expect(await list(client, 'b')).toHaveLength(1);
    expect(rec.dropped).toBe(75);
    clock.advance(300_000);
    rec.event(ds('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-100');
    await rec.flush();
    rec.event(ds('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-101');
    await rec.flush();
    // One token back: the next write carries the count of every occurrence since.
    expect(combined(await list(client, 'a'))).toMatchObject({ message: '(combined from similar events): Created pod: a-100', count: 92 });
  });

  it('a repeat of an Event whose write still waits updates that write: one write carries the burst, nothing is dropped', async () => {
    const clock = new FakeClock();
    const client = new FakeApiClient(clock);
    let writes = 0;
    const counting = {
      ...client,
      list: client.list.bind(client),
      create: (...a: Parameters<FakeApiClient['create']>) => (writes++, client.create(...a)),
      patch: (...a: Parameters<FakeApiClient['patch']>) => (writes++, client.patch(...a)),
    } as unknown as FakeApiClient;
    const rec = new ApiEventRecorder(counting, { component: 'kubelet', clock });
    // The first occurrence goes out at once; the next 199 find a write of the same Event
    // waiting behind it and ride along with it; 'b' keeps its own write.
    for (let i = 0; i < 200; i++) {
      rec.event(ds('a'), 'Warning', 'Unhealthy', 'Liveness probe failed');
      if (i === 100) rec.event(ds('b'), 'Normal', 'Started', 'Started container c');
    }
    await rec.flush();
    expect(writes).toBe(3);
    expect(rec.dropped).toBe(0);
    expect(await list(client, 'a')).toMatchObject([{ reason: 'Unhealthy', count: 200 }]);
    expect(await list(client, 'b')).toMatchObject([{ reason: 'Started', count: 1 }]);
    // Once sent, a repeat is a write of its own again.
    rec.event(ds('a'), 'Warning', 'Unhealthy', 'Liveness probe failed');
    await rec.flush();
    expect(writes).toBe(4);
    expect(await list(client, 'a')).toMatchObject([{ count: 201 }]);
  });

  it('a repeated event is one Event whose count grows', async () => {
    const client = new FakeApiClient();
    const rec = new ApiEventRecorder(client, { component: 'x', defaultKind: { kind: 'DaemonSet', apiVersion: 'apps/v1' } });
    for (let i = 0; i < 3; i++) rec.event({ metadata: { name: 'a', namespace: 'default', uid: 'u' } } as KubeObject, 'Warning', 'FailedDaemonPod', 'Found failed daemon pod default/p on node n, will try to kill it');
    await rec.flush();
    const a = await list(client, 'a');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ count: 3, involvedObject: { kind: 'DaemonSet', apiVersion: 'apps/v1', name: 'a' }, source: { component: 'x' } });
  });

  it('spamFilter: false writes every occurrence', async () => {
    const client = new FakeApiClient();
    const rec = new ApiEventRecorder(client, { component: 'x', spamFilter: false });
    for (let i = 0; i < 40; i++) rec.event(ds('a'), 'Normal', 'R', `m${i}`);
    await rec.flush();
    const a = await list(client, 'a');
    expect(a).toHaveLength(10);
    expect(combined(a)?.count).toBe(31);
  });
});

describe('ApiEventRecorder write retries', () => {
  /** A client whose first `failures` creates cannot reach the server. */
  function flaky(clock: FakeClock, failures: number, error: () => unknown) {
    const inner = new FakeApiClient(clock);
    let left = failures;
    const client = {
      ...inner,
      create: (r: never, ns: string, obj: never) => {
        if (left-- > 0) return Promise.reject(error());
        return inner.create(r, ns, obj);
      },
      patch: inner.patch.bind(inner),
    } as unknown as FakeApiClient;
    return { inner, client };
  }
  const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('tries a write that could not reach the server again 10 s later, and writes it once the server is back', async () => {
    const clock = new FakeClock();
    const { inner, client } = flaky(clock, 2, unreachable);
    const errors: unknown[] = [];
    const rec = new ApiEventRecorder(client, { component: 'x', clock, onError: (e) => errors.push(e) });
    rec.event(ds('a'), 'Normal', 'R', 'm');
    for (let i = 0; i < 2; i++) {
      await tick();
      clock.advance(10_000);
    }
    await rec.flush();
    expect((await inner.list<Event>(eventsResource, { namespace: 'default' })).items).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('drops a write the server refused, and stop() ends the retries', async () => {
    const clock = new FakeClock();
    const refused = flaky(clock, 1, () => new ApiError(422, 'Invalid', 'bad event'));
    const errors: unknown[] = [];
    const rec = new ApiEventRecorder(refused.client, { component: 'x', clock, onError: (e) => errors.push(e) });
    rec.event(ds('a'), 'Normal', 'R', 'm');
    await rec.flush();
    expect(errors).toHaveLength(1);

    const down = flaky(clock, 100, unreachable);
    const rec2 = new ApiEventRecorder(down.client, { component: 'x', clock, onError: (e) => errors.push(e) });
    rec2.event(ds('b'), 'Normal', 'R', 'm');
    await tick();
    rec2.stop();
    await rec2.flush(); // returns without the clock moving: the pause was cut short
    expect(errors).toHaveLength(2);
  });
});
