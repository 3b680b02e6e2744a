// Update semantics of the real API server (startServer, SQLite, HTTPS with the admin
// credentials), as kubectl and client libraries see them: Service type changes
// (dropTypeDependentFields), gated pods, the finalizer rule, defaulted /status writes and a
// Namespace's spec.finalizers through its whole life.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { httpRequest } from '../helpers/http.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { useTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const server = useTestServer(cleanup);

interface Resp {
  status: number;
  body: any;
  text: string;
}

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Resp> {
  const r = await httpRequest(server.url + path, { method, ...(body !== undefined ? { body: JSON.stringify(body), contentType } : {}) });
  return { status: r.status, body: r.json, text: r.text };
}

const smp = 'application/strategic-merge-patch+json';
const merge = 'application/merge-patch+json';

describe('Service type changes', () => {
  it('NodePort -> ClusterIP by strategic-merge patch succeeds and drops externalTrafficPolicy', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } };
    const c = await call('POST', '/api/v1/namespaces/default/services', svc);
    expect(c.status, c.text).toBe(201);
    expect(c.body.spec.externalTrafficPolicy).toBe('Cluster');
    const p = await call('PATCH', '/api/v1/namespaces/default/services/np', { spec: { type: 'ClusterIP' } }, smp);
    expect(p.status, p.text).toBe(200);
    expect(p.body.spec.type).toBe('ClusterIP');
    expect(p.body.spec.externalTrafficPolicy).toBeUndefined();
  });

  it.skipIf(!kubectlAvailable())('kubectl patch LoadBalancer -> ClusterIP', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] } };
    expect((await call('POST', '/api/v1/namespaces/default/services', svc)).status).toBe(201);
    const target = { kubeconfig: server.ts.server.kubeconfigPath, cacheDir: join(server.ts.dataDir, 'kube-cache') };
    const r = await runKubectl(target, ['patch', 'service', 'lb', '-p', '{"spec":{"type":"ClusterIP"}}']);
    expect(r.code, r.stderr).toBe(0);
    const got = await call('GET', '/api/v1/namespaces/default/services/lb');
    expect(got.body.spec.type).toBe('ClusterIP');
    for (const f of ['externalTrafficPolicy', 'allocateLoadBalancerNodePorts']) expect(got.body.spec[f], f).toBeUndefined();
  });

  it('a ClusterIP service with externalIPs accepts externalTrafficPolicy', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { externalIPs: ['192.0.2.7'], externalTrafficPolicy: 'Local', ports: [{ port: 80 }] } };
    const c = await call('POST', '/api/v1/namespaces/default/services', svc);
    expect(c.status, c.text).toBe(201);
    expect(c.body.spec.externalTrafficPolicy).toBe('Local');
  });
});

describe('gated pods', () => {
  it('may gain nodeSelector keys but may not be bound until the gates are gone', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated' }, spec: { schedulingGates: [{ name: 'example.com/wait' }], containers: [{ name: 'c', image: 'busybox:1.36', resources: { limits: { cpu: '1', memory: '64Mi' } } }] } };
    const created = await call('POST', '/api/v1/namespaces/default/pods', pod);
    expect(created.status).toBe(201);
    // As upstream's pod strategy: the QoS class from the defaulted spec, and the gates' PodScheduled condition.
    expect(created.body.status).toEqual({
      phase: 'Pending',
      qosClass: 'Guaranteed',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }],
    });
    // A status written without the QoS class keeps the stored one (upstream's pod status strategy backfills it).
    const cur = (await call('GET', '/api/v1/namespaces/default/pods/gated')).body;
    const put = await call('PUT', '/api/v1/namespaces/default/pods/gated/status', { ...cur, status: { phase: 'Pending' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
    const sel = await call('PATCH', '/api/v1/namespaces/default/pods/gated', { spec: { nodeSelector: { zone: 'a' } } }, smp);
    expect(sel.status, sel.text).toBe(200);
    const bind = await call('PATCH', '/api/v1/namespaces/default/pods/gated', { spec: { nodeName: 'n1' } }, merge);
    expect(bind.status).toBe(422);
    expect(bind.body.message).toBe('Pod "gated" is invalid: spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared');
    await call('DELETE', '/api/v1/namespaces/default/pods/gated');
  });
});

describe('finalizers and defaulting', () => {
  it('reports a finalizer added to an object being deleted once', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/a'] } };
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/held')).status).toBe(200);
    const add = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: ['example.com/a', 'example.com/b'] } }, merge);
    expect(add.status).toBe(422);
    expect(add.body.details.causes).toEqual([
      { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}' },
    ]);
    expect((await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: null } }, merge)).status).toBe(200);
  });

  it('defaults a Node /status write (allocatable from capacity)', async () => {
    expect((await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sem-n1' } })).status).toBe(201);
    const st = await call('PATCH', '/api/v1/nodes/sem-n1/status', { status: { capacity: { cpu: '4', pods: '110' } } }, merge);
    expect(st.status, st.text).toBe(200);
    expect(st.body.status.allocatable).toEqual({ cpu: '4', pods: '110' });
  });
});

describe('Namespace spec.finalizers', () => {
  it('are ["kubernetes"] from creation, survive updates, and deletion still completes', async () => {
    const c = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sem-ns' } });
    expect(c.status, c.text).toBe(201);
    expect(c.body.spec).toEqual({ finalizers: ['kubernetes'] });
    const u = await call('PATCH', '/api/v1/namespaces/sem-ns', { spec: { finalizers: [] }, metadata: { labels: { team: 'a' } } }, merge);
    expect(u.status, u.text).toBe(200);
    expect(u.body.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(u.body.metadata.labels.team).toBe('a');
    expect((await call('POST', '/api/v1/namespaces/sem-ns/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).status).toBe(201);
    const d = await call('DELETE', '/api/v1/namespaces/sem-ns');
    expect(d.status, d.text).toBe(200);
    expect(d.body.status.phase).toBe('Terminating');
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/sem-ns')).status === 404, { message: 'namespace sem-ns gone' });
  });

  it('a namespace held Terminating by another owner\'s spec finalizer is released through namespaces/finalize (PUT only)', async () => {
    const c = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sem-held' }, spec: { finalizers: ['example.com/cleanup'] } });
    expect(c.status, c.text).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/sem-held')).status).toBe(200);
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/sem-held')).body?.spec?.finalizers?.length === 1, { message: 'kubernetes finalizer dropped' });
    const held = await call('GET', '/api/v1/namespaces/sem-held');
    expect(held.body.spec.finalizers).toEqual(['example.com/cleanup']);
    expect(held.body.status.phase).toBe('Terminating');
    expect((await call('PATCH', '/api/v1/namespaces/sem-held/finalize', { spec: { finalizers: [] } }, merge)).status).toBe(405);
    // What the PUT body says besides spec.finalizers is not taken.
    const body = { ...held.body, metadata: { ...held.body.metadata, labels: { sneaky: 'yes' } }, spec: { finalizers: [] } };
    const f = await call('PUT', '/api/v1/namespaces/sem-held/finalize', body);
    expect(f.status, f.text).toBe(200);
    expect(f.body.metadata.labels?.sneaky).toBeUndefined();
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/sem-held')).status === 404, { message: 'namespace sem-held gone' });
  });
});

describe('resource quantities', () => {
  it('are stored in canonical form, so an equivalent rewrite of a DaemonSet changes nothing (no new generation, no rollout)', async () => {
    const ds = (cpu: unknown, memory: unknown) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'quantities' },
      spec: {
        selector: { matchLabels: { app: 'q' } },
        template: { metadata: { labels: { app: 'q' } }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory }, limits: { cpu: '1000m', memory } } }] } },
      },
    });
    const created = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', ds('0.5', '1024Mi'));
    expect(created.status, created.text).toBe(201);
    const res = created.body.spec.template.spec.containers[0].resources;
    expect(res).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
    for (const [cpu, memory] of [['500m', '1Gi'], [0.5, '1048576Ki'], ['0.5', '1024Mi']] as const) {
      const patched = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/quantities', ds(cpu, memory), merge);
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.metadata.generation, `${cpu} ${memory}`).toBe(1);
    }
    const changed = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/quantities', ds('0.6', '1024Mi'), merge);
    expect([changed.body.metadata.generation, changed.body.spec.template.spec.containers[0].resources.requests.cpu]).toEqual([2, '600m']);
  });

  it('stored as sent by an older build, they stay as stored when an unchanged manifest is applied again (no new generation, no rollout); a pod update is not refused', async () => {
    const store = server.ts.server.store;
    const template = (cpu: string) => ({ metadata: { labels: { app: 'old' } }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory: '1024Mi' } } }] } });
    const ds = (cpu: string) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'from-old-build' }, spec: { selector: { matchLabels: { app: 'old' } }, template: template(cpu) } });
    const created = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', ds('0.5'));
    expect(created.status, created.text).toBe(201);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'from-old-build' }, spec: { nodeName: 'nowhere', ...template('0.5').spec } };
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
    // What a build before canonical quantities stored: the values as sent.
    const asOldBuildStored = async (key: string, edit: (o: { spec: { containers?: { resources: { requests: Record<string, string> } }[]; template?: { spec: { containers: { resources: { requests: Record<string, string> } }[] } } } }) => void) => {
      const kv = (await store.get(key))!;
      const o = JSON.parse(kv.value) as Parameters<typeof edit>[0];
      edit(o);
      await store.update(key, JSON.stringify(o), kv.modRevision);
    };
    await asOldBuildStored('/registry/apps/daemonsets/default/from-old-build', (o) => (o.spec.template!.spec.containers[0]!.resources.requests = { cpu: '0.5', memory: '1024Mi' }));
    await asOldBuildStored('/registry/core/pods/default/from-old-build', (o) => (o.spec.containers![0]!.resources.requests = { cpu: '0.5', memory: '1024Mi' }));
    await waitFor(async () => (await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/from-old-build')).body.spec.template.spec.containers[0].resources.requests.cpu === '0.5', { message: 'the raw form served' });

    const before = await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/from-old-build');
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/daemonsets/from-old-build', { ...ds('0.5'), metadata: { name: 'from-old-build', resourceVersion: before.body.metadata.resourceVersion } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.metadata.generation).toBe(before.body.metadata.generation);
    expect(put.body.metadata.annotations['deprecated.daemonset.template.generation']).toBe(before.body.metadata.annotations['deprecated.daemonset.template.generation']);
    expect(put.body.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '0.5', memory: '1024Mi' });
    // A real change still counts, and is stored canonical.
    const changed = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/from-old-build', ds('0.6'), merge);
    expect([changed.body.metadata.generation, changed.body.spec.template.spec.containers[0].resources.requests.cpu]).toEqual([before.body.metadata.generation + 1, '600m']);

    // A pod's spec is immutable but for a few fields: the same spec sent back canonical is no change.
    const p = await call('GET', '/api/v1/namespaces/default/pods/from-old-build');
    expect(p.body.spec.containers[0].resources.requests.cpu).toBe('0.5');
    const relabel = await call('PUT', '/api/v1/namespaces/default/pods/from-old-build', { ...p.body, metadata: { ...p.body.metadata, labels: { extra: 'yes' } } });
    expect(relabel.status, relabel.text).toBe(200);
    expect(relabel.body.spec.containers[0].resources.requests.cpu).toBe('0.5');
    await call('DELETE', '/api/v1/namespaces/default/pods/from-old-build?gracePeriodSeconds=0');
  });
});

describe('update preconditions', () => {
  it('resourceVersion "0" is no precondition (upstream parses it as no version); a stale one is 409', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rv0' }, data: { a: '1' } };
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', cm);
    expect(created.status).toBe(201);
    const put = await call('PUT', '/api/v1/namespaces/default/configmaps/rv0', { ...cm, metadata: { name: 'rv0', resourceVersion: '0' }, data: { a: '2' } });
    expect(put.status, put.text).toBe(200);
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/rv0', { metadata: { resourceVersion: '0' }, data: { b: '3' } }, merge);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data).toEqual({ a: '2', b: '3' });
    const stale = await call('PATCH', '/api/v1/namespaces/default/configmaps/rv0', { metadata: { resourceVersion: created.body.metadata.resourceVersion }, data: { c: '4' } }, merge);
    expect(stale.status).toBe(409);
  });

  it('a uid that is not the object\'s: a PUT fails its precondition (409), a patch changes an immutable field (422), as upstream', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'uid-pre' } };
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    const other = '11111111-2222-3333-4444-555555555555';
    const put = await call('PUT', '/api/v1/namespaces/default/configmaps/uid-pre', { ...cm, metadata: { name: 'uid-pre', uid: other } });
    expect(put.status).toBe(409);
    expect(put.body.message).toContain(`Precondition failed: UID in precondition: ${other}`);
    const patch = await call('PATCH', '/api/v1/namespaces/default/configmaps/uid-pre', { metadata: { uid: other } }, smp);
    expect(patch.status, patch.text).toBe(422);
    expect(patch.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: "${other}": field is immutable` }]);
  });
});
