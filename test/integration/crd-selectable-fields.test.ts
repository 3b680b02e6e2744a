// CRD selectableFields (GA in 1.32) against a real server (SQLite, HTTPS): a CRD version's
// selectable fields are accepted as field selector labels of that version's lists and watches
// and compared as upstream renders them; other labels are refused with upstream's custom
// resource message; a CRD naming an unusable field is refused with the field's path; where
// kubectl is on PATH, `kubectl get --field-selector` on such a kind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { credentialsFromKubeconfig, registerServer } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { apiCaller } from '../helpers/http.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { openWireWatch } from '../helpers/watch.js';

const cleanup = new Cleanup();
let dataDir = '';
let server: RunningServer;
const call = apiCaller(() => server.url);

const schema = {
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] }, size: { type: 'integer' }, on: { type: 'boolean' }, ratio: { type: 'number' } } },
  },
};
const crd = (selectableFields: unknown[], v1beta1Fields: unknown[] = []) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'gadgets', kind: 'Gadget' },
    scope: 'Namespaced',
    versions: [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema }, selectableFields },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: schema }, selectableFields: v1beta1Fields },
    ],
  },
});
const gadgets = '/apis/example.com/v1/namespaces/default/gadgets';
const names = (r: { body: any }) => (r.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name).sort();

beforeAll(async () => {
  dataDir = makeTempDir(cleanup, 'crd-selectable-fields');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
  const made = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd([{ jsonPath: '.spec.color' }, { jsonPath: '.spec.size' }, { jsonPath: '.spec.on' }]));
  expect(made.status, made.text).toBe(201);
  await waitFor(async () => (await call('GET', gadgets)).status === 200, { message: 'gadgets served' });
  for (const [name, spec] of [
    ['red-3', { color: 'red', size: 3, on: true }],
    ['blue-3', { color: 'blue', size: 3, on: false }],
    ['blue-7', { color: 'blue', size: 7 }],
    ['bare', {}],
  ] as const) {
    const r = await call('POST', gadgets, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name }, spec });
    expect(r.status, r.text).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

describe('CRD selectableFields', () => {
  it('lists select by them, with values as upstream renders them and absent fields as empty', async () => {
    const q = async (sel: string) => names(await call('GET', `${gadgets}?fieldSelector=${encodeURIComponent(sel)}`));
    expect(await q('spec.color=blue')).toEqual(['blue-3', 'blue-7']);
    expect(await q('spec.color=blue,spec.size=3')).toEqual(['blue-3']);
    expect(await q('spec.on=true')).toEqual(['red-3']);
    expect(await q('spec.on!=true')).toEqual(['bare', 'blue-3', 'blue-7']);
    expect(await q('spec.color=')).toEqual(['bare']);
    expect(await q('metadata.name=blue-7,spec.size=7')).toEqual(['blue-7']);
  });

  it('refuses other labels, and those of another version, with upstream\'s message', async () => {
    const r = await call('GET', `${gadgets}?fieldSelector=spec.ratio%3D1`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.ratio' });
    // v1beta1 names none of them.
    const beta = await call('GET', '/apis/example.com/v1beta1/namespaces/default/gadgets?fieldSelector=spec.color%3Dblue');
    expect(beta.status).toBe(400);
    expect(beta.body.message).toBe('field label not supported: spec.color');
  });

  it('a watch selects by them too: an object leaving the selection is a DELETED for it', async () => {
    const list = await call('GET', gadgets);
    const watch = await openWireWatch(cleanup, server.url, `${gadgets}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}&fieldSelector=spec.color%3Dred`);
    expect(watch.status).toBe(200);
    const cur = (await call('GET', `${gadgets}/red-3`)).body;
    const upd = await call('PUT', `${gadgets}/red-3`, { ...cur, spec: { ...cur.spec, color: 'blue' } });
    expect(upd.status, upd.text).toBe(200);
    await waitFor(() => watch.events.some((e) => e.type === 'DELETED'), { message: 'a DELETED for the gadget that left the selection' });
    expect(watch.events.map((e) => [e.type, (e.object as { metadata: { name: string } }).metadata.name])).toEqual([['DELETED', 'red-3']]);
    const back = await call('PUT', `${gadgets}/red-3`, { ...upd.body, spec: { ...upd.body.spec, color: 'red' } });
    expect(back.status, back.text).toBe(200);
    await waitFor(() => watch.events.length === 2, { message: 'an ADDED for the gadget that came back' });
    expect(watch.events[1]!.type).toBe('ADDED');
  });

  it('a CRD naming a field that cannot be selected is refused with its path', async () => {
    const cur = (await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com')).body;
    const bad = await call('PUT', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com', { ...cur, spec: { ...cur.spec, versions: cur.spec.versions.map((v: any, i: number) => (i === 0 ? { ...v, selectableFields: [...v.selectableFields, { jsonPath: '.spec.ratio' }, { jsonPath: '.metadata.name' }] } : v)) } });
    expect(bad.status).toBe(422);
    const causes = (bad.body.details.causes as Array<{ field: string; message: string }>).map((c) => [c.field, c.message]);
    expect(causes).toEqual([
      ['spec.versions[0].selectableFields[3].jsonPath', 'Invalid value: ".spec.ratio": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'],
      ['spec.versions[0].selectableFields[4].jsonPath', 'Invalid value: ".metadata.name": is an invalid path: does not refer to a valid field'],
    ]);
  });

  it.skipIf(!kubectlAvailable())('kubectl get --field-selector on the kind (needs kubectl on PATH)', async () => {
    const r = await runKubectl({ kubeconfig: server.kubeconfigPath, cacheDir: join(dataDir, 'kubectl-cache') }, ['get', 'gadgets', '--field-selector', 'spec.size=7', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('gadget.example.com/blue-7\n');
  });
});
