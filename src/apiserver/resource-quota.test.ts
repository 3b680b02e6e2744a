import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import { MemoryStore } from '../storage/memory/index.js';
import { QuotaAdmission, type QuotaRequest } from './resource-quota.js';
import { keyPrefix, objectKey } from './registry.js';

const kinds = newKindRegistry();
const quotaKind = kinds.byResource('', 'v1', 'resourcequotas')!;
const podKind = kinds.byResource('', 'v1', 'pods')!;
const key = objectKey(quotaKind, 'n', 'q');

async function admissionWith(hard: Record<string, string>, used: Record<string, string>): Promise<{ store: MemoryStore; admission: QuotaAdmission }> {
  const store = new MemoryStore();
  await store.create(key, JSON.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'n' }, spec: { hard }, status: { hard, used } }));
  return { store, admission: new QuotaAdmission(store, quotaKind, () => 0) };
}

const podRequest = (name: string, dryRun = false): QuotaRequest => ({
  k: podKind,
  namespace: 'n',
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'n' }, spec: { containers: [{ name: 'c', image: 'i' }] } } as KubeObject,
  dryRun,
});

async function usedPods(store: MemoryStore): Promise<string | undefined> {
  return (JSON.parse((await store.get(key))!.value) as { status: { used: Record<string, string> } }).status.used['pods'];
}

describe('QuotaAdmission', () => {
  it('decides concurrent requests of a namespace in a batch: as many as fit, one write', async () => {
    const { store, admission } = await admissionWith({ pods: '3' }, { pods: '0' });
    const update = store.update.bind(store);
    let writes = 0;
    store.update = (...args: Parameters<MemoryStore['update']>) => {
      writes++;
      return update(...args);
    };
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((n) => admission.admit(podRequest(n))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(((results[3] as PromiseRejectedResult).reason as ApiError).message).toBe('pods "d" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3');
    expect(await usedPods(store)).toBe('3');
    // The first request is decided alone, the four that queued behind it together.
    expect(writes).toBe(2);
  });

  it('decides again against a quota written meanwhile, and a refund gives the charge back', async () => {
    const { store, admission } = await admissionWith({ pods: '2' }, { pods: '0' });
    // Another server charges the quota between this batch's read and its write.
    const list = store.list.bind(store);
    let raced = false;
    store.list = async (...args: Parameters<MemoryStore['list']>) => {
      const r = await list(...args);
      if (!raced && args[0] === keyPrefix(quotaKind, 'n')) {
        raced = true;
        const kv = (await store.get(key))!;
        const q = JSON.parse(kv.value) as { status: { used: Record<string, string> } };
        q.status.used['pods'] = '2';
        await store.update(key, JSON.stringify(q), kv.modRevision);
      }
      return r;
    };
    const err = await admission.admit(podRequest('late')).catch((e: unknown) => e);
    expect(raced).toBe(true);
    expect((err as ApiError).message).toBe('pods "late" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');

    const fresh = await admissionWith({ pods: '2' }, { pods: '1' });
    const charge = await fresh.admission.admit(podRequest('a'));
    expect(await usedPods(fresh.store)).toBe('2');
    await charge!.refund();
    expect(await usedPods(fresh.store)).toBe('1');
    // A dry run is checked and not charged.
    expect(await fresh.admission.admit(podRequest('dry', true))).toBeUndefined();
    expect(await usedPods(fresh.store)).toBe('1');
  });

  it('does not keep a failed read of which namespaces have quotas: the next request reads again', async () => {
    const { store, admission } = await admissionWith({ pods: '1' }, { pods: '0' });
    const list = store.list.bind(store);
    let failures = 1;
    store.list = async (...args: Parameters<MemoryStore['list']>) => {
      if (failures-- > 0) throw new Error('store unavailable');
      return list(...args);
    };
    await expect(admission.admit(podRequest('a'))).rejects.toThrow('store unavailable');
    expect(await admission.admit(podRequest('b'))).toBeDefined();
    expect(await usedPods(store)).toBe('1');
  });

  it('refuses while the quota tracks a resource it has no usage of yet, and reads nothing for namespaces without quotas', async () => {
    const { store, admission } = await admissionWith({ pods: '2', 'count/pods': '5' }, { pods: '0' });
    const err = await admission.admit(podRequest('early')).catch((e: unknown) => e);
    expect((err as ApiError).message).toBe('pods "early" is forbidden: status unknown for quota: q, resources: count/pods,pods');
    const list = store.list.bind(store);
    let lists = 0;
    store.list = (...args: Parameters<MemoryStore['list']>) => {
      lists++;
      return list(...args);
    };
    for (let i = 0; i < 5; i++) expect(await admission.admit({ ...podRequest(`o${i}`), namespace: 'other' })).toBeUndefined();
    expect(lists).toBe(0);
  });
});
