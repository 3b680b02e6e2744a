// The agent's event recorder against the fake client with a manual clock: references,
// deduplication into counts, aggregation, the spam filter, the bounded queue, and failures that
// never reach the caller.

import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import type { Event, NodeStatus, Pod } from '../api/types.js';
import { eventsResource } from '../client/index.js';
import { FakeApiClient } from '../client/testing/index.js';
import { FakeClock } from '../util/index.js';
import { containerReference, KubeletEventRecorder, nodeConditionEventReasons, nodeReference, podReference } from './events.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'ds-x', namespace: 'team', uid: 'uid-1', resourceVersion: '42' },
  spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'main' }] },
};

function setup(opts: Partial<ConstructorParameters<typeof KubeletEventRecorder>[0]> = {}) {
  const clock = new FakeClock();
  const client = new FakeApiClient(clock);
  const errors: unknown[] = [];
  const rec = new KubeletEventRecorder({ client, host: 'node-1', clock, onError: (e) => errors.push(e), ...opts });
  const events = async (ns = 'team') => (await client.list<Event>(eventsResource, { namespace: ns })).items;
  return { clock, client, rec, errors, events };
}

describe('event references', () => {
  it('pod, container (init or not) and node references as the kubelet makes them', () => {
    expect(podReference(pod)).toEqual({ kind: 'Pod', apiVersion: 'v1', namespace: 'team', name: 'ds-x', uid: 'uid-1', resourceVersion: '42' });
    expect(containerReference(pod, 'main').fieldPath).toBe('spec.containers{main}');
    expect(containerReference(pod, 'init').fieldPath).toBe('spec.initContainers{init}');
    const debugged = { ...pod, spec: { ...pod.spec, ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] } };
    expect(containerReference(debugged, 'dbg').fieldPath).toBe('spec.ephemeralContainers{dbg}');
    expect(nodeReference('node-1')).toEqual({ kind: 'Node', name: 'node-1', uid: 'node-1' });
  });
});

describe('KubeletEventRecorder', () => {
  it('writes an Event with the kubelet as source, and a repeat as a count patch of it', async () => {
    const t = setup();
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
    await t.rec.flush();
    const [first] = await t.events();
    expect(first).toMatchObject({
      metadata: { namespace: 'team' },
      involvedObject: { kind: 'Pod', name: 'ds-x', namespace: 'team', uid: 'uid-1', fieldPath: 'spec.containers{main}' },
      reason: 'BackOff',
      type: 'Warning',
      count: 1,
      source: { component: 'kubelet', host: 'node-1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
      firstTimestamp: '2024-01-01T00:00:00Z',
      lastTimestamp: '2024-01-01T00:00:00Z',
    });
    expect(first!.metadata.name).toMatch(/^ds-x\.[0-9a-f]+$/);

    t.clock.advance(10_000);
    t.client.clearActions();
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
    await t.rec.flush();
    expect(t.client.actions.map((a) => `${a.verb} ${a.patchType ?? ''}`)).toEqual(['patch strategic', 'patch strategic']);
    const list = await t.events();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ count: 3, firstTimestamp: '2024-01-01T00:00:00Z', lastTimestamp: '2024-01-01T00:00:10Z' });
    // Another container of the pod, or another message, is another Event.
    t.rec.record(containerReference(pod, 'init'), 'Warning', 'BackOff', 'Back-off restarting failed container init in pod ds-x_team(uid-1)');
    await t.rec.flush();
    expect(await t.events()).toHaveLength(2);
    expect(t.errors).toEqual([]);
  });

  it('node events go to the default namespace with the node name as uid', async () => {
    const t = setup();
    t.rec.record(nodeReference('node-1'), 'Normal', 'Starting', 'Starting kubelet.');
    await t.rec.flush();
    const [ev] = await t.events('default');
    expect(ev).toMatchObject({ involvedObject: { kind: 'Node', name: 'node-1', uid: 'node-1' }, reason: 'Starting', message: 'Starting kubelet.' });
    expect(ev!.involvedObject.namespace).toBeUndefined();
  });

  it('aggregates events alike but for their message once 10 distinct ones were seen in 10 minutes', async () => {
    const t = setup();
    for (let i = 0; i < 12; i++) t.rec.record(containerReference(pod, 'main'), 'Warning', 'Unhealthy', `Readiness probe failed: attempt ${i}`);
    await t.rec.flush();
    const list = await t.events();
    expect(list).toHaveLength(10);
    const combined = list.filter((e) => e.message?.startsWith('(combined from similar events): '));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 3, message: '(combined from similar events): Readiness probe failed: attempt 11' });
    // Ten minutes later the count of distinct messages starts again.
    t.clock.advance(601_000);
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'Unhealthy', 'Readiness probe failed: later');
    await t.rec.flush();
    expect((await t.events()).filter((e) => e.message === 'Readiness probe failed: later')).toHaveLength(1);
  });

  it('spam filter: 25 writes per object, then one per 5 minutes; the count still covers every occurrence', async () => {
    const t = setup();
    // Each occurrence's write is sent before the next (a repeat of a waiting write rides along
    // with it instead; src/client/event-recorder.test.ts).
    for (let i = 0; i < 100; i++) {
      t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
      await t.rec.flush();
    }
    const writes = () => t.client.actions.filter((a) => a.verb === 'create' || a.verb === 'patch').length;
    expect(writes()).toBe(25);
    expect(t.rec.dropped).toBe(75);
    expect((await t.events())[0]!.count).toBe(25);
    t.clock.advance(300_000);
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
    await t.rec.flush();
    t.rec.record(containerReference(pod, 'main'), 'Warning', 'BackOff', 'Back-off restarting failed container main in pod ds-x_team(uid-1)');
    await t.rec.flush();
    expect(writes()).toBe(26);
    expect((await t.events())[0]!.count).toBe(101);
  });

  it('drops events beyond the queue bound instead of holding the caller', async () => {
    const t = setup({ maxQueued: 5, spamFilter: false });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.client.prependReactor(() => gate);
    // Eight writes are in flight (taken off the queue), five wait, the rest are dropped.
    for (let i = 0; i < 20; i++) t.rec.record(podReference({ ...pod, metadata: { ...pod.metadata, name: `p${i}` } }), 'Normal', 'Started', 'x');
    expect(t.rec.dropped).toBe(7);
    release();
    await t.rec.flush();
    expect(await t.events()).toHaveLength(13);
  });

  it('sends up to maxInFlight writes at once, in order, and never two of one Event at once', async () => {
    const t = setup({ maxInFlight: 2, spamFilter: false });
    const gates: Array<() => void> = [];
    const out = new Set<string>();
    let most = 0;
    let overlap = false;
    const sent: string[] = [];
    t.client.prependReactor(async (a) => {
      if (a.verb !== 'create' && a.verb !== 'patch') return;
      const who = a.verb === 'create' ? (a.object as Event).involvedObject.name! : a.name!.split('.')[0]!;
      sent.push(`${a.verb} ${who}`);
      if (out.has(who)) overlap = true;
      out.add(who);
      most = Math.max(most, out.size);
      await new Promise<void>((r) => gates.push(r));
      out.delete(who);
    });
    const ref = (name: string) => podReference({ ...pod, metadata: { ...pod.metadata, name } });
    const tick = () => new Promise((r) => setImmediate(r));
    for (const n of ['a', 'b', 'c']) t.rec.record(ref(n), 'Normal', 'Started', 'x');
    // A repeat of a's event while its create is out: a patch queued behind it.
    t.rec.record(ref('a'), 'Normal', 'Started', 'x');
    await tick();
    expect(sent).toEqual(['create a', 'create b']);
    // a's create ends: c is next in line; a's patch follows once a slot is free.
    gates.shift()!();
    await tick();
    expect(sent).toEqual(['create a', 'create b', 'create c']);
    for (let i = 0; i < 20 && (gates.length > 0 || sent.length < 4); i++) {
      gates.shift()?.();
      await tick();
    }
    await t.rec.flush();
    expect(sent).toEqual(['create a', 'create b', 'create c', 'patch a']);
    expect(most).toBe(2);
    expect(overlap).toBe(false);
    expect((await t.events()).find((e) => e.involvedObject.name === 'a')?.count).toBe(2);
  });

  it('a failed write is reported and dropped; a patch of an Event the server lacks becomes a create', async () => {
    const t = setup();
    let fail = true;
    t.client.prependReactor((a) => {
      if (fail && a.verb === 'create') throw new ApiError(500, 'InternalError', 'boom');
    });
    t.rec.record(podReference(pod), 'Normal', 'Killing', 'Stopping container main');
    await t.rec.flush();
    expect(t.errors).toHaveLength(1);
    expect(await t.events()).toHaveLength(0);
    fail = false;
    t.rec.record(podReference(pod), 'Normal', 'Killing', 'Stopping container main');
    await t.rec.flush();
    expect(t.client.actions.filter((a) => a.verb !== 'list').map((a) => a.verb)).toEqual(['create', 'patch', 'create']);
    expect((await t.events())[0]).toMatchObject({ count: 2, message: 'Stopping container main' });
  });
});

describe('nodeConditionEventReasons', () => {
  const cond = (type: string, status: 'True' | 'False' | 'Unknown') => ({ type, status });
  const healthy: NodeStatus = { conditions: [cond('MemoryPressure', 'False'), cond('DiskPressure', 'False'), cond('PIDPressure', 'False'), cond('Ready', 'True')] };
  it('at registration every condition is new; afterwards only changed ones count', () => {
    expect(nodeConditionEventReasons(undefined, healthy)).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']);
    expect(nodeConditionEventReasons(healthy, healthy)).toEqual([]);
    // Back after the node lifecycle controller marked everything Unknown.
    const lost: NodeStatus = { conditions: healthy.conditions!.map((c) => ({ ...c, status: 'Unknown' as const })) };
    expect(nodeConditionEventReasons(lost, healthy)).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']);
    expect(nodeConditionEventReasons(healthy, { conditions: [cond('Ready', 'False')] })).toEqual(['NodeNotReady']);
  });
});
