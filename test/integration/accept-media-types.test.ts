// Content negotiation of object answers (upstream's NegotiateOutputMediaType): JSON by default
// and for JSON, wildcard and protobuf clauses; YAML when asked for first; a 406 naming the
// accepted types when nothing acceptable is offered, before anything is written. The real
// server over HTTPS.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { apiCaller, Cleanup, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
const call = apiCaller(() => ts.server.url);
const get = (path: string, accept: string) => call('GET', path, undefined, undefined, { accept });
const base = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  expect((await call('POST', base, { metadata: { name: 'y1', labels: { app: 'accept' } }, data: { k: 'v: not a mapping', n: '0644' } })).status).toBe(201);
});
afterAll(() => cleanup.run());

describe('Accept: application/yaml', () => {
  it('answers an object, a list and the status of a write in YAML', async () => {
    const one = await get(`${base}/y1`, 'application/yaml');
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/yaml');
    const obj = parseYaml(one.text) as { kind: string; metadata: { name: string; resourceVersion: string }; data: Record<string, string> };
    expect(obj).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'y1' } });
    // Strings stay strings when read back (quoted where YAML would read them otherwise).
    expect(obj.data).toEqual({ k: 'v: not a mapping', n: '0644' });
    const json = await get(`${base}/y1`, 'application/json');
    expect(obj).toEqual(json.body);

    const list = await get(`${base}?labelSelector=app%3Daccept`, 'application/yaml;q=0.9, text/html;q=0.1');
    expect(list.headers.get('content-type')).toBe('application/yaml');
    expect(parseYaml(list.text)).toMatchObject({ kind: 'ConfigMapList', items: [{ metadata: { name: 'y1' } }] });

    const created = await call('POST', base, { metadata: { name: 'y2' } }, 'application/json', { accept: 'application/yaml' });
    expect(created.status).toBe(201);
    expect(parseYaml(created.text)).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'y2' } });
  });

  it('answers errors as a YAML Status', async () => {
    const missing = await get(`${base}/nope`, 'application/yaml');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/yaml');
    expect(parseYaml(missing.text)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });

  it('skips a clause asking for a transform this server does not make, as upstream', async () => {
    const r = await get(`${base}/y1`, 'application/json;as=Table;v=v2;g=meta.k8s.io, application/yaml');
    expect(r.headers.get('content-type')).toBe('application/yaml');
    // Only unknown transforms offered: nothing acceptable.
    expect((await get(`${base}/y1`, 'application/json;as=Widget;v=v1;g=example.com')).status).toBe(406);
  });

  it('renders a Table or metadata in YAML when the YAML clause asks for it, as upstream', async () => {
    const table = await get(`${base}?labelSelector=app%3Daccept`, 'application/yaml;as=Table;v=v1;g=meta.k8s.io');
    expect(table.headers.get('content-type')).toBe('application/yaml');
    expect(parseYaml(table.text)).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['y1', 2, expect.any(String)] }] });
    const meta = await get(`${base}/y1`, 'application/yaml;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
    expect(parseYaml(meta.text)).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'y1' } });
    // The first clause decides: YAML without a transform is the object.
    const r = await get(`${base}/y1`, 'application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(parseYaml(r.text)).toMatchObject({ kind: 'ConfigMap' });
  });

  it('refuses a watch asked for in YAML (it has no stream form) with a YAML Status; a later JSON clause after a YAML stream clause is served', async () => {
    const r = await get(`${base}?watch=1&timeoutSeconds=1`, 'application/yaml');
    expect(r.status).toBe(406);
    expect(r.headers.get('content-type')).toBe('application/yaml');
    expect(parseYaml(r.text)).toMatchObject({
      kind: 'Status',
      reason: 'NotAcceptable',
      code: 406,
      message: 'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch',
    });
    const w = await get(`${base}?watch=1&timeoutSeconds=1&labelSelector=app%3Daccept`, 'application/yaml;stream=watch, application/json');
    expect(w.status).toBe(200);
    expect(JSON.parse(w.text.split('\n')[0] ?? '')).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'y1' } } });
  });
});

describe('JSON answers', () => {
  it.each([
    ['no clause at all', ''],
    ['kubectl', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'],
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['protobuf only (client-go decodes by the answer Content-Type)', 'application/vnd.kubernetes.protobuf'],
    ['application/*', 'application/*'],
  ])('%s', async (_what, accept) => {
    const r = await get(`${base}/y1`, accept);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
  });
});

describe('406 Not Acceptable', () => {
  const message = 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';

  it('refuses a read that offers no type it could be answered in', async () => {
    for (const accept of ['application/xml', 'text/plain', 'text/html, application/json;q=0']) {
      const r = await get(`${base}/y1`, accept);
      expect(r.status, accept).toBe(406);
      expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotAcceptable', code: 406, message });
    }
  });

  it('refuses a write before doing it: nothing is created', async () => {
    const r = await call('POST', base, { metadata: { name: 'never' } }, 'application/json', { accept: 'application/xml' });
    expect(r.status).toBe(406);
    expect((await get(`${base}/never`, 'application/json')).status).toBe(404);
  });
});
