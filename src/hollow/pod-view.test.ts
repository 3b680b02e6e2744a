// What the hollow process caches of a pod (hollowPodView, the pod informer's transform) against
// what its lifecycle reads (unit layer): the status it writes from the view is the status it
// would write from the whole pod, and the view drops what it never reads.

import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { hollowPodStatus, hollowPodView } from './hollow-nodes.js';

const fullPod = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'agent-x7k2p',
    namespace: 'kube-system',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { app: 'agent', 'controller-revision-hash': 'abc' },
    annotations: { note: 'x'.repeat(2000) },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-1', controller: true }],
    finalizers: ['example.com/hold'],
    deletionTimestamp: '2026-12-02T00:00:00Z',
  },
  spec: {
    nodeName: 'hollow-node-7',
    restartPolicy: 'Never',
    initContainers: [{ name: 'init', image: 'busybox:1', command: ['sh', '-c', 'true'] }],
    containers: [
      { name: 'main', image: 'agent:2', env: [{ name: 'A', value: 'b' }], resources: { limits: { cpu: '1' } } },
      { name: 'side', image: 'side:1' },
    ],
    tolerations: [{ operator: 'Exists' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hollow-node-7'] }] }] } } },
  },
  status: {
    phase: 'Running',
    startTime: '2026-12-01T00:00:00Z',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      { name: 'main', image: 'agent:2', imageID: 'hollow://agent:2', ready: true, restartCount: 0, state: { running: { startedAt: '2026-12-01T00:00:01Z' } } },
      { name: 'side', image: 'side:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
    ],
  },
});

describe('hollowPodView', () => {
  it('gives the same status writes as the whole pod, for every outcome', () => {
    const node = { hostIP: '10.64.0.7', podIP: '10.128.7.2' };
    const now = Date.parse('2026-12-02T10:00:00Z');
    for (const outcome of ['pending', 'running', 'failed'] as const) {
      expect(hollowPodStatus(hollowPodView(fullPod()), node, now, outcome)).toEqual(hollowPodStatus(fullPod(), node, now, outcome));
    }
  });

  it('keeps the keys, the deletion, the node and the running containers, and drops the rest', () => {
    const v = hollowPodView(fullPod());
    expect(v.metadata).toEqual({ name: 'agent-x7k2p', namespace: 'kube-system', uid: 'u-1', resourceVersion: '42', deletionTimestamp: '2026-12-02T00:00:00Z', finalizers: ['example.com/hold'] });
    expect(v.spec).toEqual({ nodeName: 'hollow-node-7', restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox:1' }], containers: [{ name: 'main', image: 'agent:2' }, { name: 'side', image: 'side:1' }] });
    expect(v.status?.containerStatuses?.map((c) => [c.name, c.ready, c.state])).toEqual([
      ['main', true, { running: { startedAt: '2026-12-01T00:00:01Z' } }],
      ['side', false, undefined],
    ]);
    expect(v.status?.conditions).toBeUndefined();
    expect(JSON.stringify(v).length).toBeLessThan(JSON.stringify(fullPod()).length / 3);
  });

  it('does not change the pod it is given', () => {
    const p = fullPod();
    hollowPodView(p);
    expect(p).toEqual(fullPod());
  });
});
