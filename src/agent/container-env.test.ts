import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ContainerConfigError, envSourceNames, expandCommandAndArgs, expandVars, makeEnvironment, podHostname } from './container-env.js';

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

describe('ConfigMap and Secret values', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const sources = {
    configMaps: new Map([
      ['cfg', { metadata: { name: 'cfg' }, data: { A: '1', B: 'two words', '1bad': 'x', 'dotted.key': 'd' } }],
      ['gone', null],
    ]),
    secrets: new Map([['sec', { metadata: { name: 'sec' }, data: { TOKEN: b64('s3cr3t'), 'PASS': b64('pw') } }]]),
  };
  const of = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

  it('envFrom takes every valid key (with prefix), then env overrides and may reference them', () => {
    const warnings: string[] = [];
    const c = {
      name: 'a',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'sec' } }, { configMapRef: { name: 'gone', optional: true } }],
      env: [
        { name: 'A', value: 'over $(B)' },
        { name: 'ONE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A' } } },
        { name: 'TOK', valueFrom: { secretKeyRef: { name: 'sec', key: 'TOKEN' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey', optional: true } } },
        { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'nosecret', key: 'k', optional: true } } },
      ],
    };
    const env = of(makeEnvironment(pod, c, { sources, warn: (reason, m) => warnings.push(`${reason}: ${m}`) }));
    expect(env).toEqual({ A: 'over two words', B: 'two words', 'dotted.key': 'd', S_TOKEN: 's3cr3t', S_PASS: 'pw', ONE: '1', TOK: 's3cr3t' });
    expect(warnings).toEqual([
      'InvalidEnvironmentVariableNames: Keys [1bad] from the EnvFrom configMap prod/cfg were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it('a missing object or key stops the container unless optional, with the kubelet\'s messages', () => {
    const ref = (from: object) => ({ name: 'a', env: [{ name: 'X', valueFrom: from }] });
    expect(() => makeEnvironment(pod, ref({ configMapKeyRef: { name: 'gone', key: 'A' } }), { sources })).toThrow('configmap "gone" not found');
    expect(() => makeEnvironment(pod, ref({ configMapKeyRef: { name: 'cfg', key: 'Z' } }), { sources })).toThrow("couldn't find key Z in ConfigMap prod/cfg");
    expect(() => makeEnvironment(pod, ref({ secretKeyRef: { name: 'sec', key: 'Z' } }), { sources })).toThrow("couldn't find key Z in Secret prod/sec");
    expect(() => makeEnvironment(pod, { name: 'a', envFrom: [{ secretRef: { name: 'nosecret' } }] }, { sources })).toThrow('secret "nosecret" not found');
    expect(() => makeEnvironment(pod, { name: 'a', envFrom: [{ configMapRef: { name: 'gone' } }] }, { sources })).toThrow(ContainerConfigError);
  });

  it('names what to fetch: envFrom sources and valueFrom references', () => {
    expect(
      envSourceNames({
        name: 'a',
        envFrom: [{ configMapRef: { name: 'c1' } }, { secretRef: { name: 's1' } }],
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c2', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 's1', key: 'k' } } }, { name: 'Z', value: 'v' }],
      }),
    ).toEqual({ configMaps: ['c1', 'c2'], secrets: ['s1'] });
  });
});
