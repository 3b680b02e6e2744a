// `everynode label|annotate` as the built binary against a started `everynode server`: the objects
// of -f files (read again from the server; -l filters what the server has), --local (changed
// here, no server asked), -A, --field-selector, --resource-version as a precondition, and
// comma-separated -f paths; where the real kubectl 1.32 is installed, the same commands print
// byte for byte what kubectl prints, on twin ConfigMaps in two namespaces.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubectlAvailable, runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { runEverynode } from '../../src/cli/testing/run-binary.js';
import { useCliSuite } from './cli-suite.js';

const t = useCliSuite('cli-label');
const { cli, write } = t;

const cm = (name: string, labels: Record<string, string>, ns?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}  labels:\n${Object.entries(labels)
    .map(([k, v]) => `    ${k}: "${v}"\n`)
    .join('')}data:\n  k: v\n`;

async function jsonpath(args: string[], template: string): Promise<string> {
  const r = await cli(['get', ...args, '-o', `jsonpath=${template}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('label and annotate', () => {
  it('-f reads the objects from the server; --local changes the file\'s here, with no server at all', async () => {
    expect((await cli(['apply', '-f', '-'], { input: `${cm('one', { app: 'x' })}---\n${cm('two', { app: 'y' })}` })).code).toBe(0);
    const one = write('one.yaml', cm('one', { app: 'from-file' }));
    const two = write('two.yaml', cm('two', {}));
    expect(await cli(['label', '-f', one, 'tier=edge'])).toEqual({ code: 0, stdout: 'configmap/one labeled\n', stderr: '' });
    // The server's labels, not the file's: app=x is kept, tier added.
    expect(await jsonpath(['cm', 'one'], '{.metadata.labels.app} {.metadata.labels.tier}')).toBe('x edge');
    // -l keeps the objects whose labels on the server match; comma-separated paths.
    expect(await cli(['annotate', '-f', `${one},${two}`, '-l', 'app=y', 'seen=1'])).toEqual({ code: 0, stdout: 'configmap/two annotated\n', stderr: '' });
    expect(await jsonpath(['cm'], '{range .items[*]}{.metadata.name}={.metadata.annotations.seen};{end}')).toBe('kube-root-ca.crt=;one=;two=1;');
    // One file, one object: --list without the per-object heading.
    expect(await cli(['label', '-f', one, '--list'])).toEqual({ code: 0, stdout: 'app=x\ntier=edge\n', stderr: '' });

    // --local: no request at all (a kubeconfig whose server cannot be reached).
    const offline = write('offline.kubeconfig', 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n');
    const local = await runEverynode(['label', '--local', '-f', one, 'zone=a', '-o', 'jsonpath={.metadata.labels}'], { kubeconfig: offline });
    expect(local).toEqual({ code: 0, stdout: '{"app":"from-file","zone":"a"}', stderr: '' });
    expect(await runEverynode(['annotate', '--local', '-f', two, 'n=1'], { kubeconfig: offline })).toEqual({ code: 0, stdout: 'configmap/two annotated\n', stderr: '' });
    expect(await jsonpath(['cm', 'one'], '{.metadata.labels.zone}')).toBe('');
  });

  it('--resource-version is a precondition of one object; -A and --field-selector choose across namespaces', async () => {
    for (const ns of ['lab-a', 'lab-b']) {
      expect((await cli(['create', 'namespace', ns])).code).toBe(0);
      expect((await cli(['apply', '-f', '-'], { input: cm('rv', { team: ns }, ns) })).code).toBe(0);
    }
    const rv = await jsonpath(['cm', 'rv', '-n', 'lab-a'], '{.metadata.resourceVersion}');
    const stale = await cli(['label', 'cm', 'rv', '-n', 'lab-a', 'x=1', '--resource-version=1']);
    expect(stale).toEqual({ code: 1, stdout: '', stderr: 'Error from server (Conflict): Operation cannot be fulfilled on configmaps "rv": the object has been modified; please apply your changes to the latest version and try again\n' });
    expect(await cli(['label', 'cm', 'rv', '-n', 'lab-a', 'x=1', `--resource-version=${rv}`])).toEqual({ code: 0, stdout: 'configmap/rv labeled\n', stderr: '' });
    // No key changes, yet the precondition is still checked (the patch carries it).
    expect((await cli(['annotate', 'cm', 'rv', '-n', 'lab-a', 'x-', `--resource-version=${rv}`])).code).toBe(1);
    expect(await cli(['label', 'cm', 'rv', 'other', '-n', 'lab-a', 'x=1', '--resource-version=1'])).toEqual({ code: 1, stdout: '', stderr: 'error: --resource-version may only be used with a single resource\n' });
    // -A with a selector: both namespaces; a field selector narrows on the server.
    expect(await cli(['label', 'cm', '-A', '-l', 'team', 'all=yes'])).toEqual({ code: 0, stdout: 'configmap/rv labeled\nconfigmap/rv labeled\n', stderr: '' });
    expect(await jsonpath(['cm', '-A', '-l', 'all=yes'], '{range .items[*]}{.metadata.namespace} {end}')).toBe('lab-a lab-b ');
    expect(await cli(['annotate', 'cm', '-A', '--field-selector', 'metadata.namespace=lab-b', 'only=b'])).toEqual({ code: 0, stdout: 'configmap/kube-root-ca.crt annotated\nconfigmap/rv annotated\n', stderr: '' });
    expect(await jsonpath(['cm', 'rv', '-n', 'lab-a'], '{.metadata.annotations.only}')).toBe('');
    expect(await cli(['label', 'cm', 'rv', '-A', 'x=2'])).toEqual({ code: 1, stdout: '', stderr: 'error: a resource cannot be retrieved by name across all namespaces\n' });
    expect(await cli(['label', '-f', 'a,"b'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: invalid argument "a,\\"b" for "-f, --filename" flag: parse error/) });
  });

  const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);
  it.skipIf(kubectlBinary === undefined)('prints what kubectl 1.32 prints for the same commands (twin ConfigMaps)', async () => {
    const cacheDir = join(t.dir, 'kubectl-cache');
    const twins = { kc: 'twin-kc', en: 'twin-en' };
    for (const ns of Object.values(twins)) {
      expect((await cli(['create', 'namespace', ns])).code).toBe(0);
      // solo has one label (kubectl's --list prints a map in Go's random order: one key is stable).
      expect((await cli(['apply', '-f', '-'], { input: [cm('a', { twin: ns, x: '1' }, ns), cm('b', { twin: ns }, ns), cm('solo', { only: 'one' }, ns)].join('---\n') })).code).toBe(0);
    }
    // Files without a namespace: read in -n's.
    const file = (name: string, text: string): string => write(name, text);
    const a = file('a.yaml', cm('a', {}));
    const solo = file('solo.yaml', cm('solo', {}));
    const ab = file('ab.yaml', `${cm('a', {})}---\n${cm('b', {})}`);
    const ghost = file('ghost.yaml', cm('ghost', {}));
    const elsewhere = file('elsewhere.yaml', cm('a', {}, 'elsewhere'));
    const dir = join(t.dir, 'dir');
    mkdirSync(dir);
    writeFileSync(join(dir, 'solo.yaml'), cm('solo', {}));
    const commands: string[][] = [
      ['label', 'cm', 'a', 'y=1'],
      ['label', 'cm', 'a', 'y=2'],
      ['label', 'cm', 'a', 'y=2', '--overwrite', '--resource-version=1'],
      ['label', 'cm', 'a', 'b', 'y=1', '--resource-version=1'],
      ['label', '-f', a, 'f=1'],
      ['label', '-f', ab, 'g=1'],
      ['label', '-f', `${a},${ghost}`, 'h=1'],
      ['label', '-f', a, '-l', 'x=1', 'i=1'],
      ['label', '-f', a, '-l', 'x=9', 'i=1'],
      ['label', '-f', solo, '--list'],
      ['label', '-f', dir, '--list'],
      ['label', '-f', elsewhere, 'j=1'],
      ['label', '-f', a, 'cm', 'a', 'k=1'],
      ['label', '-f', a, 'cm/a', 'k=1'],
      ['label', '-f', a, 'k=1', '--dry-run=client'],
      ['label', '-f', a, 'k=1', '--dry-run=server'],
      ['label', '--local', '-f', a, 'k=1'],
      ['label', '--local', '-f', a, 'k=1', '-o', 'yaml'],
      ['label', '--local', '-f', ab, 'k=1', '-o', 'name'],
      ['label', '--local', '-f', a, 'k=1', '--resource-version=5', '-o', 'jsonpath={.metadata.resourceVersion}'],
      ['label', '--local', '-f', solo, 'only-', '--list'],
      ['label', '--local', 'cm', 'a', 'k=1'],
      ['label', '--local', 'k=1'],
      ['label', '--local', '-f', a, 'k=1', '--dry-run=server'],
      ['label', '--local', '-f', elsewhere, 'k=1'],
      ['label', 'cm', '-A', '-l', 'twin={ns}', 'm=1'],
      ['label', 'cm', '--field-selector', 'metadata.name=b', 'n=1'],
      ['label', 'cm', '--field-selector', 'metadata.name=nope', 'n=1'],
      ['label', 'cm', '--all', '--field-selector', 'metadata.name=b', 'n=1'],
      ['label', 'cm', 'a', '--field-selector', 'metadata.name=b', 'n=1'],
      ['label', 'cm', 'a', '-A', 'n=1'],
      ['label', 'cm', 'solo', '--list', '-o', 'yaml'],
      ['annotate', 'cm', 'a', 'y=1', '--resource-version=1'],
      ['annotate', '-f', ab, 'note=1'],
      ['annotate', '-f', ab, 'note=2'],
      ['annotate', '--local', '-f', a, 'note=1', '-o', 'json'],
      ['annotate', '--local', 'cm', 'a', 'note=1'],
      ['annotate', '--local', 'note=1'],
      ['annotate', '-f', a, 'cm', 'a', 'note=1'],
      ['annotate', 'cm', '-A', '-l', 'twin={ns}', 'note=3', '--overwrite'],
      ['annotate', 'cm', 'solo', '--list', '-o', 'yaml'],
    ];
    // Each twin runs in its namespace (-n), except with -A: kubectl then refuses every object
    // (an explicit -n is enforced against the namespace "" that -A sets).
    const args = (c: string[], ns: string): string[] => [...c.map((x) => x.replace('{ns}', ns)), ...(c.includes('-A') ? [] : ['-n', ns])];
    for (const c of commands) {
      const k = await runKubectl({ kubeconfig: t.kc, cacheDir }, args(c, twins.kc), { binary: kubectlBinary! });
      const e = await cli(args(c, twins.en));
      const same = (text: string): string => text.replaceAll(twins.kc, twins.en);
      expect({ code: e.code, stdout: e.stdout, stderr: e.stderr }, c.join(' ')).toEqual({ code: k.code, stdout: same(k.stdout), stderr: same(k.stderr) });
    }
    // The same changes reached the server: the twins have the same labels and annotations.
    const meta = async (ns: string): Promise<string> => (await jsonpath(['cm', '-n', ns], '{range .items[*]}{.metadata.name} {.metadata.labels} {.metadata.annotations}|{end}')).replaceAll(ns, 'NS');
    expect(await meta(twins.en)).toBe(await meta(twins.kc));
  }, 240_000);
});
