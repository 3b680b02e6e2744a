// CRD validation rules (x-kubernetes-validations, CEL) against a real server (SQLite file store,
// real HTTPS): a CRD whose rule does not compile is refused at create with the path of the rule;
// custom resources are held to the rules on create, update and /status with upstream's messages
// (message, messageExpression, `failed rule: ...`), field paths (fieldPath, the root's `<nil>`)
// and reasons; transition rules (oldSelf) judge updates only; rules are skipped when the object
// already has errors they could trip over; nothing refused is stored.
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
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

const schema = {
  type: 'object',
  'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('route-')", message: 'name must start with route-' }],
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.replicas', messageExpression: "'replicas (' + string(self.replicas) + ') must be at least minReplicas (' + string(self.minReplicas) + ')'" },
        { rule: '!has(self.port) || self.port > 0', fieldPath: '.port', reason: 'FieldValueForbidden', message: 'port must be positive' },
      ],
      required: ['replicas', 'minReplicas'],
      properties: {
        replicas: { type: 'integer' },
        minReplicas: { type: 'integer' },
        port: { type: 'integer' },
        class: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }] },
        backends: {
          type: 'array',
          maxItems: 16,
          'x-kubernetes-validations': [{ rule: "self.all(b, b.kind == 'Service')" }],
          items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' } } },
        },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.ready >= 0', message: 'ready may not be negative' }] },
  },
};

const crd = (name: string, openAPIV3Schema: unknown) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${name}s.rules.example` },
  spec: {
    group: 'rules.example',
    names: { plural: `${name}s`, kind: name[0]!.toUpperCase() + name.slice(1) },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema }, subresources: { status: {} } }],
  },
});
const routes = '/apis/rules.example/v1/namespaces/default/routes';
const route = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'rules.example/v1', kind: 'Route', metadata: { name }, spec });

beforeAll(async () => {
  server = await startServer({ dataDir: makeTempDir(cleanup, 'crd-rules'), listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
  const created = await call('POST', CRDS, crd('route', schema));
  expect(created.status, created.text).toBe(201);
  await waitFor(async () => ((await call('GET', '/apis/rules.example/v1')).status === 200 ? true : undefined), { message: 'discovery of rules.example/v1' });
});
afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

/** The causes of a 422 as `field: message` lines. */
const causes = (r: { body: { details?: { causes?: { field: string; message: string }[] } } }) => (r.body.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);

describe('CRD validation rules', () => {
  it('refuses a CRD whose rule does not compile, naming the rule, and stores nothing', async () => {
    const bad = { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.n > ' }, { rule: "self.missing == 'x'" }] } } };
    const r = await call('POST', CRDS, crd('broken', bad));
    expect(r.status, r.text).toBe(422);
    const fields = (r.body.details?.causes ?? []).map((c: { field: string }) => c.field);
    expect(fields).toEqual([
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].rule',
    ].map((f) => f.replace('spec.validation.', 'spec.versions[0].schema.')));
    expect(r.body.message).toContain('compilation failed');
    expect(r.body.message).toContain("undefined field 'missing'");
    expect((await call('GET', `${CRDS}/brokens.rules.example`)).status).toBe(404);
  });

  it('holds a custom resource to its rules on create, with upstream\'s messages, paths and reasons', async () => {
    const ok = await call('POST', routes, route('route-a', { replicas: 3, minReplicas: 1, port: 80, class: 'gold', backends: [{ kind: 'Service', name: 'web' }] }));
    expect(ok.status, ok.text).toBe(201);
    const r = await call('POST', routes, route('other', { replicas: 1, minReplicas: 2, port: -1, backends: [{ kind: 'Pod', name: 'x' }] }));
    expect(r.status, r.text).toBe(422);
    expect(causes(r)).toEqual([
      '<nil>: Invalid value: "object": name must start with route-',
      'spec: Invalid value: "object": replicas (1) must be at least minReplicas (2)',
      'spec.port: Forbidden: port must be positive',
      "spec.backends: Invalid value: \"array\": failed rule: self.all(b, b.kind == 'Service')",
    ]);
    expect(r.body.message).toMatch(/^Route\.rules\.example "other" is invalid: \[/);
    expect((await call('GET', `${routes}/other`)).status).toBe(404);
  });

  it('judges transition rules on update only, and lets an unchanged old violation through with a warning', async () => {
    const cur = (await call('GET', `${routes}/route-a`)).body;
    const changed = await call('PUT', `${routes}/route-a`, { ...cur, spec: { ...cur.spec, class: 'silver' } });
    expect(changed.status, changed.text).toBe(422);
    expect(causes(changed)).toEqual(['spec.class: Invalid value: "string": Value is immutable']);
    const relabeled = await call('PUT', `${routes}/route-a`, { ...cur, metadata: { ...cur.metadata, labels: { tier: 'edge' } } });
    expect(relabeled.status, relabeled.text).toBe(200);
    expect(relabeled.body.metadata.labels).toEqual({ tier: 'edge' });
  });

  it('checks /status against the status rules', async () => {
    const cur = (await call('GET', `${routes}/route-a`)).body;
    const bad = await call('PUT', `${routes}/route-a/status`, { ...cur, status: { ready: -1 } });
    expect(bad.status, bad.text).toBe(422);
    expect(causes(bad)).toEqual(['status: Invalid value: "object": ready may not be negative']);
    const good = await call('PUT', `${routes}/route-a/status`, { ...cur, status: { ready: 2 } });
    expect(good.status, good.text).toBe(200);
  });

  it('reports a value of the wrong type with the object\'s other errors and the rules not run', async () => {
    const backends = Array.from({ length: 17 }, (_, i) => ({ kind: 'Service', name: `b${i}` }));
    const r = await call('POST', routes, route('route-typed', { replicas: 'three', minReplicas: 1, backends }));
    expect(r.status, r.text).toBe(422);
    expect(causes(r)).toEqual([
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      'spec.backends: Too many: 17: must have at most 16 items',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('says nothing of rules for a schema that has none', async () => {
    const plainSchema = { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer' }, name: { type: 'string', maxLength: 3 } } } } };
    expect((await call('POST', CRDS, crd('plain', plainSchema))).status).toBe(201);
    await waitFor(async () => ((await call('GET', '/apis/rules.example/v1/plains')).status === 200 ? true : undefined), { message: 'plains served' });
    const r = await call('POST', '/apis/rules.example/v1/namespaces/default/plains', { apiVersion: 'rules.example/v1', kind: 'Plain', metadata: { name: 'p' }, spec: { name: 'long' } });
    expect(r.status, r.text).toBe(422);
    expect(causes(r)).toEqual(['spec.size: Required value', 'spec.name: Too long: may not be more than 3 bytes']);
    const typed = await call('POST', '/apis/rules.example/v1/namespaces/default/plains', { apiVersion: 'rules.example/v1', kind: 'Plain', metadata: { name: 'q' }, spec: { size: 'x' } });
    expect(causes(typed)).toEqual(['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"']);
  });

  it('does not run the rules over an object that already has errors they could trip over', async () => {
    const r = await call('POST', routes, route('route-missing', { replicas: 2 }));
    expect(r.status, r.text).toBe(422);
    expect(causes(r)).toEqual([
      'spec.minReplicas: Required value',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
});
