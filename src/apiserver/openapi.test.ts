// The OpenAPI index and documents of a server: the KindRegistry's group/versions, plus those
// served by their own handlers (the access reviews, metrics.k8s.io) from their discovery entries.

import { describe, expect, it } from 'vitest';
import { newKindRegistry } from '../api/kinds.js';
import { silentLogger } from '../util/logger.js';
import { OpenApi } from './openapi.js';
import { reviewDiscovery } from './reviews.js';
import { metricsDiscovery } from './metrics-api.js';

const extra = [...reviewDiscovery, metricsDiscovery];

describe('OpenApi', () => {
  it('documents the review and metrics group/versions, and leaves the registry\'s documents as they are', () => {
    const plain = new OpenApi(newKindRegistry(), silentLogger);
    const withExtra = new OpenApi(newKindRegistry(), silentLogger, extra);
    const before = Object.keys((JSON.parse(plain.index()) as { paths: Record<string, unknown> }).paths);
    const after = (JSON.parse(withExtra.index()) as { paths: Record<string, { serverRelativeURL: string }> }).paths;
    expect(Object.keys(after)).toEqual([
      ...before,
      'apis/authentication.k8s.io/v1', 'apis/authentication.k8s.io/v1beta1', 'apis/authentication.k8s.io/v1alpha1',
      'apis/authorization.k8s.io/v1', 'apis/metrics.k8s.io/v1beta1',
    ]);
    for (const path of before) {
      expect(withExtra.document(path), path).toBe(plain.document(path));
      expect(after[path]!.serverRelativeURL).toBe((JSON.parse(plain.index()) as { paths: Record<string, { serverRelativeURL: string }> }).paths[path]!.serverRelativeURL);
    }
    const metrics = JSON.parse(withExtra.document('apis/metrics.k8s.io/v1beta1')!) as { paths: Record<string, unknown> };
    expect(Object.keys(metrics.paths).sort()).toEqual([
      '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods',
      '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}',
      '/apis/metrics.k8s.io/v1beta1/nodes',
      '/apis/metrics.k8s.io/v1beta1/nodes/{name}',
      '/apis/metrics.k8s.io/v1beta1/pods',
    ]);
    const v1beta1 = JSON.parse(withExtra.document('apis/authentication.k8s.io/v1beta1')!) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(v1beta1.paths)).toEqual(['/apis/authentication.k8s.io/v1beta1/selfsubjectreviews']);
    expect(v1beta1.components.schemas).toHaveProperty(['io.k8s.api.authentication.v1.UserInfo']);
  });

  it('puts their definitions and paths in the v2 document beside the registry\'s, unchanged', () => {
    type V2 = { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    const plain = JSON.parse(new OpenApi(newKindRegistry(), silentLogger).v2().json) as V2;
    const withExtra = JSON.parse(new OpenApi(newKindRegistry(), silentLogger, extra).v2().json) as V2;
    for (const [name, def] of Object.entries(plain.definitions)) expect(withExtra.definitions[name], name).toEqual(def);
    for (const [path, item] of Object.entries(plain.paths)) expect(withExtra.paths[path], path).toEqual(item);
    expect(withExtra.definitions).toHaveProperty(['io.k8s.api.authorization.v1.SubjectAccessReview']);
    expect(withExtra.definitions).toHaveProperty(['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList']);
    expect(withExtra.paths).toHaveProperty(['/apis/authentication.k8s.io/v1/tokenreviews']);
  });

  it('leaves out entries without a schema, subresources and entries of another group/version', () => {
    const api = new OpenApi(newKindRegistry(), silentLogger, [
      { group: 'example.com', version: 'v1', resources: [{ name: 'widgets', namespaced: true, kind: 'Widget', verbs: ['get'] }] },
      {
        group: 'metrics.k8s.io', version: 'v1beta1', resources: [
          { name: 'nodes', namespaced: false, kind: 'NodeMetrics', verbs: ['get'] },
          { name: 'nodes/status', namespaced: false, kind: 'NodeMetrics', verbs: ['get'] },
          { name: 'pods', namespaced: true, group: 'other', version: 'v1', kind: 'PodMetrics', verbs: ['get'] },
        ],
      },
    ]);
    const paths = Object.keys((JSON.parse(api.index()) as { paths: Record<string, unknown> }).paths);
    expect(paths).not.toContain('apis/example.com/v1');
    expect(Object.keys((JSON.parse(api.document('apis/metrics.k8s.io/v1beta1')!) as { paths: Record<string, unknown> }).paths)).toEqual(['/apis/metrics.k8s.io/v1beta1/nodes/{name}']);
  });
});
