// Lists through client-node 1.4: label selectors (every operator kubectl sends), field
// selectors (per-type field sets), and pagination with limit/continue against a consistent
// snapshot (kube-api.md §3.5).

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients, apiFailure, Cleanup, startTestServer, type ApiClients } from '../helpers/index.js';

const NS = 'lists';
const OTHER = 'lists-other';
const cleanup = new Cleanup();
let c: ApiClients;

// name → [labels, nodeName, phase]
const pods: Record<string, [Record<string, string>, string, string]> = {
  'p-x-1': [{ app: 'x', env: 'prod' }, 'n1', 'Running'],
  'p-x-2': [{ app: 'x', env: 'dev', foo: 'bar' }, 'n2', 'Failed'],
  'p-y-1': [{ app: 'y', env: 'prod', 'pod-template-generation': '7' }, 'n1', 'Succeeded'],
  'p-z-1': [{ app: 'z' }, 'n2', 'Running'],
  'p-none': [{}, 'n1', 'Pending'],
};

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  c = apiClients(server.kubeconfigPath);
  for (const ns of [NS, OTHER]) await c.core.createNamespace({ body: { metadata: { name: ns } } });
  for (const [name, [labels, nodeName, phase]] of Object.entries(pods)) {
    await c.core.createNamespacedPod({ namespace: NS, body: { metadata: { name, labels }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } } });
    await c.core.patchNamespacedPodStatus(
      { name, namespace: NS, body: { status: { phase } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
  await c.core.createNamespacedPod({ namespace: OTHER, body: { metadata: { name: 'p-x-1', labels: { app: 'x' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } } });
});
afterAll(() => cleanup.run());

const names = (l: { items: k8s.V1Pod[] }): string[] => l.items.map((p) => `${p.metadata?.namespace === NS ? '' : `${p.metadata?.namespace}/`}${p.metadata?.name}`).sort();

describe('label selectors', () => {
  it.each([
    ['app=x', ['p-x-1', 'p-x-2']],
    ['app==x', ['p-x-1', 'p-x-2']],
    ['app!=x', ['p-none', 'p-y-1', 'p-z-1']],
    ['app in (x,y)', ['p-x-1', 'p-x-2', 'p-y-1']],
    ['app notin (x,y)', ['p-none', 'p-z-1']],
    ['foo', ['p-x-2']],
    ['!foo', ['p-none', 'p-x-1', 'p-y-1', 'p-z-1']],
    ['app in (x,y),!foo', ['p-x-1', 'p-y-1']],
    ['app in (x,y),!foo,pod-template-generation!=7', ['p-x-1']],
    ['env=prod,app=y', ['p-y-1']],
    ['app=nothing', []],
  ])('%s', async (labelSelector, expected) => {
    expect(names(await c.core.listNamespacedPod({ namespace: NS, labelSelector }))).toEqual(expected);
  });

  it('applies across namespaces on /api/v1/pods', async () => {
    expect(names(await c.core.listPodForAllNamespaces({ labelSelector: 'app=x' }))).toEqual(['lists-other/p-x-1', 'p-x-1', 'p-x-2']);
  });
});

describe('field selectors', () => {
  it.each([
    ['metadata.name=p-x-1', ['p-x-1']],
    ['metadata.name==p-x-1', ['p-x-1']],
    ['metadata.name!=p-x-1', ['p-none', 'p-x-2', 'p-y-1', 'p-z-1']],
    ['spec.nodeName=n1', ['p-none', 'p-x-1', 'p-y-1']],
    ['spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed', ['p-none', 'p-x-1']],
    ['status.phase=Running', ['p-x-1', 'p-z-1']],
  ])('%s', async (fieldSelector, expected) => {
    expect(names(await c.core.listNamespacedPod({ namespace: NS, fieldSelector }))).toEqual(expected);
  });

  it('combines with a label selector', async () => {
    expect(names(await c.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=x', fieldSelector: 'spec.nodeName=n2' }))).toEqual(['p-x-2']);
  });

  it('metadata.namespace selects on the all-namespaces path', async () => {
    expect(names(await c.core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${OTHER}` }))).toEqual(['lists-other/p-x-1']);
  });

  it('an unsupported field label is a 400 BadRequest', async () => {
    const f = await apiFailure(c.core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.bogus=1' }));
    expect(f.code).toBe(400);
    expect(f.status?.reason).toBe('BadRequest');
    expect(f.status?.message).toContain('spec.bogus');
  });
});

describe('pagination', () => {
  const PNS = 'paging';
  const total = 25;
  const cmName = (i: number) => `cm-${String(i).padStart(3, '0')}`;

  beforeAll(async () => {
    await c.core.createNamespace({ body: { metadata: { name: PNS } } });
    for (let i = 0; i < total; i++) await c.core.createNamespacedConfigMap({ namespace: PNS, body: { metadata: { name: cmName(i), labels: { even: String(i % 2 === 0) } }, data: { i: String(i) } } });
  });

  it('walks limit/continue pages: every item exactly once, in name order, from one snapshot', async () => {
    const seen: string[] = [];
    const first = await c.core.listNamespacedConfigMap({ namespace: PNS, limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.metadata?._continue).toBeTruthy();
    expect(first.metadata?.remainingItemCount).toBe(15);
    const snapshotRv = first.metadata?.resourceVersion;
    seen.push(...first.items.map((i) => i.metadata?.name ?? ''));

    // A write after the first page must not show up in later pages (they read the same snapshot).
    await c.core.createNamespacedConfigMap({ namespace: PNS, body: { metadata: { name: 'cm-zzz-late' } } });
    await c.core.deleteNamespacedConfigMap({ namespace: PNS, name: cmName(24) });

    let token = first.metadata?._continue;
    let pages = 1;
    while (token) {
      const page = await c.core.listNamespacedConfigMap({ namespace: PNS, limit: 10, _continue: token });
      expect(page.metadata?.resourceVersion).toBe(snapshotRv);
      seen.push(...page.items.map((i) => i.metadata?.name ?? ''));
      token = page.metadata?._continue;
      pages++;
      expect(pages).toBeLessThanOrEqual(3);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => cmName(i)));

    // A fresh list sees the later writes.
    const now = await c.core.listNamespacedConfigMap({ namespace: PNS });
    const nowNames = now.items.map((i) => i.metadata?.name);
    expect(nowNames).toContain('cm-zzz-late');
    expect(nowNames).not.toContain(cmName(24));
    expect(BigInt(now.metadata?.resourceVersion ?? '0') > BigInt(snapshotRv ?? '0')).toBe(true);
    await c.core.createNamespacedConfigMap({ namespace: PNS, body: { metadata: { name: cmName(24), labels: { even: 'true' } }, data: { i: '24' } } });
    await c.core.deleteNamespacedConfigMap({ namespace: PNS, name: 'cm-zzz-late' });
  });

  it('pages a label-selected list (limit counts matching items)', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await c.core.listNamespacedConfigMap({ namespace: PNS, labelSelector: 'even=true', limit: 5, ...(token ? { _continue: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((i) => i.metadata?.name ?? ''));
      token = page.metadata?._continue || undefined;
      pages++;
    } while (token && pages < 10);
    const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i % 2 === 0).map(cmName);
    expect(seen).toEqual(expected);
  });

  it('a list at resourceVersion "0" is one page whatever its limit, as upstream serves it from its cache', async () => {
    const all = await c.core.listNamespacedConfigMap({ namespace: PNS, limit: 10, resourceVersion: '0' });
    expect(all.items).toHaveLength(total);
    expect(all.metadata?._continue ?? '').toBe('');
    expect(all.metadata?.remainingItemCount).toBeUndefined();
    // Any other resourceVersion pages.
    const rv = all.metadata?.resourceVersion ?? '';
    const paged = await c.core.listNamespacedConfigMap({ namespace: PNS, limit: 10, resourceVersion: rv, resourceVersionMatch: 'NotOlderThan' });
    expect(paged.items).toHaveLength(10);
    expect(paged.metadata?._continue).toBeTruthy();
  });

  it('a limit at or above the count returns everything with no continue token', async () => {
    const all = await c.core.listNamespacedConfigMap({ namespace: PNS, limit: 500 });
    expect(all.items).toHaveLength(total);
    expect(all.metadata?._continue ?? '').toBe('');
  });

  it('an invalid continue token is rejected (400 or 410), not ignored', async () => {
    const f = await apiFailure(c.core.listNamespacedConfigMap({ namespace: PNS, limit: 5, _continue: 'not-a-token' }));
    expect([400, 410]).toContain(f.code);
    expect(f.status?.status).toBe('Failure');
  });
});
