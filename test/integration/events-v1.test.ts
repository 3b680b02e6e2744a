// events.k8s.io/v1 Events: the same objects as core v1 Events, through the newer events API (as
// upstream serves one Event type through both groups). A real server over HTTPS; the real
// @kubernetes/client-node EventsV1Api and CoreV1Api, and kubectl when it is on PATH.
// Shown: an event written through either API is read through both, field by field; creates
// through events.k8s.io/v1 are validated as upstream validates them (eventTime, the reporting
// controller, no deprecated fields); a series patch as client-go's events recorder sends it;
// what happened is immutable; watches and field selectors in the new names; discovery, tables
// and the OpenAPI document.

import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { apiCaller, apiFailure, Cleanup, httpRequest, kubectlAvailable, makeTempDir, runKubectl, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let ts: TestServer;
let kc: k8s.KubeConfig;
let eventsApi: k8s.EventsV1Api;
let coreApi: k8s.CoreV1Api;
const NS = 'default';

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(ts.server.kubeconfigPath);
  eventsApi = kc.makeApiClient(k8s.EventsV1Api);
  coreApi = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(() => cleanup.run());

const now = (): Date => new Date(Math.floor(Date.now() / 1000) * 1000);

function newEvent(name: string, over: Partial<k8s.EventsV1Event> = {}): k8s.EventsV1Event {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: NS },
    eventTime: now() as never,
    reportingController: 'example.com/tester',
    reportingInstance: 'tester-1',
    action: 'Probe',
    reason: 'Probed',
    regarding: { kind: 'Pod', namespace: NS, name: 'web-1', apiVersion: 'v1', uid: 'u-1' },
    note: 'probe ok',
    type: 'Normal',
    ...over,
  };
}

const call = apiCaller(() => ts.server.url);
/** A raw request with the admin token (for exact wire checks). */
async function raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const a = await call(method, path, body, contentType);
  return { status: a.status, json: a.body };
}

describe('events.k8s.io/v1 Events', () => {
  it('serve an event written through core v1 in the new shape, field by field', async () => {
    await coreApi.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: 'legacy.1', namespace: NS },
        involvedObject: { kind: 'Node', name: 'n1', uid: 'n-1' },
        reason: 'Rebooted',
        message: 'node n1 rebooted',
        source: { component: 'kubelet', host: 'n1' },
        firstTimestamp: new Date('2026-01-01T00:00:00Z'),
        lastTimestamp: new Date('2026-01-01T00:01:00Z'),
        count: 3,
        type: 'Warning',
      },
    });
    const ev = await eventsApi.readNamespacedEvent({ namespace: NS, name: 'legacy.1' });
    expect(ev.apiVersion).toBe('events.k8s.io/v1');
    expect(ev.regarding).toMatchObject({ kind: 'Node', name: 'n1', uid: 'n-1' });
    expect(ev.note).toBe('node n1 rebooted');
    expect(ev.reason).toBe('Rebooted');
    expect(ev.type).toBe('Warning');
    expect(ev.deprecatedSource).toEqual({ component: 'kubelet', host: 'n1' });
    expect(ev.deprecatedCount).toBe(3);
    expect(new Date(ev.deprecatedFirstTimestamp as unknown as string).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // Exactly the new names on the wire, none of the core ones.
    const wire = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events/legacy.1`)).json;
    expect(Object.keys(wire)).toEqual(expect.arrayContaining(['regarding', 'note', 'deprecatedSource', 'deprecatedCount', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp']));
    for (const core of ['involvedObject', 'message', 'source', 'count', 'firstTimestamp', 'lastTimestamp']) expect(wire).not.toHaveProperty(core);
    // Listed too, with the list's kind and version.
    const list = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events`)).json;
    expect(list).toMatchObject({ kind: 'EventList', apiVersion: 'events.k8s.io/v1' });
    expect(list.items.find((i: KubeObject) => i.metadata.name === 'legacy.1')).toMatchObject({ note: 'node n1 rebooted', deprecatedCount: 3 });
  });

  it('store an event created through events.k8s.io/v1 for core v1 readers', async () => {
    const created = await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('new.1') });
    expect(created.reportingController).toBe('example.com/tester');
    expect(created.metadata?.uid).toBeTruthy();
    const core = await coreApi.readNamespacedEvent({ namespace: NS, name: 'new.1' });
    expect(core.involvedObject).toMatchObject({ kind: 'Pod', name: 'web-1' });
    expect(core.message).toBe('probe ok');
    expect(core.reportingComponent).toBe('example.com/tester');
    expect(core.reportingInstance).toBe('tester-1');
    expect(core.action).toBe('Probe');
    expect(core.metadata.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(core.metadata.uid).toBe(created.metadata?.uid);
  });

  it('validate creates as upstream does for events.k8s.io/v1', async () => {
    const fails = async (body: unknown): Promise<{ code: number; reason?: string; causes: string[] }> => {
      const f = await apiFailure(eventsApi.createNamespacedEvent({ namespace: NS, body: body as k8s.EventsV1Event }));
      const st = f.status as { reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } };
      return { code: f.code, reason: st.reason, causes: (st.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`) };
    };
    const noTime = await fails({ ...newEvent('bad.1'), eventTime: undefined });
    expect(noTime.code).toBe(422);
    expect(noTime.reason).toBe('Invalid');
    expect(noTime.causes).toContain('eventTime: Required value');
    const legacyFields = await fails({ ...newEvent('bad.2'), deprecatedCount: 2, deprecatedSource: { component: 'x' } });
    // Reported by the core names, as upstream (it validates its one internal type).
    expect(legacyFields.causes).toEqual(expect.arrayContaining(['count: Invalid value: "": needs to be unset', 'source: Invalid value: "": needs to be unset']));
    const badName = await fails({ ...newEvent('Bad_Name'), metadata: { name: 'Bad_Name', namespace: NS, labels: { 'bad key!': 'v' } } });
    expect(badName.causes).toEqual(expect.arrayContaining([expect.stringMatching(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/), expect.stringMatching(/^metadata\.labels: Invalid value: "bad key!"/)]));
    // Go clients send zero values of what they leave unset: the same as absent.
    const zero = await eventsApi.createNamespacedEvent({ namespace: NS, body: { ...newEvent('zero.1'), deprecatedSource: {}, deprecatedCount: 0 } });
    expect(zero.metadata?.name).toBe('zero.1');
    const noController = await fails({ ...newEvent('bad.3'), reportingController: undefined, action: undefined });
    expect(noController.causes).toEqual(expect.arrayContaining(['reportingController: Required value', 'action: Required value']));
    const series = await fails({ ...newEvent('bad.4'), series: { count: 1, lastObservedTime: now() } });
    expect(series.causes).toContain('series.count: Invalid value: "": should be at least 2');
    const type = await fails({ ...newEvent('bad.5'), type: 'Odd' });
    expect(type.causes).toContain('type: Invalid value: "": has invalid value: Odd');
    // Nothing was stored by the refused creates.
    const names = (await coreApi.listNamespacedEvent({ namespace: NS })).items.map((e) => e.metadata.name);
    for (const n of ['bad.1', 'bad.2', 'bad.3', 'bad.4', 'bad.5', 'Bad_Name']) expect(names).not.toContain(n);
  });

  it('take a series patch as client-go sends it, and keep what happened immutable', async () => {
    await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('series.1') });
    const lastObserved = new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, '.000000Z');
    // client-go's events recorder: a strategic merge patch of series (and nothing else).
    const patched = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`, { series: { count: 2, lastObservedTime: lastObserved } }, 'application/strategic-merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.json.series).toEqual({ count: 2, lastObservedTime: lastObserved });
    expect(patched.json.apiVersion).toBe('events.k8s.io/v1');
    expect((await coreApi.readNamespacedEvent({ namespace: NS, name: 'series.1' })).series?.count).toBe(2);
    // A merge patch in the new names reaches the core fields.
    const labelled = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`, { metadata: { labels: { seen: 'yes' } } }, 'application/merge-patch+json');
    expect(labelled.status).toBe(200);
    expect((await coreApi.readNamespacedEvent({ namespace: NS, name: 'series.1' })).metadata.labels).toEqual({ seen: 'yes' });
    const rewrite = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`, { note: 'something else' }, 'application/merge-patch+json');
    expect(rewrite.status).toBe(422);
    expect(rewrite.json.details.causes).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "something else": field is immutable', field: 'message' }]);
    expect((await coreApi.readNamespacedEvent({ namespace: NS, name: 'series.1' })).message).toBe('probe ok');
    // A whole update as a Go client sends it (zero values for what is unset) changes nothing it may not.
    const cur = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`)).json;
    const put = await raw('PUT', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`, { ...cur, deprecatedSource: {}, deprecatedCount: 0, metadata: { ...cur.metadata, annotations: { put: 'yes' } } });
    expect(put.status).toBe(200);
    expect(put.json.metadata.annotations).toEqual({ put: 'yes' });
    const badLabel = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/series.1`, { metadata: { labels: { 'bad key!': 'v' } } }, 'application/merge-patch+json');
    expect(badLabel.status).toBe(422);
  });

  it('take a server-side apply in the new shape', async () => {
    const body = { ...newEvent('applied.1'), eventTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z') };
    const applied = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/applied.1?fieldManager=tester`, body, 'application/apply-patch+yaml');
    expect(applied.status).toBe(201);
    expect(applied.json).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'probe ok' });
    expect(applied.json.metadata.managedFields[0]).toMatchObject({ manager: 'tester', operation: 'Apply', apiVersion: 'events.k8s.io/v1' });
    expect((await coreApi.readNamespacedEvent({ namespace: NS, name: 'applied.1' })).message).toBe('probe ok');
    // The same configuration again changes nothing.
    const again = await raw('PATCH', `/apis/events.k8s.io/v1/namespaces/${NS}/events/applied.1?fieldManager=tester`, body, 'application/apply-patch+yaml');
    expect(again.status).toBe(200);
    expect(again.json.metadata.resourceVersion).toBe(applied.json.metadata.resourceVersion);
  });

  it('watch in the new shape, with field selectors in the new names', async () => {
    const list = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events?limit=1`)).json;
    const seen: Array<{ type: string; obj: Record<string, unknown> }> = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
      { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'regarding.name=watched-pod,reportingController=example.com/tester' },
      (type, obj) => seen.push({ type, obj }),
      () => undefined,
    );
    try {
      await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('w.other', { regarding: { kind: 'Pod', namespace: NS, name: 'other-pod' } }) });
      await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('w.1', { regarding: { kind: 'Pod', namespace: NS, name: 'watched-pod' } }) });
      await coreApi.deleteNamespacedEvent({ namespace: NS, name: 'w.1' });
      await waitFor(() => seen.length >= 2, { timeoutMs: 10_000, message: `ADDED and DELETED of w.1; seen ${JSON.stringify(seen)}` });
      expect(seen.map((s) => `${s.type} ${(s.obj.metadata as { name: string }).name}`)).toEqual(['ADDED w.1', 'DELETED w.1']);
      expect(seen[0]!.obj).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', note: 'probe ok', regarding: { name: 'watched-pod' } });
      expect(seen[0]!.obj).not.toHaveProperty('involvedObject');
    } finally {
      req.abort();
    }
    const bySource = (await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events?fieldSelector=source%3Dkubelet`)).json;
    expect(bySource.items.map((i: KubeObject) => i.metadata.name)).toEqual(['legacy.1']);
    const bad = await raw('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('field label not supported: involvedObject.name');
  });

  it('delete through either API', async () => {
    await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('gone.1') });
    await eventsApi.deleteNamespacedEvent({ namespace: NS, name: 'gone.1' });
    expect((await apiFailure(coreApi.readNamespacedEvent({ namespace: NS, name: 'gone.1' }))).code).toBe(404);
    await eventsApi.createNamespacedEvent({ namespace: NS, body: newEvent('gone.2', { reason: 'Sweep' }) });
    const swept = (await raw('DELETE', `/apis/events.k8s.io/v1/namespaces/${NS}/events?fieldSelector=reason%3DSweep`)).json;
    expect(swept).toMatchObject({ kind: 'EventList', apiVersion: 'events.k8s.io/v1' });
    expect(swept.items.map((i: KubeObject) => i.metadata.name)).toEqual(['gone.2']);
    expect(swept.items[0]).toHaveProperty('note');
    expect((await apiFailure(eventsApi.readNamespacedEvent({ namespace: NS, name: 'gone.2' }))).code).toBe(404);
  });

  it('are in discovery and the OpenAPI document, and print as core Events do', async () => {
    const rl = (await raw('GET', '/apis/events.k8s.io/v1')).json;
    expect(rl.resources.find((r: { name: string }) => r.name === 'events')).toMatchObject({ kind: 'Event', namespaced: true, shortNames: ['ev'] });
    const groups = (await raw('GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    expect(groups).toContain('events.k8s.io');
    const oa = (await raw('GET', '/openapi/v3/apis/events.k8s.io/v1')).json;
    const schema = oa.components.schemas['io.k8s.api.events.v1.Event'];
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['eventTime', 'regarding', 'note', 'reportingController', 'deprecatedCount']));
    // The same table as core's for the same event: columns and cells.
    const tableOf = async (path: string) =>
      JSON.parse((await httpRequest(`${ts.server.url}${path}`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).text) as { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
    const viaV1 = await tableOf(`/apis/events.k8s.io/v1/namespaces/${NS}/events/legacy.1`);
    const viaCore = await tableOf(`/api/v1/namespaces/${NS}/events/legacy.1`);
    expect(viaV1.columnDefinitions.map((c) => c.name)).toEqual(viaCore.columnDefinitions.map((c) => c.name));
    expect(viaV1.columnDefinitions.map((c) => c.name).slice(0, 4)).toEqual(['Last Seen', 'Type', 'Reason', 'Object']);
    expect(viaV1.rows[0]!.cells.slice(1)).toEqual(viaCore.rows[0]!.cells.slice(1));
    expect(viaV1.rows[0]!.cells).toEqual(expect.arrayContaining(['Warning', 'Rebooted', 'node/n1', 'node n1 rebooted']));
  });

  it.skipIf(!kubectlAvailable())('kubectl reads them (`get events.events.k8s.io`), and `get events` stays core v1', async () => {
    const target = { kubeconfig: ts.server.kubeconfigPath, cacheDir: makeTempDir(cleanup, 'events-v1-kubectl') };
    const out = await runKubectl(target, ['get', 'events.events.k8s.io', '-n', NS, '-o', 'jsonpath={range .items[*]}{.apiVersion} {.metadata.name} {.note}{"\\n"}{end}']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain('events.k8s.io/v1 legacy.1 node n1 rebooted');
    const core = await runKubectl(target, ['get', 'events', '-n', NS, '-o', 'jsonpath={range .items[*]}{.apiVersion} {.metadata.name} {.message}{"\\n"}{end}']);
    expect(core.stdout).toMatch(/^v1 legacy\.1 node n1 rebooted$/m);
    const table = await runKubectl(target, ['get', 'events.events.k8s.io', '-n', NS, 'legacy.1']);
    expect(table.stdout).toMatch(/LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
  });
});
