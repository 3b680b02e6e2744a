import { describe, expect, it } from 'vitest';
import { podQOSClass } from './pod-qos.js';
import type { PodSpec } from './types.js';

const spec = (...resources: Array<{ requests?: Record<string, string>; limits?: Record<string, string> } | undefined>): PodSpec => ({
  containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', ...(r ? { resources: r } : {}) })),
});

describe('podQOSClass (upstream GetPodQOS)', () => {
  it('BestEffort without cpu or memory above zero; other resources do not count', () => {
    expect(podQOSClass(spec(undefined))).toBe('BestEffort');
    expect(podQOSClass(spec({ requests: { cpu: '0', memory: '0' } }))).toBe('BestEffort');
    expect(podQOSClass(spec({ requests: { 'ephemeral-storage': '1Gi' }, limits: { 'ephemeral-storage': '1Gi' } }))).toBe('BestEffort');
  });

  it('Guaranteed when every container limits cpu and memory and the sums of requests equal the sums of limits, in any notation', () => {
    const full = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } };
    expect(podQOSClass(spec(full))).toBe('Guaranteed');
    expect(podQOSClass({ ...spec(full), initContainers: [{ name: 'i', image: 'x', resources: full }] })).toBe('Guaranteed');
  });

  it('Burstable otherwise', () => {
    expect(podQOSClass(spec({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(podQOSClass(spec({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } }))).toBe('Burstable');
    // One container without limits spoils it for the pod.
    expect(podQOSClass(spec({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, undefined))).toBe('Burstable');
    // Limits without the requests defaulting would copy from them.
    expect(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Burstable');
  });

  it('takes a spec not yet validated without throwing (the API server computes it before validation)', () => {
    expect(podQOSClass({} as PodSpec)).toBe('BestEffort');
    expect(podQOSClass({ containers: 'x', initContainers: [null, 3, { resources: 'y' }] } as unknown as PodSpec)).toBe('BestEffort');
    expect(podQOSClass({ containers: [{ resources: { requests: { cpu: 'lots' } } }] } as unknown as PodSpec)).toBe('BestEffort');
  });
});
