// Security of the real API server over HTTPS (issue 7): authentication (401), RBAC (403 with
// upstream's wording), client certificates, the join flow, the Node authorizer +
// NodeRestriction with real node identities, file modes and restart.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Lease, Node, Pod } from '../../src/api/types.js';
import { createJoinToken, ensurePki, issueClientCert, joinCluster, loadNodeIdentity, nodeIdentityFiles, TokenStore } from '../../src/auth/index.js';
import { asStatus, Cleanup, createUserToken, etcdAvailable, freshEtcdStoreUrl, httpRequest, issueTestClientCert, makeTempDir, restartTestServer, startTestServer, waitFor, type HttpAnswer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let url = '';

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  url = ts.server.url;
});
afterAll(() => cleanup.run());

const json = (o: unknown) => JSON.stringify(o);
const cm = (name: string, ns = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: 'v' } });

async function as(token: string, method: string, path: string, body?: unknown, contentType?: string): Promise<HttpAnswer> {
  return httpRequest(url + path, { method, token, ...(body !== undefined ? { body: typeof body === 'string' ? body : json(body) } : {}), ...(contentType ? { contentType } : {}) });
}

async function admin(method: string, path: string, body?: unknown, contentType?: string): Promise<HttpAnswer> {
  const r = await httpRequest(url + path, { method, ...(body !== undefined ? { body: typeof body === 'string' ? body : json(body) } : {}), ...(contentType ? { contentType } : {}) });
  return r;
}

function expectCode(r: HttpAnswer, code: number, reason: string): void {
  expect(r.status, r.text).toBe(code);
  expect(asStatus(r.json), r.text).toMatchObject({ kind: 'Status', code, reason });
}

/** Every verb on a resource path, plus non-resource paths (discovery, OpenAPI). */
const everyVerb: [string, string, unknown?, string?][] = [
  ['GET', '/api/v1/namespaces/default/configmaps'],
  ['GET', '/api/v1/namespaces/default/configmaps/x'],
  ['GET', '/api/v1/namespaces/default/configmaps?watch=true'],
  ['GET', '/api/v1/configmaps'],
  ['POST', '/api/v1/namespaces/default/configmaps', cm('x')],
  ['PUT', '/api/v1/namespaces/default/configmaps/x', cm('x')],
  ['PATCH', '/api/v1/namespaces/default/configmaps/x', { data: { k: 'w' } }, 'application/merge-patch+json'],
  ['DELETE', '/api/v1/namespaces/default/configmaps/x'],
  ['DELETE', '/api/v1/namespaces/default/configmaps'],
  ['PUT', '/api/v1/nodes/n/status', {}],
  ['GET', '/api/v1/namespaces/default/pods/p/log'],
  ['GET', '/api'],
  ['GET', '/apis'],
  ['GET', '/apis/apps/v1'],
  ['GET', '/openapi/v3'],
  ['GET', '/'],
  ['GET', '/metrics'],
];

describe('authentication', () => {
  it('answers 401 Unauthorized without a credential on every verb and non-public path', async () => {
    for (const [method, path, body, ct] of everyVerb) {
      const r = await httpRequest(url + path, { method, anonymous: true, ...(body !== undefined ? { body: json(body) } : {}), ...(ct ? { contentType: ct } : {}) });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(401);
      expect(asStatus(r.json)).toMatchObject({ reason: 'Unauthorized', message: 'Unauthorized' });
    }
  });

  it('answers 401 for a wrong, malformed, expired or join token, and a certificate of another CA', async () => {
    const store = new TokenStore(ts.dataDir);
    const expired = store.create({ user: 'late', groups: [], kind: 'user', ttlSeconds: 1, now: new Date(Date.now() - 10_000) }).token;
    const join = store.create({ user: 'system:bootstrap', groups: [], kind: 'join', ttlSeconds: 600 }).token;
    const wrongSecret = ts.adminToken.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    const otherCa = await ensurePki(makeTempDir(cleanup, 'other-ca'));
    const foreign = await issueClientCert(otherCa, { commonName: 'admin', organizations: ['system:masters'], days: 1 });
    for (const [method, path, body, ct] of everyVerb) {
      for (const token of ['not-a-valid-token', wrongSecret, expired, join]) {
        const r = await httpRequest(url + path, { method, token, ...(body !== undefined ? { body: json(body) } : {}), ...(ct ? { contentType: ct } : {}) });
        expect(r.status, `${method} ${path} with a bad token: ${r.text}`).toBe(401);
      }
      const r = await httpRequest(url + path, { method, cert: foreign.certPem, key: foreign.keyPem, ...(body !== undefined ? { body: json(body) } : {}), ...(ct ? { contentType: ct } : {}) });
      expect(r.status, `${method} ${path} with a foreign certificate: ${r.text}`).toBe(401);
    }
  });

  it('serves /healthz, /livez, /readyz and /version without credentials, but not with a bad one', async () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/version', '/healthz/ping', '/readyz/etcd']) {
      const r = await httpRequest(url + p, { anonymous: true });
      expect(r.status, `${p}: ${r.text}`).toBe(200);
    }
    expect((await httpRequest(url + '/healthz', { token: 'bogus0.bogusbogusbogusbogus' })).status).toBe(401);
  });

  it('accepts the admin token of the kubeconfig and a client certificate signed by the cluster CA', async () => {
    expect((await admin('GET', '/api/v1/namespaces')).status).toBe(200);
    const c = await issueTestClientCert(ts.server, 'root', ['system:masters']);
    const r = await httpRequest(url + '/api/v1/namespaces', { cert: c.certPem, key: c.keyPem });
    expect(r.status, r.text).toBe(200);
  });
});

describe('authorization (RBAC)', () => {
  it('refuses a user without bindings with upstream 403 messages, discovery excepted', async () => {
    const t = createUserToken(ts.dataDir, 'alice');
    const list = await as(t, 'GET', '/api/v1/namespaces/default/pods');
    expectCode(list, 403, 'Forbidden');
    expect(asStatus(list.json)?.message).toBe('pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    const get = await as(t, 'GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/x');
    expect(asStatus(get.json)?.message).toBe('daemonsets.apps "x" is forbidden: User "alice" cannot get resource "daemonsets" in API group "apps" in the namespace "kube-system"');
    const nodes = await as(t, 'GET', '/api/v1/nodes');
    expect(asStatus(nodes.json)?.message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    const metrics = await as(t, 'GET', '/metrics');
    expect(asStatus(metrics.json)?.message).toBe('forbidden: User "alice" cannot get path "/metrics"');
    // system:discovery and system:public-info-viewer for every authenticated user.
    for (const p of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/openapi/v3', '/version']) expect((await as(t, 'GET', p)).status, p).toBe(200);
  });

  it('a user bound to view reads but cannot write; a Role in one namespace grants nothing in another', async () => {
    expect((await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } })).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } })).status).toBe(201);
    const viewer = createUserToken(ts.dataDir, 'victor');
    expect((await as(viewer, 'GET', '/api/v1/namespaces/team-a/configmaps')).status).toBe(403);
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'victor-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'victor' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb)).status).toBe(201);
    // Effective at once (the RBAC cache drops on the write).
    expect((await as(viewer, 'GET', '/api/v1/namespaces/team-a/configmaps')).status).toBe(200);
    expect((await as(viewer, 'GET', '/api/v1/namespaces/team-a/secrets')).status).toBe(403);
    const denied = await as(viewer, 'POST', '/api/v1/namespaces/team-a/configmaps', cm('c1', 'team-a'));
    expectCode(denied, 403, 'Forbidden');
    expect(asStatus(denied.json)?.message).toBe('configmaps is forbidden: User "victor" cannot create resource "configmaps" in API group "" in the namespace "team-a"');

    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-writer', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update', 'delete'] }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', role)).status).toBe(201);
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'victor-cm', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-writer' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'victor' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', rb)).status).toBe(201);
    expect((await as(viewer, 'POST', '/api/v1/namespaces/team-a/configmaps', cm('c1', 'team-a'))).status).toBe(201);
    expect((await as(viewer, 'POST', '/api/v1/namespaces/team-b/configmaps', cm('c1', 'team-b'))).status).toBe(403);
    // Removing the binding takes the grant away.
    expect((await admin('DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/victor-cm')).status).toBe(200);
    expect((await as(viewer, 'DELETE', '/api/v1/namespaces/team-a/configmaps/c1')).status).toBe(403);
  });

  it('a ServiceAccount subject of a RoleBinding grants the service account user in that namespace only', async () => {
    const sa = createUserToken(ts.dataDir, 'system:serviceaccount:team-a:robot', ['system:serviceaccounts', 'system:serviceaccounts:team-a']);
    expect((await as(sa, 'GET', '/apis/apps/v1/namespaces/team-a/daemonsets')).status).toBe(403);
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'robot-edit', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'robot' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', rb)).status).toBe(201);
    expect((await as(sa, 'GET', '/apis/apps/v1/namespaces/team-a/daemonsets')).status).toBe(200);
    expect((await as(sa, 'POST', '/api/v1/namespaces/team-a/configmaps', cm('by-robot', 'team-a'))).status).toBe(201);
    expect((await as(sa, 'GET', '/apis/apps/v1/namespaces/team-b/daemonsets')).status).toBe(403);
    // edit does not include RBAC.
    expect((await as(sa, 'GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles')).status).toBe(403);
  });

  it('namespaces under a namespace path do not exist: full rights in one namespace reach no other', async () => {
    const bob = createUserToken(ts.dataDir, 'bob');
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bob-admin', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', rb)).status).toBe(201);
    expect((await as(bob, 'GET', '/api/v1/namespaces/team-a/configmaps')).status).toBe(200);
    expect((await as(bob, 'GET', '/api/v1/namespaces')).status).toBe(403);
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/team-a/namespaces'],
      ['GET', '/api/v1/namespaces/team-a/namespaces/team-b'],
      ['DELETE', '/api/v1/namespaces/team-a/namespaces?fieldSelector=metadata.name%3Dteam-b'],
      ['POST', '/api/v1/namespaces/team-a/namespaces'],
    ] as const) {
      const r = await as(bob, method, path, method === 'POST' ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bobs' } } : undefined);
      // 404 (no such route), or 403 where the path names another namespace (authorized there first).
      expect([403, 404], `${method} ${path}: ${r.status}`).toContain(r.status);
    }
    expect((await admin('GET', '/api/v1/namespaces/team-b')).status).toBe(200);
    expect((await admin('GET', '/api/v1/namespaces/bobs')).status).toBe(404);
  });

  it('an update or patch that would create the object needs the create permission too (server-side apply, PUT of a Lease)', async () => {
    expect((await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'patch-only' } })).status).toBe(201);
    const gina = createUserToken(ts.dataDir, 'gina');
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'patcher', namespace: 'patch-only' },
      rules: [
        { apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'] },
      ],
    };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/patch-only/roles', role)).status).toBe(201);
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'gina', namespace: 'patch-only' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patcher' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'gina' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/patch-only/rolebindings', rb)).status).toBe(201);
    const apply = 'application/apply-patch+yaml';
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evil', namespace: 'patch-only' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox' }] } };
    for (const dry of ['', '&dryRun=All']) {
      const created = await as(gina, 'PATCH', `/api/v1/namespaces/patch-only/pods/evil?fieldManager=g${dry}`, pod, apply);
      expectCode(created, 403, 'Forbidden');
      expect(asStatus(created.json)?.message).toBe('pods "evil" is forbidden: User "gina" cannot create resource "pods" in API group "" in the namespace "patch-only"');
    }
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1', namespace: 'patch-only' }, spec: { holderIdentity: 'g' } };
    expectCode(await as(gina, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/patch-only/leases/l1', lease), 403, 'Forbidden');
    expect((await admin('GET', '/api/v1/namespaces/patch-only/pods/evil')).status).toBe(404);
    expect((await admin('GET', '/apis/coordination.k8s.io/v1/namespaces/patch-only/leases/l1')).status).toBe(404);
    // An object that exists is patched and updated with the patch and update permissions alone.
    expect((await admin('POST', '/api/v1/namespaces/patch-only/configmaps', cm('there', 'patch-only'))).status).toBe(201);
    expect((await as(gina, 'PATCH', '/api/v1/namespaces/patch-only/configmaps/there?fieldManager=g&force=true', { ...cm('there', 'patch-only'), data: { k: 'applied' } }, apply)).status).toBe(200);
    expect((await admin('POST', '/apis/coordination.k8s.io/v1/namespaces/patch-only/leases', lease)).status).toBe(201);
    const current = (await admin('GET', '/apis/coordination.k8s.io/v1/namespaces/patch-only/leases/l1')).json as Lease;
    expect((await as(gina, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/patch-only/leases/l1', { ...current, spec: { holderIdentity: 'gina' } })).status).toBe(200);
    // With create granted, the apply creates.
    const creator = { ...role, metadata: { name: 'creator', namespace: 'patch-only' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/patch-only/roles', creator)).status).toBe(201);
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/patch-only/rolebindings', { ...rb, metadata: { name: 'gina-create', namespace: 'patch-only' }, roleRef: { ...rb.roleRef, name: 'creator' } })).status).toBe(201);
    expect((await as(gina, 'PATCH', '/api/v1/namespaces/patch-only/configmaps/fresh?fieldManager=g', cm('fresh', 'patch-only'), apply)).status).toBe(201);
  });

  it('a role limited by resourceNames allows a list or watch of that one name (fieldSelector metadata.name), nothing wider', async () => {
    const dora = createUserToken(ts.dataDir, 'dora');
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'one-secret', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'], verbs: ['get', 'list', 'watch'] }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', role)).status).toBe(201);
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'dora-one', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-secret' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'dora' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', rb)).status).toBe(201);
    for (const n of ['s1', 's2']) expect((await admin('POST', '/api/v1/namespaces/team-a/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: n }, stringData: { k: n } })).status).toBe(201);
    const one = await as(dora, 'GET', '/api/v1/namespaces/team-a/secrets?fieldSelector=metadata.name%3Ds1');
    expect(one.status, one.text).toBe(200);
    expect((one.json as { items: KubeObject[] }).items.map((i) => i.metadata.name)).toEqual(['s1']);
    expect((await as(dora, 'GET', '/api/v1/namespaces/team-a/secrets?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Ds1')).status).toBe(200);
    expect((await as(dora, 'GET', '/api/v1/namespaces/team-a/secrets')).status).toBe(403);
    expect((await as(dora, 'GET', '/api/v1/namespaces/team-a/secrets?fieldSelector=metadata.name%3Ds2')).status).toBe(403);
  });

  it("a named GET with ?watch is an ordinary get, authorized and answered as one (upstream's RequestInfo); the /watch/ path form watches", async () => {
    const gina = createUserToken(ts.dataDir, 'gina');
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-get', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', role)).status).toBe(201);
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'gina-get', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-get' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'gina' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', rb)).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces/team-a/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: '1' } })).status).toBe(201);
    const got = await as(gina, 'GET', '/api/v1/namespaces/team-a/configmaps/watched?watch=true');
    expect(got.status, got.text).toBe(200);
    expect(got.json).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: '1' } });
    expect((await as(gina, 'GET', '/api/v1/namespaces/team-a/configmaps?watch=true')).status).toBe(403);
    const pathWatch = await as(gina, 'GET', '/api/v1/watch/namespaces/team-a/configmaps/watched');
    expect(pathWatch.status).toBe(403);
    expect(pathWatch.text).toContain('cannot watch resource');
  });

  it('nobody grants through RBAC what they do not hold, unless they may escalate or bind (upstream escalation prevention)', async () => {
    const eve = createUserToken(ts.dataDir, 'eve');
    const G = 'rbac.authorization.k8s.io';
    const binding = (name: string, roleKind: string, roleName: string, user: string) => ({ apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name, namespace: 'team-a' }, roleRef: { apiGroup: G, kind: roleKind, name: roleName }, subjects: [{ kind: 'User', apiGroup: G, name: user }] });
    const roleWith = (name: string, rules: unknown[]) => ({ apiVersion: `${G}/v1`, kind: 'Role', metadata: { name, namespace: 'team-a' }, rules });
    expect((await admin('POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('eve-admin', 'ClusterRole', 'admin', 'eve'))).status).toBe(201);
    // admin may write roles and bindings in team-a, but not hand out more than admin.
    const toClusterAdmin = await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('eve-everything', 'ClusterRole', 'cluster-admin', 'eve'));
    expectCode(toClusterAdmin, 403, 'Forbidden');
    expect(asStatus(toClusterAdmin.json)?.message).toMatch(/^rolebindings\.rbac\.authorization\.k8s\.io "eve-everything" is forbidden: user "eve" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    expectCode(await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('all', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])), 403, 'Forbidden');
    // The missing rights are listed as upstream compacts them: one line per group, resource and name, with all its verbs, sorted.
    const nodesAndUrls = await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('nodes', [
      { apiGroups: [''], resources: ['nodes', 'persistentvolumes'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'], verbs: ['patch'] },
    ]));
    expectCode(nodesAndUrls, 403, 'Forbidden');
    expect(asStatus(nodesAndUrls.json)?.message?.split('\n').slice(1)).toEqual([
      '{APIGroups:[""], Resources:["nodes"], ResourceNames:["n1"], Verbs:["patch"]}',
      '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}',
      '{APIGroups:[""], Resources:["persistentvolumes"], Verbs:["get" "list"]}',
    ]);
    // What she holds she may grant.
    expect((await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('cm-read', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }]))).status).toBe(201);
    expect((await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('frank-cm', 'Role', 'cm-read', 'frank'))).status).toBe(201);
    // A binding to a role that does not exist: 404, as upstream.
    expectCode(await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('ghost', 'Role', 'no-such-role', 'frank')), 404, 'NotFound');
    // Updating a role to grant more is checked too.
    const cmRead = (await as(eve, 'GET', `/apis/${G}/v1/namespaces/team-a/roles/cm-read`)).json as KubeObject;
    expectCode(await as(eve, 'PUT', `/apis/${G}/v1/namespaces/team-a/roles/cm-read`, { ...cmRead, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }), 403, 'Forbidden');
    // The escalate and bind verbs lift the check. An escalate limited by resourceNames covers
    // writes that name the role in their path, not a create by POST (upstream asks for the
    // request's name, empty there).
    const named = { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'named-escalate', namespace: 'team-a' }, rules: [{ apiGroups: [G], resources: ['roles'], resourceNames: ['only-this'], verbs: ['escalate'] }] };
    expect((await admin('POST', `/apis/${G}/v1/namespaces/team-a/roles`, named)).status).toBe(201);
    expect((await admin('POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('eve-named', 'Role', 'named-escalate', 'eve'))).status).toBe(201);
    expectCode(await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('only-this', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])), 403, 'Forbidden');
    expect((await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('only-this', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]))).status).toBe(201);
    const onlyThis = (await as(eve, 'GET', `/apis/${G}/v1/namespaces/team-a/roles/only-this`)).json as KubeObject;
    expect((await as(eve, 'PUT', `/apis/${G}/v1/namespaces/team-a/roles/only-this`, { ...onlyThis, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] })).status).toBe(200);
    const lift = { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'lift', namespace: 'team-a' }, rules: [{ apiGroups: [G], resources: ['roles'], verbs: ['escalate'] }, { apiGroups: [G], resources: ['clusterroles'], resourceNames: ['cluster-admin'], verbs: ['bind'] }] };
    expect((await admin('POST', `/apis/${G}/v1/namespaces/team-a/roles`, lift)).status).toBe(201);
    expect((await admin('POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('eve-lift', 'Role', 'lift', 'eve'))).status).toBe(201);
    expect((await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/roles`, roleWith('all', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]))).status).toBe(201);
    expect((await as(eve, 'POST', `/apis/${G}/v1/namespaces/team-a/rolebindings`, binding('frank-everything', 'ClusterRole', 'cluster-admin', 'frank'))).status).toBe(201);
  });

  it('client certificates authenticate CN as the user and O as groups', async () => {
    const c = await issueTestClientCert(ts.server, 'carol', ['auditors']);
    const before = await httpRequest(url + '/api/v1/namespaces/team-b/configmaps', { cert: c.certPem, key: c.keyPem });
    expect(asStatus(before.json)?.message).toContain('User "carol" cannot list resource "configmaps"');
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'auditors-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'auditors' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb)).status).toBe(201);
    expect((await httpRequest(url + '/api/v1/namespaces/team-b/configmaps', { cert: c.certPem, key: c.keyPem })).status).toBe(200);
  });

  it('creates the bootstrap ClusterRoles and bindings, and does not overwrite an edited one on restart', async () => {
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:node', 'system:discovery']) {
      expect((await admin('GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${n}`)).status, n).toBe(200);
    }
    const view = (await admin('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).json as KubeObject & { rules: unknown[] };
    const edited = { ...view, metadata: { ...view.metadata, labels: { ...(view.metadata.labels ?? {}), edited: 'yes' } } };
    expect((await admin('PUT', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view', edited)).status).toBe(200);
    ts = await restartTestServer(cleanup, ts);
    url = ts.server.url;
    const after = (await admin('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).json as KubeObject;
    expect(after.metadata.labels?.['edited']).toBe('yes');
  });
});

describe('files and restart', () => {
  it('keeps keys, tokens and the kubeconfig readable by the owner only', () => {
    for (const f of ['kubeconfig.yaml', 'tokens.json', 'tls/ca.key', 'tls/server.key']) {
      expect((statSync(join(ts.dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
    }
    expect((statSync(join(ts.dataDir, 'tls')).mode & 0o777).toString(8)).toBe('700');
  });

  it('creates a data dir that does not exist yet 0700, whatever the umask lets mkdir make', async () => {
    const dataDir = join(makeTempDir(cleanup, 'fresh-dir'), 'new', 'data');
    const other = await startTestServer(cleanup, { dataDir, store: 'sqlite' });
    try {
      expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
    } finally {
      await other.close();
    }
  });

  it('reuses the CA and the admin token across a restart', async () => {
    const before = { ca: ts.caPem, token: ts.adminToken };
    ts = await restartTestServer(cleanup, ts);
    url = ts.server.url;
    expect(ts.caPem).toBe(before.ca);
    expect(ts.adminToken).toBe(before.token);
    expect((await admin('GET', '/api/v1/namespaces')).status).toBe(200);
  });
});

describe('joining nodes', () => {
  it('an agent verifies the CA hash, exchanges the token for system:node:<name> and stores it (keys 0600)', async () => {
    const dir = makeTempDir(cleanup, 'join');
    const token = ts.server.createJoinToken();
    expect(token).toMatch(/^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{32}$/);
    await joinCluster({ server: url, token, nodeName: 'joined-1', dataDir: dir, addresses: ['127.0.0.1'] });
    const id = loadNodeIdentity(dir)!;
    expect(id.caPem).toBe(ts.caPem);
    const f = nodeIdentityFiles(dir);
    for (const k of [f.keyFile, f.servingKeyFile]) expect((statSync(k).mode & 0o777).toString(8)).toBe('600');
    // The identity authenticates as the node: it may read its own Node (the Node authorizer; a
    // 404 here, it has not registered yet), not every node, nor secrets in general.
    const own = await httpRequest(url + '/api/v1/nodes/joined-1', { cert: id.certPem, key: id.keyPem });
    expect(own.status, own.text).toBe(404);
    const nodes = await httpRequest(url + '/api/v1/nodes', { cert: id.certPem, key: id.keyPem });
    expect(asStatus(nodes.json)?.message).toContain("node 'joined-1' cannot read all nodes, only its own Node object");
    const secrets = await httpRequest(url + '/api/v1/namespaces/default/secrets', { cert: id.certPem, key: id.keyPem });
    expect(asStatus(secrets.json)?.message).toContain('User "system:node:joined-1" cannot list resource "secrets"');
  });

  it('refuses a token whose CA hash does not match before sending it, and the server refuses an unknown token', async () => {
    const dir = makeTempDir(cleanup, 'join-bad');
    const good = ts.server.createJoinToken();
    const forged = good.replace(/^K10[0-9a-f]{64}/, 'K10' + 'ab'.repeat(32));
    await expect(joinCluster({ server: url, token: forged, nodeName: 'evil', dataDir: dir })).rejects.toThrow(/does not match/);
    expect(loadNodeIdentity(dir)).toBeUndefined();
    const unknown = createJoinToken(new TokenStore(makeTempDir(cleanup, 'other-tokens')), { caCertPem: ts.caPem });
    await expect(joinCluster({ server: url, token: unknown, nodeName: 'evil', dataDir: dir })).rejects.toThrow(/401/);
    // A join token is no API credential.
    const bearer = good.split('::')[1]!;
    expect((await httpRequest(url + '/api/v1/nodes', { token: bearer })).status).toBe(401);
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
  const node = (name: string, taints: unknown[] = []): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { taints } } as unknown as Node);
  const pod = (name: string, nodeName: string, extra: Record<string, unknown> = {}): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...extra }, spec: { nodeName, containers: [{ name: 'c', image: 'x' }] } }) as unknown as Pod;
  const lease = (name: string): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } }) as Lease;

  beforeAll(async () => {
    a = await ts.server.issueNodeIdentity('node-a');
    b = await ts.server.issueNodeIdentity('node-b');
    expect((await asNode(a, 'POST', '/api/v1/nodes', node('node-a'))).status).toBe(201);
    expect((await asNode(b, 'POST', '/api/v1/nodes', node('node-b'))).status).toBe(201);
    expect((await asNode(b, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('node-b'))).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces/default/pods', pod('on-a', 'node-a'))).status).toBe(201);
    expect((await admin('POST', '/api/v1/namespaces/default/pods', pod('on-b', 'node-b'))).status).toBe(201);
  });

  it("node A cannot modify node B, B's lease, pods on B, create a non-mirror pod or change its own taints", async () => {
    const patchB = await asNode(a, 'PATCH', '/api/v1/nodes/node-b', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    expectCode(patchB, 403, 'Forbidden');
    expect(asStatus(patchB.json)?.message).toContain('node "node-a" is not allowed to modify node "node-b"');
    const statusB = await asNode(a, 'PATCH', '/api/v1/nodes/node-b/status', { status: { phase: 'Running' } }, 'application/merge-patch+json');
    expectCode(statusB, 403, 'Forbidden');
    expectCode(await asNode(a, 'DELETE', '/api/v1/nodes/node-b'), 403, 'Forbidden');

    const leaseB = (await admin('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b')).json as Lease;
    expectCode(await asNode(a, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b', { ...leaseB, spec: { ...leaseB.spec, holderIdentity: 'node-a' } }), 403, 'Forbidden');
    expectCode(await asNode(a, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('node-b2')), 403, 'Forbidden');

    const onB = (await admin('GET', '/api/v1/namespaces/default/pods/on-b')).json as Pod;
    const podStatus = await asNode(a, 'PUT', '/api/v1/namespaces/default/pods/on-b/status', { ...onB, status: { phase: 'Failed' } });
    expectCode(podStatus, 403, 'Forbidden');
    expect(asStatus(podStatus.json)?.message).toContain('can only update pod status for pods with spec.nodeName set to itself');
    expectCode(await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/on-b/status', { status: { phase: 'Failed' } }, 'application/merge-patch+json'), 403, 'Forbidden');
    const delB = await asNode(a, 'DELETE', '/api/v1/namespaces/default/pods/on-b');
    expectCode(delB, 403, 'Forbidden');
    expect(asStatus(delB.json)?.message).toContain('can only delete pods with spec.nodeName set to itself');

    const plain = await asNode(a, 'POST', '/api/v1/namespaces/default/pods', pod('sneaky', 'node-a'));
    expectCode(plain, 403, 'Forbidden');
    expect(asStatus(plain.json)?.message).toContain('can only create mirror pods');
    const mirrorOnB = await asNode(a, 'POST', '/api/v1/namespaces/default/pods', pod('mirror-b', 'node-b', { annotations: { 'kubernetes.io/config.mirror': 'x' } }));
    expectCode(mirrorOnB, 403, 'Forbidden');

    const taint = await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: [] , unschedulable: false } }, 'application/merge-patch+json');
    expect(taint.status).toBe(200); // no change to taints: allowed
    const ownTaints = await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, 'application/merge-patch+json');
    expectCode(ownTaints, 403, 'Forbidden');
    expect(asStatus(ownTaints.json)?.message).toContain('is not allowed to modify taints');

    // Nothing changed on B.
    expect(((await admin('GET', '/api/v1/nodes/node-b')).json as Node).metadata.labels?.['x']).toBeUndefined();
    expect(((await admin('GET', '/api/v1/namespaces/default/pods/on-b')).json as Pod).status?.phase).not.toBe('Failed');
    // Secrets and other namespaces' objects stay out of reach.
    expect((await asNode(a, 'GET', '/api/v1/namespaces/default/secrets/anything')).status).toBe(403);
    expect((await asNode(a, 'POST', '/api/v1/namespaces/default/configmaps', cm('from-node'))).status).toBe(403);
  });

  it('a node that makes its Node by server-side apply meets the create rules (no restricted labels)', async () => {
    const c = await ts.server.issueNodeIdentity('node-c');
    const body = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-c', labels: { 'node-restriction.kubernetes.io/trusted': 'true' } } };
    const applied = await asNode(c, 'PATCH', '/api/v1/nodes/node-c?fieldManager=agent', body, 'application/apply-patch+yaml');
    expectCode(applied, 403, 'Forbidden');
    expect(asStatus(applied.json)?.message).toContain('is not allowed to set the following labels: node-restriction.kubernetes.io/trusted');
    expect((await admin('GET', '/api/v1/nodes/node-c')).status).toBe(404);
    const plain = await asNode(c, 'PATCH', '/api/v1/nodes/node-c?fieldManager=agent', { ...body, metadata: { name: 'node-c', labels: { 'example.com/role': 'edge' } } }, 'application/apply-patch+yaml');
    expect(plain.status, plain.text).toBe(201);
  });

  it('node A updates its own node, its lease, the status of its pods, creates its mirror pods and deletes its pods', async () => {
    expect((await asNode(a, 'PATCH', '/api/v1/nodes/node-a/status', { status: { phase: 'Running' } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await asNode(a, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'example.com/role': 'edge' } } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await asNode(a, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('node-a'))).status).toBe(201);
    const l = (await asNode(a, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a')).json as Lease;
    expect((await asNode(a, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a', { ...l, spec: { ...l.spec, leaseDurationSeconds: 41 } })).status).toBe(200);
    const onA = (await asNode(a, 'GET', '/api/v1/namespaces/default/pods/on-a')).json as Pod;
    const st = await asNode(a, 'PUT', '/api/v1/namespaces/default/pods/on-a/status', { ...onA, status: { phase: 'Running' } });
    expect(st.status, st.text).toBe(200);
    const nodeA = (await admin('GET', '/api/v1/nodes/node-a')).json as Node;
    const mirror = pod('static-web-node-a', 'node-a', {
      annotations: { 'kubernetes.io/config.mirror': 'abc' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: nodeA.metadata.uid, controller: true }],
    });
    const created = await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirror);
    expect(created.status, created.text).toBe(201);
    const del = await asNode(a, 'DELETE', '/api/v1/namespaces/default/pods/on-a', { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    expect(del.status, del.text).toBe(200);
  });
});

describe('NodeRestriction against the security review\'s escalations', () => {
  let a: { certPem: string; keyPem: string };
  const asNode = (id: { certPem: string; keyPem: string }, method: string, path: string, body?: unknown, contentType?: string) =>
    httpRequest(url + path, { method, ...(body !== undefined ? { body: json(body) } : {}), cert: id.certPem, key: id.keyPem, ...(contentType ? { contentType } : {}) });
  let nodeUid = '';
  const mirrorPod = (name: string, owners: unknown[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: { 'kubernetes.io/config.mirror': 'h' }, ownerReferences: owners },
    spec: { nodeName: 'node-r', containers: [{ name: 'c', image: 'x' }] },
  });

  beforeAll(async () => {
    a = await ts.server.issueNodeIdentity('node-r');
    const created = await asNode(a, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-r' } });
    expect(created.status, created.text).toBe(201);
    nodeUid = (created.json as Node).metadata.uid ?? '';
    const sa = await admin('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'default' } });
    expect([201, 409]).toContain(sa.status);
  });

  it('a mirror pod must be controlled by the node\'s own Node, by uid, and name no service account', async () => {
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'node-r', uid: nodeUid, controller: true };
    expect((await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('m-none', []))).status).toBe(403);
    const bogus = await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('m-bogus', [{ ...owner, uid: 'bogus' }]));
    expectCode(bogus, 403, 'Forbidden');
    expect(asStatus(bogus.json)?.message).toContain(`node node-r UID mismatch: expected ${nodeUid} got bogus`);
    expect((await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('m-block', [{ ...owner, blockOwnerDeletion: true }]))).status).toBe(403);
    const withSa = { ...mirrorPod('m-sa', [owner]), spec: { nodeName: 'node-r', serviceAccountName: 'default', containers: [{ name: 'c', image: 'x' }] } };
    expect((await asNode(a, 'POST', '/api/v1/namespaces/default/pods', withSa)).status).toBe(403);
    const ok = await asNode(a, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('m-ok', [owner]));
    expect(ok.status, ok.text).toBe(201);
  });

  it('a node can neither unmark its mirror pod nor relabel a pod through pods/status, so it gets no default token', async () => {
    const unmark = await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/m-ok/status', [{ op: 'remove', path: '/metadata/annotations/kubernetes.io~1config.mirror' }], 'application/json-patch+json');
    expectCode(unmark, 403, 'Forbidden');
    expect(asStatus(unmark.json)?.message).toContain('cannot update the kubernetes.io/config.mirror annotation through pod status');
    const relabel = await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/m-ok/status', { metadata: { labels: { app: 'db' } } }, 'application/merge-patch+json');
    expectCode(relabel, 403, 'Forbidden');
    expect(asStatus(relabel.json)?.message).toBe('pods "m-ok" is forbidden: node "node-r" cannot update labels through pod status');
    const uid = ((await admin('GET', '/api/v1/namespaces/default/pods/m-ok')).json as Pod).metadata.uid;
    // A mirror pod runs as no account: no `default` token bound to it, for the node or anyone.
    expect((await asNode(a, 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'm-ok', uid } } })).status).toBe(400);
    expect((await admin('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'm-ok', uid } } })).status).toBe(400);
    // Its status it may still write.
    expect((await asNode(a, 'PATCH', '/api/v1/namespaces/default/pods/m-ok/status', { status: { phase: 'Running' } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('a node cannot give its own Node an owner (the garbage collector would delete it, and its taints with it)', async () => {
    const owned = await asNode(a, 'PATCH', '/api/v1/nodes/node-r', { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid: '11111111-2222-3333-4444-555555555555' }] } }, 'application/merge-patch+json');
    expectCode(owned, 403, 'Forbidden');
    expect(asStatus(owned.json)?.message).toBe('nodes "node-r" is forbidden: node "node-r" is not allowed to modify ownerReferences');
    expect(((await admin('GET', '/api/v1/nodes/node-r')).json as Node).metadata.ownerReferences).toBeUndefined();
  });
});

describe.skipIf(!etcdAvailable())('RBAC cache across servers on one etcd', () => {
  it("a binding written through one server takes effect (and is revoked) on another through its watch", async () => {
    const storeUrl = await freshEtcdStoreUrl(cleanup);
    // Servers of one cluster share the data dir's CA and tokens (the objects come from etcd).
    const shared = makeTempDir(cleanup, 'shared-data');
    const s1 = await startTestServer(cleanup, { storeUrl, dataDir: shared });
    const s2 = await startTestServer(cleanup, { storeUrl, dataDir: shared });
    const t = createUserToken(shared, 'erin');
    const list = (s: TestServer) => httpRequest(`${s.server.url}/api/v1/namespaces/default/configmaps`, { token: t });
    expect((await list(s2)).status).toBe(403);
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'erin-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'erin' }] };
    const created = await httpRequest(`${s1.server.url}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, { method: 'POST', body: json(crb) });
    expect(created.status, created.text).toBe(201);
    await waitFor(async () => (await list(s2)).status === 200, { timeoutMs: 10_000, message: 'server 2 grants after the binding' });
    expect((await httpRequest(`${s1.server.url}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/erin-view`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => (await list(s2)).status === 403, { timeoutMs: 10_000, message: 'server 2 denies after the binding is gone' });
  });
});
