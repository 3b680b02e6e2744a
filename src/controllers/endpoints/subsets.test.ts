// The pure part of the endpoints controller, with upstream's cases (pkg/api/v1/endpoints
// util_test.go TestPackSubsets, endpoints_controller_test.go TestTruncateEndpoints,
// TestSyncServiceAddresses, TestPodToEndpointAddressForService, podutil FindPort).

import { describe, expect, it } from 'vitest';
import type { Pod, PodPhase } from '../../api/types.js';
import { deepFreeze } from '../../client/index.js';
import {
  computeSubsets,
  findPort,
  isHeadless,
  podEndpointsChanged,
  podToEndpointAddress,
  repackSubsets,
  servicesToUpdate,
  shouldPodBeInEndpoints,
  subsetsEqual,
  truncateSubsets,
} from './subsets.js';
import type { EndpointAddress, EndpointSubset, Service } from './types.js';

const ref = (uid: string) => ({ uid });
const a = (ip: string, uid?: string): EndpointAddress => (uid === undefined ? { ip } : { ip, targetRef: ref(uid) });

function testPod(id: number, o: { ready?: boolean; ports?: number; ips?: string[]; phase?: PodPhase; deleting?: boolean; labels?: Record<string, string> } = {}): Pod {
  const ips = o.ips ?? [`1.2.3.${4 + id}`];
  return deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'ns',
      name: `pod${id}`,
      uid: `uid-${id}`,
      labels: o.labels ?? { foo: 'bar' },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: `node-${id}`,
      containers: [{ name: 'c', ports: Array.from({ length: o.ports ?? 1 }, (_, j) => ({ name: `port${j}`, containerPort: 8080 + j, protocol: 'TCP' as const })) }],
    },
    status: {
      ...(o.phase ? { phase: o.phase } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      ...(ips.length ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    },
  } as Pod);
}

function svc(spec: Service['spec'], name = 'foo'): Service {
  return deepFreeze({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name }, spec: { selector: { foo: 'bar' }, ...spec } });
}

describe('repackSubsets (upstream TestPackSubsets)', () => {
  const cases: Array<{ name: string; given: EndpointSubset[]; expect: EndpointSubset[] }> = [
    { name: 'empty everything', given: [{ addresses: [], ports: [] }], expect: [] },
    { name: 'empty addresses', given: [{ addresses: [], ports: [{ port: 111 }] }], expect: [] },
    // upstream's sentinel port: addresses without ports are kept (headless Services without ports)
    { name: 'empty ports', given: [{ addresses: [a('1.2.3.4')], ports: [] }], expect: [{ addresses: [a('1.2.3.4')] }] },
    { name: 'empty ports, not ready', given: [{ notReadyAddresses: [a('1.2.3.4')], ports: [] }], expect: [{ notReadyAddresses: [a('1.2.3.4')] }] },
    { name: 'one set, one ip, one port', given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }] },
    { name: 'one set, one ip, one port (IPv6)', given: [{ addresses: [a('beef::1:2:3:4')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('beef::1:2:3:4')], ports: [{ port: 111 }] }] },
    { name: 'one set, one notReady ip, one port', given: [{ notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }], expect: [{ notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }] },
    { name: 'one set, one ip, one UID, one port', given: [{ addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] }] },
    { name: 'one set, one ip, empty UID, one port', given: [{ addresses: [a('1.2.3.4', '')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('1.2.3.4', '')], ports: [{ port: 111 }] }] },
    { name: 'one set, two ips, one port', given: [{ addresses: [a('1.2.3.4'), a('5.6.7.8')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('1.2.3.4'), a('5.6.7.8')], ports: [{ port: 111 }] }] },
    {
      name: 'one set, two mixed ips, one port',
      given: [{ addresses: [a('1.2.3.4')], notReadyAddresses: [a('5.6.7.8')], ports: [{ port: 111 }] }],
      expect: [{ addresses: [a('1.2.3.4')], notReadyAddresses: [a('5.6.7.8')], ports: [{ port: 111 }] }],
    },
    {
      name: 'one set, two duplicate ips, one port, notReady is covered by ready',
      given: [{ addresses: [a('1.2.3.4')], notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
      expect: [{ notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
    },
    { name: 'one set, one ip, two ports', given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }, { port: 222 }] }], expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }, { port: 222 }] }] },
    { name: 'one set, dup ips, one port', given: [{ addresses: [a('1.2.3.4'), a('1.2.3.4')], ports: [{ port: 111 }] }], expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }] },
    {
      name: 'one set, dup ips with target-refs, one port',
      given: [{ addresses: [{ ip: '1.2.3.4', targetRef: { name: 'foo' } }, { ip: '1.2.3.4', targetRef: { name: 'bar' } }], ports: [{ port: 111 }] }],
      expect: [{ addresses: [{ ip: '1.2.3.4', targetRef: { name: 'foo' } }], ports: [{ port: 111 }] }],
    },
    {
      name: 'one set, dup mixed ips with target-refs, one port',
      given: [{ addresses: [{ ip: '1.2.3.4', targetRef: { name: 'foo' } }], notReadyAddresses: [{ ip: '1.2.3.4', targetRef: { name: 'bar' } }], ports: [{ port: 111 }] }],
      expect: [{ notReadyAddresses: [{ ip: '1.2.3.4', targetRef: { name: 'foo' } }], ports: [{ port: 111 }] }],
    },
    { name: 'one set, one ip, dup ports', given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }, { port: 111 }] }], expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }] },
    {
      name: 'two sets, dup ip, dup port',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
      expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two sets, dup mixed ip, dup port',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
      expect: [{ notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two sets, dup ip, two ports',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { addresses: [a('1.2.3.4')], ports: [{ port: 222 }] }],
      expect: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }, { port: 222 }] }],
    },
    {
      name: 'two sets, dup mixed ip, dup uids, two ports',
      given: [{ addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] }, { notReadyAddresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 222 }] }],
      expect: [
        { addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 222 }] },
      ],
    },
    {
      name: 'two sets, two ips, dup port',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { addresses: [a('5.6.7.8')], ports: [{ port: 111 }] }],
      expect: [{ addresses: [a('1.2.3.4'), a('5.6.7.8')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two set, dup ip, two uids, dup ports',
      given: [{ addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] }, { addresses: [a('1.2.3.4', 'uid-2')], ports: [{ port: 111 }] }],
      expect: [{ addresses: [a('1.2.3.4', 'uid-1'), a('1.2.3.4', 'uid-2')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two set, dup ip, with and without uid, dup ports',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { addresses: [a('1.2.3.4', 'uid-2')], ports: [{ port: 111 }] }],
      expect: [{ addresses: [a('1.2.3.4'), a('1.2.3.4', 'uid-2')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two sets, two ips, two dup ip with uid, dup port, wrong order',
      given: [
        { addresses: [a('5.6.7.8')], ports: [{ port: 111 }] },
        { addresses: [a('5.6.7.8', 'uid-1')], ports: [{ port: 111 }] },
        { addresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] },
        { addresses: [a('1.2.3.4')], ports: [{ port: 111 }] },
      ],
      expect: [{ addresses: [a('1.2.3.4'), a('1.2.3.4', 'uid-1'), a('5.6.7.8'), a('5.6.7.8', 'uid-1')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two sets, two mixed ips, two dup ip with uid, dup port, wrong order, ends up with split addresses',
      given: [
        { addresses: [a('5.6.7.8')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('5.6.7.8', 'uid-1')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.4', 'uid-1')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.4')], ports: [{ port: 111 }] },
      ],
      expect: [{ addresses: [a('5.6.7.8')], notReadyAddresses: [a('1.2.3.4'), a('1.2.3.4', 'uid-1'), a('5.6.7.8', 'uid-1')], ports: [{ port: 111 }] }],
    },
    {
      name: 'two sets, two ips, two ports',
      given: [{ addresses: [a('1.2.3.4')], ports: [{ port: 111 }] }, { addresses: [a('5.6.7.8')], ports: [{ port: 222 }] }],
      expect: [
        { addresses: [a('1.2.3.4')], ports: [{ port: 111 }] },
        { addresses: [a('5.6.7.8')], ports: [{ port: 222 }] },
      ],
    },
    {
      name: 'four sets, three ips, three ports, jumbled',
      given: [
        { addresses: [a('1.2.3.4')], ports: [{ port: 111 }] },
        { addresses: [a('1.2.3.5')], ports: [{ port: 222 }] },
        { addresses: [a('1.2.3.6')], ports: [{ port: 111 }] },
        { addresses: [a('1.2.3.5')], ports: [{ port: 333 }] },
      ],
      expect: [
        { addresses: [a('1.2.3.4'), a('1.2.3.6')], ports: [{ port: 111 }] },
        { addresses: [a('1.2.3.5')], ports: [{ port: 222 }, { port: 333 }] },
      ],
    },
    {
      name: 'four sets, three mixed ips, three ports, jumbled',
      given: [
        { addresses: [a('1.2.3.4')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.5')], ports: [{ port: 222 }] },
        { addresses: [a('1.2.3.6')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.5')], ports: [{ port: 333 }] },
      ],
      expect: [
        { addresses: [a('1.2.3.4'), a('1.2.3.6')], ports: [{ port: 111 }] },
        { notReadyAddresses: [a('1.2.3.5')], ports: [{ port: 222 }, { port: 333 }] },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const given = deepFreeze(structuredClone(c.given));
      expect(repackSubsets(given)).toEqual(c.expect);
    });
  }

  it('orders ports by name then number, and subsets by their first port', () => {
    const out = repackSubsets([
      { addresses: [a('10.0.0.2')], ports: [{ name: 'zeta', port: 1 }] },
      { addresses: [a('10.0.0.1')], ports: [{ name: 'beta', port: 9 }, { name: 'alpha', port: 10 }] },
    ]);
    expect(out.map((s) => s.ports?.map((p) => p.name))).toEqual([['alpha', 'beta'], ['zeta']]);
  });

  it('is idempotent: a repacked result repacks to itself', () => {
    const once = repackSubsets([
      { addresses: [a('1.2.3.4', 'u1')], ports: [{ name: 'a', port: 1 }] },
      { notReadyAddresses: [a('1.2.3.5', 'u2')], ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] },
    ]);
    expect(subsetsEqual(repackSubsets(once), once)).toBe(true);
  });
});

describe('truncateSubsets (upstream TestTruncateEndpoints)', () => {
  const cases = [
    { desc: 'empty', ready: [], notReady: [], expReady: [], expNotReady: [] },
    { desc: 'total endpoints < max capacity', ready: [50, 100, 100, 100, 100], notReady: [50, 100, 100, 100, 100], expReady: [50, 100, 100, 100, 100], expNotReady: [50, 100, 100, 100, 100] },
    { desc: 'total endpoints = max capacity', ready: [100, 100, 100, 100, 100], notReady: [100, 100, 100, 100, 100], expReady: [100, 100, 100, 100, 100], expNotReady: [100, 100, 100, 100, 100] },
    {
      desc: 'total ready endpoints < max capacity, but total endpoints > max capacity',
      ready: [90, 110, 50, 10, 20],
      notReady: [101, 200, 200, 201, 298],
      expReady: [90, 110, 50, 10, 20],
      expNotReady: [73, 144, 144, 145, 214],
    },
    { desc: 'total ready endpoints > max capacity', ready: [205, 400, 402, 400, 693], notReady: [100, 200, 200, 200, 300], expReady: [98, 191, 192, 191, 328], expNotReady: [0, 0, 0, 0, 0] },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      let n = 0;
      const addrs = (k: number): EndpointAddress[] => Array.from({ length: k }, () => a(`10.0.${Math.floor(++n / 250)}.${n % 250}`));
      const subsets = deepFreeze(c.ready.map((r, i) => ({ addresses: addrs(r), notReadyAddresses: addrs(c.notReady[i]!), ports: [{ port: 80 + i }] })));
      const { subsets: out, truncated } = truncateSubsets(subsets);
      expect(out.map((s) => s.addresses?.length ?? 0)).toEqual(c.expReady);
      expect(out.map((s) => s.notReadyAddresses?.length ?? 0)).toEqual(c.expNotReady);
      expect(truncated).toBe(c.ready.reduce((x, y) => x + y, 0) + c.notReady.reduce((x, y) => x + y, 0) > 1000);
    });
  }
});

describe('truncateSubsets drops what it empties', () => {
  it('a not-ready-only subset goes when the ready addresses alone exceed the capacity', () => {
    const ready = Array.from({ length: 1001 }, (_, i) => a(`10.0.${Math.floor(i / 250)}.${i % 250}`, `u${i}`));
    const { subsets, truncated } = truncateSubsets([{ addresses: ready, ports: [{ name: 'a', port: 1 }] }, { notReadyAddresses: [a('10.9.0.1')], ports: [{ name: 'b', port: 2 }] }]);
    expect(truncated).toBe(true);
    expect(subsets).toHaveLength(1);
    expect(subsets[0]?.addresses).toHaveLength(1000);
  });
});

describe('computeSubsets', () => {
  const makeService = (publishNotReadyAddresses: boolean) => svc({ publishNotReadyAddresses, type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ipFamilies: ['IPv4'] });
  const count = (subsets: EndpointSubset[]) => ({
    ready: subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0),
    notReady: subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0),
  });
  // upstream TestSyncServiceAddresses
  const cases: Array<[string, Pod, boolean, number, number]> = [
    ['pod running phase', testPod(0, { phase: 'Running', ready: true }), false, 1, 0],
    ['pod running phase being deleted', testPod(0, { phase: 'Running', ready: true, deleting: true }), false, 0, 0],
    ['pod unknown phase container ready', testPod(0, { phase: 'Unknown', ready: true }), false, 1, 0],
    ['pod unknown phase container ready being deleted', testPod(0, { phase: 'Unknown', ready: true, deleting: true }), false, 0, 0],
    ['pod pending phase container ready', testPod(0, { phase: 'Pending', ready: true }), false, 1, 0],
    ['pod pending phase container ready being deleted', testPod(0, { phase: 'Pending', ready: true, deleting: true }), false, 0, 0],
    ['pod unknown phase container not ready', testPod(0, { phase: 'Unknown', ready: false }), false, 0, 1],
    ['pod pending phase container not ready', testPod(0, { phase: 'Pending', ready: false }), false, 0, 1],
    ['pod failed phase', testPod(0, { phase: 'Failed', ready: false }), false, 0, 0],
    ['pod succeeded phase', testPod(0, { phase: 'Succeeded', ready: false }), false, 0, 0],
    ['pod running phase and tolerate unready', testPod(0, { phase: 'Running', ready: false }), true, 1, 0],
    ['pod running phase and tolerate unready being deleted', testPod(0, { phase: 'Running', ready: false, deleting: true }), true, 1, 0],
    ['pod unknown phase and tolerate unready', testPod(0, { phase: 'Unknown', ready: false }), true, 1, 0],
    ['pod unknown phase and tolerate unready being deleted', testPod(0, { phase: 'Unknown', ready: false, deleting: true }), true, 1, 0],
    ['pod pending phase and tolerate unready', testPod(0, { phase: 'Pending', ready: false }), true, 1, 0],
    ['pod pending phase and tolerate unready being deleted', testPod(0, { phase: 'Pending', ready: false, deleting: true }), true, 1, 0],
    ['pod failed phase and tolerate unready', testPod(0, { phase: 'Failed', ready: false }), true, 0, 0],
    ['pod succeeded phase and tolerate unready endpoints', testPod(0, { phase: 'Succeeded', ready: false }), true, 0, 0],
  ];
  for (const [name, pod, tolerate, ready, notReady] of cases) {
    it(name, () => {
      expect(count(computeSubsets(makeService(tolerate), [pod]).subsets)).toEqual({ ready, notReady });
    });
  }

  it('lists one address per pod with nodeName and targetRef, ready and not ready apart, on the resolved port', () => {
    const s = svc({ clusterIP: 'None', ports: [{ name: 'metrics', port: 9100, protocol: 'TCP', targetPort: 'port0', appProtocol: 'http' }] });
    const { subsets } = computeSubsets(s, [testPod(1), testPod(0), testPod(2, { ready: false })]);
    expect(subsets).toEqual([
      {
        addresses: [
          { ip: '1.2.3.4', nodeName: 'node-0', targetRef: { kind: 'Pod', namespace: 'ns', name: 'pod0', uid: 'uid-0' } },
          { ip: '1.2.3.5', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'pod1', uid: 'uid-1' } },
        ],
        notReadyAddresses: [{ ip: '1.2.3.6', nodeName: 'node-2', targetRef: { kind: 'Pod', namespace: 'ns', name: 'pod2', uid: 'uid-2' } }],
        ports: [{ name: 'metrics', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      },
    ]);
  });

  it('several pods on one address (host networking) stay apart by target uid', () => {
    const { subsets } = computeSubsets(svc({ ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] }), [testPod(0, { ips: ['10.0.0.1'] }), testPod(1, { ips: ['10.0.0.1'] })]);
    expect(subsets[0]?.addresses?.map((x) => x.targetRef?.name)).toEqual(['pod0', 'pod1']);
  });

  it('a pod without the named port is left out of that port only', () => {
    const s = svc({ ports: [{ name: 'a', port: 80, protocol: 'TCP', targetPort: 'port0' }, { name: 'b', port: 81, protocol: 'TCP', targetPort: 'port1' }] });
    const { subsets } = computeSubsets(s, [testPod(0, { ports: 2 }), testPod(1, { ports: 1 })]);
    expect(subsets).toEqual([
      { addresses: [expect.objectContaining({ ip: '1.2.3.4' }), expect.objectContaining({ ip: '1.2.3.5' })], ports: [{ name: 'a', port: 8080, protocol: 'TCP' }] },
      { addresses: [expect.objectContaining({ ip: '1.2.3.4' })], ports: [{ name: 'b', port: 8081, protocol: 'TCP' }] },
    ]);
  });

  it('a headless Service without ports lists the addresses without ports; another Service without ports lists nothing (upstream TestSyncEndpointsHeadlessWithoutPort)', () => {
    expect(computeSubsets(svc({ clusterIP: 'None' }), [testPod(0)]).subsets).toEqual([
      { addresses: [{ ip: '1.2.3.4', nodeName: 'node-0', targetRef: { kind: 'Pod', namespace: 'ns', name: 'pod0', uid: 'uid-0' } }] },
    ]);
    expect(computeSubsets(svc({}), [testPod(0)]).subsets).toEqual([]);
  });

  it('skips pods without an IP', () => {
    expect(computeSubsets(svc({ ports: [{ port: 80, targetPort: 80 }] }), [testPod(0, { ips: [] })]).subsets).toEqual([]);
  });

  it("sets hostname when the pod's subdomain is the Service (upstream ShouldSetHostname)", () => {
    const base = testPod(0);
    const withHost = (subdomain: string): Pod => ({ ...base, spec: { ...base.spec, hostname: 'h0', subdomain } });
    const s = svc({ clusterIP: 'None', ports: [{ port: 80, targetPort: 80 }] });
    expect(computeSubsets(s, [withHost('foo')]).subsets[0]?.addresses?.[0]?.hostname).toBe('h0');
    expect(computeSubsets(s, [withHost('other')]).subsets[0]?.addresses?.[0]?.hostname).toBeUndefined();
  });
});

describe('shouldPodBeInEndpoints', () => {
  it('needs an IP (podIP or podIPs), a non-terminal phase, and no deletion unless terminating pods are included', () => {
    expect(shouldPodBeInEndpoints(testPod(0), false)).toBe(true);
    expect(shouldPodBeInEndpoints(testPod(0, { ips: [] }), false)).toBe(false);
    expect(shouldPodBeInEndpoints(testPod(0, { phase: 'Failed' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(testPod(0, { deleting: true }), false)).toBe(false);
    expect(shouldPodBeInEndpoints(testPod(0, { deleting: true }), true)).toBe(true);
  });
});

describe('podToEndpointAddress (upstream TestPodToEndpointAddressForService)', () => {
  const dual = testPod(0, { ips: ['1.2.3.4', '2000::4'] });
  it("takes the IP of the Service's first family", () => {
    expect(podToEndpointAddress(svc({ ipFamilies: ['IPv4'] }), dual)?.ip).toBe('1.2.3.4');
    expect(podToEndpointAddress(svc({ ipFamilies: ['IPv6'] }), dual)?.ip).toBe('2000::4');
    expect(podToEndpointAddress(svc({ ipFamilies: ['IPv6', 'IPv4'] }), dual)?.ip).toBe('2000::4');
  });
  it("without ipFamilies: the clusterIP's family, or for a headless Service the pod IP's", () => {
    expect(podToEndpointAddress(svc({ clusterIP: '2000::1' }), dual)?.ip).toBe('2000::4');
    expect(podToEndpointAddress(svc({ clusterIP: '10.0.0.1' }), dual)?.ip).toBe('1.2.3.4');
    expect(podToEndpointAddress(svc({ clusterIP: 'None' }), dual)?.ip).toBe('1.2.3.4');
  });
  it('no IP of the family: no address', () => {
    expect(podToEndpointAddress(svc({ ipFamilies: ['IPv6'] }), testPod(0))).toBeUndefined();
  });
});

describe('findPort (upstream podutil.FindPort)', () => {
  const pod = deepFreeze({
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }],
      initContainers: [
        { name: 'sidecar', restartPolicy: 'Always', ports: [{ name: 'side', containerPort: 9000, protocol: 'TCP' }] },
        { name: 'init', ports: [{ name: 'init', containerPort: 9001, protocol: 'TCP' }] },
      ],
    },
  } as unknown as Pod);
  it('numeric targetPort as is; default targetPort = port', () => {
    expect(findPort(pod, { port: 80, targetPort: 8081 })).toBe(8081);
    expect(findPort(pod, { port: 80 })).toBe(80);
  });
  it('named targetPort: container port of that name and protocol, sidecars included', () => {
    expect(findPort(pod, { port: 80, targetPort: 'http', protocol: 'TCP' })).toBe(8080);
    expect(findPort(pod, { port: 80, targetPort: 'http', protocol: 'UDP' })).toBeUndefined();
    expect(findPort(pod, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(53);
    expect(findPort(pod, { port: 80, targetPort: 'side', protocol: 'TCP' })).toBe(9000);
    expect(findPort(pod, { port: 80, targetPort: 'init', protocol: 'TCP' })).toBeUndefined();
    expect(findPort(pod, { port: 80, targetPort: 'missing', protocol: 'TCP' })).toBeUndefined();
  });
});

describe('subsetsEqual', () => {
  it('ignores target resourceVersion and absent-vs-empty lists', () => {
    expect(subsetsEqual([{ addresses: [{ ip: '1.1.1.1', targetRef: { uid: 'u', resourceVersion: '1' } }], ports: [] }], [{ addresses: [{ ip: '1.1.1.1', targetRef: { uid: 'u' } }], notReadyAddresses: [] }])).toBe(true);
    expect(subsetsEqual(undefined, [])).toBe(true);
    expect(subsetsEqual([{ addresses: [a('1.1.1.1')] }], [{ notReadyAddresses: [a('1.1.1.1')] }])).toBe(false);
    expect(subsetsEqual([{ addresses: [a('1.1.1.1')], ports: [{ port: 1, protocol: 'TCP' }] }], [{ addresses: [a('1.1.1.1')], ports: [{ port: 1, protocol: 'UDP' }] }])).toBe(false);
  });
});

describe('which pod changes matter', () => {
  it('readiness, deletion, IPs and terminal phase change the pod; labels and hostname its Services', () => {
    const p = testPod(0);
    expect(podEndpointsChanged(p, { ...p, metadata: { ...p.metadata, annotations: { x: 'y' } } })).toEqual({ podChanged: false, labelsChanged: false });
    expect(podEndpointsChanged(p, testPod(0, { ready: false }))).toEqual({ podChanged: true, labelsChanged: false });
    expect(podEndpointsChanged(p, testPod(0, { deleting: true }))).toEqual({ podChanged: true, labelsChanged: false });
    expect(podEndpointsChanged(p, testPod(0, { ips: ['9.9.9.9'] }))).toEqual({ podChanged: true, labelsChanged: false });
    expect(podEndpointsChanged(testPod(0, { phase: 'Running' }), testPod(0, { phase: 'Failed' }))).toEqual({ podChanged: true, labelsChanged: false });
    expect(podEndpointsChanged(p, testPod(0, { labels: { foo: 'baz' } }))).toEqual({ podChanged: false, labelsChanged: true });
    expect(podEndpointsChanged(p, { ...p, spec: { ...p.spec, hostname: 'h' } })).toEqual({ podChanged: false, labelsChanged: true });
  });

  it('labels alone: the Services joined or left; labels and pod: all of them (upstream determineNeededServiceUpdates)', () => {
    const old = new Set(['ns/a', 'ns/b']);
    const cur = new Set(['ns/b', 'ns/c']);
    expect([...servicesToUpdate(old, cur, false)].sort()).toEqual(['ns/a', 'ns/c']);
    expect([...servicesToUpdate(old, cur, true)].sort()).toEqual(['ns/a', 'ns/b', 'ns/c']);
  });
});

describe('isHeadless', () => {
  it('a Service without a cluster IP set (upstream !IsServiceIPSet)', () => {
    expect(isHeadless(svc({ clusterIP: 'None' }))).toBe(true);
    expect(isHeadless(svc({}))).toBe(true);
    expect(isHeadless(svc({ clusterIP: '10.96.0.10' }))).toBe(false);
  });
});
