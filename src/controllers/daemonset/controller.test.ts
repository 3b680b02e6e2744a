import { describe, expect, it } from 'vitest';
import type { DaemonSet, Pod } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { computeHash } from './history.js';
import {
  Harness,
  type Strategy,
  iso,
  newDaemonSet,
  newNode,
  newNodes,
  newPod,
  simpleDaemonSetLabel,
  simpleDaemonSetLabel2,
  withMaxUnavailable,
  withSurge,
} from './testing/fixtures.js';

const strategies: Strategy[] = ['OnDelete', 'RollingUpdate'];
const T0 = Date.UTC(2024, 0, 1);

function setup(ds: DaemonSet): { h: Harness; ds: DaemonSet } {
  const h = new Harness();
  return { h, ds: h.addDaemonSet(ds) };
}

async function expectSync(h: Harness, ds: DaemonSet, creates: number, deletes: number, events = 0): Promise<void> {
  const r = await h.sync(ds);
  expect({ creates: r.creates, deletes: r.deletes, events: r.events }).toEqual({ creates, deletes, events });
}

/** Changes the template (new image) as the apiserver would: generation and template generation bumped. */
function changeTemplate(h: Harness, ds: DaemonSet, image: string, mutate?: (d: DaemonSet) => void): DaemonSet {
  const d = structuredClone(h.cachedDaemonSet(ds));
  d.spec.template.spec.containers[0]!.image = image;
  mutate?.(d);
  d.metadata.generation = (d.metadata.generation ?? 1) + 1;
  const tg = Number(d.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1') + 1;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'deprecated.daemonset.template.generation': String(tg) };
  return h.updateDaemonSet(d);
}

function currentHash(h: Harness, ds: DaemonSet): string {
  const cur = h.cachedDaemonSet(ds);
  return computeHash(cur.spec.template, cur.status?.collisionCount);
}

describe('§15.1 simple launch', () => {
  for (const s of strategies) {
    it(`${s}: 5 nodes -> 5 creates pinned to each node once`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(...newNodes(5));
      const r = await h.sync(ds);
      expect(r.creates).toBe(5);
      expect(r.deletes).toBe(0);
      const nodes = h.podControl.templates.map((t) => {
        const terms = t.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
        expect(terms).toHaveLength(1);
        expect(terms[0]!.matchFields).toEqual([{ key: 'metadata.name', operator: 'In', values: [t.spec.nodeName] }]);
        return t.spec.nodeName;
      });
      expect(nodes.sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    });
    it(`${s}: no nodes -> nothing`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      await expectSync(h, ds, 0, 0);
    });
  }

  it('created pods carry generateName, labels, controller ref and default tolerations (§7)', async () => {
    const { h, ds } = setup(newDaemonSet('foo'));
    h.addNodes(newNode('node-0'));
    await h.sync(ds);
    const pod = h.podControl.createdPods[0]!;
    expect(pod.metadata.generateName).toBe('foo-');
    expect(pod.metadata.labels).toEqual({ ...simpleDaemonSetLabel, 'controller-revision-hash': currentHash(h, ds), 'pod-template-generation': '1' });
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec.nodeName).toBe('node-0');
    expect(pod.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
  });
});

describe('§15.2 quota-limited creation and §15.3 status after launch', () => {
  for (const s of strategies) {
    it(`${s}: 100 nodes, 10 accepted -> 10 pods in 15 calls, status 100/10/10, expectations satisfied`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(...newNodes(100));
      h.podControl.createLimit = 10;
      const r = await h.sync(ds, { expectError: true });
      expect(r.error).toBeDefined();
      expect(r.creates).toBe(10);
      expect(h.podControl.createCalls).toBe(15);
      const st = h.liveDaemonSet('foo').status!;
      expect([st.desiredNumberScheduled, st.currentNumberScheduled, st.updatedNumberScheduled]).toEqual([100, 10, 10]);
      expect(h.controller.expectations.satisfiedExpectations('default/foo')).toBe(true);
    });
    it(`${s}: the pass that creates 5 pods reports currentNumberScheduled=5`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(...newNodes(5));
      await expectSync(h, ds, 5, 0);
      const st = h.liveDaemonSet('foo').status!;
      expect(st.currentNumberScheduled).toBe(5);
      expect(st.desiredNumberScheduled).toBe(5);
      expect(st.observedGeneration).toBe(1);
    });
  }
});

describe('§15.4 error precedence', () => {
  const statusFails = (h: Harness): void =>
    h.client.prependReactor((a) => {
      if (a.verb === 'updateStatus') throw new ApiError(500, 'InternalError', 'status boom');
    });
  for (const s of strategies) {
    it(`${s}: create error wins; status error alone surfaces; a create is always attempted`, async () => {
      // create fails, status ok
      let { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(newNode('node-0'));
      h.podControl.createError = new Error('create boom');
      let r = await h.sync(ds, { expectError: true });
      expect((r.error as Error).message).toBe('create boom');
      expect(h.podControl.createCalls).toBe(1);
      // create ok, status fails
      ({ h, ds } = setup(newDaemonSet('foo', s)));
      h.addNodes(newNode('node-0'));
      statusFails(h);
      r = await h.sync(ds, { expectError: true });
      expect((r.error as Error).message).toBe('status boom');
      expect(r.creates).toBe(1);
      // both fail
      ({ h, ds } = setup(newDaemonSet('foo', s)));
      h.addNodes(newNode('node-0'));
      statusFails(h);
      h.podControl.createError = new Error('create boom');
      r = await h.sync(ds, { expectError: true });
      expect((r.error as Error).message).toBe('create boom');
      expect(h.podControl.createCalls).toBe(1);
    });
  }
  it('status write: one failure -> 2 updates and 1 get; two failures -> error', async () => {
    const { h, ds } = setup(newDaemonSet('foo'));
    h.addNodes(newNode('node-0'));
    let fails = 1;
    h.client.prependReactor((a) => {
      if (a.verb === 'updateStatus' && fails-- > 0) throw new ApiError(409, 'Conflict', 'conflict');
    });
    h.client.clearActions();
    await h.sync(ds);
    const verbs = h.client.actions.filter((a) => a.resource === 'daemonsets.apps').map((a) => a.verb);
    expect(verbs).toEqual(['updateStatus', 'get', 'updateStatus']);
  });
});

describe('§15.5–7 conditions, resources and ports are not the controller business', () => {
  for (const s of strategies) {
    it(`${s}: NotReady / NetworkUnavailable condition without taints -> 1 create each`, async () => {
      for (const cond of [{ type: 'Ready', status: 'False' as const }, { type: 'NetworkUnavailable', status: 'True' as const }]) {
        const { h, ds } = setup(newDaemonSet('foo', s));
        const n = newNode('node-0');
        n.status!.conditions = [cond];
        h.addNodes(n);
        await expectSync(h, ds, 1, 0);
      }
    });
    it(`${s}: template requesting more than allocatable -> created; existing pod kept; no events`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.template.spec.containers[0]!.resources = { requests: { cpu: '100', memory: '1Ti' } };
      let { h, ds } = setup(d);
      h.addNodes(newNode('node-0'));
      await expectSync(h, ds, 1, 0, 0);
      ({ h, ds } = setup(d));
      h.addNodes(newNode('node-0'));
      h.addPods(newPod('foo-', 'node-0', { ds }));
      await expectSync(h, ds, 0, 0, 0);
    });
    it(`${s}: own pod with hostPort 666 -> 0/0; foreign pod on another hostPort -> 1 create`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.template.spec.containers[0]!.ports = [{ containerPort: 666, hostPort: 666 }];
      let { h, ds } = setup(d);
      h.addNodes(newNode('node-0'));
      h.addPods(newPod('foo-', 'node-0', { ds, hostPort: 666 }));
      await expectSync(h, ds, 0, 0);
      ({ h, ds } = setup(d));
      h.addNodes(newNode('node-0'));
      h.addPods(newPod('bar-', 'node-0', { labels: { app: 'other' }, hostPort: 667 }));
      await expectSync(h, ds, 1, 0);
    });
  }
});

describe('§15.8 being deleted', () => {
  for (const s of strategies) {
    it(`${s}: deletionTimestamp in the cache -> nothing at all, not even status`, async () => {
      const d = newDaemonSet('foo', s);
      d.metadata.deletionTimestamp = iso(T0);
      const { h, ds } = setup(d);
      h.addNodes(...newNodes(3));
      h.client.clearActions();
      await expectSync(h, ds, 0, 0);
      expect(h.client.actions).toEqual([]);
    });
    it(`${s}: live GET says deleted -> adoption refused, pass fails, 0/0`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      const live = structuredClone(h.liveDaemonSet('foo'));
      live.metadata.deletionTimestamp = iso(T0);
      h.client.seed({ group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true, kind: 'DaemonSet' }, live);
      h.addNodes(newNode('node-0'), newNode('node-1'));
      h.addPods(newPod('orphan-', 'node-0'));
      const r = await h.sync(ds, { expectError: true });
      expect(r.error).toBeDefined();
      expect([r.creates, r.deletes]).toEqual([0, 0]);
      expect(h.podControl.patches).toEqual([]);
    });
  }
});

describe('§15.9 empty selector', () => {
  for (const s of strategies) {
    it(`${s}: selector {} -> 0/0 and exactly one SelectingAll warning`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.selector = {};
      d.spec.template.spec.nodeSelector = { nothing: 'matches' };
      const { h, ds } = setup(d);
      h.addNodes(newNode('node-1'));
      h.addPods(newPod('bar-', 'node-1', { labels: { app: 'other' } }));
      const r = await h.sync(ds);
      expect([r.creates, r.deletes]).toEqual([0, 0]);
      expect(h.recorder.events).toEqual(['Warning SelectingAll This daemon set is selecting all pods. A non-empty selector is required.']);
    });
  }
});

describe('§15.10 duplicates and released pods', () => {
  const variants: Array<[string, (d: DaemonSet) => DaemonSet]> = [
    ['OnDelete', (d) => d],
    ['RollingUpdate', (d) => d],
    ['RollingUpdate maxSurge 1', (d) => withSurge(d, 1)],
  ];
  for (const [name, f] of variants) {
    it(`${name}: 2 creates (node-0, node-4) and 5 deletes, oldest kept, mismatching pods released`, async () => {
      const { h, ds } = setup(f(newDaemonSet('foo', name === 'OnDelete' ? 'OnDelete' : 'RollingUpdate')));
      h.addNodes(...newNodes(5));
      const hash = currentHash(h, ds);
      const labels = { ...simpleDaemonSetLabel, 'controller-revision-hash': hash };
      h.addPods(newPod('p-', 'node-1', { ds, labels }));
      h.addPods(newPod('p-', 'node-2', { ds, labels }), newPod('p-', 'node-2', { ds, labels }));
      const node3 = [0, 1, 2, 3, 4].map(() => newPod('p-', 'node-3', { ds, labels }));
      h.addPods(...node3);
      h.addPods(newPod('p-', 'node-4', { ds, labels: simpleDaemonSetLabel2 }), newPod('p-', 'node-4', { ds, labels: simpleDaemonSetLabel2 }));
      const r = await h.sync(ds);
      expect(r.createdNodes.sort()).toEqual(['node-0', 'node-4']);
      expect(r.deletes).toBe(5);
      expect(r.deleted).not.toContain(node3[0]!.metadata.name);
      expect(h.podControl.patches.filter((p) => JSON.stringify(p.patch).includes('"$patch":"delete"'))).toHaveLength(2);
    });
  }
});

describe('§15.11–14 node selection', () => {
  for (const s of strategies) {
    it(`${s}: nodeSelector / required affinity -> 3 creates; non-matching -> 0`, async () => {
      for (const kind of ['selector', 'affinity', 'red']) {
        const d = newDaemonSet('foo', s);
        if (kind === 'selector') d.spec.template.spec.nodeSelector = { color: 'blue' };
        if (kind === 'red') d.spec.template.spec.nodeSelector = { color: 'red' };
        if (kind === 'affinity') {
          d.spec.template.spec.affinity = {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] }] } },
          };
        }
        const { h, ds } = setup(d);
        h.addNodes(...newNodes(4), ...newNodes(3, 4, { color: 'blue', speed: 'fast' }));
        await expectSync(h, ds, kind === 'red' ? 0 : 3, 0);
      }
    });
    it(`${s}: stale pods on unselected nodes -> 5 creates, 4 deletes, non-matching released`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.template.spec.nodeSelector = { color: 'blue' };
      const { h, ds } = setup(d);
      h.addNodes(...newNodes(5), ...newNodes(5, 5, { color: 'blue' }));
      h.addPods(newPod('p-', 'node-0', { ds, labels: simpleDaemonSetLabel2 }), newPod('p-', 'node-0', { ds, labels: simpleDaemonSetLabel2 }));
      h.addPods(newPod('p-', 'node-1', { ds }), newPod('p-', 'node-1', { ds }), newPod('p-', 'node-1', { ds }), newPod('p-', 'node-1', { ds, labels: simpleDaemonSetLabel2 }));
      h.addPods(newPod('p-', 'node-4', { ds }));
      const r = await h.sync(ds);
      expect(r.createdNodes.sort()).toEqual(['node-5', 'node-6', 'node-7', 'node-8', 'node-9']);
      expect(r.deletes).toBe(4);
    });
    it(`${s}: mixed bag -> 3 creates (5, 7, 8) and 20 deletes`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.template.spec.nodeSelector = { color: 'blue' };
      const { h, ds } = setup(d);
      h.addNodes(...newNodes(5), ...newNodes(5, 5, { color: 'blue' }));
      const add = (node: string, n: number, labels = simpleDaemonSetLabel): void => {
        for (let i = 0; i < n; i++) h.addPods(newPod('p-', node, { ds, labels }));
      };
      add('node-0', 1);
      add('node-1', 3);
      add('node-2', 4);
      add('node-6', 13);
      add('node-9', 1);
      add('node-1', 2, simpleDaemonSetLabel2);
      add('node-7', 4, simpleDaemonSetLabel2);
      add('node-9', 1, simpleDaemonSetLabel2);
      const r = await h.sync(ds);
      expect(r.createdNodes.sort()).toEqual(['node-5', 'node-7', 'node-8']);
      expect(r.deletes).toBe(20);
    });
    it(`${s}: template nodeName`, async () => {
      const cases: Array<[string, Record<string, string> | undefined, number]> = [
        ['node-0', undefined, 1],
        ['node-10', undefined, 0],
        ['node-6', { color: 'blue' }, 1],
        ['node-0', { color: 'blue' }, 0],
      ];
      for (const [nodeName, sel, want] of cases) {
        const d = newDaemonSet('foo', s);
        d.spec.template.spec.nodeName = nodeName;
        if (sel) d.spec.template.spec.nodeSelector = sel;
        const { h, ds } = setup(d);
        h.addNodes(...newNodes(5), ...newNodes(3, 5, { color: 'blue' }));
        await expectSync(h, ds, want, 0);
      }
    });
  }
});

describe('§15.15–17 taints, problem taints, cordon', () => {
  const taint = (key: string, effect: 'NoSchedule' | 'NoExecute', value?: string) => ({ key, effect, ...(value ? { value } : {}) });
  for (const s of strategies) {
    it(`${s}: untolerated NoSchedule -> no create; tolerated -> 1; existing pod kept under NoSchedule, deleted under NoExecute`, async () => {
      let { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(newNode('tainted', {}, [taint('dedicated', 'NoSchedule', 'user1')]));
      await expectSync(h, ds, 0, 0);

      const d = newDaemonSet('foo', s);
      d.spec.template.spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }];
      ({ h, ds } = setup(d));
      h.addNodes(newNode('tainted', {}, [taint('dedicated', 'NoSchedule', 'user1')]));
      await expectSync(h, ds, 1, 0);

      ({ h, ds } = setup(newDaemonSet('foo', s)));
      h.addNodes(newNode('tainted', {}, [taint('dedicated', 'NoSchedule', 'user1')]));
      h.addPods(newPod('p-', 'tainted', { ds }));
      await expectSync(h, ds, 0, 0);
      expect(h.liveDaemonSet('foo').status!.numberMisscheduled).toBe(1);

      ({ h, ds } = setup(newDaemonSet('foo', s)));
      h.addNodes(newNode('tainted', {}, [taint('dedicated', 'NoExecute', 'user1')]));
      h.addPods(newPod('p-', 'tainted', { ds }));
      await expectSync(h, ds, 0, 1);
    });
    it(`${s}: not-ready/unreachable NoExecute and pressure NoSchedule taints -> 1 create each`, async () => {
      for (const t of [
        taint('node.kubernetes.io/not-ready', 'NoExecute'),
        taint('node.kubernetes.io/unreachable', 'NoExecute'),
        taint('node.kubernetes.io/disk-pressure', 'NoSchedule'),
        taint('node.kubernetes.io/memory-pressure', 'NoSchedule'),
        taint('node.kubernetes.io/pid-pressure', 'NoSchedule'),
      ]) {
        const { h, ds } = setup(newDaemonSet('foo', s));
        h.addNodes(newNode('n', {}, [t]));
        await expectSync(h, ds, 1, 0);
      }
    });
    it(`${s}: cordoned node and network-unavailable node with hostNetwork -> a pod on both, status counts 2`, async () => {
      const d = newDaemonSet('foo', s);
      d.spec.template.spec.hostNetwork = true;
      const { h, ds } = setup(d);
      const cordoned = newNode('cordoned', {}, [taint('node.kubernetes.io/unschedulable', 'NoSchedule')]);
      cordoned.spec!.unschedulable = true;
      const netless = newNode('netless', {}, [taint('node.kubernetes.io/network-unavailable', 'NoSchedule')]);
      netless.status!.conditions = [{ type: 'Ready', status: 'False' }];
      h.addNodes(cordoned, netless);
      await expectSync(h, ds, 2, 0);
      expect(h.liveDaemonSet('foo').status!.desiredNumberScheduled).toBe(2);
      expect(h.liveDaemonSet('foo').status!.currentNumberScheduled).toBe(2);
    });
  }
});

describe('§15.18–19 failed pods and backoff', () => {
  for (const s of strategies) {
    it(`${s}: failed/ok combinations on one node`, async () => {
      const cases: Array<[number, number, number, number, number]> = [
        // failed, ok, creates, deletes, events
        [0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [1, 0, 0, 1, 1],
        [1, 3, 0, 3, 1],
      ];
      for (const [failed, ok, c, d, e] of cases) {
        const { h, ds } = setup(newDaemonSet('foo', s));
        h.addNodes(newNode('node-0'));
        for (let i = 0; i < failed; i++) h.addPods(newPod('f-', 'node-0', { ds, phase: 'Failed' }));
        for (let i = 0; i < ok; i++) h.addPods(newPod('ok-', 'node-0', { ds }));
        await expectSync(h, ds, c, d, e);
        if (e) expect(h.recorder.events[0]).toMatch(/^Warning FailedDaemonPod Found failed daemon pod default\/f-\d+ on node node-0, will try to kill it$/);
      }
    });
    it(`${s}: succeeded pod is deleted with SucceededDaemonPod`, async () => {
      const { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(newNode('node-0'));
      h.addPods(newPod('s-', 'node-0', { ds, phase: 'Succeeded' }));
      await expectSync(h, ds, 0, 1, 1);
      expect(h.recorder.events[0]).toMatch(/^Normal SucceededDaemonPod Found succeeded daemon pod default\/s-\d+ on node node-0, will try to delete it$/);
    });
    it(`${s}: backoff: delete, then hold while in backoff, then delete again with a doubled delay`, async () => {
      const d = newDaemonSet('foo', s);
      d.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: 1 };
      const { h, ds } = setup(d);
      h.addNodes(newNode('node-0'));
      const addFailed = (): void => h.addPods(newPod('f-', 'node-0', { ds, phase: 'Failed' }));
      addFailed();
      await expectSync(h, ds, 0, 1, 1);
      const bkey = `${ds.metadata.uid}/1/node-0`;
      expect(h.controller.failedPodsBackoff.get(bkey)).toBe(1000);
      addFailed();
      await expectSync(h, ds, 0, 0, 0);
      expect(h.controller.failedPodsBackoff.get(bkey)).toBe(1000);
      h.clock.advance(999);
      expect(h.controller.failedPodsBackoff.isInBackOffSinceUpdate(bkey, h.clock.now())).toBe(true);
      h.clock.advance(1);
      await expectSync(h, ds, 0, 1, 1);
      expect(h.controller.failedPodsBackoff.get(bkey)).toBe(2000);
    });
  }
  it('with surge, the failed pod is deleted and replaced in the same pass', async () => {
    const { h, ds } = setup(withSurge(newDaemonSet('foo'), 1));
    h.addNodes(newNode('node-0'));
    h.addPods(newPod('f-', 'node-0', { ds, phase: 'Failed' }));
    await expectSync(h, ds, 1, 1, 1);
  });
});

describe('§15.20 terminating pods', () => {
  it('OnDelete and maxUnavailable: a node whose only pod is terminating gets nothing', async () => {
    for (const s of strategies) {
      const { h, ds } = setup(newDaemonSet('foo', s));
      h.addNodes(newNode('node-0'));
      h.addPods(newPod('t-', 'node-0', { ds, deleting: true }));
      await expectSync(h, ds, 0, 0);
    }
  });
  it('maxSurge 1: surge budget used on node-0, node-4 pod terminating -> exactly 1 create on node-4', async () => {
    const { h, ds } = setup(withSurge(newDaemonSet('foo'), 1));
    h.addNodes(...newNodes(5));
    const hash = currentHash(h, ds);
    for (let i = 0; i < 4; i++) h.addPods(newPod('old-', `node-${i}`, { ds, ready: true, old: true }));
    h.addPods(newPod('new-', 'node-0', { ds, labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': hash } }));
    h.addPods(newPod('old-', 'node-4', { ds, ready: true, deleting: true, old: true }));
    const r = await h.sync(ds);
    expect(r.createdNodes).toEqual(['node-4']);
    expect(r.deletes).toBe(0);
  });
});

describe('§15.21 surge pruning on one node', () => {
  async function run(opts: { oldReady50: boolean; minReady?: number; newReadySince?: number; now: number }): Promise<string[]> {
    const d = withSurge(newDaemonSet('foo'), 1);
    if (opts.minReady) d.spec.minReadySeconds = opts.minReady;
    const { h, ds } = setup(d);
    h.clock.setTime(T0 + opts.now * 1000);
    h.addNodes(...newNodes(5));
    const hash = currentHash(h, ds);
    const hl = { ...simpleDaemonSetLabel, 'controller-revision-hash': hash };
    h.addPods(newPod('cur-', 'node-2', { ds, labels: hl, ready: true }));
    const newP = newPod('new-', 'node-1', { ds, labels: hl, createdAt: T0 + 100_000, ready: opts.newReadySince === undefined ? false : T0 + opts.newReadySince * 1000 });
    const old50 = newPod('old50-', 'node-1', { ds, createdAt: T0 + 50_000, ready: opts.oldReady50, old: true });
    const old60 = newPod('old60-', 'node-1', { ds, createdAt: T0 + 60_000, ready: true, old: true });
    h.addPods(newP, old50, old60);
    const r = await h.sync(ds);
    expect(r.createdNodes.sort()).toEqual(['node-0', 'node-3', 'node-4']);
    return r.deleted.map((n) => n.replace(/\d+$/, ''));
  }
  it('olds Ready, new not Ready -> delete only the t=60 old pod', async () => {
    expect(await run({ oldReady50: true, now: 200 })).toEqual(['old60-']);
  });
  it('t=50 old not Ready -> delete both old pods', async () => {
    expect((await run({ oldReady50: false, now: 200 })).sort()).toEqual(['old50-', 'old60-']);
  });
  it('minReadySeconds 15, new Ready since 50, now 60 -> delete only t=60', async () => {
    expect(await run({ oldReady50: true, minReady: 15, newReadySince: 50, now: 60 })).toEqual(['old60-']);
  });
  it('new Ready but not yet available: the sync asks to look again when it will be', async () => {
    const d = withSurge(newDaemonSet('foo'), 1);
    d.spec.minReadySeconds = 15;
    const { h, ds } = setup(d);
    h.clock.setTime(T0 + 60_000);
    h.addNodes(newNode('node-0'));
    const hl = { ...simpleDaemonSetLabel, 'controller-revision-hash': currentHash(h, ds) };
    h.addPods(newPod('new-', 'node-0', { ds, labels: hl, createdAt: T0 + 40_000, ready: T0 + 50_000 }));
    h.addPods(newPod('old-', 'node-0', { ds, createdAt: T0, ready: true, old: true }));
    const r = await h.sync(ds);
    expect(r.deletes).toBe(0);
    // Available at 50 + 15 s: the wake-up is due then, whatever asked for one before.
    expect(h.controller.queue.waitingKeys()).toEqual([{ key: 'default/foo', at: T0 + 65_001 }]);
  });
  it('same at now 70 -> delete both old pods', async () => {
    expect((await run({ oldReady50: true, minReady: 15, newReadySince: 50, now: 70 })).sort()).toEqual(['old50-', 'old60-']);
  });
});

describe('§15.22–23 rolling update budget', () => {
  it('§15.22: unavailable pods replaced, ready ones never touched; maxUnavailable 11 -> 11 deletes', async () => {
    const { h } = setup(withMaxUnavailable(newDaemonSet('foo'), 10));
    let ds = h.cachedDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(20));
    await expectSync(h, ds, 20, 0);
    h.markAllReady(T0 - 3600_000);
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 0, 10);
    await expectSync(h, ds, 10, 0);
    const readyNames = new Set(h.pods().filter((p) => p.status?.conditions?.[0]?.status === 'True').map((p) => p.metadata.name));
    expect(readyNames.size).toBe(10);
    for (let mu = 0; mu < 10; mu++) {
      ds = changeTemplate(h, ds, `foo/bar:${3 + mu}`, (d) => {
        d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: mu, maxSurge: 0 } };
      });
      const r = await h.sync(ds);
      expect(r.deletes).toBe(10);
      for (const n of r.deleted) expect(readyNames.has(n)).toBe(false);
      await expectSync(h, ds, 10, 0);
    }
    ds = changeTemplate(h, ds, 'foo/bar:final', (d) => {
      d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 11, maxSurge: 0 } };
    });
    const r = await h.sync(ds);
    expect(r.deletes).toBe(11);
    expect(r.deleted.filter((n) => readyNames.has(n))).toHaveLength(1);
  });

  it('§15.23: 88 new unready, 2 old unready, 10 old ready -> delete the 2 old unready, create 2, then nothing', async () => {
    const { h, ds } = setup(withMaxUnavailable(newDaemonSet('foo'), 10));
    h.addNodes(...newNodes(100));
    const hash = currentHash(h, ds);
    for (let i = 0; i < 88; i++) h.addPods(newPod('new-', `node-${i}`, { ds, labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': hash } }));
    const oldUnready = [newPod('oldu-', 'node-88', { ds, old: true }), newPod('oldu-', 'node-89', { ds, old: true })];
    h.addPods(...oldUnready);
    for (let i = 90; i < 100; i++) h.addPods(newPod('oldr-', `node-${i}`, { ds, ready: true, old: true }));
    let r = await h.sync(ds);
    expect(r.creates).toBe(0);
    expect(r.deleted.sort()).toEqual(oldUnready.map((p) => p.metadata.name).sort());
    await expectSync(h, ds, 2, 0);
    await expectSync(h, ds, 0, 0);
  });
});

describe('§15.24 surge with nodes that stop qualifying', () => {
  it('removing a toleration: 1 create + 1 delete per round, then a final delete', async () => {
    const d = withSurge(newDaemonSet('foo'), 1);
    d.spec.template.spec.tolerations = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }];
    let { h, ds } = setup(d);
    h.addNodes(newNode('node-0', {}, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]), ...newNodes(4, 1));
    await expectSync(h, ds, 5, 0);
    h.markAllReady(T0 - 3600_000);
    ds = changeTemplate(h, ds, 'foo/bar', (x) => {
      x.spec.template.spec.tolerations = [];
    });
    let r = await h.sync(ds);
    expect([r.creates, r.deletes]).toEqual([1, 1]);
    expect(h.pods().some((p) => p.spec.nodeName === 'node-0')).toBe(false);
    for (let round = 0; round < 3; round++) {
      h.markAllReady(T0 - 3600_000);
      r = await h.sync(ds);
      expect([r.creates, r.deletes]).toEqual([1, 1]);
    }
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 0, 1);
    await expectSync(h, ds, 0, 0);
    expect(h.pods()).toHaveLength(4);
  });
});

describe('§15.25 surge when everything old is unavailable, with a minReadySeconds timeline', () => {
  it('follows the upstream timeline', async () => {
    const { h } = setup(withSurge(newDaemonSet('foo'), 3));
    let ds = h.cachedDaemonSet(newDaemonSet('foo'));
    h.addNodes(...newNodes(5));
    await expectSync(h, ds, 5, 0); // never Ready
    h.clock.setTime(T0 + 100_000);
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 5, 0); // unavailable olds bypass the surge limit
    h.clock.setTime(T0 + 200_000);
    await expectSync(h, ds, 0, 5); // olds not Ready are deleted
    h.markAllReady(T0 + 200_000);
    ds = changeTemplate(h, ds, 'foo/bar:3', (x) => {
      x.spec.minReadySeconds = 15;
    });
    h.clock.setTime(T0 + 300_000);
    await expectSync(h, ds, 3, 0);
    const hash = currentHash(h, ds);
    const isNew = (p: Pod): boolean => p.metadata.labels?.['controller-revision-hash'] === hash;
    const newPods = h.pods().filter(isNew);
    expect(newPods).toHaveLength(3);
    h.markReady(newPods[0]!, T0 + 300_000);
    h.markReady(newPods[1]!, T0 + 300_000);
    const surgedNodes = new Set(newPods.map((p) => p.spec.nodeName));
    const lonelyOld = h.pods().find((p) => !isNew(p) && !surgedNodes.has(p.spec.nodeName))!;
    h.markNotReady(lonelyOld);
    h.clock.setTime(T0 + 310_000);
    await expectSync(h, ds, 1, 0);
    h.clock.setTime(T0 + 320_000);
    await expectSync(h, ds, 1, 3);
    for (const p of h.pods().filter(isNew)) h.markReady(p, T0 + 320_000);
    h.clock.setTime(T0 + 340_000);
    await expectSync(h, ds, 0, 2);
    h.clock.setTime(T0 + 350_000);
    await expectSync(h, ds, 0, 0);
  });
});

describe('§10.5 worked timelines (5 nodes)', () => {
  async function launched(d: DaemonSet): Promise<{ h: Harness; ds: DaemonSet }> {
    const { h, ds } = setup(d);
    h.addNodes(...newNodes(5));
    await expectSync(h, ds, 5, 0);
    h.markAllReady(T0 - 3600_000);
    return { h, ds };
  }
  it('maxUnavailable 2', async () => {
    let { h, ds } = await launched(withMaxUnavailable(newDaemonSet('foo'), 2));
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 0, 2);
    await expectSync(h, ds, 2, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 0, 2);
    await expectSync(h, ds, 2, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 0, 1);
    await expectSync(h, ds, 1, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 0, 0);
    expect(h.liveDaemonSet('foo').status!.updatedNumberScheduled).toBe(5);
  });
  it('maxSurge 2', async () => {
    let { h, ds } = await launched(withSurge(newDaemonSet('foo'), 2));
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 2, 0);
    await expectSync(h, ds, 0, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 2, 2);
    await expectSync(h, ds, 0, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 1, 2);
    await expectSync(h, ds, 0, 0);
    h.markAllReady(T0 - 3600_000);
    await expectSync(h, ds, 0, 1);
    await expectSync(h, ds, 0, 0);
  });
  it('maxUnavailable 3, new pods never ready: stalls', async () => {
    let { h, ds } = await launched(withMaxUnavailable(newDaemonSet('foo'), 3));
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 0, 3);
    await expectSync(h, ds, 3, 0);
    await expectSync(h, ds, 0, 0);
  });
  it('maxUnavailable 3, old pods never ready: all 5 replaced at once', async () => {
    const { h, ds: d0 } = setup(withMaxUnavailable(newDaemonSet('foo'), 3));
    h.addNodes(...newNodes(5));
    await expectSync(h, d0, 5, 0);
    const ds = changeTemplate(h, d0, 'foo/bar:2');
    await expectSync(h, ds, 0, 5);
    await expectSync(h, ds, 5, 0);
  });
  it('template unchanged, strategy switched to RollingUpdate: no pod touched', async () => {
    const { h, ds: d0 } = await launched(newDaemonSet('foo', 'OnDelete'));
    const d = structuredClone(h.cachedDaemonSet(d0));
    d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    const ds = h.updateDaemonSet(d);
    await expectSync(h, ds, 0, 0);
  });
  it('OnDelete never replaces out-of-date pods; a deleted pod comes back with the new hash', async () => {
    let { h, ds } = await launched(newDaemonSet('foo', 'OnDelete'));
    ds = changeTemplate(h, ds, 'foo/bar:2');
    await expectSync(h, ds, 0, 0);
    expect(h.liveDaemonSet('foo').status!.updatedNumberScheduled).toBeUndefined(); // zero: left out, as apps/v1 does
    const victim = h.pods()[0]!;
    h.controller.podInformer.indexer.delete(victim);
    await expectSync(h, ds, 1, 0);
    expect(h.podControl.createdPods[0]!.metadata.labels!['controller-revision-hash']).toBe(currentHash(h, ds));
  });
});

describe('expectations gate writes', () => {
  it('while unsatisfied, a pass writes status without observedGeneration and creates nothing', async () => {
    const { h, ds } = setup(newDaemonSet('foo'));
    h.addNodes(...newNodes(3));
    h.controller.expectations.expectCreations('default/foo', 2);
    await expectSync(h, ds, 0, 0);
    const st = h.liveDaemonSet('foo').status!;
    expect(st.desiredNumberScheduled).toBe(3);
    expect(st.observedGeneration).toBeUndefined();
    // Requeued for when the expectations expire: a lost event does not wedge the DaemonSet.
    expect(h.controller.queue.waitingKeys()).toEqual([{ key: 'default/foo', at: T0 + 5 * 60 * 1000 + 1 }]);
    h.clock.advance(5 * 60 * 1000 + 1);
    await expectSync(h, ds, 3, 0);
  });
  it('burst: at most 250 creates per pass', async () => {
    const { h, ds } = setup(newDaemonSet('foo'));
    h.addNodes(...newNodes(300));
    await expectSync(h, ds, 250, 0);
    await expectSync(h, ds, 50, 0);
  });
});

describe('status', () => {
  it('is not rewritten when unchanged; minReadySeconds requeues when ready != available', async () => {
    const d = newDaemonSet('foo');
    d.spec.minReadySeconds = 10;
    const { h, ds } = setup(d);
    h.addNodes(newNode('node-0'));
    h.addPods(newPod('p-', 'node-0', { ds, ready: T0 }));
    await h.sync(ds);
    const st = h.liveDaemonSet('foo').status!;
    expect([st.numberReady, st.numberAvailable, st.numberUnavailable]).toEqual([1, undefined, 1]); // a zero count is left out
    expect(h.controller.queue.waitingKeys()).toEqual([{ key: 'default/foo', at: T0 + 10_000 }]);
    h.client.clearActions();
    await h.sync(ds);
    expect(h.client.actions.filter((a) => a.verb === 'updateStatus')).toHaveLength(0);
  });
  it('keeps user conditions in status writes', async () => {
    const d = newDaemonSet('foo');
    d.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, conditions: [{ type: 'StatusUpdate', status: 'True', reason: 'E2E' }] };
    const { h, ds } = setup(d);
    h.addNodes(newNode('node-0'));
    await h.sync(ds);
    expect(h.liveDaemonSet('foo').status!.conditions).toEqual([{ type: 'StatusUpdate', status: 'True', reason: 'E2E' }]);
  });
});

describe('pacing of steady passes', () => {
  /** Takes the key from the queue and processes it as a worker would; true when a pass ran. */
  async function work(h: Harness, key: string, passes: { n: number }): Promise<boolean> {
    const before = passes.n;
    h.controller.queue.add(key);
    const k = h.controller.queue.tryGet();
    expect(k).toBe(key);
    await h.controller.processKey(k!);
    h.mirror();
    return passes.n > before;
  }

  it('a pass that wrote no pod delays the next one by 5x its duration; a pass that writes pods is not paced', async () => {
    const { h } = setup(newDaemonSet('foo'));
    h.addNodes(...newNodes(3));
    const key = 'default/foo';
    const passes = { n: 0 };
    const sync = h.controller.syncDaemonSet.bind(h.controller);
    // Every pass "takes" 10 ms of the fake clock.
    h.controller.syncDaemonSet = async (k: string) => {
      passes.n++;
      await sync(k);
      h.clock.advance(10);
    };
    // The first pass creates the three pods: not paced, the next pass runs at once.
    expect(await work(h, key, passes)).toBe(true);
    expect(h.podControl.templates).toHaveLength(3);
    expect(h.pods()).toHaveLength(3);
    h.markAllReady();
    h.podControl.clear();
    // A steady pass (every node has its pod): runs, then paces the key for 50 ms.
    expect(await work(h, key, passes)).toBe(true);
    const t = h.clock.now();
    // Events meanwhile fold into one pass at the end of the pace.
    expect(await work(h, key, passes)).toBe(false);
    expect(await work(h, key, passes)).toBe(false);
    expect(h.controller.queue.waitingKeys()).toEqual([{ key, at: t + 50 }]);
    h.clock.advance(50);
    const k = h.controller.queue.tryGet();
    expect(k).toBe(key);
    await h.controller.processKey(k!);
    expect(passes.n).toBe(3);
    expect(h.podControl.templates).toHaveLength(0);
    // A new node: the pass after the pace creates its pod, and the one after that is not paced.
    h.clock.advance(50);
    h.addNodes(newNode('node-new'));
    expect(await work(h, key, passes)).toBe(true);
    expect(h.podControl.templates.map((x) => x.spec.nodeName)).toContain('node-new');
  });
});
