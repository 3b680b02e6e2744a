// Hostile and malformed input against the real API server (startServer over HTTPS with a real
// SQLite file), found by fuzzing: every answer is a metav1.Status with upstream's code, reason
// and wording, never a 500, and a rejected request never changes the stored object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { credentialsFromKubeconfig, registerServer, serverCredentials, testFetch } from '../helpers/auth.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { apiCaller, type ApiAnswer } from '../helpers/http.js';

const cleanup = new Cleanup();
/** API objects to release (finalizers) before the server stops. */
const objects = new Cleanup();
let server: RunningServer;

const JSON_CT = 'application/json';
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const APPLY = 'application/apply-patch+yaml';

const call = apiCaller(() => server.url);

function expectStatus(r: ApiAnswer, code: number, reason: string, message?: string | RegExp): void {
  expect(r.status, r.text).toBe(code);
  expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  if (typeof message === 'string') expect(r.body.message).toBe(message);
  else if (message) expect(r.body.message).toMatch(message);
}

/** Upstream's answer to a patch whose result does not decode: 422 Invalid on the field "patch", showing the patched object (or a strategic patch). */
function expectPatchInvalid(r: ApiAnswer, detail: string, shown: RegExp = /.*/): void {
  expectStatus(r, 422, 'Invalid');
  const escaped = detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(r.body.message).toMatch(new RegExp(`^ "" is invalid: patch: Invalid value: "${shown.source}": ${escaped}$`));
  expect(r.body.details).toMatchObject({ causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] });
}

const cmPath = (name = '') => `/api/v1/namespaces/default/configmaps${name ? `/${name}` : ''}`;
const crPath = (name = '') => `/apis/apps/v1/namespaces/default/controllerrevisions${name ? `/${name}` : ''}`;

/** Creates a ConfigMap with labels, annotations and data; returns the stored object. */
async function configMap(name: string): Promise<any> {
  const r = await call('POST', cmPath(), { metadata: { name, labels: { app: 'x' }, annotations: { a: 'b' }, finalizers: ['example.com/keep'] }, data: { k: 'v' } });
  expect(r.status, r.text).toBe(201);
  // The finalizer only makes the metadata a wipe would lose visible; tests release it at the end.
  objects.defer(async () => {
    await call('PATCH', cmPath(name), { metadata: { finalizers: null } }, MERGE);
    await call('DELETE', cmPath(name));
  });
  return r.body;
}

/** The stored object, without its resourceVersion-independent noise. */
async function stored(path: string): Promise<any> {
  const r = await call('GET', path);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

/** `{"a":{"a":...1...}}` nested `depth` objects deep (the value at the bottom counts as none). */
function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1' + '}'.repeat(depth);
}

/** A raw HTTPS request with the admin token and arbitrary headers; resolves with status and body. */
function rawRequest(path: string, headers: Record<string, string>): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const url = new URL(server.url);
  const creds = serverCredentials(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', ca: creds.caPem, headers: { authorization: `Bearer ${creds.token}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const dataDir = makeTempDir(cleanup, 'api-bad-input');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
});

afterAll(async () => {
  await objects.run();
  await server?.close();
  await cleanup.run();
});

describe('JSON patch copy', () => {
  it('stops copies beyond 3 MiB in total with 422 (upstream JSONPatchMaxCopyBytes)', async () => {
    expect((await call('POST', cmPath(), { metadata: { name: 'copy' }, data: { blob: 'x'.repeat(700_000) } })).status).toBe(201);
    const before = await stored(cmPath('copy'));
    // Copies to unknown fields (pruned by the decoder): only the copy limit stops them.
    const ops = [1, 2, 3, 4, 5].map((i) => ({ op: 'copy', from: '/data/blob', path: `/c${i}` }));
    const r = await call('PATCH', cmPath('copy'), ops, JSON_PATCH);
    expectStatus(r, 422, 'Invalid', /^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
    expect(await stored(cmPath('copy'))).toEqual(before);
    // Under the limit copies work.
    const ok = await call('PATCH', cmPath('copy'), ops.slice(0, 2), JSON_PATCH);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get('warning')).toBe('299 - "unknown field \\"c1\\"", 299 - "unknown field \\"c2\\""');
    expect((await call('DELETE', cmPath('copy'))).status).toBe(200);
  });

  it('answers a doubling copy bomb at once instead of blocking the server', async () => {
    await configMap('bomb');
    const ops = Array.from({ length: 26 }, (_, i) => ({ op: 'copy', from: '/data', path: `/data/x${i}` }));
    const [r, health] = await Promise.all([call('PATCH', `${cmPath('bomb')}?dryRun=All`, ops, JSON_PATCH), call('GET', '/healthz')]);
    expectStatus(r, 422, 'Invalid', /exceeding the limit 3145728/);
    expect(health.status).toBe(200);
  });
});

describe('DELETE preconditions', () => {
  it('rejects preconditions of the wrong JSON type with 400 and keeps the object', async () => {
    await configMap('pre');
    let r = await call('DELETE', cmPath('pre'), { preconditions: { resourceVersion: 1 } });
    expectStatus(r, 400, 'BadRequest', 'json: cannot unmarshal number into Go struct field Preconditions.preconditions.resourceVersion of type string');
    r = await call('DELETE', cmPath('pre'), { preconditions: { uid: true } });
    expectStatus(r, 400, 'BadRequest', 'json: cannot unmarshal bool into Go struct field Preconditions.preconditions.uid of type types.UID');
    // DeleteOptions come as JSON, YAML or protobuf; another media type is a 415.
    r = await call('DELETE', cmPath('pre'), '{"preconditions":{"uid":"x"}}', 'text/plain');
    expectStatus(r, 415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got text/plain');
    r = await call('DELETE', cmPath('pre'), 'preconditions:\n  uid: not-this-one\n', 'application/yaml');
    expect([r.status, r.body.reason], r.text).toEqual([409, 'Conflict']);
    expect((await stored(cmPath('pre'))).metadata.deletionTimestamp).toBeUndefined();
    // A matching string precondition still deletes (marks: the finalizer holds it).
    const rv = (await stored(cmPath('pre'))).metadata.resourceVersion;
    r = await call('DELETE', cmPath('pre'), { preconditions: { resourceVersion: rv } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.deletionTimestamp).toBeDefined();
  });
});

describe('deletion by update', () => {
  it('refuses setting deletionTimestamp or a grace period by update (immutable, 422) and changes nothing; an update keeps a deletion once started', async () => {
    await configMap('del-upd');
    const before = await stored(cmPath('del-upd'));
    let r = await call('PATCH', cmPath('del-upd'), { metadata: { deletionTimestamp: '2020-01-01T00:00:00Z' } }, MERGE);
    expectStatus(r, 422, 'Invalid', 'ConfigMap "del-upd" is invalid: metadata.deletionTimestamp: Invalid value: 2020-01-01 00:00:00 +0000 UTC: field is immutable');
    r = await call('PUT', cmPath('del-upd'), { ...before, metadata: { ...before.metadata, deletionGracePeriodSeconds: 30 } });
    expectStatus(r, 422, 'Invalid', 'ConfigMap "del-upd" is invalid: metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable');
    expect(await stored(cmPath('del-upd'))).toEqual(before);

    // Being deleted (the finalizer holds it): an update that drops or moves the timestamp keeps it.
    expect((await call('DELETE', cmPath('del-upd'))).status).toBe(200);
    const deleting = await stored(cmPath('del-upd'));
    const { deletionTimestamp: _t, deletionGracePeriodSeconds: _g, ...meta } = deleting.metadata;
    r = await call('PUT', cmPath('del-upd'), { ...deleting, metadata: { ...meta, labels: { app: 'y' } } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata).toMatchObject({ deletionTimestamp: deleting.metadata.deletionTimestamp, deletionGracePeriodSeconds: 0, labels: { app: 'y' } });
    r = await call('PATCH', cmPath('del-upd'), { metadata: { deletionTimestamp: '2030-01-01T00:00:00Z' } }, MERGE);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.deletionTimestamp).toBe(deleting.metadata.deletionTimestamp);
  });

  it('answers 202 to a DELETE with the legacy orphanDependents false that leaves the object (upstream handler), 200 otherwise', async () => {
    await configMap('del-202');
    const r = await call('DELETE', cmPath('del-202'), { orphanDependents: false });
    expect(r.status, r.text).toBe(202);
    expect(r.body.metadata.deletionTimestamp).toBeDefined();
    expect((await call('DELETE', cmPath('del-202'), { orphanDependents: true })).status).toBe(200);
    // Deleted at once: 200 with the object, as before.
    expect((await call('POST', cmPath(), { metadata: { name: 'del-now' } })).status).toBe(201);
    expect((await call('DELETE', cmPath('del-now'), { orphanDependents: false })).status).toBe(200);
  });
});

describe('metadata through /status', () => {
  const template = { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'i', command: ['true'] }] } };
  const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '6c0cdcd3-9f33-4a83-a0e4-3bba8d1cf7a1' };

  it("takes labels, annotations, finalizers and owner references from the body, except what the kind's status strategy keeps", async () => {
    const ds = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', { metadata: { name: 'status-meta' }, spec: { selector: { matchLabels: { app: 's' } }, template } });
    expect(ds.status, ds.text).toBe(201);
    objects.defer(async () => {
      await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/status-meta', { metadata: { finalizers: null } }, MERGE);
      await call('DELETE', '/apis/apps/v1/namespaces/default/daemonsets/status-meta');
    });
    const meta = { labels: { x: '1' }, annotations: { a: 'b', 'deprecated.daemonset.template.generation': '9' }, finalizers: ['example.com/f'], ownerReferences: [owner] };
    let r = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/status-meta/status', { metadata: meta, spec: { minReadySeconds: 5 } }, MERGE);
    expect(r.status, r.text).toBe(200);
    // A DaemonSet's (as a ReplicaSet's, a node's...): everything but spec and the template generation.
    expect(r.body.metadata).toMatchObject({ labels: { x: '1' }, annotations: { a: 'b', 'deprecated.daemonset.template.generation': '1' }, finalizers: ['example.com/f'], ownerReferences: [owner], generation: 1 });
    expect(r.body.spec.minReadySeconds ?? 0).toBe(0);

    const dep = await call('POST', '/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'status-meta', labels: { keep: 'me' } }, spec: { replicas: 0, selector: { matchLabels: { app: 's' } }, template } });
    expect(dep.status, dep.text).toBe(201);
    objects.defer(async () => void (await call('DELETE', '/apis/apps/v1/namespaces/default/deployments/status-meta')));
    r = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/status-meta/status', { metadata: { labels: { y: '2' }, annotations: { a: 'b' } } }, MERGE);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.labels).toEqual({ keep: 'me' }); // a Deployment keeps its labels
    expect(r.body.metadata.annotations).toMatchObject({ a: 'b' });

    const pod = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'status-meta' }, spec: template.spec });
    expect(pod.status, pod.text).toBe(201);
    objects.defer(async () => {
      await call('PATCH', '/api/v1/namespaces/default/pods/status-meta', { metadata: { finalizers: null } }, MERGE);
      await call('DELETE', '/api/v1/namespaces/default/pods/status-meta?gracePeriodSeconds=0');
    });
    r = await call('PATCH', '/api/v1/namespaces/default/pods/status-meta/status', { metadata: { finalizers: ['example.com/f'], ownerReferences: [owner] } }, MERGE);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.finalizers).toEqual(['example.com/f']);
    expect(r.body.metadata.ownerReferences).toBeUndefined(); // a pod keeps its owners
  });

  it('refuses a finalizer added through /status to an object being deleted, as through the object', async () => {
    const ds = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', { metadata: { name: 'status-fin', finalizers: ['example.com/f'] }, spec: { selector: { matchLabels: { app: 's' } }, template } });
    expect(ds.status, ds.text).toBe(201);
    objects.defer(async () => void (await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/status-fin', { metadata: { finalizers: null } }, MERGE)));
    expect((await call('DELETE', '/apis/apps/v1/namespaces/default/daemonsets/status-fin')).status).toBe(200);
    const r = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/status-fin/status', { metadata: { finalizers: ['example.com/f', 'example.com/g'] } }, MERGE);
    expectStatus(r, 422, 'Invalid', 'DaemonSet.apps "status-fin" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/g"}');
  });
});

describe('the name of the object', () => {
  const undeterminable = (name: string) => `the name of the object (${name} based on URL) was undeterminable: name must be provided`;

  it('rejects a patch that removes metadata, or its name, with 400 and keeps the metadata', async () => {
    await configMap('named');
    const before = await stored(cmPath('named'));
    expectStatus(await call('PATCH', cmPath('named'), { metadata: null }, MERGE), 400, 'BadRequest', undeterminable('named'));
    expectStatus(await call('PATCH', cmPath('named'), { metadata: null }, STRATEGIC), 400, 'BadRequest', undeterminable('named'));
    expectStatus(await call('PATCH', cmPath('named'), [{ op: 'remove', path: '/metadata/name' }], JSON_PATCH), 400, 'BadRequest', undeterminable('named'));
    expect(await stored(cmPath('named'))).toEqual(before);
  });

  it('rejects a PUT without metadata.name with 400 and keeps the metadata', async () => {
    await configMap('put');
    const before = await stored(cmPath('put'));
    expectStatus(await call('PUT', cmPath('put'), { apiVersion: 'v1', kind: 'ConfigMap', data: {} }), 400, 'BadRequest', undeterminable('put'));
    expectStatus(await call('PUT', cmPath('put'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: {} }, data: {} }), 400, 'BadRequest', undeterminable('put'));
    expect(await stored(cmPath('put'))).toEqual(before);
  });
});

describe('pod grace periods', () => {
  const pod = (name: string, grace: number) => ({
    metadata: { name },
    spec: { nodeName: 'no-such-node', terminationGracePeriodSeconds: grace, containers: [{ name: 'c', image: 'busybox' }] },
  });

  it('deletes a pod with a huge grace period with a capped deletionTimestamp', async () => {
    const podsPath = '/api/v1/namespaces/default/pods';
    expect((await call('POST', podsPath, pod('huge', 9_000_000_000_000))).status).toBe(201);
    const r = await call('DELETE', `${podsPath}/huge`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.deletionTimestamp).toBe('9999-12-31T23:59:59Z');
    expect(r.body.metadata.deletionGracePeriodSeconds).toBe(9_000_000_000_000);
    // A shorter grace moves it (counted from now: the capped timestamp no longer tells when
    // the deletion began); 0 deletes.
    const shorter = await call('DELETE', `${podsPath}/huge?gracePeriodSeconds=600`);
    expect(shorter.status, shorter.text).toBe(200);
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(600);
    const at = Date.parse(shorter.body.metadata.deletionTimestamp);
    expect(at).toBeGreaterThan(Date.now() + 500_000);
    expect(at).toBeLessThan(Date.now() + 700_000);
    expect((await call('DELETE', `${podsPath}/huge?gracePeriodSeconds=0`)).status).toBe(200);
    expect((await call('GET', `${podsPath}/huge`)).status).toBe(404);
  });

  it('stores a negative terminationGracePeriodSeconds as sent and deletes the bound pod with 1 s of grace, as upstream', async () => {
    const podsPath = '/api/v1/namespaces/default/pods';
    const created = await call('POST', podsPath, pod('negative-grace', -5));
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec.terminationGracePeriodSeconds).toBe(-5);
    const r = await call('DELETE', `${podsPath}/negative-grace`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.deletionGracePeriodSeconds).toBe(1);
    expect((await call('GET', `${podsPath}/negative-grace`)).status).toBe(200);
    expect((await call('DELETE', `${podsPath}/negative-grace?gracePeriodSeconds=0`)).status).toBe(200);
  });

  it('a graceful deletion cut short (grace 0) of a pod a finalizer holds moves its deletionTimestamp to when the deletion began', async () => {
    const podsPath = '/api/v1/namespaces/default/pods';
    const body = pod('held', 30);
    expect((await call('POST', podsPath, { ...body, metadata: { name: 'held', finalizers: ['example.com/hold'] } })).status).toBe(201);
    const first = await call('DELETE', `${podsPath}/held`);
    expect(first.body.metadata.deletionGracePeriodSeconds).toBe(30);
    const began = Date.parse(first.body.metadata.deletionTimestamp) - 30_000;
    const cut = await call('DELETE', `${podsPath}/held?gracePeriodSeconds=0`);
    expect(cut.status, cut.text).toBe(200);
    expect(cut.body.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(Date.parse(cut.body.metadata.deletionTimestamp)).toBe(began);
    await call('PATCH', `${podsPath}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', `${podsPath}/held`)).status).toBe(404);
  });

  it('rejects grace periods beyond int64 with 400 and keeps the pod', async () => {
    const podsPath = '/api/v1/namespaces/default/pods';
    expect((await call('POST', podsPath, pod('int64', 30))).status).toBe(201);
    expectStatus(await call('DELETE', `${podsPath}/int64?gracePeriodSeconds=99999999999999999999`), 400, 'BadRequest', 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
    expectStatus(await call('DELETE', `${podsPath}/int64`, { gracePeriodSeconds: 1e20 }), 400, 'BadRequest', /^json: cannot unmarshal number 100000000000000000000 into Go struct field DeleteOptions.gracePeriodSeconds of type int64$/);
    expect((await stored(`${podsPath}/int64`)).metadata.deletionTimestamp).toBeUndefined();
    expect((await call('DELETE', `${podsPath}/int64?gracePeriodSeconds=0`)).status).toBe(200);
  });

  it('finalizes a namespace holding a pod with a huge grace period', async () => {
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'grace-ns' } })).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/grace-ns/pods', pod('p', 9_000_000_000_000))).status).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/grace-ns')).status).toBe(200);
    // The finalization pass marks the pod (it used to fail on the timestamp and retry forever).
    const deadline = Date.now() + 10_000;
    let p = await stored('/api/v1/namespaces/grace-ns/pods/p');
    while (!p.metadata.deletionTimestamp && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      p = await stored('/api/v1/namespaces/grace-ns/pods/p');
    }
    expect(p.metadata.deletionTimestamp).toBe('9999-12-31T23:59:59Z');
    // The node's agent would stop it; without one, a forced delete lets the namespace go.
    expect((await call('DELETE', '/api/v1/namespaces/grace-ns/pods/p?gracePeriodSeconds=0')).status).toBe(200);
    while ((await call('GET', '/api/v1/namespaces/grace-ns')).status !== 404) {
      if (Date.now() > deadline) throw new Error('namespace grace-ns was not finalized');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

describe('deeply nested bodies', () => {
  const tooDeep = /nesting depth exceeds the limit of (512|256)$/;

  it('rejects bodies and patches nested beyond 512 levels (YAML: 256) with 400', async () => {
    await configMap('deep');
    const before = await stored(cmPath('deep'));
    const deepPatch = `{"data":${nested(4000)}}`;
    expectStatus(await call('PATCH', cmPath('deep'), deepPatch, MERGE), 400, 'BadRequest', tooDeep);
    expectStatus(await call('PATCH', cmPath('deep'), deepPatch, STRATEGIC), 400, 'BadRequest', tooDeep);
    expectStatus(await call('PATCH', cmPath('deep'), `[{"op":"add","path":"/data/x","value":${nested(4000)}}]`, JSON_PATCH), 400, 'BadRequest', tooDeep);
    expectStatus(await call('PATCH', `${cmPath('deep')}?fieldManager=t`, `apiVersion: v1\nkind: ConfigMap\ndata: ${nested(4000)}\n`, APPLY), 400, 'BadRequest', tooDeep);
    expectStatus(await call('PUT', cmPath('deep'), `{"metadata":{"name":"deep"},"data":${nested(4000)}}`), 400, 'BadRequest', tooDeep);
    expect(await stored(cmPath('deep'))).toEqual(before);
    expectStatus(await call('POST', crPath(), `{"metadata":{"name":"deep"},"revision":1,"data":${nested(5000)}}`), 400, 'BadRequest', tooDeep);
    expectStatus(await call('POST', crPath(), `metadata: {name: deep}\nrevision: 1\ndata: ${nested(5000)}\n`, 'application/yaml'), 400, 'BadRequest', tooDeep);
    expectStatus(await call('DELETE', cmPath('deep'), `{"preconditions":${nested(5000)}}`), 400, 'BadRequest', tooDeep);
  });

  it('serves objects nested right up to the limit through every write path', async () => {
    // ControllerRevision.data is a RawExtension: kept as given (and immutable), at any depth.
    const data = nested(511); // inside the object: 512 levels
    const label = (v: string) => `"metadata":{"labels":{"step":"${v}"}}`;
    let r = await call('POST', crPath(), `{"metadata":{"name":"limit"},"revision":1,"data":${data}}`);
    expect(r.status, r.text).toBe(201);
    r = await call('PUT', crPath('limit'), `{"metadata":{"name":"limit","labels":{"step":"put"}},"revision":1,"data":${data},"x":1}`);
    expect(r.status, r.text).toBe(200);
    r = await call('PATCH', crPath('limit'), `{${label('merge')},"data":${data}}`, MERGE);
    expect(r.status, r.text).toBe(200);
    r = await call('PATCH', crPath('limit'), `{${label('strategic')},"data":${data}}`, STRATEGIC);
    expect(r.status, r.text).toBe(200);
    r = await call('PATCH', crPath('limit'), '[{"op":"replace","path":"/metadata/labels/step","value":"json"}]', JSON_PATCH);
    expect(r.status, r.text).toBe(200);
    // Apply patches are YAML, held to MAX_YAML_NESTING_DEPTH (256); the live object is deep.
    r = await call('PATCH', `${crPath('limit')}?fieldManager=t&force=true`, `{"apiVersion":"apps/v1","kind":"ControllerRevision",${label('apply')}}`, APPLY);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.labels.step).toBe('apply');
    expect((await call('GET', crPath('limit'))).status).toBe(200);
    expect((await call('GET', crPath())).status).toBe(200);
    expect((await call('DELETE', crPath('limit'))).status).toBe(200);
    // YAML up to its limit.
    r = await call('POST', crPath(), `metadata: {name: yaml-limit}\nrevision: 1\ndata: ${nested(255)}\n`, 'application/yaml');
    expect(r.status, r.text).toBe(201);
    expectStatus(await call('POST', crPath(), `metadata: {name: yaml-over}\nrevision: 1\ndata: ${nested(256)}\n`, 'application/yaml'), 400, 'BadRequest', tooDeep);
  });

  it('stops a JSON patch that builds a document nested beyond the limit with 422', async () => {
    expect((await call('POST', crPath(), { metadata: { name: 'grow' }, revision: 1, data: { a: 1 } })).status).toBe(201);
    const before = await stored(crPath('grow'));
    // A copy of a 400-level chain to its own bottom: 800 levels.
    const ops = [
      { op: 'add', path: '/data/a', value: JSON.parse(nested(400)) },
      { op: 'copy', from: '/data/a', path: `/data/a${'/a'.repeat(399)}/b` },
    ];
    expectStatus(await call('PATCH', crPath('grow'), ops, JSON_PATCH), 422, 'Invalid', tooDeep);
    expect(await stored(crPath('grow'))).toEqual(before);
  });
});

describe('list limit', () => {
  it('rejects a limit beyond int64 with 400 and serves the largest one', async () => {
    expectStatus(await call('GET', `${cmPath()}?limit=9223372036854775808`), 400, 'BadRequest', /limit/);
    const r = await call('GET', `${cmPath()}?limit=9223372036854775807`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.continue).toBeUndefined();
  });
});

describe('integer fields', () => {
  const crBody = (name: string, revision: string) => `{"metadata":{"name":"${name}"},"data":{},"revision":${revision}}`;
  const int64Error = (n: string) => `ControllerRevision in version "v1" cannot be handled as a ControllerRevision: json: cannot unmarshal number ${n} into Go struct field ControllerRevision.revision of type int64`;

  it('rejects numbers an int64 cannot hold or JavaScript cannot hold exactly', async () => {
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, crBody('i1', '18446744073709551616')), 400, 'BadRequest', int64Error('18446744073709551616'));
    // Within int64, which upstream takes, but not a number JavaScript holds: refused, never rounded,
    // in an integer field and where any value is kept (a RawExtension, preserved unknown fields).
    const lost = (n: string, at: string) => `ControllerRevision in version "v1" cannot be handled as a ControllerRevision: the integer ${n} at ${at} cannot be stored exactly: everynode holds JSON numbers as 64-bit floats (integers up to 2^53 exactly)`;
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, crBody('i2', '9007199254740993')), 400, 'BadRequest', lost('9007199254740993', 'revision'));
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, '{"metadata":{"name":"i6"},"data":{"ids":[1,1234567890123456789]},"revision":1}'), 400, 'BadRequest', lost('1234567890123456789', 'data.ids[1]'));
    const yamlLost = await call('POST', `${crPath()}?dryRun=All`, 'metadata: {name: i8}\ndata: {id: 1152921504606846976}\nrevision: 1\n', 'application/yaml');
    expectStatus(yamlLost, 400, 'BadRequest', /the integer 1152921504606846976 cannot be stored exactly: everynode holds JSON numbers as 64-bit floats \(integers up to 2\^53 exactly\) at line 2, column 12/);
    const applyLost = await call('PATCH', `${crPath('i9')}?fieldManager=t`, 'apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: i9}\ndata: {id: 9007199254740993}\nrevision: 1\n', APPLY);
    expectStatus(applyLost, 400, 'BadRequest', /^error decoding patch: the integer 9007199254740993 cannot be stored exactly/);
    expectStatus(await call('GET', crPath('i9')), 404, 'NotFound');
    const exact = await call('POST', `${crPath()}?dryRun=All`, '{"metadata":{"name":"i7"},"data":{"id":9007199254740992},"revision":1}');
    expect(exact.status, exact.text).toBe(201);
    expect(exact.text).toContain('"id":9007199254740992');
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, crBody('i3', '-1e300')), 400, 'BadRequest', int64Error('-1e300'));
    // Bodies without the literal's text (YAML) show the number as parsed.
    const yaml = 'metadata: {name: i5}\ndata: {}\nrevision: 18446744073709551616\n';
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, yaml, 'application/yaml'), 400, 'BadRequest', int64Error('18446744073709552000'));
    const ok = await call('POST', `${crPath()}?dryRun=All`, crBody('i4', '9007199254740991'));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.revision).toBe(9007199254740991);
  });

  it('rejects non-integer literals that JSON.parse rounds to integers', async () => {
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, crBody('f1', '1e-400')), 400, 'BadRequest', int64Error('1e-400'));
    expectStatus(await call('POST', `${crPath()}?dryRun=All`, crBody('f2', '1.0')), 400, 'BadRequest', int64Error('1.0'));
    // Where a number (or anything) is expected, such literals are fine.
    const ok = await call('POST', `${crPath()}?dryRun=All`, '{"metadata":{"name":"f3"},"data":{"x":1.0,"y":1e-400},"revision":2}');
    expect(ok.status, ok.text).toBe(201);
    // Patches too, at the patched field's path.
    expect((await call('POST', crPath(), crBody('f4', '1'))).status).toBe(201);
    const before = await stored(crPath('f4'));
    const decodeError = (n: string) => int64Error(n).replace(/^.* cannot be handled as a ControllerRevision: /, '');
    expectPatchInvalid(await call('PATCH', crPath('f4'), '{"revision":2.0}', MERGE), decodeError('2.0'));
    expectPatchInvalid(await call('PATCH', crPath('f4'), '[{"op":"replace","path":"/revision","value":1e-400}]', JSON_PATCH), decodeError('1e-400'));
    expect(await stored(crPath('f4'))).toEqual(before);
  });
});

describe('duplicate fields', () => {
  const dupBody = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d1","name":"d2"},"data":{"a":"1","a":"2"},"bogus":1}';

  it('rejects duplicate fields with fieldValidation=Strict', async () => {
    const r = await call('POST', `${cmPath()}?fieldValidation=Strict`, dupBody);
    expectStatus(r, 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name", duplicate field "data.a", unknown field "bogus"');
    expect((await call('GET', cmPath('d2'))).status).toBe(404);
  });

  it('warns about duplicate fields with fieldValidation=Warn (the default)', async () => {
    const r = await call('POST', `${cmPath()}?dryRun=All`, dupBody);
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get('warning')).toBe('299 - "duplicate field \\"metadata.name\\"", 299 - "duplicate field \\"data.a\\"", 299 - "unknown field \\"bogus\\""');
    expect(r.body.metadata.name).toBe('d2');
    const ignored = await call('POST', `${cmPath()}?dryRun=All&fieldValidation=Ignore`, dupBody);
    expect(ignored.status, ignored.text).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
  });

  it('keeps the warnings found before a refusal: a 422 or 409 answer carries them, as upstream', async () => {
    const badName = await call('POST', `${cmPath()}?fieldValidation=Warn`, { metadata: { name: 'Bad_X', bogus: 1 }, data: { a: 'x' } });
    expect(badName.status, badName.text).toBe(422);
    expect(badName.headers.get('warning')).toBe('299 - "unknown field \\"metadata.bogus\\""');
    await configMap('warned');
    const exists = await call('POST', `${cmPath()}?fieldValidation=Warn`, { metadata: { name: 'warned', bogus: 1 } });
    expect(exists.status, exists.text).toBe(409);
    expect(exists.headers.get('warning')).toBe('299 - "unknown field \\"metadata.bogus\\""');
    const update = await call('PUT', cmPath('warned'), { metadata: { name: 'warned', bogus: 1, labels: { 'bad key!': 'x' } } });
    expect(update.status, update.text).toBe(422);
    expect(update.headers.get('warning')).toBe('299 - "unknown field \\"metadata.bogus\\""');
  });

  it('reads the first document of a YAML body of several, as upstream\'s YAML decoding does', async () => {
    const r = await call('POST', `${cmPath()}?dryRun=All`, 'metadata: {name: first}\ndata: {a: x}\n---\nmetadata: {name: second}\n---\nnot: [valid\n', 'application/yaml');
    expect(r.status, r.text).toBe(201);
    expect(r.body.metadata.name).toBe('first');
  });

  it('reports duplicate fields of patches as upstream does', async () => {
    await configMap('dup');
    const before = await stored(cmPath('dup'));
    // 422 Invalid on the field "patch" (upstream's patch handler), showing the patched object.
    const strict = await call('PATCH', `${cmPath('dup')}?fieldValidation=Strict`, '{"data":{"z":"1","z":"2"},"metadata":{"labels":{"l":"1"},"labels":{"m":"2"}}}', MERGE);
    expectPatchInvalid(strict, 'strict decoding error: duplicate field "data.z", duplicate field "metadata.labels"', /\{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"ConfigMap\\".*\\"z\\":\\"2\\"\}\}/);
    const ops = await call('PATCH', `${cmPath('dup')}?fieldValidation=Strict`, '[{"op":"add","path":"/data/z","path":"/data/y","value":"1"}]', JSON_PATCH);
    expectPatchInvalid(ops, 'strict decoding error: json patch duplicate field "[0].path"');
    // A JSON patch's operations are decoded strictly too: members no operation has, then the
    // patched object's own findings (upstream's patch handler).
    const opFields = await call('PATCH', `${cmPath('dup')}?fieldValidation=Strict`, '[{"op":"add","path":"/data/b","value":"1","foo":"x"},{"op":"add","path":"/bogus","path":"/bogus","value":1}]', JSON_PATCH);
    expectPatchInvalid(opFields, 'strict decoding error: json patch unknown field "[0].foo", json patch duplicate field "[1].path", unknown field "bogus"');
    const opWarn = await call('PATCH', `${cmPath('dup')}?fieldValidation=Warn&dryRun=All`, '[{"op":"add","path":"/data/b","value":"1","foo":"x"}]', JSON_PATCH);
    expect(opWarn.status, opWarn.text).toBe(200);
    expect(opWarn.headers.get('warning')).toBe('299 - "json patch unknown field \\"[0].foo\\""');
    // Unknown fields of the patched object are worded the same way, after the duplicates.
    const both = await call('PATCH', `${cmPath('dup')}?fieldValidation=Strict`, '{"data":{"z":"1","z":"2"},"bogus":1}', MERGE);
    expectPatchInvalid(both, 'strict decoding error: duplicate field "data.z", unknown field "bogus"');
    // A strategic merge patch is shown as Go prints the patch map.
    expectPatchInvalid(await call('PATCH', `${cmPath('dup')}?fieldValidation=Strict`, '{"bogus":1}', STRATEGIC), 'strict decoding error: unknown field "bogus"', /map\[bogus:1\]/);
    expect(await stored(cmPath('dup'))).toEqual(before);
    const warn = await call('PATCH', cmPath('dup'), '{"data":{"z":"1","z":"2"}}', STRATEGIC);
    expect(warn.status, warn.text).toBe(200);
    expect(warn.headers.get('warning')).toBe('299 - "duplicate field \\"data.z\\""');
    expect(warn.body.data.z).toBe('2');
  });
});

describe('write options', () => {
  it('forbids force on patches other than apply with 422', async () => {
    await configMap('force');
    const before = await stored(cmPath('force'));
    for (const ct of [MERGE, STRATEGIC]) {
      const r = await call('PATCH', `${cmPath('force')}?force=true`, { data: { z: '1' } }, ct);
      expectStatus(r, 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
      expect(r.body.details).toMatchObject({ group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueForbidden', field: 'force' }] });
    }
    expect(await stored(cmPath('force'))).toEqual(before);
  });

  it('rejects an unknown fieldValidation with 422 naming the options kind', async () => {
    const msg = (kind: string) => `${kind}.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"`;
    await configMap('fv');
    expectStatus(await call('POST', `${cmPath()}?fieldValidation=Bogus`, { metadata: { name: 'fv2' } }), 422, 'Invalid', msg('CreateOptions'));
    expectStatus(await call('PUT', `${cmPath('fv')}?fieldValidation=Bogus`, { metadata: { name: 'fv' } }), 422, 'Invalid', msg('UpdateOptions'));
    expectStatus(await call('PATCH', `${cmPath('fv')}?fieldValidation=Bogus`, { data: {} }, MERGE), 422, 'Invalid', msg('PatchOptions'));
    expectStatus(await call('PATCH', `${cmPath('fv')}?fieldValidation=Bogus&fieldManager=t`, 'data: {}\n', APPLY), 422, 'Invalid', msg('PatchOptions'));
  });
});

describe('server-side apply', () => {
  it('requires the apply patch to name the served version', async () => {
    await configMap('apply');
    const before = await stored(cmPath('apply'));
    expectStatus(await call('PATCH', `${cmPath('apply')}?fieldManager=t`, 'data:\n  z: "1"\n', APPLY), 400, 'BadRequest', 'invalid object type: /, Kind=');
    expectStatus(await call('PATCH', `${cmPath('apply')}?fieldManager=t`, 'apiVersion: v2\nkind: ConfigMap\n', APPLY), 400, 'BadRequest', 'invalid object type: /v2, Kind=ConfigMap');
    // The kind must be there, and the served one (upstream's version check compares all three).
    expectStatus(await call('PATCH', `${cmPath('apply')}?fieldManager=t`, 'apiVersion: v1\ndata:\n  z: "1"\n', APPLY), 400, 'BadRequest', 'invalid object type: /v1, Kind=');
    expectStatus(await call('PATCH', `${cmPath('apply')}?fieldManager=t`, 'apiVersion: v1\nkind: Secret\n', APPLY), 400, 'BadRequest', 'invalid object type: /v1, Kind=Secret');
    expectStatus(await call('PATCH', `${crPath('x')}?fieldManager=t`, 'apiVersion: v1\nkind: ControllerRevision\n', APPLY), 400, 'BadRequest', 'invalid object type: /v1, Kind=ControllerRevision');
    expect(await stored(cmPath('apply'))).toEqual(before);
  });

  it('rejects metadata that is not an object with 400', async () => {
    await configMap('apply-meta');
    const before = await stored(cmPath('apply-meta'));
    const r = await call('PATCH', `${cmPath('apply-meta')}?fieldManager=t`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: 5\ndata:\n  z: "1"\n', APPLY);
    expectStatus(r, 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.metadata of type v1.ObjectMeta');
    expect(await stored(cmPath('apply-meta'))).toEqual(before);
  });

  it('refuses a configuration repeating a list key with 400 (upstream: 500, which clients retry), creating and updating nothing', async () => {
    await configMap('apply-dup');
    const before = await stored(cmPath('apply-dup'));
    const twice = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apply-dup\n  finalizers: [a.example/x, a.example/x]\n';
    expectStatus(await call('PATCH', `${cmPath('apply-dup')}?fieldManager=t`, twice, APPLY), 400, 'BadRequest', 'failed to create typed patch object (/apply-dup; /v1, Kind=ConfigMap): .metadata.finalizers: duplicate entries for key [="a.example/x"]');
    expect(await stored(cmPath('apply-dup'))).toEqual(before);
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: apply-dup, namespace: default}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env: [{name: A, value: "1"}, {name: A, value: "2"}]\n';
    expectStatus(await call('PATCH', '/api/v1/namespaces/default/pods/apply-dup?fieldManager=t', pod, APPLY), 400, 'BadRequest', 'failed to create typed patch object (default/apply-dup; /v1, Kind=Pod): .spec.containers[name="c"].env: duplicate entries for key [name="A"]');
    expect((await call('GET', '/api/v1/namespaces/default/pods/apply-dup')).status).toBe(404);
  });
});

describe('malformed JSON', () => {
  it("is refused with 400 in Go's wording, as upstream's decoder words it, and changes nothing", async () => {
    const created = await call('POST', cmPath(), '{bad json');
    expectStatus(created, 400, 'BadRequest', "the body of the request could not be decoded as JSON: invalid character 'b' looking for beginning of object key string");
    await configMap('malformed');
    const before = await stored(cmPath('malformed'));
    expectStatus(await call('PATCH', cmPath('malformed'), '{bad json', MERGE), 400, 'BadRequest', "error decoding patch: invalid character 'b' looking for beginning of object key string");
    expectStatus(await call('PATCH', cmPath('malformed'), '{"data":{"a":"b"}', STRATEGIC), 400, 'BadRequest', 'error decoding patch: unexpected end of JSON input');
    expectStatus(await call('PATCH', cmPath('malformed'), '[{"op":"add","path":"/data/x","value":1.}]', JSON_PATCH), 400, 'BadRequest', "error decoding patch: invalid character '}' after decimal point in numeric literal");
    expect(await stored(cmPath('malformed'))).toEqual(before);
  });
});

describe('duplicate owner references', () => {
  // Upstream's request handlers drop an owner reference equal to an earlier one and warn.
  const warning = (uids: string, patch = false) =>
    `299 - ".metadata.ownerReferences contains duplicate entries${patch ? ' after mutating admission happens' : ''}; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ${uids}"`;

  it('are dropped with a warning on create, update and patch; references sharing only the UID are kept', async () => {
    const owner = await configMap('dup-owner');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'dup-owner', uid: owner.metadata.uid as string };
    const created = await call('POST', cmPath(), { metadata: { name: 'dup-refs', ownerReferences: [ref, ref, { ...ref, controller: true }] } });
    expect(created.status, created.text).toBe(201);
    objects.defer(async () => void (await call('DELETE', cmPath('dup-refs'))));
    expect(created.headers.get('warning')).toBe(warning(ref.uid));
    expect((await stored(cmPath('dup-refs'))).metadata.ownerReferences).toEqual([ref, { ...ref, controller: true }]);

    const cur = await stored(cmPath('dup-refs'));
    const put = await call('PUT', cmPath('dup-refs'), { ...cur, metadata: { ...cur.metadata, ownerReferences: [ref, ref, ref] } });
    expect(put.status, put.text).toBe(200);
    expect(put.headers.get('warning')).toBe(warning(`${ref.uid}, ${ref.uid}`));
    expect((await stored(cmPath('dup-refs'))).metadata.ownerReferences).toEqual([ref]);

    const patched = await call('PATCH', cmPath('dup-refs'), { metadata: { ownerReferences: [ref, ref] } }, MERGE);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.headers.get('warning')).toBe(warning(ref.uid, true));
    expect((await stored(cmPath('dup-refs'))).metadata.ownerReferences).toEqual([ref]);
    const clean = await call('PATCH', cmPath('dup-refs'), { data: { a: 'b' } }, MERGE);
    expect(clean.headers.get('warning')).toBeNull();
  });
});

describe('"__proto__" as a key', () => {
  // A ConfigMap's or Secret's data key only has to match [-._a-zA-Z0-9]+: "__proto__" is data,
  // kept through every write path, and never changes an object's prototype on the server.
  const proto = (v: unknown): Record<string, unknown> => JSON.parse(`{"__proto__":${JSON.stringify(v)}}`) as Record<string, unknown>;

  it('keeps it as a data key through create, the three patch types, apply and update', async () => {
    const body = `{"metadata":{"name":"proto-data"},"data":{"__proto__":"created","a":"b"}}`;
    const created = await call('POST', cmPath(), body);
    expect(created.status, created.text).toBe(201);
    objects.defer(async () => void (await call('DELETE', cmPath('proto-data'))));
    const data = async (): Promise<unknown> => (await stored(cmPath('proto-data'))).data;
    expect(await data()).toEqual({ ...proto('created'), a: 'b' });
    const steps: [string, string, string][] = [
      ['{"data":{"__proto__":"merged"}}', MERGE, 'merged'],
      ['{"data":{"__proto__":"strategic"}}', STRATEGIC, 'strategic'],
      ['[{"op":"replace","path":"/data/__proto__","value":"json"}]', JSON_PATCH, 'json'],
      ['apiVersion: v1\nkind: ConfigMap\ndata:\n  __proto__: applied\n', APPLY, 'applied'],
    ];
    for (const [patch, type, want] of steps) {
      // The apply takes the field over from the managers before it (a conflict otherwise, as upstream).
      const r = await call('PATCH', `${cmPath('proto-data')}?fieldManager=t${type === APPLY ? '&force=true' : ''}`, patch, type);
      expect(r.status, `${type}: ${r.text}`).toBe(200);
      expect(await data(), type).toEqual({ ...proto(want), a: 'b' });
    }
    const cur = await stored(cmPath('proto-data'));
    const put = await call('PUT', cmPath('proto-data'), JSON.stringify({ ...cur, data: { ...proto('put'), a: 'b' } }));
    expect(put.status, put.text).toBe(200);
    expect(await data()).toEqual({ ...proto('put'), a: 'b' });
    const removed = await call('PATCH', cmPath('proto-data'), '{"data":{"__proto__":null}}', MERGE);
    expect(removed.status, removed.text).toBe(200);
    expect(await data()).toEqual({ a: 'b' });
  });

  it('keeps it as a Secret data key (stored encrypted)', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/secrets', `{"metadata":{"name":"proto-secret"},"data":{"__proto__":"cw=="}}`);
    expect(r.status, r.text).toBe(201);
    objects.defer(async () => void (await call('DELETE', '/api/v1/namespaces/default/secrets/proto-secret')));
    expect((await stored('/api/v1/namespaces/default/secrets/proto-secret')).data).toEqual(proto('cw=='));
  });

  it('treats a data value under it as the value it is: an object is no string, and no prototype', async () => {
    await configMap('proto-object');
    const before = await stored(cmPath('proto-object'));
    const r = await call('PATCH', cmPath('proto-object'), '{"data":{"__proto__":{"polluted":"yes"}}}', MERGE);
    expectPatchInvalid(r, 'json: cannot unmarshal object into Go struct field ConfigMap.data of type string');
    expect(await stored(cmPath('proto-object'))).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not know the fields of later Kubernetes versions: lifecycle.stopSignal (1.33) is unknown to this 1.32 server', async () => {
    const pod = { metadata: { name: 'stop-signal' }, spec: { containers: [{ name: 'c', image: 'x', lifecycle: { stopSignal: 'SIGUSR1' } }] } };
    const strict = await call('POST', `/api/v1/namespaces/default/pods?fieldValidation=Strict`, pod);
    expectStatus(strict, 400, 'BadRequest', 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].lifecycle.stopSignal"');
  });

  it('is an unknown field at the top of an object, and an invalid label key', async () => {
    const strict = await call('POST', `${cmPath()}?fieldValidation=Strict`, '{"metadata":{"name":"proto-top"},"__proto__":{"data":{"a":"b"}}}');
    expectStatus(strict, 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "__proto__"');
    const label = await call('POST', cmPath(), '{"metadata":{"name":"proto-label","labels":{"__proto__":"a"}}}');
    expectStatus(label, 422, 'Invalid');
    expect(label.body.details.causes).toEqual([expect.objectContaining({ field: 'metadata.labels', reason: 'FieldValueInvalid' })]);
    expectStatus(await call('GET', cmPath('proto-top')), 404, 'NotFound');
    expectStatus(await call('GET', cmPath('proto-label')), 404, 'NotFound');
  });
});

describe('request line and headers', () => {
  it('answers a request whose trailing bytes are not HTTP first, then closes (never a 400 for a request it carried out)', async () => {
    // A DELETE with a body but no Content-Length: the body is not part of it (a real deletion,
    // not the dry run the body asks for, as upstream reads it) and is garbage as a next request.
    expect((await call('POST', cmPath(), { metadata: { name: 'unframed' } })).status).toBe(201);
    const url = new URL(server.url);
    const creds = serverCredentials(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({ host: url.hostname, port: Number(url.port), ca: creds.caPem }, () => {
        sock.write(`DELETE ${cmPath('unframed')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${creds.token}\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n\r\n{"dryRun":["All"]}`);
      });
      let data = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => (data += d));
      sock.on('close', () => resolve(data));
      sock.on('error', reject);
      setTimeout(() => {
        sock.destroy();
        reject(new Error(`the connection stayed open; got: ${data}`));
      }, 10_000).unref();
    });
    // The DELETE's own answer, and nothing claiming it failed; the connection is closed after it.
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('"kind":"Status"');
    expect(answer).not.toMatch(/HTTP\/1\.1 400/);
    expect((await call('GET', cmPath('unframed'))).status).toBe(404);
  });

  it('answers pods/exec and pods/portforward without an upgrade with 400, as upstream', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'no-upgrade' }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status).toBe(201);
    expectStatus(await call('POST', '/api/v1/namespaces/default/pods/no-upgrade/exec?command=ls&stdout=true'), 400, 'BadRequest', 'Upgrade request required');
    expectStatus(await call('GET', '/api/v1/namespaces/default/pods/no-upgrade/portforward?ports=80'), 400, 'BadRequest', 'Upgrade request required');
    expectStatus(await call('POST', '/api/v1/namespaces/default/pods/missing/exec?command=ls&stdout=true'), 404, 'NotFound');
    expectStatus(await call('PUT', '/api/v1/namespaces/default/pods/no-upgrade/exec', {}), 405, 'MethodNotAllowed');
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/no-upgrade?gracePeriodSeconds=0')).status).toBe(200);
  });

  it('checks a pod status podIP as its podIPs, as upstream converts them, and keeps the two in step', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'ips' }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status).toBe(201);
    const statusPath = '/api/v1/namespaces/default/pods/ips/status';
    const bad = await call('PATCH', statusPath, { status: { podIP: 'not-an-ip' } }, MERGE);
    expectStatus(bad, 422, 'Invalid');
    expect(bad.body.details.causes).toEqual([expect.objectContaining({ field: 'status.podIPs[0]', message: expect.stringContaining('Invalid value: "not-an-ip"') })]);
    expect((await stored('/api/v1/namespaces/default/pods/ips')).status.podIP).toBeUndefined();
    const good = await call('PATCH', statusPath, { status: { podIP: '10.1.2.3' } }, MERGE);
    expect(good.status, good.text).toBe(200);
    expect(good.body.status).toMatchObject({ podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }] });
    const listOnly = await call('PATCH', statusPath, { status: { podIP: null, podIPs: [{ ip: '10.1.2.4' }] } }, MERGE);
    expect(listOnly.body.status).toMatchObject({ podIP: '10.1.2.4', podIPs: [{ ip: '10.1.2.4' }] });
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/ips?gracePeriodSeconds=0')).status).toBe(200);
  });

  it('refuses bodies of a media type it does not decode, wildcards and malformed ones with 415', async () => {
    for (const ct of ['text/plain', '*/*', ';;;==', 'application/x-www-form-urlencoded']) {
      const r = await call('POST', cmPath(), { metadata: { name: 'media' } }, ct);
      expectStatus(r, 415, 'UnsupportedMediaType', /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf; got /);
    }
    expect((await call('GET', cmPath('media'))).status).toBe(404);
    expect((await call('POST', cmPath(), { metadata: { name: 'media' } }, 'application/json; charset=utf-8')).status).toBe(201);
  });

  it('ends a watch from a resourceVersion newer than the store with 410 Expired and a message that says so', async () => {
    const r = await call('GET', `${cmPath()}?watch=true&resourceVersion=99999999&timeoutSeconds=5`);
    expect(r.status).toBe(200);
    const ev = JSON.parse(r.text.trim().split('\n')[0]!) as { type: string; object: { code: number; reason: string; message: string } };
    expect(ev.type).toBe('ERROR');
    expect(ev.object).toMatchObject({ code: 410, reason: 'Expired' });
    expect(ev.object.message).toMatch(/^resource version 99999999 is newer than the current revision \d+ of this store \(a store wiped and started again\?\); list again$/);
  });

  it('serves a request line beyond 16 KiB', async () => {
    const selector = `app in (${Array.from({ length: 3000 }, (_, i) => `v${i}`).join(',')})`;
    const r = await call('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`);
    expect(r.status, r.text).toBe(200);
  });

  it('answers headers beyond 1 MiB with 431 and a Status', async () => {
    const r = await rawRequest('/api/v1/namespaces/default/pods', { 'x-big': 'y'.repeat(1100 * 1024) });
    expect(r.status).toBe(431);
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', status: 'Failure', code: 431 });
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});

describe('read-only routes', () => {
  it('refuses writes through /watch/ paths with 405 and keeps the object', async () => {
    await configMap('watched');
    const before = await stored(cmPath('watched'));
    const watchPath = '/api/v1/watch/namespaces/default/configmaps';
    expectStatus(await call('PATCH', `${watchPath}/watched`, { data: { via: 'watch' } }, MERGE), 405, 'MethodNotAllowed');
    expectStatus(await call('PUT', `${watchPath}/watched`, { metadata: { name: 'watched' }, data: {} }), 405, 'MethodNotAllowed');
    expectStatus(await call('DELETE', `${watchPath}/watched`), 405, 'MethodNotAllowed');
    expectStatus(await call('DELETE', watchPath), 405, 'MethodNotAllowed');
    expectStatus(await call('POST', watchPath, { metadata: { name: 'via-watch' } }), 405, 'MethodNotAllowed');
    expect(await stored(cmPath('watched'))).toEqual(before);
    expect((await call('GET', cmPath('via-watch'))).status).toBe(404);
  });

  it('refuses DELETE and POST of a namespaced kind across all namespaces with 405, deleting nothing', async () => {
    await configMap('kept-everywhere');
    for (const path of ['/api/v1/configmaps', '/api/v1/pods', '/apis/apps/v1/daemonsets']) {
      expectStatus(await call('DELETE', path), 405, 'MethodNotAllowed');
      expectStatus(await call('DELETE', `${path}?labelSelector=a%3Db`), 405, 'MethodNotAllowed');
      expectStatus(await call('POST', path, { metadata: { name: 'x' } }), 405, 'MethodNotAllowed');
      expect((await call('GET', path)).status).toBe(200);
    }
    expect((await call('GET', cmPath('kept-everywhere'))).status).toBe(200);
    // A cluster-scoped kind's collection is deleted at its own path.
    expect((await call('DELETE', '/apis/scheduling.k8s.io/v1/priorityclasses?labelSelector=none%3Dsuch')).status).toBe(200);
  });

  it('refuses methods other than GET and HEAD on discovery with 405', async () => {
    for (const path of ['/', '/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1']) {
      expectStatus(await call('POST', path, {}), 405, 'MethodNotAllowed');
      expectStatus(await call('DELETE', path), 405, 'MethodNotAllowed');
      expect((await call('GET', path)).status).toBe(200);
      expect((await call('HEAD', path)).status).toBe(200);
    }
  });
});
