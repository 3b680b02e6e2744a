// pods/binding against the real server with the real @kubernetes/client-node: what a scheduler
// (or a person placing a pod by hand) POSTs to bind a pod to a node, as upstream's BindingREST
// answers it.
import { describe, expect, it } from 'vitest';
import { encodeProtobufObject } from '../../src/apiserver/protobuf.js';
import { apiClients, apiFailure, apiCaller, Cleanup, httpRequest, useTestServer } from '../helpers/index.js';

const server = useTestServer(new Cleanup());
const call = apiCaller(() => server.url);
const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }], ...extra } });
const binding = (name: string, node: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name, ...extra }, target: { apiVersion: 'v1', kind: 'Node', name: node } });

describe('pods/binding', () => {
  it('binds an unbound pod to a node: nodeName, the binding\'s annotations, PodScheduled; once only', async () => {
    const api = apiClients(server.ts.server.kubeconfigPath);
    await api.core.createNamespacedPod({ namespace: 'default', body: pod('loose') as never });
    await api.core.createNamespacedPodBinding({ namespace: 'default', name: 'loose', body: binding('loose', 'n1', { annotations: { 'scheduler.example.com/why': 'fits' } }) as never });
    const bound = await api.core.readNamespacedPod({ namespace: 'default', name: 'loose' });
    expect(bound.spec?.nodeName).toBe('n1');
    expect(bound.metadata?.annotations).toMatchObject({ 'scheduler.example.com/why': 'fits' });
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    // A binding writes past the field manager, as upstream's: no manager entry for it.
    expect((bound.metadata?.managedFields ?? []).some((m) => m.subresource === 'binding')).toBe(false);

    const again = await apiFailure(api.core.createNamespacedPodBinding({ namespace: 'default', name: 'loose', body: binding('loose', 'n2') as never }));
    expect(again.code).toBe(409);
    expect(again.status?.message).toBe('Operation cannot be fulfilled on pods/binding "loose": pod loose is already assigned to node "n1"');
  });

  it('answers a Success Status, and refuses what upstream refuses', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('free'))).status).toBe(201);
    const ok = await call('POST', '/api/v1/namespaces/default/pods/free/binding', binding('free', 'n1'));
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('other'))).status).toBe(201);
    const misnamed = await call('POST', '/api/v1/namespaces/default/pods/other/binding', binding('free', 'n1'));
    expect([misnamed.status, misnamed.body.message]).toEqual([400, 'name in URL does not match name in Binding object']);
    const badTarget = await call('POST', '/api/v1/namespaces/default/pods/other/binding', { ...binding('other', ''), target: { kind: 'Pod', name: '' } });
    expect(badTarget.status).toBe(422);
    expect(badTarget.body.message).toBe('Binding "other" is invalid: [target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", target.name: Required value]');
    const stale = await call('POST', '/api/v1/namespaces/default/pods/other/binding', binding('other', 'n1', { uid: 'not-its-uid' }));
    expect(stale.status).toBe(409);
    expect((await call('POST', '/api/v1/namespaces/default/pods/missing/binding', binding('missing', 'n1'))).status).toBe(404);
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] }))).status).toBe(201);
    const gated = await call('POST', '/api/v1/namespaces/default/pods/gated/binding', binding('gated', 'n1'));
    expect([gated.status, gated.body.message]).toEqual([409, 'Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates']);
    // Still unbound, all of them.
    for (const n of ['other', 'gated']) expect((await call('GET', `/api/v1/namespaces/default/pods/${n}`)).body.spec.nodeName).toBeUndefined();
    // Once its gates are gone it binds, and PodScheduled is replaced whole (no SchedulingGated reason left).
    expect((await call('PATCH', '/api/v1/namespaces/default/pods/gated', { spec: { schedulingGates: null } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await call('POST', '/api/v1/namespaces/default/pods/gated/binding', binding('gated', 'n1'))).status).toBe(201);
    const scheduled = ((await call('GET', '/api/v1/namespaces/default/pods/gated')).body.status.conditions as Array<Record<string, unknown>>).find((c) => c.type === 'PodScheduled');
    expect(scheduled).toEqual({ type: 'PodScheduled', status: 'True', lastTransitionTime: expect.any(String) });
    expect((await call('GET', '/api/v1/namespaces/default/pods/other/binding')).status).toBe(405);
    // Discovery lists it as upstream does.
    const core = (await call('GET', '/api/v1')).body as { resources: Array<{ name: string; kind: string; verbs: string[] }> };
    expect(core.resources.find((r) => r.name === 'pods/binding')).toMatchObject({ kind: 'Binding', verbs: ['create'] });
  });

  it('binds through the namespace\'s bindings resource too (createNamespacedBinding), which discovery lists as create-only', async () => {
    const api = apiClients(server.ts.server.kubeconfigPath);
    await api.core.createNamespacedPod({ namespace: 'default', body: pod('via-bindings') as never });
    await api.core.createNamespacedBinding({ namespace: 'default', body: binding('via-bindings', 'n2') as never });
    expect((await api.core.readNamespacedPod({ namespace: 'default', name: 'via-bindings' })).spec?.nodeName).toBe('n2');
    const again = await apiFailure(api.core.createNamespacedBinding({ namespace: 'default', body: binding('via-bindings', 'n1') as never }));
    expect(again.code).toBe(409);
    expect((await call('POST', '/api/v1/namespaces/default/bindings', binding('nobody-here', 'n1'))).status).toBe(404);
    const unnamed = await call('POST', '/api/v1/namespaces/default/bindings', { kind: 'Binding', apiVersion: 'v1', metadata: {}, target: { name: 'n1' } });
    expect(unnamed.status).toBe(422);
    expect((await call('GET', '/api/v1/namespaces/default/bindings')).status).toBe(405);
    expect((await call('POST', '/api/v1/namespaces/default/bindings/x', binding('x', 'n1'))).status).toBe(404);
    const core = (await call('GET', '/api/v1')).body as { resources: Array<{ name: string; kind: string; verbs: string[]; namespaced: boolean }> };
    expect(core.resources.find((r) => r.name === 'bindings')).toMatchObject({ kind: 'Binding', verbs: ['create'], namespaced: true });
  });

  it("takes the protobuf Binding a client-go scheduler sends by default", async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('proto'))).status).toBe(201);
    const body = encodeProtobufObject(binding('proto', 'n3'), '/Binding');
    const r = await httpRequest(`${server.url}/api/v1/namespaces/default/pods/proto/binding`, { method: 'POST', body, contentType: 'application/vnd.kubernetes.protobuf' });
    expect(r.status, r.text).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/pods/proto')).body.spec.nodeName).toBe('n3');
  });
});
