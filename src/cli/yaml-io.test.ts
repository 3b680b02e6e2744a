// The CLI reads manifests as kubectl does (sigs.k8s.io/yaml: YAML 1.1 values) and prints
// `-o yaml` as kubectl does (sigs.k8s.io/yaml.Marshal: sorted keys, YAML 1.1 look-alike strings
// quoted), so `everynode get ... -o yaml > f; kubectl apply -f f` (or everynode apply) gives the
// same object back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { CliError } from './context.js';
import { runCli, type CliIO } from './index.js';
import { parseManifests } from './manifests.js';
import { printObjects } from './printers.js';
import { FakeApi } from './testing/fake-api.js';

describe('parseManifests', () => {
  it('reads YAML 1.1 values as kubectl: 0644 is 420, 0400 is 256, yes/on are true, timestamps stay strings', () => {
    const [m] = parseManifests(
      `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ds
  annotations: {at: 2024-01-01T00:00:00Z, q: "yes"}
spec:
  template:
    spec:
      containers: [{name: c, image: x, tty: yes, stdin: on}]
      volumes:
      - name: cfg
        configMap: {name: cfg, defaultMode: 0644}
      - name: sec
        secret: {secretName: s, defaultMode: 0400}
`,
      'ds.yaml',
    );
    const spec = (m!.object as unknown as { spec: { template: { spec: Record<string, any> } } }).spec.template.spec;
    expect(spec['volumes']).toEqual([
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
    ]);
    expect(spec['containers'][0]).toEqual({ name: 'c', image: 'x', tty: true, stdin: true });
    expect(m!.object.metadata.annotations).toEqual({ at: '2024-01-01T00:00:00Z', q: 'yes' });
  });

  it('keeps its error messages: the first line of the parser message, with the source', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: [\n', 'bad.yaml')).toThrow(
      new CliError('error parsing bad.yaml: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1'),
    );
    expect(() => parseManifests('a: 1\na: 2\n', 'dup.yaml')).toThrow(new CliError('error parsing dup.yaml: Map keys must be unique at line 2, column 1'));
    expect(() => parseManifests('apiVersion: v1\nkind: ConfigMap\ndata: {x: .inf}\n', 'inf.yaml')).toThrow(new CliError('error parsing inf.yaml: json: unsupported value: +Inf at line 3, column 11'));
  });

  it('stops alias expansion bombs with a CLI error', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(() => parseManifests(lines.join('\n'), 'bomb.yaml')).toThrow(CliError);
    expect(() => parseManifests(lines.join('\n'), 'bomb.yaml')).toThrow(/^error parsing bomb.yaml: Excessive alias count/);
  });

  it('refuses a manifest nested deeper than the server takes, before the parser would overflow the stack', () => {
    const deep = (n: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    expect(() => parseManifests(deep(20_000), 'deep.json')).toThrow(new CliError('error parsing deep.json: nesting depth exceeds the limit of 256'));
    expect(() => parseManifests(deep(300), 'deep.json')).toThrow(new CliError('error parsing deep.json: nesting depth exceeds the limit of 256'));
    expect(parseManifests(deep(200), 'deep.json')).toHaveLength(1);
  });
});

/** Strings that YAML 1.1 (kubectl) reads as something else unless quoted. */
const tricky = {
  flag: 'yes', sw: 'on', off: 'off', no: 'no', y: 'y', n: 'n', t: 'true', nul: 'null', tilde: '~', empty: '',
  mode: '0644', num: '123', hex: '0x1F', flt: '1.5', exp: '1e3', sexa: '12:30', inf: '.inf',
  ts: '2024-01-01T00:00:00Z', date: '2024-01-01', star: '*', colon: 'a: b', ml: 'line1\nline2\n', tab: 'a\tb',
};

const pod = (name: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: '2024-05-01T10:00:00Z', labels: { on: 'off', app: 'y' }, annotations: tricky },
    spec: { containers: [{ name: 'main', image: 'busybox', tty: true }], volumes: [{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }] },
  }) as unknown as KubeObject;

describe('printObjects -o yaml', () => {
  it('prints as kubectl: keys sorted, YAML 1.1 look-alike strings quoted, lists at their key column', () => {
    const out = printObjects([pod('p')], { kind: 'yaml' }, false, () => 'pod');
    expect(out).toBe(`apiVersion: v1
kind: Pod
metadata:
  annotations:
    colon: 'a: b'
    date: "2024-01-01"
    empty: ""
    exp: "1e3"
    flag: "yes"
    flt: "1.5"
    hex: "0x1F"
    inf: ".inf"
    ml: |
      line1
      line2
    mode: "0644"
    "n": "n"
    "no": "no"
    nul: "null"
    num: "123"
    "off": "off"
    sexa: "12:30"
    star: '*'
    sw: "on"
    t: "true"
    tab: "a\\tb"
    tilde: "~"
    ts: "2024-01-01T00:00:00Z"
    "y": "y"
  creationTimestamp: "2024-05-01T10:00:00Z"
  labels:
    app: "y"
    "on": "off"
  name: p
  namespace: default
spec:
  containers:
  - image: busybox
    name: main
    tty: true
  volumes:
  - configMap:
      defaultMode: 420
      name: cfg
    name: cfg
`);
    expect(parseManifests(out, 'out.yaml').map((m) => m.object)).toEqual([pod('p')]);
  });

  it('round-trips a List through the manifest reader', () => {
    const out = printObjects([pod('a'), pod('b')], { kind: 'yaml' }, true, () => 'pod');
    expect(out).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: v1\n {2}kind: Pod\n/);
    expect(out).toMatch(/\nkind: List\nmetadata:\n {2}resourceVersion: ""\n$/);
    expect(parseManifests(out, 'out.yaml').map((m) => m.object)).toEqual([pod('a'), pod('b')]);
  });
});

describe('everynode get -o yaml', () => {
  let dir = '';
  let api: FakeApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-yaml-io-'));
    api = await FakeApi.start(dir);
    api.add(pod('tricky'));
  });

  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints what kubectl (and everynode apply) reads back as the same object', async () => {
    let out = '';
    const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, stdin: Readable.from([]), isTTY: false, env: { KUBECONFIG: api.kubeconfigPath } };
    expect(await runCli(['get', 'pod', 'tricky', '-o', 'yaml'], io)).toBe(0);
    for (const line of ['    flag: "yes"', '    sw: "on"', '    mode: "0644"', '    ts: "2024-01-01T00:00:00Z"', '  creationTimestamp: "2024-05-01T10:00:00Z"', '    "on": "off"']) {
      expect(out.split('\n'), line).toContain(line);
    }
    expect(parseManifests(out, 'STDIN').map((m) => m.object)).toEqual([pod('tricky')]);
  });
});
