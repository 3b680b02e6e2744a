import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const v = validationFor('/Pod');

function pod(mutate: (p: any) => void = () => {}): any {
  const p: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
  mutate(p);
  return p;
}

function errs(mutate: (p: any) => void): string[] {
  const p = pod(mutate) as KubeObject;
  v.applyDefaults(p);
  return v.validateCreate(p).map(fieldErrorString);
}

const c0 = 'spec.containers[0]';

describe('Pod defaults', () => {
  it('applies pod-only defaults', () => {
    const p = pod((x) => {
      x.spec.hostNetwork = true;
      x.spec.containers[0].ports = [{ containerPort: 8080 }];
      x.spec.containers[0].resources = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } };
    });
    v.applyDefaults(p);
    expect(p.spec.enableServiceLinks).toBe(true);
    expect(p.spec.containers[0].ports[0]).toEqual({ containerPort: 8080, hostPort: 8080, protocol: 'TCP' });
    expect(p.spec.containers[0].resources.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(v.validateCreate(p)).toEqual([]);
  });

  it('a resourceFieldRef without divisor gets "0", as upstream serves it; one given is kept', () => {
    const p = pod((x) => {
      x.spec.containers[0].env = [
        { name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      ];
      x.spec.volumes = [
        { name: 'd', downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu' } }] } },
        { name: 'p', projected: { sources: [{ downwardAPI: { items: [{ path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'requests.memory' } }] } }] } },
      ];
    });
    v.applyDefaults(p);
    expect(p.spec.containers[0].env.map((e: any) => e.valueFrom.resourceFieldRef.divisor)).toEqual(['0', '1Mi']);
    expect(p.spec.volumes[0].downwardAPI.items[0].resourceFieldRef.divisor).toBe('0');
    expect(p.spec.volumes[1].projected.sources[0].downwardAPI.items[0].resourceFieldRef.divisor).toBe('0');
    expect(v.validateCreate(p)).toEqual([]);
  });
});

describe('PodSpec validation', () => {
  it.each<[string, (p: any) => void, string[]]>([
    ['valid', () => {}, []],
    ['container name not a DNS label', (p) => (p.spec.containers[0].name = 'App'), [`${c0}.name: Invalid value: "App": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`]],
    [
      'duplicate container names across init and regular',
      (p) => (p.spec.initContainers = [{ name: 'app', image: 'busybox' }]),
      ['spec.initContainers[0].name: Duplicate value: "app"'],
    ],
    ['duplicate container names', (p) => p.spec.containers.push({ name: 'app', image: 'x:1' }), ['spec.containers[1].name: Duplicate value: "app"']],
    ['image with whitespace', (p) => (p.spec.containers[0].image = ' nginx'), [`${c0}.image: Invalid value: " nginx": must not have leading or trailing whitespace`]],
    ['port out of range', (p) => (p.spec.containers[0].ports = [{ containerPort: 70000 }]), [`${c0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`]],
    ['missing containerPort', (p) => (p.spec.containers[0].ports = [{ name: 'http' }]), [`${c0}.ports[0].containerPort: Required value`]],
    ['bad protocol', (p) => (p.spec.containers[0].ports = [{ containerPort: 80, protocol: 'HTTP' }]), [`${c0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`]],
    [
      'duplicate port names',
      (p) => (p.spec.containers[0].ports = [{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }]),
      [`${c0}.ports[1].name: Duplicate value: "http"`],
    ],
    [
      'hostNetwork hostPort mismatch',
      (p) => {
        p.spec.hostNetwork = true;
        p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 81 }];
      },
      [`${c0}.ports[0].hostPort: Invalid value: 81: must match \`containerPort\` when \`hostNetwork\` is true`],
    ],
    ['env name with =', (p) => (p.spec.containers[0].env = [{ name: 'A=B', value: 'x' }]), [`${c0}.env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`]],
    [
      'env value and valueFrom',
      (p) => (p.spec.containers[0].env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
      [`${c0}.env[0].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`],
    ],
    [
      'env valueFrom two sources',
      (p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } }]),
      [`${c0}.env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time`],
    ],
    [
      'env valueFrom empty',
      (p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: {} }]),
      [`${c0}.env[0].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``],
    ],
    [
      'unsupported fieldRef path',
      (p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.restartPolicy' } } }]),
      [`${c0}.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`],
    ],
    [
      'unknown fieldRef path',
      (p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } }]),
      [`${c0}.env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.foo": error converting fieldPath: field label not supported: spec.foo`],
    ],
    ['labels subscript fieldRef ok', (p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }]), []],
    [
      'volume with two sources',
      (p) => (p.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }]),
      ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'duplicate volume names',
      (p) => (p.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }]),
      ['spec.volumes[1].name: Duplicate value: "v"'],
    ],
    ['hostPath path required', (p) => (p.spec.volumes = [{ name: 'v', hostPath: { path: '' } }]), ['spec.volumes[0].hostPath.path: Required value']],
    [
      'hostPath bad type',
      (p) => (p.spec.volumes = [{ name: 'v', hostPath: { path: '/x', type: 'Dir' } }]),
      ['spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'],
    ],
    [
      'configMap defaultMode out of range',
      (p) => (p.spec.volumes = [{ name: 'v', configMap: { name: 'c', defaultMode: 1000 } }]),
      ['spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive'],
    ],
    [
      'secret item path with ..',
      (p) => (p.spec.volumes = [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: '../x' }] } }]),
      ["spec.volumes[0].secret.items[0].path: Invalid value: \"../x\": must not contain '..'"],
    ],
    [
      'volumeMount of unknown volume and no mountPath',
      (p) => (p.spec.containers[0].volumeMounts = [{ name: 'nope' }]),
      [`${c0}.volumeMounts[0].name: Not found: "nope"`, `${c0}.volumeMounts[0].mountPath: Required value`],
    ],
    [
      'probe with two handlers',
      (p) => (p.spec.containers[0].livenessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } }),
      [`${c0}.livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`],
    ],
    ['probe with no handler', (p) => (p.spec.containers[0].readinessProbe = { periodSeconds: 5 }), [`${c0}.readinessProbe: Required value: must specify a handler type`]],
    [
      'liveness successThreshold',
      (p) => (p.spec.containers[0].livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }),
      [`${c0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`],
    ],
    [
      'negative probe threshold',
      (p) => (p.spec.containers[0].readinessProbe = { exec: { command: ['true'] }, failureThreshold: -1 }),
      [`${c0}.readinessProbe.failureThreshold: Invalid value: -1: must be greater than or equal to 0`],
    ],
    [
      'requests above limits',
      (p) => (p.spec.containers[0].resources = { limits: { cpu: '500m' }, requests: { cpu: '1' } }),
      [`${c0}.resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m`],
    ],
    [
      'bad quantity',
      (p) => (p.spec.containers[0].resources = { limits: { memory: '1GB' } }),
      // Pod defaulting copies the limit into requests, so both report it.
      [
        `${c0}.resources.limits[memory]: Invalid value: "1GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        `${c0}.resources.requests[memory]: Invalid value: "1GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    ],
    [
      'unknown resource name',
      (p) => (p.spec.containers[0].resources = { limits: { gpu: '1' } }),
      [
        `${c0}.resources.limits[gpu]: Invalid value: gpu: must be a standard resource type or fully qualified`,
        `${c0}.resources.limits[gpu]: Invalid value: gpu: must be a standard resource for containers`,
        `${c0}.resources.requests[gpu]: Invalid value: gpu: must be a standard resource type or fully qualified`,
        `${c0}.resources.requests[gpu]: Invalid value: gpu: must be a standard resource for containers`,
      ],
    ],
    [
      'extended resource requests must equal limits',
      (p) => (p.spec.containers[0].resources = { limits: { 'example.com/gpu': '2' }, requests: { 'example.com/gpu': '1' } }),
      [`${c0}.resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2`],
    ],
    ['bad restartPolicy', (p) => (p.spec.restartPolicy = 'Sometimes'), ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    ['bad dnsPolicy', (p) => (p.spec.dnsPolicy = 'Cluster'), ['spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"']],
    ['bad imagePullPolicy', (p) => (p.spec.containers[0].imagePullPolicy = 'Sometimes'), [`${c0}.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`]],
    [
      'bad terminationMessagePolicy',
      (p) => (p.spec.containers[0].terminationMessagePolicy = 'Log'),
      [`${c0}.terminationMessagePolicy: Unsupported value: "Log": supported values: "File", "FallbackToLogsOnError"`],
    ],
    [
      'toleration Exists with value',
      (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]),
      ["spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"],
    ],
    [
      'toleration empty key needs Exists',
      (p) => (p.spec.tolerations = [{ operator: 'Equal', value: 'v' }]),
      ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
    ],
    [
      'tolerationSeconds needs NoExecute',
      (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]),
      ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"],
    ],
    ['toleration bad effect', (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'Never' }]), ['spec.tolerations[0].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']],
    ['match-all toleration ok', (p) => (p.spec.tolerations = [{ operator: 'Exists' }]), []],
    [
      'nodeSelector bad value',
      (p) => (p.spec.nodeSelector = { disk: 'ss d' }),
      ["spec.nodeSelector: Invalid value: \"ss d\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    ],
    [
      'empty node selector terms',
      (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }),
      ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term'],
    ],
    [
      'Gt with two values',
      (p) =>
        (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['1', '2'] }] }] } } }),
      ["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"],
    ],
    [
      'matchFields metadata.name In one node is ok',
      (p) =>
        (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } }),
      [],
    ],
    ['activeDeadlineSeconds 0', (p) => (p.spec.activeDeadlineSeconds = 0), ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
    [
      'priorityClassName',
      (p) => (p.spec.priorityClassName = 'High'),
      ["spec.priorityClassName: Invalid value: \"High\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
    ],
    ['dnsConfig too many nameservers', (p) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4'] }), ['spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","1.0.0.1","8.8.8.8","8.8.4.4"]: must not have more than 3 nameservers']],
    ['dnsPolicy None needs dnsConfig', (p) => (p.spec.dnsPolicy = 'None'), ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
    [
      'securityContext runAsUser negative',
      (p) => (p.spec.containers[0].securityContext = { runAsUser: -1 }),
      [`${c0}.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive`],
    ],
    [
      'privileged without privilege escalation',
      (p) => (p.spec.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: false }),
      [`${c0}.securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`],
    ],
    [
      'topology spread basics',
      (p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Maybe' }]),
      [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty',
        'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      ],
    ],
  ])('%s', (_name, mutate, want) => {
    expect(errs(mutate)).toEqual(want);
  });
});

describe('Pod update', () => {
  function stored(): any {
    const p = pod((x) => (x.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]));
    v.applyDefaults(p);
    p.metadata.uid = 'p1';
    p.metadata.resourceVersion = '3';
    return p;
  }

  it('allows image, tolerationSeconds, added tolerations and setting nodeName once', () => {
    const old = stored();
    const p = structuredClone(old);
    p.spec.containers[0].image = 'nginx:1.28';
    p.spec.tolerations[0].tolerationSeconds = 20;
    p.spec.tolerations.push({ key: 'x', operator: 'Exists' });
    p.spec.nodeName = 'n1';
    p.spec.activeDeadlineSeconds = 60;
    expect(v.validateUpdate(p, old)).toEqual([]);
    const moved = structuredClone(p);
    moved.spec.nodeName = 'n2';
    expect(v.validateUpdate(moved, p).map((e) => e.field)).toEqual(['spec']);
  });

  it('rejects other spec changes with the upstream message', () => {
    const old = stored();
    const p = structuredClone(old);
    p.spec.restartPolicy = 'Never';
    const e = v.validateUpdate(p, old);
    expect(e).toHaveLength(1);
    expect(fieldErrorString(e[0]!)).toMatch(
      /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
    );
  });

  it('rejects removed tolerations, container count changes and raised deadlines', () => {
    const old = stored();
    old.spec.activeDeadlineSeconds = 30;
    const p = structuredClone(old);
    p.spec.tolerations = [];
    expect(v.validateUpdate(p, old).map(fieldErrorString)).toEqual(['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
    const q = structuredClone(old);
    q.spec.containers.push({ name: 'b', image: 'x:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(v.validateUpdate(q, old).map(fieldErrorString)).toEqual(['spec.containers: Forbidden: pod updates may not add or remove containers']);
    const r = structuredClone(old);
    r.spec.activeDeadlineSeconds = 60;
    expect(v.validateUpdate(r, old).map(fieldErrorString)).toEqual(['spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value']);
  });

  it('status update may not change nodeName and validates pod IPs', () => {
    const old = stored();
    const p = structuredClone(old);
    p.status = { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.x' }], conditions: [{ type: 'Ready', status: 'True' }] };
    expect(v.validateStatusUpdate(p, old).map(fieldErrorString)).toEqual(['status.podIPs[0]: Invalid value: "10.0.0.x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  });
});

// KEP-3838 (GA 1.30) and binding of gated pods, as upstream's ValidatePodUpdate and pods/binding.
describe('Pod update: scheduling gates', () => {
  const term = (...exprs: any[]): any => ({ matchExpressions: exprs });
  const zoneA = { key: 'zone', operator: 'In', values: ['a'] };
  const gpu = { key: 'gpu', operator: 'Exists' };
  const required = (...terms: any[]): any => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
  function gated(extra: (p: any) => void = () => {}): any {
    const p = pod((x) => {
      x.spec.schedulingGates = [{ name: 'example.com/wait' }];
      extra(x);
    });
    v.applyDefaults(p);
    p.metadata.uid = 'p1';
    expect(v.validateCreate(p)).toEqual([]);
    return p;
  }
  function update(old: any, change: (p: any) => void): string[] {
    const p = structuredClone(old);
    change(p);
    return v.validateUpdate(p, old).map(fieldErrorString);
  }

  it('refuses to bind (set spec.nodeName on) a pod that still has scheduling gates', () => {
    const old = gated();
    expect(update(old, (p) => (p.spec.nodeName = 'n1'))).toEqual(['spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared']);
    expect(
      update(old, (p) => {
        p.spec.schedulingGates = [];
        p.spec.nodeName = 'n1';
      }),
    ).toEqual(['spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared']);
    // Removing the gates first, then binding, is fine.
    const open = structuredClone(old);
    open.spec.schedulingGates = [];
    expect(v.validateUpdate(open, old)).toEqual([]);
    expect(update(open, (p) => (p.spec.nodeName = 'n1'))).toEqual([]);
  });

  it('a gated pod may gain nodeSelector keys but not change or drop them', () => {
    const old = gated((p) => (p.spec.nodeSelector = { zone: 'a' }));
    expect(update(old, (p) => (p.spec.nodeSelector.disk = 'ssd'))).toEqual([]);
    expect(update(old, (p) => (p.spec.nodeSelector = { zone: 'b', disk: 'ssd' }))).toEqual([
      'spec.nodeSelector: Invalid value: {"zone":"b","disk":"ssd"}: only additions to spec.nodeSelector are allowed (no mutations or deletions)',
    ]);
    expect(update(old, (p) => delete p.spec.nodeSelector)).toEqual(['spec.nodeSelector: Invalid value: null: only additions to spec.nodeSelector are allowed (no mutations or deletions)']);
    expect(update(gated(), (p) => (p.spec.nodeSelector = { zone: 'a' }))).toEqual([]);
  });

  it('a gated pod may set node affinity, or add requirements to its existing terms', () => {
    expect(update(gated(), (p) => (p.spec.affinity = required(term(zoneA))))).toEqual([]);
    const old = gated((p) => (p.spec.affinity = required(term(zoneA))));
    expect(update(old, (p) => p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.push(gpu))).toEqual([]);
    expect(update(old, (p) => (p.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1, preference: term(gpu) }]))).toEqual([]);
    expect(update(old, (p) => (p.spec.affinity = required(term(gpu))))).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]: Invalid value: {"matchExpressions":[{"key":"gpu","operator":"Exists"}]}: only additions are allowed (no mutations or deletions)',
    ]);
    expect(update(old, (p) => (p.spec.affinity = required(term(zoneA), term(gpu))))).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Invalid value: [{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]},{"matchExpressions":[{"key":"gpu","operator":"Exists"}]}]: no additions/deletions to non-empty NodeSelectorTerms list are allowed',
    ]);
    expect(update(old, (p) => delete p.spec.affinity)).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Invalid value: null: no additions/deletions to non-empty NodeSelectorTerms list are allowed',
    ]);
  });

  it('other affinity changes, and any change once the gates are gone, stay forbidden', () => {
    const old = gated();
    const podAffinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'x' } } }] } };
    const e = update(old, (p) => (p.spec.affinity = { ...required(term(zoneA)), ...podAffinity }));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than /);
    const open = structuredClone(old);
    delete open.spec.schedulingGates;
    const after = update(open, (p) => (p.spec.nodeSelector = { zone: 'a' }));
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than /);
  });
});
