// TokenRequest against a real server over HTTPS: `POST .../serviceaccounts/NAME/token` issues
// a bound, expiring token that authenticates as the service account (RBAC applies), stops
// working when its pod or account goes, and a node may get tokens only for its own pods.
import { createPublicKey, verify, type JsonWebKeyInput } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Cleanup, httpRequest, useTestServer, waitFor } from '../helpers/index.js';

const server = useTestServer(new Cleanup());

const post = (path: string, body: unknown, token?: string) => httpRequest(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body), ...(token ? { token } : {}) });
const tokenFor = (sa: string, spec: Record<string, unknown> = {}, token?: string) =>
  post(`/api/v1/namespaces/default/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec }, token);
const pod = (name: string, sa: string, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { serviceAccountName: sa, ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] },
});

describe('TokenRequest', () => {
  it('issues a token that acts as the service account, under RBAC, until its pod is gone', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'bot' } })).status).toBe(201);
    expect((await post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { metadata: { name: 'cm-reader' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['configmaps'] }] })).status).toBe(201);
    expect((await post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { metadata: { name: 'bot' }, subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'default' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/pods', pod('bot-pod', 'bot'))).status).toBe(201);

    const r = await tokenFor('bot', { expirationSeconds: 900, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bot-pod' } });
    expect(r.status, r.text).toBe(201);
    const answer = r.json as { status: { token: string; expirationTimestamp: string }; spec: { boundObjectRef: { uid: string } } };
    expect(Date.parse(answer.status.expirationTimestamp) - Date.now()).toBeGreaterThan(800_000);
    expect(answer.spec.boundObjectRef.uid).toMatch(/^[0-9a-f-]{36}$/);
    const token = answer.status.token;

    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/configmaps`, { token })).status).toBe(200);
    const denied = await httpRequest(`${server.url}/api/v1/namespaces/default/secrets`, { token });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('User \\"system:serviceaccount:default:bot\\" cannot list resource \\"secrets\\"');

    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/pods/bot-pod?gracePeriodSeconds=0`, { method: 'DELETE' })).status).toBe(200);
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/configmaps`, { token })).status).toBe(401);
  });

  it('a pod\'s token keeps working through its graceful deletion', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'grace' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/pods', pod('graceful', 'grace', 'some-node'))).status).toBe(201);
    const token = ((await tokenFor('grace', { boundObjectRef: { kind: 'Pod', name: 'graceful' } })).json as { status: { token: string } }).status.token;
    // Bound to a node: deleted gracefully (deletionTimestamp set, the agent would finish it).
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/pods/graceful`, { method: 'DELETE', body: JSON.stringify({ gracePeriodSeconds: 30 }) })).status).toBe(200);
    expect((await httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token })).status).toBe(201);
  });

  it('an unbound token lives with its service account', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'ci' } })).status).toBe(201);
    const token = ((await tokenFor('ci')).json as { status: { token: string } }).status.token;
    expect((await httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token })).status).toBe(201);
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/serviceaccounts/ci`, { method: 'DELETE' })).status).toBe(200);
    expect((await httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token })).status).toBe(401);
  });

  it('binds a token to a Node or a Secret (kubectl 1.31+ create token --bound-object-kind), which it lives with', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'binder' } })).status).toBe(201);
    expect((await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'bind-node' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bind-secret' }, stringData: { a: 'b' } })).status).toBe(201);
    const review = (token: string) => httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token });
    for (const [kind, path] of [['Node', '/api/v1/nodes/bind-node'], ['Secret', '/api/v1/namespaces/default/secrets/bind-secret']] as const) {
      const r = await tokenFor('binder', { boundObjectRef: { kind, apiVersion: 'v1', name: path.split('/').pop() } });
      expect(r.status, r.text).toBe(201);
      const answer = r.json as { status: { token: string }; spec: { boundObjectRef: { kind: string; uid: string } } };
      expect(answer.spec.boundObjectRef).toMatchObject({ kind, apiVersion: 'v1', uid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const claims = JSON.parse(Buffer.from(answer.status.token.split('.')[1]!, 'base64url').toString('utf8')) as { 'kubernetes.io': Record<string, unknown> };
      expect(claims['kubernetes.io'][kind.toLowerCase()]).toEqual({ name: path.split('/').pop(), uid: answer.spec.boundObjectRef.uid });
      expect((await review(answer.status.token)).status).toBe(201);
      expect((await httpRequest(`${server.url}${path}`, { method: 'DELETE', body: JSON.stringify({ gracePeriodSeconds: 0 }) })).status).toBe(200);
      expect((await review(answer.status.token)).status).toBe(401);
    }
  });

  it("a pod-bound token also names the pod's node, and lives with the pod, not the node", async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'on-node' } })).status).toBe(201);
    const node = await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'token-node' } });
    expect(node.status).toBe(201);
    const nodeUid = (node.json as { metadata: { uid: string } }).metadata.uid;
    expect((await post('/api/v1/namespaces/default/pods', pod('placed', 'on-node', 'token-node'))).status).toBe(201);
    const r = await tokenFor('on-node', { boundObjectRef: { kind: 'Pod', name: 'placed' } });
    expect(r.status, r.text).toBe(201);
    const answer = r.json as { status: { token: string }; spec: { boundObjectRef: { uid: string } } };
    const claims = JSON.parse(Buffer.from(answer.status.token.split('.')[1]!, 'base64url').toString('utf8')) as { 'kubernetes.io': Record<string, unknown> };
    expect(claims['kubernetes.io']['pod']).toEqual({ name: 'placed', uid: answer.spec.boundObjectRef.uid });
    expect(claims['kubernetes.io']['node']).toEqual({ name: 'token-node', uid: nodeUid });
    const review = () => httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token: answer.status.token });
    // The node going does not end the token by itself (its pods go with it, and that does).
    expect((await httpRequest(`${server.url}/api/v1/nodes/token-node`, { method: 'DELETE' })).status).toBe(200);
    expect((await review()).status).toBe(201);
  });

  it('TokenReview says who a token is (kube-rbac-proxy, webhook authenticators), for the audiences asked, until its pod goes', async () => {
    const review = async (token: string, audiences?: string[], as?: string) => {
      const r = await post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }, as);
      expect(r.status, r.text).toBe(201);
      return (r.json as { status: Record<string, unknown> }).status;
    };
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'reviewed' } })).status).toBe(201);
    expect((await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'review-node' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/pods', pod('reviewed-pod', 'reviewed', 'review-node'))).status).toBe(201);
    const issued = (await tokenFor('reviewed', { boundObjectRef: { kind: 'Pod', name: 'reviewed-pod' } })).json as { status: { token: string }; spec: { boundObjectRef: { uid: string } } };
    const token = issued.status.token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string };
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);

    const ok = await review(token);
    expect(ok).toMatchObject({ authenticated: true, audiences: ['https://kubernetes.default.svc.cluster.local'] });
    expect(ok['user']).toMatchObject({
      username: 'system:serviceaccount:default:reviewed',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['reviewed-pod'],
        'authentication.kubernetes.io/pod-uid': [issued.spec.boundObjectRef.uid],
        'authentication.kubernetes.io/node-name': ['review-node'],
        'authentication.kubernetes.io/node-uid': [expect.stringMatching(/^[0-9a-f-]{36}$/)],
        'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`],
      },
    });
    // `kubectl auth whoami` with the token shows the same extra.
    const whoami = await httpRequest(`${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', body: '{}', token });
    expect((whoami.json as { status: { userInfo: { extra: Record<string, string[]> } } }).status.userInfo.extra['authentication.kubernetes.io/pod-name']).toEqual(['reviewed-pod']);

    // Audiences: a token is good only for the audiences it names.
    expect(await review(token, ['vault'])).toEqual({ user: {}, error: 'invalid bearer token' });
    const forVault = ((await tokenFor('reviewed', { audiences: ['vault', 'other'] })).json as { status: { token: string } }).status.token;
    expect(await review(forVault, ['vault'])).toMatchObject({ authenticated: true, audiences: ['vault'] });
    expect((await review(forVault)).authenticated).toBeUndefined();
    // The admin's static token is audience-agnostic: only for the API audience.
    expect(await review(server.ts.adminToken)).toMatchObject({ authenticated: true, user: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] } });
    expect(await review(server.ts.adminToken, ['vault'])).toEqual({ user: {} });
    expect(await review('not-a-token')).toEqual({ user: {}, error: 'invalid bearer token' });
    const empty = await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: {} });
    expect([empty.status, (empty.json as { message: string }).message]).toEqual([400, 'token is required for TokenReview in authentication']);

    // Asking is itself authorized: the account may not, until it is an auth delegator.
    expect((await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token } }, token)).status).toBe(403);
    expect((await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { metadata: { name: 'reviewed-delegator' }, subjects: [{ kind: 'ServiceAccount', name: 'reviewed', namespace: 'default' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' } })).status).toBe(201);
    // (RBAC changes reach the authorizer through the watch cache, a moment later.)
    await waitFor(async () => (await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token } }, token)).status === 201, { timeoutMs: 5_000, message: 'the binding to take effect' });
    expect((await review(token, undefined, token)).authenticated).toBe(true);

    // The pod goes: so does the token.
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default/pods/reviewed-pod?gracePeriodSeconds=0`, { method: 'DELETE' })).status).toBe(200);
    expect(await review(token)).toEqual({ user: {}, error: 'invalid bearer token, service account token has been invalidated' });
  });

  it('refuses what upstream refuses', async () => {
    expect((await tokenFor('nobody')).status).toBe(404);
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'svc' } })).status).toBe(201);
    const short = await tokenFor('svc', { expirationSeconds: 60 });
    expect([short.status, (short.json as { message: string }).message]).toEqual([422, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes']);
    // A field of the wrong JSON type does not decode: a 400, and no token.
    const typed = await tokenFor('svc', { expirationSeconds: 'x' });
    expect([typed.status, (typed.json as { message: string }).message]).toEqual([400, 'TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64']);
    const whole = await post('/api/v1/namespaces/default/serviceaccounts/svc/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: 'x' });
    expect(whole.status).toBe(400);
    expect((await tokenFor('svc', { boundObjectRef: { kind: 'Secret', name: 's' } })).status).toBe(404);
    const kind = await tokenFor('svc', { boundObjectRef: { kind: 'ConfigMap', name: 's' } });
    expect([kind.status, (kind.json as { message: string }).message]).toEqual([422, 'TokenRequest.authentication.k8s.io "" is invalid: spec.boundObjectRef.kind: Unsupported value: "ConfigMap": supported values: "Node", "Pod", "Secret"']);
    expect((await tokenFor('svc', { boundObjectRef: { kind: 'Pod', name: 'missing' } })).status).toBe(404);
    expect((await post('/api/v1/namespaces/default/pods', pod('other-sa', 'default'))).status).toBe(201);
    const mismatch = await tokenFor('svc', { boundObjectRef: { kind: 'Pod', name: 'other-sa' } });
    expect(mismatch.status).toBe(400);
    expect((await tokenFor('svc', { boundObjectRef: { kind: 'Pod', name: 'other-sa', uid: 'not-its-uid' } })).status).toBe(409);
    // A name in the body is the service account's, or nothing is issued.
    const named = await post('/api/v1/namespaces/default/serviceaccounts/svc/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'other' }, spec: {} });
    expect([named.status, (named.json as { message: string }).message]).toEqual([422, 'TokenRequest.authentication.k8s.io "svc" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified']);
    const same = await post('/api/v1/namespaces/default/serviceaccounts/svc/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'svc', namespace: 'default' }, spec: {} });
    expect(same.status).toBe(201);
  });

  it('a node gets tokens only for the service accounts of its own pods, bound to them', async () => {
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'agent-sa' } })).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/pods', pod('on-n1', 'agent-sa', 'n1'))).status).toBe(201);
    expect((await post('/api/v1/namespaces/default/pods', pod('on-n2', 'agent-sa', 'n2'))).status).toBe(201);
    const id = await server.ts.server.issueNodeIdentity('n1', ['127.0.0.1']);
    const asNode = (spec: Record<string, unknown>, sa = 'agent-sa') =>
      httpRequest(`${server.url}/api/v1/namespaces/default/serviceaccounts/${sa}/token`, { method: 'POST', body: JSON.stringify({ spec }), cert: id.certPem, key: id.keyPem });
    const uidOf = async (name: string) => ((await httpRequest(`${server.url}/api/v1/namespaces/default/pods/${name}`)).json as { metadata: { uid: string } }).metadata.uid;
    const podRef = async (name: string) => ({ apiVersion: 'v1', kind: 'Pod', name, uid: await uidOf(name) });
    expect((await asNode({ boundObjectRef: await podRef('on-n1') })).status).toBe(201);
    // As upstream's NodeRestriction: bound to a pod (apiVersion v1, kind Pod), named by uid too,
    // the pod bound to this node; refused before anything else is looked up.
    const refused = async (spec: Record<string, unknown>, why: string, sa = 'agent-sa') => {
      const r = await asNode(spec, sa);
      expect([r.status, (r.json as { message?: string }).message], JSON.stringify(spec)).toEqual([403, `serviceaccounts "${sa}" is forbidden: ${why}`]);
    };
    await refused({ boundObjectRef: { kind: 'Pod', name: 'on-n1' } }, 'node requested token not bound to a pod');
    await refused({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'on-n1' } }, 'node requested token with a pod binding without a uid');
    await refused({ boundObjectRef: { ...(await podRef('on-n1')), uid: 'stale' } }, 'the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated');
    await refused({ boundObjectRef: await podRef('on-n2') }, 'node requested token bound to a pod scheduled on a different node');
    await refused({}, 'node requested token not bound to a pod');
    await refused({ boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anything', uid: 'u' } }, 'node requested token not bound to a pod');
    // An account none of its pods runs as (existing or not, here or elsewhere): refused by the
    // Node authorizer alike, so a node learns nothing of what exists.
    for (const [ns, sa] of [['default', 'default'], ['default', 'nosuch'], ['kube-system', 'nosuch'], ['no-such-ns', 'x']]) {
      const r = await httpRequest(`${server.url}/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { method: 'POST', body: JSON.stringify({ spec: { boundObjectRef: await podRef('on-n1') } }), cert: id.certPem, key: id.keyPem });
      expect([r.status, (r.json as { message?: string }).message], `${ns}/${sa}`).toEqual([403, `serviceaccounts "${sa}" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${ns}": no relationship found between node 'n1' and this object`]);
    }
    // A mirror pod the node made itself (running as no account) gets no token, not even `default`'s.
    expect((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'default' } })).status).toBe(201);
    const mirror = {
      ...pod('mirror-n1', 'default', 'n1'),
      metadata: { name: 'mirror-n1', annotations: { 'kubernetes.io/config.mirror': 'hash', 'kubernetes.io/config.source': 'file' } },
    };
    expect((await post('/api/v1/namespaces/default/pods', mirror)).status).toBe(201);
    await refused({ boundObjectRef: await podRef('mirror-n1') }, 'node requested token bound to a mirror pod', 'default');
  });
});

describe('service account issuer discovery (OIDC)', () => {
  it('publishes the issuer and its key: a service account verifies its own token with it, offline', async () => {
    await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'oidc' } });
    const issued = async (spec: Record<string, unknown>): Promise<string> => ((await tokenFor('oidc', spec)).json as { status: { token: string } }).status.token;
    const apiToken = await issued({});
    // A token for another audience (which the API refuses) is what a relying party checks.
    const token = await issued({ audiences: ['vault'] });
    // Any service account may read both documents (system:service-account-issuer-discovery).
    const conf = await httpRequest(`${server.url}/.well-known/openid-configuration`, { token: apiToken });
    expect(conf.status).toBe(200);
    expect(conf.headers.get('content-type')).toBe('application/json');
    const doc = conf.json as { issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] };
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss: string; aud: string[] };
    expect(claims.aud).toEqual(['vault']);
    expect(doc.issuer).toBe(claims.iss);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(new URL(doc.jwks_uri).pathname).toBe('/openid/v1/jwks');
    const jwks = await httpRequest(`${server.url}/openid/v1/jwks`, { token: apiToken });
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('content-type')).toBe('application/jwk-set+json');
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const key = (jwks.json as { keys: (JsonWebKeyInput['key'] & { kid: string })[] }).keys.find((k) => k.kid === kid);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    const publicKey = createPublicKey({ key: key!, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verify('sha256', Buffer.from(`${header}.${payload}x`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(false);
    // Listed at the root; not for callers without credentials (this server refuses them all: 401).
    expect(((await httpRequest(`${server.url}/`)).json as { paths: string[] }).paths).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/openid/v1/jwks']));
    expect((await httpRequest(`${server.url}/openid/v1/jwks`, { anonymous: true })).status).toBe(401);
  });
});
