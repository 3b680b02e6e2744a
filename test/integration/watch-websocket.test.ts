// Watches over WebSocket against a real server (SQLite store, HTTPS, the real handler): a watch
// request that asks to upgrade gets each event as one text message, the same JSON lines as the
// chunked stream; a browser's credential, the bearer token sent as the
// `base64url.bearer.authorization.k8s.io.` subprotocol, authenticates it (and exec, logs and
// port-forward upgrades alike) without ever being echoed; refusals (bad token, no RBAC, a bad
// selector, a compacted resourceVersion) are plain HTTP answers with a Status, as before an
// upgrade; the server ends a watch that timed out with a close frame.

import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { configMapsResource, HttpTransport, loadKubeconfig, podsResource, RestClient } from '../../src/client/index.js';
import { Cleanup, createUserToken, makeTempDir, readWebSocket, useTestServer, writeKubeconfigFor, type WebSocketRead } from '../helpers/index.js';

const cleanup = new Cleanup();
const s = useTestServer(cleanup);
afterAll(() => cleanup.run());

const ns = 'default';
const tmp = () => makeTempDir(cleanup, 'ws-watch');
const client = (): RestClient => {
  const t = new HttpTransport({ ...loadKubeconfig(s.ts.server.kubeconfigPath) });
  cleanup.defer(() => t.destroy(), 'transport');
  return new RestClient(t.request);
};
const configMap = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { suite: 'ws' } }, data } as KubeObject);

/** The messages as watch events; every message is one JSON event ending with a newline. */
function events(r: WebSocketRead): { type: string; object: KubeObject }[] {
  return r.messages.map((m) => {
    expect(m.opcode).toBe(1);
    const text = m.data.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    return JSON.parse(text) as { type: string; object: KubeObject };
  });
}

const names = (evs: { type: string; object: KubeObject }[]): string[] => evs.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);

describe('watch over WebSocket', () => {
  it('sends the initial state and every change as one text message per event, with the offered subprotocol', async () => {
    const c = client();
    await c.create(configMapsResource, ns, configMap('ws-a'));
    const path = `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=suite%3Dws`;
    const reading = readWebSocket(s.ts.server.kubeconfigPath, path, ['base64.binary.k8s.io'], 20_000, { until: (m) => m.length >= 3 });
    // The watch is open once the initial ADDED arrived; the later writes come as events.
    await new Promise((r) => setTimeout(r, 300));
    await c.create(configMapsResource, ns, configMap('ws-b'));
    await c.update(configMapsResource, ns, { ...(await c.get<KubeObject>(configMapsResource, ns, 'ws-a')), data: { k: 'v' } } as KubeObject);
    const r = await reading;
    expect(r.status).toBe(101);
    expect(r.protocol).toBe('base64.binary.k8s.io');
    const evs = events(r);
    expect(names(evs)).toEqual(['ADDED ws-a', 'ADDED ws-b', 'MODIFIED ws-a']);
    expect((evs[2]!.object as KubeObject & { data?: Record<string, string> }).data).toEqual({ k: 'v' });
    expect(Number(evs[2]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(evs[1]!.object.metadata.resourceVersion));
  });

  it('takes a browser\'s token from the bearer subprotocol and answers with the other protocol, never the token', async () => {
    const r = await readWebSocket(s.ts.server.kubeconfigPath, `/api/v1/namespaces/${ns}/configmaps?watch=1&fieldSelector=metadata.name%3Dws-a`, ['binary.k8s.io'], 20_000, { token: 'subprotocol', until: (m) => m.length >= 1 });
    expect(r.status).toBe(101);
    expect(r.protocol).toBe('binary.k8s.io');
    expect(names(events(r))).toEqual(['ADDED ws-a']);
  });

  it('serves the /watch/ path form, and a watch without subprotocols answers with none', async () => {
    const r = await readWebSocket(s.ts.server.kubeconfigPath, `/api/v1/watch/namespaces/${ns}/configmaps/ws-b`, [], 20_000, { until: (m) => m.length >= 1 });
    expect(r.status).toBe(101);
    expect(r.protocol).toBeUndefined();
    expect(names(events(r))).toEqual(['ADDED ws-b']);
  });

  it('ends a watch whose timeoutSeconds passed with a close frame', async () => {
    const t0 = Date.now();
    const r = await readWebSocket(s.ts.server.kubeconfigPath, `/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dws-b`, ['base64.binary.k8s.io']);
    expect(r.status).toBe(101);
    expect(r.closed).toBe(true);
    expect(names(events(r))).toEqual(['ADDED ws-b']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('refuses before upgrading, with a Status: a bad or doubled subprotocol token (401), no RBAC (403), a bad selector (400), a compacted resourceVersion (410 event after upgrade)', async () => {
    const kc = s.ts.server.kubeconfigPath;
    const path = `/api/v1/namespaces/${ns}/configmaps?watch=true`;
    const status = (r: WebSocketRead): { code: number; reason: string; message: string } => JSON.parse(r.body) as { code: number; reason: string; message: string };

    // A token the server does not know, sent as a browser sends it.
    const unknownDir = tmp();
    const unknownKc = writeKubeconfigFor(unknownDir, 'nobody', s.url, { token: 'abcdef.0123456789abcdef' });
    const bad = await readWebSocket(unknownKc, path, ['base64.binary.k8s.io'], 20_000, { token: 'subprotocol' });
    expect(bad.status).toBe(401);
    expect(status(bad)).toMatchObject({ code: 401, reason: 'Unauthorized' });

    // Upstream's rules for the token protocol: one token, valid unpadded base64url, and another protocol to answer with.
    const token = loadKubeconfig(kc).token!;
    const proto = (t: string) => `base64url.bearer.authorization.k8s.io.${t}`;
    const enc = Buffer.from(token).toString('base64url');
    for (const offered of [[proto(enc)], [proto(enc), proto(enc), 'binary.k8s.io'], [proto(`${enc}=`), 'binary.k8s.io'], [proto('not*base64'), 'binary.k8s.io']]) {
      const r = await readWebSocket(kc, path, offered, 20_000, { token: 'none' });
      expect(r.status, offered.join(', ')).toBe(401);
    }
    // The same token with another protocol is accepted.
    const good = await readWebSocket(kc, `${path}&fieldSelector=metadata.name%3Dws-a`, [proto(enc), 'binary.k8s.io'], 20_000, { token: 'none', until: (m) => m.length >= 1 });
    expect(good.status).toBe(101);
    expect(good.protocol).toBe('binary.k8s.io');

    // A user the server knows, without any role.
    const dir = tmp();
    const userKc = writeKubeconfigFor(dir, 'mallory', s.url, { token: createUserToken(s.ts.dataDir, 'mallory') });
    const denied = await readWebSocket(userKc, path, ['binary.k8s.io'], 20_000, { token: 'subprotocol' });
    expect(denied.status).toBe(403);
    expect(status(denied)).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(status(denied).message).toContain('cannot watch resource "configmaps"');

    const selector = await readWebSocket(kc, `${path}&labelSelector=a%20b`, []);
    expect(selector.status).toBe(400);
    expect(status(selector)).toMatchObject({ code: 400, reason: 'BadRequest' });

    // A resourceVersion the store compacted away: the watch opens and its one event is the 410, as over HTTP.
    expect(await s.ts.server.compactNow()).toBeGreaterThan(1);
    const old = await readWebSocket(kc, `${path}&resourceVersion=1`, []);
    expect(old.status).toBe(101);
    const evs = events(old);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.type).toBe('ERROR');
    expect(evs[0]!.object as unknown).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(old.closed).toBe(true);
  });

  it('refuses an exec into a pod without a node in upstream\'s words (tools retry on them)', async () => {
    const client = new RestClient(new HttpTransport(loadKubeconfig(s.ts.server.kubeconfigPath)).request);
    await client.create(podsResource, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'x' }] } } as KubeObject);
    const r = await readWebSocket(s.ts.server.kubeconfigPath, `/api/v1/namespaces/${ns}/pods/unbound/exec?command=ls&stdout=true`, ['v5.channel.k8s.io']);
    expect(r.status).toBe(400);
    expect(r.body).toContain('pod unbound does not have a host assigned');
    await client.delete(podsResource, ns, 'unbound', { gracePeriodSeconds: 0 });
  });

  it('still refuses to upgrade anything but watches and the pod streams', async () => {
    const r = await readWebSocket(s.ts.server.kubeconfigPath, `/api/v1/namespaces/${ns}/configmaps`, []);
    expect(r.status).toBe(400);
    expect(r.body).toContain('this request cannot be upgraded');
  });
});
