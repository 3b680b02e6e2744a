// The whole request pipeline as the apiserver is meant to wire it, on a real https server:
// join → authenticate → authorize → NodeRestriction admission. A tiny in-memory object map
// stands in for the registry; everything from src/auth is the real thing.

import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type RequestOptions, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import {
  admitNodeRequest, Authorizer, bearerToken, bootstrapRbacObjects, createJoinToken, forbiddenError, initServerAuth, issueClientCert, JOIN_PATH,
  joinCluster, kubeconfigWithCredentials, loadNodeIdentity, requestAttributes, staticRbacSource, type ResourceRouteLike,
} from './index.js';

const dirs: string[] = [];
const servers: Server[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'everynode-pipeline-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Minimal /api/v1 route parser for the test (the apiserver has the real one). */
function route(path: string): ResourceRouteLike | undefined {
  const p = (path.split('?')[0] ?? '').split('/').filter(Boolean);
  if (p[0] !== 'api' || p[1] !== 'v1' || p.length < 3) return undefined;
  let rest = p.slice(2);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { group: '', version: 'v1', plural: rest[0]!, ...(namespace ? { namespace } : {}), ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) };
}

async function startServer(dataDir: string) {
  const auth = await initServerAuth(dataDir, { sans: [] });
  const rbacObjects: KubeObject[] = [
    ...bootstrapRbacObjects(),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'viewer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'viewer' }] },
  ];
  const authorizer = new Authorizer({ rbac: staticRbacSource(rbacObjects) });
  const store = new Map<string, KubeObject>([
    ['nodes/a', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' }, spec: {} }],
    ['nodes/b', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'b' }, spec: {} }],
  ]);

  const srv = createServer(auth.pki.tlsOptions, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (code: number, body: unknown) => {
          res.statusCode = code;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(body));
        };
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
        const path = req.url ?? '/';
        try {
          // 0. join, before authentication
          if (req.method === 'POST' && path === JOIN_PATH) {
            const r = await auth.join(bearerToken(req.headers), body);
            return send(r.status, r.body);
          }
          // 1. authenticate
          const user = auth.authenticateRequest(req, path);
          if (user instanceof ApiError) throw user;
          // 2. authorize
          const r = route(path);
          const attrs = requestAttributes(user, req.method ?? 'GET', path, r, /[?&]watch=(true|1)/.test(path));
          const d = await authorizer.authorize(attrs);
          if (!d.allowed) throw forbiddenError(attrs, d.reason);
          // 3. admission, then "store"
          if (r && (attrs.verb === 'update' || attrs.verb === 'create')) {
            const key = `${r.plural}/${attrs.name || (body as KubeObject).metadata.name}`;
            const err = admitNodeRequest(attrs, body as KubeObject, store.get(key));
            if (err) throw err;
            store.set(key, body as KubeObject);
          }
          return send(200, { user: user.user, verb: attrs.verb });
        } catch (e) {
          if (e instanceof ApiError) return send(e.code, e.toStatus());
          throw e;
        }
      })();
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { auth, url, store };
}

function call(url: string, method: string, path: string, o: RequestOptions & { body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const u = new URL(path, url);
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request({ ...o, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('auth pipeline over real https', () => {
  it('401 without or with a bad credential; public paths stay open', async () => {
    const { auth, url } = await startServer(tempDir());
    const ca = auth.pki.caCertPem;
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) expect((await call(url, 'GET', p, { ca })).status).toBe(200);
    for (const p of ['/api', '/apis', '/api/v1/nodes', '/api/v1/namespaces/default/pods', '/openapi/v2', '/metrics']) {
      const r = await call(url, 'GET', p, { ca });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    const wrong = { ca, headers: { authorization: 'Bearer admin0.' + 'x'.repeat(32) } };
    expect((await call(url, 'GET', '/api/v1/nodes', wrong)).status).toBe(401);
    expect((await call(url, 'GET', '/healthz', wrong)).status).toBe(401);
  });

  it('the admin kubeconfig works with @kubernetes/client-node (CA verified, token sent)', async () => {
    const { auth, url } = await startServer(tempDir());
    expect(auth.adminToken).toBeDefined();
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigWithCredentials({ server: url, caPem: auth.pki.caCertPem, credential: { token: auth.adminToken! } }));
    const opts: RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const r = await call(url, 'DELETE', '/api/v1/nodes/a', opts);
    expect(r).toEqual({ status: 200, body: { user: 'system:admin', verb: 'delete' } });
  });

  it('a view user reads but gets the upstream 403 on writes; a client cert user is authenticated', async () => {
    const dir = tempDir();
    const { auth, url } = await startServer(dir);
    const { token } = auth.tokens.create({ user: 'viewer', groups: [], kind: 'user' });
    const o = { ca: auth.pki.caCertPem, headers: { authorization: `Bearer ${token}` } };
    expect((await call(url, 'GET', '/api/v1/namespaces/default/pods', o)).status).toBe(200);
    const r = await call(url, 'POST', '/api/v1/namespaces/default/pods', { ...o, body: { metadata: { name: 'p' } } });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"');

    const cert = await issueClientCert(auth.pki, { commonName: 'carl', organizations: ['system:masters'], days: 1 });
    const byCert = await call(url, 'DELETE', '/api/v1/nodes/b', { ca: auth.pki.caCertPem, cert: cert.certPem, key: cert.keyPem });
    expect(byCert).toEqual({ status: 200, body: { user: 'carl', verb: 'delete' } });
  });

  it('a joined node updates only its own Node, and a restart reuses PKI and tokens', async () => {
    const serverDir = tempDir();
    const { auth, url, store } = await startServer(serverDir);
    const agentDir = tempDir();
    await joinCluster({ server: url, token: createJoinToken(auth.tokens, auth.pki), nodeName: 'a', dataDir: agentDir });
    const id = loadNodeIdentity(agentDir)!;
    const o = { ca: id.caPem, cert: id.certPem, key: id.keyPem };

    const own = await call(url, 'PUT', '/api/v1/nodes/a', { ...o, body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a', labels: { x: '1' } }, spec: {} } });
    expect(own).toEqual({ status: 200, body: { user: 'system:node:a', verb: 'update' } });
    expect(store.get('nodes/a')?.metadata.labels).toEqual({ x: '1' });

    const other = await call(url, 'PUT', '/api/v1/nodes/b', { ...o, body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'b', labels: { x: '1' } }, spec: {} } });
    expect(other.status).toBe(403);
    expect(other.body.message).toBe('nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
    const taint = await call(url, 'PUT', '/api/v1/nodes/a', { ...o, body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } } });
    expect(taint.status).toBe(403);
    const del = await call(url, 'DELETE', '/api/v1/nodes/a', o);
    expect(del.status).toBe(403);
    expect(del.body.message).toBe('nodes "a" is forbidden: User "system:node:a" cannot delete resource "nodes" in API group "" at the cluster scope');

    // Restart: same CA, admin token not re-created, the node's credential still works.
    servers.splice(0).forEach((s) => s.close());
    const again = await startServer(serverDir);
    expect(again.auth.adminToken).toBeUndefined();
    expect(again.auth.pki.caCertPem).toBe(auth.pki.caCertPem);
    expect((await call(again.url, 'GET', '/api/v1/nodes/a', o)).status).toBe(200);
    // A node reads only its own Node (upstream's selector-scoped node authorization).
    expect((await call(again.url, 'GET', '/api/v1/nodes', o)).status).toBe(403);
  });
});
