import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry } from '../api/kinds.js';
import type { Pod } from '../api/types.js';
import { MemoryStore } from '../storage/memory/index.js';
import { LimitRanger } from './limit-ranger.js';
import { objectKey } from './registry.js';

const kind = newKindRegistry().byResource('', 'v1', 'limitranges')!;

function pod(resources: Record<string, unknown>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { containers: [{ name: 'c', image: 'i', resources }] } } as unknown as Pod;
}

async function rangerWith(limits: unknown[]): Promise<{ store: MemoryStore; ranger: LimitRanger }> {
  const store = new MemoryStore();
  await store.create(objectKey(kind, 'n', 'lr'), JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'n' }, spec: { limits } }));
  return { store, ranger: new LimitRanger(store, kind) };
}

describe('LimitRanger', () => {
  it('a failed read refuses that pod with upstream\'s 403 and is not kept: the next pod reads again', async () => {
    // Stored as the API stores it: defaulted (the max is the default limit).
    const { store, ranger } = await rangerWith([{ type: 'Container', max: { cpu: '1' }, default: { cpu: '1' } }]);
    const list = store.list.bind(store);
    let failures = 1;
    store.list = async (...args: Parameters<MemoryStore['list']>) => {
      if (failures-- > 0) throw new Error('store unavailable');
      return list(...args);
    };
    const err = await ranger.mutate(pod({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).code, (err as ApiError).message]).toEqual([403, 'pods "p" is forbidden: unable to CREATE /v1, Resource=pods at this time because there was an error enforcing limit ranges']);
    const p = pod({});
    await ranger.mutate(p);
    expect(p.spec.containers[0]!.resources).toEqual({ limits: { cpu: '1' } });
  });

  it('compares in thousandths rounded up, as upstream: 500u meets a 1m minimum', async () => {
    const { ranger } = await rangerWith([{ type: 'Container', min: { cpu: '1m' }, max: { memory: '1Mi' } }]);
    await ranger.validate(pod({ requests: { cpu: '500u' }, limits: { memory: '1Mi' } }));
    const err = await ranger.validate(pod({ requests: { cpu: '0' }, limits: { memory: '1048577' } })).catch((e: unknown) => e);
    expect((err as ApiError).message).toBe('pods "p" is forbidden: [minimum cpu usage per Container is 1m, but request is 0, maximum memory usage per Container is 1Mi, but limit is 1048577]');
  });

  it('forgets what it read when told a range changed', async () => {
    const { store, ranger } = await rangerWith([{ type: 'Container', default: { cpu: '1' } }]);
    await ranger.mutate(pod({}));
    await store.update(objectKey(kind, 'n', 'lr'), JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'n' }, spec: { limits: [{ type: 'Container', default: { cpu: '2' } }] } }), (await store.get(objectKey(kind, 'n', 'lr')))!.modRevision);
    const stale = pod({});
    await ranger.mutate(stale);
    expect(stale.spec.containers[0]!.resources).toEqual({ limits: { cpu: '1' } });
    ranger.invalidate();
    const fresh = pod({});
    await ranger.mutate(fresh);
    expect(fresh.spec.containers[0]!.resources).toEqual({ limits: { cpu: '2' } });
  });
});
