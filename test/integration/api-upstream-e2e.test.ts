// Upstream Kubernetes' API-machinery and core-API conformance scenarios, re-stated for the
// resources everynode serves and run against one real API server (in process, SQLite, with the
// controller manager for garbage collection, ServiceAccounts and kube-root-ca.crt):
// - watch: add/update/delete notifications under label selectors, watching from a
//   resourceVersion, restarting from the last one observed, an object leaving and re-entering
//   the selector, concurrent watches seeing one order (test/e2e/apimachinery/watch.go);
// - chunked lists: limit/continue with remainingItemCount, and a continue token whose snapshot
//   was compacted: 410 Expired carrying a fresh continue token that reads an inconsistent list
//   (chunking.go);
// - server-side field validation: unknown and duplicate fields, Strict/Warn/Ignore, JSON and
//   YAML, typed kinds and CustomResourceDefinitions (field_validation.go);
// - server-side Tables (table_conversion.go), Namespaces (namespace.go), the garbage collector's
//   orphan/background/foreground cascades and dependency circles (garbage_collector.go);
// - ConfigMap, Secret, Lease, Event (core and events.k8s.io) and ServiceAccount lifecycles,
//   TokenRequest with TokenReview (common/node, instrumentation, auth);
// - the scale subresource of Deployments, ReplicaSets and ReplicationControllers, which
//   everynode stores but does not run (apps/deployment.go, replica_set.go, rc.go).
// Pod-running scenarios (environment variables, volumes, mounted tokens) need a kubelet and are
// covered by the agent's own tests, not here.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Status } from '../../src/api/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { apiCaller, apiClients, apiFailure, Cleanup, namespaceFactory, openWireWatch, startTestServer, waitFor, type ApiClients, type TestServer, type WireWatch, type WireWatchEvent } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let c: ApiClients;
let events: k8s.EventsV1Api;
const call = apiCaller(() => ts.server.url);

beforeAll(async () => {
  ts = await startTestServer(cleanup, {
    logger: silentLogger,
    controllers: { leaderElection: false, daemonSet: false, nodeLifecycle: false, disruption: false, endpoints: false },
  });
  c = apiClients(ts.server.kubeconfigPath);
  events = c.kc.makeApiClient(k8s.EventsV1Api);
});
afterAll(() => cleanup.run());

/** A fresh namespace per scenario, as upstream's framework gives each test its own. */
const newNamespace = namespaceFactory(() => c.core);

const rv = (o: { metadata?: { resourceVersion?: string } }): number => Number(o.metadata?.resourceVersion);

async function watchUntil(w: WireWatch, n: number, what: string): Promise<WireWatchEvent[]> {
  return waitFor(() => (w.events.length >= n ? w.events.slice(0, n) : false), { timeoutMs: 10_000, message: `${n} events of ${what}; got ${JSON.stringify(w.events.map((e) => e.type))}` });
}

const summary = (evs: WireWatchEvent[]): string[] => evs.map((e) => `${e.type} ${e.object.metadata?.name ?? ''} ${String((e.object as { data?: Record<string, string> }).data?.['mutation'] ?? '')}`.trim());

describe('watch (apimachinery/watch.go)', () => {
  const cmPath = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

  it('observes add, update and delete notifications through label-selected watches', async () => {
    const ns = await newNamespace('watch-basic');
    const label = 'watch-this-configmap';
    const wA = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&labelSelector=${label}%3Dmultiple-watchers-A`);
    const wB = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&labelSelector=${label}%3Dmultiple-watchers-B`);
    const wAB = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&labelSelector=${label}+in+%28multiple-watchers-A%2Cmultiple-watchers-B%29`);
    const a = { metadata: { name: 'e2e-watch-test-configmap-a', labels: { [label]: 'multiple-watchers-A' } } };
    const b = { metadata: { name: 'e2e-watch-test-configmap-b', labels: { [label]: 'multiple-watchers-B' } } };
    const merge = (n: string) => ({ data: { mutation: n } });
    expect((await call('POST', cmPath(ns), a)).status).toBe(201);
    expect((await call('PATCH', cmPath(ns, a.metadata.name), merge('1'), 'application/merge-patch+json')).status).toBe(200);
    expect((await call('PATCH', cmPath(ns, a.metadata.name), merge('2'), 'application/merge-patch+json')).status).toBe(200);
    expect((await call('DELETE', cmPath(ns, a.metadata.name))).status).toBe(200);
    expect((await call('POST', cmPath(ns), b)).status).toBe(201);
    expect((await call('DELETE', cmPath(ns, b.metadata.name))).status).toBe(200);
    const aEvents = ['ADDED e2e-watch-test-configmap-a', 'MODIFIED e2e-watch-test-configmap-a 1', 'MODIFIED e2e-watch-test-configmap-a 2', 'DELETED e2e-watch-test-configmap-a 2'];
    const bEvents = ['ADDED e2e-watch-test-configmap-b', 'DELETED e2e-watch-test-configmap-b'];
    expect(summary(await watchUntil(wA, 4, 'watch A'))).toEqual(aEvents);
    expect(summary(await watchUntil(wB, 2, 'watch B'))).toEqual(bEvents);
    expect(summary(await watchUntil(wAB, 6, 'watch A or B'))).toEqual([...aEvents, ...bEvents]);
    // No event of the other label leaks into a single-label watch.
    expect(wA.events).toHaveLength(4);
    expect(wB.events).toHaveLength(2);
  });

  it('starts watching from a specific resourceVersion', async () => {
    const ns = await newNamespace('watch-from-rv');
    const name = 'e2e-watch-test-resource-version';
    await call('POST', cmPath(ns), { metadata: { name, labels: { 'watch-this-configmap': 'from-resource-version' } } });
    const first = (await call('PATCH', cmPath(ns, name), { data: { mutation: '1' } }, 'application/merge-patch+json')).body;
    await call('PATCH', cmPath(ns, name), { data: { mutation: '2' } }, 'application/merge-patch+json');
    await call('DELETE', cmPath(ns, name));
    const w = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
    const evs = await watchUntil(w, 2, 'the changes after the first update');
    expect(summary(evs)).toEqual([`MODIFIED ${name} 2`, `DELETED ${name} 2`]);
    expect(rv(evs[0]!.object)).toBeGreaterThan(rv(first));
  });

  it('restarts a watch from the last resourceVersion the previous watch observed', async () => {
    const ns = await newNamespace('watch-restart');
    const name = 'e2e-watch-test-watch-closed';
    const sel = 'labelSelector=watch-this-configmap%3Dwatch-closed-and-restarted';
    const w1 = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&${sel}`);
    await call('POST', cmPath(ns), { metadata: { name, labels: { 'watch-this-configmap': 'watch-closed-and-restarted' } } });
    await call('PATCH', cmPath(ns, name), { data: { mutation: '1' } }, 'application/merge-patch+json');
    const seen = await watchUntil(w1, 2, 'the first watch');
    w1.stop();
    expect(summary(seen)).toEqual([`ADDED ${name}`, `MODIFIED ${name} 1`]);
    const last = seen[1]!.object.metadata!.resourceVersion!;
    // Changes while no watch is open are replayed by the next one.
    await call('PATCH', cmPath(ns, name), { data: { mutation: '2' } }, 'application/merge-patch+json');
    await call('DELETE', cmPath(ns, name));
    const w2 = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&${sel}&resourceVersion=${last}`);
    expect(summary(await watchUntil(w2, 2, 'the restarted watch'))).toEqual([`MODIFIED ${name} 2`, `DELETED ${name} 2`]);
  });

  it('reports DELETED when an object stops matching the selector and ADDED when it matches again', async () => {
    const ns = await newNamespace('watch-selector');
    const name = 'e2e-watch-test-label-changed';
    const key = 'watch-this-configmap';
    const w = await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&labelSelector=${key}%3Dlabel-changed-and-restored`);
    await call('POST', cmPath(ns), { metadata: { name, labels: { [key]: 'label-changed-and-restored' } } });
    await call('PATCH', cmPath(ns, name), { data: { mutation: '1' } }, 'application/merge-patch+json');
    await call('PATCH', cmPath(ns, name), { metadata: { labels: { [key]: 'wrong-value' } } }, 'application/merge-patch+json');
    await call('PATCH', cmPath(ns, name), { data: { mutation: '2' } }, 'application/merge-patch+json'); // unseen: outside the selector
    await call('PATCH', cmPath(ns, name), { metadata: { labels: { [key]: 'label-changed-and-restored' } }, data: { mutation: '3' } }, 'application/merge-patch+json');
    await call('DELETE', cmPath(ns, name));
    const evs = await watchUntil(w, 5, 'the selector watch');
    expect(summary(evs)).toEqual([`ADDED ${name}`, `MODIFIED ${name} 1`, `DELETED ${name} 1`, `ADDED ${name} 3`, `DELETED ${name} 3`]);
    // The DELETED for leaving the selector carries the object as it last matched (mutation 1)
    // with the resourceVersion of the change that made it leave, as upstream's watch cache sends it.
    expect(rv(evs[2]!.object)).toBeGreaterThan(rv(evs[1]!.object));
  });

  it('delivers the same events in the same order to concurrent watches started at different resourceVersions', async () => {
    const ns = await newNamespace('watch-order');
    const start = (await call('GET', `${cmPath(ns)}?limit=1`)).body.metadata.resourceVersion as string;
    // A stream of creates, updates and deletes, produced while watches start from the revisions
    // of the events seen so far.
    const produced: string[] = [start];
    const rounds = 12;
    const producer = (async () => {
      for (let i = 0; i < rounds; i++) {
        const name = `cm-${i}`;
        produced.push((await call('POST', cmPath(ns), { metadata: { name }, data: { i: String(i) } })).body.metadata.resourceVersion);
        produced.push((await call('PATCH', cmPath(ns, name), { data: { i: `${i}b` } }, 'application/merge-patch+json')).body.metadata.resourceVersion);
        expect((await call('DELETE', cmPath(ns, name))).status).toBe(200);
      }
    })();
    const watches: Array<{ from: string; w: WireWatch }> = [];
    for (let i = 0; i < 8; i++) {
      const from = produced[Math.min(produced.length - 1, i * 3)]!;
      watches.push({ from, w: await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&resourceVersion=${from}`) });
    }
    await producer;
    const all = (await openWireWatch(cleanup, ts.server.url, `${cmPath(ns)}?watch=true&resourceVersion=${start}`)) as WireWatch;
    const total = rounds * 3;
    const reference = await waitFor(() => (all.events.length >= total ? all.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`) : false), {
      timeoutMs: 10_000,
      message: 'the reference watch',
    });
    expect(reference.length).toBe(total);
    for (const { from, w } of watches) {
      const expected = reference.filter((line) => Number(line.split(' ')[2]) > Number(from));
      const got = await waitFor(() => (w.events.length >= expected.length ? w.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`) : false), {
        timeoutMs: 10_000,
        message: `the watch from ${from}`,
      });
      expect(got).toEqual(expected);
    }
  });
});

describe('chunked lists (apimachinery/chunking.go)', () => {
  const total = 120;
  let ns: string;
  const name = (i: number): string => `template-${String(i).padStart(4, '0')}`;

  // Leases stand in for upstream's PodTemplates (not served): no controller adds any to a
  // namespace, so the list holds exactly the objects created here.
  beforeAll(async () => {
    ns = await newNamespace('chunking');
    for (let i = 0; i < total; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => c.coordination.createNamespacedLease({ namespace: ns, body: { metadata: { name: name(i + j) }, spec: { holderIdentity: 'h' } } })));
    }
  });

  it('returns chunks of results for list calls, each with remainingItemCount and one resourceVersion', async () => {
    for (const limits of [[7, 13, 1, 50, 17], [total - 1], [3]]) {
      let found = 0;
      let cont: string | undefined;
      let firstRv: string | undefined;
      for (let page = 0; ; page++) {
        const limit = limits[page % limits.length]!;
        const list = await c.coordination.listNamespacedLease({ namespace: ns, limit, ...(cont ? { _continue: cont } : {}) });
        expect(list.items.length).toBeLessThanOrEqual(limit);
        firstRv ??= list.metadata?.resourceVersion;
        expect(list.metadata?.resourceVersion).toBe(firstRv);
        if (list.metadata?._continue) {
          expect(list.metadata.remainingItemCount).toBe(total - found - list.items.length);
        } else {
          expect(list.metadata?.remainingItemCount).toBeUndefined();
        }
        for (const item of list.items) expect(item.metadata?.name).toBe(name(found++));
        cont = list.metadata?._continue;
        if (!cont) break;
      }
      expect(found).toBe(total);
    }
    const all = await c.coordination.listNamespacedLease({ namespace: ns, limit: total + 1 });
    expect(all.items).toHaveLength(total);
    expect(all.metadata?._continue).toBeFalsy();
  });

  it('continues from the last key after the snapshot is compacted away: 410 with a fresh token, then an inconsistent list', async () => {
    const limit = 12;
    const first = await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases?limit=${limit}`);
    expect(first.status).toBe(200);
    const firstRv = first.body.metadata.resourceVersion as string;
    expect(first.body.metadata.remainingItemCount + first.body.items.length).toBe(total);
    // Another write, then compaction past the first page's revision.
    await c.core.createNamespacedConfigMap({ namespace: await newNamespace('chunking-other'), body: { metadata: { name: 'bump' } } });
    await ts.server.compactNow();
    const expired = await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases?limit=${limit}&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(expired.status).toBe(410);
    const status = expired.body as Status & { metadata: { continue?: string } };
    expect(status).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    const inconsistent = status.metadata.continue;
    expect(inconsistent).toBeTruthy();
    // The fresh token reads on from the last key, at the current revision.
    const second = await c.coordination.listNamespacedLease({ namespace: ns, limit, _continue: inconsistent! });
    expect(second.metadata?.resourceVersion).not.toBe(firstRv);
    expect(second.items).toHaveLength(limit);
    let found = limit;
    expect(second.metadata?.remainingItemCount).toBe(total - found - limit);
    for (const item of second.items) expect(item.metadata?.name).toBe(name(found++));
    let cont = second.metadata?._continue;
    const lastRv = second.metadata?.resourceVersion;
    while (cont) {
      const page = await c.coordination.listNamespacedLease({ namespace: ns, limit, _continue: cont });
      expect(page.metadata?.resourceVersion).toBe(lastRv);
      if (page.metadata?._continue) expect(page.metadata.remainingItemCount).toBe(total - found - page.items.length);
      else expect(page.metadata?.remainingItemCount).toBeUndefined();
      for (const item of page.items) expect(item.metadata?.name).toBe(name(found++));
      cont = page.metadata?._continue;
    }
    expect(found).toBe(total);
  });

  it('returns chunks of Table results for list calls (table_conversion.go)', async () => {
    const accept = { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' };
    const page1 = await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases?limit=2`, undefined, undefined, accept);
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1' });
    expect(page1.body.rows).toHaveLength(2);
    expect(page1.body.metadata.resourceVersion).toBeTruthy();
    expect(page1.body.metadata.continue).toBeTruthy();
    expect(page1.body.rows.map((r: { cells: unknown[] }) => r.cells[0])).toEqual([name(0), name(1)]);
    const page2 = await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases?continue=${encodeURIComponent(page1.body.metadata.continue)}`, undefined, undefined, accept);
    expect(page2.status).toBe(200);
    expect(page2.body.rows.length).toBeGreaterThan(0);
    expect(page2.body.rows[0].cells[0]).toBe(name(2));
  });
});

describe('server-side field validation (apimachinery/field_validation.go)', () => {
  const deployment = (extraSpec: string, extraMeta = ''): string =>
    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"my-dep",${extraMeta}"labels":{"app":"nginx"}},"spec":{${extraSpec}"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx:latest"}]}}}}`;

  it('detects unknown and duplicate fields of a typed object (Strict rejects, Warn warns, Ignore neither)', async () => {
    const ns = await newNamespace('fv-typed');
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const body = deployment('"unknownField":"foo","replicas":2,"replicas":3,');
    const strict = await call('POST', `${path}?fieldManager=field_validation_mgr&fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(strict.body.message).toContain('strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"');
    expect((await call('GET', `${path}/my-dep`)).status).toBe(404);
    const warn = await call('POST', `${path}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"spec.unknownField\\"", 299 - "duplicate field \\"spec.replicas\\""');
    expect(warn.body.spec.replicas).toBe(3); // the last duplicate wins, as in Go's decoder
    expect(warn.body.spec.unknownField).toBeUndefined();
    // Update (PUT) and patch take the same parameter.
    const put = JSON.parse(JSON.stringify(warn.body)) as { spec: Record<string, unknown> };
    put.spec['bogus'] = true;
    const putStrict = await call('PUT', `${path}/my-dep?fieldValidation=Strict`, put);
    expect(putStrict.status).toBe(400);
    expect(putStrict.body.message).toContain('unknown field "spec.bogus"');
    const putIgnore = await call('PUT', `${path}/my-dep?fieldValidation=Ignore`, put);
    expect(putIgnore.status).toBe(200);
    expect(putIgnore.headers.get('warning')).toBeNull();
    const patchWarn = await call('PATCH', `${path}/my-dep`, '{"spec":{"paused":true,"paused":false,"extra":1}}', 'application/merge-patch+json');
    expect(patchWarn.status).toBe(200);
    expect(patchWarn.headers.get('warning')).toContain('duplicate field \\"spec.paused\\"');
    expect(patchWarn.headers.get('warning')).toContain('unknown field \\"spec.extra\\"');
  });

  it('detects unknown metadata fields of a typed object', async () => {
    const ns = await newNamespace('fv-meta');
    const strict = await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments?fieldValidation=Strict`, deployment('', '"unknownMeta":"foo",'));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('strict decoding error: unknown field "metadata.unknownMeta"');
  });

  it('detects unknown and duplicate fields in YAML bodies, create and apply', async () => {
    const ns = await newNamespace('fv-yaml');
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n  a: "2"\nbogus: 1\n`;
    const strict = await call('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Strict`, yaml, 'application/yaml');
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('key "a" already set in map');
    // One strict error for the repeated keys (go-yaml's, with its line), then the unknown fields.
    expect(strict.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 7: key "a" already set in map, unknown field "bogus"');
    const warn = await call('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Warn`, yaml, 'application/yaml');
    expect(warn.status, warn.text).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "line 7: key \\"a\\" already set in map", 299 - "unknown field \\"bogus\\""');
    expect(warn.body.data).toEqual({ a: '2' }); // the last value wins
    const ignore = await call('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Ignore`, yaml.replace('from-yaml', 'ignored'), 'application/yaml');
    expect(ignore.status, ignore.text).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
    // Server-side apply checks the configuration's repeated keys after applying it.
    const config = yaml.replace('from-yaml', 'applied').replace('bogus: 1\n', '');
    const apply = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/applied?fieldManager=m&fieldValidation=Strict`, config, 'application/apply-patch+yaml');
    expect(apply.status).toBe(400);
    expect(apply.body.message).toBe('error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "a" already set in map');
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/applied`)).status).toBe(404);
    const applyWarn = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/applied?fieldManager=m&fieldValidation=Warn`, config, 'application/apply-patch+yaml');
    expect(applyWarn.status, applyWarn.text).toBe(201);
    expect(applyWarn.headers.get('warning')).toBe('299 - "line 7: key \\"a\\" already set in map"');
  });

  describe('custom resources', () => {
    const group = 'fv.example.com';
    const portsSchema = {
      type: 'array',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-list-type': 'map',
      items: {
        type: 'object',
        required: ['containerPort', 'protocol'],
        properties: { containerPort: { type: 'integer', format: 'int32' }, hostIP: { type: 'string' }, hostPort: { type: 'integer', format: 'int32' }, name: { type: 'string' }, protocol: { type: 'string' } },
      },
    };
    const specProps = { foo: { type: 'string' }, cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' }, ports: portsSchema };
    let n = 0;
    /** A cluster-scoped CRD served in two versions with `schema`; returns the resource path of v1. */
    async function crd(schema: object): Promise<{ path: string; apiVersion: string; kind: string }> {
      const i = ++n;
      const plural = `noxus${i}`;
      const kind = `Noxu${i}`;
      // Raw JSON: client-node's serializer knows the x-kubernetes-* keys only by its own names.
      const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        ...{
          metadata: { name: `${plural}.${group}` },
          spec: {
            group,
            scope: 'Cluster',
            names: { plural, singular: `noxu${i}`, kind, listKind: `${kind}List` },
            versions: [
              { name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: schema } },
              { name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: schema } },
            ],
          },
        },
      });
      expect(created.status, created.text).toBe(201);
      const path = `/apis/${group}/v1beta1/${plural}`;
      await waitFor(async () => (await call('GET', path)).status === 200, { message: `${plural} served` });
      return { path, apiVersion: `${group}/v1beta1`, kind };
    }
    // The body opens with an empty line, as upstream's does (line numbers in messages count it).
    const cr = (t: { apiVersion: string; kind: string }, name: string, specYaml: string, extra = '', metaExtra = ''): string =>
      `\napiVersion: ${t.apiVersion}\nkind: ${t.kind}\nmetadata:\n  name: ${name}\n${metaExtra}  finalizers:\n  - test-finalizer\n${extra}spec:\n${specYaml}`;
    const validSpec = `  foo: foo1\n  cronSpec: "* * * * */5"\n  ports:\n  - name: x\n    containerPort: 80\n    protocol: TCP\n`;
    const apply = (path: string, name: string, body: string) => call('PATCH', `${path}/${name}?fieldManager=field_validation_mgr&fieldValidation=Strict`, body, 'application/apply-patch+yaml');
    /** Drops the test finalizer so the objects can go with the CRD. */
    const unfinalize = (path: string, name: string) => call('PATCH', `${path}/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');

    it('creates/applies a valid CR for a CRD with a validation schema', async () => {
      const t = await crd({ type: 'object', properties: { spec: { type: 'object', properties: specProps } } });
      const r = await apply(t.path, 'mytest', cr(t, 'mytest', validSpec));
      expect(r.status, r.text).toBe(201);
      expect(r.body.spec.ports).toEqual([{ name: 'x', containerPort: 80, protocol: 'TCP' }]);
      await unfinalize(t.path, 'mytest');
    });

    it('creates/applies a CR with unknown fields for a CRD that preserves unknown fields', async () => {
      const t = await crd({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
      const r = await apply(t.path, 'mytest', cr(t, 'mytest', `  unknown: uk1\n  cronSpec: "* * * * */5"\n`));
      expect(r.status, r.text).toBe(201);
      expect(r.body.spec.unknown).toBe('uk1');
      await unfinalize(t.path, 'mytest');
    });

    it('rejects a CR with extra properties for a CRD with a validation schema', async () => {
      const t = await crd({ type: 'object', properties: { spec: { type: 'object', properties: specProps } } });
      const r = await apply(t.path, 'mytest', cr(t, 'mytest', validSpec, 'unknownField: unknown\n'));
      // Upstream's apply fails in its typed conversion (`failed to create typed patch object
      // (...): .unknownField: field not declared in schema`, whatever fieldValidation says);
      // everynode refuses the field as a strict decoding error instead. Both name the field.
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('unknown field "unknownField"');
      expect((await call('GET', `${t.path}/mytest`)).status).toBe(404);
    });

    it('detects unknown metadata fields in both the root and an embedded object of a CR', async () => {
      const t = await crd({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: {
              ...specProps,
              template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { metadata: { type: 'object', properties: { name: { type: 'string' } } }, spec: { type: 'object' } } },
            },
          },
        },
      });
      const spec = `  template:\n    apiVersion: foo/v1\n    kind: Sub\n    metadata:\n      unknownSubMeta: unknown\n      name: subobject\n  ${validSpec.trimStart()}`;
      const r = await apply(t.path, 'mytest', cr(t, 'mytest', spec, '', '  unknownMeta: unknown\n'));
      expect(r.status).toBe(400);
      // Either is enough, as upstream asserts (in its apply's wording, `.metadata.unknownMeta:
      // field not declared in schema`; everynode's is the strict decoding error's); the embedded
      // object's apiVersion and kind are declared implicitly by x-kubernetes-embedded-resource.
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/unknown field "spec\.template\.metadata\.unknownSubMeta"|unknown field "metadata\.unknownMeta"/);
      expect(r.text).not.toContain('template.apiVersion');
      expect(r.text).not.toContain('template.kind');
    });

    it('detects duplicate fields in a CR even where unknown fields are preserved', async () => {
      const t = await crd({ type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: specProps } } });
      const body = cr(t, 'mytest', `  unknown: uk1\n  foo: foo1\n  foo: foo2\n  cronSpec: "* * * * */5"\n`);
      expect(body.split('\n')[10]).toBe('  foo: foo2'); // line 11, as upstream's message counts
      const r = await apply(t.path, 'mytest', body);
      expect(r.status).toBe(400);
      expect(r.text).toContain('line 11: key \\"foo\\" already set in map');
    });
  });
});

describe('server-side Tables (apimachinery/table_conversion.go)', () => {
  it('returns pod details as a Table', async () => {
    const ns = await newNamespace('table-pod');
    await c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'pod-1' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 8080 }] }] } } });
    const r = await call('GET', `/api/v1/namespaces/${ns}/pods/pod-1`, undefined, undefined, { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1' });
    expect(r.body.columnDefinitions.length).toBeGreaterThan(2);
    expect(r.body.rows).toHaveLength(1);
    expect(r.body.rows[0].cells).toHaveLength(r.body.columnDefinitions.length);
    expect(r.body.columnDefinitions[0].name).toBe('Name');
    expect(r.body.rows[0].cells[0]).toBe('pod-1');
  });

  it('returns generic metadata details across all namespaces for nodes', async () => {
    await c.core.createNode({ body: { metadata: { name: 'table-node' } } });
    const r = await call('GET', '/api/v1/nodes', undefined, undefined, { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    expect(r.status).toBe(200);
    expect(r.body.columnDefinitions.length).toBeGreaterThanOrEqual(2);
    expect(r.body.rows.length).toBeGreaterThan(0);
    expect(r.body.rows[0].cells).toHaveLength(r.body.columnDefinitions.length);
    expect(r.body.columnDefinitions[0].name).toBe('Name');
    expect(r.body.metadata.resourceVersion).toBeTruthy();
  });

  it('answers 406 for a Table of a kind that has no metadata (SelfSubjectAccessReview)', async () => {
    const r = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/', verb: 'get' } } }, 'application/json', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(r.status).toBe(406);
    expect(r.body).toMatchObject({ kind: 'Status', code: 406, reason: 'NotAcceptable' });
    // With plain JSON offered after the Table, the JSON answer is given.
    const fallback = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: { nonResourceAttributes: { path: '/', verb: 'get' } } }, 'application/json', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(fallback.status).toBe(201);
    expect(fallback.body).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
    // TokenRequest has no table conversion either.
    const ns = await newNamespace('table-token');
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'sa' } } });
    const token = await call('POST', `/api/v1/namespaces/${ns}/serviceaccounts/sa/token`, { spec: {} }, 'application/json', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(token.status).toBe(406);
  });
});

describe('namespaces (apimachinery/namespace.go)', () => {
  it('removes all pods and services when a namespace is deleted', async () => {
    const ns = await newNamespace('nsdeletetest');
    await c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'test-pod' }, spec: { containers: [{ name: 'nginx', image: 'pause' }] } } });
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'test-service' }, spec: { selector: { foo: 'bar' }, ports: [{ port: 80, targetPort: 80 }] } } });
    await c.core.deleteNamespace({ name: ns });
    const terminating = await c.core.readNamespace({ name: ns }).catch(() => undefined);
    if (terminating) expect(terminating.status?.phase).toBe('Terminating');
    await waitFor(async () => (await apiFailure(c.core.readNamespace({ name: ns }))).code === 404, { timeoutMs: 30_000, message: `namespace ${ns} gone` });
    // Recreated under the same name, it is empty.
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    expect((await c.core.listNamespacedPod({ namespace: ns })).items).toEqual([]);
    expect((await c.core.listNamespacedService({ namespace: ns })).items).toEqual([]);
  });

  it('patches a Namespace', async () => {
    const ns = await newNamespace('nspatchtest');
    const before = await c.core.readNamespace({ name: ns });
    const patched = await c.core.patchNamespace({ name: ns, body: { metadata: { labels: { testLabel: 'testValue' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    expect(rv(patched)).toBeGreaterThan(rv(before));
    expect((await c.core.readNamespace({ name: ns })).metadata?.labels).toMatchObject({ testLabel: 'testValue' });
  });

  it('applies changes to a namespace status through /status', async () => {
    const ns = await newNamespace('nsstatus');
    const read = await call('GET', `/api/v1/namespaces/${ns}/status`);
    expect(read.status).toBe(200);
    expect(read.body.status.phase).toBe('Active');
    const condition = { type: 'StatusPatch', status: 'True', reason: 'E2E', message: 'Patched by an e2e test' };
    const patched = await call('PATCH', `/api/v1/namespaces/${ns}/status`, { metadata: { annotations: { 'e2e-patched-ns-status': ns } }, status: { conditions: [condition] } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.annotations['e2e-patched-ns-status']).toBe(ns);
    expect(patched.body.status.conditions.at(-1)).toMatchObject({ reason: 'E2E', message: 'Patched by an e2e test' });
    const current = (await call('GET', `/api/v1/namespaces/${ns}/status`)).body;
    current.status.conditions.push({ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Updated by an e2e test' });
    const updated = await c.core.replaceNamespaceStatus({ name: ns, body: current });
    expect(updated.status?.conditions?.at(-1)).toMatchObject({ type: 'StatusUpdate', message: 'Updated by an e2e test' });
    expect(updated.status?.phase).toBe('Active');
  });

  it('applies an update to a Namespace', async () => {
    const ns = await newNamespace('nsupdate');
    const got = await c.core.readNamespace({ name: ns });
    got.metadata!.labels = { ...(got.metadata?.labels ?? {}), [ns]: 'updated' };
    const updated = await c.core.replaceNamespace({ name: ns, body: got });
    expect(updated.metadata?.labels).toMatchObject({ [ns]: 'updated' });
  });

  it('applies and removes a finalizer through /finalize', async () => {
    const ns = await newNamespace('e2e-ns-fin');
    const fake = 'e2e.example.com/fakeFinalizer';
    const got = await c.core.readNamespace({ name: ns });
    got.spec = { finalizers: [...(got.spec?.finalizers ?? []), fake] };
    const added = await c.core.replaceNamespaceFinalize({ name: ns, body: got });
    expect(added.spec?.finalizers).toContain(fake);
    expect((await c.core.readNamespace({ name: ns })).spec?.finalizers).toContain(fake);
    const again = await c.core.readNamespace({ name: ns });
    again.spec = { finalizers: (again.spec?.finalizers ?? []).filter((f) => f !== fake) };
    const removed = await c.core.replaceNamespaceFinalize({ name: ns, body: again });
    expect(removed.spec?.finalizers ?? []).not.toContain(fake);
    expect(removed.spec?.finalizers).toContain('kubernetes');
  });
});

describe('garbage collector (apimachinery/garbage_collector.go)', () => {
  // Upstream's owners are ReplicationControllers and Deployments with their pods and
  // ReplicaSets; everynode stores RCs and ReplicaSets but runs neither, so ConfigMaps play the
  // owners and unscheduled Pods and ConfigMaps the dependents: the collector works on
  // ownerReferences, whatever the kinds.
  const owner = async (ns: string, name: string): Promise<k8s.V1OwnerReference & { uid: string }> => {
    const cm = await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    return { apiVersion: 'v1', kind: 'ConfigMap', name, uid: cm.metadata!.uid! };
  };
  const pod = (ns: string, name: string, refs: k8s.V1OwnerReference[], finalizers?: string[]) =>
    c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name, ownerReferences: refs, ...(finalizers ? { finalizers } : {}) }, spec: { containers: [{ name: 'c', image: 'pause' }] } } });
  const podNames = async (ns: string): Promise<string[]> => (await c.core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata!.name!).sort();
  const cmGone = async (ns: string, name: string): Promise<boolean> => (await call('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`)).status === 404;

  it('deletes the dependents when not orphaning (background)', async () => {
    const ns = await newNamespace('gc-background');
    const ref = await owner(ns, 'simpletest.rc');
    for (let i = 0; i < 3; i++) await pod(ns, `simpletest.rc-${i}`, [{ ...ref, controller: true, blockOwnerDeletion: true }]);
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: ref.name, propagationPolicy: 'Background' });
    await waitFor(async () => (await podNames(ns)).length === 0, { message: 'the dependents deleted' });
  });

  it('orphans the dependents when propagationPolicy is Orphan, dropping their reference to the owner', async () => {
    const ns = await newNamespace('gc-orphan');
    const ref = await owner(ns, 'simpletest.rc');
    for (let i = 0; i < 3; i++) await pod(ns, `simpletest.rc-${i}`, [{ ...ref, controller: true, blockOwnerDeletion: true }]);
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: ref.name, propagationPolicy: 'Orphan' });
    await waitFor(() => cmGone(ns, ref.name), { message: 'the owner deleted' });
    const pods = (await c.core.listNamespacedPod({ namespace: ns })).items;
    expect(pods.map((p) => p.metadata!.name).sort()).toEqual(['simpletest.rc-0', 'simpletest.rc-1', 'simpletest.rc-2']);
    for (const p of pods) expect(p.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('keeps the owner (foreground) until every blocking dependent is deleted', async () => {
    const ns = await newNamespace('gc-foreground');
    const ref = await owner(ns, 'simpletest.rc');
    await pod(ns, 'held', [{ ...ref, blockOwnerDeletion: true }], ['e2e.example.com/hold']);
    await pod(ns, 'free', [{ ...ref, blockOwnerDeletion: true }]);
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: ref.name, propagationPolicy: 'Foreground' });
    const waiting = await c.core.readNamespacedConfigMap({ namespace: ns, name: ref.name });
    expect(waiting.metadata?.deletionTimestamp).toBeTruthy();
    expect(waiting.metadata?.finalizers).toContain('foregroundDeletion');
    await waitFor(async () => {
      const names = await podNames(ns);
      return names.length === 1 && names[0] === 'held';
    }, { message: 'the free dependent deleted' });
    const held = await c.core.readNamespacedPod({ namespace: ns, name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeTruthy();
    expect(await cmGone(ns, ref.name)).toBe(false);
    await c.core.patchNamespacedPod({ namespace: ns, name: 'held', body: { metadata: { finalizers: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor(() => cmGone(ns, ref.name), { message: 'the owner deleted after its last dependent' });
  });

  it('does not delete dependents that also have a valid owner when the other owner waits for its dependents', async () => {
    const ns = await newNamespace('gc-two-owners');
    const toDelete = await owner(ns, 'simpletest-rc-to-be-deleted');
    const toStay = await owner(ns, 'simpletest-rc-to-stay');
    for (let i = 0; i < 4; i++) {
      const refs = [{ ...toDelete, controller: true, blockOwnerDeletion: true }];
      // Half of them also belong to the owner that stays.
      await pod(ns, `pod-${i}`, i % 2 === 0 ? [...refs, { ...toStay }] : refs);
    }
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: toDelete.name, propagationPolicy: 'Foreground' });
    await waitFor(() => cmGone(ns, toDelete.name), { message: 'the foreground owner deleted' });
    await waitFor(async () => (await podNames(ns)).join() === 'pod-0,pod-2', { message: 'only the pods with a valid owner left' });
    for (const name of ['pod-0', 'pod-2']) {
      const p = await c.core.readNamespacedPod({ namespace: ns, name });
      expect(p.metadata?.deletionTimestamp).toBeUndefined();
      expect(p.metadata?.ownerReferences?.map((r) => r.uid)).toEqual([toStay.uid]);
    }
  });

  it('is not blocked by a dependency circle', async () => {
    const ns = await newNamespace('gc-circle');
    const create = async (name: string, refs: k8s.V1OwnerReference[]) => (await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, ownerReferences: refs } } })).metadata!;
    const m1 = await create('pod1', []);
    const m2 = await create('pod2', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'pod1', uid: m1.uid!, blockOwnerDeletion: true, controller: true }]);
    const m3 = await create('pod3', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'pod2', uid: m2.uid!, blockOwnerDeletion: true, controller: true }]);
    await c.core.patchNamespacedConfigMap(
      { namespace: ns, name: 'pod1', body: { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'pod3', uid: m3.uid!, blockOwnerDeletion: true, controller: true }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: 'pod1', propagationPolicy: 'Foreground' });
    await waitFor(async () => {
      const left = (await c.core.listNamespacedConfigMap({ namespace: ns })).items.map((i) => i.metadata!.name).filter((n) => n !== 'kube-root-ca.crt');
      return left.length === 0;
    }, { timeoutMs: 30_000, message: 'all three objects of the circle deleted' });
  });
});

describe('scale subresources of the replicated kinds, stored but not run (apps/deployment.go, replica_set.go, rc.go)', () => {
  const template = { metadata: { labels: { name: 'sample-pod', pod: 'httpd' } }, spec: { containers: [{ name: 'httpd', image: 'httpd' }] } };
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  it('a ReplicaSet\'s Scale reads and writes spec.replicas and gives the selector as a string', async () => {
    const ns = await newNamespace('rs-scale');
    const selector = { matchLabels: { name: 'sample-pod' }, matchExpressions: [{ key: 'pod', operator: 'In', values: ['httpd', 'apache'] }] };
    await c.apps.createNamespacedReplicaSet({ namespace: ns, body: { metadata: { name: 'test-rs' }, spec: { replicas: 1, selector, template } } });
    const scale = await c.apps.readNamespacedReplicaSetScale({ namespace: ns, name: 'test-rs' });
    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status).toEqual({ replicas: 0, selector: 'name=sample-pod,pod in (apache,httpd)' });
    scale.spec = { replicas: 2 };
    expect((await c.apps.replaceNamespacedReplicaSetScale({ namespace: ns, name: 'test-rs', body: scale })).spec?.replicas).toBe(2);
    await c.apps.patchNamespacedReplicaSetScale({ namespace: ns, name: 'test-rs', body: { spec: { replicas: 4 } } }, merge);
    const rs = await c.apps.readNamespacedReplicaSet({ namespace: ns, name: 'test-rs' });
    expect([rs.spec?.replicas, rs.metadata?.generation, rs.status?.replicas]).toEqual([4, 3, 0]);
    // A negative count is the Scale's error; the ReplicaSet keeps its replicas.
    const bad = await call('PATCH', `/apis/apps/v1/namespaces/${ns}/replicasets/test-rs/scale`, { spec: { replicas: -1 } }, 'application/merge-patch+json');
    expect([bad.status, bad.body.reason]).toEqual([422, 'Invalid']);
    expect((await c.apps.readNamespacedReplicaSet({ namespace: ns, name: 'test-rs' })).spec?.replicas).toBe(4);
  });

  it('a ReplicationController\'s Scale gives its label map as a selector string; a Deployment\'s scales as a ReplicaSet\'s', async () => {
    const ns = await newNamespace('rc-scale');
    const rc = await c.core.createNamespacedReplicationController({ namespace: ns, body: { metadata: { name: 'rc-test' }, spec: { replicas: 1, template } } });
    expect(rc.spec?.selector).toEqual({ name: 'sample-pod', pod: 'httpd' });
    const scale = await c.core.readNamespacedReplicationControllerScale({ namespace: ns, name: 'rc-test' });
    expect(scale.status).toEqual({ replicas: 0, selector: 'name=sample-pod,pod=httpd' });
    scale.spec = { replicas: 2 };
    await c.core.replaceNamespacedReplicationControllerScale({ namespace: ns, name: 'rc-test', body: scale });
    expect((await c.core.readNamespacedReplicationController({ namespace: ns, name: 'rc-test' })).spec?.replicas).toBe(2);

    await c.apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'test-deployment' }, spec: { replicas: 1, selector: { matchLabels: template.metadata.labels }, template } } });
    const patched = await c.apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'test-deployment', body: { spec: { replicas: 3 } } }, merge);
    expect(patched.status?.selector).toBe('name=sample-pod,pod=httpd');
    expect((await c.apps.readNamespacedDeployment({ namespace: ns, name: 'test-deployment' })).spec?.replicas).toBe(3);
  });
});

describe('ConfigMaps and Secrets (common/node/configmap.go, secrets.go)', () => {
  it('fails to create a ConfigMap or a Secret with an empty key', async () => {
    const ns = await newNamespace('cm-empty-key');
    const cm = await apiFailure(c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'configmap-test-emptykey' }, data: { '': 'value-1' } } }));
    expect(cm.code).toBe(422);
    expect(cm.status?.reason).toBe('Invalid');
    expect(cm.status?.details?.causes?.[0]?.field).toBe('data[]');
    const secret = await apiFailure(c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'secret-emptykey-test' }, data: { '': Buffer.from('value-1').toString('base64') } } }));
    expect(secret.code).toBe(422);
    expect(secret.status?.reason).toBe('Invalid');
  });

  it('runs a ConfigMap through its lifecycle: create, get, patch, list across namespaces by label, delete the collection', async () => {
    const ns = await newNamespace('cm-lifecycle');
    const name = 'e2e-configmap-lifecycle';
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { 'test-configmap-static': 'true' } }, data: { valueName: 'value' } } });
    expect((await c.core.readNamespacedConfigMap({ namespace: ns, name })).data).toEqual({ valueName: 'value' });
    await c.core.patchNamespacedConfigMap(
      { namespace: ns, name, body: { metadata: { labels: { 'test-configmap': 'patched' } }, data: { valueName: 'value1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const all = await c.core.listConfigMapForAllNamespaces({ labelSelector: 'test-configmap-static=true' });
    const found = all.items.find((i) => i.metadata?.name === name && i.metadata.namespace === ns);
    expect(found?.data).toEqual({ valueName: 'value1' });
    expect(found?.metadata?.labels).toEqual({ 'test-configmap-static': 'true', 'test-configmap': 'patched' });
    await c.core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'test-configmap-static=true' });
    expect((await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test-configmap-static=true' })).items).toEqual([]);
    // Only the labelled one went.
    expect((await c.core.listNamespacedConfigMap({ namespace: ns })).items.map((i) => i.metadata?.name)).toEqual(['kube-root-ca.crt']);
  });

  it('updates a ConfigMap', async () => {
    const ns = await newNamespace('cm-update');
    const cm = await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm-test-opt-upd' }, data: { 'data-1': 'value-1' } } });
    cm.data = { 'data-1': 'value-2' };
    const updated = await c.core.replaceNamespacedConfigMap({ namespace: ns, name: 'cm-test-opt-upd', body: cm });
    expect(updated.data).toEqual({ 'data-1': 'value-2' });
    expect(rv(updated)).toBeGreaterThan(rv(cm));
  });

  it('keeps an immutable ConfigMap and Secret immutable (configmap_volume.go, secrets_volume.go)', async () => {
    const ns = await newNamespace('immutable');
    const cm = await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'immutable' }, data: { a: '1' } } });
    cm.immutable = true;
    await c.core.replaceNamespacedConfigMap({ namespace: ns, name: 'immutable', body: cm });
    // Metadata may still change; data and immutable itself may not.
    await c.core.patchNamespacedConfigMap({ namespace: ns, name: 'immutable', body: { metadata: { labels: { l: 'v' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    for (const body of [{ data: { a: '2' } }, { immutable: false }]) {
      const f = await apiFailure(c.core.patchNamespacedConfigMap({ namespace: ns, name: 'immutable', body }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
      expect(f.code).toBe(422);
      expect(f.status?.reason).toBe('Invalid');
    }
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'immutable' }, immutable: true, data: { a: 'MQ==' } } });
    const s = await apiFailure(c.core.patchNamespacedSecret({ namespace: ns, name: 'immutable', body: { data: { a: 'Mg==' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
    expect(s.code).toBe(422);
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: 'immutable' });
    await c.core.deleteNamespacedSecret({ namespace: ns, name: 'immutable' });
  });

  it('patches a Secret and deletes the collection by label', async () => {
    const ns = await newNamespace('secret-patch');
    const name = 'test-secret';
    await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, labels: { testsecret: 'true' } }, data: { key: Buffer.from('value').toString('base64') }, type: 'Opaque' } });
    const listed = await c.core.listSecretForAllNamespaces({ labelSelector: 'testsecret=true' });
    expect(listed.items.some((s) => s.metadata?.name === name && s.metadata.namespace === ns)).toBe(true);
    await c.core.patchNamespacedSecret(
      { namespace: ns, name, body: { metadata: { labels: { testsecret: 'true' } }, data: { key: Buffer.from('value1').toString('base64') } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const got = await c.core.readNamespacedSecret({ namespace: ns, name });
    expect(Buffer.from(got.data!['key']!, 'base64').toString()).toBe('value1');
    await c.core.deleteCollectionNamespacedSecret({ namespace: ns, labelSelector: 'testsecret=true' });
    expect((await c.core.listSecretForAllNamespaces({ labelSelector: 'testsecret=true' })).items.filter((s) => s.metadata?.namespace === ns)).toEqual([]);
  });
});

describe('Leases (common/node/lease.go)', () => {
  it('runs a Lease through create, get, update, patch, list, delete collection and delete', async () => {
    const ns = await newNamespace('lease');
    const other = await newNamespace('lease-other');
    const micro = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const t0 = new Date(Date.now() - 1000);
    const lease = await c.coordination.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: 'lease', labels: { e2e: 'lease' } }, spec: { holderIdentity: 'holder', leaseDurationSeconds: 30, acquireTime: t0, renewTime: t0, leaseTransitions: 0 } },
    });
    const got = await c.coordination.readNamespacedLease({ namespace: ns, name: 'lease' });
    expect(got.spec?.holderIdentity).toBe('holder');
    // MicroTime goes over the wire with six fraction digits.
    const raw = (await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/lease`)).body;
    expect(raw.spec.renewTime).toBe(micro(t0));
    got.spec = { ...got.spec, holderIdentity: 'holder2', leaseTransitions: 1, renewTime: new Date() };
    const updated = await c.coordination.replaceNamespacedLease({ namespace: ns, name: 'lease', body: got });
    expect(updated.spec?.holderIdentity).toBe('holder2');
    expect(rv(updated)).toBeGreaterThan(rv(lease));
    const merged = await c.coordination.patchNamespacedLease(
      { namespace: ns, name: 'lease', body: { spec: { holderIdentity: 'holder3', leaseTransitions: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.spec).toMatchObject({ holderIdentity: 'holder3', leaseTransitions: 2, leaseDurationSeconds: 30 });
    const strategic = await c.coordination.patchNamespacedLease(
      { namespace: ns, name: 'lease', body: { spec: { leaseDurationSeconds: 60 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec).toMatchObject({ holderIdentity: 'holder3', leaseDurationSeconds: 60 });
    await c.coordination.createNamespacedLease({ namespace: other, body: { metadata: { name: 'lease2', labels: { e2e: 'lease' } }, spec: { holderIdentity: 'h' } } });
    const listed = await c.coordination.listLeaseForAllNamespaces({ labelSelector: 'e2e=lease' });
    expect(listed.items.map((l) => `${l.metadata?.namespace}/${l.metadata?.name}`).sort()).toEqual([`${ns}/lease`, `${other}/lease2`]);
    await c.coordination.deleteCollectionNamespacedLease({ namespace: other, labelSelector: 'e2e=lease' });
    expect((await c.coordination.listLeaseForAllNamespaces({ labelSelector: 'e2e=lease' })).items.map((l) => l.metadata?.name)).toEqual(['lease']);
    await c.coordination.deleteNamespacedLease({ namespace: ns, name: 'lease' });
    expect((await apiFailure(c.coordination.readNamespacedLease({ namespace: ns, name: 'lease' }))).code).toBe(404);
  });
});

describe('Events (instrumentation/core_events.go, events.go)', () => {
  const involved = (ns: string) => ({ kind: 'Pod', namespace: ns, name: 'event-test-pod', apiVersion: 'v1' });

  it('fetches, patches, deletes and lists a core v1 event', async () => {
    const ns = await newNamespace('events-core');
    const now = new Date();
    await c.core.createNamespacedEvent({
      namespace: ns,
      body: { metadata: { name: 'event-test', labels: { testevent: 'true' } }, involvedObject: involved(ns), reason: 'Test', message: 'This is a test event', type: 'Normal', count: 1, source: { component: 'e2e' }, firstTimestamp: now, lastTimestamp: now },
    });
    const all = await c.core.listEventForAllNamespaces({ labelSelector: 'testevent=true' });
    expect(all.items.filter((e) => e.metadata?.namespace === ns).map((e) => e.metadata?.name)).toEqual(['event-test']);
    await c.core.patchNamespacedEvent({ namespace: ns, name: 'event-test', body: { message: 'This is a test event - patched' } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    const got = await c.core.readNamespacedEvent({ namespace: ns, name: 'event-test' });
    expect(got.message).toBe('This is a test event - patched');
    got.series = { count: 100, lastObservedTime: new Date() };
    const updated = await c.core.replaceNamespacedEvent({ namespace: ns, name: 'event-test', body: got });
    expect(updated.series?.count).toBe(100);
    await c.core.deleteNamespacedEvent({ namespace: ns, name: 'event-test' });
    expect((await c.core.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=true' })).items).toEqual([]);
  });

  it('deletes a collection of core v1 events by label', async () => {
    const ns = await newNamespace('events-collection');
    for (const n of ['one', 'two', 'three']) {
      await c.core.createNamespacedEvent({ namespace: ns, body: { metadata: { name: `event-${n}`, labels: { testevent: 'set' } }, involvedObject: involved(ns), reason: 'Test', message: n, type: 'Normal' } });
    }
    await c.core.createNamespacedEvent({ namespace: ns, body: { metadata: { name: 'event-other' }, involvedObject: involved(ns), reason: 'Test', message: 'other', type: 'Normal' } });
    expect((await c.core.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' })).items).toHaveLength(3);
    await c.core.deleteCollectionNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' });
    expect((await c.core.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' })).items).toEqual([]);
    expect((await c.core.listNamespacedEvent({ namespace: ns })).items.map((e) => e.metadata?.name)).toEqual(['event-other']);
  });

  const newEvent = (ns: string, name: string, labels: Record<string, string>): k8s.EventsV1Event => ({
    metadata: { name, labels },
    eventTime: new Date(),
    regarding: involved(ns),
    reason: 'Test',
    note: 'This is a test event',
    type: 'Normal',
    action: 'Do',
    reportingController: 'test-controller',
    reportingInstance: 'test-node',
  });

  it('fetches, patches, updates, deletes and lists an events.k8s.io/v1 event', async () => {
    const ns = await newNamespace('events-v1');
    await events.createNamespacedEvent({ namespace: ns, body: newEvent(ns, 'event-test', { testevent: 'true' }) });
    const listed = await events.listEventForAllNamespaces({ labelSelector: 'testevent=true' });
    expect(listed.items.filter((e) => e.metadata?.namespace === ns).map((e) => e.metadata?.name)).toEqual(['event-test']);
    const patched = await events.patchNamespacedEvent(
      { namespace: ns, name: 'event-test', body: { metadata: { labels: { testevent: 'true', patched: 'yes' } }, series: { count: 2, lastObservedTime: new Date() } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.labels?.['patched']).toBe('yes');
    expect(patched.series?.count).toBe(2);
    const got = await events.readNamespacedEvent({ namespace: ns, name: 'event-test' });
    got.series = { count: 100, lastObservedTime: new Date() };
    const updated = await events.replaceNamespacedEvent({ namespace: ns, name: 'event-test', body: got });
    expect(updated.series?.count).toBe(100);
    // The same object, read through core v1.
    expect((await c.core.readNamespacedEvent({ namespace: ns, name: 'event-test' })).message).toBe('This is a test event');
    await events.deleteNamespacedEvent({ namespace: ns, name: 'event-test' });
    expect((await events.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=true' })).items).toEqual([]);
  });

  it('deletes a collection of events.k8s.io/v1 events by label', async () => {
    const ns = await newNamespace('events-v1-collection');
    for (const n of ['one', 'two', 'three']) await events.createNamespacedEvent({ namespace: ns, body: newEvent(ns, `event-${n}`, { testevent: 'set' }) });
    expect((await events.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' })).items).toHaveLength(3);
    await events.deleteCollectionNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' });
    expect((await events.listNamespacedEvent({ namespace: ns, labelSelector: 'testevent=set' })).items).toEqual([]);
  });
});

describe('ServiceAccounts (auth/service_accounts.go)', () => {
  it('runs a ServiceAccount through its lifecycle, watched: create, patch, list by label, delete the collection', async () => {
    const ns = await newNamespace('sa-lifecycle');
    const path = `/api/v1/namespaces/${ns}/serviceaccounts`;
    const w = await openWireWatch(cleanup, ts.server.url, `${path}?watch=true&labelSelector=test-serviceaccount-static%3Dtrue`);
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'testserviceaccount', labels: { 'test-serviceaccount-static': 'true' } } } });
    const patched = await c.core.patchNamespacedServiceAccount(
      { namespace: ns, name: 'testserviceaccount', body: { automountServiceAccountToken: false } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.automountServiceAccountToken).toBe(false);
    const listed = await c.core.listServiceAccountForAllNamespaces({ labelSelector: 'test-serviceaccount-static=true' });
    expect(listed.items.filter((s) => s.metadata?.namespace === ns).map((s) => s.metadata?.name)).toEqual(['testserviceaccount']);
    await c.core.deleteCollectionNamespacedServiceAccount({ namespace: ns, labelSelector: 'test-serviceaccount-static=true' });
    const evs = await watchUntil(w, 3, 'the ServiceAccount watch');
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect((evs[1]!.object as { automountServiceAccountToken?: boolean }).automountServiceAccountToken).toBe(false);
  });

  it('updates a ServiceAccount', async () => {
    const ns = await newNamespace('sa-update');
    const sa = await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'e2e-sa' } } });
    sa.automountServiceAccountToken = true;
    const updated = await c.core.replaceNamespacedServiceAccount({ namespace: ns, name: 'e2e-sa', body: sa });
    expect(updated.automountServiceAccountToken).toBe(true);
  });

  it('guarantees kube-root-ca.crt in every namespace: created, recreated when deleted, reconciled when changed', async () => {
    const ns = await newNamespace('root-ca');
    const read = () => c.core.readNamespacedConfigMap({ namespace: ns, name: 'kube-root-ca.crt' });
    const first = await waitFor(() => read().catch(() => undefined), { message: 'kube-root-ca.crt published' });
    expect(first.data?.['ca.crt']).toBe(ts.caPem);
    await c.core.deleteNamespacedConfigMap({ namespace: ns, name: 'kube-root-ca.crt' });
    await waitFor(async () => (await read().catch(() => undefined))?.data?.['ca.crt'] === ts.caPem, { message: 'kube-root-ca.crt recreated' });
    await c.core.patchNamespacedConfigMap({ namespace: ns, name: 'kube-root-ca.crt', body: { data: { 'ca.crt': 'changed' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor(async () => (await read()).data?.['ca.crt'] === ts.caPem, { message: 'kube-root-ca.crt reconciled' });
  });

  it('issues a token through TokenRequest that a TokenReview authenticates', async () => {
    const ns = await newNamespace('sa-token');
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'e2e-sa' } } });
    const tr = await c.core.createNamespacedServiceAccountToken({ namespace: ns, name: 'e2e-sa', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const token = tr.status?.token;
    expect(token).toBeTruthy();
    expect(tr.status?.expirationTimestamp).toBeInstanceOf(Date);
    const authn = c.kc.makeApiClient(k8s.AuthenticationV1Api);
    const review = await authn.createTokenReview({ body: { spec: { token: token! } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns}:e2e-sa`);
    expect(review.status?.user?.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']));
    const bogus = await authn.createTokenReview({ body: { spec: { token: `${token}x` } } });
    expect(bogus.status?.authenticated).toBeFalsy();
  });
});
