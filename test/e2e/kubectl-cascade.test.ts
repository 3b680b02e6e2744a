// Cascading deletion of DaemonSets driven by the real kubectl against the built `everynode
// server` (controllers on, as shipped): the default background cascade, --cascade=orphan with
// adoption by a new DaemonSet, and --cascade=foreground. Runs wherever `kubectl` is on PATH;
// skipped (with the reason printed) where it is not.
//
// No node agent runs: the test plays the nodes' part over HTTP — it posts Ready=True and renews
// each node's Lease in `kube-node-lease` (so the node lifecycle controller leaves the nodes
// alone however long the file takes), and a fake kubelet (daemonset-harness) reports bound pods
// Running/Ready through /status and finishes graceful deletions, as an agent would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet, Lease, Node, Pod } from '../../src/api/types.js';
import { HttpTransport, loadKubeconfig, RestClient, controllerRevisionsResource, daemonSetsResource, isNotFound, leasesResource, nodesResource, podsResource } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { comparablePod, EventLog, FakeKubelet, isReady } from '../integration/daemonset-harness.js';
import { dsManifest } from '../../src/cli/testing/run-binary.js';

const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('kubectl cascade e2e tests skipped: no `kubectl` on PATH');

const ns = 'default';
const nodeNames = ['cascade-n1', 'cascade-n2', 'cascade-n3'];
const cleanup = new Cleanup();
let dir = '';
let cacheDir = '';
let server: ServerProcess;
let client: RestClient;
let log: EventLog;
let kubelet: FakeKubelet;

function kubectl(args: string[], timeoutMs = 90_000): Promise<KubectlRun> {
  return runKubectl({ kubeconfig: server.kubeconfigPath, cacheDir }, args, { timeoutMs });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function manifest(name: string, text: string): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, text);
  return p;
}


const nodesYaml = nodeNames
  .map((n) => `apiVersion: v1
kind: Node
metadata:
  name: ${n}
  labels:
    kubernetes.io/hostname: ${n}
`)
  .join('---\n');

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Posts Ready=True on every node and keeps their Leases renewed (every 2 s) until cleanup. */
async function startNodeHeartbeats(): Promise<void> {
  const now = Date.now();
  for (const name of nodeNames) {
    const t = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test kubelet', lastHeartbeatTime: t, lastTransitionTime: t };
    await client.patch<Node>(nodesResource, '', name, 'merge', { status: { conditions: [ready] } }, { subresource: 'status' });
    await client.create<Lease>(leasesResource, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) },
    });
  }
  let stopped = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    inFlight = Promise.allSettled(nodeNames.map((name) => client.patch(leasesResource, 'kube-node-lease', name, 'merge', { spec: { renewTime: microTime(Date.now()) } })));
  }, 2_000);
  cleanup.defer(async () => {
    stopped = true;
    clearInterval(timer);
    await inFlight;
  }, 'node heartbeats');
}

async function pods(app: string): Promise<Pod[]> {
  return (await client.list<Pod>(podsResource, { namespace: ns, labelSelector: `app=${app}` })).items;
}

async function revisions(app: string): Promise<ControllerRevision[]> {
  return (await client.list<ControllerRevision>(controllerRevisionsResource, { namespace: ns, labelSelector: `app=${app}` })).items;
}

async function dsNow(name: string): Promise<DaemonSet | undefined> {
  try {
    return await client.get<DaemonSet>(daemonSetsResource, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Applies the DaemonSet with kubectl and waits until kubectl reports it rolled out on every node. */
async function applyAndRollOut(name: string): Promise<{ ds: DaemonSet; pods: Pod[] }> {
  expect(await ok(['apply', '-f', manifest(name, dsManifest(name, 'busybox:1'))])).toMatch(new RegExp(`daemonset.apps/${name} (created|configured)`));
  await ok(['rollout', 'status', `daemonset/${name}`, '--timeout=60s']);
  const ps = await waitFor(
    async () => {
      const list = await pods(name);
      return list.length === nodeNames.length && list.every((p) => isReady(p) && !p.metadata.deletionTimestamp) ? list : false;
    },
    { message: `${nodeNames.length} ready pods of ${name}` },
  );
  expect(new Set(ps.map((p) => p.spec.nodeName))).toEqual(new Set(nodeNames));
  const ds = (await dsNow(name))!;
  return { ds, pods: ps };
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = makeTempDir(cleanup, 'kubectl-cascade');
  cacheDir = join(dir, 'kube-cache');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  // The kubeconfig's CA and admin token (HTTPS).
  const transport = new HttpTransport(loadKubeconfig(server.kubeconfigPath));
  cleanup.defer(() => transport.destroy(), 'http transport');
  client = new RestClient(transport.request);
  log = new EventLog(client);
  cleanup.defer(() => log.stop(), 'event log');
  await log.watch(podsResource);
  await log.watch(daemonSetsResource);
  kubelet = new FakeKubelet(client);
  cleanup.defer(() => kubelet.stop(), 'fake kubelet');
  await kubelet.start();

  const out = await ok(['apply', '-f', manifest('nodes', nodesYaml)]);
  for (const n of nodeNames) expect(out).toContain(`node/${n} created`);
  await startNodeHeartbeats();
}, 60_000);

afterAll(() => cleanup.run(), 30_000);

describe.skipIf(!hasKubectl)('kubectl delete daemonset: cascades', () => {
  it('nodes created through kubectl are listed by kubectl', async () => {
    const out = await ok(['get', 'nodes', '-o', 'name']);
    for (const n of nodeNames) expect(out).toContain(`node/${n}`);
  });

  it('kubectl delete ds (background, the default) removes its pods and ControllerRevisions', async () => {
    const { ds, pods: before } = await applyAndRollOut('bg');
    const revs = await revisions('bg');
    expect(revs.length).toBe(1);
    expect(revs[0]!.metadata.ownerReferences?.[0]?.uid).toBe(ds.metadata.uid);
    for (const p of before) expect(p.metadata.ownerReferences?.[0]?.uid).toBe(ds.metadata.uid);

    expect(await ok(['delete', 'ds', 'bg'])).toContain('daemonset.apps "bg" deleted');
    await waitFor(async () => (await pods('bg')).length === 0, { timeoutMs: 60_000, message: 'pods of bg gone' });
    await waitFor(async () => (await revisions('bg')).length === 0, { timeoutMs: 60_000, message: 'ControllerRevisions of bg gone' });
    // As kubectl sees it.
    expect((await ok(['get', 'pods', '-l', 'app=bg', '-o', 'name'])).trim()).toBe('');
    expect((await ok(['get', 'controllerrevisions', '-l', 'app=bg', '-o', 'name'])).trim()).toBe('');
    const missing = await kubectl(['get', 'ds', 'bg']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('daemonsets.apps "bg" not found');
  });

  it('--cascade=orphan leaves the pods running; a new DaemonSet with the same selector adopts them unchanged', async () => {
    const { ds: old, pods: before } = await applyAndRollOut('orph');
    const byUid = new Map(before.map((p) => [p.metadata.uid, p]));

    expect(await ok(['delete', 'ds', 'orph', '--cascade=orphan'])).toContain('daemonset.apps "orph" deleted');
    await waitFor(async () => (await dsNow('orph')) === undefined, { message: 'orph deleted' });
    const orphans = await waitFor(async () => {
      const ps = await pods('orph');
      return ps.length === nodeNames.length && ps.every((p) => (p.metadata.ownerReferences ?? []).length === 0) ? ps : false;
    }, { message: 'pods of orph without ownerReferences' });
    // Same pods, still running and ready, changed in nothing but their ownerReferences.
    expect(new Set(orphans.map((p) => p.metadata.uid))).toEqual(new Set(byUid.keys()));
    for (const p of orphans) {
      expect(p.metadata.deletionTimestamp).toBeUndefined();
      expect(p.status?.phase).toBe('Running');
      expect(isReady(p)).toBe(true);
      expect(comparablePod(p)).toEqual(comparablePod(byUid.get(p.metadata.uid)!));
    }
    const orphanRevs = await revisions('orph');
    expect(orphanRevs.length).toBe(1);
    expect(orphanRevs[0]!.metadata.ownerReferences ?? []).toEqual([]);

    const podEventsBefore = log.of<Pod>('pods').length;
    const { ds: fresh } = await applyAndRollOut('orph');
    expect(fresh.metadata.uid).not.toBe(old.metadata.uid);
    const adopted = await waitFor(async () => {
      const ps = await pods('orph');
      return ps.length === nodeNames.length && ps.every((p) => p.metadata.ownerReferences?.[0]?.uid === fresh.metadata.uid) ? ps : false;
    }, { message: 'pods of orph adopted by the new DaemonSet' });
    expect(new Set(adopted.map((p) => p.metadata.uid))).toEqual(new Set(byUid.keys()));
    for (const p of adopted) {
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'orph', uid: fresh.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(comparablePod(p)).toEqual(comparablePod(byUid.get(p.metadata.uid)!));
    }
    // Not restarted: no pod of orph was created or deleted since the orphaning.
    const later = log.of<Pod>('pods').slice(podEventsBefore).filter((e) => e.obj.metadata.labels?.['app'] === 'orph');
    expect(later.filter((e) => e.type !== 'MODIFIED')).toEqual([]);
    // The orphaned revision was adopted too, not duplicated.
    const revs = await revisions('orph');
    expect(revs.length).toBe(1);
    expect(revs[0]!.metadata.uid).toBe(orphanRevs[0]!.metadata.uid);
    expect(revs[0]!.metadata.ownerReferences?.[0]?.uid).toBe(fresh.metadata.uid);
    // kubectl sees the same DaemonSet status.
    expect((await ok(['get', 'ds', 'orph', '-o', 'jsonpath={.status.numberReady}'])).trim()).toBe(String(nodeNames.length));
    expect(await ok(['delete', 'ds', 'orph'])).toContain('deleted');
  });

  it('--cascade=foreground returns only after the pods are gone; the DaemonSet is deleted last', async () => {
    const { ds, pods: before } = await applyAndRollOut('fg');
    const uids = new Set(before.map((p) => p.metadata.uid));
    const from = log.events.length;

    expect(await ok(['delete', 'ds', 'fg', '--cascade=foreground'])).toContain('daemonset.apps "fg" deleted');
    // Right after kubectl returned: nothing of fg is left, not even a terminating pod.
    expect(await pods('fg')).toEqual([]);
    expect(await dsNow('fg')).toBeUndefined();
    expect(await revisions('fg')).toEqual([]);

    // The recorded watch of pods and daemonsets during the deletion, in arrival order.
    await waitFor(() => log.events.slice(from).some((e) => e.resource === 'daemonsets' && e.type === 'DELETED' && e.obj.metadata.uid === ds.metadata.uid), {
      message: 'DELETED event of fg',
    });
    const events = log.events.slice(from).filter((e) => (e.resource === 'daemonsets' ? e.obj.metadata.uid === ds.metadata.uid : uids.has(e.obj.metadata.uid)));
    const dsEvents = events.filter((e) => e.resource === 'daemonsets');
    const marked = dsEvents.find((e) => e.type === 'MODIFIED' && e.obj.metadata.deletionTimestamp);
    expect(marked, 'fg got a deletionTimestamp first').toBeDefined();
    expect(marked!.obj.metadata.finalizers).toContain('foregroundDeletion');
    const dsDeleted = dsEvents.find((e) => e.type === 'DELETED')!;
    const podDeletes = events.filter((e) => e.resource === 'pods' && e.type === 'DELETED');
    expect(new Set(podDeletes.map((e) => e.obj.metadata.uid))).toEqual(uids);
    for (const e of podDeletes) {
      expect(e.seq).toBeGreaterThan(marked!.seq);
      expect(e.seq).toBeLessThan(dsDeleted.seq);
      // The store's revision order says the same as the arrival order.
      expect(BigInt(e.obj.metadata.resourceVersion ?? '0')).toBeLessThan(BigInt(dsDeleted.obj.metadata.resourceVersion ?? '0'));
    }
    // The DaemonSet's deletion is the last event of the whole cascade.
    expect(events.at(-1)).toBe(dsDeleted);
    // No replacement pod was created while fg was being deleted.
    expect(log.events.slice(from).filter((e) => e.resource === 'pods' && e.type === 'ADDED' && e.obj.metadata.labels?.['app'] === 'fg')).toEqual([]);
    expect(kubelet.failures()).toEqual([]);
  });
});
