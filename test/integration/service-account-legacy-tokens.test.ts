// Secret-held (legacy) service account tokens against a real server with its controllers: a
// Secret of type kubernetes.io/service-account-token is filled with a long-lived token of the
// account it names (upstream's "manually create a long-lived API token" recipe), which
// authenticates as the account under RBAC for as long as the Secret holds it and the account
// lives; the Secret of a missing account is deleted, as upstream's token controller does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cleanup, httpRequest, kubectlAvailable, runKubectl, useTestServer, waitFor } from '../helpers/index.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup, { controllers: { leaderElection: false, daemonSet: false, nodeLifecycle: false, endpoints: false, endpointSlice: false } });

type Secret = { metadata: { name: string; uid: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> }; type: string; data?: Record<string, string> };

const api = (path: string, opts: Parameters<typeof httpRequest>[1] = {}) => httpRequest(`${server.url}${path}`, opts);
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });
const tokenSecret = (name: string, account: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, annotations: { 'kubernetes.io/service-account.name': account } },
  type: 'kubernetes.io/service-account-token',
});
const getSecret = async (name: string): Promise<Secret | undefined> => {
  const r = await api(`/api/v1/namespaces/default/secrets/${name}`);
  if (r.status === 404) return undefined;
  expect(r.status, r.text).toBe(200);
  return r.json as Secret;
};
/** The Secret once the controller filled it. */
const filled = (name: string) => waitFor(async () => ((await getSecret(name))?.data?.['token'] ? getSecret(name) : undefined), { message: `token in secret ${name}` });
const tokenOf = (s: Secret) => Buffer.from(s.data!['token']!, 'base64').toString('utf8');
const whoami = (token: string) => api('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', body: '{}', token });

describe('legacy service account token Secrets', () => {
  it('are filled with a token, the namespace and the cluster CA, and the token acts as the account under RBAC', async () => {
    const sa = await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'ci' } });
    expect(sa.status).toBe(201);
    const saUid = (sa.json as { metadata: { uid: string } }).metadata.uid;
    expect((await post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { metadata: { name: 'cm-reader' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['configmaps'] }] })).status).toBe(201);
    expect((await post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { metadata: { name: 'ci' }, subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'default' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/secrets', tokenSecret('ci-token', 'ci'))).status).toBe(201);

    const secret = await filled('ci-token');
    expect(secret.metadata.annotations).toMatchObject({ 'kubernetes.io/service-account.name': 'ci', 'kubernetes.io/service-account.uid': saUid });
    expect(Buffer.from(secret.data!['namespace']!, 'base64').toString()).toBe('default');
    expect(Buffer.from(secret.data!['ca.crt']!, 'base64').toString()).toBe(server.ts.caPem);
    const token = tokenOf(secret);
    // Upstream's legacy claims: no audience, no expiry.
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toEqual({
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'default',
      'kubernetes.io/serviceaccount/secret.name': 'ci-token',
      'kubernetes.io/serviceaccount/service-account.name': 'ci',
      'kubernetes.io/serviceaccount/service-account.uid': saUid,
      sub: 'system:serviceaccount:default:ci',
    });

    const me = await whoami(token);
    expect(me.status, me.text).toBe(201);
    expect((me.json as { status: { userInfo: unknown } }).status.userInfo).toEqual({
      username: 'system:serviceaccount:default:ci',
      uid: saUid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
    expect((await api('/api/v1/namespaces/default/configmaps', { token })).status).toBe(200);
    const denied = await api('/api/v1/namespaces/default/secrets', { token });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('User \\"system:serviceaccount:default:ci\\" cannot list resource \\"secrets\\"');

    // Upstream's legacy token tracking: the Secret is labelled with the day it was last used.
    const today = new Date().toISOString().slice(0, 10);
    const labelled = await waitFor(async () => ((await getSecret('ci-token'))?.metadata.labels?.['kubernetes.io/legacy-token-last-used'] ? getSecret('ci-token') : undefined), { message: 'last-used label' });
    expect([today, new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)]).toContain(labelled.metadata.labels!['kubernetes.io/legacy-token-last-used']);
    // Labelled once: more requests the same day write nothing more (the label patch is not
    // awaited by the request, so give a second one time to land before looking).
    expect((await api('/api/v1/namespaces/default/configmaps', { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await getSecret('ci-token'))!.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);

    // TokenReview (webhook authenticators, kube-rbac-proxy) knows it, for the API audience only.
    const review = async (audiences?: string[]) =>
      (await post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } })).json as { status: { authenticated?: boolean; user?: { username: string } } };
    expect((await review()).status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:default:ci' } });
    expect((await review(['vault'])).status.authenticated).toBeFalsy();

    if (kubectlAvailable()) {
      const cacheDir = mkdtempSync(join(tmpdir(), 'everynode-legacy-token-kubectl-'));
      cleanup.defer(() => rmSync(cacheDir, { recursive: true, force: true }), `rm ${cacheDir}`);
      const target = { kubeconfig: server.ts.server.kubeconfigPath, cacheDir };
      // kubectl describe lists the account's tokens by the annotations the controller wrote.
      const described = await runKubectl(target, ['describe', 'serviceaccount', 'ci', '-n', 'default']);
      expect(described.code, described.stderr).toBe(0);
      expect(described.stdout).toMatch(/Tokens:\s+ci-token/);
      const asCi = await runKubectl(target, ['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(asCi.code, asCi.stderr).toBe(0);
      expect(asCi.stdout).toBe('system:serviceaccount:default:ci');
    }
  });

  it('stops working when the Secret changes, is labelled invalid or is deleted', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'bot' } })).status).toBe(201);
    for (const name of ['bot-a', 'bot-b', 'bot-c']) expect((await post('/api/v1/namespaces/default/secrets', tokenSecret(name, 'bot'))).status).toBe(201);
    const [a, b, c] = [tokenOf(await filled('bot-a')), tokenOf(await filled('bot-b')), tokenOf(await filled('bot-c'))];
    for (const t of [a, b, c]) expect((await whoami(t)).status).toBe(201);

    // The Secret holds another token: this one is no longer the server's copy.
    const patched = await api('/api/v1/namespaces/default/secrets/bot-a', { method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ data: { token: Buffer.from(b).toString('base64') } }) });
    expect(patched.status, patched.text).toBe(200);
    expect((await whoami(a)).status).toBe(401);
    // A token copied into another Secret does not authenticate through it either: the claims name bot-b.
    expect((await whoami(b)).status).toBe(201);

    const invalid = await api('/api/v1/namespaces/default/secrets/bot-b', { method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ metadata: { labels: { 'kubernetes.io/legacy-token-invalid-since': '2026-01-01' } } }) });
    expect(invalid.status, invalid.text).toBe(200);
    expect((await whoami(b)).status).toBe(401);

    expect((await api('/api/v1/namespaces/default/secrets/bot-c', { method: 'DELETE' })).status).toBe(200);
    expect((await whoami(c)).status).toBe(401);
  });

  it("go with their account: the account's deletion deletes its token Secrets, and one for a missing account is deleted", async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'temp' }, secrets: [{ name: 'temp-token' }] })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/secrets', tokenSecret('temp-token', 'temp'))).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'temp-plain', annotations: { 'kubernetes.io/service-account.name': 'temp' } }, stringData: { a: 'b' } })).status).toBe(201);
    const token = tokenOf(await filled('temp-token'));
    expect((await whoami(token)).status).toBe(201);

    expect((await api('/api/v1/namespaces/default/serviceaccounts/temp', { method: 'DELETE' })).status).toBe(200);
    // The token stops at once (the account is gone), and the controller deletes its Secret.
    expect((await whoami(token)).status).toBe(401);
    await waitFor(async () => (await getSecret('temp-token')) === undefined || undefined, { message: 'token secret deleted with its account' });
    // A Secret of another type that happens to carry the annotation is not the controller's.
    expect(await getSecret('temp-plain')).toBeDefined();

    // An account of the same name made again does not revive the old token (its uid differs).
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'temp' } })).status).toBe(201);
    expect((await whoami(token)).status).toBe(401);

    expect((await post('/api/v1/namespaces/default/secrets', tokenSecret('orphan-token', 'nobody'))).status).toBe(201);
    await waitFor(async () => (await getSecret('orphan-token')) === undefined || undefined, { message: 'token secret of a missing account deleted' });
  });

  it("drops a deleted token Secret from its account's secrets", async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'ref' }, secrets: [{ name: 'ref-token' }, { name: 'other' }] })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/secrets', tokenSecret('ref-token', 'ref'))).status).toBe(201);
    await filled('ref-token');
    expect((await api('/api/v1/namespaces/default/secrets/ref-token', { method: 'DELETE' })).status).toBe(200);
    await waitFor(
      async () => {
        const sa = (await api('/api/v1/namespaces/default/serviceaccounts/ref')).json as { secrets?: { name: string }[] };
        return sa.secrets?.length === 1 ? sa : undefined;
      },
      { message: 'reference removed' },
    );
    const sa = (await api('/api/v1/namespaces/default/serviceaccounts/ref')).json as { secrets?: { name: string }[] };
    expect(sa.secrets).toEqual([{ name: 'other' }]);
  });

  it('keeps a token the Secret already holds, and refuses a token Secret without its account annotation', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'keep' } })).status).toBe(201);
    const made = await post('/api/v1/namespaces/default/secrets', { ...tokenSecret('keep-token', 'keep'), stringData: { token: 'my-own' } });
    expect(made.status, made.text).toBe(201);
    const s = await waitFor(async () => ((await getSecret('keep-token'))?.data?.['namespace'] ? getSecret('keep-token') : undefined), { message: 'namespace filled' });
    expect(tokenOf(s)).toBe('my-own');
    expect(s.data!['ca.crt']).toBeDefined();
    expect((await whoami('my-own')).status).toBe(401);

    const bad = await post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'no-account' }, type: 'kubernetes.io/service-account-token' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('metadata.annotations[kubernetes.io/service-account.name]: Required value');
  });
});
