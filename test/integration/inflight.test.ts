// The limit on requests in flight against a real server (HTTPS, SQLite, RBAC), with limits of
// one read-only and one mutating request: a user's request beyond its kind's limit gets 429
// TooManyRequests with Retry-After before any work, the other kind is not affected, watches and
// system:masters are exempt, the gauge shows what is in flight, and the count goes down when the
// held request ends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, asStatus, Cleanup, createUserToken, heldRequest, openWireWatch, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let devToken = '';
const admin = apiCaller(() => ts.server.url);
const asDev = (method: string, path: string, body?: unknown) => admin(method, path, body, 'application/json', { authorization: `Bearer ${devToken}` });
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const CMS = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  ts = await startTestServer(cleanup, { inflightLimits: { readOnly: 1, mutating: 1 } });
  devToken = createUserToken(ts.dataDir, 'dev');
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'dev-edit', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dev' }] };
  expect((await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', binding)).status).toBe(201);
});
afterAll(() => cleanup.run());

const inflightGauge = async (kind: string): Promise<number> => {
  const text = (await admin('GET', '/metrics')).text;
  return Number(new RegExp(`^apiserver_current_inflight_requests\\{request_kind="${kind}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
};

describe('requests in flight', () => {
  it('refuses a write beyond the mutating limit with 429 and Retry-After, and takes writes again once the held one ends', async () => {
    const held = heldRequest(ts.server.url, ts.caPem, devToken, 'POST', CMS, JSON.stringify(cm('held')));
    await waitFor(async () => (await inflightGauge('mutating')) === 1, { message: 'the held write in flight' });

    const refused = await asDev('POST', CMS, cm('refused'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(asStatus(refused.body)).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', details: { retryAfterSeconds: 1 } });
    expect((await admin('GET', `${CMS}/refused`)).status).toBe(404);

    // Reads have their own limit; an administrator (system:masters) is never refused.
    expect((await asDev('GET', CMS)).status).toBe(200);
    expect((await admin('POST', CMS, cm('by-admin'))).status).toBe(201);

    held.finish();
    expect(await held.answer).toBe(201);
    await waitFor(async () => (await inflightGauge('mutating')) === 0, { message: 'nothing in flight' });
    expect((await asDev('POST', CMS, cm('after'))).status).toBe(201);
  });

  it('refuses a read beyond the read-only limit; watches are not counted', async () => {
    // A list at a resourceVersion the store has not reached waits for it (up to 3 s): in flight meanwhile.
    const future = Number(((await admin('GET', CMS)).body as { metadata: { resourceVersion: string } }).metadata.resourceVersion) + 1000;
    const waiting = asDev('GET', `${CMS}?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`);
    await waitFor(async () => (await inflightGauge('readOnly')) === 1, { message: 'the waiting list in flight' });
    const refused = await asDev('GET', `${CMS}/after`);
    expect(refused.status).toBe(429);
    expect(asStatus(refused.body)?.reason).toBe('TooManyRequests');
    // A watch is long-running: opened whatever the count.
    const w = await openWireWatch(cleanup, ts.server.url, `${CMS}?watch=true&fieldSelector=metadata.name%3Dafter`, { authorization: `Bearer ${devToken}` });
    expect(w.status).toBe(200);
    expect((await waiting).status).toBe(504);
    await waitFor(async () => (await inflightGauge('readOnly')) === 0, { message: 'nothing in flight' });
    expect((await asDev('GET', `${CMS}/after`)).status).toBe(200);
  });
});
