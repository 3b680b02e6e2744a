import { describe, expect, it } from 'vitest';
import { parsePath } from './request-info.js';

describe('parsePath', () => {
  it('recognises discovery paths', () => {
    expect(parsePath('/')).toEqual({ type: 'root' });
    expect(parsePath('/api')).toEqual({ type: 'legacy-versions' });
    expect(parsePath('/apis')).toEqual({ type: 'group-list' });
    expect(parsePath('/apis/apps')).toEqual({ type: 'group', group: 'apps' });
    expect(parsePath('/api/v1')).toEqual({ type: 'resource-list', group: '', version: 'v1' });
    expect(parsePath('/apis/apps/v1/')).toEqual({ type: 'resource-list', group: 'apps', version: 'v1' });
  });

  it('routes namespaced, cluster-scoped and all-namespaces resources', () => {
    expect(parsePath('/api/v1/namespaces/default/pods')).toEqual({ type: 'resource', group: '', version: 'v1', plural: 'pods', namespace: 'default', watchPath: false });
    expect(parsePath('/api/v1/namespaces/default/pods/x/status')).toEqual({
      type: 'resource', group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'x', subresource: 'status', watchPath: false,
    });
    expect(parsePath('/apis/apps/v1/daemonsets')).toEqual({ type: 'resource', group: 'apps', version: 'v1', plural: 'daemonsets', watchPath: false });
    expect(parsePath('/api/v1/nodes/n1')).toEqual({ type: 'resource', group: '', version: 'v1', plural: 'nodes', name: 'n1', watchPath: false });
    expect(parsePath('/api/v1/nodes/n1/status')).toMatchObject({ plural: 'nodes', name: 'n1', subresource: 'status' });
  });

  it('treats /namespaces/<name>[/status|/finalize] as the Namespace object', () => {
    expect(parsePath('/api/v1/namespaces/kube-system')).toEqual({ type: 'resource', group: '', version: 'v1', plural: 'namespaces', name: 'kube-system', watchPath: false });
    expect(parsePath('/api/v1/namespaces/x/status')).toMatchObject({ plural: 'namespaces', name: 'x', subresource: 'status' });
    expect(parsePath('/api/v1/namespaces/x/finalize')).toMatchObject({ plural: 'namespaces', name: 'x', subresource: 'finalize' });
    expect(parsePath('/api/v1/namespaces')).toMatchObject({ plural: 'namespaces' });
  });

  it('supports the legacy /watch/ prefix and percent-decoding', () => {
    expect(parsePath('/api/v1/watch/namespaces/default/pods')).toMatchObject({ plural: 'pods', namespace: 'default', watchPath: true });
    expect(parsePath('/api/v1/namespaces/default/configmaps/a%2Eb')).toMatchObject({ name: 'a.b' });
  });

  it('rejects paths that are too deep or outside the API', () => {
    expect(parsePath('/api/v1/namespaces/d/pods/x/status/more').type).toBe('other');
    expect(parsePath('/metrics').type).toBe('other');
    expect(() => parsePath('/api/v1/namespaces/%E0%A4%A/pods')).toThrow();
  });

  it('answers a path parsed again with the same frozen route, and a bad path with an error every time', () => {
    const a = parsePath('/api/v1/namespaces/memo/pods/p1/status');
    expect(parsePath('/api/v1/namespaces/memo/pods/p1/status')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { name?: string }).name = 'other';
    }).toThrow(TypeError);
    for (let i = 0; i < 300; i++) parsePath(`/api/v1/namespaces/memo/pods/p${i + 2}`);
    expect(parsePath('/api/v1/namespaces/memo/pods/p1/status')).toEqual(a);
    for (let i = 0; i < 2; i++) expect(() => parsePath('/api/v1/namespaces/%E0%A4%A/pods')).toThrow();
  });

  it("gives a proxy route the path after /proxy decoded and escaped again as upstream's (Go's EscapedPath)", () => {
    const proxyPath = (p: string) => (parsePath(p) as { proxyPath?: string }).proxyPath;
    expect(proxyPath('/api/v1/nodes/n1/proxy')).toBe('/');
    expect(proxyPath('/api/v1/nodes/n1/proxy/')).toBe('/');
    expect(proxyPath('/api/v1/nodes/n1/proxy/metrics/resource')).toBe('/metrics/resource');
    // client libraries send the subpath through encodeURIComponent
    expect(proxyPath('/api/v1/nodes/n1/proxy/metrics%2Fresource')).toBe('/metrics/resource');
    expect(proxyPath('/api/v1/namespaces/d/pods/p:8080/proxy/api%2Fv1%2Fitems/')).toBe('/api/v1/items/');
    expect(proxyPath('/api/v1/namespaces/d/services/s/proxy/a%20b/%C3%A9t%C3%A9!/x=1;y@z')).toBe('/a%20b/%C3%A9t%C3%A9%21/x=1;y@z');
    expect(() => parsePath('/api/v1/nodes/n1/proxy/bad%E0%A4')).toThrow();
  });
});
