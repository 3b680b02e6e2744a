// Upstream Kubernetes' API-machinery conformance scenarios for CustomResourceDefinitions,
// server-side apply, discovery, /version and the health endpoints, re-stated for everynode and
// run against one real API server (in process, SQLite):
// - CRDs: listing and deleting a collection, creating/deleting, the CRD's /status (get, update,
//   patch), the CRD's group and resources in discovery, defaulting on requests and from storage
//   (test/e2e/apimachinery/custom_resource_definition.go);
// - OpenAPI published for CRDs in /openapi/v2 and /openapi/v3: with a schema, preserving unknown
//   fields at the root and in an embedded object, several versions of one group, several groups,
//   a renamed version, a version no longer served (crd_publish_openapi.go);
// - watching custom resources: add, modify, delete (crd_watch.go);
// - server-side apply: create when absent, /status and /scale, pruning a field its only owner
//   stops applying but keeping one another manager still owns, force, custom resources
//   (apply.go);
// - discovery: preferred versions, group versions and resources, present and missing resources
//   (discovery.go); aggregated discovery v2 and v2beta1 (aggregated_discovery.go);
// - /version (server_version.go) and /healthz, /livez, /readyz (health_handlers.go).
// Not re-stated: scenarios needing admission or conversion webhooks, CEL validation rules, API
// priority and fairness, or container images (none of which everynode serves), and kubectl
// explain. Scenarios already in custom-resources, server-side-apply, discovery-namespace-verbs
// and api-upstream-e2e are not repeated.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/logger.js';
import { apiCaller, apiClients, Cleanup, openWireWatch, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let ext: k8s.ApiextensionsV1Api;
const call = apiCaller(() => ts.server.url);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

beforeAll(async () => {
  ts = await startTestServer(cleanup, { logger: silentLogger });
  ext = apiClients(ts.server.kubeconfigPath).kc.makeApiClient(k8s.ApiextensionsV1Api);
});
afterAll(() => cleanup.run());

let n = 0;
interface CrdOpts { group?: string; versions?: Record<string, unknown>[]; scope?: 'Namespaced' | 'Cluster'; labels?: Record<string, string> }
const anySchema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
/** A CRD with a fresh group and names, as upstream's fixtures randomise them. */
function crdBody(o: CrdOpts = {}): { body: Record<string, any>; group: string; plural: string; kind: string } {
  const i = ++n;
  const group = o.group ?? `crd${i}.upstream.example.com`;
  const plural = `e2etests${i}`;
  const kind = `E2eTest${i}`;
  const body = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      group, scope: o.scope ?? 'Namespaced',
      names: { plural, singular: `e2etest${i}`, kind, listKind: `${kind}List` },
      versions: o.versions ?? [{ name: 'v1', served: true, storage: true, schema: anySchema }],
    },
  };
  return { body, group, plural, kind };
}
async function createCrd(o: CrdOpts = {}): Promise<ReturnType<typeof crdBody>> {
  const c = crdBody(o);
  const r = await call('POST', CRDS, c.body);
  expect(r.status, r.text).toBe(201);
  const v = (c.body.spec.versions as { name: string; served: boolean }[]).find((x) => x.served)!.name;
  await waitFor(async () => (await call('GET', `/apis/${c.group}/${v}/${c.plural}`)).status === 200, { message: `${c.plural} served` });
  return c;
}
const established = (crd: { status?: { conditions?: { type: string; status: string }[] } }): boolean =>
  !!crd.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');

describe('CustomResourceDefinitions (apimachinery/custom_resource_definition.go)', () => {
  it('listing custom resource definition objects works, and deleting them as a collection', async () => {
    const labels = { 'e2e-list-test-uuid': 'list-1' };
    const made = await Promise.all([1, 2, 3].map(() => createCrd({ labels })));
    const list = await ext.listCustomResourceDefinition({ labelSelector: 'e2e-list-test-uuid=list-1' });
    expect(list.items.map((x) => x.metadata?.name).sort()).toEqual(made.map((m) => m.body.metadata.name).sort());
    await ext.deleteCollectionCustomResourceDefinition({ labelSelector: 'e2e-list-test-uuid=list-1' });
    await waitFor(async () => (await ext.listCustomResourceDefinition({ labelSelector: 'e2e-list-test-uuid=list-1' })).items.length === 0, { message: 'collection gone' });
  });

  it('creating/deleting custom resource definition objects works', async () => {
    const c = await createCrd();
    const got = await ext.readCustomResourceDefinition({ name: c.body.metadata.name });
    expect(established(got)).toBe(true);
    await ext.deleteCustomResourceDefinition({ name: c.body.metadata.name });
    await waitFor(async () => (await call('GET', `${CRDS}/${c.body.metadata.name}`)).status === 404, { message: 'CRD deleted' });
    expect((await call('GET', `/apis/${c.group}/v1/${c.plural}`)).status).toBe(404);
  });

  it('getting/updating/patching custom resource definition status sub-resource works', async () => {
    const c = await createCrd();
    const name = c.body.metadata.name;
    const status = await ext.readCustomResourceDefinitionStatus({ name });
    expect(status.metadata?.name).toBe(name);
    expect(established(status)).toBe(true);
    const updated = await ext.replaceCustomResourceDefinitionStatus({
      name,
      body: { ...status, status: { ...status.status!, conditions: [...(status.status?.conditions ?? []), { type: 'StatusUpdated', status: 'True', reason: 'E2E', message: 'Set from e2e test' }] } },
    });
    expect(updated.status?.conditions?.find((x) => x.type === 'StatusUpdated')?.message).toBe('Set from e2e test');
    const patched = await call('PATCH', `${CRDS}/${name}/status`, { status: { conditions: [{ type: 'StatusPatched', status: 'True', reason: 'E2E', message: 'Set from e2e test' }] } }, MERGE);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.status.conditions.map((x: { type: string }) => x.type)).toContain('StatusPatched');
    // Writes to /status leave the spec alone.
    expect(patched.body.spec.names.plural).toBe(c.plural);
  });

  it('should include custom resource definition resources in discovery documents', async () => {
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema: anySchema }, { name: 'v2', served: false, storage: false, schema: anySchema }] });
    const groups = (await call('GET', '/apis')).body;
    const ae = groups.groups.find((g: { name: string }) => g.name === 'apiextensions.k8s.io');
    expect(ae.versions.map((v: { groupVersion: string }) => v.groupVersion)).toContain('apiextensions.k8s.io/v1');
    expect((await call('GET', '/apis/apiextensions.k8s.io/v1')).body.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['customresourcedefinitions', 'customresourcedefinitions/status']));
    const g = groups.groups.find((x: { name: string }) => x.name === c.group);
    expect(g.versions.map((v: { version: string }) => v.version)).toEqual(['v1']); // v2 is not served
    expect(g.preferredVersion.groupVersion).toBe(`${c.group}/v1`);
    expect((await call('GET', `/apis/${c.group}`)).body.preferredVersion.version).toBe('v1');
    const rl = (await call('GET', `/apis/${c.group}/v1`)).body;
    expect(rl.resources.map((r: { name: string }) => r.name)).toContain(c.plural);
    expect((await call('GET', `/apis/${c.group}/v2`)).status).toBe(404);
  });

  it('custom resource defaulting for requests and from storage works', async () => {
    const schema = (withDefault: boolean) => ({ openAPIV3Schema: { type: 'object', properties: { a: { type: 'string', ...(withDefault ? { default: 'A' } : {}) }, b: { type: 'string', default: 'B' } } } });
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema: schema(false) }] });
    const path = `/apis/${c.group}/v1/namespaces/default/${c.plural}`;
    const created = await call('POST', path, { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'foo' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.b).toBe('B'); // defaulted on the request
    expect(created.body.a).toBeUndefined();
    // A default added to the schema later applies to what is read from storage: get, list, watch.
    const crd = (await call('GET', `${CRDS}/${c.body.metadata.name}`)).body;
    crd.spec.versions[0].schema = schema(true);
    expect((await call('PUT', `${CRDS}/${c.body.metadata.name}`, crd)).status).toBe(200);
    await waitFor(async () => (await call('GET', `${path}/foo`)).body.a === 'A', { message: 'default from storage' });
    expect((await call('GET', path)).body.items[0].a).toBe('A');
    const w = await openWireWatch(cleanup, ts.server.url, `${path}?watch=true`);
    const first = await waitFor(() => w.events[0] ?? false, { message: 'initial ADDED' });
    expect([first.type, (first.object as { a?: string }).a]).toEqual(['ADDED', 'A']);
    expect((await call('PATCH', `${path}/foo`, { metadata: { labels: { x: 'y' } } }, MERGE)).status).toBe(200);
    const mod = await waitFor(() => w.events[1] ?? false, { message: 'MODIFIED' });
    expect((mod.object as { a?: string; b?: string }).a).toBe('A');
  });
});

describe('OpenAPI published for CRDs (apimachinery/crd_publish_openapi.go)', () => {
  /** The definition name upstream gives a kind: reversed group, version, kind. */
  const defName = (group: string, version: string, kind: string): string => `${group.split('.').reverse().join('.')}.${version}.${kind}`;
  const v2 = async (): Promise<Record<string, any>> => (await call('GET', '/openapi/v2', undefined, 'application/json', { accept: 'application/json' })).body.definitions;
  async function v3(group: string, version: string): Promise<Record<string, any> | undefined> {
    const index = (await call('GET', '/openapi/v3')).body;
    const ref = index.paths[`apis/${group}/${version}`];
    if (!ref) return undefined;
    return (await call('GET', ref.serverRelativeURL)).body.components.schemas;
  }
  async function published(group: string, version: string, kind: string): Promise<{ v2: any; v3: any }> {
    const name = defName(group, version, kind);
    return { v2: (await v2())[name], v3: (await v3(group, version))?.[name] };
  }
  const fooSchema = {
    openAPIV3Schema: {
      type: 'object', description: 'Foo CRD for Testing',
      properties: {
        spec: { type: 'object', description: 'Specification of Foo', properties: { bars: { type: 'array', description: 'List of Bars and their specs.', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', description: 'Name of Bar.' }, age: { type: 'string', description: 'Age of Bar.' } } } } } },
        status: { type: 'object', description: 'Status of Foo', properties: { counter: { type: 'integer', format: 'int64' } } },
      },
    },
  };

  it('works for CRD with validation schema', async () => {
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema: fooSchema }] });
    const p = await published(c.group, 'v1', c.kind);
    for (const d of [p.v2, p.v3]) {
      expect(d?.description).toBe('Foo CRD for Testing');
      expect(d.properties.spec.description).toBe('Specification of Foo');
      expect(d['x-kubernetes-group-version-kind']).toEqual([{ group: c.group, version: 'v1', kind: c.kind }]);
      expect(d.properties.metadata).toBeDefined();
    }
    expect(p.v2.properties.spec.properties.bars.items.required).toEqual(['name']);
  });

  it('works for CRD without validation schema and with x-kubernetes-preserve-unknown-fields at the root', async () => {
    const c = await createCrd();
    const p = await published(c.group, 'v1', c.kind);
    for (const d of [p.v2, p.v3]) {
      expect(d, 'definition published').toBeDefined();
      expect(d['x-kubernetes-preserve-unknown-fields']).toBe(true);
      expect(d['x-kubernetes-group-version-kind']).toEqual([{ group: c.group, version: 'v1', kind: c.kind }]);
    }
  });

  it('works for CRD preserving unknown fields in an embedded object', async () => {
    const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { bars: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } } };
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema }] });
    const p = await published(c.group, 'v1', c.kind);
    for (const d of [p.v2, p.v3]) expect(d.properties.spec.properties.bars['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('works for multiple CRDs of same group but different versions, and of different groups', async () => {
    const group = `multi${++n}.upstream.example.com`;
    const a = await createCrd({ group, versions: [{ name: 'v2', served: true, storage: true, schema: fooSchema }] });
    const b = await createCrd({ group, versions: [{ name: 'v3', served: true, storage: true, schema: fooSchema }] });
    const other = await createCrd({ versions: [{ name: 'v4', served: true, storage: true, schema: fooSchema }] });
    expect((await published(group, 'v2', a.kind)).v2).toBeDefined();
    expect((await published(group, 'v2', a.kind)).v3).toBeDefined();
    expect((await published(group, 'v3', b.kind)).v3).toBeDefined();
    expect((await published(other.group, 'v4', other.kind)).v3).toBeDefined();
    // One CRD, two versions: both published, each in its own document.
    const both = await createCrd({ versions: [{ name: 'v5', served: true, storage: true, schema: fooSchema }, { name: 'v6', served: true, storage: false, schema: fooSchema }] });
    for (const v of ['v5', 'v6']) {
      const p = await published(both.group, v, both.kind);
      expect(p.v2, v).toBeDefined();
      expect(p.v3, v).toBeDefined();
    }
  });

  it('updates the published spec when versions are renamed, and removes a version no longer served', async () => {
    const c = await createCrd({ versions: [{ name: 'v2', served: true, storage: true, schema: fooSchema }, { name: 'v3', served: true, storage: false, schema: fooSchema }] });
    const name = c.body.metadata.name;
    let crd = (await call('GET', `${CRDS}/${name}`)).body;
    crd.spec.versions[1].name = 'v4'; // rename v3 to v4
    expect((await call('PUT', `${CRDS}/${name}`, crd)).status).toBe(200);
    await waitFor(async () => (await published(c.group, 'v4', c.kind)).v3 !== undefined && (await published(c.group, 'v4', c.kind)).v2 !== undefined, { message: 'v4 published' });
    let p3 = await published(c.group, 'v3', c.kind);
    expect([p3.v2, p3.v3]).toEqual([undefined, undefined]);
    expect((await published(c.group, 'v2', c.kind)).v2).toBeDefined();
    crd = (await call('GET', `${CRDS}/${name}`)).body;
    crd.spec.versions[1].served = false; // v4 no longer served
    expect((await call('PUT', `${CRDS}/${name}`, crd)).status).toBe(200);
    await waitFor(async () => (await published(c.group, 'v4', c.kind)).v2 === undefined, { message: 'v4 gone from v2' });
    p3 = await published(c.group, 'v4', c.kind);
    expect(p3.v3).toBeUndefined();
    expect((await published(c.group, 'v2', c.kind)).v2).toBeDefined();
    expect((await published(c.group, 'v2', c.kind)).v3).toBeDefined();
  });
});

describe('watching custom resources (apimachinery/crd_watch.go)', () => {
  it('watch on custom resource definition objects: added, modified and deleted', async () => {
    const c = await createCrd({ scope: 'Cluster' });
    const path = `/apis/${c.group}/v1/${c.plural}`;
    const w = await openWireWatch(cleanup, ts.server.url, `${path}?watch=true`);
    const obj = (name: string) => ({ apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name }, content: { key: 'value' } });
    expect((await call('POST', path, obj('name1'))).status).toBe(201);
    expect((await call('POST', path, obj('name2'))).status).toBe(201);
    expect((await call('PATCH', `${path}/name1`, { dummy: 'test' }, MERGE)).status).toBe(200);
    expect((await call('PATCH', `${path}/name2`, { dummy: 'test' }, MERGE)).status).toBe(200);
    expect((await call('DELETE', `${path}/name1`)).status).toBe(200);
    expect((await call('DELETE', `${path}/name2`)).status).toBe(200);
    const evs = await waitFor(() => (w.events.length >= 6 ? w.events : false), { timeoutMs: 10_000, message: 'six events' });
    expect(evs.map((e) => `${e.type} ${e.object.metadata?.name} ${String((e.object as { dummy?: string }).dummy ?? '')}`.trim())).toEqual([
      'ADDED name1', 'ADDED name2', 'MODIFIED name1 test', 'MODIFIED name2 test', 'DELETED name1 test', 'DELETED name2 test',
    ]);
  });
});

describe('server-side apply (apimachinery/apply.go)', () => {
  const cm = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
  const apply = (path: string, body: object, manager: string, force = false) =>
    call('PATCH', `${path}?fieldManager=${manager}${force ? '&force=true' : ''}`, JSON.stringify(body), APPLY);

  it("leaves a custom resource schema's defaults to nobody: another manager applies a defaulted field without a conflict", async () => {
    const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { mode: { type: 'string', default: 'auto' }, size: { type: 'integer', default: 3 }, ports: { type: 'array', items: { type: 'integer' } } } } } } };
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema }] });
    const path = `/apis/${c.group}/v1/namespaces/default/${c.plural}/d1`;
    const applyCr = (spec: object, manager: string) => call('PATCH', `${path}?fieldManager=${manager}`, JSON.stringify({ apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'd1' }, spec }), APPLY);
    const created = await applyCr({ ports: [80] }, 'a');
    expect(created.status, created.text).toBe(201);
    // Stored defaulted, the defaults owned by nobody.
    expect(created.body.spec).toEqual({ mode: 'auto', size: 3, ports: [80] });
    expect(created.body.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'a', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:ports': {} } } })]);
    const b = await applyCr({ mode: 'manual' }, 'b');
    expect(b.status, b.text).toBe(200);
    expect(b.body.spec).toEqual({ mode: 'manual', size: 3, ports: [80] });
    // a re-applies without mode: b's value stays; a drops ports: the field goes, size keeps its default.
    const again = await applyCr({}, 'a');
    expect(again.status, again.text).toBe(200);
    expect(again.body.spec).toEqual({ mode: 'manual', size: 3 });
  });

  it('should create an applied object if it does not already exist', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', namespace: 'default' }, data: { k: 'v' } };
    const r = await apply(cm('default', 'test-cm'), body, 'apply_test');
    expect(r.status, r.text).toBe(201);
    expect(r.body.data).toEqual({ k: 'v' });
    const got = (await call('GET', cm('default', 'test-cm'))).body;
    expect(got.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager} ${m.operation}`)).toEqual(['apply_test Apply']);
    // Re-applying the same configuration is a 200 that changes nothing.
    const again = await apply(cm('default', 'test-cm'), body, 'apply_test');
    expect([again.status, again.body.metadata.resourceVersion]).toEqual([200, got.metadata.resourceVersion]);
  });

  it('should work for subresources: status and scale of a custom resource', async () => {
    const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } }, status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } } } } };
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } }] });
    const path = `/apis/${c.group}/v1/namespaces/default/${c.plural}`;
    const base = { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'sub' } };
    expect((await apply(`${path}/sub`, { ...base, spec: { replicas: 1 } }, 'apply_test')).status).toBe(201);
    const st = await apply(`${path}/sub/status`, { ...base, status: { phase: 'Running', replicas: 1 } }, 'apply_test_status');
    expect(st.status, st.text).toBe(200);
    expect(st.body.status).toEqual({ phase: 'Running', replicas: 1 });
    expect(st.body.spec).toEqual({ replicas: 1 });
    const owners = st.body.metadata.managedFields.map((m: { manager: string; subresource?: string }) => `${m.manager}/${m.subresource ?? ''}`);
    expect(owners).toEqual(['apply_test/', 'apply_test_status/status']);
    // spec.replicas belongs to apply_test: a Scale applied by another manager conflicts until forced.
    const scaleBody = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sub' }, spec: { replicas: 3 } };
    expect((await apply(`${path}/sub/scale`, scaleBody, 'apply_test_scale')).status).toBe(409);
    const sc = await apply(`${path}/sub/scale`, scaleBody, 'apply_test_scale', true);
    expect(sc.status, sc.text).toBe(200);
    expect([sc.body.kind, sc.body.spec.replicas]).toEqual(['Scale', 3]);
    const got = (await call('GET', `${path}/sub`)).body;
    expect(got.spec.replicas).toBe(3);
    const scaleEntry = got.metadata.managedFields.find((m: { manager: string }) => m.manager === 'apply_test_scale');
    expect([scaleEntry.operation, scaleEntry.subresource, scaleEntry.fieldsV1]).toEqual(['Apply', 'scale', { 'f:spec': { 'f:replicas': {} } }]);
    // spec.replicas now belongs to the scale applier: the first applier changing it conflicts...
    const conflict = await apply(`${path}/sub`, { ...base, spec: { replicas: 1 } }, 'apply_test');
    expect(conflict.status, conflict.text).toBe(409);
    // ...and a Scale of another version is refused; a patch of /scale is recorded as "scale" too.
    expect((await apply(`${path}/sub/scale`, { apiVersion: 'autoscaling/v2', kind: 'Scale', spec: { replicas: 2 } }, 'apply_test_scale')).status).toBe(400);
    const patched = await call('PATCH', `${path}/sub/scale?fieldManager=scaler`, { spec: { replicas: 4 } }, MERGE);
    expect([patched.status, patched.body.spec.replicas]).toEqual([200, 4]);
    const scaler = (await call('GET', `${path}/sub`)).body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'scaler');
    expect([scaler.operation, scaler.subresource]).toEqual(['Update', 'scale']);
  });

  it('should remove a field if it is owned but removed in the apply request', async () => {
    const body = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune' }, data });
    expect((await apply(cm('default', 'prune'), body({ a: '1', b: '2' }), 'apply_test')).status).toBe(201);
    const r = await apply(cm('default', 'prune'), body({ a: '1' }), 'apply_test');
    expect(r.body.data).toEqual({ a: '1' });
  });

  it('should not remove a field if an owner unsets the field but other managers still have ownership of the field', async () => {
    const body = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data });
    expect((await apply(cm('default', 'shared'), body({ a: '1', b: '2' }), 'apply_test')).status).toBe(201);
    // A second manager applies the same value of b: both own it, no conflict.
    expect((await apply(cm('default', 'shared'), body({ b: '2' }), 'shared_owner')).status).toBe(200);
    const r = await apply(cm('default', 'shared'), body({ a: '1' }), 'apply_test');
    expect(r.body.data).toEqual({ a: '1', b: '2' });
    const mf = r.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'apply_test');
    expect(Object.keys(mf.fieldsV1['f:data'])).toEqual(['f:a']);
  });

  it('should ignore conflict errors if force apply is used, and a controller forcing takes ownership', async () => {
    const body = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'forced' }, data });
    expect((await apply(cm('default', 'forced'), body({ replicas: '1' }), 'apply_test')).status).toBe(201);
    expect((await apply(cm('default', 'forced'), body({ replicas: '2' }), 'controller')).status).toBe(409);
    const forced = await apply(cm('default', 'forced'), body({ replicas: '2' }), 'controller', true);
    expect(forced.status, forced.text).toBe(200);
    expect(forced.body.data.replicas).toBe('2');
    const managers = forced.body.metadata.managedFields.filter((m: { fieldsV1: { 'f:data'?: object } }) => m.fieldsV1['f:data']).map((m: { manager: string }) => m.manager);
    expect(managers).toEqual(['controller']);
    // The first applier no longer owns replicas: dropping it from its configuration keeps it.
    const after = await apply(cm('default', 'forced'), { ...body({}), metadata: { name: 'forced', labels: { x: 'y' } } }, 'apply_test');
    expect(after.body.data).toEqual({ replicas: '2' });
  });

  it('should give up ownership of a field if forced applied by a controller (an update takes it)', async () => {
    const body = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'taken' }, data });
    expect((await apply(cm('default', 'taken'), body({ replicas: '3', image: 'a' }), 'test_applier')).status).toBe(201);
    const cur = (await call('GET', cm('default', 'taken'))).body;
    const upd = await call('PUT', `${cm('default', 'taken')}?fieldManager=controller`, { ...cur, data: { ...cur.data, replicas: '4' } });
    expect(upd.status, upd.text).toBe(200);
    // The applier omits replicas: the controller's value stays.
    const r = await apply(cm('default', 'taken'), body({ image: 'a' }), 'test_applier');
    expect([r.status, r.body.data]).toEqual([200, { replicas: '4', image: 'a' }]);
  });

  it('should work for CRDs: finalizers are a set, versions share one object, changed fields conflict', async () => {
    const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: {
      cronSpec: { type: 'string' },
      ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], items: { type: 'object', required: ['containerPort', 'protocol'], properties: { containerPort: { type: 'integer', format: 'int32' }, name: { type: 'string' }, protocol: { type: 'string' } } } },
    } } } } };
    const c = await createCrd({ scope: 'Cluster', versions: [{ name: 'v1beta1', served: true, storage: true, schema }, { name: 'v1', served: true, storage: false, schema }] });
    const at = (v: string) => `/apis/${c.group}/${v}/${c.plural}/mytest`;
    const yaml = (v: string, finalizers: boolean) => `apiVersion: ${c.group}/${v}\nkind: ${c.kind}\nmetadata:\n  name: mytest\n${finalizers ? '  finalizers:\n  - test-finalizer\n' : ''}spec:\n  cronSpec: "* * * * */5"\n  replicas: 1\n  ports:\n  - name: x\n    containerPort: 80\n    protocol: TCP\n`;
    const applyYaml = (v: string, body: string, force = false) => call('PATCH', `${at(v)}?fieldManager=apply_test${force ? '&force=true' : ''}`, body, APPLY);
    let r = await applyYaml('v1beta1', yaml('v1beta1', true));
    expect(r.status, r.text).toBe(201);
    expect([r.body.metadata.finalizers, r.body.spec.replicas, r.body.spec.ports.length]).toEqual([['test-finalizer'], 1, 1]);
    r = await applyYaml('v1', yaml('v1', false));
    expect(r.status, r.text).toBe(200);
    expect([r.body.spec.replicas, r.body.spec.ports.length]).toEqual([1, 1]);
    r = await call('PATCH', at('v1beta1'), { metadata: { finalizers: ['test-finalizer', 'another-one'] } }, MERGE);
    expect(r.body.metadata.finalizers).toEqual(['test-finalizer', 'another-one']);
    // finalizers are a set: re-applying the first configuration keeps the other manager's entry.
    r = await applyYaml('v1beta1', yaml('v1beta1', true));
    expect([r.status, r.body.metadata.finalizers]).toEqual([200, ['test-finalizer', 'another-one']]);
    r = await call('PATCH', at('v1beta1'), { spec: { replicas: 5 } }, MERGE);
    expect(r.body.spec.replicas).toBe(5);
    r = await applyYaml('v1beta1', yaml('v1beta1', true));
    expect(r.status).toBe(409);
    expect(r.body.details.causes.map((x: { field: string }) => x.field)).toEqual(['.spec.replicas']);
    r = await applyYaml('v1beta1', yaml('v1beta1', true), true);
    expect([r.status, r.body.spec.replicas]).toEqual([200, 1]);
    // Ports are a map keyed by containerPort and protocol: another applier changing an item it
    // does not own conflicts; adding an item of its own does not.
    const ports = (name: string, port: number) => `apiVersion: ${c.group}/v1beta1\nkind: ${c.kind}\nmetadata:\n  name: mytest\nspec:\n  ports:\n  - name: "${name}"\n    containerPort: ${port}\n    protocol: TCP\n`;
    r = await call('PATCH', `${at('v1beta1')}?fieldManager=apply_test_2`, ports('y', 80), APPLY);
    expect(r.status, r.text).toBe(409);
    expect(r.body.details.causes).toHaveLength(1);
    r = await call('PATCH', `${at('v1beta1')}?fieldManager=apply_test_2`, ports('y', 8080), APPLY);
    expect(r.status, r.text).toBe(200);
    expect(r.body.spec.ports.length).toBe(2);
    // An update of an object that does not exist does not create it.
    expect((await call('PUT', `/apis/${c.group}/v1beta1/${c.plural}/should-not-exist?fieldManager=apply_test`, { apiVersion: `${c.group}/v1beta1`, kind: c.kind, metadata: { name: 'should-not-exist' } })).status).toBe(404);
    expect((await call('PATCH', at('v1beta1'), { metadata: { finalizers: [] } }, MERGE)).status).toBe(200);
    // An atomic list is replaced whole by a forced apply of another manager.
    const atomic = await createCrd({ scope: 'Cluster', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { atomicList: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'string' } } } } } } } }] });
    const list = (item: string) => `apiVersion: ${atomic.group}/v1\nkind: ${atomic.kind}\nmetadata:\n  name: mytest\nspec:\n  atomicList:\n  - "${item}"\n`;
    const atomicAt = `/apis/${atomic.group}/v1/${atomic.plural}/mytest`;
    expect((await call('PATCH', `${atomicAt}?fieldManager=apply_test`, list('item1'), APPLY)).body.spec.atomicList).toEqual(['item1']);
    expect((await call('PATCH', `${atomicAt}?fieldManager=apply_test_2&force=true`, list('item2'), APPLY)).body.spec.atomicList).toEqual(['item2']);
  });
});

describe('discovery (apimachinery/discovery.go)', () => {
  it('should validate PreferredVersion for each APIGroup', async () => {
    const list = (await call('GET', '/apis')).body;
    expect(list.groups.length).toBeGreaterThan(3);
    for (const g of list.groups) {
      const one = await call('GET', `/apis/${g.name}`);
      expect(one.status, g.name).toBe(200);
      expect(one.body.preferredVersion, g.name).toEqual(g.preferredVersion);
      expect(g.versions.map((v: { groupVersion: string }) => v.groupVersion), g.name).toContain(g.preferredVersion.groupVersion);
    }
    const apps = list.groups.find((g: { name: string }) => g.name === 'apps');
    expect(apps.preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
  });

  it('should locate the groupVersion and a resource within each APIGroup', async () => {
    const list = (await call('GET', '/apis')).body;
    for (const g of list.groups) {
      for (const v of g.versions) {
        const rl = await call('GET', `/apis/${v.groupVersion}`);
        expect(rl.status, v.groupVersion).toBe(200);
        expect(rl.body.kind).toBe('APIResourceList');
        expect(rl.body.groupVersion).toBe(v.groupVersion);
        expect(rl.body.resources.length, v.groupVersion).toBeGreaterThan(0);
      }
    }
    const core = (await call('GET', '/api/v1')).body;
    expect(core.groupVersion).toBe('v1');
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['pods', 'configmaps', 'namespaces']));
  });

  it('should accurately determine present and missing resources', async () => {
    const apps = (await call('GET', '/apis/apps/v1')).body.resources.map((r: { name: string }) => r.name);
    expect(apps).toContain('daemonsets');
    expect(apps).not.toContain('bogus');
    expect((await call('GET', '/apis/apps/v1bogus')).status).toBe(404);
    expect((await call('GET', '/apis/bogus.example.com')).status).toBe(404);
    expect((await call('GET', '/apis/bogus.example.com/v1')).status).toBe(404);
  });
});

describe('aggregated discovery (apimachinery/aggregated_discovery.go)', () => {
  for (const v of ['v2', 'v2beta1']) {
    it(`serves /api and /apis as apidiscovery.k8s.io/${v} APIGroupDiscoveryList, with CRD resources`, async () => {
      const c = await createCrd();
      const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
      for (const p of ['/api', '/apis']) {
        const r = await call('GET', p, undefined, 'application/json', { accept: `${accept},application/json;q=0.9` });
        expect(r.status, p).toBe(200);
        expect(r.headers.get('content-type'), p).toContain(`g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
        expect([r.body.kind, r.body.apiVersion], p).toEqual(['APIGroupDiscoveryList', `apidiscovery.k8s.io/${v}`]);
      }
      const core = (await call('GET', '/api', undefined, 'application/json', { accept })).body;
      const coreRes = core.items[0].versions[0];
      expect(coreRes.version).toBe('v1');
      const pods = coreRes.resources.find((r: { resource: string }) => r.resource === 'pods');
      expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod' });
      expect(pods.subresources.map((s: { subresource: string }) => s.subresource)).toContain('status');
      const apis = (await call('GET', '/apis', undefined, 'application/json', { accept })).body;
      const g = apis.items.find((x: { metadata: { name: string } }) => x.metadata.name === c.group);
      expect(g, 'CRD group listed').toBeDefined();
      expect(g.versions[0].resources.map((r: { resource: string }) => r.resource)).toEqual([c.plural]);
      expect(g.versions[0].resources[0].responseKind).toEqual({ group: c.group, version: 'v1', kind: c.kind });
      const apps = apis.items.find((x: { metadata: { name: string } }) => x.metadata.name === 'apps');
      expect(apps.versions[0].resources.map((r: { resource: string }) => r.resource)).toContain('daemonsets');
      // Without the aggregated type the legacy documents stay.
      expect((await call('GET', '/apis')).body.kind).toBe('APIGroupList');
    });
  }

  it('tags each answer with an ETag (304 for a client that has it) that changes with the served kinds', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
    const first = await call('GET', '/apis', undefined, 'application/json', { accept });
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(first.headers.get('cache-control')).toBe('public');
    expect(first.headers.get('vary')).toBe('Accept');
    const cached = await call('GET', '/apis', undefined, 'application/json', { accept, 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect(cached.headers.get('etag')).toBe(etag);
    // /api has a tag of its own; a stale tag gets the document.
    const core = await call('GET', '/api', undefined, 'application/json', { accept });
    expect(core.headers.get('etag')).not.toBe(etag);
    expect((await call('GET', '/api', undefined, 'application/json', { accept, 'if-none-match': etag })).status).toBe(200);
    // A new CRD changes /apis, so the old tag no longer matches.
    await createCrd();
    await waitFor(async () => {
      const r = await call('GET', '/apis', undefined, 'application/json', { accept, 'if-none-match': etag });
      return r.status === 200 && r.headers.get('etag') !== etag ? r : undefined;
    }, { message: 'a new ETag for /apis after the CRD' });
  });
});

describe('/version and health (apimachinery/server_version.go, health_handlers.go)', () => {
  it('should find the server version', async () => {
    const v = (await call('GET', '/version')).body;
    expect(v.major).toMatch(/^\d+$/);
    expect(v.minor).toMatch(/^\d+\+?$/);
    expect(v.gitVersion).toMatch(new RegExp(`^v${v.major}\\.${v.minor.replace('+', '')}\\.`));
    expect(typeof v.goVersion === 'string' && typeof v.platform === 'string').toBe(true);
  });

  it('should contain necessary checks', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const r = await call('GET', `${p}?verbose=1`);
      expect(r.status, p).toBe(200);
      expect(r.text, p).toContain('[+]ping ok');
      expect(r.text, p).toContain('[+]log ok');
      expect(r.text.trim().endsWith(`${p.slice(1)} check passed`), r.text).toBe(true);
    }
    for (const p of ['/healthz', '/readyz']) expect((await call('GET', `${p}?verbose=1`)).text, p).toMatch(/\[\+\](etcd|store)\S* ok/);
  });
});

describe('unconditional updates (registry Store.Update, AllowUnconditionalUpdate)', () => {
  it('a PUT without a resourceVersion is refused for custom resources and CRDs, and taken for built-in kinds', async () => {
    const c = await createCrd({ versions: [{ name: 'v1', served: true, storage: true, schema: anySchema, subresources: { status: {} } }] });
    const path = `/apis/${c.group}/v1/namespaces/default/${c.plural}`;
    expect((await call('POST', path, { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'w1' }, spec: { size: 1 } })).status).toBe(201);
    const before = (await call('GET', `${path}/w1`)).body;

    const r = await call('PUT', `${path}/w1`, { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'w1' }, spec: { size: 2 } });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({
      reason: 'Invalid',
      message: `${c.plural}.${c.group} "w1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
      details: { name: 'w1', group: c.group, kind: c.plural, causes: [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion' }] },
    });
    // Its /status too; "0" is no version either; nothing changed.
    expect((await call('PUT', `${path}/w1/status`, { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'w1' }, status: { ok: true } })).status).toBe(422);
    expect((await call('PUT', `${path}/w1`, { apiVersion: `${c.group}/v1`, kind: c.kind, metadata: { name: 'w1', resourceVersion: '0' }, spec: { size: 2 } })).status).toBe(422);
    expect((await call('GET', `${path}/w1`)).body).toEqual(before);
    // With the version read, it is an update.
    const ok = await call('PUT', `${path}/w1`, { ...before, spec: { size: 2 } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.metadata.generation).toBe(2);

    const crdPath = `${CRDS}/${c.body.metadata.name}`;
    const crd = (await call('GET', crdPath)).body;
    const { resourceVersion: _rv, ...meta } = crd.metadata;
    const refused = await call('PUT', crdPath, { ...crd, metadata: meta });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.message).toBe(`customresourcedefinitions.apiextensions.k8s.io "${c.body.metadata.name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`);

    // A webhook configuration too (its upstream strategy disallows unconditional updates).
    const hooks = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    expect((await call('POST', hooks, { metadata: { name: 'unconditional' }, webhooks: [] })).status).toBe(201);
    const hook = await call('PUT', `${hooks}/unconditional`, { metadata: { name: 'unconditional', labels: { a: 'b' } }, webhooks: [] });
    expect(hook.status, hook.text).toBe(422);
    expect(hook.body.message).toBe('validatingwebhookconfigurations.admissionregistration.k8s.io "unconditional" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');

    // A Lease too: a blind PUT must not take a lock another holder renews.
    const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    expect((await call('POST', leases, { metadata: { name: 'unconditional' }, spec: { holderIdentity: 'a' } })).status).toBe(201);
    const lease = await call('PUT', `${leases}/unconditional`, { metadata: { name: 'unconditional' }, spec: { holderIdentity: 'thief' } });
    expect(lease.status, lease.text).toBe(422);
    expect(lease.body.message).toBe('leases.coordination.k8s.io "unconditional" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    expect((await call('GET', `${leases}/unconditional`)).body.spec.holderIdentity).toBe('a');

    // A ConfigMap (AllowUnconditionalUpdate true upstream) takes the same PUT.
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'unconditional' }, data: { a: '1' } })).status).toBe(201);
    const cm = await call('PUT', '/api/v1/namespaces/default/configmaps/unconditional', { metadata: { name: 'unconditional' }, data: { a: '2' } });
    expect(cm.status, cm.text).toBe(200);
    expect(cm.body.data).toEqual({ a: '2' });
  });

  it('a PUT of a missing object creates it (201) for the kinds upstream allows (AllowCreateOnUpdate), and is 404 for the others', async () => {
    const created = [
      ['/apis/coordination.k8s.io/v1/namespaces/default/leases/put-lease', { metadata: { name: 'put-lease' }, spec: { holderIdentity: 'x', leaseDurationSeconds: 5 } }],
      ['/api/v1/namespaces/default/endpoints/put-ep', { metadata: { name: 'put-ep' }, subsets: [] }],
      ['/api/v1/namespaces/default/events/put-ev', { metadata: { name: 'put-ev' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', message: 'm', type: 'Normal' }],
      ['/api/v1/namespaces/default/services/put-svc', { metadata: { name: 'put-svc' }, spec: { ports: [{ port: 80 }] } }],
      ['/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/put-role', { metadata: { name: 'put-role', resourceVersion: '12345' }, rules: [] }],
      ['/apis/rbac.authorization.k8s.io/v1/clusterroles/put-clusterrole', { metadata: { name: 'put-clusterrole' }, rules: [] }],
    ] as const;
    for (const [path, body] of created) {
      const r = await call('PUT', path, body);
      expect(r.status, `${path}: ${r.text}`).toBe(201);
      expect(r.body.metadata.uid, path).toBeTruthy();
      // Then it is an update (the Lease's needs its version).
      const again = await call('PUT', path, { ...body, metadata: { ...body.metadata, resourceVersion: r.body.metadata.resourceVersion } });
      expect(again.status, `${path}: ${again.text}`).toBe(200);
    }
    expect((await call('GET', '/api/v1/namespaces/default/services/put-svc')).body.spec.clusterIP).toBeTruthy();
    // Validated as a create: a bad one is 422 and nothing is made.
    const bad = await call('PUT', '/api/v1/namespaces/default/services/put-bad', { metadata: { name: 'put-bad' }, spec: { ports: [{ port: 0 }] } });
    expect(bad.status, bad.text).toBe(422);
    expect((await call('GET', '/api/v1/namespaces/default/services/put-bad')).status).toBe(404);
    // A dry run makes nothing; a missing namespace is its own 404.
    expect((await call('PUT', '/api/v1/namespaces/default/endpoints/put-dry?dryRun=All', { metadata: { name: 'put-dry' } })).status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/endpoints/put-dry')).status).toBe(404);
    expect((await call('PUT', '/api/v1/namespaces/nowhere/endpoints/x', { metadata: { name: 'x' } })).body.message).toBe('namespaces "nowhere" not found');
    // Kinds that do not allow it: 404.
    for (const path of ['/api/v1/namespaces/default/configmaps/put-cm', '/apis/apps/v1/namespaces/default/daemonsets/put-ds', '/api/v1/namespaces/default/pods/put-pod']) {
      expect((await call('PUT', path, { metadata: { name: path.split('/').at(-1) } })).status, path).toBe(404);
    }
  });
});
