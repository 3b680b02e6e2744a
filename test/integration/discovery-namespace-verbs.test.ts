// Discovery and verbs as upstream's /api/v1 (kubernetes api/discovery/api__v1.json) has them,
// against the real API server: namespaces have no deletecollection (advertised nowhere, and the
// collection DELETE is 405 with nothing deleted), and the streaming pod subresources
// (pods/exec, pods/portforward) are listed.

import { describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { apiCaller } from '../helpers/http.js';
import { useTestServer } from '../helpers/server.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup);
const call = apiCaller(() => server.url);

describe('namespaces: no deletecollection', () => {
  it('discovery lists namespace verbs without deletecollection', async () => {
    const core = await call('GET', '/api/v1');
    expect(core.status).toBe(200);
    const ns = core.body.resources.find((r: any) => r.name === 'namespaces');
    expect(ns.verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  });

  it('DELETE /api/v1/namespaces?labelSelector=... is 405 MethodNotAllowed and deletes nothing', async () => {
    for (const name of ['dc-a', 'dc-b']) {
      const r = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { team: 'dc' } } });
      expect(r.status, r.text).toBe(201);
    }
    for (const path of ['/api/v1/namespaces?labelSelector=team%3Ddc', '/api/v1/namespaces']) {
      const r = await call('DELETE', path);
      expect(r.status, r.text).toBe(405);
      expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'the server does not allow this method on the requested resource' });
    }
    const list = await call('GET', '/api/v1/namespaces');
    const byName = new Map<string, any>(list.body.items.map((n: any) => [n.metadata.name, n]));
    for (const name of ['dc-a', 'dc-b', 'default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      expect(byName.get(name)?.metadata.deletionTimestamp, name).toBeUndefined();
      expect(byName.get(name)?.status.phase, name).toBe('Active');
    }
  });

  it('other kinds keep deletecollection', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dc-cm', labels: { team: 'dc' } } });
    const r = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=team%3Ddc');
    expect(r.status, r.text).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dc-cm')).status).toBe(404);
    // The list of what went, as a Table when one is asked for (upstream's transformResponseObject).
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dc-table', labels: { team: 'dc' } } });
    const table = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=team%3Ddc', undefined, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.status, table.text).toBe(200);
    expect(table.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.body.rows.map((r: { cells: unknown[] }) => r.cells[0])).toEqual(['dc-table']);
  });
});

describe('pod subresources in discovery', () => {
  it('lists pods/attach, pods/exec, pods/portforward and pods/proxy as upstream', async () => {
    const core = await call('GET', '/api/v1');
    const find = (name: string): unknown => core.body.resources.find((r: any) => r.name === name);
    expect(find('pods/exec')).toEqual({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(find('pods/portforward')).toEqual({ name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
    expect(find('pods/log')).toEqual({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    expect(find('pods/proxy')).toEqual({ name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    expect(find('pods/status')).toEqual({ name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(find('pods/eviction')).toEqual({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    expect(find('serviceaccounts/token')).toEqual({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
    expect(find('pods/attach')).toEqual({ name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] });
  });
});
