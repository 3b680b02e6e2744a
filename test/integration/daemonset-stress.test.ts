// No duplicate daemon pods, ever: DaemonSets are created, updated and deleted while nodes are
// added, relabelled and removed concurrently; afterwards the full pod watch history is replayed
// and no node may ever have held two live pods of one DaemonSet, except, for a surge DaemonSet,
// one old-revision pod beside one new-revision pod (the surge window).
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { daemonSetsResource, isNotFound, nodesResource } from '../../src/client/index.js';
import { Cleanup, sleep, waitFor } from '../helpers/index.js';
import { byNode, getDs, hashLabel, isReady, listPods, makeDaemonSet, makeNode, ns, patchRetrying, replayPods, startCluster, startEventLogAndKubelet } from './daemonset-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Deterministic pseudo-random numbers (a failing run can be replayed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('DaemonSet stress: concurrent node churn and DaemonSet updates', () => {
  it('no node ever holds two pods of one DaemonSet outside a surge window', async () => {
    const c = await startCluster(cleanup);
    const { log, kubelet } = await startEventLogAndKubelet(cleanup, c);
    const rand = rng(20240601);

    const live = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await c.client.create(nodesResource, '', makeNode(`s${i}`, { pool: i % 2 ? 'odd' : 'even' }));
      live.add(`s${i}`);
    }
    const surge = { type: 'RollingUpdate' as const, rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } };
    const rolling = { type: 'RollingUpdate' as const, rollingUpdate: { maxUnavailable: 2 } };
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('ru', { strategy: rolling }));
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('sg', { strategy: surge }));
    await c.client.create(daemonSetsResource, ns, makeDaemonSet('even', { strategy: rolling, nodeSelector: { pool: 'even' } }));
    // The surge DaemonSet's first pods run before anything changes, so its first template
    // update creates new pods beside live old ones (the surge window the check below needs to
    // see at least once) however slowly this run's controller goes.
    await waitFor(async () => (await listPods(c, 'sg')).filter((p) => (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True')).length === 6, {
      timeoutMs: 30_000,
      message: "the surge DaemonSet's pods Ready on the first nodes",
    });

    // Node churn: add, relabel, remove (and re-add names that were removed).
    let next = 6;
    const churn = (async () => {
      for (let i = 0; i < 30; i++) {
        const r = rand();
        const names = [...live];
        if (r < 0.4 || names.length < 3) {
          const name = rand() < 0.3 && next > 6 ? `s${Math.floor(rand() * next)}` : `s${next++}`;
          if (live.has(name)) continue;
          await c.client.create(nodesResource, '', makeNode(name, { pool: rand() < 0.5 ? 'odd' : 'even' })).catch((e: unknown) => {
            if (!String(e).includes('already exists')) throw e;
          });
          live.add(name);
        } else if (r < 0.7) {
          const name = names[Math.floor(rand() * names.length)]!;
          await c.client.delete(nodesResource, '', name).catch((e: unknown) => {
            if (!isNotFound(e)) throw e;
          });
          live.delete(name);
        } else {
          const name = names[Math.floor(rand() * names.length)]!;
          await patchRetrying(c, nodesResource, '', name, { metadata: { labels: { pool: rand() < 0.5 ? 'odd' : 'even' } } }, 'merge');
        }
        await sleep(Math.floor(rand() * 60));
      }
    })();

    // DaemonSet churn: image updates of each strategy, and a DaemonSet created and deleted.
    const updates = (async () => {
      for (let i = 0; i < 12; i++) {
        const name = ['ru', 'sg', 'even'][i % 3]!;
        await patchRetrying(c, daemonSetsResource, ns, name, { spec: { template: { spec: { containers: [{ name: 'agent', image: `busybox:${i + 2}` }] } } } });
        if (i === 3) await c.client.create(daemonSetsResource, ns, makeDaemonSet('tmp', { strategy: surge }));
        if (i === 8) await c.client.delete(daemonSetsResource, ns, 'tmp');
        await sleep(Math.floor(rand() * 120));
      }
    })();
    await Promise.all([churn, updates]);

    // Converge: every DS has exactly one up-to-date, Ready pod on each node it selects.
    const selects = (ds: string, pool: string | undefined): boolean => ds !== 'even' || pool === 'even';
    const converged = (message: string): Promise<unknown> =>
      waitFor(
        async () => {
          const nodes = (await c.client.list<import('../../src/api/types.js').Node>(nodesResource)).items;
          for (const name of ['ru', 'sg', 'even']) {
            const ds = await getDs(c, name);
            const want = nodes.filter((n) => selects(name, n.metadata.labels?.pool)).map((n) => n.metadata.name ?? '').sort();
            const m = byNode(await listPods(c, name));
            if ([...m.keys()].sort().join() !== want.join()) return false;
            const image = ds.spec.template.spec.containers[0]?.image;
            if (![...m.values()].every((ps) => ps.length === 1 && ps[0]!.spec.containers[0]?.image === image && isReady(ps[0]!))) return false;
            if ((ds.status?.observedGeneration ?? 0) < (ds.metadata.generation ?? 0)) return false;
          }
          return (await listPods(c, 'tmp')).length === 0;
        },
        { timeoutMs: 60_000, message },
      );
    await converged('every DaemonSet converged on the final nodes');
    // One more surge update on the settled nodes. A rolling update waits until the pod creations
    // of its pass are observed, so node churn that adds nodes all the time can hold the surge
    // DaemonSet's updates back until the churn has removed every node that held an old pod; on
    // settled nodes every old pod is Ready, and each is surged.
    await patchRetrying(c, daemonSetsResource, ns, 'sg', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:final' }] } } } });
    await converged('the surge DaemonSet rolled out on the settled nodes');

    // The property over the whole history.
    const dsKindOf = new Map<string, string>(); // DS uid -> name
    for (const name of ['ru', 'sg', 'even']) dsKindOf.set((await getDs(c, name)).metadata.uid ?? '', name);
    const surgeNames = new Set(['sg', 'tmp']);
    let checkedMoments = 0;
    let surgeWindows = 0;
    replayPods(log.of<Pod>('pods'), (pods, e) => {
      checkedMoments++;
      const held = new Map<string, Pod[]>(); // `${ownerUid}/${node}` -> live pods
      for (const p of pods.values()) {
        const owner = p.metadata.ownerReferences?.find((r) => r.controller);
        if (!owner || p.metadata.deletionTimestamp || !p.spec.nodeName) continue;
        const k = `${owner.uid}/${owner.name}/${p.spec.nodeName}`;
        held.set(k, [...(held.get(k) ?? []), p]);
      }
      for (const [k, ps] of held) {
        if (ps.length < 2) continue;
        const name = k.split('/')[1]!;
        const hashes = new Set(ps.map((p) => p.metadata.labels?.[hashLabel]));
        if (surgeNames.has(name) && ps.length === 2 && hashes.size === 2) {
          surgeWindows++;
          continue;
        }
        throw new Error(`at event ${e.seq} (${e.type} ${e.obj.metadata.name}) ${k} held ${ps.map((p) => `${p.metadata.name}[${p.metadata.labels?.[hashLabel]}]`).join(', ')}`);
      }
    });
    expect(checkedMoments).toBeGreaterThan(100);
    // The surge DaemonSet really surged at some point (the property was exercised).
    expect(surgeWindows).toBeGreaterThan(0);
    const final = (await c.client.list<DaemonSet>(daemonSetsResource, { namespace: ns })).items.map((d) => d.metadata.name).sort();
    expect(final).toEqual(['even', 'ru', 'sg']);
    expect(kubelet.failures()).toEqual([]);
  }, 120_000);
});
