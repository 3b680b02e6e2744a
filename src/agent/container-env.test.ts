import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ContainerConfigError, expandCommandAndArgs, expandVars, makeEnvironment, podHostname } from './container-env.js';

const pod: Pod = {
  metadata: { name: 'web-abc', namespace: 'prod', uid: 'u-1', labels: { app: 'web' }, annotations: { team: 'core' } },
  spec: {
    serviceAccountName: 'sa',
    containers: [
      {
        name: 'app',
        image: 'x',
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        command: ['/bin/$(CMD)', '$(MISSING)', '$$(ESCAPED)'],
        args: ['--node=$(NODE)', '--ip=$(HOST_IP)'],
        env: [
          { name: 'CMD', value: 'daemon' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'GREETING', value: 'hi $(NODE) $(LATER) $$ $x' },
          { name: 'LATER', value: 'later' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team']" } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
          { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
          { name: 'MEM_LIM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'CMD', value: 'daemon2' },
        ],
      },
    ],
  },
};

describe('container environment', () => {
  it('expands $(VAR) like upstream', () => {
    const m = (n: string) => ({ A: 'x', B: 'y' })[n];
    expect(expandVars('$(A)-$(B)-$(C)', m)).toBe('x-y-$(C)');
    expect(expandVars('$$(A) $$ $a $ $(A', m)).toBe('$(A) $ $a $ $(A');
    expect(expandVars('tail$', m)).toBe('tail$');
  });

  it('resolves fieldRef, resourceFieldRef and references to earlier variables', () => {
    const env = makeEnvironment(pod, pod.spec.containers[0]!, { nodeName: 'node-1', hostIP: '10.0.0.5', podIP: '10.0.0.5', allocatable: { cpu: '4' } });
    const m = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(m).toMatchObject({
      CMD: 'daemon2',
      NODE: 'node-1',
      GREETING: 'hi node-1 $(LATER) $ $x',
      POD: 'web-abc',
      NS: 'prod',
      UID: 'u-1',
      HOST_IP: '10.0.0.5',
      POD_IP: '10.0.0.5',
      APP: 'web',
      TEAM: 'core',
      SA: 'sa',
      CPU_REQ_M: '250',
      CPU_REQ: '1',
      MEM_LIM_MI: '128',
      CPU_LIM: '4',
    });
    // A redefinition replaces the value in place.
    expect(env[0]).toEqual({ name: 'CMD', value: 'daemon2' });
    expect(expandCommandAndArgs(pod.spec.containers[0]!, env)).toEqual({
      command: ['/bin/daemon2', '$(MISSING)', '$(ESCAPED)'],
      args: ['--node=node-1', '--ip=10.0.0.5'],
    });
  });

  it('rejects what it cannot resolve', () => {
    const c = { name: 'a', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] };
    expect(() => makeEnvironment(pod, c, {})).toThrow(ContainerConfigError);
    const s = { name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] };
    expect(() => makeEnvironment(pod, s, {})).toThrow('secret "s" not found');
    const opt = { name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }] };
    expect(makeEnvironment(pod, opt, {})).toEqual([]);
  });
});

describe('podHostname', () => {
  const named = (name: string, spec: Partial<Pod['spec']> = {}): Pod => ({ metadata: { name }, spec: { containers: [], ...spec } });
  it('is the pod name, spec.hostname when set, the machine\'s with hostNetwork', () => {
    expect(podHostname(named('web-abc'), 'machine')).toBe('web-abc');
    expect(podHostname(named('web-abc', { hostname: 'custom' }), 'machine')).toBe('custom');
    expect(podHostname(named('web-abc', { hostNetwork: true }), 'machine')).toBe('machine');
  });
  it('cuts a long name to 63 characters without a trailing - or .', () => {
    const long = `${'a'.repeat(61)}-.b-more`;
    expect(podHostname(named(long), 'm')).toBe('a'.repeat(61));
    expect(podHostname(named('x'.repeat(70)), 'm')).toBe('x'.repeat(63));
  });
});
