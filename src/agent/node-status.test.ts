import { describe, expect, it } from 'vitest';
import { goArch, initialNode, managedLabels, type NodeConfig } from './node-status.js';

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
