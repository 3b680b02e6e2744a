// Table-driven checks for the non-Pod, non-DaemonSet kinds: one valid object each, then each
// rule's exact field path and upstream message.
import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const rbac = 'rbac.authorization.k8s.io';
const meta = (name: string, namespace?: string): any => (namespace ? { name, namespace } : { name });

const valid: Record<string, any> = {
  '/Namespace': { metadata: meta('team-a') },
  '/Node': { metadata: meta('node-1'), spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], podCIDR: '10.0.1.0/24', podCIDRs: ['10.0.1.0/24'] }, status: { capacity: { cpu: '4' } } },
  '/Event': { metadata: meta('x.1', 'default'), involvedObject: { kind: 'DaemonSet', namespace: 'default', name: 'x' }, reason: 'SuccessfulCreate', message: 'Created pod: x-abc' },
  '/Service': { metadata: meta('web', 'default'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
  '/Endpoints': { metadata: meta('web', 'default'), subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80 }] }] },
  '/ConfigMap': { metadata: meta('cfg', 'default'), data: { 'app.conf': 'x=1' } },
  '/Secret': { metadata: meta('s', 'default'), stringData: { password: 'p' } },
  '/ServiceAccount': { metadata: meta('sa', 'default') },
  'coordination.k8s.io/Lease': { metadata: meta('node-1', 'kube-node-lease'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } },
  [`${rbac}/Role`]: { metadata: meta('reader', 'default'), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  [`${rbac}/ClusterRole`]: { metadata: meta('system:reader'), rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] },
  [`${rbac}/RoleBinding`]: { metadata: meta('rb', 'default'), roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'User', name: 'alice' }] },
  [`${rbac}/ClusterRoleBinding`]: { metadata: meta('crb'), roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'system:reader' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'default' }] },
  'scheduling.k8s.io/PriorityClass': { metadata: meta('high'), value: 1000 },
};

function check(gk: string, mutate: (o: any) => void): string[] {
  const o: any = structuredClone(valid[gk]);
  mutate(o);
  const v = validationFor(gk);
  v.applyDefaults(o as KubeObject);
  v.prepareForCreate?.(o as KubeObject);
  return v.validateCreate(o as KubeObject).map(fieldErrorString);
}

describe('valid objects pass', () => {
  for (const gk of Object.keys(valid)) it(gk, () => expect(check(gk, () => {})).toEqual([]));
});

describe('defaults', () => {
  it('Namespace: phase Active, name label, kubernetes finalizer; namespace field of cluster-scoped objects dropped', () => {
    const o: any = { metadata: { name: 'team-a', namespace: 'x' } };
    const v = validationFor('/Namespace');
    v.applyDefaults(o);
    v.prepareForCreate?.(o);
    expect(o).toEqual({ metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  });
  it('Service: ClusterIP, None affinity, TCP, targetPort = port', () => {
    const o: any = structuredClone(valid['/Service']);
    validationFor('/Service').applyDefaults(o);
    expect(o.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    const v = validationFor('/Service');
    const created = (spec: Record<string, unknown>): any => {
      const o: any = { metadata: meta('h', 'default'), spec: { ports: [{ port: 9100 }], ...spec } };
      v.applyDefaults(o);
      v.prepareForCreate?.(o);
      return o;
    };
    const headless = created({ clusterIP: 'None' });
    // Headless and selectorless: both families (upstream's initIPFamilyFields); with a selector: single-stack.
    expect(headless.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' });
    expect(created({ clusterIP: 'None', selector: { app: 'x' } }).spec).toMatchObject({ ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    const single = created({ clusterIP: 'None', ipFamilyPolicy: 'SingleStack' });
    expect(single.spec).toMatchObject({ ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    // An update that leaves the families out keeps the stored ones (a replace from a manifest without them).
    const replaced: any = { metadata: meta('h', 'default'), spec: { clusterIP: 'None', ports: [{ port: 9100 }] } };
    v.applyDefaults(replaced);
    v.prepareForUpdate?.(replaced, single);
    expect(replaced.spec).toMatchObject({ ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    expect(validationFor('/Service').validateCreate(headless)).toEqual([]);
    const external: any = { metadata: meta('e', 'default'), spec: { type: 'ExternalName', externalName: 'example.com' } };
    validationFor('/Service').applyDefaults(external);
    expect(external.spec.ipFamilies).toBeUndefined();
  });
  it('Secret: stringData merged into data, type Opaque', () => {
    const o: any = structuredClone(valid['/Secret']);
    validationFor('/Secret').applyDefaults(o);
    expect(o).toEqual({ metadata: meta('s', 'default'), data: { password: 'cA==' }, type: 'Opaque' });
  });
  it('RBAC subjects and roleRef get their apiGroup; PriorityClass preemptionPolicy; Node allocatable', () => {
    const b: any = structuredClone(valid[`${rbac}/RoleBinding`]);
    validationFor(`${rbac}/RoleBinding`).applyDefaults(b);
    expect(b.roleRef.apiGroup).toBe(rbac);
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'User', name: 'alice', apiGroup: rbac }]);
    const pc: any = structuredClone(valid['scheduling.k8s.io/PriorityClass']);
    validationFor('scheduling.k8s.io/PriorityClass').applyDefaults(pc);
    expect(pc.preemptionPolicy).toBe('PreemptLowerPriority');
    const n: any = structuredClone(valid['/Node']);
    validationFor('/Node').applyDefaults(n);
    expect(n.status.allocatable).toEqual({ cpu: '4' });
  });

  it('a spec (and a Node\'s status) that is a Go struct is always there: {} when sent without it or as null', () => {
    for (const [gk, fields] of [
      ['/Node', ['spec', 'status']],
      ['/LimitRange', ['spec']],
      ['/ResourceQuota', ['spec']],
      ['coordination.k8s.io/Lease', ['spec']],
      ['policy/PodDisruptionBudget', ['spec']],
    ] as const) {
      const bare: any = { apiVersion: 'v1', kind: gk.split('/')[1], metadata: { name: 'x', namespace: 'ns' }, spec: null };
      validationFor(gk).applyDefaults(bare);
      for (const f of fields) expect(bare[f], `${gk} ${f}`).toEqual({});
      const kept: any = { apiVersion: 'v1', kind: gk.split('/')[1], metadata: { name: 'x' }, spec: { a: 1 } };
      validationFor(gk).applyDefaults(kept);
      expect(kept.spec.a).toBe(1);
    }
    // A Node's configSource (dynamic kubelet configuration) is dropped, unless it was there.
    const withSource: any = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { configSource: { configMap: {} } } };
    validationFor('/Node').prepareForCreate!(withSource);
    expect(withSource.spec).toEqual({});
    const kept: any = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { configSource: { configMap: {} } } };
    validationFor('/Node').prepareForUpdate!(kept, structuredClone(kept));
    expect(kept.spec.configSource).toEqual({ configMap: {} });
    // A kind whose type has no such struct gets none.
    const cm: any = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    validationFor('/ConfigMap').applyDefaults(cm);
    expect(cm.spec).toBeUndefined();
  });
});

describe('rules and messages', () => {
  it.each<[string, string, (o: any) => void, string[]]>([
    ['/Namespace', 'name must be a DNS label', (o) => (o.metadata.name = 'team.a'), ['metadata.name: Invalid value: "team.a": must not contain dots']],
    ['/Namespace', 'bad spec finalizer', (o) => (o.spec = { finalizers: ['custom'] }), ['spec.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']],
    ['/Node', 'taint effect required', (o) => (o.spec.taints = [{ key: 'k' }]), ['spec.taints[0].effect: Required value']],
    ['/Node', 'negative capacity', (o) => (o.status = { capacity: { cpu: '-1', pods: '110500m' }, allocatable: { 'example.com/gpu': '1500m' } }), ['status.capacity[cpu]: Invalid value: "-1": must be greater than or equal to 0', 'status.capacity[pods]: Invalid value: "110500m": must be an integer', 'status.allocatable[example.com/gpu]: Invalid value: "1500m": must be an integer']],
    ['/Node', 'two podCIDRs of one family', (o) => (o.spec.podCIDRs = ['10.0.1.0/24', '10.0.2.0/24']), ['spec.podCIDRs: Invalid value: []string{"10.0.1.0/24", "10.0.2.0/24"}: may specify no more than one CIDR for each IP family']],
    ['/Node', 'a dual-stack pair of podCIDRs', (o) => (o.spec.podCIDRs = ['10.0.1.0/24', 'fd00::/64']), []],
    ['/Node', 'duplicate taint', (o) => o.spec.taints.push({ key: 'k', value: 'w', effect: 'NoSchedule' }), ['spec.taints[1]: Invalid value: "k:NoSchedule": taints must be unique by key and effect pair']],
    ['/Event', 'involvedObject namespace mismatch', (o) => (o.involvedObject.namespace = 'other'), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']],
    [
      '/Service',
      'name must be a DNS-1035 label',
      (o) => (o.metadata.name = '1web'),
      ["metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    ],
    ['/Service', 'ports required', (o) => (o.spec.ports = []), ['spec.ports: Required value']],
    ['/Service', 'port names required when several', (o) => o.spec.ports.push({ port: 81, name: 'b' }), ['spec.ports[0].name: Required value']],
    ['/Service', 'nodePort on ClusterIP', (o) => (o.spec.ports[0].nodePort = 30080), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['/Service', 'a family twice', (o) => (o.spec.ipFamilies = ['IPv4', 'IPv4']), ['spec.ipFamilies[1]: Duplicate value: "IPv4"']],
    ['/Service', 'bad type', (o) => (o.spec.type = 'Internal'), ['spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    // everynode decision: loopback addresses are allowed (local nodes' daemons have them).
    ['/Endpoints', 'loopback address', (o) => (o.subsets[0].addresses[0].ip = '127.0.1.1'), []],
    ['/Endpoints', 'no addresses', (o) => (o.subsets[0].addresses = []), ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']],
    [
      '/ConfigMap',
      'bad key',
      (o) => (o.data = { 'a b': '1' }),
      ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
    ],
    ['/ConfigMap', 'too large', (o) => (o.data = { big: 'x'.repeat(1024 * 1024 + 1) }), [': Too long: may not be more than 1048576 bytes']],
    ['/ConfigMap', 'key in data and binaryData', (o) => (o.binaryData = { 'app.conf': 'eA==' }), ['data[app.conf]: Invalid value: "app.conf": duplicate of key present in binaryData']],
    ['/Service', 'externalTrafficPolicy on an internal ClusterIP', (o) => (o.spec.externalTrafficPolicy = 'Local'), ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']],
    ['/Service', 'allocateLoadBalancerNodePorts off LoadBalancer', (o) => (o.spec.allocateLoadBalancerNodePorts = false), ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"]],
    ['/Service', 'loadBalancerClass off LoadBalancer', (o) => (o.spec.loadBalancerClass = 'example.com/lb'), ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"]],
    [
      '/Service',
      'healthCheckNodePort without LoadBalancer + Local',
      (o) => Object.assign(o.spec, { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 30100 }),
      ["spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
    ],
    [
      '/Service',
      'ExternalName with IP fields (clusterIP normalized into clusterIPs first)',
      (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'db.example.com.', clusterIP: '10.96.5.5', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' }),
      [
        'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
        'spec.ipFamilies: Forbidden: may not be set for ExternalName services',
        'spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services',
      ],
    ],
    // A single-label name is a valid CNAME (upstream only checks it as a DNS subdomain).
    ['/Service', 'ExternalName of one label', (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'db' }), []],
    ['/Service', 'ExternalName not a DNS name', (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'Not_A_Name.' }), [expect.stringMatching(/^spec\.externalName: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain/)]],
    [
      '/Service',
      'loadBalancerSourceRanges off LoadBalancer, and not CIDRs',
      (o) => (o.spec.loadBalancerSourceRanges = ['10.0.0.0/8', ' foo ']),
      [
        "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
        'spec.LoadBalancerSourceRanges[1]: Invalid value: "foo": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    ],
    [
      '/Service',
      'special externalIPs',
      (o) => (o.spec.externalIPs = ['127.0.0.1', '0.0.0.0', '169.254.1.1', '192.0.2.10']),
      [
        'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'spec.externalIPs[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0, ::)',
        'spec.externalIPs[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    ],
    ['/Service', 'trafficDistribution', (o) => (o.spec.trafficDistribution = 'Foo'), ['spec.trafficDistribution: Unsupported value: "Foo": supported values: "PreferClose"']],
    ['/Service', 'a clusterIP that is no IP is reported once, on clusterIPs', (o) => (o.spec.clusterIP = 'abc'), [expect.stringMatching(/^spec\.clusterIPs\[0\]: Invalid value: "abc": must be a valid IP address/)]],
    ['/Secret', 'tls needs both keys', (o) => (o.type = 'kubernetes.io/tls'), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
    ['/Secret', 'dockerconfigjson not an object', (o) => ((o.type = 'kubernetes.io/dockerconfigjson'), (o.data = { '.dockerconfigjson': 'WzFd' })), ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}']],
    ['/Secret', 'dockercfg not JSON, its content not quoted', (o) => ((o.type = 'kubernetes.io/dockercfg'), (o.data = { '.dockercfg': 'cGFzc3dvcmQ9U2VjcmV0' })), ['data[.dockercfg]: Invalid value: "<secret contents redacted>": invalid character \'p\' looking for beginning of value']],
    ['/Secret', 'dockerconfigjson null is an empty map', (o) => ((o.type = 'kubernetes.io/dockerconfigjson'), (o.data = { '.dockerconfigjson': 'bnVsbA==' })), []],
    ['/Secret', 'dockerconfigjson required', (o) => (o.type = 'kubernetes.io/dockerconfigjson'), ['data[.dockerconfigjson]: Required value']],
    ['/Secret', 'service account token needs annotation', (o) => (o.type = 'kubernetes.io/service-account-token'), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
    ['/ServiceAccount', 'name', (o) => (o.metadata.name = 'SA'), ["metadata.name: Invalid value: \"SA\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]],
    ['coordination.k8s.io/Lease', 'duration must be positive', (o) => (o.spec.leaseDurationSeconds = 0), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']],
    [`${rbac}/Role`, 'verbs required', (o) => (o.rules[0].verbs = []), ['rules[0].verbs: Required value: verbs must contain at least one value']],
    [
      `${rbac}/Role`,
      'resources required and no URLs in namespaced rules',
      (o) => (o.rules = [{ verbs: ['get'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }]),
      [
        'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
        'rules[0].resources: Required value: resource rules must supply at least one resource',
        'rules[1].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs',
      ],
    ],
    [`${rbac}/Role`, 'path-segment names', (o) => (o.metadata.name = 'a/b'), ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]],
    [`${rbac}/ClusterRoleBinding`, 'ServiceAccount subject needs namespace', (o) => delete o.subjects[0].namespace, ['subjects[0].namespace: Required value']],
    [`${rbac}/ClusterRoleBinding`, 'roleRef kind', (o) => (o.roleRef.kind = 'Role'), ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']],
    [`${rbac}/RoleBinding`, 'subject kind', (o) => (o.subjects = [{ kind: 'Robot', name: 'r' }]), ['subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']],
    [`${rbac}/RoleBinding`, 'roleRef name required', (o) => (o.roleRef.name = ''), ['roleRef.name: Required value']],
    ['scheduling.k8s.io/PriorityClass', 'value too high', (o) => (o.value = 1000000001), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']],
    [
      'scheduling.k8s.io/PriorityClass',
      'system- prefix reserved',
      (o) => (o.metadata.name = 'system-mine'),
      ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"],
    ],
    ['scheduling.k8s.io/PriorityClass', 'preemptionPolicy enum', (o) => (o.preemptionPolicy = 'Always'), ['preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never"']],
    [
      '/ConfigMap',
      'two controller owners',
      (o) =>
        (o.metadata.ownerReferences = [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'a', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'b', uid: '2', controller: true },
        ]),
      [
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"DaemonSet","name":"a","uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"DaemonSet","name":"b","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for DaemonSet/a and DaemonSet/b',
      ],
    ],
    ['/ConfigMap', 'owner reference fields', (o) => (o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod' }]), ['metadata.ownerReferences.name: Invalid value: "": name must not be empty', 'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty']],
    ['/ConfigMap', 'finalizer syntax', (o) => (o.metadata.finalizers = ['bad finalizer']), ["metadata.finalizers: Invalid value: \"bad finalizer\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
    ['/ConfigMap', 'annotations too large', (o) => (o.metadata.annotations = { a: 'x'.repeat(256 * 1024) }), ['metadata.annotations: Too long: may not be more than 262144 bytes']],
  ])('%s: %s', (gk, _name, mutate, want) => {
    expect(check(gk, mutate)).toEqual(want);
  });
});

describe('update rules', () => {
  it('Lease: strategy and preferredHolder (coordinated leader election, off in 1.32) are dropped on create, kept on update only when stored', () => {
    const v = validationFor('coordination.k8s.io/Lease');
    const lease = (spec: Record<string, unknown>): any => ({ metadata: meta('l'), spec: { holderIdentity: 'a', ...spec } });
    const created = lease({ strategy: 'OldestEmulationVersion', preferredHolder: 'b' });
    v.prepareForCreate!(created);
    expect(created.spec).toEqual({ holderIdentity: 'a' });
    const updated = lease({ strategy: 'OldestEmulationVersion', preferredHolder: 'b' });
    v.prepareForUpdate!(updated, lease({ strategy: 'OldestEmulationVersion' }));
    expect(updated.spec).toEqual({ holderIdentity: 'a', strategy: 'OldestEmulationVersion' });
  });

  it('Service status: ingress only on a LoadBalancer, a valid IP, ipMode defaulted to VIP, a hostname that is no IP', () => {
    const v = validationFor('/Service');
    const svc = (type: string, ingress: unknown[]): any => {
      const o: any = structuredClone(valid['/Service']);
      o.spec.type = type;
      v.applyDefaults(o as KubeObject);
      o.status = { loadBalancer: { ingress } };
      v.applyStatusDefaults?.(o as KubeObject);
      return o;
    };
    const errs = (o: any) => v.validateStatusUpdate(o as KubeObject, structuredClone(o) as KubeObject).map(fieldErrorString);
    const ok = svc('LoadBalancer', [{ ip: '203.0.113.1' }]);
    expect(ok.status.loadBalancer.ingress).toEqual([{ ip: '203.0.113.1', ipMode: 'VIP' }]);
    expect(errs(ok)).toEqual([]);
    expect(errs(svc('NodePort', [{ ip: '203.0.113.1' }]))).toEqual(["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"]);
    expect(errs(svc('LoadBalancer', [{ ip: 'foo' }, { hostname: '10.0.0.1' }, { hostname: 'lb.example.com', ipMode: 'Proxy' }, { ip: '10.0.0.2', ipMode: 'Tunnel' }]))).toEqual([
      'status.loadBalancer.ingress[0].ip: Invalid value: "foo": must be a valid IP address',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'status.loadBalancer.ingress[2].ipMode: Forbidden: may not be specified when `ip` is not set',
      'status.loadBalancer.ingress[3].ipMode: Unsupported value: "Tunnel": supported values: "Proxy", "VIP"',
    ]);
  });

  it('Service: the primary cluster IP may not change once set, worded as upstream (clusterIPs follow a changed clusterIP)', () => {
    const v = validationFor('/Service');
    const made = (spec: Record<string, unknown>): any => {
      const o: any = structuredClone(valid['/Service']);
      Object.assign(o.spec, spec);
      v.applyDefaults(o as KubeObject);
      return o;
    };
    const update = (old: any, change: (o: any) => void): string[] => {
      const next: any = structuredClone(old);
      change(next);
      v.applyDefaults(next as KubeObject);
      v.prepareForUpdate?.(next as KubeObject, old as KubeObject);
      return v.validateUpdate(next as KubeObject, old as KubeObject).map(fieldErrorString);
    };
    const old = made({ clusterIP: '10.96.0.10' });
    expect(update(old, (o) => (o.spec.clusterIP = '10.96.7.7'))).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: may not change once set']);
    expect(update(old, (o) => Object.assign(o.spec, { clusterIP: 'None', clusterIPs: ['None'] }))).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set']);
    expect(update(old, (o) => (o.spec.ports[0].port = 81))).toEqual([]);
    // To ExternalName the IPs go (prepareServiceForUpdate drops them).
    expect(update(old, (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'example.com' }))).toEqual([]);
  });


  it('RoleBinding roleRef is immutable', () => {
    const v = validationFor(`${rbac}/RoleBinding`);
    const old: any = structuredClone(valid[`${rbac}/RoleBinding`]);
    v.applyDefaults(old);
    const o: any = structuredClone(old);
    o.roleRef.name = 'writer';
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['roleRef: Invalid value: {"kind":"Role","name":"writer","apiGroup":"rbac.authorization.k8s.io"}: cannot change roleRef']);
  });
  it('PriorityClass value is immutable', () => {
    const v = validationFor('scheduling.k8s.io/PriorityClass');
    const old: any = structuredClone(valid['scheduling.k8s.io/PriorityClass']);
    v.applyDefaults(old);
    const o: any = structuredClone(old);
    o.value = 5;
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['value: Forbidden: may not be changed in an update.']);
  });
  it('immutable ConfigMap data may not change; namespace is immutable', () => {
    const v = validationFor('/ConfigMap');
    const old: any = { ...structuredClone(valid['/ConfigMap']), immutable: true };
    const o: any = structuredClone(old);
    o.data = { 'app.conf': 'x=2' };
    expect(v.validateUpdate(o, old).map(fieldErrorString)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    const moved: any = structuredClone(old);
    moved.metadata.namespace = 'other';
    expect(v.validateUpdate(moved, old).map(fieldErrorString)).toEqual(['metadata.namespace: Invalid value: "other": field is immutable']);
  });
  it('Namespace: an update keeps the stored spec.finalizers (they change only by finalization)', () => {
    const v = validationFor('/Namespace');
    const old: any = structuredClone(valid['/Namespace']);
    v.applyDefaults(old);
    v.prepareForCreate?.(old);
    for (const spec of [undefined, {}, { finalizers: [] }, { finalizers: ['kubernetes', 'example.com/x'] }]) {
      const o: any = structuredClone(old);
      if (spec === undefined) delete o.spec;
      else o.spec = spec;
      v.applyDefaults(o);
      v.prepareForUpdate?.(o, old);
      expect(o.spec).toEqual({ finalizers: ['kubernetes'] });
      expect(v.validateUpdate(o, old)).toEqual([]);
    }
    // A namespace stored without spec.finalizers (created before they were added) stays so.
    const bare: any = { metadata: { name: 'team-b' }, status: { phase: 'Active' } };
    const o: any = { metadata: { name: 'team-b' }, spec: { finalizers: ['kubernetes'] } };
    v.prepareForUpdate?.(o, bare);
    expect(o.spec).toBeUndefined();
  });
  it('unknown kinds are a no-op', () => {
    const v = validationFor('example.com/Widget');
    expect(v.validateCreate({ metadata: {} })).toEqual([]);
  });
});

// Upstream's dropTypeDependentFields (Service PrepareForUpdate): on a type change, fields only
// the old type uses are cleared when the update left them unchanged.
describe('Service type changes', () => {
  const v = validationFor('/Service');
  function stored(spec: any, status?: any): any {
    const o: any = { metadata: meta('web', 'default'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } };
    if (status) o.status = status;
    v.applyDefaults(o);
    expect(v.validateCreate(o).map(fieldErrorString)).toEqual([]);
    return o;
  }
  /** The registry's update path: defaults, the kind's prepareForUpdate, validateUpdate. */
  function update(old: any, change: (o: any) => void): { obj: any; errs: string[] } {
    const o: any = structuredClone(old);
    change(o);
    v.applyDefaults(o);
    v.prepareForUpdate?.(o, old);
    return { obj: o, errs: v.validateUpdate(o, old).map(fieldErrorString) };
  }

  it('a LoadBalancer keeps its loadBalancerClass: changing or removing it is refused, as upstream', () => {
    const old = stored({ type: 'LoadBalancer', loadBalancerClass: 'x.io/y', ports: [{ port: 80, nodePort: 30081 }] });
    expect(update(old, (o) => (o.spec.loadBalancerClass = 'x.io/z')).errs).toEqual(['spec.loadBalancerClass: Invalid value: "x.io/z": may not change once set']);
    expect(update(old, (o) => delete o.spec.loadBalancerClass).errs).toEqual(['spec.loadBalancerClass: Invalid value: null: may not change once set']);
    expect(update(old, (o) => (o.metadata.labels = { a: 'b' })).errs).toEqual([]);
  });

  it('NodePort -> ClusterIP drops the defaulted externalTrafficPolicy and the node ports', () => {
    const old = stored({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    expect(old.spec.externalTrafficPolicy).toBe('Cluster');
    const { obj, errs } = update(old, (o) => (o.spec.type = 'ClusterIP'));
    expect(errs).toEqual([]);
    expect(obj.spec.externalTrafficPolicy).toBeUndefined();
    expect(obj.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    expect(old.spec.ports[0].nodePort).toBe(30080);
  });

  it('LoadBalancer -> ClusterIP drops every LoadBalancer-only field and the load-balancer status', () => {
    const old = stored(
      { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30100, loadBalancerClass: 'example.com/lb', ports: [{ port: 80, nodePort: 30080 }] },
      { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    );
    expect(old.spec.allocateLoadBalancerNodePorts).toBe(true);
    const { obj, errs } = update(old, (o) => (o.spec.type = 'ClusterIP'));
    expect(errs).toEqual([]);
    for (const f of ['externalTrafficPolicy', 'healthCheckNodePort', 'allocateLoadBalancerNodePorts', 'loadBalancerClass']) expect(obj.spec[f], f).toBeUndefined();
    expect(obj.status).toEqual({ loadBalancer: {} });
    expect(old.status.loadBalancer.ingress).toHaveLength(1);
  });

  it('LoadBalancer -> NodePort keeps externalTrafficPolicy and node ports, drops LoadBalancer-only fields', () => {
    const old = stored({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30100, ports: [{ port: 80, nodePort: 30080 }] });
    const { obj, errs } = update(old, (o) => (o.spec.type = 'NodePort'));
    expect(errs).toEqual([]);
    expect(obj.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] });
    expect(obj.spec.healthCheckNodePort).toBeUndefined();
    expect(obj.spec.allocateLoadBalancerNodePorts).toBeUndefined();
  });

  it('a field changed in the same update is kept, and validation judges it', () => {
    const old = stored({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    const etp = update(old, (o) => Object.assign(o.spec, { type: 'ClusterIP', externalTrafficPolicy: 'Local' }));
    expect(etp.errs).toEqual(['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']);
    const np = update(old, (o) => Object.assign(o.spec, { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30081 }] }));
    expect(np.errs).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });

  it('ClusterIP -> ExternalName drops the unchanged cluster IPs', () => {
    const old = stored({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    const { obj, errs } = update(old, (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'db.example.com' }));
    expect(errs).toEqual([]);
    for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) expect(obj.spec[f], f).toBeUndefined();
  });

  it('a ClusterIP service with externalIPs is externally accessible: defaulted, may say Local, loses it with its externalIPs', () => {
    const withIPs = stored({ externalIPs: ['192.0.2.10'] });
    expect(withIPs.spec.externalTrafficPolicy).toBe('Cluster');
    const local = stored({ externalIPs: ['192.0.2.10'], externalTrafficPolicy: 'Local' });
    expect(local.spec.externalTrafficPolicy).toBe('Local');
    const { obj, errs } = update(local, (o) => delete o.spec.externalIPs);
    expect(errs).toEqual([]);
    expect(obj.spec.externalTrafficPolicy).toBeUndefined();
  });
});
