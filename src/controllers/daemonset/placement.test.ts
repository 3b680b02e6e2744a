import { describe, expect, it } from 'vitest';
import type { Taint } from '../../api/types.js';
import { addOrUpdateDaemonPodTolerations, getTargetNodeName, nodeShouldRunDaemonPod, replaceDaemonSetPodNodeNameNodeAffinity } from './placement.js';
import { newDaemonSet, newNode, newPod } from './testing/fixtures.js';

describe('§5.1 nodeShouldRunDaemonPod truth table', () => {
  type Row = [string, (ds: ReturnType<typeof newDaemonSet>, node: ReturnType<typeof newNode>) => void, boolean, boolean];
  const taint = (key: string, effect: Taint['effect'], value?: string): Taint => ({ key, effect, ...(value ? { value } : {}) });
  const rows: Row[] = [
    ['plain node', () => {}, true, true],
    ['template requests more than allocatable', (ds) => (ds.spec.template.spec.containers[0]!.resources = { requests: { cpu: '64' } }), true, true],
    ['template nodeName = other node', (ds) => (ds.spec.template.spec.nodeName = 'other'), false, false],
    ['host port used by another pod', (ds) => (ds.spec.template.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 80 }]), true, true],
    ['nodeSelector not matching', (ds) => (ds.spec.template.spec.nodeSelector = { color: 'red' }), false, false],
    [
      'required node affinity not matching',
      (ds) =>
        (ds.spec.template.spec.affinity = {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'color', operator: 'In', values: ['red'] }] }] } },
        }),
      false,
      false,
    ],
    ['spec.unschedulable without taint', (_ds, n) => (n.spec!.unschedulable = true), true, true],
    ['k=v:NoSchedule not tolerated', (_ds, n) => (n.spec!.taints = [taint('k', 'NoSchedule', 'v')]), false, true],
    ['k=v:NoExecute not tolerated', (_ds, n) => (n.spec!.taints = [taint('k', 'NoExecute', 'v')]), false, false],
    ['k=v:PreferNoSchedule', (_ds, n) => (n.spec!.taints = [taint('k', 'PreferNoSchedule', 'v')]), true, true],
    ['not-ready:NoExecute', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/not-ready', 'NoExecute')]), true, true],
    ['unreachable:NoExecute', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/unreachable', 'NoExecute')]), true, true],
    ['disk-pressure:NoSchedule', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/disk-pressure', 'NoSchedule')]), true, true],
    ['memory-pressure:NoSchedule', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/memory-pressure', 'NoSchedule')]), true, true],
    ['pid-pressure:NoSchedule', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/pid-pressure', 'NoSchedule')]), true, true],
    ['unschedulable:NoSchedule', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/unschedulable', 'NoSchedule')]), true, true],
    [
      'network-unavailable:NoSchedule with hostNetwork',
      (ds, n) => {
        ds.spec.template.spec.hostNetwork = true;
        n.spec!.taints = [taint('node.kubernetes.io/network-unavailable', 'NoSchedule')];
      },
      true,
      true,
    ],
    ['network-unavailable:NoSchedule without hostNetwork', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/network-unavailable', 'NoSchedule')]), false, true],
    ['not-ready:NoSchedule', (_ds, n) => (n.spec!.taints = [taint('node.kubernetes.io/not-ready', 'NoSchedule')]), false, true],
    ['Ready=False condition, no taints', (_ds, n) => (n.status!.conditions = [{ type: 'Ready', status: 'False' }]), true, true],
    [
      'tolerated NoExecute via Exists without key',
      (ds, n) => {
        ds.spec.template.spec.tolerations = [{ operator: 'Exists' }];
        n.spec!.taints = [taint('k', 'NoExecute', 'v')];
      },
      true,
      true,
    ],
    [
      'matchFields metadata.name In [node]',
      (ds) =>
        (ds.spec.template.spec.affinity = {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } },
        }),
      true,
      true,
    ],
    [
      'bad term ignored when another term matches',
      (ds) =>
        (ds.spec.template.spec.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Gt', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }],
            },
          },
        }),
      true,
      true,
    ],
  ];
  for (const [name, mutate, run, cont] of rows) {
    it(name, () => {
      const ds = newDaemonSet('foo');
      const node = newNode('n1', { zone: 'a' });
      node.status!.allocatable = { cpu: '1', memory: '1Gi' };
      mutate(ds, node);
      expect(nodeShouldRunDaemonPod(node, ds)).toEqual({ shouldRun: run, shouldContinueRunning: cont });
    });
  }
});

describe('§5.2 default tolerations merge', () => {
  it('replaces a same-identity toleration that differs (tolerationSeconds) in place and appends the rest in order', () => {
    const out = addOrUpdateDaemonPodTolerations({
      containers: [],
      hostNetwork: true,
      tolerations: [
        { key: 'a', operator: 'Exists' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    });
    expect(out).toEqual([
      { key: 'a', operator: 'Exists' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('replaces every duplicate that differs (a second unreachable toleration with 5 s would still evict the daemon), also beside one already exact', () => {
    const unreachable5 = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 } as const;
    const dup = addOrUpdateDaemonPodTolerations({ containers: [], tolerations: [unreachable5, { key: 'b', operator: 'Exists' }, unreachable5] });
    expect(dup.filter((t) => t.key === 'node.kubernetes.io/unreachable')).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(dup[1]).toEqual({ key: 'b', operator: 'Exists' });
    const exact = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' } as const;
    // Upstream's early return for an equal toleration never fires (it compares a pointer with a
    // value), so the 5 s toleration is replaced here too.
    const beside = addOrUpdateDaemonPodTolerations({ containers: [], tolerations: [unreachable5, exact] });
    expect(beside.slice(0, 2)).toEqual([exact, exact]);
  });
});

describe('§5.3 pinning and target node', () => {
  it('replaces required terms, keeps preferred ones and pod affinity', () => {
    const a = replaceDaemonSetPodNodeNameNodeAffinity(
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }],
        },
        podAffinity: { keep: true },
      },
      'n7',
    );
    expect(a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] });
    expect(a.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(a.podAffinity).toEqual({ keep: true });
  });
  it('target node: nodeName, else the matchFields value, else undefined', () => {
    const p = newPod('p-', 'n1');
    expect(getTargetNodeName(p)).toBe('n1');
    p.spec.nodeName = undefined;
    expect(getTargetNodeName(p)).toBeUndefined();
    p.spec.affinity = replaceDaemonSetPodNodeNameNodeAffinity(undefined, 'n2');
    expect(getTargetNodeName(p)).toBe('n2');
  });
});
