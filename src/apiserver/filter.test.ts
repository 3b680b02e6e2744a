import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import { buildFilter } from './filter.js';

const kinds = newKindRegistry();
const pods = kinds.byResource('', 'v1', 'pods')!;
const pod = (name: string, ns: string, labels: Record<string, string>, nodeName = ''): KubeObject => ({ metadata: { name, namespace: ns, labels }, spec: { nodeName }, status: { phase: 'Running' } });

describe('buildFilter', () => {
  it('is undefined without selectors', () => {
    expect(buildFilter(pods, '', '')).toBeUndefined();
  });

  it('extracts exact name/namespace terms for key lookups and still matches everything', () => {
    const f = buildFilter(pods, 'app=x', 'metadata.name=a,metadata.namespace=ns1,spec.nodeName=n1')!;
    expect(f).toMatchObject({ name: 'a', namespace: 'ns1', needsObject: true });
    expect(f.matches(pod('a', 'ns1', { app: 'x' }, 'n1'))).toBe(true);
    expect(f.matches(pod('a', 'ns1', { app: 'x' }, 'n2'))).toBe(false);
    expect(f.matches(pod('b', 'ns1', { app: 'x' }, 'n1'))).toBe(false);
    expect(f.matches(pod('a', 'ns2', { app: 'x' }, 'n1'))).toBe(false);
    expect(f.matches(pod('a', 'ns1', { app: 'y' }, 'n1'))).toBe(false);
  });

  it('name-only filters need no object parse', () => {
    const f = buildFilter(pods, '', 'metadata.name=a')!;
    expect(f.needsObject).toBe(false);
    expect(f.name).toBe('a');
  });

  it('supports != and set-based label selectors, and rejects unknown field labels', () => {
    const f = buildFilter(pods, 'tier in (a,b),!legacy', 'status.phase!=Failed')!;
    expect(f.matches(pod('p', 'd', { tier: 'a' }))).toBe(true);
    expect(f.matches(pod('p', 'd', { tier: 'a', legacy: '1' }))).toBe(false);
    expect(() => buildFilter(pods, '', 'spec.bogus=1')).toThrow(ApiError);
    expect(() => buildFilter(pods, 'a in (', '')).toThrow(ApiError);
  });
});
