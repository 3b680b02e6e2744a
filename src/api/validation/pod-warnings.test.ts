import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...metadata }, spec }) as unknown as KubeObject;

const dsOf = (podSpec: Record<string, unknown>, generation: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'd', namespace: 'default', generation: 1, annotations: { 'deprecated.daemonset.template.generation': generation } },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: podSpec } },
  }) as unknown as KubeObject;

describe('pod warnings (upstream GetWarningsForPod)', () => {
  const v = validationFor('/Pod');
  const warn = (o: KubeObject, old?: KubeObject): string[] => {
    v.applyDefaults(o);
    return v.warnings?.(o, old) ?? [];
  };

  it('names the repeated env var that apply may drop, unless the later value builds on the earlier', () => {
    const o = pod({
      initContainers: [{ name: 'i', image: 'x', env: [{ name: 'a', value: '1' }, { name: 'a', value: '$(a):2' }, { name: 'a', value: '$(a)' }, { name: 'a', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }],
      containers: [{ name: 'c', image: 'x', env: [{ name: 'B', value: '1' }, { name: 'C' }, { name: 'B', value: '2' }] }],
    });
    expect(warn(o)).toEqual([
      'spec.initContainers[0].env[2]: hides previous definition of "a", which may be dropped when using apply',
      'spec.initContainers[0].env[3]: hides previous definition of "a", which may be dropped when using apply',
      'spec.containers[0].env[2]: hides previous definition of "B", which may be dropped when using apply',
    ]);
  });

  it('flags fractional bytes, repeated or overlapping ports, a negative grace period and null pod selectors, in upstream order', () => {
    const o = pod({
      terminationGracePeriodSeconds: -1,
      overhead: { memory: '0.5' },
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }], preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'z' } }] },
      },
      containers: [
        { name: 'a', image: 'x', resources: { limits: { memory: '100m' }, requests: { memory: '0.5Ki', 'ephemeral-storage': '1.5' } }, ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }, { containerPort: 81, hostIP: '127.0.0.1' }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 80, protocol: 'UDP' }] },
      ],
    });
    expect(warn(o)).toEqual([
      'spec.overhead[memory]: fractional byte value "500m" is invalid, must be an integer',
      'spec.containers[0].resources.limits[memory]: fractional byte value "100m" is invalid, must be an integer',
      'spec.containers[0].resources.requests[ephemeral-storage]: fractional byte value "1500m" is invalid, must be an integer',
      'spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]',
      'spec.containers[0].ports[2]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:81 Protocol:TCP HostIP:127.0.0.1}',
      'spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[0]',
      'spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[1]',
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null labelSelector results in matching no pod',
      'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector: a null labelSelector results in matching no pod',
    ]);
  });

  it('flags deprecated node labels, annotations and volume plugins, repeated host aliases and pull secrets, and shadowed token paths', () => {
    const o = pod(
      {
        containers: [{ name: 'c', image: 'x' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'beta.kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] } } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'failure-domain.beta.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }],
        volumes: [
          { name: 'g', gitRepo: { repository: 'r' } },
          { name: 's', storageos: { volumeName: 'v' } },
          { name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'cm', items: [{ key: 'k', path: 'token' }] } }] } },
        ],
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }, { ip: '10.0.0.1', hostnames: ['b'] }],
        imagePullSecrets: [{ name: 'r' }, { name: 'r' }, { name: '' }],
      },
      { annotations: { 'scheduler.alpha.kubernetes.io/critical-pod': '' } },
    );
    expect(warn(o)).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key: beta.kubernetes.io/arch is deprecated since v1.14; use "kubernetes.io/arch" instead',
      'spec.topologySpreadConstraints[0].topologyKey: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
      'spec.topologySpreadConstraints[0].labelSelector: a null labelSelector results in matching no pod',
      'metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "priorityClassName" field instead',
      'spec.volumes[0].gitRepo: deprecated in v1.11',
      'spec.volumes[1].storageOS: deprecated in v1.22, non-functional in v1.25+',
      'spec.volumes[2].projected.sources.configMap[0]: has duplicated path with ServiceAccountToken "token"',
      'spec.hostAliases[1].ip: duplicate ip "10.0.0.1"',
      'spec.imagePullSecrets[1].name: duplicate name "r"',
      'spec.imagePullSecrets[2].name: invalid empty name ""',
    ]);
  });

  it('warns about a pod name that is not a DNS label on create only; a clean pod gets none', () => {
    const o = pod({ containers: [{ name: 'c', image: 'x' }] }, { name: 'My.Pod' });
    expect(warn(o)).toEqual([
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]",
    ]);
    expect(warn(o, o)).toEqual([]);
    // No warnings at all on a pod's update, as upstream's pod strategy.
    const dup = pod({ containers: [{ name: 'c', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }] });
    expect(warn(dup)).toHaveLength(1);
    expect(warn(dup, dup)).toEqual([]);
    expect(warn(pod({ containers: [{ name: 'c', image: 'x', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }] }))).toEqual([]);
  });

  it("a DaemonSet warns on create and on an update that changes its template, not on other updates", () => {
    const d = validationFor('apps/DaemonSet');
    const spec = { containers: [{ name: 'c', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }] };
    const msg = 'spec.template.spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply';
    const created = dsOf(spec, '1');
    d.applyDefaults(created);
    expect(d.warnings?.(created)).toEqual([msg]);
    expect(d.warnings?.(dsOf(spec, '1'), created)).toEqual([]);
    expect(d.warnings?.(dsOf(spec, '2'), created)).toEqual([msg]);
  });
});
