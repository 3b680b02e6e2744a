// CRDs and status writes the validation campaign found accepted where upstream refuses them,
// over real HTTPS against a real server: schemas nested deeper than everynode validates (422 at
// the level where they go too deep) and deep ones within the limit (their custom resources
// checked to the last level, values below x-kubernetes-preserve-unknown-fields as deep as a
// body may be); schema fields of the wrong Go type (400, as upstream decodes them); kind and
// listKind the same, list types and printer columns; negative counts in the status of
// ReplicaSets, ReplicationControllers and PodDisruptionBudgets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromKubeconfig, registerServer } from '../helpers/auth.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { apiCaller } from '../helpers/http.js';
import { maxSchemaDepth } from '../../src/api/validation/custom-resource.js';

const cleanup = new Cleanup();
let server: RunningServer;
const call = apiCaller(() => server.url);
const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const at = 'spec.versions[0].schema.openAPIV3Schema';

/** A schema `levels` objects deep (`.properties.a` each) ending in `leaf`, and a value to match. */
function nested(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let s = leaf;
  for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
  return s;
}
function deepValue(levels: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function crd(plural: string, kind: string, openAPIV3Schema: unknown, names: Record<string, unknown> = {}, version: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.limits.example.com` },
    spec: {
      group: 'limits.example.com',
      scope: 'Namespaced',
      names: { plural, kind, ...names },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema }, ...version }],
    },
  };
}

beforeAll(async () => {
  const dataDir = makeTempDir(cleanup, 'crd-validation-limits');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
});

afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

describe('CRD schemas nested deeply', () => {
  it('a schema deeper than the limit is refused where it goes too deep; within it, it is validated to its leaves', async () => {
    const tooDeep = await call('POST', crds, crd('toodeeps', 'TooDeep', { type: 'object', properties: { spec: nested(maxSchemaDepth, { type: 'string' }) } }));
    expect(tooDeep.status, tooDeep.text).toBe(422);
    expect(tooDeep.body.message).toBe(`CustomResourceDefinition.apiextensions.k8s.io "toodeeps.limits.example.com" is invalid: ${at}.properties[spec]${'.properties[a]'.repeat(maxSchemaDepth)}: Forbidden: must not be nested more than ${maxSchemaDepth} levels deep`);
    const bogus = await call('POST', crds, crd('bogusleaves', 'BogusLeaf', nested(70, { type: 'bogus' })));
    expect(bogus.status, bogus.text).toBe(422);
    expect(bogus.body.message).toContain(`${at}${'.properties[a]'.repeat(70)}.type: Unsupported value: "bogus"`);
    const pattern = await call('POST', crds, crd('badpatterns', 'BadPattern', nested(70, { type: 'string', pattern: '((' })));
    expect(pattern.status, pattern.text).toBe(422);
    expect(pattern.body.message).toContain(`${at}${'.properties[a]'.repeat(70)}.pattern: Invalid value: "(("`);
  });

  it('custom resources are checked to the deepest level of their schema, and may nest deeper below x-kubernetes-preserve-unknown-fields', async () => {
    const schema = {
      type: 'object',
      properties: {
        spec: nested(100, { type: 'object', properties: { n: { type: 'integer', minimum: 1 }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }),
      },
    };
    const created = await call('POST', crds, crd('deeps', 'Deep', schema));
    expect(created.status, created.text).toBe(201);
    const base = '/apis/limits.example.com/v1/namespaces/default/deeps';
    await waitFor(async () => (await call('GET', base)).status === 200, { message: 'deeps served' });
    const deep = (name: string, leaf: unknown) => ({ apiVersion: 'limits.example.com/v1', kind: 'Deep', metadata: { name }, spec: deepValue(100, leaf) });
    const path = `spec${'.a'.repeat(100)}`;

    const small = await call('POST', base, deep('small', { n: 0 }));
    expect(small.status, small.text).toBe(422);
    expect(small.body.message).toContain(`${path}.n: Invalid value: 0: ${path}.n in body should be greater than or equal to 1`);
    const typed = await call('POST', base, deep('typed', { n: 'one' }));
    expect(typed.status, typed.text).toBe(422);
    expect(typed.body.message).toContain(`${path}.n in body must be of type integer: "string"`);
    const pruned = await call('POST', `${base}?fieldValidation=Strict`, deep('pruned', { n: 1, extra: 1 }));
    expect(pruned.status, pruned.text).toBe(400);
    expect(pruned.body.message).toContain(`unknown field "${path}.extra"`);

    // 100 schema levels (200 JSON levels) and 240 more of free-form value: 447 in all, within
    // the 512 a body may nest.
    const free = deepValue(120, { x: [deepValue(118, 'end')] });
    const ok = await call('POST', base, deep('free', { n: 1, free }));
    expect(ok.status, ok.text).toBe(201);
    expect((await call('GET', `${base}/free`)).body.spec).toEqual(deepValue(100, { n: 1, free }));
    const patched = await call('PATCH', `${base}/free`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(patched.status, patched.text).toBe(200);
    // An apply body is YAML, which may nest 256 levels: 205 of schema and 40 of free value.
    const freeApplied = deepValue(40, 'end');
    const applied = await call('PATCH', `${base}/applied?fieldManager=test`, deep('applied', { n: 2, free: freeApplied }), 'application/apply-patch+yaml');
    expect(applied.status, applied.text).toBe(201);
    expect(applied.body.spec).toEqual(deepValue(100, { n: 2, free: freeApplied }));
    const refused = await call('PATCH', `${base}/applied?fieldManager=test&force=true`, deep('applied', { n: 0, free: freeApplied }), 'application/apply-patch+yaml');
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.message).toContain(`${path}.n in body should be greater than or equal to 1`);
  });
});

describe('CRDs upstream refuses', () => {
  it('a non-string in `required` does not decode: 400 in upstream\'s words', async () => {
    const r = await call('POST', crds, crd('requireds', 'Required', { type: 'object', properties: { spec: { type: 'object', required: ['a', 1], properties: { a: { type: 'string' } } } } }));
    expect(r.status, r.text).toBe(400);
    expect(r.body.message).toBe('CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: json: cannot unmarshal number into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.required of type string');
  });

  it('a /status subresource that is not an object does not decode either, and nothing is stored', async () => {
    for (const status of ['x', true, 5, ['x']]) {
      const r = await call('POST', crds, crd('statuses', 'Status', { type: 'object' }, {}, { subresources: { status } }));
      expect(r.status, r.text).toBe(400);
      expect(r.body.message).toMatch(/^CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: json: cannot unmarshal \w+ into Go struct field CustomResourceSubresources\.spec\.versions\.subresources\.status of type v1\.CustomResourceSubresourceStatus$/);
    }
    expect((await call('GET', `${crds}/statuses.limits.example.com`)).status).toBe(404);
  });

  it('kind and listKind the same, embedded resources that are not objects, map lists without keys, printer columns of other types or paths', async () => {
    const same = await call('POST', crds, crd('sames', 'Same', { type: 'object' }, { listKind: 'Same' }));
    expect(same.status, same.text).toBe(422);
    expect(same.body.message).toBe('CustomResourceDefinition.apiextensions.k8s.io "sames.limits.example.com" is invalid: spec.names.listKind: Invalid value: "Same": kind and listKind may not be the same');
    const embedded = await call('POST', crds, crd('embeddeds', 'Embedded', { type: 'object', properties: { e: { type: 'string', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } }));
    expect(embedded.status, embedded.text).toBe(422);
    expect(embedded.body.message).toContain(`${at}.properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`);
    const mapList = await call('POST', crds, crd('maplists', 'MapList', { type: 'object', properties: { l: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { k: { type: 'string' } } } } } }));
    expect(mapList.status, mapList.text).toBe(422);
    expect(mapList.body.message).toContain(`${at}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`);
    const columns = await call('POST', crds, crd('columns', 'Column', { type: 'object' }, {}, { additionalPrinterColumns: [{ name: 'A', type: 'object', jsonPath: '.spec' }, { name: 'B', type: 'string', jsonPath: 'spec.b' }] }));
    expect(columns.status, columns.text).toBe(422);
    expect(columns.body.message).toBe('CustomResourceDefinition.apiextensions.k8s.io "columns.limits.example.com" is invalid: [spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "object": must be one of boolean,date,integer,number,string, spec.versions[0].additionalPrinterColumns[1].JSONPath: Invalid value: "spec.b": must be a simple json path starting with .]');
  });
});

describe('status writes with negative counts', () => {
  const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const negative = (f: string, v: number) => `status.${f}: Invalid value: ${v}: must be greater than or equal to 0`;

  it('a ReplicaSet\'s, a ReplicationController\'s and a PodDisruptionBudget\'s status is refused with 422', async () => {
    const rs = await call('POST', '/apis/apps/v1/namespaces/default/replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template } });
    expect(rs.status, rs.text).toBe(201);
    const badRs = await call('PATCH', '/apis/apps/v1/namespaces/default/replicasets/rs/status', { status: { replicas: -5, observedGeneration: -1 } }, 'application/merge-patch+json');
    expect(badRs.status, badRs.text).toBe(422);
    expect(badRs.body.message).toContain(negative('replicas', -5));
    expect(badRs.body.message).toContain(negative('observedGeneration', -1));
    const goodRs = await call('PATCH', '/apis/apps/v1/namespaces/default/replicasets/rs/status', { status: { replicas: 2, readyReplicas: 1, observedGeneration: 1 } }, 'application/merge-patch+json');
    expect(goodRs.status, goodRs.text).toBe(200);

    const rc = await call('POST', '/api/v1/namespaces/default/replicationcontrollers', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { replicas: 0, selector: { app: 'x' }, template } });
    expect(rc.status, rc.text).toBe(201);
    const badRc = await call('PATCH', '/api/v1/namespaces/default/replicationcontrollers/rc/status', { status: { replicas: 1, readyReplicas: -1 } }, 'application/merge-patch+json');
    expect(badRc.status, badRc.text).toBe(422);
    expect(badRc.body.message).toContain(negative('readyReplicas', -1));

    const pdb = await call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'nothing-here' } } } });
    expect(pdb.status, pdb.text).toBe(201);
    const badPdb = await call('PATCH', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb/status', { status: { disruptionsAllowed: -1, expectedPods: -2 } }, 'application/merge-patch+json');
    expect(badPdb.status, badPdb.text).toBe(422);
    expect(badPdb.body.message).toContain(negative('disruptionsAllowed', -1));
    expect(badPdb.body.message).toContain(negative('expectedPods', -2));
  });
});
