// The audit log of writes (issue 7, hygiene): JSON lines under `<dataDir>/audit/`, one per
// write attempt on the real HTTPS listener (denied ones included), never a read, never a
// Secret's value, flushed by close(), rotated at the size limit.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/apiserver/index.js';
import { Cleanup, createUserToken, httpRequest, startTestServer, type HttpAnswer } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const cm = (name: string, data: Record<string, string> = { k: 'v' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });

function readEvents(file: string): AuditEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEvent);
}

describe('audit log', () => {
  it('records every write attempt with who, verb, resource and code, and nothing else', async () => {
    const ts = await startTestServer(cleanup);
    const url = ts.server.url;
    const req = (method: string, path: string, o: { body?: unknown; token?: string; anonymous?: boolean; contentType?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> =>
      httpRequest(url + path, {
        method,
        ...(o.headers ? { headers: o.headers } : {}),
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.token ? { token: o.token } : {}),
        ...(o.anonymous ? { anonymous: true } : {}),
      });

    const created = await req('POST', '/api/v1/namespaces/default/configmaps', { body: cm('audited') });
    expect(created.status, created.text).toBe(201);
    const createAuditId = created.headers.get('audit-id');
    expect(createAuditId).toMatch(/^[0-9a-f-]{36}$/);
    const patched = await req('PATCH', '/api/v1/namespaces/default/configmaps/audited', { body: { data: { k: 'w' } }, contentType: 'application/merge-patch+json' });
    expect(patched.status, patched.text).toBe(200);
    const mallory = createUserToken(ts.dataDir, 'mallory', ['interns']);
    const forbidden = await req('POST', '/api/v1/namespaces/default/configmaps', { body: cm('nope'), token: mallory });
    expect(forbidden.status, forbidden.text).toBe(403);
    const anonymous = await req('DELETE', '/api/v1/namespaces/default/configmaps/audited', { anonymous: true });
    expect(anonymous.status, anonymous.text).toBe(401);
    const deleted = await req('DELETE', '/api/v1/namespaces/default/configmaps/audited');
    expect(deleted.status, deleted.text).toBe(200);
    // The admin acting as bob: both are on record.
    const asBob = await req('POST', '/api/v1/namespaces/default/configmaps', { body: cm('as-bob'), headers: { 'Impersonate-User': 'bob', 'Impersonate-Group': 'system:masters' } });
    expect(asBob.status, asBob.text).toBe(201);

    // A Secret created and patched: its values must never reach the log.
    const secretPlain = 'hunter2-audit-plain-value';
    const secretB64 = Buffer.from('audit-b64-secret-value').toString('base64');
    const patchPlain = 'patched-audit-plain-value';
    const sec = await req('POST', '/api/v1/namespaces/default/secrets', { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { b: secretB64 }, stringData: { p: secretPlain } } });
    expect(sec.status, sec.text).toBe(201);
    const secPatch = await req('PATCH', '/api/v1/namespaces/default/secrets/creds', { body: { stringData: { p: patchPlain } }, contentType: 'application/merge-patch+json' });
    expect(secPatch.status, secPatch.text).toBe(200);

    // Reads (get, list, a 404 get, discovery) are not logged.
    expect((await req('GET', '/api/v1/namespaces/default/secrets/creds')).status).toBe(200);
    expect((await req('GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    expect((await req('GET', '/api/v1/namespaces/default/configmaps/read-probe')).status).toBe(404);
    expect((await req('GET', '/apis')).status).toBe(200);

    // A join attempt with a wrong token: logged under the token's id, never its secret.
    const joinSecret = 'joinsecretjoinsecret';
    const joined = await httpRequest(url + '/everynode/v1/join', { method: 'POST', body: JSON.stringify({ nodeName: 'n1' }), token: `abc123.${joinSecret}` });
    expect(joined.status).toBeGreaterThanOrEqual(400);

    // close() flushes the buffered events.
    await ts.close();
    const file = join(ts.dataDir, 'audit', 'audit.log');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const text = readFileSync(file, 'utf8');
    const events = readEvents(file);

    for (const ev of events) {
      expect(ev).toMatchObject({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', stage: 'ResponseComplete' });
      expect(['create', 'update', 'patch', 'delete', 'deletecollection']).toContain(ev.verb);
      expect(Date.parse(ev.stageTimestamp)).not.toBeNaN();
    }
    const cmEvents = events.filter((e) => e.objectRef?.resource === 'configmaps');
    expect(cmEvents.map((e) => [e.verb, e.user.username, e.objectRef?.name ?? '', e.responseStatus.code])).toEqual([
      // A create names the object it made; a refused one has none (the body is never read).
      ['create', 'system:admin', 'audited', 201],
      ['patch', 'system:admin', 'audited', 200],
      ['create', 'mallory', '', 403],
      ['delete', 'system:anonymous', 'audited', 401],
      ['delete', 'system:admin', 'audited', 200],
      ['create', 'system:admin', 'as-bob', 201],
    ]);
    expect(cmEvents[5]!.impersonatedUser).toEqual({ username: 'bob', groups: ['system:masters', 'system:authenticated'] });
    expect(cmEvents[0]!.impersonatedUser).toBeUndefined();
    expect(cmEvents[0]).toMatchObject({ auditID: createAuditId, objectRef: { apiGroup: '', apiVersion: 'v1', namespace: 'default' } });
    expect(cmEvents[2]!.user.groups).toEqual(expect.arrayContaining(['interns', 'system:authenticated']));
    expect(cmEvents[2]!.responseStatus).toEqual({ code: 403, status: 'Failure' });

    const secretEvents = events.filter((e) => e.objectRef?.resource === 'secrets');
    expect(secretEvents.map((e) => [e.verb, e.responseStatus.code])).toEqual([
      ['create', 201],
      ['patch', 200],
    ]);
    for (const v of [secretPlain, secretB64, patchPlain, joinSecret, ts.adminToken, mallory]) expect(text).not.toContain(v);

    const joinEvent = events.find((e) => e.requestURI === '/everynode/v1/join');
    expect(joinEvent).toMatchObject({ verb: 'create', user: { username: 'system:bootstrap:abc123' } });
    expect(joinEvent!.responseStatus.code).toBe(joined.status);

    expect(text).not.toContain('read-probe');
    expect(events).toHaveLength(cmEvents.length + secretEvents.length + 1);
  });

  it('rotates at the size limit, keeping maxFiles rotated files', async () => {
    const maxBytes = 2048;
    const ts = await startTestServer(cleanup, { audit: { maxBytes, maxFiles: 2 } });
    const url = ts.server.url;
    // Deletes of absent objects (404): each event names its object, so order can be checked.
    const n = 40; // ~600 bytes per event: well past maxBytes * (maxFiles + 1)
    for (let i = 0; i < n; i++) {
      const r = await httpRequest(`${url}/api/v1/namespaces/default/configmaps/rot-${i}`, { method: 'DELETE' });
      expect(r.status, r.text).toBe(404);
    }
    await ts.close();
    const dir = join(ts.dataDir, 'audit');
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    const files = ['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => join(dir, f));
    for (const f of files) {
      expect(statSync(f).size).toBeLessThanOrEqual(maxBytes);
      expect(statSync(f).size).toBeGreaterThan(0);
    }
    // Oldest file to newest, the kept events are the last ones written, in order, no gaps.
    const kept = files.flatMap((f) => readEvents(f));
    expect(kept.every((e) => e.verb === 'delete' && e.responseStatus.code === 404)).toBe(true);
    const names = kept.map((e) => e.objectRef?.name);
    expect(kept.length).toBeLessThan(n);
    expect(names).toEqual(Array.from({ length: kept.length }, (_, k) => `rot-${n - kept.length + k}`));
  });
});
