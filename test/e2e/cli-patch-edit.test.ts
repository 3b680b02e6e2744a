// `everynode patch` and `everynode edit` as the built binary against a started `everynode
// server` (controllers, no nodes): each patch type changes a DaemonSet (a template change bumps
// its generation), pods/status is patched through --subresource, a strategic merge patch of a
// custom resource is refused with kubectl's words; edit changes an image through a scripted
// KUBE_EDITOR (a Node script that records the files it is handed and applies its pass's
// replacements) and an invalid edit reopens the editor with the server's causes, then gives
// up when the file is saved unchanged. Where the real kubectl 1.32 is installed, the same
// commands print byte for byte what kubectl prints, on twin objects in two namespaces.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { kubectlAvailable, runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { dsManifest, killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';
import { editorScript } from '../../src/cli/testing/scripted-editor.js';

const cleanup = new Cleanup();
let server: ServerProcess;
let dir = '';
let kc = '';
let editor = '';
let editTmp = '';

const cli = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => runEverynode(args, { kubeconfig: kc, ...opts });

async function jsonpath(target: string[], template: string): Promise<string> {
  const r = await cli(['get', ...target, '-o', `jsonpath=${template}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}


let states = 0;

/** The environment of one scripted edit: the editor, its steps (one per pass), its record dir. */
function editEnv(steps: { replace?: [string, string][] }[]): { env: Record<string, string>; state: string } {
  const state = join(dir, `edit-state-${states++}`);
  mkdirSync(state);
  return { state, env: { KUBE_EDITOR: editor, EDIT_STATE: state, EDIT_STEPS: JSON.stringify(steps), TMPDIR: editTmp } };
}

beforeAll(async () => {
  dir = makeTempDir(cleanup, 'cli-patch-edit');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
  const script = join(dir, 'editor.mjs');
  writeFileSync(script, editorScript);
  editor = `${process.execPath} ${script}`;
  editTmp = join(dir, 'tmp');
  mkdirSync(editTmp);
});

afterAll(async () => {
  await cleanup.run();
});

describe('everynode patch', () => {
  it('patches a DaemonSet with each patch type', async () => {
    expect((await cli(['apply', '-f', '-'], { input: dsManifest('pe') })).code).toBe(0);
    const strategic = '{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"busybox:1.37"}]}}}}';
    expect(await cli(['patch', 'ds', 'pe', '-p', strategic])).toMatchObject({ code: 0, stdout: 'daemonset.apps/pe patched\n', stderr: '' });
    expect(await jsonpath(['ds', 'pe'], '{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].command} {.metadata.generation}')).toBe('busybox:1.37 ["sleep","3600"] 2');
    expect(await cli(['patch', 'ds/pe', '-p', strategic])).toMatchObject({ code: 0, stdout: 'daemonset.apps/pe patched (no change)\n' });
    expect(await cli(['patch', 'ds/pe', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"edge"}}}'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/pe patched\n' });
    expect(await cli(['patch', 'ds/pe', '--type', 'json', '-p', '[{"op":"add","path":"/spec/minReadySeconds","value":5}]'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/pe patched\n' });
    expect(await jsonpath(['ds', 'pe'], '{.metadata.labels.tier} {.spec.minReadySeconds} {.metadata.generation}')).toBe('edge 5 3');
    // --dry-run=server changes nothing.
    expect(await cli(['patch', 'ds/pe', '--type', 'merge', '-p', '{"spec":{"minReadySeconds":6}}', '--dry-run=server', '-o', 'jsonpath={.spec.minReadySeconds}'])).toMatchObject({ code: 0, stdout: '6' });
    expect(await jsonpath(['ds', 'pe'], '{.spec.minReadySeconds}')).toBe('5');
  });

  it('reports refusals as kubectl does', async () => {
    expect(await cli(['patch', 'ds', 'pe', '-p', '{"spec":{"minReadySeconds":-1}}'])).toEqual({ code: 1, stdout: '', stderr: 'The DaemonSet "pe" is invalid: spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0\n' });
    expect(await cli(['patch', 'ds', 'nope', '-p', '{}'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): daemonsets.apps "nope" not found\n' });
    expect(await cli(['patch', 'ds', 'pe', '--type', 'json', '-p', '[{"op":"test","path":"/metadata/name","value":"zz"}]'])).toEqual({ code: 1, stdout: '', stderr: 'The request is invalid: testing value /metadata/name failed: test failed\n' });
  });

  it('patches pods/status with --subresource', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: pe-pod\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: ["sleep", "3600"]\n';
    expect((await cli(['apply', '-f', '-'], { input: pod })).code).toBe(0);
    const r = await cli(['patch', 'pod/pe-pod', '--subresource', 'status', '--type', 'merge', '-p', '{"status":{"conditions":[{"type":"Custom","status":"True"}]}}']);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/pe-pod patched\n', stderr: '' });
    expect(await jsonpath(['pod', 'pe-pod'], '{.status.conditions[?(@.type=="Custom")].status}')).toBe('True');
    // The status subresource leaves the spec alone.
    const spec = await cli(['patch', 'pod', 'pe-pod', '--subresource=status', '--type', 'merge', '-p', '{"spec":{"activeDeadlineSeconds":5}}']);
    expect(spec).toMatchObject({ code: 0, stdout: 'pod/pe-pod patched (no change)\n' });
  });

  it('refuses a strategic merge patch of a custom resource, with the kind', async () => {
    const crd = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gizmos.example.org\nspec:\n  group: example.org\n  names: {plural: gizmos, singular: gizmo, kind: Gizmo}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              size: {type: integer}\n';
    expect((await cli(['apply', '-f', '-'], { input: crd })).code).toBe(0);
    await waitFor(async () => (await cli(['apply', '-f', '-'], { input: 'apiVersion: example.org/v1\nkind: Gizmo\nmetadata:\n  name: g1\nspec:\n  size: 1\n' })).code === 0, { message: 'the Gizmo kind' });
    expect(await cli(['patch', 'gizmo', 'g1', '-p', '{"spec":{"size":2}}'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: application/strategic-merge-patch+json is not supported by example.org/v1, Kind=Gizmo: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml\n',
    });
    expect(await cli(['patch', 'gizmo', 'g1', '-p', '{"spec":{"size":2}}', '--dry-run=client'])).toMatchObject({ code: 1, stderr: 'error: strategic merge patch is not supported for example.org/v1, Kind=Gizmo locally, try --type merge\n' });
    expect(await cli(['patch', 'gizmo', 'g1', '--type', 'merge', '-p', '{"spec":{"size":2}}'])).toMatchObject({ code: 0, stdout: 'gizmo.example.org/g1 patched\n' });
  });
});

describe('everynode edit', () => {
  it('edits a DaemonSet\'s image through KUBE_EDITOR: a new generation', async () => {
    expect((await cli(['apply', '-f', '-'], { input: dsManifest('ed') })).code).toBe(0);
    const { env, state } = editEnv([{ replace: [['image: busybox:1.36', 'image: busybox:1.38']] }]);
    const r = await cli(['edit', 'ds', 'ed', '--output-patch'], { env });
    expect(r).toEqual({ code: 0, stdout: 'Patch: {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"}],"containers":[{"image":"busybox:1.38","name":"agent"}]}}}}\ndaemonset.apps/ed edited\n', stderr: '' });
    const seen = readFileSync(join(state, 'seen-0'), 'utf8');
    expect(seen).toMatch(/^# Please edit the object below\. Lines beginning with a '#' will be ignored,\n/);
    expect(seen).toContain('\nkind: DaemonSet\n');
    expect(seen).not.toContain('managedFields');
    expect(existsSync(readFileSync(join(state, 'path-0'), 'utf8'))).toBe(false);
    expect(await jsonpath(['ds', 'ed'], '{.spec.template.spec.containers[0].image} {.metadata.generation}')).toBe('busybox:1.38 2');
    // Saved as it was: nothing to do.
    const same = editEnv([{}]);
    expect(await cli(['edit', 'ds/ed'], { env: same.env })).toEqual({ code: 0, stdout: '', stderr: 'Edit cancelled, no changes made.\n' });
  });

  it('reopens an invalid edit with the server\'s causes, then gives up when saved unchanged', async () => {
    const { env, state } = editEnv([{ replace: [['spec:\n  revisionHistoryLimit', 'spec:\n  minReadySeconds: -1\n  revisionHistoryLimit']] }, {}]);
    const r = await cli(['edit', 'ds', 'ed'], { env });
    const kept = readFileSync(join(state, 'path-1'), 'utf8');
    expect(r).toEqual({ code: 1, stdout: '', stderr: `error: daemonsets.apps "ed" is invalid\nA copy of your changes has been stored to "${kept}"\nerror: Edit cancelled, no valid changes were saved.\n` });
    expect(readFileSync(join(state, 'seen-1'), 'utf8')).toContain('#\n# daemonsets.apps "ed" was not valid:\n# * spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps/v1\n');
    expect(existsSync(kept)).toBe(true);
    expect(await jsonpath(['ds', 'ed'], '{.metadata.generation}')).toBe('2');
    // A fix on the second pass goes through.
    const fixed = editEnv([{ replace: [['spec:\n  revisionHistoryLimit', 'spec:\n  minReadySeconds: -1\n  revisionHistoryLimit']] }, { replace: [['minReadySeconds: -1', 'minReadySeconds: 3']] }]);
    expect(await cli(['edit', 'ds', 'ed'], { env: fixed.env })).toEqual({ code: 0, stdout: 'daemonset.apps/ed edited\n', stderr: 'error: daemonsets.apps "ed" is invalid\n' });
    expect(await jsonpath(['ds', 'ed'], '{.spec.minReadySeconds}')).toBe('3');
  });

  const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);
  it.skipIf(kubectlBinary === undefined)('describes a Secret (sizes, never values) and a ConfigMap as kubectl 1.32 does', async () => {
    const cacheDir = join(dir, 'kubectl-cache');
    const kubectl = (args: string[]) => runKubectl({ kubeconfig: kc, cacheDir }, args, { binary: kubectlBinary! });
    // One key each: kubectl walks the data maps in Go's random order.
    const manifest = [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec\n  labels: {a: b}\ntype: Opaque\ndata:\n  password: c3VwZXJzZWNyZXQ=\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  multi: |\n    line 1\n    line 2\nbinaryData:\n  bin: AAEC\n',
    ].join('---\n');
    expect((await cli(['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    for (const target of [['secret', 'sec'], ['configmap', 'conf']]) {
      const k = await kubectl(['describe', ...target]);
      const e = await cli(['describe', ...target]);
      expect(e, `describe ${target.join(' ')}`).toEqual(k);
    }
    expect((await cli(['describe', 'secret', 'sec'])).stdout).not.toContain('supersecret');
    // create refuses an unknown field (kubectl's default --validate=strict), worded as kubectl.
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\nbogus: 1\ndata:\n  a: b\n');
    for (const dry of [['--dry-run=server'], []]) {
      const k = await kubectl(['create', '-f', typo, ...dry]);
      const e = await cli(['create', '-f', typo, ...dry]);
      expect(e, `create ${dry.join(' ')}`).toEqual(k);
      expect(e.code).toBe(1);
    }
    // A 422 reads as kubectl's: the object, then each cause on a line of its own.
    const bad = join(dir, 'bad-ds.yaml');
    writeFileSync(bad, 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: badds\nspec:\n  selector:\n    matchLabels: {app: xx}\n  template:\n    metadata:\n      labels: {app: yy}\n    spec:\n      containers:\n      - name: c\n');
    const k = await kubectl(['create', '-f', bad]);
    const e = await cli(['create', '-f', bad]);
    expect(e).toEqual(k);
    expect(e.stderr).toMatch(/^The DaemonSet "badds" is invalid: \n\* /);
    // Narrow columns padded as kubectl's tabwriter pads them (to 6 at least), headers or not.
    for (const args of [['-o', 'custom-columns=A:.metadata.labels.a,N:.metadata.name,X:.metadata.labels.none'], ['-o', 'custom-columns=A:.metadata.labels.a,K:.kind', '--no-headers']]) {
      expect(await cli(['get', 'secret', 'sec', ...args]), args.join(' ')).toEqual(await kubectl(['get', 'secret', 'sec', ...args]));
    }
  });

  it.skipIf(kubectlBinary === undefined)('prints what kubectl 1.32 prints for the same commands (twin objects)', async () => {
    const cacheDir = join(dir, 'kubectl-cache');
    for (const ns of ['pe-kc', 'pe-en']) {
      expect((await cli(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` })).code).toBe(0);
      expect((await cli(['apply', '-n', ns, '-f', '-'], { input: dsManifest('twin') })).code).toBe(0);
    }
    const kubectl = (args: string[]) => runKubectl({ kubeconfig: kc, cacheDir }, args, { binary: kubectlBinary! });
    const patches: string[][] = [
      ['ds', 'twin', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"busybox:1.37"}]}}}}'],
      ['ds/twin', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"busybox:1.37"}]}}}}'],
      ['ds/twin', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"edge"}}}', '-o', 'name'],
      ['ds/twin', '--type', 'json', '-p', '[{"op":"replace","path":"/metadata/labels/tier","value":"core"}]', '-o', 'jsonpath={.metadata.labels}'],
      ['ds/twin', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/labels/none"}]'],
      ['ds/twin', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/labels/none"}]', '--dry-run=client'],
      ['ds', 'twin', 'nope', '-p', '{"metadata":{"labels":{"n":"1"}}}'],
      ['ds', 'twin', '-p', '{"spec":{"selector":{"matchLabels":{"app":"other"}}}}'],
      ['ds', 'twin', '-p', 'metadata: {labels: {y: "1"}}', '--dry-run=server'],
      ['ds', 'twin', '-p', '{bad'],
      ['ds', 'twin', '-p', 'a: ['],
      ['ds', 'twin', '-p', '{}', '-o', 'wide'],
      ['ds', '-p', '{}'],
      ['ds/twin', '--type', 'foo', '-p', '{}'],
    ];
    for (const p of patches) {
      const k = await kubectl(['patch', ...p, '-n', 'pe-kc']);
      const e = await cli(['patch', ...p, '-n', 'pe-en']);
      expect({ code: e.code, stdout: e.stdout, stderr: e.stderr }, `patch ${p.join(' ')}`).toEqual({ code: k.code, stdout: k.stdout, stderr: k.stderr });
    }
    // Edits: the file paths differ (kubectl's temp files are named after its binary).
    const paths = (s: string) => s.replace(/\/[^\s"`]*\/[\w.]+-edit-\d+\.(yaml|json)/g, 'FILE').replace(/`\S+ replace -f/g, '`kubectl replace -f');
    const edits: { args: string[]; steps: { replace?: [string, string][] }[] }[] = [
      { args: ['ds', 'twin', '--output-patch'], steps: [{ replace: [['        image: busybox:1.37\n', '        env:\n        - name: A\n          value: "1"\n        image: busybox:1.38\n']] }] },
      { args: ['ds/twin'], steps: [{}] },
      { args: ['ds', 'twin'], steps: [{ replace: [['spec:\n  revisionHistoryLimit', 'spec:\n  minReadySeconds: -1\n  revisionHistoryLimit']] }, {}] },
      { args: ['ds', 'twin'], steps: [{ replace: [['kind: DaemonSet', 'kind: [DaemonSet']] }, {}] },
      { args: ['ds', 'twin'], steps: [{ replace: [['  name: twin\n', '  name: twin2\n']] }] },
      { args: ['ds', 'twin', '-o', 'json', '--output-patch'], steps: [{ replace: [['"value": "1"', '"value": "2"']] }] },
    ];
    for (const { args, steps } of edits) {
      const k = editEnv(steps);
      const savedEnv = { ...process.env };
      Object.assign(process.env, k.env);
      let kr;
      try {
        kr = await kubectl(['edit', ...args, '-n', 'pe-kc']);
      } finally {
        for (const key of Object.keys(k.env)) delete process.env[key];
        Object.assign(process.env, savedEnv);
      }
      const en = editEnv(steps);
      const er = await cli(['edit', ...args, '-n', 'pe-en'], { env: en.env });
      // The same output and the same text handed to the editor, but for the object's identity and namespace.
      const norm = (s: string) => s.replace(/pe-(kc|en)/g, 'NS').replace(/("?(uid|resourceVersion|creationTimestamp)"?: )"?[^,"\n]*"?/g, '$1X');
      expect({ code: er.code, stdout: norm(er.stdout), stderr: paths(er.stderr) }, `edit ${args.join(' ')}`).toEqual({ code: kr.code, stdout: norm(kr.stdout), stderr: paths(kr.stderr) });
      const count = Number(readFileSync(join(k.state, 'count'), 'utf8'));
      expect(Number(readFileSync(join(en.state, 'count'), 'utf8'))).toBe(count);
      for (let i = 0; i < count; i++) expect(norm(readFileSync(join(en.state, `seen-${i}`), 'utf8')), `edit ${args.join(' ')} pass ${i}`).toBe(norm(readFileSync(join(k.state, `seen-${i}`), 'utf8')));
    }
    expect(readdirSync(editTmp).length).toBeGreaterThan(0);
  });
});
