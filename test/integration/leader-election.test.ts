// Leader election between controller managers sharing one API server: only the holder of the
// kube-system/everynode-controller-manager Lease acts; a leader cut off from the server stops
// acting once its renew deadline passes; a standby takes over within the lease duration; a
// leader that stops releases the lease at once.
import { afterEach, describe, expect, it } from 'vitest';
import type { Lease, Pod } from '../../src/api/types.js';
import {
  loadKubeconfig,
  HttpTransport,
  RestClient,
  type Transport,
  daemonSetsResource,
  inProcessTransport,
  leasesResource,
  nodesResource,
} from '../../src/client/index.js';
import { ControllerManager, type ControllersOptions } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/util/logger.js';
import { Cleanup, waitFor } from '../helpers/index.js';
import { type Cluster, byNode, createNodes, listPods, makeDaemonSet, makeNode, ns, replayPods, startCluster, startEventLogAndKubelet } from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

const managerOptions: ControllersOptions = {
  leaderElection: timing,
  garbageCollector: { podGC: { quarantineMs: 500, gcCheckPeriodMs: 500 } },
  nodeLifecycle: false,
};

/** A transport that can be cut: every request fails while `cut`, and open watches are aborted. */
function cuttable(inner: Transport): { transport: Transport; cut(): void; heal(): void } {
  let down = false;
  const open = new Set<AbortController>();
  const transport: Transport = async (req) => {
    if (down) throw new Error('connect ECONNREFUSED (test partition)');
    const ac = new AbortController();
    req.signal?.addEventListener('abort', () => ac.abort(), { once: true });
    open.add(ac);
    try {
      const res = await inner({ ...req, signal: ac.signal });
      const body = res.body;
      return {
        ...res,
        body: (async function* () {
          try {
            for await (const c of body) yield c;
          } finally {
            open.delete(ac);
          }
        })(),
      };
    } catch (e) {
      open.delete(ac);
      throw e;
    }
  };
  return {
    transport,
    cut() {
      down = true;
      for (const ac of open) ac.abort();
      open.clear();
    },
    heal() {
      down = false;
    },
  };
}

function manager(c: Cluster, identity: string, transport: Transport): ControllerManager {
  const cm = new ControllerManager({ ...managerOptions, identity, client: new RestClient(transport), logger: silentLogger });
  cleanup.defer(() => cm.stop(), `controller manager ${identity}`);
  return cm;
}

async function holder(c: Cluster): Promise<string | undefined> {
  const l = await c.client.get<Lease>(leasesResource, 'kube-system', 'everynode-controller-manager');
  return l.spec?.holderIdentity;
}

/** The manager each daemon pod was created by, in order (tagged's record). */
const creators: string[] = [];

/** `inner`, recording `name` for every pod it creates. */
function tagged(name: string, inner: Transport): Transport {
  return async (req) => {
    const res = await inner(req);
    if (req.method === 'POST' && /\/pods(\?|$)/.test(req.path) && res.statusCode === 201) creators.push(name);
    return res;
  };
}

describe('controller manager leader election', () => {
  it('only the leader acts; a cut-off leader stops at its renew deadline and the standby takes over', async () => {
    const c = await startCluster(cleanup, false);
    const { log } = await startEventLogAndKubelet(cleanup, c);

    // Manager A talks to the server in process, B over HTTP.
    const linkA = cuttable(inProcessTransport(c.server.handler));
    const httpB = new HttpTransport({ ...loadKubeconfig(c.server.kubeconfigPath) });
    cleanup.defer(() => httpB.destroy());
    const a = manager(c, 'cm-a', tagged('cm-a', linkA.transport));
    const b = manager(c, 'cm-b', tagged('cm-b', httpB.request));

    // Sample who is acting, for the whole test: never both at once.
    const overlaps: number[] = [];
    const sampler = setInterval(() => {
      if (a.isLeader() && b.isLeader()) overlaps.push(Date.now());
    }, 5);
    cleanup.defer(() => clearInterval(sampler));

    a.start();
    await waitFor(() => a.isLeader(), { message: 'cm-a leading' });
    b.start();
    expect(await holder(c)).toBe('cm-a');

    await createNodes(c, ['n1', 'n2', 'n3']);
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('le'));
    await waitFor(async () => byNode(await listPods(c, 'le')).size === 3, { message: '3 pods' });
    await waitFor(() => creators.length === 3);
    expect(creators).toEqual(['cm-a', 'cm-a', 'cm-a']);
    expect(b.isLeader()).toBe(false);
    expect(b.termsStarted()).toBe(0);
    const lease = await c.client.get<Lease>(leasesResource, 'kube-system', 'everynode-controller-manager');
    expect(lease.spec).toMatchObject({ holderIdentity: 'cm-a', leaseDurationSeconds: 3 });
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    // Cut A off: it cannot renew, stops acting at its deadline; B takes over after expiry.
    linkA.cut();
    await waitFor(() => !a.isLeader(), { message: 'cm-a to stop leading' });
    await waitFor(() => b.isLeader(), { message: 'cm-b to take over' });
    expect(await holder(c)).toBe('cm-b');
    const taken = await c.client.get<Lease>(leasesResource, 'kube-system', 'everynode-controller-manager');
    expect(taken.spec?.leaseTransitions).toBe(1);

    await c.client.create(nodesResource, '', makeNode('n4'));
    await waitFor(async () => byNode(await listPods(c, 'le')).size === 4, { message: 'pod on n4 by cm-b' });
    await waitFor(() => creators.filter((v) => v === 'cm-b').length === 1);

    // A heals but stays a standby while B renews.
    linkA.heal();
    await c.client.create(nodesResource, '', makeNode('n5'));
    await waitFor(async () => byNode(await listPods(c, 'le')).size === 5);
    await waitFor(() => creators.filter((v) => v === 'cm-b').length === 2);
    expect(a.isLeader()).toBe(false);

    // B stops and releases: A takes over without waiting for expiry.
    await b.stop();
    const released = await c.client.get<Lease>(leasesResource, 'kube-system', 'everynode-controller-manager');
    expect(['', 'cm-a']).toContain(released.spec?.holderIdentity ?? '');
    await waitFor(() => a.isLeader(), { message: 'cm-a leading again' });
    await c.client.create(nodesResource, '', makeNode('n6'));
    await waitFor(async () => byNode(await listPods(c, 'le')).size === 6);
    await waitFor(() => creators.length === 6);
    const by = creators;
    expect(by.filter((v) => v === 'cm-a').length).toBe(4);
    expect(by.filter((v) => v === 'cm-b').length).toBe(2);
    expect(a.termsStarted()).toBe(2);

    expect(overlaps).toEqual([]);
    // No node ever held two pods.
    replayPods(log.of<Pod>('pods'), (live, e) => {
      const seen = new Set<string>();
      for (const p of live.values()) {
        if (p.metadata.deletionTimestamp || !p.spec.nodeName) continue;
        if (seen.has(p.spec.nodeName)) throw new Error(`duplicate pod on ${p.spec.nodeName} at event ${e.seq}`);
        seen.add(p.spec.nodeName);
      }
    });
  }, 60_000);

  it('everynode server options: the in-process manager takes the lease and --disable-controllers leaves it alone', async () => {
    const withCm = await startCluster(cleanup, { identity: 'server-cm', leaderElection: timing, nodeLifecycle: false });
    await waitFor(async () => (await holder(withCm)) === 'server-cm', { message: 'server-cm holding the lease' });
    expect(withCm.server.controllerManager?.identity).toBe('server-cm');
    await withCm.server.close();

    const apiOnly = await startCluster(cleanup, false);
    expect(apiOnly.server.controllerManager).toBeUndefined();
    await apiOnly.client.create(nodesResource, '', makeNode('x1'));
    await apiOnly.client.create(daemonSetsResource, ns, makeDaemonSet('idle'));
    // Nothing acts: the DaemonSet stays without status and pods (checked after the API answered a later write).
    await apiOnly.client.create(nodesResource, '', makeNode('x2'));
    expect(await listPods(apiOnly, 'idle')).toEqual([]);
    const leases = (await apiOnly.client.list<Lease>(leasesResource, { namespace: 'kube-system' })).items;
    expect(leases).toEqual([]);
  });
});
