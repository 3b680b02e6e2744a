// The request flags of `everynode server` and `everynode up` as real processes: the in-flight
// limits reach the server (a user's second write while one is held in flight gets 429 with
// Retry-After), a malformed limit stops the command before it starts anything, and
// `--cors-allowed-origins` makes `up` answer a browser's preflight from that origin.

import { afterAll, describe, expect, it } from 'vitest';
import { createUserToken, credentialsFromKubeconfig, registerServer } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { apiCaller, asStatus, heldRequest, httpRequest } from '../helpers/http.js';
import { everynodeBin, spawnNode, startServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe('everynode server and up request flags', () => {
  it('applies --max-mutating-requests-inflight to a real server process', async () => {
    const dataDir = makeTempDir(cleanup, 'inflight-flags-');
    const server = await startServerProcess(cleanup, { dataDir, extraArgs: ['--max-requests-inflight', '10', '--max-mutating-requests-inflight', '1', '--disable-controllers'] });
    const admin = apiCaller(() => server.url);
    const token = createUserToken(dataDir, 'dev');
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'dev-edit', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dev' }] };
    expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', binding)).status).toBe(201);
    const cms = '/api/v1/namespaces/default/configmaps';
    const held = heldRequest(server.url, server.caPem, token, 'POST', cms, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held' } }));
    const gauge = /^apiserver_current_inflight_requests\{request_kind="mutating"\} 1$/m;
    await waitFor(async () => (gauge.test((await admin('GET', '/metrics')).text) ? true : undefined), { message: 'the held write in flight' });
    const refused = await admin('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } }, 'application/json', { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(asStatus(refused.body)?.reason).toBe('TooManyRequests');
    held.finish();
    expect(await held.answer).toBe(201);
  }, 60_000);

  it('up --cors-allowed-origins answers a preflight from that origin, and only from it', async () => {
    const up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', makeTempDir(cleanup, 'up-cors-'), '--listen', '127.0.0.1:0', '--nodes', '0', '--dashboard', 'off', '--cluster-dns', 'off', '--cors-allowed-origins', '^https://console\\.example$,^https://other\\.example$']);
    const m = await waitFor(() => /everynode server listening on (\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, { timeoutMs: 60_000, message: `up to listen; output:\n${up.output()}` });
    const url = m[1]!;
    registerServer(url, credentialsFromKubeconfig(m[2]!.trim()));
    const preflight = (origin: string) => httpRequest(`${url}/api/v1/namespaces`, { method: 'OPTIONS', anonymous: true, headers: { origin, 'access-control-request-method': 'GET' } });
    for (const origin of ['https://console.example', 'https://other.example']) {
      const ok = await preflight(origin);
      expect(ok.status, origin).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    }
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  }, 90_000);

  it('refuses a limit that is not a whole number before starting', async () => {
    const p = spawnNode(cleanup, [everynodeBin, 'server', '--data-dir', makeTempDir(cleanup, 'inflight-bad-'), '--listen', '127.0.0.1:0', '--max-requests-inflight', 'lots']);
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    expect(p.output()).toContain('--max-requests-inflight: want a whole number, 0 or more (0: no limit); got "lots"');
    expect(p.output()).not.toContain('listening');
  }, 60_000);
});
