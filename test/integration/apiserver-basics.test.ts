// The real API server (startServer on a temp dir with a real SQLite file) over real HTTPS with
// testFetch (the server's CA and admin token): CRUD, error Status bodies, watch semantics and
// restart durability.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:https';
import { credentialsFromKubeconfig, registerServer, serverCredentials, testFetch } from '../helpers/auth.js';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { apiCaller, type ApiAnswer } from '../helpers/http.js';

const cleanup = new Cleanup();
let dataDir = '';
let server: RunningServer;

const call = apiCaller(() => server.url);

function expectStatus(r: ApiAnswer, code: number, reason: string): void {
  expect(r.status, r.text).toBe(code);
  expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
}

interface WatchEvent {
  type: string;
  object: any;
}

/** Opens a watch; events accumulate in `events` until `stop()`. */
async function openWatch(path: string, headers: Record<string, string> = {}): Promise<{ events: WatchEvent[]; ended: () => boolean; stop: () => void }> {
  const ac = new AbortController();
  const r = await testFetch(server.url + path, { signal: ac.signal, headers });
  expect(r.status).toBe(200);
  const events: WatchEvent[] = [];
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
      }
    } catch {
      /* aborted */
    }
    ended = true;
  })();
  const stop = () => ac.abort();
  cleanup.defer(stop, `watch ${path}`);
  return { events, ended: () => ended, stop };
}

const dsBody = (name: string, image = 'busybox:1.36') => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, labels: { app: name } },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image, command: ['sleep', '3600'] }] } },
  },
});

const podBody = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '1'] }] },
});

beforeAll(async () => {
  dataDir = makeTempDir(cleanup, 'apiserver-basics');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
});

afterAll(async () => {
  await server?.close();
  await cleanup.run();
});

describe('discovery and metadata endpoints', () => {
  it('serves version, health, discovery and OpenAPI', async () => {
    const v = await call('GET', '/version');
    expect(v.body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    const core = await call('GET', '/api/v1');
    const pods = core.body.resources.find((r: any) => r.name === 'pods');
    expect(pods).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
    expect(core.body.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['pods/status', 'pods/log', 'nodes', 'namespaces']));
    const groups = await call('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['apps', 'coordination.k8s.io', 'rbac.authorization.k8s.io', 'scheduling.k8s.io']));
    const apps = await call('GET', '/apis/apps/v1');
    expect(apps.body.resources.find((r: any) => r.name === 'daemonsets')).toMatchObject({ shortNames: ['ds'], verbs: expect.arrayContaining(['watch', 'patch']) });
    // upstream's api-extensions category (`kubectl get api-extensions`)
    const ext = await call('GET', '/apis/apiextensions.k8s.io/v1');
    expect(ext.body.resources.find((r: any) => r.name === 'customresourcedefinitions')).toMatchObject({ categories: ['api-extensions'] });
    const hooks = await call('GET', '/apis/admissionregistration.k8s.io/v1');
    for (const name of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) expect(hooks.body.resources.find((r: any) => r.name === name)).toMatchObject({ categories: ['api-extensions'] });
    const index = await call('GET', '/openapi/v3');
    const url: string = index.body.paths['apis/apps/v1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = await call('GET', url);
    expect(doc.status).toBe(200);
    expect(doc.body.paths).toBeTruthy();
    // OpenAPI v2 (kubectl 1.27/1.28): JSON by default, gnostic protobuf when asked for.
    const v2 = await call('GET', '/openapi/v2', undefined, 'application/json', { accept: 'application/json' });
    expect(v2.body).toMatchObject({ swagger: '2.0', info: { title: 'Kubernetes' } });
    const dsDef = v2.body.definitions['io.k8s.api.apps.v1.DaemonSet'];
    expect(dsDef['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'DaemonSet', version: 'v1' }]);
    expect(dsDef.properties.spec.$ref).toBe('#/definitions/io.k8s.api.apps.v1.DaemonSetSpec');
    expect(v2.body.definitions['io.k8s.api.apps.v1.ControllerRevision'].required).toEqual(['revision']); // as upstream (data is omitempty)
    // IntOrString and Quantity: strings in v2 (a oneOf of their forms in v3), as upstream's.
    expect(v2.body.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ type: 'string', format: 'int-or-string' });
    expect(v2.body.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ type: 'string' });
    expect(v2.body.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    expect(JSON.stringify(v2.body)).not.toContain('#/components/');
    const patch = v2.body.paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}'].patch;
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    const pb = await testFetch(server.url + '/openapi/v2', { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(pb.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await pb.arrayBuffer());
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 0x03, ...Buffer.from('2.0')]); // Document.swagger = "2.0"
    expect(bytes.includes(Buffer.from('io.k8s.api.apps.v1.DaemonSetSpec'))).toBe(true);
    const crds = await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(crds.body).toMatchObject({ kind: 'CustomResourceDefinitionList', items: [] });
  });

  it('created the bootstrap namespaces', async () => {
    const r = await call('GET', '/api/v1/namespaces');
    expect(r.body.items.map((n: any) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-node-lease', 'kube-public']));
  });
});

describe('listening', () => {
  it('refuses an address in use in one line that says what to do', async () => {
    const taken = new URL(server.url).host;
    await expect(startServer({ dataDir: makeTempDir(cleanup, 'apiserver-second'), listen: taken, compaction: false })).rejects.toThrow(
      `${taken} is already in use (another everynode or Kubernetes API server?): stop it, or choose another address with --listen HOST:PORT`,
    );
  });
});

describe('DaemonSet CRUD', () => {
  it('creates, reads, updates (spec, metadata, status), no-ops and deletes', async () => {
    const created = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', dsBody('ds1'));
    expect(created.status, created.text).toBe(201);
    const m = created.body.metadata;
    expect(m).toMatchObject({ name: 'ds1', namespace: 'default', generation: 1 });
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.annotations['deprecated.daemonset.template.generation']).toBe('1');
    expect(Number(m.resourceVersion)).toBeGreaterThan(0);

    const got = await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/ds1');
    expect(got.body).toEqual(created.body);

    // PUT with a stale resourceVersion: 409 with upstream wording.
    const stale = structuredClone(got.body);
    stale.metadata.resourceVersion = '1';
    const c = await call('PUT', '/apis/apps/v1/namespaces/default/daemonsets/ds1', stale);
    expectStatus(c, 409, 'Conflict');
    expect(c.body.message).toBe('Operation cannot be fulfilled on daemonsets.apps "ds1": the object has been modified; please apply your changes to the latest version and try again');

    // Spec change: generation and template generation bump; status in the body is ignored.
    const next = structuredClone(got.body);
    next.spec.template.spec.containers[0].image = 'busybox:1.37';
    next.status = { numberReady: 5 };
    const upd = await call('PUT', '/apis/apps/v1/namespaces/default/daemonsets/ds1', next);
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body.metadata.generation).toBe(2);
    expect(upd.body.metadata.annotations['deprecated.daemonset.template.generation']).toBe('2');
    expect(upd.body.status?.numberReady).toBe(0);
    expect(Number(upd.body.metadata.resourceVersion)).toBeGreaterThan(Number(m.resourceVersion));

    // Metadata-only change: no generation bump.
    const lab = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/ds1', { metadata: { labels: { tier: 'x' } } }, 'application/merge-patch+json');
    expect(lab.status, lab.text).toBe(200);
    expect(lab.body.metadata.generation).toBe(2);
    expect(lab.body.metadata.labels).toEqual({ app: 'ds1', tier: 'x' });

    // /status writes only status.
    const st = structuredClone(lab.body);
    st.status = { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1, observedGeneration: 2 };
    st.spec.template.spec.containers[0].image = 'ignored:1';
    const stR = await call('PUT', '/apis/apps/v1/namespaces/default/daemonsets/ds1/status', st);
    expect(stR.status, stR.text).toBe(200);
    expect(stR.body.status.numberReady).toBe(1);
    expect(stR.body.spec.template.spec.containers[0].image).toBe('busybox:1.37');
    expect(stR.body.metadata.generation).toBe(2);

    // A no-op write keeps the resourceVersion.
    const noop = await call('PUT', '/apis/apps/v1/namespaces/default/daemonsets/ds1', stR.body);
    expect(noop.status).toBe(200);
    expect(noop.body.metadata.resourceVersion).toBe(stR.body.metadata.resourceVersion);

    // Strategic merge patch merges containers by name.
    const smp = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/ds1', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:1.38' }] } } } }, 'application/strategic-merge-patch+json');
    expect(smp.status, smp.text).toBe(200);
    expect(smp.body.spec.template.spec.containers).toHaveLength(1);
    expect(smp.body.spec.template.spec.containers[0]).toMatchObject({ image: 'busybox:1.38', command: ['sleep', '3600'] });
    expect(smp.body.metadata.generation).toBe(3);

    // resourceVersion in a patch body is a precondition.
    const pre = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/ds1', { metadata: { labels: { a: 'b' }, resourceVersion: '1' } }, 'application/merge-patch+json');
    expectStatus(pre, 409, 'Conflict');

    const del = await call('DELETE', '/apis/apps/v1/namespaces/default/daemonsets/ds1', { propagationPolicy: 'Background' });
    expect(del.status, del.text).toBe(200);
    const gone = await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/ds1');
    expectStatus(gone, 404, 'NotFound');
    expect(gone.body.message).toBe('daemonsets.apps "ds1" not found');
    expect(gone.body.details).toEqual({ name: 'ds1', group: 'apps', kind: 'daemonsets' });
  });

  it('server-side apply creates then updates; fieldManager is required', async () => {
    const path = '/apis/apps/v1/namespaces/default/daemonsets/ssa1?fieldManager=test';
    const a1 = await call('PATCH', path, dsBody('ssa1'), 'application/apply-patch+yaml');
    expect(a1.status, a1.text).toBe(201);
    const a2 = await call('PATCH', path, dsBody('ssa1', 'busybox:2'), 'application/apply-patch+yaml');
    expect(a2.status, a2.text).toBe(200);
    expect(a2.body.spec.template.spec.containers[0].image).toBe('busybox:2');
    expect(a2.body.metadata.uid).toBe(a1.body.metadata.uid);
    const noManager = await call('PATCH', '/apis/apps/v1/namespaces/default/daemonsets/ssa1', dsBody('ssa1'), 'application/apply-patch+yaml');
    expect(noManager.status).toBe(422);
  });

  it('dryRun=All validates without persisting', async () => {
    const r = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets?dryRun=All', dsBody('dry'));
    expect(r.status, r.text).toBe(201);
    expect(r.body.metadata.name).toBe('dry');
    expectStatus(await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/dry'), 404, 'NotFound');
    // A name in use is refused as the real create would be, not reported created.
    expect((await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', dsBody('dry'))).status).toBe(201);
    const taken = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets?dryRun=All', dsBody('dry'));
    expectStatus(taken, 409, 'AlreadyExists');
    expect(taken.body.message).toBe('daemonsets.apps "dry" already exists');
  });

  it('fieldValidation: Strict rejects and Warn warns about unknown fields', async () => {
    const body: any = dsBody('fv');
    body.spec.foo = 1;
    const strict = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets?fieldValidation=Strict', body);
    expectStatus(strict, 400, 'BadRequest');
    expect(strict.body.message).toContain('unknown field "spec.foo"');
    const warn = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets?fieldValidation=Warn', body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"spec.foo\\""');
    expect(warn.body.spec.foo).toBeUndefined();
  });

  it('serves Tables for list and get when asked', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const list = await call('GET', '/apis/apps/v1/namespaces/default/daemonsets?limit=500', undefined, 'application/json', { accept });
    expect(list.body.kind).toBe('Table');
    expect(list.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(list.body.columnDefinitions.length).toBeGreaterThan(0);
    const one = await call('GET', '/apis/apps/v1/namespaces/default/daemonsets/ssa1', undefined, 'application/json', { accept });
    expect(one.body.kind).toBe('Table');
    expect(one.body.rows).toHaveLength(1);
    expect(one.body.rows[0].object.metadata.name).toBe('ssa1');
  });
});

describe('Pod CRUD', () => {
  it('creates with generateName, resets status, patches and deletes', async () => {
    const body: any = { ...podBody(''), metadata: { generateName: 'web-', labels: { app: 'web' } }, status: { phase: 'Running' } };
    const r = await call('POST', '/api/v1/namespaces/default/pods', body);
    expect(r.status, r.text).toBe(201);
    const name: string = r.body.metadata.name;
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(r.body.status.phase).toBe('Pending');
    expect(r.body.metadata.generation).toBeUndefined();

    const jp = await call('PATCH', `/api/v1/namespaces/default/pods/${name}`, [{ op: 'replace', path: '/spec/containers/0/image', value: 'busybox:2' }], 'application/json-patch+json');
    expect(jp.status, jp.text).toBe(200);
    expect(jp.body.spec.containers[0].image).toBe('busybox:2');

    const notArray = await call('PATCH', `/api/v1/namespaces/default/pods/${name}`, { spec: {} }, 'application/json-patch+json');
    expect(notArray.status).toBe(400);

    const st = await call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, { status: { phase: 'Running', podIP: '10.0.0.1' } }, 'application/merge-patch+json');
    expect(st.status, st.text).toBe(200);
    expect(st.body.status).toMatchObject({ phase: 'Running', podIP: '10.0.0.1' });

    // A pod bound to no node has no log yet: upstream answers 200 with an empty body.
    const log = await call('GET', `/api/v1/namespaces/default/pods/${name}/log`);
    expect(log.status).toBe(200);
    expect(log.text).toBe('');

    const del = await call('DELETE', `/api/v1/namespaces/default/pods/${name}?gracePeriodSeconds=30`);
    expect(del.status).toBe(200);
    expectStatus(await call('GET', `/api/v1/namespaces/default/pods/${name}`), 404, 'NotFound');
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    const body: any = podBody('fin');
    body.metadata.finalizers = ['example.com/hold'];
    expect((await call('POST', '/api/v1/namespaces/default/pods', body)).status).toBe(201);
    const d = await call('DELETE', '/api/v1/namespaces/default/pods/fin', {});
    expect(d.status).toBe(200);
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    const still = await call('GET', '/api/v1/namespaces/default/pods/fin');
    expect(still.status).toBe(200);
    const addMore = await call('PATCH', '/api/v1/namespaces/default/pods/fin', { metadata: { finalizers: ['example.com/hold', 'new/one'] } }, 'application/merge-patch+json');
    expectStatus(addMore, 422, 'Invalid');
    const rm = await call('PATCH', '/api/v1/namespaces/default/pods/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(rm.status, rm.text).toBe(200);
    expectStatus(await call('GET', '/api/v1/namespaces/default/pods/fin'), 404, 'NotFound');
  });

  it('Orphan and Foreground deletions add their finalizer', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods', podBody('orph'))).status).toBe(201);
    const d = await call('DELETE', '/api/v1/namespaces/default/pods/orph', { propagationPolicy: 'Orphan' });
    expect(d.body.metadata.finalizers).toEqual(['orphan']);
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    expect((await call('POST', '/api/v1/namespaces/default/pods', podBody('fg'))).status).toBe(201);
    const f = await call('DELETE', '/api/v1/namespaces/default/pods/fg?propagationPolicy=Foreground');
    expect(f.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Clean up through the finalizer-removal path.
    for (const n of ['orph', 'fg']) {
      await call('PATCH', `/api/v1/namespaces/default/pods/${n}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    }
  });
});

describe('namespace lifecycle', () => {
  it('deleting a namespace marks it Terminating, forbids new content, deletes its content, then itself', async () => {
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } })).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/doomed/pods', podBody('p1'))).status).toBe(201);
    const held: any = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } };
    expect((await call('POST', '/api/v1/namespaces/doomed/configmaps', held)).status).toBe(201);
    const d = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(d.status, d.text).toBe(200);
    expect(d.body.status.phase).toBe('Terminating');
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    const denied = await call('POST', '/api/v1/namespaces/doomed/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
    expectStatus(denied, 403, 'Forbidden');
    expect(denied.body.message).toContain('because it is being terminated');
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/doomed/pods/p1')).status === 404, { message: 'pod deleted' });
    // The finalizer holds the ConfigMap, and the ConfigMap holds the namespace: its conditions say so.
    const stuck = await waitFor(async () => {
      const r = await call('GET', '/api/v1/namespaces/doomed');
      return r.body.status?.conditions?.length === 5 ? r : undefined;
    }, { message: 'the namespace conditions' });
    expect(stuck.status).toBe(200);
    const cond = (t: string) => stuck.body.status.conditions.find((c: any) => c.type === t);
    expect(cond('NamespaceDeletionContentFailure')).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(cond('NamespaceContentRemaining')).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances' });
    expect(cond('NamespaceFinalizersRemaining')).toMatchObject({ status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' });
    const rm = await call('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(rm.status, rm.text).toBe(200);
    await waitFor(async () => (await call('GET', '/api/v1/namespaces/doomed')).status === 404, { message: 'namespace gone' });
    expectStatus(await call('DELETE', '/api/v1/namespaces/default'), 403, 'Forbidden');
  });
});

describe('errors as Status bodies', () => {
  it('answers 400/404/405/409/413/415/422 with Status', async () => {
    expectStatus(await call('GET', '/apis/nope/v1/things'), 404, 'NotFound');
    expectStatus(await call('GET', '/api/v1/namespaces/default/pods/missing'), 404, 'NotFound');
    const nsMissing = await call('POST', '/api/v1/namespaces/nope/pods', podBody('p'));
    expectStatus(nsMissing, 404, 'NotFound');
    expect(nsMissing.body.message).toBe('namespaces "nope" not found');
    expectStatus(await call('POST', '/api/v1/namespaces/default/pods', '{"metadata":'), 400, 'BadRequest');
    const wrongNs: any = podBody('p');
    wrongNs.metadata.namespace = 'kube-system';
    const mism = await call('POST', '/api/v1/namespaces/default/pods', wrongNs);
    expectStatus(mism, 400, 'BadRequest');
    expect(mism.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    const badType = await call('POST', '/api/v1/namespaces/default/pods', { ...podBody('p'), metadata: { name: 'p', labels: { app: true } } });
    expectStatus(badType, 400, 'BadRequest');
    expectStatus(await call('POST', '/api/v1/namespaces/default/pods/x', podBody('x')), 405, 'MethodNotAllowed');
    expectStatus(await call('PUT', '/api/v1/namespaces/default/pods', podBody('x')), 405, 'MethodNotAllowed');
    expect((await call('POST', '/api/v1/namespaces/default/pods', podBody('dup'))).status).toBe(201);
    const dup = await call('POST', '/api/v1/namespaces/default/pods', podBody('dup'));
    expectStatus(dup, 409, 'AlreadyExists');
    expect(dup.body.message).toBe('pods "dup" already exists');
    const noName = await call('POST', '/api/v1/namespaces/default/pods', { ...podBody(''), metadata: {} });
    expectStatus(noName, 422, 'Invalid');
    expect(noName.body.details.kind).toBe('Pod');
    const notAPatch = await call('PATCH', '/api/v1/namespaces/default/pods/dup', '{}', 'text/plain');
    expectStatus(notAPatch, 415, 'UnsupportedMediaType');
    // Upstream's words and order (its installer's list of patch types).
    expect(notAPatch.body.message).toBe('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
    // Compared exactly, as upstream's patch handler does; parameters after `;` do not count.
    for (const ct of ['Application/Merge-Patch+JSON', 'application/apply-patch+json']) expectStatus(await call('PATCH', '/api/v1/namespaces/default/pods/dup', '{}', ct), 415, 'UnsupportedMediaType');
    expect((await call('PATCH', '/api/v1/namespaces/default/pods/dup', '{}', 'application/merge-patch+json; charset=utf-8')).status).toBe(200);
    const big = JSON.stringify({ ...podBody('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(4 * 1024 * 1024) } } });
    expectStatus(await call('POST', '/api/v1/namespaces/default/pods', big), 413, 'RequestEntityTooLarge');
  });

  it('refuses a timeout query parameter that is no Go duration with 400, except on long-running requests', async () => {
    const bad = await call('GET', '/version?timeout=invalid');
    expectStatus(bad, 400, 'BadRequest');
    expect(bad.body.message).toBe('invalid timeout specified in the request URL - time: invalid duration "invalid"');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps?timeout=5')).body.message).toBe('invalid timeout specified in the request URL - time: missing unit in duration "5"');
    expectStatus(await call('POST', '/api/v1/namespaces/default/configmaps?timeout=1d', { metadata: { name: 'never' } }), 400, 'BadRequest');
    expectStatus(await call('GET', '/api/v1/namespaces/default/configmaps/never'), 404, 'NotFound');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps?timeout=32s')).status).toBe(200);
    // /version is read-only (upstream: a GET-only route).
    expectStatus(await call('POST', '/version', {}), 405, 'MethodNotAllowed');
    // A watch is long-running: the filter does not read its timeout.
    const watch = await call('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&timeout=invalid');
    expect(watch.status).toBe(200);
  });

  it('rejects a streamed body over the limit without a Content-Length', async () => {
    const url = new URL(server.url + '/api/v1/namespaces/default/pods');
    const status = await new Promise<number>((resolve, reject) => {
      const creds = serverCredentials(server.url);
      const headers = { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${creds.token}` };
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', ca: creds.caPem, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // The server closes the connection after answering: a write error may race the response.
      req.on('error', (err) => setTimeout(() => reject(err), 2000));
      const chunk = 'x'.repeat(256 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // The server is still healthy.
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});

describe('lists', () => {
  it('pages with limit/continue and filters by selectors', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 5; i++) {
      const r = await call('POST', '/api/v1/namespaces/paging/pods', podBody(`p${i}`, { app: i % 2 === 0 ? 'even' : 'odd' }));
      expect(r.status).toBe(201);
    }
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    let rv = '';
    do {
      const r = await call('GET', `/api/v1/namespaces/paging/pods?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      expect(r.status, r.text).toBe(200);
      expect(r.body.kind).toBe('PodList');
      if (!rv) rv = r.body.metadata.resourceVersion;
      expect(r.body.metadata.resourceVersion).toBe(rv);
      names.push(...r.body.items.map((p: any) => p.metadata.name));
      cont = r.body.metadata.continue ?? '';
      pages++;
    } while (cont && pages < 10);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(pages).toBe(3);

    const even = await call('GET', '/api/v1/namespaces/paging/pods?labelSelector=app+in+%28even%29');
    expect(even.body.items.map((p: any) => p.metadata.name)).toEqual(['p0', 'p2', 'p4']);
    const notEven = await call('GET', '/api/v1/pods?labelSelector=app%21%3Deven%2Capp');
    expect(notEven.body.items.map((p: any) => p.metadata.name)).toEqual(['p1', 'p3']);
    const byName = await call('GET', '/api/v1/namespaces/paging/pods?fieldSelector=metadata.name%3Dp3');
    expect(byName.body.items.map((p: any) => p.metadata.name)).toEqual(['p3']);
    expectStatus(await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx'), 400, 'BadRequest');
    expectStatus(await call('GET', '/api/v1/pods?continue=garbage'), 400, 'BadRequest');

    const dc = await call('DELETE', '/api/v1/namespaces/paging/pods?labelSelector=app%3Dodd');
    expect(dc.status, dc.text).toBe(200);
    const left = await call('GET', '/api/v1/namespaces/paging/pods');
    expect(left.body.items.map((p: any) => p.metadata.name)).toEqual(['p0', 'p2', 'p4']);
  });
});

describe('watch', () => {
  it('starts with synthetic ADDED events from resourceVersion 0, then streams changes', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w0' } });
    await call('POST', '/api/v1/namespaces/w0/pods', podBody('a'));
    const w = await openWatch('/api/v1/namespaces/w0/pods?watch=true&resourceVersion=0');
    await waitFor(() => w.events.length >= 1, { message: 'initial ADDED' });
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    await call('POST', '/api/v1/namespaces/w0/pods', podBody('b'));
    await call('PATCH', '/api/v1/namespaces/w0/pods/b', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    const del = await call('DELETE', '/api/v1/namespaces/w0/pods/b');
    await waitFor(() => w.events.length >= 4, { message: 'four events' });
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED b']);
    expect(w.events[3]!.object.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion);
    const rvs = w.events.slice(1).map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    w.stop();
  });

  it('replays every change after a given resourceVersion', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w1' } });
    const list = await call('GET', '/api/v1/namespaces/w1/configmaps');
    const rv = list.body.metadata.resourceVersion;
    await call('POST', '/api/v1/namespaces/w1/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '1' } });
    await call('PUT', '/api/v1/namespaces/w1/configmaps/c1', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '2' } });
    const w = await openWatch(`/api/v1/namespaces/w1/configmaps?watch=true&resourceVersion=${rv}`);
    await waitFor(() => w.events.length >= 2, { message: 'replayed events' });
    expect(w.events.map((e) => `${e.type} ${e.object.data.a}`)).toEqual(['ADDED 1', 'MODIFIED 2']);
    w.stop();
  });

  it('translates a label-selector watch: entering is ADDED, leaving is DELETED', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w2' } });
    const list = await call('GET', '/api/v1/namespaces/w2/pods');
    const w = await openWatch(`/api/v1/pods?watch=true&labelSelector=sel%3Dyes&resourceVersion=${list.body.metadata.resourceVersion}`);
    await call('POST', '/api/v1/namespaces/w2/pods', podBody('s', { sel: 'no' }));
    await call('PATCH', '/api/v1/namespaces/w2/pods/s', { metadata: { labels: { sel: 'yes' } } }, 'application/merge-patch+json');
    await call('PATCH', '/api/v1/namespaces/w2/pods/s', { metadata: { annotations: { n: '1' } } }, 'application/merge-patch+json');
    await call('PATCH', '/api/v1/namespaces/w2/pods/s', { metadata: { labels: { sel: 'no' } } }, 'application/merge-patch+json');
    await call('DELETE', '/api/v1/namespaces/w2/pods/s');
    await waitFor(() => w.events.length >= 3, { message: 'selector events' });
    // Give a stray event the chance to arrive before asserting the exact sequence.
    await call('GET', '/healthz');
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(w.events[2]!.object.metadata.labels.sel).toBe('yes');
    w.stop();
  });

  it('sends bookmarks with sendInitialEvents and the initial-events-end annotation', async () => {
    const w = await openWatch('/api/v1/namespaces?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=0');
    await waitFor(() => w.events.find((e) => e.type === 'BOOKMARK'), { message: 'initial-events-end bookmark' });
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.object.metadata.annotations['k8s.io/initial-events-end']).toBe('true');
    expect(w.events.filter((e) => e.type === 'ADDED').length).toBeGreaterThanOrEqual(4);
    w.stop();
  });

  it('serves the WatchList request client-go sends (no resourceVersion), with the list blueprint; no bookmark unless allowed', async () => {
    const w = await openWatch('/api/v1/namespaces?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=300');
    await waitFor(() => w.events.find((e) => e.type === 'BOOKMARK'), { message: 'initial-events-end bookmark' });
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    const blueprint = JSON.parse(Buffer.from(bm.object.metadata.annotations['kubernetes.io/initial-events-list-blueprint'], 'base64').toString('utf8'));
    expect(blueprint).toEqual({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] });
    expect(w.events.findIndex((e) => e.type === 'BOOKMARK')).toBe(w.events.filter((e) => e.type === 'ADDED').length);
    w.stop();
    // Without allowWatchBookmarks the initial events end with no bookmark.
    const quiet = await openWatch('/api/v1/namespaces?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan');
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wl-after' } });
    await waitFor(() => quiet.events.find((e) => e.object?.metadata?.name === 'wl-after'), { message: 'event after the initial state' });
    expect(quiet.events.map((e) => e.type)).not.toContain('BOOKMARK');
    quiet.stop();
  });

  it('refuses resourceVersion / resourceVersionMatch / continue / sendInitialEvents combinations as upstream', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    const cases: [string, number, string][] = [
      ['?resourceVersionMatch=Exact', 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['?resourceVersion=0&resourceVersionMatch=Exact', 422, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['?sendInitialEvents=true', 422, 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      ['?watch=true&sendInitialEvents=true', 422, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['?watch=true&resourceVersion=5&resourceVersionMatch=NotOlderThan', 422, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      ['?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact&resourceVersion=5', 422, 'Unsupported value: "Exact"'],
      ['?limit=1&continue=x&resourceVersion=5', 400, 'specifying resource version is not allowed when using continue'],
    ];
    for (const [q, code, message] of cases) {
      const r = await call('GET', base + q);
      expectStatus(r, code, code === 422 ? 'Invalid' : 'BadRequest');
      expect(r.body.message, q).toContain(message);
      if (code === 422) expect(r.body.details).toMatchObject({ kind: 'ListOptions', group: 'meta.k8s.io' });
    }
  });

  it('lists at a resourceVersion as upstream: a limit without a match is Exact, a future one waits then answers 504 with Retry-After', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    const a = await call('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rv-a' }, data: { v: '1' } });
    const at = Number(a.body.metadata.resourceVersion);
    await call('PATCH', `${base}/rv-a`, { data: { v: '2' } }, 'application/merge-patch+json');
    // limit + resourceVersion, no match: the snapshot at that revision (rv-a still at v=1).
    const paged = await call('GET', `${base}?resourceVersion=${at}&limit=500`);
    expect(paged.status, paged.text).toBe(200);
    expect(paged.body.metadata.resourceVersion).toBe(String(at));
    expect(paged.body.items.find((c: any) => c.metadata.name === 'rv-a').data).toEqual({ v: '1' });
    // Without a limit it is NotOlderThan: the current state.
    const current = await call('GET', `${base}?resourceVersion=${at}`);
    expect(current.body.items.find((c: any) => c.metadata.name === 'rv-a').data).toEqual({ v: '2' });
    // A revision the store has not reached: Exact at once, NotOlderThan after waiting (~3 s).
    const head = Number(current.body.metadata.resourceVersion);
    const exact = await call('GET', `${base}?resourceVersion=${head + 1000}&resourceVersionMatch=Exact`);
    expectStatus(exact, 504, 'Timeout');
    expect(exact.body.message).toMatch(new RegExp(`^Timeout: Too large resource version: ${head + 1000}, current: \\d+$`));
    expect(exact.body.details).toMatchObject({ retryAfterSeconds: 1, causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] });
    expect(exact.headers.get('retry-after')).toBe('1');
    const started = Date.now();
    const later = await call('GET', `${base}?resourceVersion=${head + 1000}&resourceVersionMatch=NotOlderThan`);
    expectStatus(later, 504, 'Timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    // A revision reached while the list waits is served.
    const waiting = call('GET', `${base}?resourceVersion=${head + 50}`);
    let rv = head;
    for (let i = 0; rv < head + 50; i++) rv = Number((await call('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `rv-fill-${i}` } })).body.metadata.resourceVersion);
    const served = await waiting;
    expect(served.status, served.text).toBe(200);
    expect(Number(served.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(head + 50);
  });

  it('sends a bookmark 2 s before a watch times out when bookmarks are allowed', async () => {
    const w = await openWatch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=3');
    const initial = () => w.events.filter((e) => e.type === 'ADDED').length;
    await waitFor(() => w.ended(), { message: 'watch end', timeoutMs: 10_000 });
    const bookmarks = w.events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks).toHaveLength(1);
    expect(w.events.indexOf(bookmarks[0]!)).toBe(initial());
    expect(Number(bookmarks[0]!.object.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it('streams Tables when asked, headers only on the first event', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const w = await openWatch('/api/v1/namespaces?watch=true', { accept });
    await waitFor(() => w.events.length >= 2, { message: 'table events' });
    expect(w.events[0]!.object.kind).toBe('Table');
    expect(w.events[0]!.object.columnDefinitions.length).toBeGreaterThan(0);
    expect(w.events[1]!.object.columnDefinitions).toBeNull();
    expect(w.events[1]!.object.rows).toHaveLength(1);
    w.stop();
  });

  it('ends after timeoutSeconds', async () => {
    const w = await openWatch('/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1&resourceVersion=0');
    await waitFor(() => w.ended(), { message: 'watch end' });
  });

  it('ends at once, with no event, for a negative timeoutSeconds', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'negative-timeout' } });
    const w = await openWatch('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=-1');
    await waitFor(() => w.ended(), { message: 'watch end', timeoutMs: 2_000 });
    expect(w.events).toEqual([]);
  });

  it('answers a compacted resourceVersion with one 410 ERROR event', async () => {
    const r1 = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old1' } });
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old2' } });
    const page = await call('GET', '/api/v1/namespaces/default/configmaps?limit=1');
    expect(page.body.metadata.continue).toBeTruthy();
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old3' } });
    await server.compactNow();
    // A continue token of a compacted revision: 410 Expired.
    const stale = await call('GET', `/api/v1/namespaces/default/configmaps?limit=1&continue=${encodeURIComponent(page.body.metadata.continue)}`);
    expectStatus(stale, 410, 'Expired');
    // The 410 carries a token that goes on at the latest revision from the same place, as upstream's.
    expect(stale.body.metadata.continue).toBeTruthy();
    const resumed = await call('GET', `/api/v1/namespaces/default/configmaps?limit=1&continue=${encodeURIComponent(stale.body.metadata.continue)}`);
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.items).toHaveLength(1);
    expect(resumed.body.items[0].metadata.name > page.body.items[0].metadata.name).toBe(true);
    expect(Number(resumed.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(await server.store.currentRevision());
    const w = await openWatch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${Number(r1.body.metadata.resourceVersion) - 1}`);
    await waitFor(() => w.ended(), { message: 'stream end' });
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    // A resourceVersion this store never reached (e.g. after a reset) also makes clients relist.
    const future = await openWatch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=999999999');
    await waitFor(() => future.ended(), { message: 'future RV stream end' });
    expect(future.events).toEqual([expect.objectContaining({ type: 'ERROR', object: expect.objectContaining({ code: 410 }) })]);
    // The list RV just handed out is never too old.
    const list = await call('GET', '/api/v1/namespaces/default/configmaps');
    const w2 = await openWatch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new1' } });
    await waitFor(() => w2.events.length >= 1, { message: 'event after compaction' });
    expect(w2.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'new1' } } });
    w2.stop();
  });
});

describe('restart', () => {
  it('keeps objects and continues revisions across a restart', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'durable' }, data: { k: 'v' } });
    expect(created.status).toBe(201);
    await server.close();
    server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false });
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
    const got = await call('GET', '/api/v1/namespaces/default/configmaps/durable');
    expect(got.status).toBe(200);
    expect(got.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(got.body.data).toEqual({ k: 'v' });
    const after = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } });
    expect(Number(after.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
  });
});
