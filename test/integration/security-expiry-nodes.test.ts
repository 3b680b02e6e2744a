// Issue 7, beyond security.test.ts: a token that expires while in use stops working on every
// verb; NodeRestriction on taints as upstream (plugin/pkg/admission/noderestriction: a node may
// register with taints but never change spec.taints on update, so it cannot shed a taint an
// admin set), the remaining writes on another node's objects, and the reads and writes an
// agent needs (events, its pods' Secrets and ConfigMaps via the Node authorizer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease, Node, Pod } from '../../src/api/types.js';
import { TokenStore } from '../../src/auth/index.js';
import { asStatus, Cleanup, httpRequest, startTestServer, waitFor, type HttpAnswer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let url = '';
beforeAll(async () => {
  ts = await startTestServer(cleanup);
  url = ts.server.url;
});
afterAll(() => cleanup.run());

const json = (o: unknown) => JSON.stringify(o);
const mergePatch = 'application/merge-patch+json';
const admin = (method: string, path: string, body?: unknown, contentType?: string) =>
  httpRequest(url + path, { method, ...(body !== undefined ? { body: json(body) } : {}), ...(contentType ? { contentType } : {}) });

function expectForbidden(r: HttpAnswer, fragment?: string): void {
  expect(r.status, r.text).toBe(403);
  expect(asStatus(r.json), r.text).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
  if (fragment) expect(asStatus(r.json)?.message).toContain(fragment);
}

describe('expired credentials', () => {
  it('a token that authenticated stops authenticating once past its expiry, on every verb', async () => {
    const store = new TokenStore(ts.dataDir);
    const token = store.create({ user: 'short-lived', groups: ['system:masters'], kind: 'user', ttlSeconds: 5 }).token;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'exp', namespace: 'default' }, data: { k: 'v' } };
    const as = (method: string, path: string, body?: unknown, contentType?: string) =>
      httpRequest(url + path, { method, token, ...(body !== undefined ? { body: json(body) } : {}), ...(contentType ? { contentType } : {}) });
    // Valid now (the server re-reads tokens.json on change).
    const created = await as('POST', '/api/v1/namespaces/default/configmaps', cm);
    expect(created.status, created.text).toBe(201);
    await waitFor(async () => (await as('GET', '/api/v1/namespaces/default/configmaps/exp')).status === 401, { timeoutMs: 30_000, message: 'the token expires' });
    const calls: [string, string, unknown?, string?][] = [
      ['GET', '/api/v1/namespaces/default/configmaps'],
      ['GET', '/api/v1/namespaces/default/configmaps?watch=true'],
      ['POST', '/api/v1/namespaces/default/configmaps', { ...cm, metadata: { ...cm.metadata, name: 'exp2' } }],
      ['PUT', '/api/v1/namespaces/default/configmaps/exp', cm],
      ['PATCH', '/api/v1/namespaces/default/configmaps/exp', { data: { k: 'w' } }, mergePatch],
      ['DELETE', '/api/v1/namespaces/default/configmaps/exp'],
      ['GET', '/apis'],
    ];
    for (const [method, path, body, ct] of calls) {
      const r = await as(method, path, body, ct);
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(401);
      expect(asStatus(r.json)).toMatchObject({ reason: 'Unauthorized', message: 'Unauthorized' });
    }
    // Nothing the expired token asked for happened.
    const after = (await admin('GET', '/api/v1/namespaces/default/configmaps/exp')).json as { data: Record<string, string> };
    expect(after.data['k']).toBe('v');
    expect((await admin('GET', '/api/v1/namespaces/default/configmaps/exp2')).status).toBe(404);
  });
});

describe('node restriction', () => {
  interface Ident {
    certPem: string;
    keyPem: string;
  }
  let a: Ident;
  let b: Ident;
  const asNode = (n: Ident, method: string, path: string, body?: unknown, contentType?: string) =>
    httpRequest(url + path, { method, cert: n.certPem, key: n.keyPem, ...(body !== undefined ? { body: json(body) } : {}), ...(contentType ? { contentType } : {}) });
  const node = (name: string, taints: unknown[] = []): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } }) as unknown as Node;
  const pod = (name: string, nodeName: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta }, spec: { nodeName, containers: [{ name: 'c', image: 'x' }], ...spec } }) as unknown as Pod;
  const lease = (name: string): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } }) as Lease;
  const admTaint = { key: 'example.com/maintenance', effect: 'NoSchedule' };
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

  beforeAll(async () => {
    a = await ts.server.issueNodeIdentity('node-a');
    b = await ts.server.issueNodeIdentity('node-b');
    // Upstream lets a node register with taints (kubelet --register-with-taints).
    const reg = await asNode(a, 'POST', '/api/v1/nodes', node('node-a', [{ key: 'example.com/boot', effect: 'NoSchedule' }]));
    expect(reg.status, reg.text).toBe(201);
    expect((await asNode(b, 'POST', '/api/v1/nodes', node('node-b'))).status).toBe(201);
    expect((await asNode(b, 'POST', leasePath, lease('node-b'))).status).toBe(201);
    const s = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData: { v } });
    expect((await admin('POST', '/api/v1/namespaces/default/secrets', s('for-a', 'a'))).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces/default/secrets', s('for-b', 'b'))).status).toBe(201);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf-a', namespace: 'default' }, data: { k: 'v' } };
    expect((await admin('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    const env = (secret: string) => ({ containers: [{ name: 'c', image: 'x', env: [{ name: 'V', valueFrom: { secretKeyRef: { name: secret, key: 'v' } } }] }] });
    expect((await admin('POST', '/api/v1/namespaces/default/pods', pod('on-a', 'node-a', { ...env('for-a'), volumes: [{ name: 'cfg', configMap: { name: 'conf-a' } }] }))).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces/default/pods', pod('on-b', 'node-b', env('for-b')))).status).toBe(201);
  });

  it('a node cannot change its own taints by PUT or PATCH, nor shed a taint an admin set', async () => {
    const cur = (await asNode(a, 'GET', '/api/v1/nodes/node-a')).json as Node;
    // Unchanged taints: allowed.
    const same = await asNode(a, 'PUT', '/api/v1/nodes/node-a', { ...cur, metadata: { ...cur.metadata, labels: { ...(cur.metadata.labels ?? {}), 'example.com/x': '1' } } });
    expect(same.status, same.text).toBe(200);
    const fresh = (await asNode(a, 'GET', '/api/v1/nodes/node-a')).json as Node;
    expectForbidden(await asNode(a, 'PUT', '/api/v1/nodes/node-a', { ...fresh, spec: { ...fresh.spec, taints: [] } }), 'node "node-a" is not allowed to modify taints');
    expectForbidden(await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: null } }, mergePatch), 'is not allowed to modify taints');
    const strategic = await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: [{ key: 'example.com/extra', effect: 'NoExecute' }] } }, 'application/strategic-merge-patch+json');
    expectForbidden(strategic, 'is not allowed to modify taints');

    // An admin taints the node; the node cannot remove it.
    const tainted = await admin('PATCH', '/api/v1/nodes/node-a', { spec: { taints: [admTaint] } }, mergePatch);
    expect(tainted.status, tainted.text).toBe(200);
    expectForbidden(await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: [] } }, mergePatch), 'is not allowed to modify taints');
    // Through nodes/status the spec is not written (status strategy): the taint stays.
    const st = (await asNode(a, 'GET', '/api/v1/nodes/node-a')).json as Node;
    const statusPut = await asNode(a, 'PUT', '/api/v1/nodes/node-a/status', { ...st, spec: { ...st.spec, taints: [] } });
    expect(statusPut.status, statusPut.text).toBe(200);
    expect(((await admin('GET', '/api/v1/nodes/node-a')).json as Node).spec?.taints).toEqual([admTaint]);
  });

  it("node A cannot create node B, write B's status or lease, or update any pod's spec", async () => {
    expectForbidden(await asNode(a, 'POST', '/api/v1/nodes', node('node-c')), 'node "node-a" is not allowed to modify node "node-c"');
    const nb = (await admin('GET', '/api/v1/nodes/node-b')).json as Node;
    expectForbidden(await asNode(a, 'PUT', '/api/v1/nodes/node-b/status', { ...nb, status: { ...nb.status, phase: 'Terminated' } }), 'is not allowed to modify node "node-b"');
    expectForbidden(await asNode(a, 'PUT', '/api/v1/nodes/node-b', { ...nb, spec: { ...nb.spec, unschedulable: true } }));
    expectForbidden(await asNode(a, 'PATCH', `${leasePath}/node-b`, { spec: { holderIdentity: 'node-a' } }, mergePatch));
    expectForbidden(await asNode(a, 'DELETE', `${leasePath}/node-b`));
    expectForbidden(await asNode(a, 'GET', `${leasePath}/node-b`));
    expect(((await admin('GET', `${leasePath}/node-b`)).json as Lease).spec?.holderIdentity).toBe('node-b');

    const onB = (await admin('GET', '/api/v1/namespaces/default/pods/on-b')).json as Pod;
    expectForbidden(await asNode(a, 'PUT', '/api/v1/namespaces/default/pods/on-b', { ...onB, metadata: { ...onB.metadata, labels: { x: 'y' } } }));
    expectForbidden(await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/on-a', { metadata: { labels: { x: 'y' } } }, mergePatch), 'cannot patch resource "pods"'); // system:node grants no pod update
    // A mirror pod may not pull in a Secret (the node would gain read access to it).
    const nodeA = (await admin('GET', '/api/v1/nodes/node-a')).json as Node;
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: nodeA.metadata.uid, controller: true };
    const mirror = pod('static-a', 'node-a', { containers: [{ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'for-b' } }] }] }, { annotations: { 'kubernetes.io/config.mirror': 'x' }, ownerReferences: [owner] });
    expectForbidden(await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirror), 'can not create pods that reference secrets');
  });

  it("node A reads only the Secrets and ConfigMaps of its own pods, and writes events", async () => {
    const sa = await asNode(a, 'GET', '/api/v1/namespaces/default/secrets/for-a');
    expect(sa.status, sa.text).toBe(200);
    expect((await asNode(a, 'GET', '/api/v1/namespaces/default/configmaps/conf-a')).status).toBe(200);
    const sb = await asNode(a, 'GET', '/api/v1/namespaces/default/secrets/for-b');
    expectForbidden(sb, `no relationship found between node 'node-a' and this object`);
    expectForbidden(await asNode(a, 'GET', '/api/v1/namespaces/default/secrets'));
    expect((await asNode(b, 'GET', '/api/v1/namespaces/default/secrets/for-b')).status).toBe(200);

    // Its pods by field selector, list/watch included.
    const pods = await asNode(a, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a');
    expect(pods.status, pods.text).toBe(200);
    expect((pods.json as { items: Pod[] }).items.map((p) => p.metadata.name)).toContain('on-a');
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { generateName: 'node-a.', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'node-a' }, reason: 'Starting', message: 'agent started', type: 'Normal', source: { component: 'everynode-agent', host: 'node-a' } };
    const created = await asNode(a, 'POST', '/api/v1/namespaces/default/events', ev);
    expect(created.status, created.text).toBe(201);
    const statusPatch = await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/on-a/status', { status: { phase: 'Running' } }, mergePatch);
    expect(statusPatch.status, statusPatch.text).toBe(200);
    expect((await asNode(a, 'DELETE', `${leasePath}/node-a`)).status).toBe(404); // authorized; never created here
  });
});
