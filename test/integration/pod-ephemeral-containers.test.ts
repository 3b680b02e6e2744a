// pods/NAME/ephemeralcontainers against the real server (SQLite, HTTPS): what `kubectl debug POD`
// writes, as upstream's EphemeralContainersREST answers it. No node agent runs: the API side
// alone stores the debugging containers (running them is the agent's part).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeProtobufObject } from '../../src/apiserver/protobuf.js';
import { apiCaller, apiClients, Cleanup, createUserToken, httpRequest, kubectlAvailable, runKubectl, useTestServer } from '../helpers/index.js';

const server = useTestServer(new Cleanup());
const call = apiCaller(() => server.url);
const pods = '/api/v1/namespaces/default/pods';
const SMP = 'application/strategic-merge-patch+json';

const pod = (name: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' }, ...meta },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], initContainers: [{ name: 'setup', image: 'busybox:1.36' }], volumes: [{ name: 'data', emptyDir: {} }], ...extra },
});

async function createPod(name: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Promise<any> {
  const r = await call('POST', pods, pod(name, extra, meta));
  expect(r.status, r.text).toBe(201);
  return r.body;
}

/** The body `kubectl debug POD --image=busybox -it` sends (its strategic merge patch). */
const kubectlDebugPatch = { spec: { ephemeralContainers: [{ name: 'debugger-abc', image: 'busybox', resources: {}, terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', stdin: true, tty: true }] } };

const addEphemeral = (name: string, body: unknown, type = SMP) => call('PATCH', `${pods}/${name}/ephemeralcontainers`, body, type);
const causes = (r: { body: any }) => (r.body.details.causes as Array<{ reason: string; field: string; message: string }>).map((c) => [c.reason, c.field, c.message]);

describe('pods/ephemeralcontainers', () => {
  it('GET answers the pod', async () => {
    await createPod('reader');
    const sub = await call('GET', `${pods}/reader/ephemeralcontainers`);
    expect(sub.status, sub.text).toBe(200);
    expect(sub.body).toEqual((await call('GET', `${pods}/reader`)).body);
    // The typed clients generated from upstream's OpenAPI (@kubernetes/client-node) read and replace through it.
    const api = apiClients(server.ts.server.kubeconfigPath);
    const read = await api.core.readNamespacedPodEphemeralcontainers({ namespace: 'default', name: 'reader' });
    expect(read.metadata?.name).toBe('reader');
    read.spec!.ephemeralContainers = [{ name: 'typed', image: 'busybox' }];
    const replaced = await api.core.replaceNamespacedPodEphemeralcontainers({ namespace: 'default', name: 'reader', body: read });
    expect(replaced.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['typed']);
    // Our OpenAPI document describes the subresource with upstream's operation ids.
    const doc = (await call('GET', '/openapi/v3/api/v1')).body;
    const ops = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers'];
    expect([ops.get.operationId, ops.put.operationId, ops.patch.operationId]).toEqual(['readCoreV1NamespacedPodEphemeralcontainers', 'replaceCoreV1NamespacedPodEphemeralcontainers', 'patchCoreV1NamespacedPodEphemeralcontainers']);
  });

  it("stores kubectl debug's container with the container defaults, and nothing else of the body", async () => {
    const made = await createPod('target', { nodeName: 'n1' });
    // The status a node agent would have written.
    const st = await call('PATCH', `${pods}/target/status`, { status: { phase: 'Running', podIP: '10.0.0.5' } }, 'application/merge-patch+json');
    expect(st.status, st.text).toBe(200);
    const before = st.body;
    const r = await addEphemeral('target', { ...kubectlDebugPatch, metadata: { labels: { sneaky: 'yes' }, annotations: { a: 'b' } }, status: { phase: 'Failed' } });
    expect(r.status, r.text).toBe(200);
    const after = (await call('GET', `${pods}/target`)).body;
    expect(r.body).toEqual(after);
    expect(after.spec.ephemeralContainers).toEqual([
      { name: 'debugger-abc', image: 'busybox', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', stdin: true, tty: true },
    ]);
    // Everything else as it was: spec, status, labels, annotations.
    const { ephemeralContainers: _added, ...restSpec } = after.spec;
    expect(restSpec).toEqual(before.spec);
    expect(after.status).toEqual(before.status);
    expect(after.metadata.labels).toEqual(made.metadata.labels);
    expect(after.metadata.annotations).toBeUndefined();
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));

    // A second one merges by name (kubectl sends only the new container, and the order); the first stays as it was.
    const dbg2 = { name: 'dbg2', image: 'alpine', targetContainerName: 'app', command: ['sleep', '1000'] };
    const second = await addEphemeral('target', { spec: { '$setElementOrder/ephemeralContainers': [{ name: 'debugger-abc' }, { name: 'dbg2' }], ephemeralContainers: [dbg2] } });
    expect(second.status, second.text).toBe(200);
    expect(second.body.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['debugger-abc', 'dbg2']);
    expect(second.body.spec.ephemeralContainers[1]).toMatchObject({ targetContainerName: 'app', imagePullPolicy: 'Always' });
    // The same write again changes nothing.
    const again = await addEphemeral('target', { spec: { '$setElementOrder/ephemeralContainers': [{ name: 'debugger-abc' }, { name: 'dbg2' }], ephemeralContainers: [dbg2] } });
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(second.body.metadata.resourceVersion);
  });

  it('the field manager records the write on the subresource, as on /status', async () => {
    // Ownership is tracked from an object's first apply (managedfields/index.ts).
    const applied = await call('PATCH', `${pods}/owned?fieldManager=deployer`, pod('owned'), 'application/apply-patch+yaml');
    expect(applied.status, applied.text).toBe(201);
    const r = await call('PATCH', `${pods}/owned/ephemeralcontainers?fieldManager=debug-tool`, kubectlDebugPatch, SMP);
    expect(r.status, r.text).toBe(200);
    const entries = r.body.metadata.managedFields as Array<Record<string, any>>;
    expect(entries.map((m) => [m.manager, m.operation, m.subresource])).toEqual([
      ['deployer', 'Apply', undefined],
      ['debug-tool', 'Update', 'ephemeralcontainers'],
    ]);
    expect(entries[1]!.fieldsV1).toEqual({ 'f:spec': { 'f:ephemeralContainers': { 'k:{"name":"debugger-abc"}': expect.objectContaining({ '.': {}, 'f:image': {}, 'f:name': {} }) } } });
  });

  it('takes JSON merge patches, JSON patches and server-side apply', async () => {
    await createPod('patches');
    const merge = await addEphemeral('patches', { spec: { ephemeralContainers: [{ name: 'm', image: 'busybox' }] } }, 'application/merge-patch+json');
    expect(merge.status, merge.text).toBe(200);
    // A merge patch replaces the list: leaving the existing one out removes it, which is refused.
    const dropped = await addEphemeral('patches', { spec: { ephemeralContainers: [{ name: 'm2', image: 'busybox' }] } }, 'application/merge-patch+json');
    expect(dropped.status).toBe(422);
    const json = await addEphemeral('patches', [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'j', image: 'busybox' } }], 'application/json-patch+json');
    expect(json.status, json.text).toBe(200);
    expect(json.body.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['m', 'j']);
    const apply = await call(
      'PATCH',
      `${pods}/patches/ephemeralcontainers?fieldManager=debugger`,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'patches' }, spec: { ephemeralContainers: [{ name: 'a', image: 'busybox' }] } },
      'application/apply-patch+yaml',
    );
    expect(apply.status, apply.text).toBe(200);
    expect(apply.body.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['m', 'j', 'a']);
    expect(apply.body.metadata.managedFields.find((m: any) => m.manager === 'debugger')).toMatchObject({ operation: 'Apply', subresource: 'ephemeralcontainers' });
  });

  it('refuses what upstream refuses, as a 422 on kind Pod with field causes', async () => {
    await createPod('strict');
    const e0 = 'spec.ephemeralContainers[0]';
    const dup = await addEphemeral('strict', { spec: { ephemeralContainers: [{ name: 'app', image: 'busybox' }] } });
    expect(dup.status).toBe(422);
    expect(dup.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'strict', kind: 'Pod' } });
    expect(dup.body.message).toBe(`Pod "strict" is invalid: ${e0}.name: Duplicate value: "app"`);
    expect(causes(dup)).toEqual([['FieldValueDuplicate', `${e0}.name`, 'Duplicate value: "app"']]);

    const target = await addEphemeral('strict', { spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'nope' }] } });
    expect(causes(target)).toEqual([['FieldValueNotFound', `${e0}.targetContainerName`, 'Not found: "nope"']]);

    const fields = await addEphemeral('strict', {
      spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, readinessProbe: { exec: { command: ['true'] } }, volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] }] },
    });
    expect(fields.status).toBe(422);
    expect(causes(fields)).toEqual([
      ['FieldValueForbidden', `${e0}.ports`, 'Forbidden: cannot be set for an Ephemeral Container'],
      ['FieldValueForbidden', `${e0}.resources`, 'Forbidden: cannot be set for an Ephemeral Container'],
      ['FieldValueForbidden', `${e0}.readinessProbe`, 'Forbidden: cannot be set for an Ephemeral Container'],
      ['FieldValueForbidden', `${e0}.volumeMounts[0].subPath`, 'Forbidden: cannot be set for an Ephemeral Container'],
    ]);

    const common = await addEphemeral('strict', { spec: { ephemeralContainers: [{ name: 'dbg', image: '', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] } });
    expect(causes(common)).toEqual([
      ['FieldValueRequired', `${e0}.image`, 'Required value'],
      ['FieldValueNotFound', `${e0}.volumeMounts[0].name`, 'Not found: "nope"'],
    ]);
    // Nothing was stored by any of them.
    expect((await call('GET', `${pods}/strict`)).body.spec.ephemeralContainers).toBeUndefined();
  });

  it('existing ephemeral containers may be neither removed nor changed', async () => {
    await createPod('fixed');
    expect((await addEphemeral('fixed', { spec: { ephemeralContainers: [{ name: 'one', image: 'busybox' }] } })).status).toBe(200);
    const cur = (await call('GET', `${pods}/fixed/ephemeralcontainers`)).body;

    const removed = await call('PUT', `${pods}/fixed/ephemeralcontainers`, { ...cur, spec: { ...cur.spec, ephemeralContainers: [] } });
    expect(removed.status).toBe(422);
    expect(causes(removed)).toEqual([['FieldValueForbidden', 'spec.ephemeralContainers', 'Forbidden: existing ephemeral containers "one" may not be removed\n']]);

    const changed = await addEphemeral('fixed', [{ op: 'replace', path: '/spec/ephemeralContainers/0/image', value: 'alpine' }], 'application/json-patch+json');
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe('Pod "fixed" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "one" may not be changed\n- image: "busybox"\n+ image: "alpine"');
  });

  it('PUT: the body\'s ephemeral containers only; a stale resourceVersion is a 409', async () => {
    const made = await createPod('put');
    const body = { ...made, metadata: { ...made.metadata, labels: { changed: 'yes' } }, spec: { ...made.spec, activeDeadlineSeconds: 5, ephemeralContainers: [{ name: 'p', image: 'busybox' }] } };
    const ok = await call('PUT', `${pods}/put/ephemeralcontainers`, body);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['p']);
    expect(ok.body.spec.activeDeadlineSeconds).toBeUndefined();
    expect(ok.body.metadata.labels).toEqual({ app: 'web' });

    // `made` carries the resourceVersion from before that write.
    const stale = await call('PUT', `${pods}/put/ephemeralcontainers`, { ...made, spec: { ...made.spec, ephemeralContainers: [{ name: 'p', image: 'busybox' }, { name: 'q', image: 'busybox' }] } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', details: { name: 'put', kind: 'pods' } });
    expect(stale.body.message).toBe('Operation cannot be fulfilled on pods "put": the object has been modified; please apply your changes to the latest version and try again');

    // The protobuf body a client-go UpdateEphemeralContainers sends.
    const cur = (await call('GET', `${pods}/put`)).body;
    const pb = encodeProtobufObject({ ...cur, spec: { ...cur.spec, ephemeralContainers: [...cur.spec.ephemeralContainers, { name: 'pb', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }] } }, '/Pod');
    const r = await httpRequest(`${server.url}${pods}/put/ephemeralcontainers`, { method: 'PUT', body: pb, contentType: 'application/vnd.kubernetes.protobuf' });
    expect(r.status, r.text).toBe(200);
    expect((r.json as any).spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['p', 'pb']);

    // A body of an earlier pod of the same name (another uid) is refused, as upstream: the uid is immutable.
    const now = (await call('GET', `${pods}/put`)).body;
    const foreign = await call('PUT', `${pods}/put/ephemeralcontainers`, { ...now, metadata: { ...now.metadata, uid: '6f0b3b9e-0000-4000-8000-000000000000' }, spec: { ...now.spec, ephemeralContainers: [...now.spec.ephemeralContainers, { name: 'x', image: 'busybox' }] } });
    expect(foreign.status, foreign.text).toBe(422);
    expect(causes(foreign)).toEqual([['FieldValueInvalid', 'metadata.uid', 'Invalid value: "6f0b3b9e-0000-4000-8000-000000000000": field is immutable']]);
  });

  it('a plain pod update may not change ephemeral containers; one that leaves them as stored passes', async () => {
    await createPod('plain');
    const add = await call('PATCH', `${pods}/plain`, kubectlDebugPatch, SMP);
    expect(add.status).toBe(422);
    expect(add.body.message).toMatch(/^Pod "plain" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,/);
    expect((await addEphemeral('plain', kubectlDebugPatch)).status).toBe(200);
    const relabel = await call('PATCH', `${pods}/plain`, { metadata: { labels: { tier: 'x' } } }, SMP);
    expect(relabel.status, relabel.text).toBe(200);
    expect(relabel.body.spec.ephemeralContainers).toHaveLength(1);
    const put = await call('PUT', `${pods}/plain`, relabel.body);
    expect(put.status, put.text).toBe(200);
    const change = await call('PATCH', `${pods}/plain`, [{ op: 'replace', path: '/spec/ephemeralContainers/0/image', value: 'alpine' }], 'application/json-patch+json');
    expect(change.status).toBe(422);
  });

  it('a static (mirror) pod does not support ephemeral containers', async () => {
    await createPod('static', { nodeName: 'n1' }, { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    const r = await addEphemeral('static', kubectlDebugPatch);
    expect(r.status).toBe(422);
    expect(r.body.message).toBe('Pod "static" is invalid: : Forbidden: static pods do not support ephemeral containers');
  });

  it('a missing pod is a 404 naming it (kubectl tells it from a missing subresource by the name)', async () => {
    const r = await addEphemeral('no-such-pod', kubectlDebugPatch);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ reason: 'NotFound', details: { name: 'no-such-pod', kind: 'pods' } });
    expect((await call('GET', `${pods}/no-such-pod/ephemeralcontainers`)).status).toBe(404);
    // Only get, update and patch.
    await createPod('verbs');
    expect((await call('DELETE', `${pods}/verbs/ephemeralcontainers`)).status).toBe(405);
    expect((await call('POST', `${pods}/verbs/ephemeralcontainers`, pod('verbs'))).status).toBe(405);
  });

  it('is authorized as patch/update on pods/ephemeralcontainers: edit does not grant it, nodes never get it', async () => {
    const target = await createPod('guarded', { nodeName: 'n1' });
    const as = (token: string, body: unknown = kubectlDebugPatch) =>
      httpRequest(`${server.url}${pods}/guarded/ephemeralcontainers`, { method: 'PATCH', body: JSON.stringify(body), contentType: SMP, token });
    const admin = (path: string, body: unknown) => call('POST', path, body);

    // As upstream's bootstrap policy: the aggregated edit (and admin) roles leave it out.
    const erin = createUserToken(server.ts.dataDir, 'erin');
    const rb = (name: string, kind: string, role: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'erin' }],
    });
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb('erin-edit', 'ClusterRole', 'edit'))).status).toBe(201);
    const denied = await as(erin);
    expect(denied.status).toBe(403);
    expect((denied.json as any).message).toBe('pods "guarded" is forbidden: User "erin" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"');
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'debugger', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] }] };
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', role)).status).toBe(201);
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb('erin-debug', 'Role', 'debugger'))).status).toBe(201);
    const allowed = await as(erin);
    expect(allowed.status, allowed.text).toBe(200);

    // A node, even for a pod bound to it.
    const node = createUserToken(server.ts.dataDir, 'system:node:n1', ['system:nodes']);
    const refused = await as(node, { spec: { ephemeralContainers: [...(allowed.json as any).spec.ephemeralContainers, { name: 'from-node', image: 'busybox' }] } });
    expect(refused.status).toBe(403);
    expect((await call('GET', `${pods}/guarded`)).body.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['debugger-abc']);
    expect(target.spec.nodeName).toBe('n1');
  });

  it('discovery lists pods/ephemeralcontainers as upstream', async () => {
    const core = (await call('GET', '/api/v1')).body as { resources: Array<Record<string, unknown>> };
    expect(core.resources.find((r) => r.name === 'pods/ephemeralcontainers')).toEqual({ name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    const aggregated = await httpRequest(`${server.url}/api`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const v1 = (aggregated.json as any).items[0].versions.find((v: any) => v.version === 'v1');
    const podsEntry = v1.resources.find((r: any) => r.resource === 'pods');
    expect(podsEntry.subresources).toContainEqual({ subresource: 'ephemeralcontainers', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] });
  });

  it.skipIf(!kubectlAvailable())('kubectl debug POD adds its ephemeral container (no node agent needed to store it)', async () => {
    await createPod('debug-me', { nodeName: 'n1' });
    const target = { kubeconfig: server.ts.server.kubeconfigPath, cacheDir: join(server.ts.dataDir, 'kube-cache-debug') };
    const r = await runKubectl(target, ['debug', 'debug-me', '--image=busybox', '-c', 'dbg', '--', 'sleep', '1000']);
    expect(r.code, r.stderr).toBe(0);
    const got = (await call('GET', `${pods}/debug-me`)).body;
    expect(got.spec.ephemeralContainers).toHaveLength(1);
    expect(got.spec.ephemeralContainers[0]).toMatchObject({ name: 'dbg', image: 'busybox', command: ['sleep', '1000'], terminationMessagePolicy: 'File', terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'Always' });
    // An unbound pod takes one too, and a second debug container merges in beside the first.
    await createPod('unbound');
    const second = await runKubectl(target, ['debug', 'debug-me', '--image=alpine', '-c', 'dbg2', '--target=app', '--', 'sleep', '1000']);
    expect(second.code, second.stderr).toBe(0);
    expect((await call('GET', `${pods}/debug-me`)).body.spec.ephemeralContainers.map((c: any) => [c.name, c.targetContainerName])).toEqual([['dbg', undefined], ['dbg2', 'app']]);
    const unbound = await runKubectl(target, ['debug', 'unbound', '--image=busybox', '-c', 'dbg', '--', 'true']);
    expect(unbound.code, unbound.stderr).toBe(0);
    expect((await call('GET', `${pods}/unbound`)).body.spec.ephemeralContainers[0].name).toBe('dbg');
  });
});
