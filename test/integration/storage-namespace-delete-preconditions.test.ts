// DELETE of a Namespace honours DeleteOptions.preconditions against the stored object, as
// upstream's namespace storage does: a uid or a resourceVersion that does not match is
// 409 Conflict and leaves the namespace untouched (Active, no deletionTimestamp); matching
// preconditions start termination. The real API server with its SQLite store, over HTTPS.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStatus, Cleanup, httpRequest, startTestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let base = '';

beforeAll(async () => {
  const { server } = await startTestServer(cleanup);
  base = server.url;
});
afterAll(() => cleanup.run());

interface Ns {
  metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string };
  status?: { phase?: string };
}

async function createNs(name: string): Promise<Ns> {
  const res = await httpRequest(`${base}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) });
  expect(res.status, res.text).toBe(201);
  return res.json as Ns;
}

async function readNs(name: string): Promise<Ns> {
  const res = await httpRequest(`${base}/api/v1/namespaces/${name}`);
  expect(res.status, res.text).toBe(200);
  return res.json as Ns;
}

const deleteNs = (name: string, preconditions: Record<string, string>) =>
  httpRequest(`${base}/api/v1/namespaces/${name}`, { method: 'DELETE', body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions }) });

describe('namespace DELETE preconditions', () => {
  it('a stale resourceVersion precondition → 409 Conflict, the namespace stays Active', async () => {
    const ns = await createNs('pre-rv');
    // Make the creation resourceVersion stale.
    const upd = await httpRequest(`${base}/api/v1/namespaces/pre-rv`, { method: 'PUT', body: JSON.stringify({ ...ns, metadata: { ...ns.metadata, labels: { touched: 'yes' } } }) });
    expect(upd.status, upd.text).toBe(200);
    const current = upd.json as Ns;

    const res = await deleteNs('pre-rv', { resourceVersion: ns.metadata.resourceVersion });
    expect(res.status, res.text).toBe(409);
    const st = asStatus(res.json);
    expect(st).toMatchObject({ status: 'Failure', reason: 'Conflict', code: 409, details: { name: 'pre-rv', kind: 'namespaces' } });
    expect(st?.message).toContain(`ResourceVersion in precondition: ${ns.metadata.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    const after = await readNs('pre-rv');
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    expect(after.status?.phase).toBe('Active');
    expect(after.metadata.resourceVersion).toBe(current.metadata.resourceVersion);

    // The current resourceVersion (and the right uid) start termination.
    const ok = await deleteNs('pre-rv', { resourceVersion: current.metadata.resourceVersion, uid: current.metadata.uid });
    expect(ok.status, ok.text).toBe(200);
    expect((ok.json as Ns).metadata.deletionTimestamp).toBeDefined();
  });

  it('a wrong uid precondition → 409 Conflict, the namespace stays Active', async () => {
    const ns = await createNs('pre-uid');
    const res = await deleteNs('pre-uid', { uid: 'not-the-uid' });
    expect(res.status, res.text).toBe(409);
    expect(asStatus(res.json)).toMatchObject({ reason: 'Conflict', code: 409 });
    expect((await readNs('pre-uid')).metadata).toMatchObject({ resourceVersion: ns.metadata.resourceVersion });
    expect((await readNs('pre-uid')).metadata.deletionTimestamp).toBeUndefined();
  });
});
