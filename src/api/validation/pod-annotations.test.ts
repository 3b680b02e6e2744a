import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const ds = (annotations: Record<string, string>, nodeSelector?: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' }, annotations }, spec: { containers: [{ name: 'agent', image: 'i' }], ...(nodeSelector ? { nodeSelector } : {}) } },
    },
  }) as unknown as KubeObject;

describe('deprecated seccomp and AppArmor annotations', () => {
  const v = validationFor('apps/DaemonSet');

  it('are accepted with upstream warnings, as datadog-agent uses them', () => {
    const o = ds({ 'container.seccomp.security.alpha.kubernetes.io/agent': 'localhost/system-probe', 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' }, { 'beta.kubernetes.io/os': 'linux' });
    v.applyDefaults(o);
    expect(v.validateCreate(o)).toEqual([]);
    // upstream's order: node labels first, then the annotations, container by container
    expect(v.warnings?.(o)).toEqual([
      'spec.template.spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead',
      'spec.template.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/agent]: non-functional in v1.27+; use the "seccompProfile" field instead',
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/agent]: deprecated since v1.30; use the "appArmorProfile" field instead',
    ]);
  });

  it('warn only for the deprecated node labels themselves, not for keys named like built-in object members', () => {
    const o = ds({}, { toString: 'x', constructor: 'y', hasOwnProperty: 'z', valueOf: 'v', 'kubernetes.io/os': 'linux' });
    v.applyDefaults(o);
    expect(v.warnings?.(o)).toEqual([]);
  });

  it('are validated: a known container and a valid profile', () => {
    const o = ds({ 'container.apparmor.security.beta.kubernetes.io/nope': 'unconfined', 'container.apparmor.security.beta.kubernetes.io/agent': 'bogus', 'seccomp.security.alpha.kubernetes.io/pod': 'bogus' });
    v.applyDefaults(o);
    expect(v.validateCreate(o).map(fieldErrorString)).toEqual([
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/nope]: Invalid value: "nope": container not found',
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/agent]: Invalid value: "bogus": invalid AppArmor profile name: "bogus"',
      'spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Invalid value: "bogus": must be a valid seccomp profile',
    ]);
  });
});
