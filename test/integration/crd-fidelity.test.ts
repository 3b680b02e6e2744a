// Custom resources as upstream's apiextensions server serves them, over real HTTPS against a
// real server (SQLite file store): a group's versions in Kubernetes version priority (the
// preferred one first), deprecated versions warned about on every request, a default inside a
// defaulted object stored with it, nulls of nullable fields kept, status.storedVersions checked,
// default columns and column descriptions, no strategic merge patch on /scale, and updates
// ratcheted against a schema tightened since the object was stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromKubeconfig, registerServer } from '../helpers/auth.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { apiCaller } from '../helpers/http.js';

const cleanup = new Cleanup();
let server: RunningServer;
const call = apiCaller(() => server.url);

const spec = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        maybe: { type: 'string', nullable: true },
        gone: { type: 'string' },
        nested: { type: 'object', default: {}, properties: { a: { type: 'string', default: 'dflt' }, deeper: { type: 'object', default: {}, properties: { b: { type: 'integer', default: 7 } } } } },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' } } },
  },
};

const version = (name: string, extra: Record<string, unknown> = {}) => ({ name, served: true, storage: false, schema: { openAPIV3Schema: spec }, ...extra });

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.fidelity.example' },
  spec: {
    group: 'fidelity.example',
    names: { plural: 'gadgets', kind: 'Gadget' },
    scope: 'Namespaced',
    // Document order is not priority order: v1 must be preferred.
    versions: [
      version('v1alpha1', { deprecated: true }),
      version('v1beta1', { deprecated: true, deprecationWarning: 'v1beta1 gadgets go away in 2027' }),
      version('v1', { storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } }),
    ],
  },
};
const gadgets = (v: string) => `/apis/fidelity.example/${v}/namespaces/default/gadgets`;

beforeAll(async () => {
  server = await startServer({ dataDir: makeTempDir(cleanup, 'crd-fidelity'), listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
  const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  expect(created.status, created.text).toBe(201);
  await waitFor(async () => ((await call('GET', '/apis/fidelity.example/v1')).status === 200 ? true : undefined), { message: 'discovery of fidelity.example/v1' });
});

afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

describe('custom resources as upstream serves them', () => {
  it('lists a group\'s versions in version priority, the GA one preferred, in both discovery forms', async () => {
    const group = await call('GET', '/apis/fidelity.example');
    expect(group.body.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1', 'v1alpha1']);
    expect(group.body.preferredVersion.version).toBe('v1');
    const all = await call('GET', '/apis');
    expect(all.body.groups.find((g: { name: string }) => g.name === 'fidelity.example').preferredVersion.version).toBe('v1');
    const aggregated = await call('GET', '/apis', undefined, undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const item = aggregated.body.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'fidelity.example');
    expect(item.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1', 'v1alpha1']);
  });

  it('warns on every request to a deprecated version: its own warning, else upstream\'s naming the version to use', async () => {
    const alpha = await call('GET', gadgets('v1alpha1'));
    expect(alpha.status).toBe(200);
    expect(alpha.headers.get('warning')).toBe('299 - "fidelity.example/v1alpha1 Gadget is deprecated; use fidelity.example/v1 Gadget"');
    const beta = await call('GET', `${gadgets('v1beta1')}/none`);
    expect(beta.status).toBe(404);
    expect(beta.headers.get('warning')).toBe('299 - "v1beta1 gadgets go away in 2027"');
    expect((await call('GET', gadgets('v1'))).headers.get('warning')).toBeNull();
  });

  it('stores a default inside a defaulted object, and keeps the null of a nullable field', async () => {
    const created = await call('POST', gadgets('v1'), { apiVersion: 'fidelity.example/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { replicas: 1, maybe: null, gone: null } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec).toEqual({ replicas: 1, maybe: null, nested: { a: 'dflt', deeper: { b: 7 } } });
    // What is stored is what is read: applying the same object again changes nothing.
    const again = await call('PUT', `${gadgets('v1')}/g1`, { ...created.body });
    expect(again.status, again.text).toBe(200);
    expect(again.body.metadata.generation).toBe(1);
    expect(again.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('refuses a status.storedVersions without the storage version, empty, or naming a version not in spec.versions', async () => {
    const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.fidelity.example/status';
    const patch = (storedVersions: string[]) => call('PATCH', path, { status: { storedVersions } }, 'application/merge-patch+json');
    const empty = await patch([]);
    expect(empty.status).toBe(422);
    expect(empty.body.details.causes).toEqual([expect.objectContaining({ field: 'status.storedVersions', message: expect.stringContaining('must have at least one stored version') })]);
    const foreign = await patch(['v9']);
    expect(foreign.status).toBe(422);
    expect(foreign.body.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['status.storedVersions', 'status.storedVersions[0]']);
    expect(foreign.body.message).toContain('must have the storage version v1');
    expect(foreign.body.message).toContain('must appear in spec.versions');
    const fine = await patch(['v1alpha1', 'v1']);
    expect(fine.status, fine.text).toBe(200);
    expect(fine.body.status.storedVersions).toEqual(['v1alpha1', 'v1']);
  });

  it('describes columns as upstream: the default Age column is a date of .metadata.creationTimestamp', async () => {
    const table = await call('GET', gadgets('v1'), undefined, undefined, { accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' });
    expect(table.body.columnDefinitions.slice(1)).toEqual([
      { name: 'Age', type: 'date', format: '', description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp', priority: 0 },
    ]);
  });

  it('ratchets: an object stored under looser rules can still be labeled and released, not changed into something invalid', async () => {
    const ratchet = (maximum: number) => ({
      ...crd,
      metadata: { name: 'rats.fidelity.example' },
      spec: { ...crd.spec, names: { plural: 'rats', kind: 'Rat' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer', maximum } } } } } } }] },
    });
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', ratchet(10))).status).toBe(201);
    const rats = '/apis/fidelity.example/v1/namespaces/default/rats';
    await waitFor(async () => ((await call('GET', rats)).status === 200 ? true : undefined), { message: 'rats served' });
    const created = await call('POST', rats, { apiVersion: 'fidelity.example/v1', kind: 'Rat', metadata: { name: 'r1', finalizers: ['example.com/hold'] }, spec: { n: 5 } });
    expect(created.status, created.text).toBe(201);
    const current = await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rats.fidelity.example');
    const tightened = ratchet(2) as Record<string, any>;
    tightened.metadata = current.body.metadata;
    expect((await call('PUT', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rats.fidelity.example', tightened)).status).toBe(200);
    const MERGE = 'application/merge-patch+json';
    await waitFor(async () => ((await call('PATCH', `${rats}/r1`, { spec: { n: 6 } }, MERGE)).status === 422 ? true : undefined), { message: 'the tightened schema in force' });
    const labeled = await call('PATCH', `${rats}/r1`, { metadata: { labels: { a: 'b' } } }, MERGE);
    expect(labeled.status, labeled.text).toBe(200);
    expect((await call('DELETE', `${rats}/r1`)).status).toBe(200);
    const released = await call('PATCH', `${rats}/r1`, { metadata: { finalizers: null } }, MERGE);
    expect(released.status, released.text).toBe(200);
    await waitFor(async () => ((await call('GET', `${rats}/r1`)).status === 404 ? true : undefined), { message: 'r1 gone' });
  });

  it('warns that a conversion webhook is not called (objects keep the fields they were written with)', async () => {
    const hooked = {
      ...crd,
      metadata: { name: 'hooks.fidelity.example' },
      spec: { ...crd.spec, names: { plural: 'hooks', kind: 'Hook' }, versions: [version('v1', { storage: true }), version('v2')], conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:9/convert' } } } },
    };
    const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', hooked);
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('warning')).toContain('spec.conversion.strategy: Webhook: everynode does not call conversion webhooks');
    // Said once: re-applying the same CRD does not repeat it.
    const updated = await call('PUT', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/hooks.fidelity.example', { ...hooked, metadata: created.body.metadata });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.headers.get('warning')).toBeNull();
  });

  it('refuses strategic merge patch on /scale, as on the object, and takes a merge patch', async () => {
    const smp = await call('PATCH', `${gadgets('v1')}/g1/scale`, { spec: { replicas: 3 } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(415);
    expect(smp.body.message).not.toContain('strategic');
    const merge = await call('PATCH', `${gadgets('v1')}/g1/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(merge.status, merge.text).toBe(200);
    expect(merge.body.spec.replicas).toBe(3);
  });
});
