// PodSecurity admission against the real server (SQLite, HTTPS, its controllers): namespace
// labels choose the level, enforce refuses pods with upstream's message (the DaemonSet
// controller's creates included), warn answers Warning headers for pods and workload templates,
// audit annotates the audit event, invalid labels are refused, and tightening a namespace warns
// about the pods already in it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/apiserver/index.js';
import { apiCaller, Cleanup, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

let started: Promise<TestServer> | undefined;
// The DaemonSet controller runs (a test checks its refused creates).
const server = () => (started ??= startTestServer(cleanup, { controllers: { leaderElection: false } }));
const call: ReturnType<typeof apiCaller> = async (...args) => apiCaller(() => url)(...args);
let url = '';

const MERGE = 'application/merge-patch+json';
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const WARN = 'pod-security.kubernetes.io/warn';
const AUDIT = 'pod-security.kubernetes.io/audit';

async function namespace(name: string, labels: Record<string, string>): Promise<void> {
  url = (await server()).server.url;
  const r = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  expect(r.status, r.text).toBe(201);
}

const pod = (name: string, container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'], ...container }], ...spec },
});

/** The texts of a response's Warning header (`299 - "..."`, comma-separated). */
function warningsOf(headers: Headers): string[] {
  const h = headers.get('warning');
  if (!h) return [];
  return [...h.matchAll(/299 - ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string);
}

describe('PodSecurity admission', () => {
  it('enforce refuses a violating pod with upstream message and stores nothing; a compliant pod and unlabelled namespaces are untouched', async () => {
    await namespace('psa-baseline', { [ENFORCE]: 'baseline' });
    const refused = await call('POST', '/api/v1/namespaces/psa-baseline/pods', pod('priv', { securityContext: { privileged: true } }, { hostNetwork: true }));
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      details: { name: 'priv', kind: 'pods' },
      message: 'pods "priv" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "app" must not set securityContext.privileged=true)',
    });
    expect((await call('GET', '/api/v1/namespaces/psa-baseline/pods/priv')).status).toBe(404);
    // Warnings found before the refusal go out with it (upstream's strategy warnings precede admission).
    const annotated = await call('POST', '/api/v1/namespaces/psa-baseline/pods', {
      ...pod('annotated', { securityContext: { privileged: true } }),
      metadata: { name: 'annotated', annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' } },
    });
    expect(annotated.status, annotated.text).toBe(403);
    expect(warningsOf(annotated.headers).some((w) => w.includes('container.apparmor.security.beta.kubernetes.io/app') && w.includes('deprecated'))).toBe(true);
    // A dry run is refused the same way.
    expect((await call('POST', '/api/v1/namespaces/psa-baseline/pods?dryRun=All', pod('priv'))).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/psa-baseline/pods?dryRun=All', pod('priv', { securityContext: { privileged: true } }))).status).toBe(403);
    // Baseline allows what restricted would not: no warning either (warn follows enforce).
    const ok = await call('POST', '/api/v1/namespaces/psa-baseline/pods', pod('plain'));
    expect(ok.status, ok.text).toBe(201);
    expect(warningsOf(ok.headers)).toEqual([]);
    // The default namespace has no labels: privileged, nothing checked.
    const anything = await call('POST', '/api/v1/namespaces/default/pods', pod('psa-anything', { securityContext: { privileged: true } }, { hostPID: true }));
    expect(anything.status, anything.text).toBe(201);
  });

  it('pod updates are checked only when they can change its security: an image change is refused, status and labels pass', async () => {
    await namespace('psa-updates', {});
    // Created while the namespace was privileged.
    expect((await call('POST', '/api/v1/namespaces/psa-updates/pods', pod('old', { securityContext: { privileged: true } }))).status).toBe(201);
    const tightened = await call('PATCH', '/api/v1/namespaces/psa-updates', { metadata: { labels: { [ENFORCE]: 'baseline' } } }, MERGE);
    expect(tightened.status, tightened.text).toBe(200);
    const labelled = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old', { metadata: { labels: { touched: 'yes' } } }, MERGE);
    expect(labelled.status, labelled.text).toBe(200);
    const status = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old/status', { status: { phase: 'Running' } }, MERGE);
    expect(status.status, status.text).toBe(200);
    const image = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old', { spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } }, 'application/strategic-merge-patch+json');
    expect(image.status, image.text).toBe(403);
    expect(image.body.message).toBe('pods "old" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)');
    // kubectl debug's ephemeral container is checked as it is added.
    const debug = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old/ephemeralcontainers', { spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', securityContext: { privileged: true } }] } }, 'application/strategic-merge-patch+json');
    expect(debug.status, debug.text).toBe(403);
    expect(debug.body.message).toContain('containers "app", "dbg" must not set securityContext.privileged=true');
  });

  it('warn answers a Warning for pods and for workload templates, never refusing them', async () => {
    await namespace('psa-warn', { [WARN]: 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.30' });
    const created = await call('POST', '/api/v1/namespaces/psa-warn/pods', pod('loose'));
    expect(created.status, created.text).toBe(201);
    expect(warningsOf(created.headers)).toEqual([
      'would violate PodSecurity "restricted:v1.30": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { hostNetwork: true, containers: [{ name: 'agent', image: 'busybox', securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } } }] } },
      },
    };
    const dsCreated = await call('POST', '/apis/apps/v1/namespaces/psa-warn/daemonsets', ds);
    expect(dsCreated.status, dsCreated.text).toBe(201);
    expect(warningsOf(dsCreated.headers)).toEqual(['would violate PodSecurity "restricted:v1.30": host namespaces (hostNetwork=true)']);
    // The DaemonSet's status writes are not checked.
    const st = await call('PATCH', '/apis/apps/v1/namespaces/psa-warn/daemonsets/agent/status', { status: { numberMisscheduled: 0 } }, MERGE);
    expect(warningsOf(st.headers)).toEqual([]);
  });

  it("the DaemonSet controller's pod creates are refused by enforce too, and its FailedCreate event says why", async () => {
    await namespace('psa-ds', { [ENFORCE]: 'baseline' });
    expect((await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'psa-node', labels: { psa: 'yes' } } })).status).toBe(201);
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'hostagent' },
      spec: {
        selector: { matchLabels: { app: 'hostagent' } },
        template: { metadata: { labels: { app: 'hostagent' } }, spec: { nodeSelector: { psa: 'yes' }, hostPID: true, containers: [{ name: 'agent', image: 'busybox', command: ['sleep', '1d'] }] } },
      },
    };
    // Enforce does not apply to templates: the DaemonSet itself is stored (warn follows enforce, so it warns).
    const created = await call('POST', '/apis/apps/v1/namespaces/psa-ds/daemonsets', ds);
    expect(created.status, created.text).toBe(201);
    expect(warningsOf(created.headers)).toEqual(['would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)']);
    const event = await waitFor(async () => {
      const list = (await call('GET', '/api/v1/namespaces/psa-ds/events?fieldSelector=reason%3DFailedCreate')).body as { items: Array<{ message: string; type: string; involvedObject: { name: string } }> };
      return list.items.find((e) => e.involvedObject.name === 'hostagent');
    });
    expect(event.type).toBe('Warning');
    expect(event.message).toMatch(/^Error creating: pods "hostagent-[a-z0-9]{5}" is forbidden: violates PodSecurity "baseline:latest": host namespaces \(hostPID=true\)$/);
    expect(((await call('GET', '/api/v1/namespaces/psa-ds/pods')).body as { items: unknown[] }).items).toEqual([]);
  });

  it('namespace labels: invalid values are refused with their field path; tightening enforce warns about the pods already there', async () => {
    url = (await server()).server.url;
    const bad = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-bad', labels: { [ENFORCE]: 'strict', 'pod-security.kubernetes.io/warn-version': '1.30' } } });
    expect(bad.status, bad.text).toBe(422);
    expect(bad.body.message).toBe(
      'Namespace "psa-bad" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted, ' +
        'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"]',
    );
    expect(bad.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.labels[pod-security.kubernetes.io/enforce]', message: 'Invalid value: "strict": must be one of privileged, baseline, restricted' },
      { reason: 'FieldValueInvalid', field: 'metadata.labels[pod-security.kubernetes.io/warn-version]', message: 'Invalid value: "1.30": must be "latest" or "v1.x"' },
    ]);

    await namespace('psa-tighten', {});
    for (const name of ['web-1', 'web-2']) expect((await call('POST', '/api/v1/namespaces/psa-tighten/pods', pod(name, { securityContext: { privileged: true } }))).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/psa-tighten/pods', pod('db', {}, { hostIPC: true }))).status).toBe(201);
    const relabel = await call('PATCH', '/api/v1/namespaces/psa-tighten', { metadata: { labels: { [ENFORCE]: 'baseline' } } }, MERGE);
    expect(relabel.status, relabel.text).toBe(200);
    expect(warningsOf(relabel.headers)).toEqual([
      'existing pods in namespace "psa-tighten" violate the new PodSecurity enforce level "baseline:latest"',
      'db: host namespaces',
      'web-1 (and 1 other pod): privileged',
    ]);
    // A looser level, or the same one again, checks nothing.
    const same = await call('PATCH', '/api/v1/namespaces/psa-tighten', { metadata: { labels: { other: 'x' } } }, MERGE);
    expect(warningsOf(same.headers)).toEqual([]);
    // An update that brings an invalid label is refused too.
    const badUpdate = await call('PATCH', '/api/v1/namespaces/psa-tighten', { metadata: { labels: { [AUDIT]: 'loud' } } }, MERGE);
    expect(badUpdate.status, badUpdate.text).toBe(422);
  });

  it('audit mode annotates the audit event of a write, admitted or refused, with the enforce policy checked', async () => {
    const ts = await startTestServer(cleanup);
    url = ts.server.url;
    const ns = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-audit', labels: { [AUDIT]: 'baseline' } } });
    expect(ns.status, ns.text).toBe(201);
    const created = await call('POST', '/api/v1/namespaces/psa-audit/pods', pod('audited', {}, { hostNetwork: true }));
    expect(created.status, created.text).toBe(201);
    expect(warningsOf(created.headers)).toEqual([]);
    const strict = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-audit-enforced', labels: { [ENFORCE]: 'baseline', [AUDIT]: 'restricted' } } });
    expect(strict.status, strict.text).toBe(201);
    expect((await call('POST', '/api/v1/namespaces/psa-audit-enforced/pods', pod('refused-audited', {}, { hostNetwork: true }))).status).toBe(403);
    await ts.close();
    const events = readFileSync(join(ts.dataDir, 'audit', 'audit.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEvent);
    const ev = events.find((e) => e.objectRef?.resource === 'pods' && e.objectRef.name === 'audited');
    expect(ev?.annotations).toEqual({
      'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
      'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
    });
    // A refused create: named, and annotated as upstream's EvaluatePod annotates it.
    const refused = events.find((e) => e.objectRef?.resource === 'pods' && e.objectRef.name === 'refused-audited');
    expect(refused?.responseStatus?.code).toBe(403);
    expect(refused?.annotations?.['pod-security.kubernetes.io/enforce-policy']).toBe('baseline:latest');
    expect(refused?.annotations?.['pod-security.kubernetes.io/audit-violations']).toMatch(/^would violate PodSecurity "restricted:latest": host namespaces \(hostNetwork=true\), /);
  });
});
