// Field ownership through the real server: @kubernetes/client-node applies (server-side apply)
// over HTTPS, the in-process controller manager writes status and creates daemon pods, and a
// node agent's status writes go through /status. What is checked: managedFields as clients see
// them, pruning of fields a manager stopped applying, conflicts (409 with FieldManagerConflict
// causes) and force, the first apply to an object nobody applied, clearing with [{}], bad
// fieldManager values, and that controller-made pods carry no managedFields (ownership costs
// nothing on the fan-out path).

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients, apiFailure, Cleanup, waitFor, type ApiClients } from '../helpers/index.js';
import { startCluster, type Cluster } from './daemonset-harness.js';

const ns = 'default';
const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const smp = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

function dsConfig(name: string, opts: { image?: string; env?: boolean; tolerate?: boolean; nodeSelector?: Record<string, string> } = {}): k8s.V1DaemonSet {
  const container: k8s.V1Container = { name: 'agent', image: opts.image ?? 'busybox:1', command: ['sleep', '3600'] };
  if (opts.env) container.env = [{ name: 'MODE', value: 'fast' }];
  const spec: k8s.V1PodSpec = { containers: [container] };
  if (opts.tolerate) spec.tolerations = [{ operator: 'Exists' }];
  if (opts.nodeSelector) spec.nodeSelector = opts.nodeSelector;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
  };
}

describe('server-side apply field ownership', () => {
  const cleanup = new Cleanup();
  let cluster: Cluster;
  let api: ApiClients;

  beforeAll(async () => {
    cluster = await startCluster(cleanup);
    api = apiClients(cluster.server.kubeconfigPath);
    await api.core.createNode({ body: { metadata: { name: 'n1', labels: { disk: 'ssd' } } } });
  });
  afterAll(() => cleanup.run());

  const applyDs = (body: k8s.V1DaemonSet, fieldManager: string, force?: boolean) =>
    api.apps.patchNamespacedDaemonSet({ name: body.metadata!.name!, namespace: ns, body, fieldManager, ...(force !== undefined ? { force } : {}) }, apply);

  it('records the applier, prunes what it stops applying, and leaves controller-made pods without managedFields', async () => {
    const created = await applyDs(dsConfig('own', { env: true, tolerate: true, nodeSelector: { disk: 'ssd' } }), 'ci');
    expect(created.metadata?.managedFields?.map((e) => [e.manager, e.operation])).toEqual([['ci', 'Apply']]);
    const f = created.metadata!.managedFields![0]!.fieldsV1 as Record<string, any>;
    expect(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"agent"}']['f:env']['k:{"name":"MODE"}']).toBeDefined();

    const pod = await waitFor(async () => (await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=own' })).items[0], { message: 'the daemon pod' });
    expect(pod.metadata?.managedFields).toBeUndefined();

    // The controller's status writes are its own, through /status.
    const withStatus = await waitFor(async () => {
      const ds = await api.apps.readNamespacedDaemonSet({ name: 'own', namespace: ns });
      return ds.metadata?.managedFields?.some((e) => e.subresource === 'status') ? ds : undefined;
    }, { message: 'the controller\'s status entry' });
    const statusEntry = withStatus.metadata!.managedFields!.find((e) => e.subresource === 'status')!;
    expect(statusEntry).toMatchObject({ manager: 'everynode-controller-manager', operation: 'Update', apiVersion: 'apps/v1' });
    expect(Object.keys(statusEntry.fieldsV1 as object)).toEqual(['f:status']);

    const pruned = await applyDs(dsConfig('own'), 'ci');
    const podSpec = pruned.spec!.template.spec!;
    expect(podSpec.containers[0]!.env).toBeUndefined();
    expect(podSpec.tolerations).toBeUndefined();
    expect(podSpec.nodeSelector).toBeUndefined();
    expect(podSpec.containers[0]!.command).toEqual(['sleep', '3600']);
  });

  it('a probe or securityContext dropped from the configuration goes whole, with what the server defaulted in it', async () => {
    const withProbe = dsConfig('probed');
    const c = withProbe.spec!.template.spec!.containers[0]!;
    c.readinessProbe = { httpGet: { port: 8080 } };
    c.livenessProbe = { exec: { command: ['true'] } };
    c.securityContext = { capabilities: { add: ['NET_ADMIN'] } };
    withProbe.spec!.template.spec!.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    const first = await applyDs(withProbe, 'ci');
    expect(first.spec?.template.spec?.containers[0]?.readinessProbe).toMatchObject({ httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1 });
    const second = await applyDs(dsConfig('probed'), 'ci');
    const container = second.spec?.template.spec?.containers[0];
    expect([container?.readinessProbe, container?.livenessProbe, container?.securityContext]).toEqual([undefined, undefined, undefined]);
    expect(second.spec?.template.spec?.securityContext).toEqual({});
    expect(second.metadata?.generation).toBe(2);
  });

  it('a change to a field another manager set is a 409 conflict until forced', async () => {
    await applyDs(dsConfig('race', { image: 'busybox:1' }), 'ci');
    await api.apps.patchNamespacedDaemonSet(
      { name: 'race', namespace: ns, fieldManager: 'operator', body: { spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:2' }] } } } } },
      smp,
    );
    const failure = await apiFailure(applyDs(dsConfig('race', { image: 'busybox:3' }), 'ci'));
    expect(failure.code).toBe(409);
    expect(failure.status?.reason).toBe('Conflict');
    expect(failure.status?.message).toMatch(/^Apply failed with 1 conflict: conflict with "operator" using apps\/v1: \.spec\.template\.spec\.containers\[name="agent"\]\.image$/);
    expect(failure.status?.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: expect.stringMatching(/^conflict with "operator" using apps\/v1/), field: '.spec.template.spec.containers[name="agent"].image' },
    ]);
    // Nothing was written.
    expect((await api.apps.readNamespacedDaemonSet({ name: 'race', namespace: ns })).spec!.template.spec!.containers[0]!.image).toBe('busybox:2');

    const forced = await applyDs(dsConfig('race', { image: 'busybox:3' }), 'ci', true);
    expect(forced.spec!.template.spec!.containers[0]!.image).toBe('busybox:3');
    const operator = forced.metadata!.managedFields!.find((e) => e.manager === 'operator');
    expect(JSON.stringify(operator?.fieldsV1 ?? {})).not.toContain('f:image');
  });

  it('an apply naming a uid never creates: 409 uid mismatch when no object exists (a controller does not revive what was deleted)', async () => {
    const body = dsConfig('ghost');
    body.metadata!.uid = 'cb9fe579-0000-4000-8000-000000000001';
    const failure = await apiFailure(applyDs(body, 'ci'));
    expect(failure.code).toBe(409);
    expect(failure.status?.message).toBe('Operation cannot be fulfilled on daemonsets.apps "ghost": uid mismatch: the provided object specified uid cb9fe579-0000-4000-8000-000000000001, and no existing object was found');
    expect((await apiFailure(api.apps.readNamespacedDaemonSet({ name: 'ghost', namespace: ns }))).code).toBe(404);
    // Without the uid it creates; with the object's own uid it applies.
    const made = await applyDs(dsConfig('ghost'), 'ci');
    const again = dsConfig('ghost', { image: 'busybox:2' });
    again.metadata!.uid = made.metadata!.uid!;
    expect((await applyDs(again, 'ci')).spec!.template.spec!.containers[0]!.image).toBe('busybox:2');
  });

  it('the first apply to an object created without apply conflicts only on changed fields', async () => {
    await api.apps.createNamespacedDaemonSet({ namespace: ns, body: dsConfig('legacy', { image: 'busybox:1' }), fieldManager: 'creator' });
    const plain = await api.apps.readNamespacedDaemonSet({ name: 'legacy', namespace: ns });
    expect(plain.metadata?.managedFields).toBeUndefined();
    const same = await applyDs(dsConfig('legacy', { image: 'busybox:1' }), 'ci');
    expect(same.metadata!.managedFields!.map((e) => e.manager).sort()).toEqual(['before-first-apply', 'ci']);
    const failure = await apiFailure(applyDs(dsConfig('legacy', { image: 'busybox:2' }), 'other'));
    expect(failure.code).toBe(409);
    expect(failure.status?.message).toMatch(/^Apply failed with 2 conflicts: conflicts with "before-first-apply" using apps\/v1:\n- \.spec\.template\.spec\.containers\[name="agent"\]\.image\nconflicts with "ci":\n- /);
  });

  it('re-applying a configuration with empty metadata maps (labels: {}) changes nothing, even a second later', async () => {
    const cfg = dsConfig('empties');
    cfg.metadata = { ...cfg.metadata, labels: {}, annotations: {} };
    const first = await applyDs(cfg, 'ci');
    expect(first.metadata!.labels).toBeUndefined(); // stored omitempty, as upstream
    await new Promise((r) => setTimeout(r, 1100)); // a managedFields time would differ now
    const second = await applyDs(cfg, 'ci');
    // The applier's entry keeps its time (it moved on every apply: each was a write).
    const time = (o: k8s.V1DaemonSet) => o.metadata!.managedFields!.find((e) => e.manager === 'ci')!.time;
    expect(time(second)).toEqual(time(first));
    expect(second.metadata!.generation).toBe(first.metadata!.generation);
  });

  it('an item added in front of a list stays in front (env, init containers, finalizers), as upstream orders a merge', async () => {
    const withLists = (env: string[], inits: string[], finalizers: string[]): k8s.V1DaemonSet => {
      const body = dsConfig('order');
      body.metadata!.finalizers = finalizers;
      const podSpec = body.spec!.template.spec!;
      podSpec.containers[0]!.env = env.map((name) => ({ name, value: name === 'B' ? '$(A)-x' : '1' }));
      podSpec.initContainers = inits.map((name) => ({ name, image: 'busybox:1', command: ['true'] }));
      return body;
    };
    await applyDs(withLists(['B'], ['migrate'], ['example.com/b']), 'ci');
    const ds = await applyDs(withLists(['A', 'B'], ['wait-db', 'migrate'], ['example.com/a', 'example.com/b']), 'ci');
    expect(ds.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual(['A', 'B']);
    expect(ds.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual(['wait-db', 'migrate']);
    expect(ds.metadata?.finalizers).toEqual(['example.com/a', 'example.com/b']);
    await api.apps.patchNamespacedDaemonSet({ name: 'order', namespace: ns, body: { metadata: { finalizers: null } } }, merge);
  });

  it('an apply through /status records its own entry', async () => {
    await applyDs(dsConfig('stat'), 'ci');
    const body = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'stat', namespace: ns }, status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 7 } };
    const out = await api.apps.patchNamespacedDaemonSetStatus({ name: 'stat', namespace: ns, body, fieldManager: 'status-writer', force: true }, apply);
    const entry = out.metadata!.managedFields!.find((e) => e.manager === 'status-writer');
    expect(entry).toMatchObject({ operation: 'Apply', subresource: 'status' });
    expect(Object.keys(entry!.fieldsV1 as object)).toEqual(['f:status']);
    expect(out.metadata!.managedFields!.some((e) => e.manager === 'ci' && e.operation === 'Apply')).toBe(true);
  });

  it('[{}] clears managedFields; a bad fieldManager is 422 and changes nothing', async () => {
    await applyDs(dsConfig('clear'), 'ci');
    const cleared = await api.apps.patchNamespacedDaemonSet({ name: 'clear', namespace: ns, body: { metadata: { managedFields: [{}] } } }, merge);
    expect(cleared.metadata?.managedFields).toBeUndefined();

    const before = await api.apps.readNamespacedDaemonSet({ name: 'clear', namespace: ns });
    const tooLong = await apiFailure(applyDs(dsConfig('clear', { image: 'busybox:9' }), 'm'.repeat(129)));
    expect(tooLong.code).toBe(422);
    expect(tooLong.status?.message).toContain('fieldManager: Too long: may not be more than 128 bytes');
    const withFields = dsConfig('clear');
    withFields.metadata!.managedFields = [{ manager: 'x', operation: 'Apply' }];
    expect((await apiFailure(applyDs(withFields, 'ci'))).code).toBe(400);
    const after = await api.apps.readNamespacedDaemonSet({ name: 'clear', namespace: ns });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });
});
