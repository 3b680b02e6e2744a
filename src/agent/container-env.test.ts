import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { ContainerConfigError, envSourceNames, expandCommandAndArgs, expandProbeCommand, expandVars, makeEnvironment, podHostname, serviceEnvironment, type EnvService } from './container-env.js';

const pod: Pod = {
  metadata: { name: 'web-abc', namespace: 'prod', uid: 'u-1', labels: { app: 'web' }, annotations: { team: 'core' } },
  spec: {
    serviceAccountName: 'sa',
    containers: [
      {
        name: 'app',
        image: 'x',
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi', 'hugepages-2Mi': '4Mi' } },
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
          { name: 'MEM_REQ_ZERO_DIVISOR', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '0' } } },
          { name: 'HUGE_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.hugepages-2Mi', divisor: '1Mi' } } },
          { name: 'HUGE_REQ_UNSET', valueFrom: { resourceFieldRef: { resource: 'requests.hugepages-1Gi' } } },
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
      // A zero divisor (what the API serves when none was given) is the default unit.
      MEM_REQ_ZERO_DIVISOR: String(64 * 1024 * 1024),
      // Huge pages as upstream's ExtractContainerResourceValue: 0 when unset.
      HUGE_LIM: '4',
      HUGE_REQ_UNSET: '0',
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
    expect(podHostname(named('web-abc'), 'machine')).toEqual({ hostname: 'web-abc' });
    expect(podHostname(named('web-abc', { hostname: 'custom' }), 'machine')).toEqual({ hostname: 'custom' });
    expect(podHostname(named('web-abc', { hostNetwork: true }), 'machine')).toEqual({ hostname: 'machine' });
  });
  it('cuts a long name to 63 characters without a trailing - or .', () => {
    const long = `${'a'.repeat(61)}-.b-more`;
    expect(podHostname(named(long), 'm')).toEqual({ hostname: 'a'.repeat(61) });
    expect(podHostname(named('x'.repeat(70)), 'm')).toEqual({ hostname: 'x'.repeat(63) });
  });
  it('is the FQDN with setHostnameAsFQDN and a subdomain, refused past the kernel\'s 64 characters (GetNodenameForKernel)', () => {
    const fqdn = (name: string, extra: Partial<Pod['spec']> = {}) => podHostname({ metadata: { name, namespace: 'prod' }, spec: { containers: [], hostname: 'myhost', subdomain: 'mysub', setHostnameAsFQDN: true, ...extra } } as Pod, 'm', 'cluster.local');
    expect(fqdn('p')).toEqual({ hostname: 'myhost.mysub.prod.svc.cluster.local' });
    expect(fqdn('p', { subdomain: '' })).toEqual({ hostname: 'myhost' });
    expect(fqdn('p', { setHostnameAsFQDN: false })).toEqual({ hostname: 'myhost' });
    const long = 'h'.repeat(40);
    expect(fqdn('p', { hostname: long })).toEqual({ error: `failed to construct FQDN from pod hostname and cluster domain, FQDN ${long}.mysub.prod.svc.cluster.local is too long (64 characters is the max, 69 characters requested)` });
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

  it('envFrom takes every key (with prefix), one that is no C identifier too (as the 1.32 kubelet), then env overrides and may reference them', () => {
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
    const env = of(makeEnvironment(pod, c, { sources }));
    expect(env).toEqual({ A: 'over two words', B: 'two words', 'dotted.key': 'd', '1bad': 'x', S_TOKEN: 's3cr3t', S_PASS: 'pw', ONE: '1', TOK: 's3cr3t' });
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

describe('service links', () => {
  const svc = (namespace: string, name: string, clusterIP: string, ports: NonNullable<NonNullable<EnvService['spec']>['ports']>): EnvService => ({ metadata: { name, namespace }, spec: { clusterIP, ports } });
  const services: EnvService[] = [
    svc('prod', 'foo-service', '10.96.0.20', [{ port: 8765 }, { name: 'metrics', port: 9100, protocol: 'UDP' }]),
    svc('prod', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.0.30', [{ port: 80 }]),
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
    svc('prod', 'kubernetes', '10.96.0.99', [{ port: 1 }]),
  ];

  it("gives a pod its namespace's services with a cluster IP and default/kubernetes, in upstream's names", () => {
    const env = serviceEnvironment(services, 'prod', true);
    expect(Object.fromEntries(env)).toEqual({
      FOO_SERVICE_SERVICE_HOST: '10.96.0.20',
      FOO_SERVICE_SERVICE_PORT: '8765',
      FOO_SERVICE_SERVICE_PORT_METRICS: '9100',
      FOO_SERVICE_PORT: 'tcp://10.96.0.20:8765',
      FOO_SERVICE_PORT_8765_TCP: 'tcp://10.96.0.20:8765',
      FOO_SERVICE_PORT_8765_TCP_PROTO: 'tcp',
      FOO_SERVICE_PORT_8765_TCP_PORT: '8765',
      FOO_SERVICE_PORT_8765_TCP_ADDR: '10.96.0.20',
      FOO_SERVICE_PORT_9100_UDP: 'udp://10.96.0.20:9100',
      FOO_SERVICE_PORT_9100_UDP_PROTO: 'udp',
      FOO_SERVICE_PORT_9100_UDP_PORT: '9100',
      FOO_SERVICE_PORT_9100_UDP_ADDR: '10.96.0.20',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    });
    // enableServiceLinks false: only the master service.
    expect([...serviceEnvironment(services, 'prod', false).keys()].every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
  });

  it('ranks service links below the agent environment, and both below envFrom/env; all expand in $(VAR)', () => {
    const p: Pod = {
      metadata: { name: 'p', namespace: 'prod' },
      spec: {
        containers: [{ name: 'c', image: 'x', env: [{ name: 'FOO_SERVICE_SERVICE_PORT', value: 'mine' }, { name: 'URL', value: 'http://$(FOO_SERVICE_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }] }],
      },
    };
    const env = makeEnvironment(p, p.spec.containers[0]!, { services, podEnvironment: [{ name: 'KUBERNETES_SERVICE_HOST', value: '192.0.2.7' }, { name: 'KUBERNETES_SERVICE_PORT', value: '6443' }] });
    const m = new Map(env.map((kv) => [kv.name, kv.value]));
    expect(env.filter((kv) => kv.name === 'FOO_SERVICE_SERVICE_PORT')).toEqual([{ name: 'FOO_SERVICE_SERVICE_PORT', value: 'mine' }]);
    expect(m.get('KUBERNETES_SERVICE_HOST')).toBe('192.0.2.7');
    expect(m.get('URL')).toBe('http://10.96.0.20:6443');
    expect(m.get('FOO_SERVICE_PORT_8765_TCP_ADDR')).toBe('10.96.0.20');
    // With the agent's API server address, no `kubernetes` link variable names the cluster IP.
    expect([...m].filter(([k, v]) => k.startsWith('KUBERNETES_') && v.includes('10.96.0.1'))).toEqual([]);
    // The container's own entries come last, so they win wherever duplicates are resolved.
    expect(env.at(-1)).toEqual({ name: 'URL', value: 'http://10.96.0.20:6443' });
  });
});

describe('expandProbeCommand', () => {
  it('expands $(VAR) from the env entries as written, as the kubelet prober does', () => {
    const c = {
      name: 'c',
      image: 'x',
      env: [
        { name: 'MYVAR', value: 'x' },
        { name: 'FROMFIELD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ],
    } as Container;
    expect(expandProbeCommand(['sh', '-c', 'test "$1" = x', '--', '$(MYVAR)', '$(FROMFIELD)', '$(UNSET)', '$$(MYVAR)'], c)).toEqual([
      'sh', '-c', 'test "$1" = x', '--', 'x', '', '$(UNSET)', '$(MYVAR)',
    ]);
    expect(expandProbeCommand(['true'], { name: 'c', image: 'x' } as Container)).toEqual(['true']);
  });
});
