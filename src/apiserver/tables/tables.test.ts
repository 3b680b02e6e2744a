import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { buildTable, customResourcePrinter, printerFor } from './index.js';

const NOW = new Date('2026-11-30T01:10:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;

/** Cells of a single-object table, with `now` fixed. */
function cells(groupKind: string, obj: unknown): unknown[] {
  return buildTable(groupKind, [obj as KubeObject], { now: NOW }).rows[0]!.cells;
}
function columnNames(groupKind: string): string[] {
  return buildTable(groupKind, [], {}).columnDefinitions!.map((c) => c.name);
}
function wideColumnNames(groupKind: string): string[] {
  return buildTable(groupKind, [], {}).columnDefinitions!.filter((c) => c.priority >= 1).map((c) => c.name);
}

// ---------------------------------------------------------------------------------------------
// DaemonSet: the kube-api.md §3.4 example

const ds = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: {
    name: 'x',
    namespace: 'default',
    labels: { app: 'x' },
    uid: 'u-1',
    resourceVersion: '1020',
    creationTimestamp: ago(2 * S),
    generation: 1,
  },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'agent', image: 'busybox:1.36' }] },
    },
  },
  status: {
    desiredNumberScheduled: 2,
    currentNumberScheduled: 2,
    numberReady: 2,
    updatedNumberScheduled: 2,
    numberAvailable: 2,
    numberMisscheduled: 0,
  },
};

describe('DaemonSet', () => {
  it('has the kube-api §3.4 columns, types and priorities', () => {
    const t = buildTable('apps/DaemonSet', [], {});
    expect(t.columnDefinitions!.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Desired', 'integer', 0],
      ['Current', 'integer', 0],
      ['Ready', 'integer', 0],
      ['Up-to-date', 'integer', 0],
      ['Available', 'integer', 0],
      ['Node Selector', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    expect(t.columnDefinitions![0]!.format).toBe('name');
  });

  it('prints the §3.4 example row', () => {
    expect(cells('apps/DaemonSet', ds)).toEqual(['x', 2, 2, 2, 2, 2, '<none>', '2s', 'agent', 'busybox:1.36', 'app=x']);
  });

  it('prints node selectors, several containers, expression selectors and a missing status', () => {
    const d = structuredClone(ds) as any;
    d.spec.template.spec.nodeSelector = { zone: 'a', 'kubernetes.io/os': 'linux' };
    d.spec.template.spec.containers.push({ name: 'sidecar', image: 'nginx' });
    d.spec.selector = {
      matchLabels: { app: 'x' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    delete d.status;
    expect(cells('apps/DaemonSet', d)).toEqual([
      'x',
      0,
      0,
      0,
      0,
      0,
      'kubernetes.io/os=linux,zone=a',
      '2s',
      'agent,sidecar',
      'busybox:1.36,nginx',
      'app=x,!canary,tier in (api,web)', // requirements sorted by key
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Node

function node(over: { labels?: Record<string, string>; unschedulable?: boolean; ready?: string | null } = {}): unknown {
  const conditions =
    over.ready === null
      ? []
      : [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: over.ready ?? 'True' },
        ];
  return {
    kind: 'Node',
    metadata: { name: 'n1', labels: over.labels ?? {}, creationTimestamp: ago(3 * 24 * 3600 * S + 2 * 3600 * S) },
    spec: over.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions,
      addresses: [
        { type: 'Hostname', address: 'n1' },
        { type: 'InternalIP', address: '10.0.0.5' },
      ],
      nodeInfo: { kubeletVersion: 'v1.32.0-everynode', kernelVersion: '6.8.0', containerRuntimeVersion: 'everynode://0.1.0' },
    },
  };
}

describe('Node', () => {
  it('has upstream columns', () => {
    expect(columnNames('/Node')).toEqual([
      'Name', 'Status', 'Roles', 'Age', 'Version',
      'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime',
    ]);
    expect(wideColumnNames('/Node')).toEqual(['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  });

  it('prints a ready node with wide cells', () => {
    expect(cells('/Node', node())).toEqual([
      'n1', 'Ready', '<none>', '3d2h', 'v1.32.0-everynode', '10.0.0.5', '<none>', '<unknown>', '6.8.0', 'everynode://0.1.0',
    ]);
  });

  it('appends SchedulingDisabled when cordoned', () => {
    expect(cells('/Node', node({ unschedulable: true }))[1]).toBe('Ready,SchedulingDisabled');
    expect(cells('/Node', node({ unschedulable: true, ready: 'False' }))[1]).toBe('NotReady,SchedulingDisabled');
  });

  it('reads NotReady for False/Unknown and Unknown without a Ready condition', () => {
    expect(cells('/Node', node({ ready: 'False' }))[1]).toBe('NotReady');
    expect(cells('/Node', node({ ready: 'Unknown' }))[1]).toBe('NotReady');
    expect(cells('/Node', node({ ready: null }))[1]).toBe('Unknown');
  });

  it('derives sorted roles from node-role labels and kubernetes.io/role', () => {
    const labels = {
      'node-role.kubernetes.io/worker': '',
      'node-role.kubernetes.io/control-plane': '',
      'node-role.kubernetes.io/': 'ignored',
      'kubernetes.io/role': 'edge',
    };
    expect(cells('/Node', node({ labels }))[2]).toBe('control-plane,edge,worker');
  });
});

// ---------------------------------------------------------------------------------------------
// Pod

function pod(p: { spec?: object; status?: object; metadata?: object } = {}): unknown {
  return {
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(90 * S), ...p.metadata },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'n1', ...p.spec },
    status: { phase: 'Running', ...p.status },
  };
}
const running = { running: { startedAt: ago(60 * S) } };
const readyCond = { conditions: [{ type: 'Ready', status: 'True' }] };

describe('Pod', () => {
  it('has upstream columns', () => {
    expect(columnNames('/Pod')).toEqual([
      'Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates',
    ]);
    expect(wideColumnNames('/Pod')).toEqual(['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  });

  it('prints a running pod with wide cells', () => {
    const p = pod({
      status: {
        ...readyCond,
        podIP: '10.1.0.7',
        podIPs: [{ ip: '10.1.0.7' }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: running }],
      },
    });
    expect(cells('/Pod', p)).toEqual(['p', '1/1', 'Running', '0', '90s', '10.1.0.7', 'n1', '<none>', '<none>']);
  });

  it('prints CrashLoopBackOff with restarts and when the last one happened', () => {
    const p = pod({
      status: {
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 5,
            image: 'busybox',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30 * S) } },
          },
        ],
      },
    });
    expect(cells('/Pod', p).slice(0, 4)).toEqual(['p', '0/1', 'CrashLoopBackOff', '5 (30s ago)']);
  });

  it('prints Pending and ContainerCreating', () => {
    expect(cells('/Pod', pod({ status: { phase: 'Pending' } })).slice(1, 4)).toEqual(['0/1', 'Pending', '0']);
    const creating = pod({
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: '', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    });
    expect(cells('/Pod', creating)[2]).toBe('ContainerCreating');
  });

  it('prints Completed and marks the row Completed', () => {
    const p = pod({
      spec: { restartPolicy: 'Never' },
      status: {
        phase: 'Succeeded',
        containerStatuses: [
          { name: 'c', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
    });
    const row = buildTable('/Pod', [p as KubeObject], { now: NOW }).rows[0]!;
    expect(row.cells.slice(1, 3)).toEqual(['0/1', 'Completed']);
    expect(row.conditions).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
  });

  it('prints ExitCode:n and Signal:n for reason-less terminations', () => {
    const term = (t: object): unknown =>
      pod({ status: { phase: 'Failed', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: t } }] } });
    expect(cells('/Pod', term({ exitCode: 137 }))[2]).toBe('ExitCode:137');
    expect(cells('/Pod', term({ exitCode: 137, signal: 9 }))[2]).toBe('Signal:9');
  });

  it('reads Running (or NotReady) for a Completed container beside a running one', () => {
    const statuses = [
      { name: 'a', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'b', ready: true, restartCount: 0, image: '', imageID: '', state: running },
    ];
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    expect(cells('/Pod', pod({ spec, status: { ...readyCond, containerStatuses: statuses } })).slice(1, 3)).toEqual(['1/2', 'Running']);
    expect(cells('/Pod', pod({ spec, status: { containerStatuses: statuses } }))[2]).toBe('NotReady');
  });

  describe('init containers', () => {
    const spec = {
      initContainers: [{ name: 'i1' }, { name: 'i2' }],
      containers: [{ name: 'c' }],
    };
    const st = (name: string, state: object, restartCount = 0): object => ({ name, ready: false, restartCount, image: '', imageID: '', state });

    it('prints Init:i/n while an init container runs or waits to initialize', () => {
      expect(cells('/Pod', pod({ spec, status: { phase: 'Pending', initContainerStatuses: [st('i1', running), st('i2', { waiting: { reason: 'PodInitializing' } })] } }))[2]).toBe('Init:0/2');
      expect(cells('/Pod', pod({ spec, status: { phase: 'Pending', initContainerStatuses: [st('i1', { terminated: { exitCode: 0, reason: 'Completed' } }), st('i2', running)] } }))[2]).toBe('Init:1/2');
    });

    it('prints Init:<reason> and Init:ExitCode:n for failing init containers', () => {
      const failing = (s: object): unknown => pod({ spec, status: { phase: 'Pending', initContainerStatuses: [st('i1', s, 3)] } });
      expect(cells('/Pod', failing({ waiting: { reason: 'CrashLoopBackOff' } })).slice(2, 4)).toEqual(['Init:CrashLoopBackOff', '3']);
      expect(cells('/Pod', failing({ terminated: { exitCode: 1, reason: 'Error' } }))[2]).toBe('Init:Error');
      expect(cells('/Pod', failing({ terminated: { exitCode: 3 } }))[2]).toBe('Init:ExitCode:3');
      expect(cells('/Pod', failing({ terminated: { exitCode: 3, signal: 15 } }))[2]).toBe('Init:Signal:15');
    });

    it('counts a started restartable (sidecar) init container as a container', () => {
      const p = pod({
        spec: { initContainers: [{ name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'c' }] },
        status: {
          ...readyCond,
          initContainerStatuses: [{ ...st('side', running, 2), started: true, ready: true, lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * S) } } }],
          containerStatuses: [{ ...st('c', running), ready: true }],
        },
      });
      expect(cells('/Pod', p).slice(1, 4)).toEqual(['2/2', 'Running', '2 (10s ago)']);
    });
  });

  it('prints Terminating for a deleted pod, Unknown for a lost node, and keeps terminal phases', () => {
    const deleted = { deletionTimestamp: ago(1 * S) };
    const cs = [{ name: 'c', ready: true, restartCount: 0, image: '', imageID: '', state: running }];
    expect(cells('/Pod', pod({ metadata: deleted, status: { containerStatuses: cs } }))[2]).toBe('Terminating');
    expect(cells('/Pod', pod({ metadata: deleted, status: { reason: 'NodeLost', containerStatuses: cs } }))[2]).toBe('Unknown');
    expect(cells('/Pod', pod({ metadata: deleted, status: { phase: 'Succeeded' } }))[2]).toBe('Succeeded');
  });

  it('prints SchedulingGated, nominated node and readiness gates', () => {
    const p = pod({
      spec: { nodeName: undefined, readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
      status: {
        phase: 'Pending',
        nominatedNodeName: 'n2',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' },
          { type: 'example.com/a', status: 'True' },
          { type: 'example.com/b', status: 'False' },
        ],
      },
    });
    expect(cells('/Pod', p)).toEqual(['p', '0/1', 'SchedulingGated', '0', '90s', '<none>', '<none>', 'n2', '1/2']);
  });
});

// ---------------------------------------------------------------------------------------------
// ControllerRevision, Event

describe('ControllerRevision', () => {
  it('prints the controller as kind.group/name and the integer revision', () => {
    expect(columnNames('apps/ControllerRevision')).toEqual(['Name', 'Controller', 'Revision', 'Age']);
    const cr = {
      metadata: {
        name: 'x-5d8f7c9b4',
        creationTimestamp: ago(200 * S),
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Pod', name: 'not-controller', uid: 'a' },
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'b', controller: true },
        ],
      },
      revision: 3,
    };
    expect(cells('apps/ControllerRevision', cr)).toEqual(['x-5d8f7c9b4', 'daemonset.apps/x', 3, '3m20s']);
    expect(cells('apps/ControllerRevision', { metadata: { name: 'orphan' }, revision: 1 })).toEqual(['orphan', '<none>', 1, '<unknown>']);
  });
});

describe('Event', () => {
  it('has upstream columns in upstream order', () => {
    expect(columnNames('/Event')).toEqual([
      'Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name',
    ]);
    expect(wideColumnNames('/Event')).toEqual(['Subobject', 'Source', 'First Seen', 'Count', 'Name']);
  });

  it('prints a core/v1 event with kind/name lower-cased', () => {
    const ev = {
      metadata: { name: 'x.17a2b', namespace: 'default' },
      involvedObject: { kind: 'DaemonSet', name: 'x', namespace: 'default', apiVersion: 'apps/v1' },
      reason: 'SuccessfulCreate',
      message: 'Created pod: x-abcde\n',
      source: { component: 'daemonset-controller' },
      firstTimestamp: ago(5 * 60 * S),
      lastTimestamp: ago(10 * S),
      count: 4,
      type: 'Normal',
    };
    expect(cells('/Event', ev)).toEqual([
      '10s', 'Normal', 'SuccessfulCreate', 'daemonset/x', '', 'daemonset-controller', 'Created pod: x-abcde', '5m', 4, 'x.17a2b',
    ]);
  });

  it('falls back to eventTime, reporting fields, count 1 and series', () => {
    const ev = {
      metadata: { name: 'e' },
      involvedObject: { kind: 'Node', name: 'n1', fieldPath: 'spec' },
      eventTime: ago(3 * S).replace('Z', '000Z'),
      reportingComponent: 'everynode-agent',
      reportingInstance: 'n1',
      type: 'Warning',
      reason: 'Rebooted',
      message: 'm',
    };
    expect(cells('/Event', ev)).toEqual(['3s', 'Warning', 'Rebooted', 'node/n1', 'spec', 'everynode-agent, n1', 'm', '3s', 1, 'e']);
    const series = { ...ev, series: { count: 7, lastObservedTime: ago(1 * S) } };
    expect(cells('/Event', series)).toEqual(['1s', 'Warning', 'Rebooted', 'node/n1', 'spec', 'everynode-agent, n1', 'm', '3s', 7, 'e']);
    expect(cells('/Event', { metadata: { name: 'e' }, involvedObject: { kind: 'Namespace' } }).slice(0, 4)).toEqual([
      '<unknown>', '', '', 'namespace',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Other core kinds

describe('core kinds', () => {
  const meta = (name: string): object => ({ name, namespace: 'default', creationTimestamp: ago(10 * S) });

  it('Namespace', () => {
    expect(columnNames('/Namespace')).toEqual(['Name', 'Status', 'Age']);
    expect(cells('/Namespace', { metadata: meta('kube-system'), status: { phase: 'Active' } })).toEqual(['kube-system', 'Active', '10s']);
  });

  it('Service', () => {
    expect(columnNames('/Service')).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    const svc = {
      metadata: meta('web'),
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
        selector: { app: 'web' },
      },
    };
    expect(cells('/Service', svc)).toEqual(['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '10s', 'app=web']);
    const np = { metadata: meta('np'), spec: { type: 'NodePort', clusterIPs: ['10.96.0.11'], externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } };
    expect(cells('/Service', np)).toEqual(['np', 'NodePort', '10.96.0.11', '1.2.3.4', '80:30080/TCP', '10s', '<none>']);
    const lb = { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIP: 'None' }, status: {} };
    expect(cells('/Service', lb)).toEqual(['lb', 'LoadBalancer', 'None', '<pending>', '<none>', '10s', '<none>']);
    const lb2 = { ...lb, status: { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }] } } };
    expect(cells('/Service', lb2)[3]).toBe('5.6.7.8,lb.example.com');
    expect(cells('/Service', { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example.com' } })[3]).toBe('db.example.com');
  });

  it('Endpoints', () => {
    const ep = {
      metadata: meta('web'),
      subsets: [
        { addresses: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }], ports: [{ port: 80 }] },
        { addresses: [{ ip: 'fd00::1' }, { ip: '10.1.0.4' }], ports: [{ port: 8080 }] },
      ],
    };
    expect(cells('/Endpoints', ep)).toEqual(['web', '10.1.0.1:80,10.1.0.2:80,[fd00::1]:8080 + 1 more...', '10s']);
    expect(cells('/Endpoints', { metadata: meta('none') })).toEqual(['none', '<none>', '10s']);
    expect(cells('/Endpoints', { metadata: meta('headless'), subsets: [{ addresses: [{ ip: '10.1.0.9' }] }] })[1]).toBe('10.1.0.9');
  });

  it('ConfigMap, Secret, ServiceAccount', () => {
    expect(columnNames('/ConfigMap')).toEqual(['Name', 'Data', 'Age']);
    expect(cells('/ConfigMap', { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['cm', 3, '10s']);
    expect(columnNames('/Secret')).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(cells('/Secret', { metadata: meta('s'), type: 'Opaque', data: { k: 'dg==' } })).toEqual(['s', 'Opaque', 1, '10s']);
    expect(columnNames('/ServiceAccount')).toEqual(['Name', 'Secrets', 'Age']);
    expect(cells('/ServiceAccount', { metadata: meta('default') })).toEqual(['default', 0, '10s']);
  });
});

describe('cluster kinds', () => {
  const meta = (name: string): object => ({ name, creationTimestamp: '2026-11-30T01:00:00Z' });

  it('Lease', () => {
    expect(columnNames('coordination.k8s.io/Lease')).toEqual(['Name', 'Holder', 'Age']);
    expect(cells('coordination.k8s.io/Lease', { metadata: meta('n1'), spec: { holderIdentity: 'n1' } })).toEqual(['n1', 'n1', '10m']);
    expect(cells('coordination.k8s.io/Lease', { metadata: meta('free'), spec: {} })[1]).toBe('');
  });

  it('PriorityClass', () => {
    const t = buildTable('scheduling.k8s.io/PriorityClass', [], {});
    expect(t.columnDefinitions!.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'], ['Value', 'integer'], ['Global-Default', 'boolean'], ['Age', 'string'], ['PreemptionPolicy', 'string'],
    ]);
    const pc = { metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' };
    expect(cells('scheduling.k8s.io/PriorityClass', pc)).toEqual(['system-node-critical', 2000001000, false, '10m', 'PreemptLowerPriority']);
  });

  it('RoleBinding and ClusterRoleBinding', () => {
    expect(columnNames('rbac.authorization.k8s.io/RoleBinding')).toEqual(['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
    const rb = {
      metadata: meta('rb'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'User', name: 'bob' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' },
      ],
    };
    expect(cells('rbac.authorization.k8s.io/RoleBinding', rb)).toEqual(['rb', 'ClusterRole/view', '10m', 'alice, bob', 'devs', 'kube-system/default']);
    expect(cells('rbac.authorization.k8s.io/ClusterRoleBinding', { metadata: meta('crb'), roleRef: { kind: 'ClusterRole', name: 'admin' } })).toEqual([
      'crb', 'ClusterRole/admin', '10m', '', '', '',
    ]);
  });

  it('Role, ClusterRole and unknown kinds use the default Name / Created At table', () => {
    for (const gk of ['rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/ClusterRole', 'example.com/Widget']) {
      const t = buildTable(gk, [{ metadata: { name: 'r', creationTimestamp: '2026-11-30T01:00:00.5Z' } }], { now: NOW });
      expect(t.columnDefinitions!.map((c) => [c.name, c.type, c.format])).toEqual([
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ]);
      expect(t.rows[0]!.cells).toEqual(['r', '2026-11-30T01:00:00Z']);
    }
  });
});

describe('custom resource columns', () => {
  it('take a value of their JSON type only (an integer truncates a float), print a bad date as <invalid>, and anything as a string', () => {
    const col = (name: string, type: string) => ({ name, type, jsonPath: `.spec.${name}` });
    const p = customResourcePrinter([col('i', 'integer'), col('n', 'number'), col('b', 'boolean'), col('d', 'date'), col('s', 'string')]);
    const row = (spec: Record<string, unknown>) => p.cells({ metadata: { name: 'w' }, spec }, { now: NOW });
    expect(row({ i: 1.5, n: 2, b: true, d: '2026-11-30T01:00:00Z', s: 3 })).toEqual(['w', 1, 2, true, '10m', '3']);
    expect(row({ d: '', s: true })).toEqual(['w', null, null, null, '<unknown>', 'true']);
    expect(row({ i: '7', n: 'x', b: 'true', d: 'yesterday', s: { a: 1 } })).toEqual(['w', null, null, null, '<invalid>', '{"a":1}']);
    expect(row({ i: [1], d: 5 })).toEqual(['w', null, null, null, null, null]);
  });
});

// ---------------------------------------------------------------------------------------------
// buildTable: envelope, includeObject, headers, metadata

describe('buildTable', () => {
  it('fills one cell per column for every built-in kind, even for an empty object', () => {
    const kinds = [
      '/Pod', '/Node', '/Event', '/Namespace', '/Service', '/Endpoints', '/ConfigMap', '/Secret', '/ServiceAccount',
      'apps/DaemonSet', 'apps/ControllerRevision', 'coordination.k8s.io/Lease', 'scheduling.k8s.io/PriorityClass',
      'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/Role',
    ];
    for (const gk of kinds) {
      const t = buildTable(gk, [{ metadata: {} }], { now: NOW });
      expect(t.rows[0]!.cells.length, gk).toBe(t.columnDefinitions!.length);
    }
  });

  it('accepts bare core kinds and the "core" group spelling', () => {
    expect(printerFor('Pod')).toBe(printerFor('/Pod'));
    expect(printerFor('core/Node')).toBe(printerFor('/Node'));
  });

  it('wraps rows in a meta.k8s.io/v1 Table with list metadata', () => {
    const t = buildTable('apps/DaemonSet', [ds as KubeObject], {
      now: NOW,
      listMeta: { resourceVersion: '1020', continue: 'abc', remainingItemCount: 3 },
    });
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '1020', continue: 'abc', remainingItemCount: 3 });
    expect(JSON.parse(JSON.stringify(t)).rows[0].cells).toEqual(['x', 2, 2, 2, 2, 2, '<none>', '2s', 'agent', 'busybox:1.36', 'app=x']);
  });

  it('defaults to PartialObjectMetadata row objects', () => {
    const t = buildTable('apps/DaemonSet', [ds as KubeObject], { now: NOW });
    expect(t.rows[0]!.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: ds.metadata,
    });
    expect(buildTable('apps/DaemonSet', [ds as KubeObject], { includeObject: 'Metadata' }).rows[0]!.object).toEqual(t.rows[0]!.object);
  });

  it('returns the full object for Object and a null one for None (as upstream serializes an empty RawExtension)', () => {
    expect(buildTable('apps/DaemonSet', [ds as KubeObject], { includeObject: 'Object' }).rows[0]!.object).toEqual(ds);
    const none = buildTable('apps/DaemonSet', [ds as KubeObject], { includeObject: 'None' });
    expect(JSON.stringify(none.rows[0])).toContain('"object":null');
  });

  it('uses the negotiated version for the Table and PartialObjectMetadata', () => {
    const t = buildTable('apps/DaemonSet', [ds as KubeObject], { apiVersion: 'meta.k8s.io/v1beta1' });
    expect(t.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect((t.rows[0]!.object as { apiVersion: string }).apiVersion).toBe('meta.k8s.io/v1beta1');
  });

  it('omits headers as null for later watch events', () => {
    const t = buildTable('apps/DaemonSet', [ds as KubeObject], { omitHeaders: true, now: NOW });
    expect(t.columnDefinitions).toBeNull();
    expect(JSON.stringify(t)).toContain('"columnDefinitions":null');
    expect(t.rows).toHaveLength(1);
  });

  it('takes resourceVersion from the object for a single GET without list metadata', () => {
    expect(buildTable('apps/DaemonSet', [ds as KubeObject], {}).metadata).toEqual({ resourceVersion: '1020' });
    expect(buildTable('apps/DaemonSet', [], {}).metadata).toEqual({});
    expect(buildTable('apps/DaemonSet', [], { listMeta: { resourceVersion: '7' } })).toMatchObject({ metadata: { resourceVersion: '7' }, rows: [] });
  });

  it('does not share column definitions between tables', () => {
    const a = buildTable('/Pod', [], {});
    a.columnDefinitions![0]!.name = 'changed';
    expect(buildTable('/Pod', [], {}).columnDefinitions![0]!.name).toBe('Name');
  });

  it('accepts a printer override (custom resource columns)', () => {
    const t = buildTable('example.com/Widget', [{ metadata: { name: 'w' }, spec: { size: 3 } } as KubeObject], {
      printer: {
        columns: [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }, { name: 'Size', type: 'integer', format: '', description: '', priority: 0 }],
        cells: (o: any) => [o.metadata.name, o.spec.size],
      },
    });
    expect(t.rows[0]!.cells).toEqual(['w', 3]);
  });
});

describe('kinds stored but not run', () => {
  it('Deployment: Ready as ready/desired, Up-to-date, Available', () => {
    expect(columnNames('apps/Deployment')).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    const d = { metadata: { name: 'web', creationTimestamp: '2026-11-30T09:00:00Z' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(cells('apps/Deployment', d).slice(0, 4)).toEqual(['web', '2/3', 3, 2]);
    expect(cells('apps/Deployment', d).slice(5)).toEqual(['c', 'i:1', 'app=web']);
  });

  it('ReplicaSet and ReplicationController: Desired, Current, Ready; the selector as each kind has it', () => {
    for (const k of ['apps/ReplicaSet', '/ReplicationController']) expect(columnNames(k)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
    const template = { spec: { containers: [{ name: 'c', image: 'i:1' }, { name: 's', image: 'j:2' }] } };
    const rs = { metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, template }, status: { replicas: 2, readyReplicas: 1 } };
    expect(cells('apps/ReplicaSet', rs).slice(0, 4)).toEqual(['web', 3, 2, 1]);
    expect(cells('apps/ReplicaSet', rs).slice(5)).toEqual(['c,s', 'i:1,j:2', 'app=web,tier in (a)']);
    const rc = { metadata: { name: 'old' }, spec: { replicas: 2, selector: { z: '1', app: 'old' }, template }, status: { replicas: 0 } };
    expect(cells('/ReplicationController', rc).slice(0, 4)).toEqual(['old', 2, 0, 0]);
    expect(cells('/ReplicationController', rc)[7]).toBe('app=old,z=1');
  });

  it('PodDisruptionBudget, CSIDriver and webhook configurations', () => {
    expect(cells('policy/PodDisruptionBudget', { metadata: { name: 'p' }, spec: { maxUnavailable: 1 }, status: { disruptionsAllowed: 0 } }).slice(0, 4)).toEqual(['p', 'N/A', '1', 0]);
    expect(cells('storage.k8s.io/CSIDriver', { metadata: { name: 'nfs' }, spec: { attachRequired: false, podInfoOnMount: false, storageCapacity: false, requiresRepublish: false, volumeLifecycleModes: ['Persistent'] } }).slice(0, 7)).toEqual(['nfs', false, false, false, '<unset>', false, 'Persistent']);
    expect(cells('admissionregistration.k8s.io/ValidatingWebhookConfiguration', { metadata: { name: 'w' }, webhooks: [{}, {}] }).slice(0, 2)).toEqual(['w', 2]);
  });

  it('StorageClass (the default class marked), RuntimeClass and NetworkPolicy', () => {
    expect(columnNames('storage.k8s.io/StorageClass')).toEqual(['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
    expect(cells('storage.k8s.io/StorageClass', { metadata: { name: 'nfs' }, provisioner: 'nfs.csi.k8s.io', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true }).slice(0, 5)).toEqual(['nfs', 'nfs.csi.k8s.io', 'Retain', 'WaitForFirstConsumer', true]);
    for (const a of ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class']) {
      expect(cells('storage.k8s.io/StorageClass', { metadata: { name: 'std', annotations: { [a]: 'true' } }, provisioner: 'p' }).slice(0, 5)).toEqual(['std (default)', 'p', 'Delete', 'Immediate', false]);
    }
    expect(cells('storage.k8s.io/StorageClass', { metadata: { name: 'std', annotations: { 'storageclass.kubernetes.io/is-default-class': 'false' } }, provisioner: 'p' })[0]).toBe('std');
    expect(columnNames('node.k8s.io/RuntimeClass')).toEqual(['Name', 'Handler', 'Age']);
    expect(cells('node.k8s.io/RuntimeClass', { metadata: { name: 'kata' }, handler: 'kata-qemu' }).slice(0, 2)).toEqual(['kata', 'kata-qemu']);
    expect(columnNames('networking.k8s.io/NetworkPolicy')).toEqual(['Name', 'Pod-Selector', 'Age']);
    expect(cells('networking.k8s.io/NetworkPolicy', { metadata: { name: 'deny' }, spec: { podSelector: {} } }).slice(0, 2)).toEqual(['deny', '<none>']);
    expect(cells('networking.k8s.io/NetworkPolicy', { metadata: { name: 'web' }, spec: { podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } } }).slice(0, 2)).toEqual(['web', 'app=web,tier in (a,b)']);
  });
});

describe('Ingress and IngressClass tables (upstream printIngress, printIngressClass)', () => {
  it('Class (<none> without one), the first three hosts (* when none) and how many rules more, the load balancer\'s addresses, 80 or 80, 443 with TLS', () => {
    expect(columnNames('networking.k8s.io/Ingress')).toEqual(['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    const meta = { name: 'web', creationTimestamp: ago(90 * S) };
    expect(cells('networking.k8s.io/Ingress', { metadata: meta, spec: { defaultBackend: {} } })).toEqual(['web', '<none>', '*', '', '80', '90s']);
    const rules = ['a.com', '', 'b.com', 'c.com', 'd.com'].map((host) => (host ? { host } : {}));
    const lb = { ingress: [{ hostname: 'lb.example.com' }, { ip: '192.0.2.2' }, { ip: '192.0.2.1', hostname: 'ignored.example.com' }, { ip: '192.0.2.2' }, {}] };
    expect(cells('networking.k8s.io/Ingress', { metadata: meta, spec: { ingressClassName: 'nginx', rules, tls: [{}] }, status: { loadBalancer: lb } })).toEqual([
      'web', 'nginx', 'a.com,b.com,c.com + 2 more...', '192.0.2.1,192.0.2.2,lb.example.com', '80, 443', '90s',
    ]);
    expect(cells('networking.k8s.io/Ingress', { metadata: meta, spec: { rules: rules.slice(0, 3) } })[2]).toBe('a.com,b.com');
  });

  it('Controller, and Parameters as Kind[.apiGroup]/name', () => {
    expect(columnNames('networking.k8s.io/IngressClass')).toEqual(['Name', 'Controller', 'Parameters', 'Age']);
    expect(cells('networking.k8s.io/IngressClass', { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } }).slice(0, 3)).toEqual(['nginx', 'k8s.io/ingress-nginx', '<none>']);
    expect(cells('networking.k8s.io/IngressClass', { metadata: { name: 'a' }, spec: { controller: 'x.io/y', parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'lb' } } })[2]).toBe('Params.k8s.example.com/lb');
    expect(cells('networking.k8s.io/IngressClass', { metadata: { name: 'a' }, spec: { controller: 'x.io/y', parameters: { kind: 'ConfigMap', name: 'cm', scope: 'Namespace', namespace: 'ns' } } })[2]).toBe('ConfigMap/cm');
  });
});

describe('EndpointSlice table (upstream printEndpointSlice)', () => {
  it('Name, AddressType, Ports, Endpoints, Age; <unset> when empty; + N more... past three', () => {
    expect(columnNames('discovery.k8s.io/EndpointSlice')).toEqual(['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    const meta = { name: 'web-abcde', creationTimestamp: ago(90 * S) };
    expect(cells('discovery.k8s.io/EndpointSlice', { metadata: meta, addressType: 'IPv4', endpoints: [] })).toEqual(['web-abcde', 'IPv4', '<unset>', '<unset>', '90s']);
    const endpoints = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((a) => ({ addresses: [a] }));
    const ports = [{ port: 80 }, { name: 'named' }, {}, { port: 443 }];
    expect(cells('discovery.k8s.io/EndpointSlice', { metadata: meta, addressType: 'IPv4', endpoints, ports })).toEqual(['web-abcde', 'IPv4', '80,named,* + 1 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...', '90s']);
  });
});
