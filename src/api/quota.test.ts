import { describe, expect, it } from 'vitest';
import { addLists, countedResources, objectCountName, parseObjectCountName, prettyPrint, quotaEvaluatorFor, quotaMatches, resourceList, resourceListJson, subtractNonNegative, type ResourceQuota } from './quota.js';
import type { KubeObject, Pod } from './types.js';

const pods = quotaEvaluatorFor({ group: '', resource: 'pods' });
const services = quotaEvaluatorFor({ group: '', resource: 'services' });

function pod(spec: Record<string, unknown>, extra: Partial<Pod> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { containers: [], ...spec }, ...extra } as unknown as Pod;
}

const json = (l: ReturnType<typeof resourceList>): Record<string, string> => resourceListJson(l);

describe('quota evaluators', () => {
  it('a pod uses its totals: sidecars added, init containers at their peak, the overhead on requests and on the limits it has', () => {
    const p = pod({
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi', 'example.com/gpu': '1', 'hugepages-2Mi': '4Mi' }, limits: { cpu: '200m' } } },
        { name: 'b', resources: { requests: { cpu: '100m' } } },
      ],
      initContainers: [
        { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
        { name: 'init', resources: { requests: { cpu: '1', memory: '16Mi' } } },
      ],
      overhead: { cpu: '10m', memory: '1Mi' },
    });
    expect(json(pods.usage(p, 0))).toEqual({
      'count/pods': '1',
      pods: '1',
      // max(100m + 100m + 50m sidecar, 1 + 50m sidecar) + 10m overhead
      cpu: '1060m',
      'requests.cpu': '1060m',
      'limits.cpu': '210m',
      memory: '65Mi',
      'requests.memory': '65Mi',
      'hugepages-2Mi': '4Mi',
      'requests.hugepages-2Mi': '4Mi',
      'requests.example.com/gpu': '1',
    });
  });

  it('a terminal pod, or one past its deletion grace, counts only as an object', () => {
    const spec = { containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] };
    expect(json(pods.usage(pod(spec, { status: { phase: 'Succeeded' } }), 0))).toEqual({ 'count/pods': '1' });
    const deleting = pod(spec, { metadata: { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } });
    expect(json(pods.usage(deleting, Date.parse('2026-01-01T00:00:29Z')))).toMatchObject({ pods: '1', cpu: '1' });
    expect(json(pods.usage(deleting, Date.parse('2026-01-01T00:00:31Z')))).toEqual({ 'count/pods': '1' });
  });

  it('names the containers that must state a limited cpu or memory, in upstream\'s words', () => {
    const p = pod({
      containers: [
        { name: 'b', resources: { limits: { cpu: '1' } } },
        { name: 'a', resources: {} },
      ],
      initContainers: [{ name: 'i', resources: { requests: { memory: '1Mi' } } }],
    });
    expect(pods.constraints(['limits.cpu', 'requests.memory', 'pods', 'requests.storage'], p)).toBe('must specify limits.cpu for: a,i; requests.memory for: a,b');
    expect(pods.constraints(['pods', 'ephemeral-storage'], p)).toBeUndefined();
  });

  it('matches scopes: Terminating, BestEffort, PriorityClass operators, CrossNamespacePodAffinity', () => {
    const quota = (scopes: string[], expr?: ResourceQuota['spec']): ResourceQuota => ({ metadata: { name: 'q' }, spec: { scopes, ...(expr ?? {}) }, status: { hard: { pods: '1' } } });
    const best = pod({ containers: [{ name: 'a' }] });
    const burst = pod({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }], activeDeadlineSeconds: 0, priorityClassName: 'high' });
    expect([quotaMatches(pods, quota(['BestEffort']), best), quotaMatches(pods, quota(['BestEffort']), burst)]).toEqual([true, false]);
    expect([quotaMatches(pods, quota(['Terminating']), best), quotaMatches(pods, quota(['Terminating', 'NotBestEffort']), burst)]).toEqual([false, true]);
    const pc = (operator: string, values?: string[]) => quota([], { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator, ...(values ? { values } : {}) }] } });
    expect([quotaMatches(pods, pc('In', ['high']), burst), quotaMatches(pods, pc('In', ['high']), best)]).toEqual([true, false]);
    expect([quotaMatches(pods, pc('NotIn', ['high']), burst), quotaMatches(pods, pc('NotIn', ['high']), best)]).toEqual([false, true]);
    expect([quotaMatches(pods, pc('Exists'), burst), quotaMatches(pods, pc('DoesNotExist'), best), quotaMatches(pods, pc('DoesNotExist'), burst)]).toEqual([true, true, false]);
    // A pod without a class has no PriorityClass label at all: an empty value does not match it.
    expect([quotaMatches(pods, pc('In', ['']), best), quotaMatches(pods, pc('NotIn', ['']), best)]).toEqual([false, true]);
    const cross = pod({ containers: [], affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'k', namespaceSelector: {} } }] } } });
    expect([quotaMatches(pods, quota(['CrossNamespacePodAffinity']), cross), quotaMatches(pods, quota(['CrossNamespacePodAffinity']), best)]).toEqual([true, false]);
    // A quota whose status names nothing the pod uses does not count it; nor do scoped quotas count services.
    expect(quotaMatches(pods, { metadata: { name: 'q' }, status: { hard: { services: '1' } } }, best)).toBe(false);
    expect(quotaMatches(services, { metadata: { name: 'q' }, spec: { scopes: ['NotTerminating'] }, status: { hard: { services: '1' } } }, { metadata: { name: 's' } })).toBe(false);
  });

  it('a service uses node ports by type (only those it has with allocateLoadBalancerNodePorts false)', () => {
    const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 's' }, spec } as unknown as KubeObject);
    expect(json(services.usage(svc({ type: 'ClusterIP', ports: [{ port: 1 }] }), 0))).toEqual({ 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
    expect(json(services.usage(svc({ type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] }), 0))['services.nodeports']).toBe('2');
    expect(json(services.usage(svc({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 1, nodePort: 30001 }, { port: 2 }] }), 0))).toMatchObject({ 'services.loadbalancers': '1', 'services.nodeports': '1' });
    expect(services.handles('update')).toBe(true);
    expect(pods.handles('update')).toBe(false);
  });

  it('counts objects under count/<resource>.<group>, and four core kinds also under their bare names', () => {
    expect(objectCountName({ group: 'apps', resource: 'daemonsets' })).toBe('count/daemonsets.apps');
    expect(parseObjectCountName('count/widgets.example.com')).toEqual({ group: 'example.com', resource: 'widgets' });
    expect(parseObjectCountName('count/')).toBeUndefined();
    const secrets = quotaEvaluatorFor({ group: '', resource: 'secrets' });
    expect(json(secrets.usage({ metadata: {} }, 0))).toEqual({ 'count/secrets': '1', secrets: '1' });
    expect(secrets.handles('update')).toBe(false);
    expect(countedResources(['pods', 'count/pods', 'configmaps', 'count/configmaps', 'count/deployments.apps', 'requests.cpu'])).toEqual([
      { group: '', resource: 'configmaps' },
      { group: 'apps', resource: 'deployments' },
    ]);
  });

  it('resource list arithmetic keeps apimachinery\'s formats and never goes below zero', () => {
    const used = addLists(resourceList({ memory: '0' }), resourceList({ memory: '1Gi', cpu: '500m' }));
    expect(json(used)).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(json(subtractNonNegative(used, resourceList({ memory: '2Gi', cpu: '200m' })))).toEqual({ cpu: '300m', memory: '0' });
    expect(prettyPrint(resourceList({ pods: '2', 'limits.cpu': '1500m' }))).toBe('limits.cpu=1500m,pods=2');
  });
});
