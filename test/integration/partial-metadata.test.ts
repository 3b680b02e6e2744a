// Metadata-only clients (client-go's metadata client and informers, controller-runtime's
// OnlyMetadata, garbage collectors) ask for `as=PartialObjectMetadata[List]` in Accept and decode
// only those kinds; found answered with whole objects by the bad-input review. The real server
// over HTTPS, the Accept headers exactly as client-go's metadata client sends them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, Cleanup, httpRequest, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
const call = apiCaller(() => ts.server.url);
const metaAccept = (as: string): string => `application/vnd.kubernetes.protobuf;as=${as};g=meta.k8s.io;v=v1,application/json;as=${as};g=meta.k8s.io;v=v1,application/json`;

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  for (const name of ['m1', 'm2']) {
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name, labels: { app: 'meta' } }, data: { secretish: 'not for metadata clients' } })).status).toBe(201);
  }
});
afterAll(() => cleanup.run());

describe('PartialObjectMetadata', () => {
  it('lists and gets metadata only', async () => {
    const list = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dmeta', undefined, undefined, { accept: metaAccept('PartialObjectMetadataList') });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: expect.any(String) } });
    expect(list.body.items.map((i: { kind: string; metadata: { name: string } }) => `${i.kind} ${i.metadata.name}`)).toEqual(['PartialObjectMetadata m1', 'PartialObjectMetadata m2']);
    expect(list.body.items[0].metadata).toMatchObject({ labels: { app: 'meta' }, uid: expect.any(String), resourceVersion: expect.any(String) });
    expect(list.text).not.toContain('not for metadata clients');
    const one = await call('GET', '/api/v1/namespaces/default/configmaps/m1', undefined, undefined, { accept: metaAccept('PartialObjectMetadata') });
    expect(one.body).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'm1', namespace: 'default' }) });
    // The list form on an item (and the item form on a list) is chosen, then cannot be made: a
    // 406, as upstream's asPartialObjectMetadataList; no transform at all is the object itself.
    const wrong = await call('GET', '/api/v1/namespaces/default/configmaps/m1', undefined, undefined, { accept: metaAccept('PartialObjectMetadataList') });
    expect(wrong.status).toBe(406);
    expect(wrong.body).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', message: 'you requested PartialObjectMetadataList, but the requested object is not a list (ConfigMap)' });
    const plain = await call('GET', '/api/v1/namespaces/default/configmaps/m1');
    expect(plain.body).toMatchObject({ kind: 'ConfigMap', data: { secretish: 'not for metadata clients' } });
  });

  it('watches metadata only, bookmarks included', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/default/configmaps?limit=1')).body.metadata.resourceVersion as string;
    const watching = httpRequest(`${ts.server.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=3`, {
      headers: { accept: metaAccept('PartialObjectMetadata') },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'm3' }, data: { k: 'v' } })).status).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/m3')).status).toBe(200);
    const answer = await watching;
    const events = answer.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; apiVersion: string; metadata: { name?: string } } });
    const changes = events.filter((e) => e.type !== 'BOOKMARK');
    expect(changes.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual(['ADDED PartialObjectMetadata m3', 'DELETED PartialObjectMetadata m3']);
    // The bookmark before the watch's timeout too (metadata clients decode every event's object).
    expect(events.filter((e) => e.type === 'BOOKMARK').map((e) => e.object.kind)).toEqual(['PartialObjectMetadata']);
    for (const e of events) expect(e.object.apiVersion).toBe('meta.k8s.io/v1');
    expect(answer.text).not.toContain('"data"');
  });

  it('answers writes in the asked form too (upstream transforms every response): a metadata client\'s patch, a Table of a create; a delete\'s Status stays', async () => {
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/m1', { metadata: { labels: { patched: 'yes' } } }, 'application/merge-patch+json', { accept: metaAccept('PartialObjectMetadata') });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'm1', labels: { app: 'meta', patched: 'yes' } }) });
    expect(patched.text).not.toContain('not for metadata clients');
    const table = 'application/json;as=Table;g=meta.k8s.io;v=v1,application/json';
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'm4' }, data: { a: '1' } }, undefined, { accept: table });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['m4', 1, expect.any(String)] }] });
    const updated = await call('PUT', '/api/v1/namespaces/default/configmaps/m4', { ...((await call('GET', '/api/v1/namespaces/default/configmaps/m4')).body as object), data: { a: '2' } }, undefined, { accept: metaAccept('PartialObjectMetadata') });
    expect(updated.body.kind).toBe('PartialObjectMetadata');
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps/m4', undefined, undefined, { accept: metaAccept('PartialObjectMetadata') });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ kind: 'Status', status: 'Success' });
  });
});
