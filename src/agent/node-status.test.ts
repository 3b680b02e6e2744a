import { describe, expect, it } from 'vitest';
import { lifecycleUserAgent } from './lifecycle.js';
import { agentKubeletVersion, desiredNodeStatus, diskPressure, goArch, initialNode, machineInfo, managedLabels, type NodeConfig } from './node-status.js';
import { probeUserAgent } from './probes.js';
import { majorMinor } from './version.js';

const cfg: NodeConfig = {
  nodeName: 'n1',
  nodeIP: '127.0.1.1',
  labels: { pool: 'a' },
  taints: [],
  port: 10250,
  machine: { cpu: '2', memory: '1Gi', nodeInfo: {} },
};

describe('node labels', () => {
  it('sets the beta OS/arch labels beside the GA ones, as the kubelet\'s initialNode', () => {
    const labels = initialNode(cfg).metadata.labels!;
    expect(labels).toMatchObject({
      pool: 'a',
      'kubernetes.io/hostname': 'n1',
      'kubernetes.io/os': process.platform,
      'kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': process.platform,
      'beta.kubernetes.io/arch': goArch(),
    });
  });

  it('merges them on re-registration with the other managed labels', () => {
    // registerNode patches every managed label that differs from the existing node's.
    expect(managedLabels(cfg)).toMatchObject({ 'beta.kubernetes.io/os': process.platform, 'beta.kubernetes.io/arch': goArch() });
  });
});

describe('DiskPressure', () => {
  it('is True below the kubelet\'s default thresholds (10% space, 5% inodes available), with its reason; the transition time follows the status', () => {
    expect(diskPressure({ blocks: 1000, bavail: 99, files: 1000, ffree: 500 })).toBe(true);
    expect(diskPressure({ blocks: 1000, bavail: 500, files: 1000, ffree: 49 })).toBe(true);
    expect(diskPressure({ blocks: 1000, bavail: 100, files: 1000, ffree: 50 })).toBe(false);
    expect(diskPressure(undefined)).toBe(false);
    const calm = desiredNodeStatus(cfg, undefined, '2024-01-01T00:00:00Z');
    expect(calm.conditions!.find((c) => c.type === 'DiskPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasNoDiskPressure' });
    const full = desiredNodeStatus({ ...cfg, diskPressure: true }, calm, '2024-01-01T00:01:00Z');
    expect(full.conditions!.find((c) => c.type === 'DiskPressure')).toEqual({
      type: 'DiskPressure',
      status: 'True',
      reason: 'KubeletHasDiskPressure',
      message: 'kubelet has disk pressure',
      lastHeartbeatTime: '2024-01-01T00:01:00Z',
      lastTransitionTime: '2024-01-01T00:01:00Z',
    });
  });
});

describe('the version the node reports', () => {
  it("is the one probes and hooks name in their User-Agent (upstream kube-probe/<major>.<minor>)", () => {
    const version = machineInfo('process').nodeInfo['kubeletVersion'];
    expect(version).toBe(agentKubeletVersion);
    expect(majorMinor('v1.32.0')).toBe('1.32');
    expect(probeUserAgent).toBe(`kube-probe/${majorMinor(agentKubeletVersion)}`);
    expect(lifecycleUserAgent).toBe(`kube-lifecycle/${majorMinor(agentKubeletVersion)}`);
    expect(probeUserAgent).toBe('kube-probe/1.32');
  });
});

describe('allocatable', () => {
  it('is capacity less the kubelet\'s default hard eviction thresholds: 100Mi of memory (hardEvictionReservation)', () => {
    expect(desiredNodeStatus(cfg, undefined, '2024-01-01T00:00:00Z').allocatable).toMatchObject({ cpu: '2', memory: '924Mi', pods: '110' });
    const machine = { ...cfg.machine, memory: '24683748Ki' };
    expect(desiredNodeStatus({ ...cfg, machine }, undefined, '2024-01-01T00:00:00Z').allocatable?.['memory']).toBe('24581348Ki');
  });
});
