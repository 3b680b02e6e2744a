// Differences from a real API server found by a review with @kubernetes/client-node, checked on
// the wire against the real server (startTestServer: HTTPS, a real store):
// - server-side apply drops a manager whose field set became empty (structured-merge-diff);
// - invalid dryRun / propagationPolicy are 422 Invalid on the options kind with upstream's
//   `<Kind>.meta.k8s.io "" is invalid: ` prefix and details, like an invalid fieldValidation;
// - a GET of one object at a resourceVersion the store has not reached waits for it (~3 s),
//   then answers 504 Timeout with Retry-After, as a list does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/api/types.js';
import { apiClients, apiFailure, asStatus, Cleanup, httpRequest, startTestServer, type ApiClients, type HttpAnswer } from '../helpers/index.js';

const NS = 'default';
const APPLY = 'application/apply-patch+yaml';
const MERGE = 'application/merge-patch+json';
const cleanup = new Cleanup();
let base = '';
let api: ApiClients;
const cms = (name = '') => `${base}/api/v1/namespaces/${NS}/configmaps${name ? `/${name}` : ''}`;

beforeAll(async () => {
  const ts = await startTestServer(cleanup);
  base = ts.server.url;
  api = apiClients(ts.server.kubeconfigPath);
});
afterAll(() => cleanup.run());

function expectStatus(res: HttpAnswer, code: number, reason: string): Status {
  expect(res.status, res.text.slice(0, 500)).toBe(code);
  const st = asStatus(res.json);
  expect(st, `a metav1.Status body, got: ${res.text.slice(0, 300)}`).toBeDefined();
  expect(st).toMatchObject({ status: 'Failure', code, reason });
  return st!;
}

async function createCm(name: string, data: Record<string, string> = { k: 'v' }): Promise<{ metadata: { resourceVersion: string } }> {
  const res = await httpRequest(cms(), { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }) });
  expect(res.status, res.text).toBe(201);
  return res.json as { metadata: { resourceVersion: string } };
}

describe('server-side apply: a manager that owns nothing any more', () => {
  it('is dropped from managedFields once another manager forced its only field away', async () => {
    const cfg = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-takeover\n  namespace: ${NS}\ndata:\n  key: "${v}"\n`;
    const first = await httpRequest(`${cms('ssa-takeover')}?fieldManager=mgr1`, { method: 'PATCH', body: cfg('one'), contentType: APPLY });
    expect(first.status, first.text).toBe(201);
    expect((first.json as any).metadata.managedFields.map((e: any) => e.manager)).toEqual(['mgr1']);

    // Without force, mgr2 conflicts with mgr1 on the field.
    const conflict = await httpRequest(`${cms('ssa-takeover')}?fieldManager=mgr2`, { method: 'PATCH', body: cfg('two'), contentType: APPLY });
    expectStatus(conflict, 409, 'Conflict');

    const forced = await httpRequest(`${cms('ssa-takeover')}?fieldManager=mgr2&force=true`, { method: 'PATCH', body: cfg('two'), contentType: APPLY });
    expect(forced.status, forced.text).toBe(200);
    const entries = (forced.json as any).metadata.managedFields as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ manager: 'mgr2', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key': {} } } });
    // The stored object says the same.
    const got = await httpRequest(cms('ssa-takeover'));
    expect(((got.json as any).metadata.managedFields as any[]).map((e) => e.manager)).toEqual(['mgr2']);
  });

  it('an Update manager whose field a later write took over is dropped too', async () => {
    const cfg = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-update\n  namespace: ${NS}\ndata:\n  a: "1"\n`;
    expect((await httpRequest(`${cms('ssa-update')}?fieldManager=applier`, { method: 'PATCH', body: cfg, contentType: APPLY })).status).toBe(201);
    const e1 = await httpRequest(`${cms('ssa-update')}?fieldManager=editor1`, { method: 'PATCH', body: JSON.stringify({ data: { b: '1' } }), contentType: MERGE });
    expect(((e1.json as any).metadata.managedFields as any[]).map((e) => e.manager)).toEqual(['applier', 'editor1']);
    const e2 = await httpRequest(`${cms('ssa-update')}?fieldManager=editor2`, { method: 'PATCH', body: JSON.stringify({ data: { b: '2' } }), contentType: MERGE });
    expect(((e2.json as any).metadata.managedFields as any[]).map((e) => e.manager)).toEqual(['applier', 'editor2']);
  });
});

describe('invalid write and delete options: 422 on the options kind, with details', () => {
  const supportedDryRun = 'Unsupported value: ["Foo"]: supported values: "All"';

  it('dryRun=Foo on a create, an update, a patch and a delete', async () => {
    const cm = await createCm('opts');
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts', resourceVersion: cm.metadata.resourceVersion }, data: { k: 'w' } });
    const cases: Array<[string, Promise<HttpAnswer>]> = [
      ['CreateOptions', httpRequest(`${cms()}?dryRun=Foo`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'opts-new' } }) })],
      ['UpdateOptions', httpRequest(`${cms('opts')}?dryRun=Foo`, { method: 'PUT', body })],
      ['PatchOptions', httpRequest(`${cms('opts')}?dryRun=Foo`, { method: 'PATCH', body: JSON.stringify({ data: { k: 'x' } }), contentType: MERGE })],
      ['DeleteOptions', httpRequest(`${cms('opts')}?dryRun=Foo`, { method: 'DELETE' })],
    ];
    for (const [kind, p] of cases) {
      const st = expectStatus(await p, 422, 'Invalid');
      expect(st.message, kind).toBe(`${kind}.meta.k8s.io "" is invalid: dryRun: ${supportedDryRun}`);
      expect(st.details, kind).toEqual({ group: 'meta.k8s.io', kind, causes: [{ reason: 'FieldValueNotSupported', message: supportedDryRun, field: 'dryRun' }] });
    }
    // Nothing was written.
    expect((await httpRequest(cms('opts-new'))).status).toBe(404);
    expect(((await httpRequest(cms('opts'))).json as any).data).toEqual({ k: 'v' });
  });

  it('an invalid propagationPolicy has the details an invalid fieldValidation has', async () => {
    await createCm('opts-del');
    const st = expectStatus(await httpRequest(`${cms('opts-del')}?propagationPolicy=Sideways`, { method: 'DELETE' }), 422, 'Invalid');
    const detail = 'Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"';
    expect(st.message).toBe(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: ${detail}`);
    expect(st.details).toEqual({ group: 'meta.k8s.io', kind: 'DeleteOptions', causes: [{ reason: 'FieldValueNotSupported', message: detail, field: 'propagationPolicy' }] });
    // In the body (kubectl) as well.
    const inBody = expectStatus(await httpRequest(cms('opts-del'), { method: 'DELETE', body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Sideways' }) }), 422, 'Invalid');
    expect(inBody.details).toMatchObject({ group: 'meta.k8s.io', kind: 'DeleteOptions' });
    expect((await httpRequest(cms('opts-del'))).status).toBe(200);

    // The shape every one of these shares with fieldValidation's.
    const fv = expectStatus(await httpRequest(`${cms()}?fieldValidation=Loose`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }) }), 422, 'Invalid');
    expect(Object.keys(fv.details!).sort()).toEqual(Object.keys(st.details!).sort());
  });

  it('client-node sees the Status with its details', async () => {
    const failure = await apiFailure(api.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cn-opts' } }, dryRun: 'Foo' }));
    expect(failure.code).toBe(422);
    expect(failure.status?.message).toBe(`CreateOptions.meta.k8s.io "" is invalid: dryRun: ${supportedDryRun}`);
    expect(failure.status?.details).toMatchObject({ group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun' }] });
    const del = await apiFailure(api.core.deleteNamespacedConfigMap({ namespace: NS, name: 'opts-del', propagationPolicy: 'Sideways' }));
    expect(del.code).toBe(422);
    expect(del.status?.details).toMatchObject({ group: 'meta.k8s.io', kind: 'DeleteOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy' }] });
  });
});

describe('GET of one object at a resourceVersion', () => {
  it('newer than the store: waits about 3 s, then 504 Too large resource version with Retry-After', async () => {
    const cm = await createCm('rv-get');
    const head = Number(cm.metadata.resourceVersion);
    const started = Date.now();
    const res = await httpRequest(`${cms('rv-get')}?resourceVersion=${head + 1000}`);
    const elapsed = Date.now() - started;
    const st = expectStatus(res, 504, 'Timeout');
    expect(elapsed).toBeGreaterThanOrEqual(2900);
    expect(st.message).toMatch(new RegExp(`^Timeout: Too large resource version: ${head + 1000}, current: \\d+$`));
    expect(st.details).toMatchObject({ retryAfterSeconds: 1, causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('a revision reached while the GET waits is served', async () => {
    const cm = await createCm('rv-wait');
    const head = Number(cm.metadata.resourceVersion);
    const waiting = httpRequest(`${cms('rv-wait')}?resourceVersion=${head + 3}`);
    let rv = head;
    for (let i = 0; rv < head + 3; i++) rv = Number((await createCm(`rv-wait-fill-${i}`)).metadata.resourceVersion);
    const served = await waiting;
    expect(served.status, served.text).toBe(200);
    expect((served.json as any).metadata.name).toBe('rv-wait');
  });

  it('"0", empty, not newer: served at once; not a number: 400', async () => {
    const cm = await createCm('rv-now');
    for (const rv of ['0', '', cm.metadata.resourceVersion, '1']) {
      const started = Date.now();
      const res = await httpRequest(`${cms('rv-now')}?resourceVersion=${rv}`);
      expect(res.status, `resourceVersion=${rv}: ${res.text}`).toBe(200);
      expect(Date.now() - started, `resourceVersion=${rv}`).toBeLessThan(2000);
    }
    const bad = expectStatus(await httpRequest(`${cms('rv-now')}?resourceVersion=abc`), 400, 'BadRequest');
    expect(bad.message).toBe('invalid resource version "abc"');
    // client-node's read takes no resourceVersion; its list does and behaves alike (covered
    // elsewhere). The typed read still works.
    expect((await api.core.readNamespacedConfigMap({ namespace: NS, name: 'rv-now' })).metadata?.name).toBe('rv-now');
  });
});

describe('DELETE answers', () => {
  it('a kind deleted at once answers a Success Status naming it (dry runs too); pods answer the pod', async () => {
    const cm = (await createCm('gone-cm')) as { metadata: { resourceVersion: string; uid?: string } };
    const dry = await httpRequest(`${cms('gone-cm')}?dryRun=All`, { method: 'DELETE' });
    expect(dry.status).toBe(200);
    expect(dry.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'gone-cm', kind: 'configmaps', uid: cm.metadata.uid } });
    expect((await httpRequest(cms('gone-cm'))).status).toBe(200);
    const del = await httpRequest(cms('gone-cm'), { method: 'DELETE' });
    expect(del.json).toEqual(dry.json);
    expect((await httpRequest(cms('gone-cm'))).status).toBe(404);

    const pods = `${base}/api/v1/namespaces/${NS}/pods`;
    expect((await httpRequest(pods, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gone-pod' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }) })).status).toBe(201);
    const podDel = await httpRequest(`${pods}/gone-pod`, { method: 'DELETE' });
    expect(podDel.json).toMatchObject({ kind: 'Pod', metadata: { name: 'gone-pod' } });
  });

  it('deleting every PriorityClass leaves the system classes', async () => {
    const pcs = `${base}/apis/scheduling.k8s.io/v1/priorityclasses`;
    expect((await httpRequest(pcs, { method: 'POST', body: JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'user-class' }, value: 10 }) })).status).toBe(201);
    const all = await httpRequest(pcs, { method: 'DELETE' });
    expect(all.status, all.text).toBe(200);
    expect((all.json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).toEqual(['user-class']);
    const left = (await httpRequest(pcs)).json as { items: { metadata: { name: string } }[] };
    expect(left.items.map((i) => i.metadata.name).sort()).toEqual(['system-cluster-critical', 'system-node-critical']);
  });
});

describe('deletecollection pages and single-name lists', () => {
  const names = (res: HttpAnswer) => ((res.json as any).items as any[]).map((i) => i.metadata.name as string);

  it('with a limit deletes only that page and answers its continue token; the token deletes the next page', async () => {
    for (const n of ['dc-a', 'dc-b', 'dc-c', 'dc-d', 'dc-e']) await createCm(n);
    const sel = 'labelSelector=' + encodeURIComponent('!nothing') + '&fieldSelector=' + encodeURIComponent('metadata.namespace=default');
    const list = async () => names(await httpRequest(`${cms()}?${sel}`)).filter((n) => n.startsWith('dc-'));
    const first = await httpRequest(`${cms()}?${sel}&limit=2`, { method: 'DELETE' });
    expect(first.status, first.text).toBe(200);
    expect((first.json as any).kind).toBe('ConfigMapList');
    // The page as listed, before its deletion: the first two names (key order), and a token.
    const firstNames = names(first);
    expect(firstNames.length).toBe(2);
    const token = (first.json as any).metadata.continue as string;
    expect(token).toBeTruthy();
    expect((await list()).length).toBe(3);
    const second = await httpRequest(`${cms()}?${sel}&limit=2&continue=${encodeURIComponent(token)}`, { method: 'DELETE' });
    expect(second.status, second.text).toBe(200);
    expect(names(second).length).toBe(2);
    expect(await list()).toEqual(['dc-e']);
    // A token that is not one is a 400, and nothing is deleted.
    expectStatus(await httpRequest(`${cms()}?continue=abc`, { method: 'DELETE' }), 400, 'BadRequest');
    expect(await list()).toEqual(['dc-e']);
    // Without a limit: everything selected.
    const rest = await httpRequest(`${cms()}?fieldSelector=metadata.name%3Ddc-e`, { method: 'DELETE' });
    expect(names(rest)).toEqual(['dc-e']);
    expect(await list()).toEqual([]);
  });

  it('a list of one name with a limit has no continue token (the names after it in key order are not more of it)', async () => {
    for (const n of ['one', 'one1', 'one2']) await createCm(n);
    const res = await httpRequest(`${cms()}?fieldSelector=metadata.name%3Done&limit=1`);
    expect(res.status, res.text).toBe(200);
    expect(names(res)).toEqual(['one']);
    expect((res.json as any).metadata.continue).toBeUndefined();
  });
});

describe('answer forms asked for in Accept and the query', () => {
  const TABLE = 'application/json;as=Table;g=meta.k8s.io;v=v1';
  const meta = (as: string) => `application/json;as=${as};g=meta.k8s.io;v=v1`;

  it('includeObject is read only for a Table: ignored by plain answers, 400 with upstream\'s words on a Table', async () => {
    await createCm('inc-obj');
    for (const v of ['', 'Foo']) {
      expect((await httpRequest(`${cms()}?includeObject=${v}`)).status).toBe(200);
      expect((await httpRequest(`${cms('inc-obj')}?includeObject=${v}`)).status).toBe(200);
    }
    const empty = await httpRequest(`${cms()}?includeObject=`, { headers: { accept: TABLE } });
    expect(empty.status, empty.text).toBe(200);
    expect(((empty.json as any).rows[0].object as any).kind).toBe('PartialObjectMetadata');
    const bad = expectStatus(await httpRequest(`${cms()}?includeObject=Foo`, { headers: { accept: TABLE } }), 400, 'BadRequest');
    expect(bad.message).toBe(`Unable to convert to Table as requested: includeObject: Invalid value: "Foo": must be 'Metadata', 'Object', 'None', or empty`);
  });

  it('the metadata form of the other shape is a 406: PartialObjectMetadata of a list, PartialObjectMetadataList of an object', async () => {
    await createCm('pom');
    const list = expectStatus(await httpRequest(cms(), { headers: { accept: meta('PartialObjectMetadata') } }), 406, 'NotAcceptable');
    expect(list.message).toBe('you requested PartialObjectMetadata, but the requested object is a list (ConfigMapList)');
    const one = expectStatus(await httpRequest(cms('pom'), { headers: { accept: meta('PartialObjectMetadataList') } }), 406, 'NotAcceptable');
    expect(one.message).toBe('you requested PartialObjectMetadataList, but the requested object is not a list (ConfigMap)');
    // The right forms still answer.
    expect(((await httpRequest(cms(), { headers: { accept: meta('PartialObjectMetadataList') } })).json as any).kind).toBe('PartialObjectMetadataList');
    expect(((await httpRequest(cms('pom'), { headers: { accept: meta('PartialObjectMetadata') } })).json as any).kind).toBe('PartialObjectMetadata');
  });

  it('a watch of one name takes only a field selector that names it', async () => {
    const path = `${base}/api/v1/watch/namespaces/${NS}/configmaps/pom`;
    for (const sel of ['metadata.name%3Dother', 'metadata.namespace%3Ddefault']) {
      const st = expectStatus(await httpRequest(`${path}?fieldSelector=${sel}`), 400, 'BadRequest');
      expect(st.message).toBe("fieldSelector metadata.name doesn't match requested name");
    }
  });
});
