// In-process checks of the CLI's pure parts and of its offline behaviour (help, usage errors,
// missing kubeconfig). Everything that talks to a server is in test/e2e/cli-*.test.ts.
import { describe, expect, it } from 'vitest';
import type { DaemonSet } from '../api/types.js';
import { parseTaints } from './commands/node.js';
import { parseDuration, parseTargets, selectorString } from './commands/common.js';
import { humanDuration } from './durations.js';
import { canonicalPayload, currentPayload, daemonSetRolloutStatus } from './commands/rollout.js';
import { LinePrefixer } from './commands/logs.js';
import { buildProgram, findResource, resourcesFromLists, runCli } from './index.js';
import { CliContext } from './commands/common.js';
import { printTable } from './printers.js';
import { memoryIO } from './testing/memory-io.js';

const io = memoryIO;

describe('discovery-based resource names', () => {
  const all = resourcesFromLists([
    { groupVersion: 'v1', resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'] },
      { name: 'pods/log', namespaced: true, kind: 'Pod' },
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', shortNames: ['no'] },
    ] },
    { groupVersion: 'apps/v1', resources: [{ name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', shortNames: ['ds'] }] },
    { groupVersion: 'example.com/v1', resources: [{ name: 'widgets', singularName: '', namespaced: true, kind: 'Widget' }] },
  ]);

  it('resolves plural, singular, short, kind and group-qualified names', () => {
    for (const n of ['ds', 'daemonset', 'daemonsets', 'DaemonSet', 'daemonsets.apps', 'daemonset.v1.apps']) expect(findResource(all, n)?.plural, n).toBe('daemonsets');
    expect(findResource(all, 'no')?.namespaced).toBe(false);
    // Names and kinds in any case; short names as declared only, as kubectl.
    expect(findResource(all, 'DAEMONSETS')?.plural).toBe('daemonsets');
    for (const n of ['DS', 'Ds', 'Ds.apps']) expect(findResource(all, n), n).toBeUndefined();
    expect(findResource(all, 'po')?.subresources).toEqual(['log']);
    expect(findResource(all, 'widget')?.group).toBe('example.com');
    expect(findResource(all, 'ds.example.com')).toBeUndefined();
    expect(findResource(all, 'frobs')).toBeUndefined();
  });
});

describe('argument and value parsing', () => {
  it('parses TYPE NAME and TYPE/NAME forms', () => {
    expect(parseTargets(['ds', 'a', 'b'])).toEqual([{ type: 'ds', names: ['a', 'b'] }]);
    // Argument order, as kubectl visits them: consecutive names of one type go together.
    expect(parseTargets(['ds/a', 'ds/b', 'po/b', 'ds/c'])).toEqual([{ type: 'ds', names: ['a', 'b'] }, { type: 'po', names: ['b'] }, { type: 'ds', names: ['c'] }]);
    expect(parseTargets(['ds,no'])).toEqual([{ type: 'ds', names: [] }, { type: 'no', names: [] }]);
    expect(() => parseTargets(['ds', 'po/b'])).toThrow(/resource\/name form/);
  });

  it('parses taints, durations and selectors', () => {
    expect(parseTaints(['k=v:NoSchedule', 'k2:NoExecute', 'k3-', 'k4:PreferNoSchedule-'])).toEqual({
      add: [{ key: 'k', value: 'v', effect: 'NoSchedule' }, { key: 'k2', effect: 'NoExecute' }],
      remove: [{ key: 'k3' }, { key: 'k4', effect: 'PreferNoSchedule' }],
    });
    expect(() => parseTaints(['k=v:Sometimes'])).toThrow(/invalid taint effect: Sometimes/);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
    expect(selectorString({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'gone', operator: 'DoesNotExist' }] })).toBe('app=x,tier in (a,b),!gone');
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(5 * 60_000 + 3000)).toBe('5m3s');
    expect(humanDuration(3 * 86_400_000)).toBe('3d');
    expect(humanDuration((2 * 365 + 30) * 86_400_000)).toBe('2y30d');
    expect(humanDuration(-5_000)).toBe('<invalid>');
  });

  it('prefixes complete lines and flushes the partial last one', () => {
    let s = '';
    const p = new LinePrefixer('[n1 pod/a/c] ', (x) => (s += x));
    p.push('one\ntw');
    p.push('o\nthree');
    p.end();
    expect(s).toBe('[n1 pod/a/c] one\n[n1 pod/a/c] two\n[n1 pod/a/c] three\n');
  });
});

describe('tables', () => {
  it('upper-cases headers, hides priority>0 columns unless wide, adds NAMESPACE from row objects', () => {
    const t = {
      kind: 'Table' as const,
      columnDefinitions: [{ name: 'Name', priority: 0 }, { name: 'Up-to-date', priority: 0 }, { name: 'Images', priority: 1 }],
      rows: [{ cells: ['agent', 2, 'busybox'], object: { metadata: { name: 'agent', namespace: 'kube-system' } } }],
    };
    expect(printTable(t, { wide: false, withNamespace: false, showLabels: false })).toBe('NAME    UP-TO-DATE\nagent   2\n');
    expect(printTable(t, { wide: true, withNamespace: true, showLabels: false })).toBe('NAMESPACE     NAME    UP-TO-DATE   IMAGES\nkube-system   agent   2            busybox\n');
  });
});

describe('table cells as kubectl prints them', () => {
  it('prints nothing for a null cell, cuts a string at its first line break, and numbers as Go does', () => {
    const t = {
      kind: 'Table' as const,
      columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }, { name: 'Note', type: 'string' }, { name: 'Num', type: 'number' }],
      rows: [
        { cells: ['a', 'line1\nline2', 1234567.5], object: { metadata: { name: 'a' } } },
        { cells: ['b', null, 1e20], object: { metadata: { name: 'b' } } },
        { cells: ['c', 'x\ry', 42], object: { metadata: { name: 'c' } } },
      ],
    };
    expect(printTable(t, { wide: false, withNamespace: false, showLabels: false })).toBe('NAME   NOTE       NUM\na      line1...   1.2345675e+06\nb                 1e+20\nc      x...       42\n');
  });
});

describe('rollout status rule (kube-semantics §12.1)', () => {
  const ds = (gen: number, status: Partial<NonNullable<DaemonSet['status']>> | undefined, type?: 'OnDelete'): DaemonSet => ({
    metadata: { name: 'x', generation: gen },
    spec: { selector: {}, template: {}, ...(type ? { updateStrategy: { type } } : {}) },
    ...(status ? { status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, ...status } } : {}),
  }) as DaemonSet;

  it('walks the four states', () => {
    expect(daemonSetRolloutStatus(ds(1, undefined)).message).toBe('Waiting for daemon set spec update to be observed...');
    expect(daemonSetRolloutStatus(ds(2, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 1 })).message).toBe('Waiting for daemon set "x" rollout to finish: 1 out of 3 new pods have been updated...');
    expect(daemonSetRolloutStatus(ds(2, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 })).message).toBe('Waiting for daemon set "x" rollout to finish: 2 of 3 updated pods are available...');
    const done = daemonSetRolloutStatus(ds(2, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }));
    expect(done).toMatchObject({ done: true, message: 'daemon set "x" successfully rolled out' });
    expect(() => daemonSetRolloutStatus(ds(1, undefined, 'OnDelete'))).toThrow('rollout status is only available for RollingUpdate strategy type');
  });

  it('compares revision payloads canonically', () => {
    const d = ds(1, undefined);
    d.spec.template = { metadata: { labels: { b: '1', a: '2' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const data = { spec: { template: { $patch: 'replace', spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { creationTimestamp: null, labels: { a: '2', b: '1' } } } } };
    expect(canonicalPayload(currentPayload(d))).toBe(canonicalPayload(data));
  });
});

describe('offline behaviour', () => {
  it('has --help for every command and sub-command (exit 0)', async () => {
    const program = buildProgram(new CliContext(io()));
    const paths: string[][] = [];
    const walk = (c: typeof program, prefix: string[]) => {
      for (const s of c.commands) {
        paths.push([...prefix, s.name()]);
        walk(s, [...prefix, s.name()]);
      }
    };
    walk(program, []);
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['get', 'describe', 'apply', 'create', 'delete', 'logs', 'label', 'annotate', 'taint', 'cordon', 'uncordon', 'drain', 'rollout status', 'rollout history', 'rollout undo', 'rollout restart', 'version', 'kubeconfig', 'completion']));
    for (const p of paths) {
      const t = io();
      expect(await runCli([...p, '--help'], t), p.join(' ')).toBe(0);
      expect(t.out(), p.join(' ')).toContain(`Usage: everynode ${p.join(' ')}`);
    }
  });

  it('reports a missing kubeconfig and usage errors in one line with exit 1', async () => {
    const t = io({ KUBECONFIG: '/nonexistent/kubeconfig.yaml' });
    expect(await runCli(['get', 'ds'], t)).toBe(1);
    expect(t.errOut()).toBe('error: no kubeconfig at /nonexistent/kubeconfig.yaml: start a server with "everynode server", or pass --kubeconfig, set KUBECONFIG or pass --server\n');
    const u = io();
    expect(await runCli(['frobnicate'], u)).toBe(1);
    expect(u.errOut()).toMatch(/^error: unknown command 'frobnicate'/);
    // kubectl's stream verbs point to kubectl.
    const x = io();
    expect(await runCli(['exec', 'pod', '--', 'sh'], x)).toBe(1);
    expect(x.errOut()).toBe('error: everynode has no "exec" command: use `kubectl exec` with the same kubeconfig (the one everynode finds, or --kubeconfig FILE)\n');
    // After global flags too, and for kubectl's other verbs this CLI leaves to it.
    for (const argv of [['-n', 'kube-system', 'exec', 'pod'], ['--kubeconfig', '/nonexistent', 'scale', 'ds/x', '--replicas=1'], ['--context=c', 'wait', 'pod/x']]) {
      const y = io();
      expect(await runCli(argv, y), argv.join(' ')).toBe(1);
      const verb = argv.find((a, i) => !a.startsWith('-') && !['-n', '--kubeconfig'].includes(argv[i - 1] ?? ''))!;
      expect(y.errOut(), argv.join(' ')).toBe(`error: everynode has no "${verb}" command: use \`kubectl ${verb}\` with the same kubeconfig (the one everynode finds, or --kubeconfig FILE)\n`);
    }
    // kubectl's other generators, with their flags: the type is named, not the first flag.
    const z = io();
    expect(await runCli(['create', 'deployment', 'web', '--image=nginx', '--replicas', '2'], z)).toBe(1);
    expect(z.errOut()).toBe('error: unknown type to create: "deployment" (namespace, configmap, secret generic|tls|docker-registry, serviceaccount or quota; other objects: create -f)\n');
    const w = io();
    expect(await runCli(['create', 'cm', 'x', '--from-literal=a=b', '--bogus'], w)).toBe(1);
    expect(w.errOut()).toBe("error: unknown option '--bogus'\n");
  });

  it('lists the global flags with `options`, not under each verb; a global flag before the verb still finds a kubectl-only verb', async () => {
    const t = io();
    expect(await runCli(['options'], t)).toBe(0);
    for (const flag of ['-s, --server <address>', '--token <token>', '--insecure-skip-tls-verify', '--as-group <group>', '-v, --v <level>', '-n, --namespace <namespace>']) expect(t.out()).toContain(`  ${flag}  `);
    const h = io();
    expect(await runCli(['get', '--help'], h)).toBe(0);
    expect(h.out()).toContain('--kubeconfig');
    expect(h.out()).not.toContain('--server');
    const x = io();
    expect(await runCli(['-s', 'https://127.0.0.1:1', '--as', 'me', 'exec', 'pod'], x)).toBe(1);
    expect(x.errOut()).toMatch(/^error: everynode has no "exec" command/);
  });

  it('emits completion scripts from the command tree', async () => {
    const t = io();
    expect(await runCli(['completion', 'bash'], t)).toBe(0);
    expect(t.out()).toContain('complete -F _everynode everynode');
    expect(t.out()).toMatch(/"rollout"\) words="status history undo restart/);
    const z = io();
    expect(await runCli(['completion', 'fish'], z)).toBe(1);
  });
});
