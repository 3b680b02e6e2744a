import { describe, expect, it } from 'vitest';
import type { Event, KubeObject } from '../api/types.js';
import { FakeClock } from '../util/index.js';
import { ApiEventRecorder } from './event-recorder.js';
import { eventsResource } from './resources.js';
import { FakeApiClient } from './testing/index.js';

const ds = (name: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default', uid: `uid-${name}` } });

describe('ApiEventRecorder spam filter', () => {
  it('writes a burst of 25 events per source+object, then one per 300 s; other objects have their own bucket', async () => {
    const clock = new FakeClock();
    const client = new FakeApiClient(clock);
    const rec = new ApiEventRecorder(client, { component: 'daemonset-controller', clock });
    for (let i = 0; i < 100; i++) rec.event(ds('a'), 'Normal', 'SuccessfulCreate', `Created pod: a-${i}`);
    rec.event(ds('b'), 'Normal', 'SuccessfulCreate', 'Created pod: b-0');
    await rec.flush();
    const list = async () => (await client.list<Event>(eventsResource, { namespace: 'default' })).items;
    expect((await list()).filter((e) => e.involvedObject.name === 'a')).toHaveLength(25);
    expect((await list()).filter((e) => e.involvedObject.name === 'b')).toHaveLength(1);
    expect(rec.dropped).toBe(75);
    clock.advance(300_000);
    rec.event(ds('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-100');
    rec.event(ds('a'), 'Normal', 'SuccessfulCreate', 'Created pod: a-101');
    await rec.flush();
    expect((await list()).filter((e) => e.involvedObject.name === 'a')).toHaveLength(26);
  });

  it('spamFilter: false writes every event', async () => {
    const client = new FakeApiClient();
    const rec = new ApiEventRecorder(client, { component: 'x', spamFilter: false });
    for (let i = 0; i < 40; i++) rec.event(ds('a'), 'Normal', 'R', `m${i}`);
    await rec.flush();
    expect((await client.list<Event>(eventsResource, { namespace: 'default' })).items).toHaveLength(40);
  });
});
