import { describe, expect, it } from 'vitest';
import { metricsRouteOf, renderMetrics } from './metrics-api.js';

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

describe('metrics API tables', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  it('answers as=Table as metrics-server does: Name, cpu, memory, Window; a pod\'s usage summed over its containers', () => {
    const pods = JSON.stringify({
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: [{ metadata: { name: 'p', namespace: 'ops' }, window: '10s', containers: [{ name: 'a', usage: { cpu: '600000n', memory: '512Ki' } }, { name: 'b', usage: { cpu: '400000n', memory: '512Ki' } }] }],
    });
    const t = JSON.parse(renderMetrics(pods, TABLE, null));
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((c: { name: string; format: string }) => `${c.name}:${c.format}`)).toEqual(['Name:name', 'cpu:quantity', 'memory:quantity', 'Window:duration']);
    expect(t.rows[0].cells).toEqual(['p', '1m', '1Mi', '10s']);
    expect(t.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'p', namespace: 'ops' } });
    const node = JSON.stringify({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'n1' }, window: '5s', usage: { cpu: '250m', memory: '2Gi' } });
    expect(JSON.parse(renderMetrics(node, TABLE, 'None')).rows).toEqual([{ cells: ['n1', '250m', '2Gi', '5s'], object: null }]);
  });

  it('has no columns for no items, and answers the object itself when no Table is asked for', () => {
    const empty = JSON.stringify({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [] });
    expect(JSON.parse(renderMetrics(empty, TABLE, null))).toMatchObject({ kind: 'Table', columnDefinitions: [], rows: [] });
    expect(renderMetrics(empty, 'application/json', null)).toBe(empty);
    expect(renderMetrics(empty, undefined, null)).toBe(empty);
  });
});
