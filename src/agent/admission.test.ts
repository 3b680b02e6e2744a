import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { admitPod, podRequest, quantityValue } from './admission.js';
import { nodeStatusEqualIgnoringHeartbeat, desiredNodeStatus, parseLabels, parseTaints, type NodeConfig } from './node-status.js';

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

  it('rejects a host port already taken on the node', () => {
    const r = admitPod(pod('b', {}, 8080), [pod('a', {}, 8080)], allocatable);
    expect(r).toMatchObject({ admit: false, reason: 'HostPortConflict' });
    expect(r.message).toContain('TCP port 8080 is already used by pod default/a');
    expect(admitPod(pod('b', {}, 8081), [pod('a', {}, 8080)], allocatable)).toEqual({ admit: true });
  });
});

describe('node status', () => {
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
