// Times an older build stored as a client sent them (a JavaScript Date's three fractional
// digits, which break `kubectl events` and every Go reader of a MicroTime) are rewritten in
// canonical form when the current build starts; objects already canonical are not touched.

import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { httpRequest } from '../helpers/http.js';
import { restartTestServer, startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe('times stored by an older build', () => {
  it('Events and Leases with three-digit fractions are rewritten at start; canonical ones keep their resourceVersion', async () => {
    let ts = await startTestServer(cleanup);
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await httpRequest(ts.server.url + path, { method, token: ts.adminToken, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: r.status, body: JSON.parse(r.text) as Record<string, any> };
    };
    const event = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      reason: 'Test',
      message: 'm',
      type: 'Normal',
      eventTime: '2026-12-01T02:00:01.456789Z',
      reportingComponent: 'js-app',
      reportingInstance: 'js-app-1',
      action: 'Testing',
    });
    expect((await call('POST', '/api/v1/namespaces/default/events', event('old-ms'))).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/default/events', event('canonical'))).status).toBe(201);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'js-operator', namespace: 'default' }, spec: { holderIdentity: 'a', renewTime: '2026-12-01T02:56:10.123456Z', leaseDurationSeconds: 15 } };
    expect((await call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease)).status).toBe(201);

    // What a build before canonical times stored: the client's three digits.
    const store = ts.server.store;
    const rawEdit = async (key: string, from: string, to: string) => {
      const kv = (await store.get(key))!;
      expect(kv.value).toContain(from);
      await store.update(key, kv.value.replace(from, to), kv.modRevision);
    };
    await rawEdit('/registry/core/events/default/old-ms', '02:00:01.456789Z', '02:00:01.456Z');
    await rawEdit('/registry/coordination.k8s.io/leases/default/js-operator', '02:56:10.123456Z', '02:56:10.123Z');
    expect((await call('GET', '/api/v1/namespaces/default/events/old-ms')).body.eventTime).toBe('2026-12-01T02:00:01.456Z');
    const canonicalRv = (await call('GET', '/api/v1/namespaces/default/events/canonical')).body.metadata.resourceVersion;

    ts = await restartTestServer(cleanup, ts);
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/default/events/old-ms')).body.eventTime === '2026-12-01T02:00:01.456000Z', { message: 'the event rewritten' });
    await waitFor(async () => (await call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/js-operator')).body.spec.renewTime === '2026-12-01T02:56:10.123000Z', { message: 'the lease rewritten' });
    const ev = (await call('GET', '/api/v1/namespaces/default/events/old-ms')).body;
    expect(ev).toMatchObject({ reason: 'Test', message: 'm', involvedObject: { kind: 'Pod', name: 'p' }, reportingComponent: 'js-app' });
    expect((await call('GET', '/api/v1/namespaces/default/events/canonical')).body.metadata.resourceVersion).toBe(canonicalRv);
  }, 60_000);
});
