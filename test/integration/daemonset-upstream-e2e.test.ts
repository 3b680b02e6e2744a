// The scenarios of upstream Kubernetes' DaemonSet and ControllerRevision e2e tests
// (test/e2e/apps/daemon_set.go, test/e2e/apps/controller_revision.go: every [Conformance] test
// and the non-conformance ones that apply), re-stated for everynode: the real API server and
// controller manager in process, driven through the real @kubernetes/client-node as upstream
// drives a cluster through client-go.
//
// Where upstream relies on a kubelet running an image, a fake kubelet reports each bound pod
// Running and Ready through the status subresource (and finishes graceful deletions), so
// "available" means what it means upstream: Ready for at least minReadySeconds. An image the
// fake kubelet is told to hold never becomes Ready, as upstream's non-existent image.
//
// Each test gets its own cluster and, like upstream, its own namespace; node labels used by the
// tests carry upstream's `daemonset-` prefix. Timings are shortened (minReadySeconds 1 instead
// of 10) where upstream waits on the clock.

import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../src/agent/index.js';
import type { ControllerRevision, DaemonSet, PodTemplateSpec } from '../../src/api/types.js';
import { controllerRevisionsResource, daemonSetsResource, HttpTransport, RestClient } from '../../src/client/index.js';
import { computeHash, matchRevision } from '../../src/controllers/daemonset/history.js';
import { silentLogger } from '../../src/util/logger.js';
import { apiClients, apiFailure, Cleanup, isProcessAlive, killPidsWith, makeTempDir, pidsWith, waitFor, type ApiClients } from '../helpers/index.js';
import { containerPid } from '../helpers/process.js';
import { type Cluster, FakeKubelet, makeNode, startCluster } from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const NS = 'daemonsets-upstream';
const dsName = 'daemon-set';
const nameLabel = 'daemonset-name';
const colorLabel = 'daemonset-color';
const hashLabel = 'controller-revision-hash';
const image = 'everynode.test/webserver:2.4';
const newImage = 'everynode.test/agnhost:2.40';
const missingImage = 'foo:non-existent';
const label = { [nameLabel]: dsName };
const labelSelector = `${nameLabel}=${dsName}`;
const smp = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

interface Env {
  c: Cluster;
  api: ApiClients;
  /** The fake kubelet; undefined where real node agents run the pods. */
  kubelet?: FakeKubelet;
  nodes: string[];
}

async function setup(nodes = ['node-1', 'node-2', 'node-3']): Promise<Env> {
  const c = await startCluster(cleanup);
  const api = apiClients(c.server.kubeconfigPath);
  await api.core.createNamespace({ body: { metadata: { name: NS } } });
  for (const n of nodes) await api.core.createNode({ body: makeNode(n) as k8s.V1Node });
  const kubelet = new FakeKubelet(c.client, NS);
  await kubelet.start();
  cleanup.defer(() => kubelet.stop(), 'fake kubelet');
  return { c, api, kubelet, nodes };
}

/**
 * A cluster whose `n` nodes are real node agents in this process, running daemon pods as host
 * processes; `marker` is a unique string for the test's daemon command lines (their processes
 * are killed on cleanup).
 */
async function setupWithAgents(n: number): Promise<{ env: Env; marker: string }> {
  const run = randomBytes(4).toString('hex');
  const marker = `everynode-ds-e2e-${run}`;
  const nodes = Array.from({ length: n }, (_, i) => `agent-${run}-${i}`);
  const c = await startCluster(cleanup);
  const api = apiClients(c.server.kubeconfigPath);
  await api.core.createNamespace({ body: { metadata: { name: NS } } });
  const agents: RunningAgent[] = [];
  cleanup.defer(async () => {
    await Promise.all(agents.map((a) => a.stop({ stopPods: true, gracePeriodSeconds: 0 })));
    killPidsWith(marker);
  }, 'agents and daemons');
  for (const nodeName of nodes) {
    const id = await c.server.issueNodeIdentity(nodeName, ['127.0.0.1']);
    const transport = new HttpTransport({ server: c.server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem });
    cleanup.defer(() => transport.destroy(), 'agent transport');
    const agent = await startAgent({
      client: new RestClient(transport.request),
      tls: { certPem: id.servingCertPem, keyPem: id.servingKeyPem, caPem: id.caPem },
      nodeName,
      nodeIP: '127.0.0.1',
      port: 0,
      dataDir: makeTempDir(cleanup, 'ds-e2e-agent'),
      leaseRenewIntervalMs: 300,
      nodeStatusUpdateFrequencyMs: 300,
      podStatusResyncMs: 1_000,
      logger: silentLogger,
    });
    agents.push(agent);
    await agent.ready();
  }
  return { env: { c, api, nodes }, marker };
}

/** The host process of a pod's first container (the process runtime's container ID names it). */
function pidOf(p: k8s.V1Pod): number {
  return containerPid(p.status?.containerStatuses?.[0]?.containerID);
}

/** Upstream's test DaemonSet: one container `app` serving on 9376, labels = selector. `metaLabels` also labels the DaemonSet itself. */
function newDaemonSet(img: string, metaLabels = false): k8s.V1DaemonSet {
  return {
    metadata: { name: dsName, ...(metaLabels ? { labels: { ...label } } : {}) },
    spec: {
      selector: { matchLabels: { ...label } },
      template: {
        metadata: { labels: { ...label } },
        spec: { containers: [{ name: 'app', image: img, command: ['sleep', '3600'], ports: [{ containerPort: 9376 }] }] },
      },
    },
  };
}

function controlledBy(p: k8s.V1Pod, ds: k8s.V1DaemonSet): boolean {
  return (p.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === ds.metadata?.uid);
}

/** Upstream's availability: Ready, and Ready for at least minReadySeconds. */
function available(p: k8s.V1Pod, minReadySeconds: number, now = Date.now()): boolean {
  const ready = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  const since = ready.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : now;
  return since + minReadySeconds * 1000 <= now;
}

async function daemonPods(env: Env, ds: k8s.V1DaemonSet): Promise<k8s.V1Pod[]> {
  return (await env.api.core.listNamespacedPod({ namespace: NS })).items.filter((p) => controlledBy(p, ds));
}

/**
 * Upstream's "daemon pod on exactly these nodes": every node in `nodes` has exactly one
 * available, non-terminating pod controlled by the DaemonSet, and no other node has one.
 */
async function onExactlyNodes(env: Env, ds: k8s.V1DaemonSet, nodes: string[]): Promise<boolean> {
  const perNode = new Map<string, number>();
  for (const p of await daemonPods(env, ds)) {
    if (p.metadata?.deletionTimestamp || !available(p, ds.spec?.minReadySeconds ?? 0)) continue;
    const n = p.spec?.nodeName ?? '';
    perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  return nodes.every((n) => perNode.get(n) === 1) && perNode.size === nodes.length;
}

async function waitOnNodes(env: Env, ds: k8s.V1DaemonSet, nodes: string[], what: string): Promise<void> {
  await waitFor(() => onExactlyNodes(env, ds, nodes), { message: what });
}

/** Upstream's CheckDaemonStatus: desired, current and ready agree (here: and equal `n`). */
async function waitDaemonStatus(env: Env, n: number): Promise<k8s.V1DaemonSet> {
  return waitFor(
    async () => {
      const ds = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });
      const s = ds.status;
      return s && s.desiredNumberScheduled === n && s.currentNumberScheduled === n && s.numberReady === n ? ds : false;
    },
    { message: `DaemonSet status desired = current = ready = ${n}` },
  );
}

/** Sets the node's `daemonset-` labels to exactly `labels` (others kept), by GET + PUT retried on conflict, as upstream does. */
async function setDaemonSetNodeLabels(env: Env, node: string, labels: Record<string, string>): Promise<k8s.V1Node> {
  for (let i = 0; ; i++) {
    const n = await env.api.core.readNode({ name: node });
    const kept = Object.fromEntries(Object.entries(n.metadata?.labels ?? {}).filter(([k]) => !k.startsWith('daemonset-')));
    n.metadata = { ...n.metadata, labels: { ...kept, ...labels } };
    try {
      return await env.api.core.replaceNode({ name: node, body: n });
    } catch (e) {
      if (i >= 10 || !(e instanceof k8s.ApiException) || e.code !== 409) throw e;
    }
  }
}

function daemonSetNodeLabels(n: k8s.V1Node): Record<string, string> {
  return Object.fromEntries(Object.entries(n.metadata?.labels ?? {}).filter(([k]) => k.startsWith('daemonset-')));
}

async function listHistories(env: Env): Promise<ControllerRevision[]> {
  return (await env.c.client.list<ControllerRevision>(controllerRevisionsResource, { namespace: NS, labelSelector })).items;
}

async function waitHistories(env: Env, n: number): Promise<ControllerRevision[]> {
  return waitFor(
    async () => {
      const l = await listHistories(env);
      return l.length === n ? l : false;
    },
    { message: `${n} ControllerRevisions labelled ${labelSelector}` },
  );
}

/** The one revision whose data is the DaemonSet's current template (upstream's curHistory); every revision must carry the hash label. */
async function curHistory(env: Env): Promise<ControllerRevision> {
  const ds = await env.c.client.get<DaemonSet>(daemonSetsResource, NS, dsName);
  const histories = await listHistories(env);
  for (const h of histories) expect(h.metadata.labels?.[hashLabel], `hash label of ${h.metadata.name}`).toBeTruthy();
  const cur = histories.filter((h) => matchRevision(ds, h));
  expect(cur, 'revisions matching the current template').toHaveLength(1);
  return cur[0]!;
}

/** Every live daemon pod carries the hash label, equal to `hash` when given. */
async function expectPodsHash(env: Env, ds: k8s.V1DaemonSet, hash?: string): Promise<void> {
  const pods = (await daemonPods(env, ds)).filter((p) => !p.metadata?.deletionTimestamp);
  expect(pods.length).toBeGreaterThan(0);
  for (const p of pods) {
    const h = p.metadata?.labels?.[hashLabel];
    expect(h, `hash label of ${p.metadata?.name}`).toBeTruthy();
    if (hash !== undefined) expect(h, `hash label of ${p.metadata?.name}`).toBe(hash);
  }
}

/**
 * Upstream's checkDaemonPodsImageAndAvailability as a poll: true when every node in `nodes` has
 * a live daemon pod with `img`; throws (ending the wait) when more than `maxUnavailable` live
 * daemon pods are unavailable at the moment of a poll.
 */
async function imageAndAvailability(env: Env, ds: k8s.V1DaemonSet, img: string, maxUnavailable: number, nodes: string[]): Promise<boolean> {
  let unavailable = 0;
  const updated = new Set<string>();
  for (const p of await daemonPods(env, ds)) {
    if (p.metadata?.deletionTimestamp) continue;
    if (p.spec?.containers[0]?.image === img) updated.add(p.spec.nodeName ?? '');
    if (!available(p, ds.spec?.minReadySeconds ?? 0)) unavailable++;
  }
  if (unavailable > maxUnavailable) throw new UnavailableBudgetExceeded(`${unavailable} unavailable daemon pods > maxUnavailable ${maxUnavailable}`);
  return nodes.every((n) => updated.has(n));
}

class UnavailableBudgetExceeded extends Error {}

/** waitFor that ends at once on UnavailableBudgetExceeded instead of polling on. */
async function waitImageAndAvailability(env: Env, ds: k8s.V1DaemonSet, img: string, maxUnavailable: number, nodes: string[]): Promise<void> {
  let violation: Error | undefined;
  await waitFor(
    async () => {
      try {
        return await imageAndAvailability(env, ds, img, maxUnavailable, nodes);
      } catch (e) {
        if (e instanceof UnavailableBudgetExceeded) {
          violation = e;
          return true;
        }
        throw e;
      }
    },
    { message: `every node running ${img} with at most ${maxUnavailable} unavailable` },
  );
  if (violation) throw violation;
}

function imagePatch(img: string): object {
  return { spec: { template: { spec: { containers: [{ name: 'app', image: img }] } } } };
}

/** GET + PUT of the DaemonSet retried on conflict (upstream's updateDaemonSetWithRetries). */
async function updateDaemonSet(env: Env, mutate: (ds: k8s.V1DaemonSet) => void): Promise<k8s.V1DaemonSet> {
  for (let i = 0; ; i++) {
    const ds = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });
    mutate(ds);
    try {
      return await env.api.apps.replaceNamespacedDaemonSet({ name: dsName, namespace: NS, body: ds });
    } catch (e) {
      if (i >= 20 || !(e instanceof k8s.ApiException) || e.code !== 409) throw e;
    }
  }
}

interface PodEvent {
  type: string;
  pod: k8s.V1Pod;
  at: number;
  /** One of the listed pods the record opens with (a state, not a change). */
  listed?: true;
}

/** The namespace's pods as listed now, then every watch event from the list's resourceVersion, in order (client-node's Watch). */
async function recordPods(env: Env): Promise<{ events: PodEvent[]; errors: unknown[] }> {
  const list = await env.api.core.listNamespacedPod({ namespace: NS });
  // The listed pods open the record, as an informer's initial list does.
  const events: PodEvent[] = list.items.map((pod) => ({ type: 'ADDED', pod, at: Date.now(), listed: true as const }));
  const errors: unknown[] = [];
  const ctl = await new k8s.Watch(env.api.kc).watch(
    `/api/v1/namespaces/${NS}/pods`,
    { resourceVersion: list.metadata?.resourceVersion ?? '0', allowWatchBookmarks: false },
    (type, obj) => events.push({ type, pod: obj as k8s.V1Pod, at: Date.now() }),
    (err) => {
      if (err) errors.push(err);
    },
  );
  cleanup.defer(() => ctl.abort(), 'pod watch');
  return { events, errors };
}

/** Resolves with the first object the watch (from `resourceVersion`) reports for which `pred` holds. */
async function watchUntil<T>(env: Env, path: string, params: Record<string, string>, pred: (obj: T, type: string) => boolean, timeoutMs = 20_000): Promise<T> {
  let ctl: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`watch of ${path}: no matching event within ${timeoutMs} ms`)), timeoutMs);
      void new k8s.Watch(env.api.kc)
        .watch(
          path,
          params,
          (type, obj) => {
            if (pred(obj as T, type)) resolve(obj as T);
          },
          (err) => reject(new Error(`watch of ${path} ended before a matching event: ${String(err)}`)),
        )
        .then((c) => (ctl = c), reject);
    });
  } finally {
    clearTimeout(timer);
    ctl?.abort();
  }
}

describe('upstream e2e: [sig-apps] Daemon set', () => {
  it('should run and stop simple daemon: a pod per node, and a deleted daemon pod is replaced', async () => {
    const env = await setup();
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: newDaemonSet(image) });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    await waitDaemonStatus(env, env.nodes.length);

    const victim = (await daemonPods(env, ds))[0]!;
    await env.api.core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: NS });
    await waitOnNodes(env, ds, env.nodes, 'the deleted daemon pod to be revived');
    const after = await daemonPods(env, ds);
    expect(after.map((p) => p.metadata?.uid)).not.toContain(victim.metadata?.uid);
    expect(after.some((p) => p.spec?.nodeName === victim.spec?.nodeName)).toBe(true);
    expect(env.kubelet!.failures()).toEqual([]);
  });

  it('runs a DaemonSet whose name is as long as the API allows (253): its ControllerRevision name is cut as upstream', async () => {
    const env = await setup();
    const long = `${'a'.repeat(240)}${'.b'.repeat(6)}z`;
    expect(long).toHaveLength(253);
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: { ...newDaemonSet(image), metadata: { name: long } } });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    const revs = (await env.api.apps.listNamespacedControllerRevision({ namespace: NS })).items.filter((r) => r.metadata?.ownerReferences?.[0]?.uid === ds.metadata?.uid);
    expect(revs).toHaveLength(1);
    expect(revs[0]!.metadata!.name).toMatch(new RegExp(`^${long.slice(0, 223).replace(/\./g, '\\.')}-[4-9bcdf]{1,10}$`));
    await env.api.apps.deleteNamespacedDaemonSet({ name: long, namespace: NS });
  });

  it('should run and stop complex daemon: nodeSelector follows node labels, and a patched selector with RollingUpdate moves the pod', async () => {
    const env = await setup();
    const body = newDaemonSet(image);
    body.spec!.template.spec!.nodeSelector = { [colorLabel]: 'blue' };
    let ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, [], 'no daemon pods while no node is blue');
    // Stays so: the controller has had its passes (status observed) and created nothing.
    await waitFor(async () => ((await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS })).status?.observedGeneration ?? 0) >= 1);
    expect(await daemonPods(env, ds)).toEqual([]);

    const node = env.nodes[1]!;
    const blue = await setDaemonSetNodeLabels(env, node, { [colorLabel]: 'blue' });
    expect(Object.keys(daemonSetNodeLabels(blue))).toHaveLength(1);
    await waitOnNodes(env, ds, [node], 'a daemon pod on the blue node only');
    await waitDaemonStatus(env, 1);

    const green = await setDaemonSetNodeLabels(env, node, { [colorLabel]: 'green' });
    await waitOnNodes(env, ds, [], 'the daemon pod to leave the node once it is green');
    await waitFor(async () => (await daemonPods(env, ds)).length === 0, { message: 'the unselected daemon pod to be deleted' });

    ds = await env.api.apps.patchNamespacedDaemonSet(
      {
        name: dsName,
        namespace: NS,
        body: { spec: { template: { spec: { nodeSelector: { [colorLabel]: green.metadata!.labels![colorLabel]! } } }, updateStrategy: { type: 'RollingUpdate' } } },
      },
      smp,
    );
    expect(ds.spec?.template.spec?.nodeSelector).toEqual({ [colorLabel]: 'green' });
    expect(ds.spec?.updateStrategy?.type).toBe('RollingUpdate');
    expect(Object.keys(daemonSetNodeLabels(green))).toHaveLength(1);
    await waitOnNodes(env, ds, [node], 'a daemon pod on the green node');
    await waitDaemonStatus(env, 1);
  });

  it('should run and stop complex daemon with node affinity: required affinity follows node labels', async () => {
    const env = await setup();
    const body = newDaemonSet(image);
    body.spec!.template.spec!.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: colorLabel, operator: 'In', values: ['blue'] }] }],
        },
      },
    };
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitFor(async () => ((await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS })).status?.observedGeneration ?? 0) >= 1);
    expect(await daemonPods(env, ds)).toEqual([]);

    const node = env.nodes[0]!;
    const blue = await setDaemonSetNodeLabels(env, node, { [colorLabel]: 'blue' });
    expect(Object.keys(daemonSetNodeLabels(blue))).toHaveLength(1);
    await waitOnNodes(env, ds, [node], 'a daemon pod on the blue node only');
    await waitDaemonStatus(env, 1);
    // The pod keeps the template's affinity term and gains the node-pinning one.
    const [pod] = await daemonPods(env, ds);
    const terms = pod!.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    expect(terms.length).toBeGreaterThan(0);
    expect(terms.every((t) => (t.matchFields ?? []).some((f) => f.key === 'metadata.name' && f.values?.includes(node)))).toBe(true);

    await setDaemonSetNodeLabels(env, node, {});
    await waitOnNodes(env, ds, [], 'the daemon pod to leave the unlabelled node');
    await waitFor(async () => (await daemonPods(env, ds)).length === 0, { message: 'the unselected daemon pod to be deleted' });
  });

  it('should retry creating failed daemon pods: a pod set Failed through /status is deleted and replaced', async () => {
    const env = await setup();
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: newDaemonSet(image) });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    await waitDaemonStatus(env, env.nodes.length);

    const pod = (await daemonPods(env, ds))[0]!;
    // As upstream: the listed pod, resourceVersion cleared (an unconditional update), phase Failed.
    pod.metadata!.resourceVersion = undefined;
    pod.status = { ...pod.status, phase: 'Failed' };
    const failed = await env.api.core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: NS, body: pod });
    expect(failed.status?.phase).toBe('Failed');

    await waitOnNodes(env, ds, env.nodes, 'the failed daemon pod to be revived');
    await waitFor(
      async () => {
        const f = await apiFailure(env.api.core.readNamespacedPod({ name: pod.metadata!.name!, namespace: NS }));
        return f.code === 404;
      },
      { message: 'the failed daemon pod to be deleted' },
    );
    const events = await env.api.core.listNamespacedEvent({ namespace: NS });
    const failedEvent = events.items.find((e) => e.reason === 'FailedDaemonPod' && e.involvedObject.name === dsName);
    expect(failedEvent?.type).toBe('Warning');
    expect(failedEvent?.message).toBe(`Found failed daemon pod ${NS}/${pod.metadata!.name!} on node ${pod.spec!.nodeName!}, will try to kill it`);
  });

  it("should retry creating failed daemon pods, with real node agents: the failed pod's process is stopped and a new one runs", async () => {
    const { env, marker } = await setupWithAgents(2);
    const { api, nodes } = env;

    const body = newDaemonSet(image);
    const tmpl = body.spec!.template.spec!;
    tmpl.containers[0]!.command = ['sh', '-c', `sleep 1000 # ${marker}`];
    tmpl.terminationGracePeriodSeconds = 2;
    const ds = await api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, nodes, 'a running daemon pod on each agent node');
    await waitDaemonStatus(env, nodes.length);
    await waitFor(() => pidsWith(marker).length === nodes.length, { message: 'one daemon process per node' });

    const pod = (await daemonPods(env, ds))[0]!;
    const pid = pidOf(pod);
    expect(isProcessAlive(pid)).toBe(true);
    pod.metadata!.resourceVersion = undefined;
    pod.status = { ...pod.status, phase: 'Failed' };
    await api.core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: NS, body: pod });

    await waitFor(
      async () => (await apiFailure(api.core.readNamespacedPod({ name: pod.metadata!.name!, namespace: NS }))).code === 404,
      { message: 'the failed daemon pod to be deleted', timeoutMs: 30_000 },
    );
    await waitOnNodes(env, ds, nodes, 'the failed daemon pod to be revived');
    await waitFor(() => !isProcessAlive(pid), { message: `the failed pod's process ${pid} to be stopped` });
    const replacement = (await daemonPods(env, ds)).find((p) => p.spec?.nodeName === pod.spec?.nodeName)!;
    expect(replacement.metadata?.uid).not.toBe(pod.metadata?.uid);
    expect(isProcessAlive(pidOf(replacement))).toBe(true);
    expect(pidsWith(marker)).toHaveLength(nodes.length);
  });

  it('should not update pod when spec was updated and update strategy is OnDelete', async () => {
    const env = await setup();
    const body = newDaemonSet(image);
    body.spec!.updateStrategy = { type: 'OnDelete' };
    let ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');

    await waitHistories(env, 1);
    const first = await curHistory(env);
    const firstHash = first.metadata.labels![hashLabel]!;
    expect(first.revision).toBe(1);
    await expectPodsHash(env, ds, firstHash);
    const before = (await daemonPods(env, ds)).map((p) => p.metadata?.uid).sort();

    ds = await env.api.apps.patchNamespacedDaemonSet({ name: dsName, namespace: NS, body: imagePatch(newImage) }, smp);
    await waitHistories(env, 2);
    const cur = await curHistory(env);
    expect(cur.revision).toBe(2);
    expect(cur.metadata.labels?.[hashLabel]).not.toBe(firstHash);
    // The controller has seen the new template (its status says so); nothing was replaced.
    await waitFor(async () => ((await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS })).status?.observedGeneration ?? 0) >= 2);
    expect(await imageAndAvailability(env, ds, image, 0, env.nodes)).toBe(true);
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    expect((await daemonPods(env, ds)).map((p) => p.metadata?.uid).sort()).toEqual(before);
    await expectPodsHash(env, ds, firstHash);
    const st = (await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS })).status;
    expect(st?.updatedNumberScheduled ?? 0).toBe(0);

    // OnDelete: a pod deleted by hand comes back with the new template.
    const victim = (await daemonPods(env, ds))[0]!;
    await env.api.core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: NS });
    await waitFor(
      async () => (await daemonPods(env, ds)).some((p) => p.spec?.nodeName === victim.spec?.nodeName && p.spec?.containers[0]?.image === newImage && !p.metadata?.deletionTimestamp),
      { message: 'the deleted pod to come back with the new image' },
    );
  });

  it('should update pod when spec was updated and update strategy is RollingUpdate (never more than 1 unavailable)', async () => {
    const env = await setup();
    const body = newDaemonSet(image);
    body.spec!.updateStrategy = { type: 'RollingUpdate' };
    let ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    await waitHistories(env, 1);
    let cur = await curHistory(env);
    expect(cur.revision).toBe(1);
    await expectPodsHash(env, ds, cur.metadata.labels![hashLabel]);

    const rec = await recordPods(env);
    ds = await env.api.apps.patchNamespacedDaemonSet({ name: dsName, namespace: NS, body: imagePatch(newImage) }, smp);
    await waitImageAndAvailability(env, ds, newImage, 1, env.nodes);
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');

    await waitHistories(env, 2);
    cur = await curHistory(env);
    expect(cur.revision).toBe(2);
    await expectPodsHash(env, ds, cur.metadata.labels![hashLabel]);
    // Older upstream also checked the template generation: the DaemonSet's annotation and every pod's label.
    const latest = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });
    expect(latest.metadata?.annotations?.['deprecated.daemonset.template.generation']).toBe('2');
    for (const p of (await daemonPods(env, ds)).filter((q) => !q.metadata?.deletionTimestamp)) expect(p.metadata?.labels?.['pod-template-generation']).toBe('2');

    // The bound over every pod event, not only at the polls: never 2 nodes without an available pod.
    const live = new Map<string, k8s.V1Pod>();
    let worst = 0;
    for (const e of rec.events) {
      const uid = e.pod.metadata?.uid ?? '';
      if (e.type === 'DELETED') live.delete(uid);
      else live.set(uid, e.pod);
      if (e.listed) continue;
      const covered = new Set([...live.values()].filter((p) => controlledBy(p, ds) && !p.metadata?.deletionTimestamp && available(p, 0, e.at)).map((p) => p.spec?.nodeName));
      worst = Math.max(worst, env.nodes.filter((n) => !covered.has(n)).length);
    }
    expect(worst).toBe(1);
    expect(rec.errors).toEqual([]);
  });

  it('should rollback without unnecessary restarts: pods that kept the old template survive the rollback', async () => {
    const env = await setup();
    env.kubelet!.hold = (p) => p.spec.containers[0]?.image === missingImage;
    const body = newDaemonSet(image);
    body.spec!.updateStrategy = { type: 'RollingUpdate' };
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');

    const newDS = await updateDaemonSet(env, (d) => (d.spec!.template.spec!.containers[0]!.image = missingImage));
    expect(newDS.spec?.template.spec?.containers[0]?.image).toBe(missingImage);
    await waitFor(async () => (await daemonPods(env, ds)).some((p) => p.spec?.containers[0]?.image === missingImage), { message: 'a pod with the new image' });

    const existing: string[] = [];
    const fresh: string[] = [];
    for (const p of (await daemonPods(env, ds)).filter((q) => !q.metadata?.deletionTimestamp)) {
      const img = p.spec?.containers[0]?.image;
      if (img === image) existing.push(p.metadata!.name!);
      else if (img === missingImage) fresh.push(p.metadata!.name!);
      else throw new Error(`unexpected pod ${p.metadata?.name} with image ${img}`);
    }
    expect(existing.length).toBeGreaterThan(0);
    expect(fresh.length).toBeGreaterThan(0);

    const rollback = await updateDaemonSet(env, (d) => (d.spec!.template.spec!.containers[0]!.image = image));
    await waitImageAndAvailability(env, rollback, image, 1, env.nodes);
    await waitFor(async () => (await daemonPods(env, ds)).every((p) => p.spec?.containers[0]?.image === image), { message: 'no pod left with the bad image' });
    const names = new Set((await daemonPods(env, ds)).map((p) => p.metadata?.name));
    for (const n of existing) expect(names.has(n), `pod ${n} was restarted by the rollback`).toBe(true);

    // The rollback reuses revision 1's data, renumbered; the pods kept their hash.
    await waitHistories(env, 2);
    const cur = await curHistory(env);
    expect(cur.revision).toBe(3);
    await expectPodsHash(env, ds, cur.metadata.labels![hashLabel]);
  });

  it('should rollback without unnecessary restarts, with real node agents: surviving pods keep their process', async () => {
    const { env, marker } = await setupWithAgents(3);
    const { api, nodes } = env;
    const body = newDaemonSet(image);
    const tmpl = body.spec!.template.spec!;
    tmpl.containers[0]!.command = ['sh', '-c', `sleep 1000 # ${marker}`];
    tmpl.terminationGracePeriodSeconds = 2;
    body.spec!.updateStrategy = { type: 'RollingUpdate' };
    const ds = await api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, nodes, 'a running daemon pod on each agent node');

    // everynode's counterpart of upstream's non-existent image: a container the process runtime
    // cannot create (another image and no command) waits in CreateContainerError, never Ready.
    await updateDaemonSet(env, (d) => {
      const ctr = d.spec!.template.spec!.containers[0]!;
      ctr.image = missingImage;
      ctr.command = undefined;
    });
    await waitFor(
      async () => (await daemonPods(env, ds)).some((p) => p.spec?.containers[0]?.image === missingImage && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerError'),
      { message: 'a new pod stuck in CreateContainerError', timeoutMs: 30_000 },
    );
    const live = (await daemonPods(env, ds)).filter((p) => !p.metadata?.deletionTimestamp);
    const existing = live.filter((p) => p.spec?.containers[0]?.image === image);
    expect(existing.length).toBe(nodes.length - 1);
    const pids = new Map(existing.map((p) => [p.metadata!.name!, pidOf(p)]));

    const rollback = await updateDaemonSet(env, (d) => {
      const ctr = d.spec!.template.spec!.containers[0]!;
      ctr.image = image;
      ctr.command = ['sh', '-c', `sleep 1000 # ${marker}`];
    });
    await waitImageAndAvailability(env, rollback, image, 1, nodes);
    await waitFor(async () => (await daemonPods(env, ds)).every((p) => p.spec?.containers[0]?.image === image), { message: 'no pod left with the bad template', timeoutMs: 30_000 });
    const after = new Map((await daemonPods(env, ds)).map((p) => [p.metadata!.name!, p]));
    for (const [name, pid] of pids) {
      const p = after.get(name);
      expect(p, `pod ${name} was replaced by the rollback`).toBeDefined();
      expect(pidOf(p!), `pod ${name}'s process was restarted`).toBe(pid);
      expect(p!.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(isProcessAlive(pid)).toBe(true);
    }
    await waitFor(() => pidsWith(marker).length === nodes.length, { message: 'one daemon process per node' });
  });

  it('should surge pods onto nodes when spec was updated and update strategy is RollingUpdate, keeping the surge invariants', async () => {
    const nodes = ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'];
    const env = await setup(nodes);
    const maxSurge = 1; // 20% of 5 nodes
    const unready = new Set<string>();
    env.kubelet!.hold = (p) => unready.has(p.metadata.uid ?? '');
    const body = newDaemonSet(image);
    body.spec!.template.spec!.containers[0]!.env = [{ name: 'VERSION', value: '1' }];
    body.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '20%' } };
    body.spec!.minReadySeconds = 1;
    let ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, nodes, 'a daemon pod on every node');
    await waitHistories(env, 1);
    let cur = await curHistory(env);
    expect(cur.revision).toBe(1);
    await expectPodsHash(env, ds, cur.metadata.labels![hashLabel]);

    const rec = await recordPods(env);
    ds = await env.api.apps.patchNamespacedDaemonSet(
      { name: dsName, namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'VERSION', value: '2' }] }] } } } } },
      smp,
    );
    const version = (p: k8s.V1Pod): string => p.spec?.containers[0]?.env?.[0]?.value ?? '';

    // Disturb the rollout once each way, as upstream does at random: an old pod goes unready, and a pod is deleted.
    const deliberatelyDeleted = new Set<string>();
    let disturbed = 0;
    await waitFor(
      async () => {
        const pods = (await daemonPods(env, ds)).filter((p) => !p.metadata?.deletionTimestamp);
        if (disturbed === 0 && pods.some((p) => version(p) === '2')) {
          const old = pods.find((p) => version(p) === '1' && !pods.some((q) => q.spec?.nodeName === p.spec?.nodeName && version(q) === '2'));
          if (old) {
            unready.add(old.metadata!.uid!);
            const now = new Date().toISOString();
            await env.api.core.patchNamespacedPodStatus(
              { name: old.metadata!.name!, namespace: NS, body: { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }] } } },
              smp,
            );
            disturbed = 1;
          }
        } else if (disturbed === 1) {
          const victim = pods.find((p) => version(p) === '1' && !unready.has(p.metadata!.uid!));
          if (victim) {
            deliberatelyDeleted.add(victim.metadata!.uid!);
            await env.api.core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: NS });
          }
          disturbed = 2;
        }
        return imageAndAvailabilityByVersion(pods, nodes, '2', ds.spec?.minReadySeconds ?? 0);
      },
      { message: 'every node running version 2, available', timeoutMs: 40_000 },
    );
    expect(disturbed).toBe(2);

    // Upstream's invariants, checked after every recorded pod event.
    const live = new Map<string, k8s.V1Pod>();
    const oldSeenWithNew = new Map<string, number>();
    const violations: string[] = [];
    for (const e of rec.events) {
      const uid = e.pod.metadata?.uid ?? '';
      if (e.type === 'DELETED') live.delete(uid);
      else live.set(uid, e.pod);
      if (e.listed) continue;
      const pods = [...live.values()].filter((p) => controlledBy(p, ds));
      const versions = new Set(pods.map(version));
      if (versions.size > 2) violations.push(`${versions.size} versions at once`);
      let newUnavailable = 0;
      let newDeliberatelyDeleted = 0;
      let oldUnavailable = 0;
      for (const p of pods) {
        const ok = available(p, ds.spec?.minReadySeconds ?? 0, e.at) && !p.metadata?.deletionTimestamp;
        if (version(p) === '2' && !ok) {
          newUnavailable++;
          if (deliberatelyDeleted.has(p.metadata!.uid!)) newDeliberatelyDeleted++;
        } else if (version(p) !== '2' && !ok) oldUnavailable++;
      }
      let withoutOld = 0;
      for (const n of nodes) {
        const onNode = pods.filter((p) => p.spec?.nodeName === n);
        const running = onNode.filter((p) => !p.metadata?.deletionTimestamp);
        const deleting = onNode.filter((p) => p.metadata?.deletionTimestamp && !deliberatelyDeleted.has(p.metadata.uid!));
        if (running.length > 0 && !running.some((p) => version(p) === '1')) withoutOld++;
        if (deleting.length > 1) violations.push(`node ${n} has ${deleting.length} deleted pods`);
        for (const v of ['1', '2']) {
          const r = running.filter((p) => version(p) === v).length;
          const d = deleting.filter((p) => version(p) === v).length;
          if (r > 1) violations.push(`node ${n} runs ${r} pods of version ${v}`);
          if (r + d > 2) violations.push(`node ${n} has ${r + d} pods of version ${v}`);
        }
        for (const p of running) {
          if (version(p) === '1' && running.some((q) => version(q) === '2')) {
            if (!oldSeenWithNew.has(p.metadata!.uid!)) oldSeenWithNew.set(p.metadata!.uid!, e.at);
            // Upstream allows 60 s with minReadySeconds 10; here minReadySeconds is 1.
            if (e.at - oldSeenWithNew.get(p.metadata!.uid!)! > 15_000) violations.push(`old pod ${p.metadata?.name} ran beside a new one for over 15 s`);
          }
        }
      }
      if (newUnavailable > maxSurge + oldUnavailable + newDeliberatelyDeleted + withoutOld) {
        violations.push(`${newUnavailable} new unavailable > surge ${maxSurge} + old unavailable ${oldUnavailable} + deliberately deleted ${newDeliberatelyDeleted} + nodes without old ${withoutOld}`);
      }
    }
    expect([...new Set(violations)]).toEqual([]);
    // It did surge: some node ran an old and a new pod at once.
    expect(oldSeenWithNew.size).toBeGreaterThan(0);
    expect(rec.errors).toEqual([]);

    await waitOnNodes(env, ds, nodes, 'a daemon pod on every node');
    await waitHistories(env, 2);
    cur = await curHistory(env);
    expect(cur.revision).toBe(2);
    await expectPodsHash(env, ds, cur.metadata.labels![hashLabel]);
  });

  it('should surge pods onto nodes, with real node agents: readiness probe, preStop hook and minReadySeconds hold the old pod until the new one is available', async () => {
    const { env, marker } = await setupWithAgents(3);
    const { api, nodes } = env;
    const readyDir = makeTempDir(cleanup, 'ds-e2e-ready');
    const body = newDaemonSet(image);
    const ctr = body.spec!.template.spec!.containers[0]!;
    ctr.command = ['sh', '-c', `sleep 1000 # ${marker}`];
    ctr.env = [{ name: 'VERSION', value: '1' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
    // As upstream: a preStop hook that delays shutdown so old and new overlap, and a readiness
    // probe the test can make fail (a non-empty file named after the pod).
    ctr.lifecycle = { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } };
    ctr.readinessProbe = { exec: { command: ['sh', '-c', `test ! -s ${readyDir}/$POD_NAME`] }, initialDelaySeconds: 1, periodSeconds: 1, successThreshold: 1, failureThreshold: 1 };
    body.spec!.template.spec!.terminationGracePeriodSeconds = 5;
    body.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '33%' } }; // rounds up to 1 of 3 nodes
    body.spec!.minReadySeconds = 1;
    let ds = await api.apps.createNamespacedDaemonSet({ namespace: NS, body });
    await waitOnNodes(env, ds, nodes, 'an available daemon pod on each agent node');

    const rec = await recordPods(env);
    ds = await api.apps.patchNamespacedDaemonSet(
      { name: dsName, namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'VERSION', value: '2' }] }] } } } } },
      smp,
    );
    const version = (p: k8s.V1Pod): string => p.spec?.containers[0]?.env?.find((e) => e.name === 'VERSION')?.value ?? '';
    // Once the rollout has begun, an old pod on a node the rollout has not reached fails its
    // readiness probe (as upstream's exec into the pod does); the controller replaces it.
    let madeUnready: string | undefined;
    let unreadyNode: string | undefined;
    await waitFor(async () => {
      const pods = (await daemonPods(env, ds)).filter((p) => !p.metadata?.deletionTimestamp);
      if (!pods.some((p) => version(p) === '2')) return false;
      const old = pods.find((p) => version(p) === '1' && !pods.some((q) => q.spec?.nodeName === p.spec?.nodeName && version(q) === '2'));
      if (!old) return false;
      writeFileSync(join(readyDir, old.metadata!.name!), '0');
      madeUnready = old.metadata!.name!;
      unreadyNode = old.spec?.nodeName;
      return true;
    }, { message: 'a rollout in progress with an old pod to make unready' });
    await waitFor(async () => imageAndAvailabilityByVersion((await daemonPods(env, ds)).filter((p) => !p.metadata?.deletionTimestamp), nodes, '2', 1), {
      message: 'every node running version 2, available',
      timeoutMs: 45_000,
    });

    const live = new Map<string, k8s.V1Pod>();
    const violations: string[] = [];
    let surged = false;
    for (const e of rec.events) {
      const uid = e.pod.metadata?.uid ?? '';
      if (e.type === 'DELETED') live.delete(uid);
      else live.set(uid, e.pod);
      if (e.listed) continue;
      const pods = [...live.values()].filter((p) => controlledBy(p, ds));
      for (const n of nodes) {
        const running = pods.filter((p) => p.spec?.nodeName === n && !p.metadata?.deletionTimestamp);
        const oldRunning = running.filter((p) => version(p) === '1');
        const newRunning = running.filter((p) => version(p) === '2');
        if (oldRunning.length > 1 || newRunning.length > 1) violations.push(`node ${n}: ${oldRunning.length} old and ${newRunning.length} new pods running`);
        if (oldRunning.length > 0 && newRunning.length > 0) surged = true;
        // maxUnavailable 0: an available old pod is only let go once the new one is available
        // (the old pod made unready may go at once, as upstream's surge rule has it).
        if (n !== unreadyNode && oldRunning.length === 0 && newRunning.length > 0 && !newRunning.some((p) => available(p, 1, e.at + 1000))) {
          violations.push(`node ${n}: old pod gone before the new one was available`);
        }
      }
      // Upstream's bound: unavailable new pods <= maxSurge + unavailable old pods + nodes without an old pod.
      const unavailable = (p: k8s.V1Pod): boolean => !!p.metadata?.deletionTimestamp || !available(p, 1, e.at);
      const newUnavailable = pods.filter((p) => version(p) === '2' && unavailable(p)).length;
      const oldUnavailable = pods.filter((p) => version(p) === '1' && unavailable(p)).length;
      const withoutOld = nodes.filter((n) => !pods.some((p) => p.spec?.nodeName === n && version(p) === '1' && !p.metadata?.deletionTimestamp)).length;
      if (newUnavailable > 1 + oldUnavailable + withoutOld) violations.push(`${newUnavailable} unavailable new pods > maxSurge 1 + ${oldUnavailable} unavailable old + ${withoutOld} nodes without an old pod`);
    }
    expect([...new Set(violations)]).toEqual([]);
    expect(surged).toBe(true);
    expect(rec.events.some((e) => e.pod.metadata?.name === madeUnready && (e.pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'False'))).toBe(true);
    await waitFor(() => pidsWith(marker).length === nodes.length, { message: 'one daemon process per node', timeoutMs: 15_000 });
  });

  it('should list and delete a collection of DaemonSets', async () => {
    const env = await setup();
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: newDaemonSet(image, true) });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    await waitDaemonStatus(env, env.nodes.length);

    // Another DaemonSet elsewhere without the label: not listed, not deleted.
    await env.api.core.createNamespace({ body: { metadata: { name: 'other' } } });
    const other = newDaemonSet(image);
    other.spec!.template.spec!.nodeSelector = { [colorLabel]: 'none' };
    await env.api.apps.createNamespacedDaemonSet({ namespace: 'other', body: other });

    const listed = await env.api.apps.listDaemonSetForAllNamespaces({ labelSelector });
    expect(listed.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toEqual([`${NS}/${dsName}`]);

    await env.api.apps.deleteCollectionNamespacedDaemonSet({ namespace: NS, labelSelector, gracePeriodSeconds: 1 });
    const after = await env.api.apps.listDaemonSetForAllNamespaces({ labelSelector });
    expect(after.items).toEqual([]);
    expect((await env.api.apps.listNamespacedDaemonSet({ namespace: 'other' })).items).toHaveLength(1);
    // As upstream's cleanup waits for: the collection delete cascades to the daemon pods.
    await waitFor(async () => (await daemonPods(env, ds)).length === 0, { message: 'the daemon pods to be garbage-collected' });
  });

  it('should verify changes to a daemon set status: /status read, replace and merge patch, each seen through a watch', async () => {
    const env = await setup();
    const before = await env.api.apps.listDaemonSetForAllNamespaces({ labelSelector });
    const fromRV = before.metadata!.resourceVersion!;
    const ds = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: newDaemonSet(image, true) });
    await waitOnNodes(env, ds, env.nodes, 'a daemon pod on every node');
    await waitDaemonStatus(env, env.nodes.length);

    const viaStatus = await env.api.apps.readNamespacedDaemonSetStatus({ name: dsName, namespace: NS });
    expect(viaStatus.metadata?.uid).toBe(ds.metadata?.uid);
    expect(viaStatus.status?.desiredNumberScheduled).toBe(env.nodes.length);
    expect(viaStatus.spec?.template.spec?.containers[0]?.image).toBe(image);

    let updated: k8s.V1DaemonSet | undefined;
    for (let i = 0; !updated; i++) {
      const toUpdate = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });
      toUpdate.status = {
        ...toUpdate.status!,
        conditions: [...(toUpdate.status?.conditions ?? []), { type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test' }],
      };
      try {
        updated = await env.api.apps.replaceNamespacedDaemonSetStatus({ name: dsName, namespace: NS, body: toUpdate });
      } catch (e) {
        if (i >= 10 || !(e instanceof k8s.ApiException) || e.code !== 409) throw e;
      }
    }
    expect(updated.status?.conditions?.map((c) => c.type)).toContain('StatusUpdate');

    const path = `/apis/apps/v1/namespaces/${NS}/daemonsets`;
    const matches = (d: k8s.V1DaemonSet): boolean => d.metadata?.name === dsName && d.metadata?.namespace === NS && d.metadata?.labels?.[nameLabel] === dsName;
    const seenUpdate = await watchUntil<k8s.V1DaemonSet>(env, path, { resourceVersion: fromRV, labelSelector }, (d) =>
      matches(d) && (d.status?.conditions ?? []).some((c) => c.type === 'StatusUpdate' && c.reason === 'E2E' && c.message === 'Set from e2e test'),
    );
    expect(seenUpdate.metadata?.uid).toBe(ds.metadata?.uid);

    await env.api.apps.patchNamespacedDaemonSetStatus({ name: dsName, namespace: NS, body: { status: { conditions: [{ type: 'StatusPatched', status: 'True' }] } } }, mergePatch);
    const seenPatch = await watchUntil<k8s.V1DaemonSet>(env, path, { resourceVersion: fromRV, labelSelector }, (d) => matches(d) && (d.status?.conditions ?? []).some((c) => c.type === 'StatusPatched'));
    expect(seenPatch.metadata?.uid).toBe(ds.metadata?.uid);

    // Status writes leave the spec alone, and the controller's own status writes keep the
    // conditions it does not own (a pod deletion makes it write status again).
    const victim = (await daemonPods(env, ds))[0]!;
    await env.api.core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: NS });
    await waitOnNodes(env, ds, env.nodes, 'the deleted daemon pod to be revived');
    const final = await waitDaemonStatus(env, env.nodes.length);
    expect(final.metadata?.generation).toBe(1);
    expect(final.status?.conditions?.map((c) => c.type)).toEqual(['StatusPatched']);
  });
});

describe('upstream e2e: [sig-apps] ControllerRevision', () => {
  it('should manage the lifecycle of a ControllerRevision: list, patch, create, delete, replace, deleteCollection', async () => {
    const env = await setup();
    const created = await env.api.apps.createNamespacedDaemonSet({ namespace: NS, body: newDaemonSet(image, true) });
    await waitOnNodes(env, created, env.nodes, 'a daemon pod on every node');
    await waitDaemonStatus(env, env.nodes.length);

    const dsList = await env.api.apps.listDaemonSetForAllNamespaces({ labelSelector });
    expect(dsList.items).toHaveLength(1);
    const ds = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });

    // Across all namespaces, by label: exactly the DaemonSet's one revision, owned by it.
    const revs = await env.api.apps.listControllerRevisionForAllNamespaces({ labelSelector });
    expect(revs.items).toHaveLength(1);
    const owner = revs.items[0]!.metadata?.ownerReferences?.[0];
    expect(owner?.kind).toBe('DaemonSet');
    expect(owner?.uid).toBe(ds.metadata?.uid);
    const initial = await env.api.apps.readNamespacedControllerRevision({ name: revs.items[0]!.metadata!.name!, namespace: NS });
    const initialName = initial.metadata!.name!;

    const podsBefore = (await daemonPods(env, created)).map((p) => p.metadata?.uid).sort();
    const patched = await env.api.apps.patchNamespacedControllerRevision({ name: initialName, namespace: NS, body: { metadata: { labels: { [initialName]: 'patched' } } } }, smp);
    expect(patched.metadata?.labels?.[initialName]).toBe('patched');

    // A revision created by hand under the name the controller would give the template with
    // terminationGracePeriodSeconds 1, but carrying the current data (as upstream does).
    const raw = await env.c.client.get<DaemonSet>(daemonSetsResource, NS, dsName);
    const nextTemplate: PodTemplateSpec = structuredClone(raw.spec.template);
    nextTemplate.spec.terminationGracePeriodSeconds = 1;
    const newHash = computeHash(nextTemplate, raw.status?.collisionCount);
    const newName = `${dsName}-${newHash}`;
    const made = await env.api.apps.createNamespacedControllerRevision({
      namespace: NS,
      body: {
        metadata: {
          name: newName,
          namespace: NS,
          labels: { ...ds.spec!.template.metadata!.labels, [hashLabel]: newHash },
          annotations: ds.metadata?.annotations,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: dsName, uid: ds.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
        },
        data: initial.data,
        revision: initial.revision + 1,
      },
    });
    expect(made.metadata?.name).toBe(newName);
    await waitHistories(env, 2);

    // The controller may have deleted it first: two revisions with the current data are
    // deduplicated to the newer one (upstream's dedupCurHistories, on the new revision's event),
    // a race upstream's test has too. Either way one revision, the hand-made one, remains.
    try {
      await env.api.apps.deleteNamespacedControllerRevision({ name: initialName, namespace: NS });
    } catch (e) {
      if (!(e instanceof k8s.ApiException) || e.code !== 404) throw e;
    }
    await waitHistories(env, 1);

    const remaining = await env.api.apps.listNamespacedControllerRevision({ namespace: NS });
    const current = remaining.items[0]!;
    expect(current.metadata?.name).toBe(newName);
    let updatedRev: k8s.V1ControllerRevision | undefined;
    for (let i = 0; !updatedRev; i++) {
      const r = await env.api.apps.readNamespacedControllerRevision({ name: current.metadata!.name!, namespace: NS });
      r.metadata!.labels = { ...r.metadata!.labels, [current.metadata!.name!]: 'updated' };
      try {
        updatedRev = await env.api.apps.replaceNamespacedControllerRevision({ name: current.metadata!.name!, namespace: NS, body: r });
      } catch (e) {
        if (i >= 10 || !(e instanceof k8s.ApiException) || e.code !== 409) throw e;
      }
    }
    expect(updatedRev.metadata?.labels?.[current.metadata!.name!]).toBe('updated');

    // The hand-made revision, now the only one with the current data, is the current revision;
    // it names another hash than the pods carry, but their template generation is current, so
    // none is replaced and all count as updated.
    await waitFor(async () => {
      const st = (await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS })).status;
      return st?.updatedNumberScheduled === env.nodes.length && st.numberAvailable === env.nodes.length;
    }, { message: 'all pods counted updated and available under the hand-made revision' });
    expect((await daemonPods(env, created)).map((p) => p.metadata?.uid).sort()).toEqual(podsBefore);

    // Upstream's patch also carries a misplaced top-level `updateStrategy`: an unknown field the
    // server drops (with a warning) rather than failing the patch.
    await env.api.apps.patchNamespacedDaemonSet(
      { name: dsName, namespace: NS, body: { spec: { template: { spec: { terminationGracePeriodSeconds: 1 } } }, updateStrategy: { type: 'RollingUpdate' } } },
      smp,
    );
    await waitHistories(env, 2);
    // The new template's name was taken by the hand-made revision with other data: a collision.
    const afterPatch = await env.api.apps.readNamespacedDaemonSet({ name: dsName, namespace: NS });
    expect(afterPatch.status?.collisionCount).toBe(1);

    const updatedSelector = `${updatedRev.metadata!.name!}=updated`;
    await env.api.apps.deleteCollectionNamespacedControllerRevision({ namespace: NS, labelSelector: updatedSelector });
    await waitHistories(env, 1);

    const list = await env.api.apps.listNamespacedControllerRevision({ namespace: NS });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.revision).toBe(3);
    expect(list.items[0]!.metadata?.name).not.toBe(newName);
    // The DaemonSet converges on that revision.
    await waitImageAndAvailability(env, afterPatch, image, 1, env.nodes);
    await waitFor(
      async () => {
        const pods = (await daemonPods(env, afterPatch)).filter((p) => !p.metadata?.deletionTimestamp);
        return pods.length === env.nodes.length && pods.every((p) => p.metadata?.labels?.[hashLabel] === list.items[0]!.metadata?.labels?.[hashLabel]);
      },
      { message: 'every daemon pod on the revision-3 hash' },
    );
  });
});

// Helpers used by a single scenario.

/** The surge scenario's completion: every node has exactly one live pod, of `v`, available, and nothing else. */
function imageAndAvailabilityByVersion(pods: k8s.V1Pod[], nodes: string[], v: string, minReadySeconds: number): boolean {
  for (const n of nodes) {
    const onNode = pods.filter((p) => p.spec?.nodeName === n);
    if (onNode.length !== 1) return false;
    const p = onNode[0]!;
    if (p.spec?.containers[0]?.env?.[0]?.value !== v || !available(p, minReadySeconds)) return false;
  }
  return true;
}
