import { describe, expect, it } from 'vitest';
import { metricsRouteOf } from './metrics-api.js';

describe('metrics API routes', () => {
  it('names nodes cluster-wide and pods per namespace or across all', () => {
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1/nodes')).toEqual({ resource: 'nodes' });
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1/nodes/n1')).toEqual({ resource: 'nodes', name: 'n1' });
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1/pods')).toEqual({ resource: 'pods' });
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1/namespaces/ops/pods')).toEqual({ resource: 'pods', namespace: 'ops' });
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1/namespaces/ops/pods/p%2D1')).toEqual({ resource: 'pods', namespace: 'ops', name: 'p-1' });
  });

  it('leaves every other path alone', () => {
    for (const p of ['/apis/metrics.k8s.io/v1beta1', '/apis/metrics.k8s.io/v1beta1/namespaces/ops/nodes', '/apis/metrics.k8s.io/v1beta1/pods/p1', '/apis/metrics.k8s.io/v1/pods', '/api/v1/pods', '/apis/metrics.k8s.io/v1beta1/pods/a/b']) {
      expect(metricsRouteOf(p)).toBeUndefined();
    }
    expect(() => metricsRouteOf('/apis/metrics.k8s.io/v1beta1/namespaces/%zz/pods')).toThrow(/malformed path segment/);
  });
});
