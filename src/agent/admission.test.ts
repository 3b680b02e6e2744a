import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../api/types.js';
import { admitPod, podRequest, quantityValue } from './admission.js';
import { binarySIBytes, nodeStatusEqualIgnoringHeartbeat, desiredNodeStatus, parseLabels, parseTaints, type NodeConfig } from './node-status.js';

function pod(name: string, requests: Record<string, string> = {}, hostPort?: number, init?: Record<string, string>): Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests }, ...(hostPort ? { ports: [{ containerPort: hostPort, hostPort }] } : {}) }],
      ...(init ? { initContainers: [{ name: 'i', image: 'x', resources: { requests: init } }] } : {}),
    },
  } as Pod;
}

const allocatable = { cpu: '2', memory: '1Gi', pods: '3' };

describe('--labels and --taints', () => {
  it('refuses keys and values the API server would refuse, naming the item and why', () => {
    expect(parseLabels('a=b, example.com/x=y_1')).toEqual({ a: 'b', 'example.com/x': 'y_1' });
    expect(() => parseLabels('Bad Key=x')).toThrow(/^invalid label "Bad Key=x": key: name part must consist of alphanumeric characters/);
    expect(() => parseLabels('ok=has space')).toThrow(/^invalid label "ok=has space": value: a valid label must be an empty string or consist of alphanumeric/);
    expect(() => parseLabels(`k=${'v'.repeat(64)}`)).toThrow(/value: must be no more than 63 characters/);
    expect(parseTaints('dedicated=gpu:NoExecute')).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }]);
    expect(() => parseTaints('a/b/c=x:NoSchedule')).toThrow(/^invalid taint "a\/b\/c=x:NoSchedule": key: /);
  });
});

describe('admission against the Node', () => {
  const node: Node = { metadata: { name: 'n1', labels: { zone: 'a' } }, spec: { taints: [{ key: 'soft', effect: 'NoSchedule' }] } } as Node;
  const on = (spec: Partial<Pod['spec']>): Pod => ({ ...pod('p'), spec: { ...pod('p').spec, ...spec } }) as Pod;

  it('refuses a pod whose nodeSelector or required node affinity the node does not match (NodeAffinity)', () => {
    expect(admitPod(on({ nodeSelector: { zone: 'a' } }), [], allocatable, node)).toEqual({ admit: true });
    expect(admitPod(on({ nodeSelector: { zone: 'b' } }), [], allocatable, node)).toEqual({ admit: false, reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    const affinity = (values: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values }] }] } } });
    expect(admitPod(on({ affinity: affinity(['a', 'c']) }), [], allocatable, node).admit).toBe(true);
    expect(admitPod(on({ affinity: affinity(['c']) }), [], allocatable, node).reason).toBe('NodeAffinity');
    // Without the Node (not read yet) the check is not made.
    expect(admitPod(on({ nodeSelector: { zone: 'b' } }), [], allocatable).admit).toBe(true);
  });

  it('refuses a pod that does not tolerate a NoExecute taint (TaintToleration); NoSchedule taints are the scheduler’s', () => {
    const tainted = { ...node, spec: { taints: [{ key: 'gone', value: 'x', effect: 'NoExecute' }] } } as Node;
    expect(admitPod(on({}), [], allocatable, node).admit).toBe(true);
    expect(admitPod(on({}), [], allocatable, tainted)).toEqual({ admit: false, reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
    expect(admitPod(on({ tolerations: [{ key: 'gone', operator: 'Exists' }] }), [], allocatable, tainted).admit).toBe(true);
    expect(admitPod(on({ tolerations: [{ key: 'gone', value: 'y' }] }), [], allocatable, tainted).reason).toBe('TaintToleration');
  });

  it('checks in the kubelet order: resources before affinity, affinity before ports, taints last', () => {
    const tainted = { ...node, spec: { taints: [{ key: 'gone', effect: 'NoExecute' }] } } as Node;
    const big = { ...pod('big', { cpu: '3' }, 8080), spec: { ...pod('big', { cpu: '3' }, 8080).spec, nodeSelector: { zone: 'b' } } } as Pod;
    expect(admitPod(big, [], allocatable, tainted).reason).toBe('OutOfcpu');
    const ported = { ...pod('p2', {}, 8080), spec: { ...pod('p2', {}, 8080).spec, nodeSelector: { zone: 'b' } } } as Pod;
    expect(admitPod(ported, [pod('a', {}, 8080)], allocatable, tainted).reason).toBe('NodeAffinity');
    expect(admitPod(pod('p3', {}, 8080), [pod('a', {}, 8080)], allocatable, tainted).reason).toBe('HostPortConflict');
  });
});

describe('admission', () => {
  it('reads quantities in the unit the check uses', () => {
    expect(quantityValue('500m', 1000)).toBe(500);
    expect(quantityValue('2', 1000)).toBe(2000);
    expect(quantityValue('1Gi')).toBe(1024 ** 3);
    expect(quantityValue('1.5k')).toBe(1500);
  });

  it('uses the larger of the containers sum and the biggest init container', () => {
    expect(podRequest(pod('p', { cpu: '100m' }, undefined, { cpu: '1' }), 'cpu')).toBe(1000);
    expect(podRequest(pod('p', { cpu: '1500m' }, undefined, { cpu: '1' }), 'cpu')).toBe(1500);
  });

  it('rejects pods whose requests exceed what is left, with upstream reasons and messages', () => {
    const running = [pod('a', { cpu: '1500m', memory: '512Mi' })];
    expect(admitPod(pod('b', { cpu: '500m' }), running, allocatable)).toEqual({ admit: true });
    expect(admitPod(pod('b', { cpu: '600m' }), running, allocatable)).toEqual({
      admit: false,
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 1500, capacity: 2000",
    });
    expect(admitPod(pod('b', { memory: '600Mi' }), running, allocatable)).toMatchObject({ admit: false, reason: 'OutOfmemory' });
    expect(admitPod(pod('d'), [pod('a'), pod('b'), pod('c')], allocatable)).toMatchObject({ admit: false, reason: 'OutOfpods' });
  });

  it('checks ephemeral-storage requests against the node\'s allocatable, as the kubelet', () => {
    const withDisk = { ...allocatable, 'ephemeral-storage': '1Gi' };
    expect(admitPod(pod('b', { 'ephemeral-storage': '512Mi' }), [pod('a', { 'ephemeral-storage': '512Mi' })], withDisk)).toEqual({ admit: true });
    expect(admitPod(pod('b', { 'ephemeral-storage': '600Mi' }), [pod('a', { 'ephemeral-storage': '512Mi' })], withDisk)).toEqual({
      admit: false,
      reason: 'OutOfephemeral-storage',
      message: `Pod was rejected: Node didn't have enough resource: ephemeral-storage, requested: ${600 * 1024 ** 2}, used: ${512 * 1024 ** 2}, capacity: ${1024 ** 3}`,
    });
    // A node that reports none admits any request (as for cpu and memory).
    expect(admitPod(pod('b', { 'ephemeral-storage': '600Gi' }), [], allocatable)).toEqual({ admit: true });
  });

  it('rejects a host port already taken on the node', () => {
    const r = admitPod(pod('b', {}, 8080), [pod('a', {}, 8080)], allocatable);
    expect(r).toMatchObject({ admit: false, reason: 'HostPortConflict' });
    expect(r.message).toContain('TCP port 8080 is already used by pod default/a');
    expect(admitPod(pod('b', {}, 8081), [pod('a', {}, 8080)], allocatable)).toEqual({ admit: true });
  });
});

describe('node status', () => {
  it("reports the data dir's filesystem as ephemeral-storage: its size, and allocatable less the 10% eviction threshold", () => {
    const c: NodeConfig = { nodeName: 'n1', nodeIP: '10.0.0.1', labels: {}, taints: [], port: 10250, machine: { cpu: '4', memory: '8Gi', nodeInfo: {} }, ephemeralStorageBytes: 25_656_558 * 4096 };
    const s = desiredNodeStatus(c, undefined, '2024-01-01T00:00:00Z');
    // The figures of a kind node's 100 GB disk, as its kubelet reports them.
    expect(s.capacity?.['ephemeral-storage']).toBe('102626232Ki');
    expect(s.allocatable?.['ephemeral-storage']).toBe('94580335255');
    // Memory less the kubelet's default 100Mi memory.available threshold.
    expect(s.allocatable?.['memory']).toBe('8092Mi');
    expect(binarySIBytes(0)).toBe('0');
    expect(binarySIBytes(1023)).toBe('1023');
    expect(binarySIBytes(3 * 1024 ** 3)).toBe('3Gi');
    // Not known: not reported.
    expect(desiredNodeStatus({ ...c, ephemeralStorageBytes: undefined }, undefined, '2024-01-01T00:00:00Z').capacity).not.toHaveProperty('ephemeral-storage');
  });

  const cfg: NodeConfig = {
    nodeName: 'n1', nodeIP: '10.0.0.1', labels: {}, taints: [], port: 10250,
    machine: { cpu: '4', memory: '8Gi', nodeInfo: { operatingSystem: 'linux' } },
  };
  it('keeps transition times and differs only in heartbeats between reports', () => {
    const a = desiredNodeStatus(cfg, undefined, '2024-01-01T00:00:00Z');
    const b = desiredNodeStatus(cfg, a, '2024-01-01T00:00:10Z');
    expect(b.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ lastTransitionTime: '2024-01-01T00:00:00Z', lastHeartbeatTime: '2024-01-01T00:00:10Z' });
    expect(nodeStatusEqualIgnoringHeartbeat(a, b)).toBe(true);
    const unknown = { ...a, conditions: a.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown' } : c)) };
    const c = desiredNodeStatus(cfg, unknown, '2024-01-01T00:00:20Z');
    expect(nodeStatusEqualIgnoringHeartbeat(unknown, c)).toBe(false);
    expect(c.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T00:00:20Z' });
  });

  it('parses the --labels and --taints flags', () => {
    expect(parseLabels('a=1,b.io/c=x')).toEqual({ a: '1', 'b.io/c': 'x' });
    expect(parseTaints('k=v:NoExecute,gpu:NoSchedule,x=y')).toEqual([
      { key: 'k', value: 'v', effect: 'NoExecute' },
      { key: 'gpu', effect: 'NoSchedule' },
      { key: 'x', value: 'y', effect: 'NoSchedule' },
    ]);
    expect(() => parseTaints('k=v:Sometimes')).toThrow(/effect must be/);
  });
});
