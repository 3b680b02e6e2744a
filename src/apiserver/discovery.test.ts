import { describe, expect, it } from 'vitest';
import { newKindRegistry } from '../api/kinds.js';
import { aggregatedDiscoveryRequested, Discovery } from './discovery.js';

interface Resource {
  name: string;
  [k: string]: unknown;
}

function coreResources(): Resource[] {
  const d = new Discovery(newKindRegistry(), [
    { group: '', version: 'v1', resources: [{ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }] },
  ]);
  return (JSON.parse(d.apiResourceList('', 'v1')!) as { resources: Resource[] }).resources;
}

describe('legacy discovery (/api/v1)', () => {
  // The entries of kubernetes/kubernetes api/discovery/api__v1.json for what everynode serves.
  const upstream: Record<string, Record<string, unknown>> = {
    namespaces: { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    'namespaces/finalize': { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] },
    'namespaces/status': { name: 'namespaces/status', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    'nodes/status': { name: 'nodes/status', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'patch', 'update'] },
    'nodes/proxy': { name: 'nodes/proxy', singularName: '', namespaced: false, kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    'pods/attach': { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    'pods/eviction': { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    'pods/exec': { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    'pods/log': { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    'pods/portforward': { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    'pods/proxy': { name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    'services/proxy': { name: 'services/proxy', singularName: '', namespaced: true, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    'pods/status': { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    'pods/ephemeralcontainers': { name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    'serviceaccounts/token': { name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
  };

  it('lists the namespace verbs and the pod, node, namespace and service account subresources as upstream', () => {
    const resources = coreResources();
    for (const [name, want] of Object.entries(upstream)) expect(resources.find((r) => r.name === name), name).toEqual(want);
  });

  it('lists pods/attach, pods/exec, pods/portforward and pods/proxy', () => {
    const names = coreResources().map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']));
  });

  it('sorts resources by name, as upstream (each kind followed by its subresources)', () => {
    const names = coreResources().map((r) => r.name);
    expect(names).toEqual([...names].sort());
    const i = names.indexOf('pods');
    expect(names.slice(i, i + 10)).toEqual(['pods', 'pods/attach', 'pods/binding', 'pods/ephemeralcontainers', 'pods/eviction', 'pods/exec', 'pods/log', 'pods/portforward', 'pods/proxy', 'pods/status']);
    expect(names[names.indexOf('serviceaccounts') + 1]).toBe('serviceaccounts/token');
    expect(names.slice(names.indexOf('nodes'), names.indexOf('nodes') + 3)).toEqual(['nodes', 'nodes/proxy', 'nodes/status']);
  });
});

describe('aggregated discovery', () => {
  it('is chosen by the first acceptable apidiscovery.k8s.io JSON range, else legacy', () => {
    expect(aggregatedDiscoveryRequested('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(aggregatedDiscoveryRequested('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe('v2beta1');
    expect(aggregatedDiscoveryRequested('application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json')).toBeUndefined();
    expect(aggregatedDiscoveryRequested('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0')).toBeUndefined();
    expect(aggregatedDiscoveryRequested('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList')).toBeUndefined();
    expect(aggregatedDiscoveryRequested(undefined)).toBeUndefined();
  });

  it('lists each version\'s resources with their subresources and response kinds', () => {
    const doc = JSON.parse(new Discovery(newKindRegistry()).aggregated(false, 'v2'));
    expect([doc.kind, doc.apiVersion]).toEqual(['APIGroupDiscoveryList', 'apidiscovery.k8s.io/v2']);
    const apps = doc.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    const ds = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'daemonsets');
    expect(ds).toMatchObject({ responseKind: { group: 'apps', version: 'v1', kind: 'DaemonSet' }, scope: 'Namespaced', singularResource: 'daemonset' });
    expect(ds.subresources.map((s: { subresource: string }) => s.subresource)).toContain('status');
  });
});
