// Custom resources over real HTTPS against a real server (SQLite file store): a CRD is
// established, its kind is discovered and served with its schema (types checked, unknown fields
// pruned or refused, required fields, /status), watched, kept across a restart, and deleting the
// CRD deletes its objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromKubeconfig, registerServer, testFetch } from '../helpers/auth.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { apiCaller } from '../helpers/http.js';
import { openWireWatch } from '../helpers/watch.js';

const cleanup = new Cleanup();
let dataDir = '';
let server: RunningServer;

const call = apiCaller(() => server.url);

const widgetSchema = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1, maximum: 10 }, color: { type: 'string', default: 'blue', enum: ['blue', 'red'] }, extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, empty: { type: 'object' }, list: { type: 'array', items: { type: 'object' } }, labels: { type: 'object', additionalProperties: { type: 'string' } }, port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
    scope: 'Namespaced',
    versions: [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: widgetSchema }, subresources: { status: {} }, additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, { name: 'Phase', type: 'string', jsonPath: '.status.phase' }] },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: widgetSchema } },
    ],
  },
};

const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec, ...extra });
const widgets = '/apis/example.com/v1/namespaces/default/widgets';

beforeAll(async () => {
  dataDir = makeTempDir(cleanup, 'custom-resources');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
});

afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

describe('custom resources', () => {
  it('a created CRD is established and its kind discovered, with both served versions', async () => {
    const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    expect(created.status, created.text).toBe(201);
    expect(created.body.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
    // The cleanup finalizer comes with the first DELETE, as upstream's.
    expect(created.body.metadata.finalizers).toBeUndefined();
    const v1 = await waitFor(async () => {
      const r = await call('GET', '/apis/example.com/v1');
      return r.status === 200 ? r : undefined;
    }, { message: 'discovery of example.com/v1' });
    expect(v1.body.resources).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'widgets', kind: 'Widget', namespaced: true, shortNames: ['wd'], categories: ['all'] }),
      expect.objectContaining({ name: 'widgets/status' }),
    ]));
    expect((await call('GET', '/apis/example.com/v1beta1')).status).toBe(200);
    const groups = await call('GET', '/apis');
    expect(groups.body.groups.find((g: any) => g.name === 'example.com').versions.map((v: any) => v.version).sort()).toEqual(['v1', 'v1beta1']);
    const openapi = await call('GET', '/openapi/v3');
    const doc = await call('GET', openapi.body.paths['apis/example.com/v1'].serverRelativeURL);
    expect(doc.body.components.schemas['com.example.v1.Widget'].properties.spec.properties.size).toMatchObject({ type: 'integer' });
    // As upstream documents custom resources: no strategic merge patch (refused with 415), no protobuf.
    const patchOp = doc.body.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    expect(Object.keys(patchOp.requestBody.content).sort()).toEqual(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
    expect(Object.keys(patchOp.responses['200'].content).sort()).toEqual(['application/json', 'application/yaml']);
  });

  it('serves the kind with its schema: types, required fields, pruning and strict unknown fields', async () => {
    const ok = await call('POST', widgets, widget('w1', { size: 3, color: 'red', extra: { anything: [1, { x: true }] } }, { status: { phase: 'Set' } }));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.spec).toEqual({ size: 3, color: 'red', extra: { anything: [1, { x: true }] } });
    expect(ok.body.status).toBeUndefined(); // /status is its own subresource: a create drops it
    expect(ok.body.metadata.generation).toBe(1);

    const badType = await call('POST', widgets, widget('w2', { size: 'big' }));
    expect(badType.status, badType.text).toBe(422); // upstream checks custom resources against their schema: 422, not a decode 400
    expect(badType.body.message).toBe('Widget.example.com "w2" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"');
    const missing = await call('POST', widgets, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w3' } });
    expect(missing.status, missing.text).toBe(422);
    expect(missing.body.message).toContain('spec: Required value');
    const constraints = await call('POST', widgets, widget('w7', { size: 0, color: 'green' }));
    expect(constraints.status, constraints.text).toBe(422);
    expect(constraints.body.message).toContain('spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1');
    expect(constraints.body.message).toContain('spec.color: Unsupported value: "green": supported values: "blue", "red"');
    const nestedRequired = await call('POST', widgets, widget('w8', { color: 'red' }));
    expect(nestedRequired.status).toBe(422);
    expect(nestedRequired.body.message).toContain('spec.size: Required value');
    const badName = await call('POST', widgets, widget('Not_A_Name', { size: 1 }));
    expect(badName.status).toBe(422);
    const strict = await call('POST', `${widgets}?fieldValidation=Strict`, widget('w4', { size: 1, shape: 'round' }));
    expect(strict.status, strict.text).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.shape"');
    const pruned = await call('POST', widgets, widget('w5', { size: 1, shape: 'round' }));
    expect(pruned.status).toBe(201);
    expect(pruned.body.spec).toEqual({ size: 1, color: 'blue' }); // pruned, and defaulted from the schema
    expect(pruned.headers.get('warning')).toContain('unknown field \\"spec.shape\\"');
    // An object that declares no properties keeps none (in a list too); a map keeps its keys.
    const bare = await call('POST', widgets, widget('w10', { size: 1, empty: { x: 1 }, list: [{ y: 2 }], labels: { k: 'v' } }));
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.spec).toEqual({ size: 1, color: 'blue', empty: {}, list: [{}], labels: { k: 'v' } });
    const bareStrict = await call('POST', `${widgets}?fieldValidation=Strict`, widget('w9', { size: 1, empty: { x: 1 } }));
    expect(bareStrict.status, bareStrict.text).toBe(400);
    expect(bareStrict.body.message).toContain('unknown field "spec.empty.x"');
    expect((await call('DELETE', `${widgets}/w10`)).status).toBe(200);
    // Decoded without Go types, as upstream: a whole number written as a float is an integer.
    const floatInt = await call('POST', widgets, '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w11"},"spec":{"size":3.0,"port":8.0}}');
    expect([floatInt.status, floatInt.body.spec?.size, floatInt.body.spec?.port], floatInt.text).toEqual([201, 3, 8]);
    const fraction = await call('POST', widgets, '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w12"},"spec":{"size":3.5}}');
    expect(fraction.status, fraction.text).toBe(422);
    expect((await call('DELETE', `${widgets}/w11`)).status).toBe(200);
    // Nothing half-written: the refused names do not exist.
    for (const n of ['w2', 'w3', 'w4', 'w7', 'w8', 'w9']) expect((await call('GET', `${widgets}/${n}`)).status).toBe(404);
  });

  it('status, generation, patches, lists through either version, and watch', async () => {
    const w = await call('GET', `${widgets}/w1`);
    const status = await call('PUT', `${widgets}/w1/status`, { ...w.body, status: { phase: 'Ready' } });
    expect(status.status, status.text).toBe(200);
    expect(status.body.status).toEqual({ phase: 'Ready' });
    expect(status.body.metadata.generation).toBe(1);
    // A custom resource's /status writes status only: labels and annotations in the body are
    // dropped (upstream's custom resource status strategy keeps the stored metadata).
    const relabel = await call('PATCH', `${widgets}/w1/status`, { metadata: { labels: { evil: 'yes' }, annotations: { a: 'b' } }, status: { phase: 'Ready' } }, 'application/merge-patch+json');
    expect(relabel.status, relabel.text).toBe(200);
    expect(relabel.body.metadata.labels).toEqual(w.body.metadata.labels);
    expect(relabel.body.metadata.annotations).toEqual(w.body.metadata.annotations);
    const patched = await call('PATCH', `${widgets}/w1`, { spec: { size: 4 }, status: { phase: 'Ignored' } }, 'application/merge-patch+json');
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.spec.size).toBe(4);
    expect(patched.body.status).toEqual({ phase: 'Ready' });
    expect(patched.body.metadata.generation).toBe(2);
    const table = await testFetch(`${server.url}${widgets}`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } }).then((r) => r.json() as Promise<any>);
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Size', 'Phase']);
    // Each version prints its own columns: v1beta1 declares none (Name and Age).
    const beta = await testFetch(`${server.url}/apis/example.com/v1beta1/namespaces/default/widgets`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } }).then((r) => r.json() as Promise<any>);
    expect(beta.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Age']);
    expect(table.rows.find((r: any) => r.cells[0] === 'w1').cells.slice(0, 3)).toEqual(['w1', 4, 'Ready']);
    // A column whose path reaches nothing is null, as upstream's table convertor (kubectl prints <none>).
    expect(table.rows.find((r: any) => r.cells[0] === 'w5').cells[2]).toBeNull();
    const all = await call('GET', '/apis/example.com/v1beta1/widgets');
    expect(all.body.kind).toBe('WidgetList');
    expect(all.body.items.map((i: any) => i.metadata.name).sort()).toEqual(['w1', 'w5']);
    // Every version serves every object in its own apiVersion (conversion None), and writes through either.
    expect(all.body.items.map((i: any) => i.apiVersion)).toEqual(['example.com/v1beta1', 'example.com/v1beta1']);
    const old = await call('PATCH', '/apis/example.com/v1beta1/namespaces/default/widgets/w5', { spec: { color: 'red' } }, 'application/merge-patch+json');
    expect(old.status, old.text).toBe(200);
    expect(old.body.apiVersion).toBe('example.com/v1beta1');
    expect((await call('GET', `${widgets}/w5`)).body).toMatchObject({ apiVersion: 'example.com/v1', spec: { color: 'red' } });

    const list = await call('GET', widgets);
    const ac = new AbortController();
    cleanup.defer(() => ac.abort(), 'widget watch');
    const r = await testFetch(`${server.url}/apis/example.com/v1beta1/namespaces/default/widgets?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`, { signal: ac.signal });
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    await call('POST', widgets, widget('w6', { size: 6 }));
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(text.slice(0, text.indexOf('\n')))).toMatchObject({ type: 'ADDED', object: { apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w6' } } });
    ac.abort();
  });

  it('is served again after a restart, and deleting the CRD deletes its objects and stops serving it', async () => {
    await server.close();
    server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
    expect((await call('GET', `${widgets}/w1`)).body.spec.size).toBe(4);

    const watch = await openWireWatch(cleanup, server.url, `${widgets}?watch=1`);
    expect(watch.status).toBe(200);
    const del = await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    expect(del.status, del.text).toBe(200);
    await waitFor(async () => (await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status === 404, { message: 'CRD gone' });
    // The kind's watches end with it (a client relists and meets the 404), after the DELETED of its objects.
    await waitFor(async () => watch.ended(), { message: 'the watch of the deleted kind ended', timeoutMs: 5000 });
    expect(watch.events.map((e) => e.type)).toContain('DELETED');
    expect((await call('GET', '/apis/example.com/v1')).status).toBe(404);
    expect(await server.store.count('/registry/example.com/widgets/')).toBe(0);
    // A CRD of the same name starts empty.
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const fresh = await waitFor(async () => {
      const r = await call('GET', widgets);
      return r.status === 200 ? r : undefined;
    }, { message: 'served again' });
    expect(fresh.body.items).toEqual([]);
  });
});

describe('custom resource definitions: names, versions, termination', () => {
  const thing = (plural: string, kind: string, group = 'conflict.example.com') => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, names: { plural, kind }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const condition = (crd: any, type: string) => crd.status.conditions.find((c: any) => c.type === type);

  it('a CRD may not declare kinds in a group the server serves itself', async () => {
    for (const group of ['apiextensions.k8s.io', 'coordination.k8s.io', 'metrics.k8s.io']) {
      const r = await call('POST', crds, { ...thing('leases', 'Lease2', group), metadata: { name: `leases.${group}`, annotations: { 'api-approved.kubernetes.io': 'unapproved, test' } } });
      expect(r.status, group).toBe(422);
      expect(r.body.message).toContain(`spec.group: Forbidden: group "${group}" is served by the API server itself`);
    }
  });

  it('a later CRD claiming a kind already in use in its group is not served until the first goes', async () => {
    expect((await call('POST', crds, thing('foos', 'Foo'))).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1100)); // a later creationTimestamp
    expect((await call('POST', crds, thing('bars', 'Foo'))).status).toBe(201);
    const bars = await waitFor(async () => {
      const r = await call('GET', `${crds}/bars.conflict.example.com`);
      return condition(r.body, 'NamesAccepted').status === 'False' ? r.body : undefined;
    }, { message: 'NamesAccepted=False on the later CRD' });
    expect(condition(bars, 'NamesAccepted')).toMatchObject({ reason: 'SingularConflict', message: '"foo" is already in use' }); // its singular defaults to the kind's
    expect(condition(bars, 'Established').status).toBe('False');
    expect((await call('GET', '/apis/conflict.example.com/v1/namespaces/default/foos')).status).toBe(200);
    expect((await call('GET', '/apis/conflict.example.com/v1/namespaces/default/bars')).status).toBe(404);
    await call('DELETE', `${crds}/foos.conflict.example.com`);
    await waitFor(async () => (await call('GET', '/apis/conflict.example.com/v1/namespaces/default/bars')).status === 200, { message: 'bars served once foos is gone' });
    expect(condition((await call('GET', `${crds}/bars.conflict.example.com`)).body, 'Established').status).toBe('True');
  });

  it('a terminating CRD still serves its objects (not creates) so finalizers can be released; strategic merge is refused; generation counts every field', async () => {
    const base = '/apis/conflict.example.com/v1/namespaces/default/bars';
    const held = await call('POST', base, { apiVersion: 'conflict.example.com/v1', kind: 'Foo', metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: { a: 1 } });
    expect(held.status, held.text).toBe(201);
    const smp = await call('PATCH', `${base}/held`, { data: { a: 2 } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(415);
    const merged = await call('PATCH', `${base}/held`, { data: { a: 2 } }, 'application/merge-patch+json');
    expect(merged.body.metadata.generation).toBe(2); // no /status: any change but metadata is a generation

    const generation = (await call('GET', `${crds}/bars.conflict.example.com`)).body.metadata.generation;
    // As upstream's CRD REST: marked (no grace period, the same generation) with the cleanup
    // finalizer and Terminating=True, pending; then in progress while its objects go.
    const del = await call('DELETE', `${crds}/bars.conflict.example.com`);
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeTruthy();
    expect(del.body.metadata.deletionGracePeriodSeconds).toBeUndefined();
    expect(del.body.metadata.generation).toBe(generation);
    expect(del.body.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    expect(del.body.status.conditions.find((c: any) => c.type === 'Terminating')).toMatchObject({ status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' });
    await waitFor(async () => (await call('POST', base, { apiVersion: 'conflict.example.com/v1', kind: 'Foo', metadata: { name: 'late' } })).status === 405, { message: 'creates refused while terminating' });
    const stillThere = await call('GET', `${base}/held`);
    expect(stillThere.body.metadata.deletionTimestamp).toBeTruthy();
    const terminating = await waitFor(async () => {
      const r = await call('GET', `${crds}/bars.conflict.example.com`); // held by its object's finalizer
      const c = r.body.status?.conditions?.find((x: any) => x.type === 'Terminating');
      return r.status === 200 && c?.reason === 'InstanceDeletionInProgress' ? c : undefined;
    }, { message: 'Terminating: InstanceDeletionInProgress' });
    expect(terminating).toMatchObject({ status: 'True', message: 'CustomResource deletion is in progress' });
    expect((await call('PATCH', `${base}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
    await waitFor(async () => (await call('GET', `${crds}/bars.conflict.example.com`)).status === 404, { message: 'CRD gone after its last object', timeoutMs: 15_000 });
  });

  it('an embedded resource\'s metadata is ObjectMeta whatever the schema says: unknown fields refused with Strict, pruned otherwise; its declared fields typed', async () => {
    // The shape of upstream's kubectl test for embedded objects: the schema declares only `name`
    // in either metadata, yet `namespace` is metadata too.
    const embedded = {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { metadata: { type: 'object', properties: { name: { type: 'string' } } }, spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } },
        metadata: { type: 'object', properties: { name: { type: 'string' } } },
      },
    };
    const crd = { ...thing('holders', 'Holder'), spec: { ...thing('holders', 'Holder').spec, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: embedded } }] } };
    expect((await call('POST', crds, crd)).status).toBe(201);
    const base = '/apis/conflict.example.com/v1/namespaces/default/holders';
    await waitFor(async () => (await call('GET', base)).status === 200, { message: 'holders served' });
    const holder = (name: string, meta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'conflict.example.com/v1',
      kind: 'Holder',
      metadata: { name },
      spec: { template: { apiVersion: 'foo/v1', kind: 'Sub', metadata: { name: 'sub', namespace: 'default', ...meta }, spec: { size: 1 }, ...extra } },
    });
    const strict = await call('POST', `${base}?fieldValidation=Strict`, holder('h1', { unknownMetaEmbedded: 'bar' }));
    expect(strict.status, strict.text).toBe(400);
    expect(strict.body.message).toBe('Holder in version "v1" cannot be handled as a Holder: strict decoding error: unknown field "spec.template.metadata.unknownMetaEmbedded"');
    const fine = await call('POST', `${base}?fieldValidation=Strict`, holder('h2', { labels: { a: 'b' } }));
    expect(fine.status, fine.text).toBe(201);
    expect(fine.body.spec.template).toEqual({ apiVersion: 'foo/v1', kind: 'Sub', metadata: { name: 'sub', namespace: 'default', labels: { a: 'b' } }, spec: { size: 1 } });
    const pruned = await call('POST', base, holder('h3', { unknownMetaEmbedded: 'bar' }, { other: 1 }));
    expect(pruned.status, pruned.text).toBe(201);
    expect(pruned.body.spec.template).toEqual({ apiVersion: 'foo/v1', kind: 'Sub', metadata: { name: 'sub', namespace: 'default' }, spec: { size: 1 } });
    expect(pruned.headers.get('warning')).toContain('unknown field \\"spec.template.metadata.unknownMetaEmbedded\\"');
    const badMeta = await call('POST', base, holder('h4', { labels: 'not-a-map' }));
    expect(badMeta.status, badMeta.text).toBe(400);
    expect(badMeta.body.message).toContain('spec.template.metadata.labels');
  });

  it('each version validates against its own schema', async () => {
    const version = (name: string, storage: boolean, maximum: number) => ({ name, served: true, storage, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', maximum } } } } } } });
    const crd = { ...thing('sizes', 'Size'), spec: { ...thing('sizes', 'Size').spec, versions: [version('v1', true, 10), version('v1beta1', false, 100)] } };
    expect((await call('POST', crds, crd)).status).toBe(201);
    const at = (v: string) => `/apis/conflict.example.com/${v}/namespaces/default/sizes`;
    await waitFor(async () => (await call('GET', at('v1beta1'))).status === 200, { message: 'sizes served' });
    const body = (v: string, name: string) => ({ apiVersion: `conflict.example.com/${v}`, kind: 'Size', metadata: { name }, spec: { size: 50 } });
    expect((await call('POST', at('v1beta1'), body('v1beta1', 's1'))).status).toBe(201);
    const refused = await call('POST', at('v1'), body('v1', 's2'));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('spec.size in body should be less than or equal to 10');
  });

  it('serves /scale as an autoscaling/v1 Scale: GET, PUT and PATCH write spec.replicas at its path, checked by the Scale and by the object\'s schema', async () => {
    const scaled = {
      ...thing('replicators', 'Replicator'),
      spec: {
        ...thing('replicators', 'Replicator').spec,
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { workers: { type: 'object', properties: { count: { type: 'integer', maximum: 20 } } }, selector: { type: 'string' } } }, status: { type: 'object', properties: { ready: { type: 'integer' } } } } } },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.workers.count', statusReplicasPath: '.status.ready', labelSelectorPath: '.spec.selector' } },
        }],
      },
    };
    expect((await call('POST', crds, scaled)).status).toBe(201);
    const at = '/apis/conflict.example.com/v1/namespaces/default/replicators';
    await waitFor(async () => (await call('GET', at)).status === 200, { message: 'replicators served' });
    const discovery = await call('GET', '/apis/conflict.example.com/v1');
    expect(discovery.body.resources.find((r: any) => r.name === 'replicators/scale')).toEqual({ name: 'replicators/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });

    const created = await call('POST', at, { apiVersion: 'conflict.example.com/v1', kind: 'Replicator', metadata: { name: 'r1' }, spec: { selector: 'app=r1' } });
    expect(created.status, created.text).toBe(201);
    const s0 = await call('GET', `${at}/r1/scale`);
    expect(s0.status, s0.text).toBe(200);
    expect(s0.body).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'r1', namespace: 'default', uid: created.body.metadata.uid, resourceVersion: created.body.metadata.resourceVersion, creationTimestamp: created.body.metadata.creationTimestamp },
      spec: { replicas: 0 },
      status: { replicas: 0, selector: 'app=r1' },
    });
    // The status replicas come from the object's status.
    const st = await call('PATCH', `${at}/r1/status`, { status: { ready: 2 } }, 'application/merge-patch+json');
    expect(st.status, st.text).toBe(200);

    // kubectl scale's request: a merge patch of the Scale.
    const patched = await call('PATCH', `${at}/r1/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(patched.status, patched.text).toBe(200);
    expect([patched.body.spec, patched.body.status]).toEqual([{ replicas: 3 }, { replicas: 2, selector: 'app=r1' }]);
    expect((await call('GET', `${at}/r1`)).body.spec).toEqual({ selector: 'app=r1', workers: { count: 3 } });
    const json = await call('PATCH', `${at}/r1/scale`, [{ op: 'replace', path: '/spec/replicas', value: 5 }], 'application/json-patch+json');
    expect([json.status, json.body.spec?.replicas]).toEqual([200, 5]);

    // PUT with the current resourceVersion works; a stale one is a conflict; the name must match.
    const cur = (await call('GET', `${at}/r1/scale`)).body;
    const put = await call('PUT', `${at}/r1/scale`, { ...cur, spec: { replicas: 7 } });
    expect([put.status, put.body.spec?.replicas]).toEqual([200, 7]);
    const stale = await call('PUT', `${at}/r1/scale`, { ...cur, spec: { replicas: 8 } });
    expect(stale.status, stale.text).toBe(409);
    const renamed = await call('PUT', `${at}/r1/scale`, { ...cur, metadata: { name: 'other' }, spec: { replicas: 8 } });
    expect([renamed.status, renamed.body.message]).toEqual([400, 'the name of the object (other) does not match the name on the URL (r1)']);
    // A body that is no Scale is refused as upstream's decoding refuses it, and nothing is written
    // (a spec of the wrong type once read as 0 replicas).
    const now = (await call('GET', `${at}/r1/scale`)).body;
    const malformed: [unknown, string, number?][] = [
      [{ ...now, spec: 'oops' }, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field Scale.spec of type v1.ScaleSpec'],
      [{ ...now, spec: { replicas: '5' } }, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32'],
      [{ ...now, metadata: 'x' }, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field Scale.metadata of type v1.ObjectMeta'],
      [{ ...now, kind: 'Pod', apiVersion: 'v1' }, 'the API version in the data (v1) does not match the expected API version (autoscaling/v1)'],
      [{ ...now, kind: 'Deployment' }, 'the kind in the data (Deployment) does not match the expected kind (Scale)'],
      [{ ...now, metadata: { ...now.metadata, namespace: 'kube-system' } }, 'the namespace of the provided object does not match the namespace sent on the request'],
      [[1], 'Scale in version "v1" cannot be handled as a Scale: the body must be a JSON object'],
    ];
    for (const [body, message] of malformed) {
      const r = await call('PUT', `${at}/r1/scale`, body);
      expect([r.status, r.body.message], JSON.stringify(body)).toEqual([400, message]);
    }
    const strictPut = await call('PUT', `${at}/r1/scale?fieldValidation=Strict`, { ...now, spec: { replicas: 6, extra: 1 } });
    expect([strictPut.status, strictPut.body.message]).toEqual([400, 'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.extra"']);
    expect((await call('GET', `${at}/r1/scale`)).body.spec).toEqual({ replicas: 7 });
    // YAML is a Scale too.
    const yamlPut = await call('PUT', `${at}/r1/scale`, `apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: r1}\nspec: {replicas: 6}\n`, 'application/yaml');
    expect([yamlPut.status, yamlPut.body.spec?.replicas], yamlPut.text).toEqual([200, 6]);
    const backTo7 = await call('PUT', `${at}/r1/scale`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'r1' }, spec: { replicas: 7 } });
    expect(backTo7.status, backTo7.text).toBe(200);

    // Bad replicas: the Scale's own check, then the object's schema; the object is unchanged.
    const negative = await call('PATCH', `${at}/r1/scale`, { spec: { replicas: -1 } }, 'application/merge-patch+json');
    expect([negative.status, negative.body.message]).toEqual([422, 'Scale.autoscaling "r1" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
    const huge = await call('PATCH', `${at}/r1/scale`, { spec: { replicas: 3_000_000_000 } }, 'application/merge-patch+json');
    expect([huge.status, huge.body.message]).toEqual([400, 'json: cannot unmarshal number 3000000000 into Go struct field ScaleSpec.spec.replicas of type int32']);
    const tooMany = await call('PATCH', `${at}/r1/scale`, { spec: { replicas: 50 } }, 'application/merge-patch+json');
    expect(tooMany.status, tooMany.text).toBe(422);
    expect(tooMany.body.message).toContain('spec.workers.count in body should be less than or equal to 20');
    expect((await call('GET', `${at}/r1/scale`)).body.spec).toEqual({ replicas: 7 });
    expect((await call('DELETE', `${at}/r1/scale`)).status).toBe(405);
    // An apply to /scale must name a manager and be an autoscaling/v1 Scale.
    expect((await call('PATCH', `${at}/r1/scale?fieldManager=m`, 'spec: {replicas: 1}', 'application/apply-patch+yaml')).status).toBe(400);
    expect((await call('PATCH', `${at}/r1/scale`, 'apiVersion: autoscaling/v1\nkind: Scale\nspec: {replicas: 1}', 'application/apply-patch+yaml')).status).toBe(422);
    expect((await call('GET', `${at}/missing/scale`)).status).toBe(404);
    // A kind without the subresource has no /scale.
    expect((await call('GET', `/apis/conflict.example.com/v1/namespaces/default/sizes/s1/scale`)).status).toBe(404);

    // The CRD's scale paths are checked as upstream checks them.
    const bad = (scale: Record<string, unknown>) => ({ ...scaled, metadata: { name: 'badscales.conflict.example.com' }, spec: { ...scaled.spec, names: { plural: 'badscales', kind: 'BadScale' }, versions: [{ ...scaled.spec.versions[0]!, subresources: { scale } }] } });
    const refused = await call('POST', crds, bad({ specReplicasPath: '.status.x', statusReplicasPath: 'status.y', labelSelectorPath: '.metadata.labels' }));
    expect(refused.status).toBe(422);
    for (const m of [
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.x": should be a json path under .spec',
      'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: "status.y": must be a simple json path starting with .',
      'spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
    ]) expect(refused.body.message).toContain(m);
    expect((await call('POST', crds, bad({ statusReplicasPath: '.status.y' }))).body.message).toContain('spec.versions[0].subresources.scale.specReplicasPath: Required value');
    expect((await call('POST', crds, bad({ specReplicasPath: '.spec..x', statusReplicasPath: '.status.y.' }))).body.message).toContain('spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".spec..x": must be a json path in the dot notation');
  });

  it('a version objects were stored in cannot be removed from spec.versions', async () => {
    const crd = thing('bazs', 'Baz');
    expect((await call('POST', crds, crd)).status).toBe(201);
    const current = await call('GET', `${crds}/bazs.conflict.example.com`);
    const next = structuredClone(current.body);
    next.spec.versions = [{ ...next.spec.versions[0], name: 'v2' }];
    const r = await call('PUT', `${crds}/bazs.conflict.example.com`, next);
    expect(r.status, r.text).toBe(422);
    expect(r.body.message).toContain('status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions');
  });
});

describe('garbage collection of custom resources', () => {
  it('a custom resource owned by a ConfigMap goes with it, and a ConfigMap owned by a custom resource goes with that', async () => {
    // The same data dir, now with the controller manager (its garbage collector).
    await server.close();
    server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false, controllers: { leaderElection: false, daemonSet: false, nodeLifecycle: false } });
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'parts.gc.example.com' },
      spec: { group: 'gc.example.com', names: { plural: 'parts', kind: 'Part' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    };
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const parts = '/apis/gc.example.com/v1/namespaces/default/parts';
    await waitFor(async () => (await call('GET', parts)).status === 200, { message: 'parts served' });
    const owner = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gc-owner' } });
    const ownerRef = (o: any, apiVersion: string, kind: string) => [{ apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid }];
    const part = await call('POST', parts, { apiVersion: 'gc.example.com/v1', kind: 'Part', metadata: { name: 'p1', ownerReferences: ownerRef(owner.body, 'v1', 'ConfigMap') } });
    expect(part.status, part.text).toBe(201);
    const dependent = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gc-dependent', ownerReferences: ownerRef(part.body, 'gc.example.com/v1', 'Part') } });
    expect(dependent.status).toBe(201);
    await call('DELETE', '/api/v1/namespaces/default/configmaps/gc-owner');
    await waitFor(async () => (await call('GET', `${parts}/p1`)).status === 404, { message: 'the Part goes with its ConfigMap', timeoutMs: 30_000 });
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/default/configmaps/gc-dependent')).status === 404, { message: 'the ConfigMap goes with its Part', timeoutMs: 30_000 });
  });
});
