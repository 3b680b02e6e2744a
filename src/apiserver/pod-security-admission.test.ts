import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { newKindRegistry } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import { PodSecurityAdmission } from './pod-security-admission.js';

const pods = newKindRegistry().byResource('', 'v1', 'pods')!;
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject;

describe('PodSecurity audit annotations', () => {
  it('name the enforce policy checked and, for labels that do not parse, why (upstream\'s EvaluatePod)', async () => {
    const psa = new PodSecurityAdmission({ namespaceLabels: async () => ({ 'pod-security.kubernetes.io/enforce': 'strict' }), listPods: async () => [] });
    const err = await psa.validate({ k: pods, subresource: undefined, namespace: 'ns', object: pod })!.then(
      () => undefined,
      (e: unknown) => e,
    );
    // An enforce level that does not parse fails closed: restricted.
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).auditAnnotations).toMatchObject({
      'pod-security.kubernetes.io/enforce-policy': 'restricted:latest',
      'pod-security.kubernetes.io/error': 'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    });
    const admitted = await new PodSecurityAdmission({ namespaceLabels: async () => ({ 'pod-security.kubernetes.io/warn': 'baseline' }), listPods: async () => [] }).validate({ k: pods, subresource: undefined, namespace: 'ns', object: pod });
    expect(admitted?.auditAnnotations).toEqual({ 'pod-security.kubernetes.io/enforce-policy': 'privileged:latest' });
  });
});
