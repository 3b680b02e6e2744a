// Bad input over plain HTTP (what client-node and kubectl can send, plus what they cannot):
// every rejection is a metav1.Status with the upstream code and reason (kube-api.md §3.8), the
// server keeps serving, and a failed write leaves nothing half-written.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/api/types.js';
import { asStatus, Cleanup, httpRequest, startTestServer, type HttpAnswer } from '../helpers/index.js';

const NS = 'bad';
const cleanup = new Cleanup();
let base = '';
const cms = () => `${base}/api/v1/namespaces/${NS}/configmaps`;

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  base = server.url;
  const ns = await httpRequest(`${base}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }) });
  expect(ns.status).toBe(201);
});
afterAll(() => cleanup.run());

// The server stays up after every rejection.
afterEach(async () => {
  const res = await httpRequest(cms());
  expect(res.status).toBe(200);
});

function expectStatus(res: HttpAnswer, code: number | number[], reason?: string | string[]): Status {
  const codes = Array.isArray(code) ? code : [code];
  expect(codes, `HTTP ${res.status}: ${res.text.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get('content-type') ?? '').toContain('application/json');
  const st = asStatus(res.json);
  expect(st, `a metav1.Status body, got: ${res.text.slice(0, 300)}`).toBeDefined();
  expect(st?.status).toBe('Failure');
  expect(st?.code).toBe(res.status);
  if (reason !== undefined) expect(Array.isArray(reason) ? reason : [reason]).toContain(st?.reason);
  expect(typeof st?.message).toBe('string');
  return st as Status;
}

async function expectAbsent(name: string, path = cms()): Promise<void> {
  const res = await httpRequest(`${path}/${name}`);
  expectStatus(res, 404, 'NotFound');
}

async function createCm(name: string, data: Record<string, string>): Promise<{ metadata: { resourceVersion: string; uid: string }; data: Record<string, string> }> {
  const res = await httpRequest(cms(), { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }) });
  expect(res.status, res.text).toBe(201);
  return res.json as { metadata: { resourceVersion: string; uid: string }; data: Record<string, string> };
}

async function readCm(name: string): Promise<unknown> {
  const res = await httpRequest(`${cms()}/${name}`);
  expect(res.status).toBe(200);
  return res.json;
}

describe('malformed and mistyped bodies', () => {
  it('malformed JSON → 400 BadRequest, nothing created', async () => {
    const res = await httpRequest(cms(), { method: 'POST', body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"half"},"data":{"a":' });
    expectStatus(res, 400, 'BadRequest');
    await expectAbsent('half');
  });

  it('a body that is not an object → 400', async () => {
    expectStatus(await httpRequest(cms(), { method: 'POST', body: '[1,2,3]' }), 400, 'BadRequest');
    expectStatus(await httpRequest(cms(), { method: 'POST', body: '' }), [400, 422], ['BadRequest', 'Invalid']);
  });

  it.each([
    ['labels:{app:true}', 'configmaps', { kind: 'ConfigMap', metadata: { name: 'typed-1', labels: { app: true } } }, 'metadata.labels'],
    ['annotations as a list', 'configmaps', { kind: 'ConfigMap', metadata: { name: 'typed-2', annotations: ['a'] } }, 'metadata.annotations'],
    ['data value a number', 'configmaps', { kind: 'ConfigMap', metadata: { name: 'typed-3' }, data: { k: 1 } }, 'data'],
    ['containers a string', 'pods', { kind: 'Pod', metadata: { name: 'typed-4' }, spec: { containers: 'busybox' } }, 'spec.containers'],
    ['containerPort a string', 'pods', { kind: 'Pod', metadata: { name: 'typed-5' }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: '80' }] }] } }, 'containerPort'],
  ])('wrong field type (%s) → 400/422 naming the field, nothing created', async (_what, plural, body, field) => {
    const res = await httpRequest(`${base}/api/v1/namespaces/${NS}/${plural}`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', ...body }) });
    const st = expectStatus(res, [400, 422], ['BadRequest', 'Invalid']);
    const named = `${st.message ?? ''} ${(st.details?.causes ?? []).map((c) => `${c.field ?? ''} ${c.message ?? ''}`).join(' ')}`;
    expect(named).toContain(field);
    if (res.status === 422) expect(st.details?.kind).toBe(body.kind);
    await expectAbsent(body.metadata.name, `${base}/api/v1/namespaces/${NS}/${plural}`);
  });

  it('a mistyped update → 400/422 and the stored object is unchanged', async () => {
    const cm = await createCm('typed-update', { a: '1' });
    const res = await httpRequest(`${cms()}/typed-update`, {
      method: 'PUT',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed-update', resourceVersion: cm.metadata.resourceVersion, labels: { app: 7 } }, data: { a: '2' } }),
    });
    expectStatus(res, [400, 422], ['BadRequest', 'Invalid']);
    expect(await readCm('typed-update')).toEqual(cm);
  });

  it('a missing required field → 422 Invalid with a cause naming it', async () => {
    const res = await httpRequest(`${base}/api/v1/namespaces/${NS}/pods`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'no-containers' }, spec: {} }) });
    const st = expectStatus(res, 422, 'Invalid');
    expect(st.details?.kind).toBe('Pod');
    expect(st.details?.name).toBe('no-containers');
    expect((st.details?.causes ?? []).map((c) => c.field)).toContain('spec.containers');
    await expectAbsent('no-containers', `${base}/api/v1/namespaces/${NS}/pods`);
  });

  it('a body namespace that differs from the path → 400, nothing created', async () => {
    const res = await httpRequest(cms(), { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wrong-ns', namespace: 'elsewhere' } }) });
    const st = expectStatus(res, 400, 'BadRequest');
    expect(st.message).toContain('does not match the namespace');
    await expectAbsent('wrong-ns');
  });

  it('a body over 3 MiB → 413 RequestEntityTooLarge, nothing created', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 64 * 1024);
    const res = await httpRequest(cms(), { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-big' }, data: { big } }) });
    expectStatus(res, 413, 'RequestEntityTooLarge');
    await expectAbsent('too-big');
  });

  it('an oversized update → 413 and the stored object is unchanged', async () => {
    const cm = await createCm('big-update', { a: '1' });
    const big = 'y'.repeat(3 * 1024 * 1024 + 1024);
    const res = await httpRequest(`${cms()}/big-update`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ data: { big } }),
    });
    expectStatus(res, 413, 'RequestEntityTooLarge');
    expect(await readCm('big-update')).toEqual(cm);
  });
});

describe('paths and verbs', () => {
  it.each([
    '/api/v1/namespaces/bad/widgets',
    '/api/v1/widgets',
    '/apis/example.com/v1/namespaces/bad/widgets',
    '/apis/apps/v1/namespaces/bad/deployments-that-do-not-exist',
    '/api/v2/pods',
    '/api/v1/namespaces/bad/configmaps/x/nosuchsub',
  ])('unknown resource %s → 404 NotFound', async (path) => {
    const st = expectStatus(await httpRequest(`${base}${path}`), 404, 'NotFound');
    expect(st.message).toBe('the server could not find the requested resource');
  });

  it('an unknown resource on POST → 404, not a write', async () => {
    expectStatus(await httpRequest(`${base}/api/v1/namespaces/bad/widgets`, { method: 'POST', body: '{"metadata":{"name":"w"}}' }), 404, 'NotFound');
  });

  it.each([
    ['PUT', '/api/v1/namespaces/bad/configmaps'],
    ['PATCH', '/api/v1/namespaces/bad/configmaps'],
    ['POST', '/api/v1/namespaces/bad/configmaps/some-name'],
    ['POST', '/api/v1/namespaces/bad/pods/some-name/status'],
  ])('unsupported verb %s %s → 405 MethodNotAllowed', async (method, path) => {
    const res = await httpRequest(`${base}${path}`, { method, body: '{"metadata":{"name":"some-name"}}', contentType: method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' });
    expectStatus(res, 405, 'MethodNotAllowed');
    await expectAbsent('some-name');
  });

  it('an unknown patch content type → 415 UnsupportedMediaType, object unchanged', async () => {
    const cm = await createCm('media', { a: '1' });
    const res = await httpRequest(`${cms()}/media`, { method: 'PATCH', contentType: 'text/plain', body: '{"data":{"a":"2"}}' });
    expectStatus(res, 415, 'UnsupportedMediaType');
    expect(await readCm('media')).toEqual(cm);
  });

  it('a JSON patch whose test op fails → 4xx, object unchanged', async () => {
    const cm = await createCm('jp-test', { a: '1' });
    const res = await httpRequest(`${cms()}/jp-test`, {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: JSON.stringify([{ op: 'replace', path: '/data/a', value: '2' }, { op: 'test', path: '/data/a', value: 'nope' }]),
    });
    expectStatus(res, [400, 409, 422], ['BadRequest', 'Conflict', 'Invalid']);
    expect(await readCm('jp-test')).toEqual(cm);
  });
});

describe('conflicts', () => {
  it('update with a stale resourceVersion → 409 Conflict (upstream wording), object unchanged', async () => {
    const first = await createCm('stale', { v: '1' });
    const put = await httpRequest(`${cms()}/stale`, {
      method: 'PUT',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stale', resourceVersion: first.metadata.resourceVersion }, data: { v: '2' } }),
    });
    expect(put.status).toBe(200);
    const current = await readCm('stale');
    const res = await httpRequest(`${cms()}/stale`, {
      method: 'PUT',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stale', resourceVersion: first.metadata.resourceVersion }, data: { v: '3' } }),
    });
    const st = expectStatus(res, 409, 'Conflict');
    expect(st.message).toBe('Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again');
    expect(st.details?.kind).toBe('configmaps');
    expect(st.details?.name).toBe('stale');
    expect(await readCm('stale')).toEqual(current);
  });

  it('create of an existing name → 409 AlreadyExists, the existing object unchanged', async () => {
    const cm = await createCm('dup', { v: 'original' });
    const res = await httpRequest(cms(), { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' }, data: { v: 'second' } }) });
    const st = expectStatus(res, 409, 'AlreadyExists');
    expect(st.message).toBe('configmaps "dup" already exists');
    expect(st.details).toMatchObject({ name: 'dup', kind: 'configmaps' });
    expect(await readCm('dup')).toEqual(cm);
  });

  it('AlreadyExists for a grouped resource names resource.group', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'dup-ds' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const url = `${base}/apis/apps/v1/namespaces/${NS}/daemonsets`;
    expect((await httpRequest(url, { method: 'POST', body: JSON.stringify(ds) })).status).toBe(201);
    const st = expectStatus(await httpRequest(url, { method: 'POST', body: JSON.stringify(ds) }), 409, 'AlreadyExists');
    expect(st.message).toBe('daemonsets.apps "dup-ds" already exists');
    expect(st.details).toMatchObject({ name: 'dup-ds', group: 'apps', kind: 'daemonsets' });
  });

  it('delete with a stale resourceVersion precondition → 409, object still there', async () => {
    const cm = await createCm('del-stale', { v: '1' });
    const res = await httpRequest(`${cms()}/del-stale`, { method: 'DELETE', body: JSON.stringify({ preconditions: { resourceVersion: '1' } }) });
    expectStatus(res, 409, 'Conflict');
    expect(await readCm('del-stale')).toEqual(cm);
  });
});

describe('selectors', () => {
  it.each(['app in (x', 'app=(x', '=x', 'a b', 'app notin x', '!app=x', 'a=b=c'])('bad label selector %j → 400 BadRequest', async (sel) => {
    const res = await httpRequest(`${cms()}?labelSelector=${encodeURIComponent(sel)}`);
    expectStatus(res, 400, 'BadRequest');
  });

  it.each(['metadata.name', 'spec.bogus=1', 'metadata.name~x'])('bad field selector %j → 400 BadRequest', async (sel) => {
    const res = await httpRequest(`${cms()}?fieldSelector=${encodeURIComponent(sel)}`);
    expectStatus(res, 400, 'BadRequest');
  });

  it('a bad selector on a watch → 400 before any stream starts', async () => {
    const res = await httpRequest(`${cms()}?watch=true&labelSelector=${encodeURIComponent('app in (x')}`);
    expectStatus(res, 400, 'BadRequest');
  });
});

describe('after all that', () => {
  it('the server still accepts writes and lists consistently', async () => {
    await createCm('final', { ok: 'yes' });
    const list = await httpRequest(cms());
    const body = list.json as { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string } }[] };
    const names = body.items.map((i) => i.metadata.name).sort();
    expect(names).toEqual(['big-update', 'del-stale', 'dup', 'final', 'jp-test', 'media', 'stale', 'typed-update']);
    for (const i of body.items) expect(BigInt(body.metadata.resourceVersion) >= BigInt(i.metadata.resourceVersion)).toBe(true);
  });
});
