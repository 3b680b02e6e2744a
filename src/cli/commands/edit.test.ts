// `everynode edit` in-process against the fake API (testing/fake-api.ts) behind a small
// patching front (PATCH applied as the server applies it, recorded, or refused with a given
// Status), with a scripted editor: a Node script given as KUBE_EDITOR that records each file
// it is handed and applies the replacements of its pass (EDIT_STEPS). The texts expected are
// kubectl 1.32's for the same edits against a real everynode server.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schemaFor } from '../../api/schema/index.js';
import type { KubeObject } from '../../api/types.js';
import { runCli } from '../index.js';
import { loadSchema } from '../schema.js';
import { FakeApi } from '../testing/fake-api.js';
import { memoryIO } from '../testing/memory-io.js';
import { PatchingFront } from '../testing/patching-front.js';
import { editorScript } from '../testing/scripted-editor.js';
import { createMergePatch, editorCommand, manualStrip, twoWayMergePatch, validationProblem } from './edit.js';



interface Step {
  replace?: [string, string][];
  exit?: number;
}

let dir = '';
let api: FakeApi;
let front: PatchingFront;
let editor = '';
let state = '';
let runs = 0;

const ds = (name: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '1',
      generation: 1,
      labels: { app: name },
      managedFields: [{ manager: 'everynode', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] } },
    },
  }) as unknown as KubeObject;

/** Runs `everynode edit ...` with the scripted editor doing `steps` (one per pass). */
async function edit(args: string[], steps: Step[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  state = join(dir, `state-${runs++}`);
  mkdirSync(state);
  const t = memoryIO({ KUBECONFIG: front.kubeconfigPath, KUBE_EDITOR: editor, EDIT_STATE: state, EDIT_STEPS: JSON.stringify(steps), ...env });
  const code = await runCli(['edit', ...args], t);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

const seen = (n: number): string => readFileSync(join(state, `seen-${n}`), 'utf8');
const pathOf = (n: number): string => readFileSync(join(state, `path-${n}`), 'utf8');
const passes = (): number => Number(readFileSync(join(state, 'count'), 'utf8'));

const header = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\n";

const invalid = (field: string, message: string) => ({
  code: 422,
  status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `DaemonSet.apps "web" is invalid: ${field}: ${message}`, reason: 'Invalid', code: 422, details: { name: 'web', group: 'apps', kind: 'DaemonSet', causes: [{ reason: 'FieldValueInvalid', field, message }] } },
});

beforeAll(async () => {
  // twoWayMergePatch below reads the schema, which runCli loads for the verbs that need it.
  await loadSchema();
  dir = mkdtempSync(join(tmpdir(), 'cli-edit-'));
  api = await FakeApi.start(dir);
  api.add(ds('web'), ds('other'));
  front = await PatchingFront.start(api, dir);
  const script = join(dir, 'editor.mjs');
  writeFileSync(script, editorScript);
  editor = `${process.execPath} ${script}`;
});

afterAll(async () => {
  await front.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => front.reset());

describe('edit opens the object and sends the change as a patch', () => {
  it('a new image: a strategic merge patch against the object read, the temp file removed', async () => {
    const r = await edit(['ds', 'web'], [{ replace: [['image: busybox:1', 'image: busybox:2']] }]);
    expect(r).toEqual({ code: 0, stdout: 'daemonset.apps/web edited\n', stderr: '' });
    expect(seen(0).startsWith(`${header}apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n`)).toBe(true);
    expect(seen(0)).not.toContain('managedFields');
    expect(pathOf(0)).toMatch(new RegExp(`^${tmpdir()}/everynode-edit-\\d+\\.yaml$`));
    expect(existsSync(pathOf(0))).toBe(false);
    expect(front.patches).toHaveLength(1);
    const p = front.patches[0]!;
    expect(p.path).toBe('/apis/apps/v1/namespaces/default/daemonsets/web');
    expect(p.contentType).toBe('application/strategic-merge-patch+json');
    expect(p.body).toBe('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"image":"busybox:2","name":"main"}]}}}}');
    expect(Object.fromEntries(p.query)).toEqual({ fieldManager: 'everynode-edit', fieldValidation: 'Strict' });
  });

  it('--output-patch prints the patch; -o json edits JSON (no header) and prints the object', async () => {
    const r = await edit(['ds/web', '-o', 'json', '--output-patch'], [{ replace: [['"name": "B"', '"name": "C"']] }]);
    expect(r.code).toBe(0);
    expect(seen(0).startsWith('{\n    "apiVersion": "apps/v1",\n    "kind": "DaemonSet",\n')).toBe(true);
    expect(pathOf(0)).toMatch(/\.json$/);
    const [patchLine, ...rest] = r.stdout.split('\n');
    expect(patchLine).toBe('Patch: {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"C"}],"env":[{"name":"C","value":"2"},{"$patch":"delete","name":"B"}],"name":"main"}]}}}}');
    expect((JSON.parse(rest.join('\n')) as KubeObject).metadata.name).toBe('web');
  });

  it('an unchanged file cancels the edit (exit 0, nothing sent)', async () => {
    expect(await edit(['ds', 'web'], [{ replace: [['# Please', '#   Please']] }])).toEqual({ code: 0, stdout: '', stderr: 'Edit cancelled, no changes made.\n' });
    expect(front.patches).toHaveLength(0);
    expect(existsSync(pathOf(0))).toBe(false);
  });

  it('several objects are one List; an object left as it was is skipped', async () => {
    const r = await edit(['ds/web', 'ds/other'], [{ replace: [['      app: other\n    name: other', '      app: other\n      tier: edge\n    name: other']] }]);
    expect(seen(0)).toContain(`${header}apiVersion: v1\nitems:\n- apiVersion: apps/v1\n`);
    expect(seen(0)).toMatch(/\nkind: List\nmetadata: \{\}\n$/);
    expect(r).toEqual({ code: 0, stdout: 'daemonset.apps/web skipped\ndaemonset.apps/other edited\n', stderr: '' });
    expect(front.patches.map((p) => p.body)).toEqual(['{"metadata":{"labels":{"tier":"edge"}}}']);
  });

  it('--save-config records the saved object in the last-applied annotation', async () => {
    const r = await edit(['ds', 'other', '--save-config', '--output-patch'], [{ replace: [['tier: edge', 'tier: core']] }]);
    expect(r.code).toBe(0);
    const patch = JSON.parse(front.patches[0]!.body) as { metadata: { annotations: Record<string, string>; labels: Record<string, string> } };
    expect(patch.metadata.labels).toEqual({ tier: 'core' });
    const saved = patch.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']!;
    expect(saved.endsWith('}\n')).toBe(true);
    const obj = JSON.parse(saved) as KubeObject;
    expect(obj.metadata.annotations).toEqual({});
    expect(obj.metadata.labels).toEqual({ app: 'other', tier: 'core' });
    // The managed fields left out of the file are part of the object again.
    expect(obj.metadata.managedFields).toHaveLength(1);
  });
});

describe('edit failures, as kubectl 1.32 reports them', () => {
  it('a 422 reopens the editor with the causes; the same text again gives up (files kept)', async () => {
    front.refusals.push(invalid('spec.minReadySeconds', 'Invalid value: -1: must be greater than or equal to 0'));
    const r = await edit(['ds', 'web'], [{ replace: [['spec:\n  selector', 'spec:\n  minReadySeconds: -1\n  selector']] }, {}]);
    expect(passes()).toBe(2);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `error: daemonsets.apps "web" is invalid\nA copy of your changes has been stored to "${pathOf(1)}"\nerror: Edit cancelled, no valid changes were saved.\n` });
    expect(seen(1).startsWith(`${header}# daemonsets.apps "web" was not valid:\n# * spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps/v1\n`)).toBe(true);
    expect(seen(1)).toContain('  minReadySeconds: -1\n');
    expect(existsSync(pathOf(0)) && existsSync(pathOf(1))).toBe(true);
    rmSync(pathOf(0));
    rmSync(pathOf(1));
  });

  it('a 422 then a fix: edited, both files removed', async () => {
    front.refusals.push(invalid('spec.minReadySeconds', 'Invalid value: -1: must be greater than or equal to 0'));
    const r = await edit(['ds', 'web', '--output-patch'], [{ replace: [['spec:\n  selector', 'spec:\n  minReadySeconds: -1\n  selector']] }, { replace: [['minReadySeconds: -1', 'minReadySeconds: 2']] }]);
    expect(r).toEqual({ code: 0, stdout: 'Patch: {"spec":{"minReadySeconds":-1}}\nPatch: {"spec":{"minReadySeconds":2}}\ndaemonset.apps/web edited\n', stderr: 'error: daemonsets.apps "web" is invalid\n' });
    expect(existsSync(pathOf(0)) || existsSync(pathOf(1))).toBe(false);
  });

  it('a file that does not parse fails validation and reopens', async () => {
    const r = await edit(['ds', 'web'], [{ replace: [['kind: DaemonSet', 'kind: [DaemonSet']] }, { replace: [['kind: [DaemonSet', 'kind: DaemonSet'], ['busybox:2', 'busybox:3']] }]);
    expect(r).toEqual({ code: 0, stdout: 'daemonset.apps/web edited\n', stderr: 'error: daemonsets.apps "web" is invalid\n' });
    expect(seen(1)).toContain(`#\n# daemonsets.apps "web" was not valid:\n# * <nil>: Invalid value: "The edited file failed validation": yaml: line 2: did not find expected ',' or ']'\n#\n`);
  });

  it('a kind the server does not serve reopens with a syntax error', async () => {
    const r = await edit(['ds', 'web'], [{ replace: [['kind: DaemonSet', 'kind: Foo']] }, {}]);
    expect(r.code).toBe(1);
    expect(seen(1)).toContain('# The edited file had a syntax error: resource mapping not found for name: "web" namespace: "default" from "edited-file": no matches for kind "Foo" in version "apps/v1"\n# ensure CRDs are installed first\n#\n');
    expect(r.stderr).toBe(`A copy of your changes has been stored to "${pathOf(1)}"\nerror: Edit cancelled, no valid changes were saved.\n`);
    rmSync(pathOf(0), { force: true });
    rmSync(pathOf(1), { force: true });
  });

  it('a renamed object or another namespace keeps the file and stops', async () => {
    const renamed = await edit(['ds', 'web'], [{ replace: [['  name: web\n', '  name: web2\n']] }]);
    expect(renamed).toEqual({ code: 1, stdout: '', stderr: `A copy of your changes has been stored to "${pathOf(0)}"\nerror: At least one of apiVersion, kind and name was changed\n` });
    rmSync(pathOf(0));
    const moved = await edit(['ds', 'web'], [{ replace: [['  namespace: default\n', '  namespace: other\n']] }]);
    expect(moved.stderr).toBe(`A copy of your changes has been stored to "${pathOf(0)}"\nerror: the namespace from the provided object "other" does not match the namespace "default". You must pass '--namespace=other' to perform this operation.\n`);
    rmSync(pathOf(0));
    expect(front.patches).toHaveLength(0);
  });

  it('other refusals: NotFound and the rest stop with the file kept', async () => {
    front.refusals.push({ code: 404, status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'daemonsets.apps "web" not found', reason: 'NotFound', code: 404 } });
    const gone = await edit(['ds', 'web'], [{ replace: [['busybox:3', 'busybox:4']] }]);
    expect(gone).toEqual({ code: 1, stdout: '', stderr: `error: daemonsets.apps "web" could not be found on the server\nThe edits you made on deleted resources have been saved to "${pathOf(0)}"\n` });
    rmSync(pathOf(0));
    front.refusals.push({ code: 400, status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'strict decoding error: unknown field "spec.x"', reason: 'BadRequest', code: 400 } });
    const bad = await edit(['ds', 'web'], [{ replace: [['  minReadySeconds: 2\n', '  minReadySeconds: 2\n  x: 1\n']] }]);
    expect(bad).toEqual({ code: 1, stdout: '', stderr: `error: daemonsets.apps "web" could not be patched: strict decoding error: unknown field "spec.x"\nYou can run \`kubectl replace -f ${pathOf(0)}\` to try this update again.\n` });
    rmSync(pathOf(0));
  });

  it('the editor failing or missing', async () => {
    const failed = await edit(['ds', 'web'], [{ exit: 3 }]);
    expect(failed).toEqual({ code: 1, stdout: '', stderr: `error: there was a problem with the editor "${editor}"\n` });
    rmSync(pathOf(0));
    // The file written for an editor that never ran stays too (kubectl's LaunchTempFile): here in a
    // temp dir of the test's own.
    const savedTmp = process.env['TMPDIR'];
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    process.env['TMPDIR'] = tmp;
    try {
      expect(await edit(['ds', 'web'], [], { KUBE_EDITOR: 'no-such-editor-everynode' })).toMatchObject({ code: 1, stderr: 'error: unable to launch the editor "no-such-editor-everynode"\n' });
      expect(await edit(['ds', 'web'], [], { KUBE_EDITOR: '', EDITOR: '/no/such/editor' })).toMatchObject({ code: 1, stderr: 'error: there was a problem with the editor "/no/such/editor"\n' });
      expect(readdirSync(tmp).filter((f) => /^everynode-edit-\d+\.yaml$/.test(f))).toHaveLength(2);
    } finally {
      if (savedTmp === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = savedTmp;
    }
  });

  it('objects that cannot be read, none at all, a format edit lacks', async () => {
    expect(await edit(['ds', 'nope'], [])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): daemonsets.apps "nope" not found\n' });
    expect(await edit(['ds', '-n', 'empty'], [])).toEqual({ code: 1, stdout: '', stderr: 'error: edit cancelled, no objects found\n' });
    expect(await edit(['ds', 'web', '-o', 'name'], [])).toEqual({ code: 1, stdout: '', stderr: 'error: unable to match a printer suitable for the output format "name", allowed formats are: json,yaml\n' });
    expect(existsSync(join(state, 'count'))).toBe(false);
  });
});

describe('the two-way strategic merge patch (apimachinery CreateTwoWayMergePatch)', () => {
  const dsSchema = schemaFor({ group: 'apps', version: 'v1', kind: 'DaemonSet' });
  const deploySchema = schemaFor({ group: 'apps', version: 'v1', kind: 'Deployment' });
  const podSchema = schemaFor({ group: '', version: 'v1', kind: 'Pod' });

  const containers = (list: unknown[]) => ({ spec: { template: { spec: { containers: list } } } });

  it('merging lists: an element added, renamed, reordered, all removed', () => {
    const main = (env: { name: string; value: string }[]) => ({ name: 'main', image: 'i', env });
    expect(twoWayMergePatch(containers([main([{ name: 'A', value: '1' }])]), containers([main([{ name: 'A', value: '1' }, { name: 'B', value: 'b' }])]), dsSchema)).toEqual({
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'main' }], containers: [{ '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }], env: [{ name: 'B', value: 'b' }], name: 'main' }] } } },
    });
    expect(twoWayMergePatch(containers([main([{ name: 'A', value: '1' }, { name: 'B', value: 'b' }])]), containers([main([{ name: 'Z', value: '1' }, { name: 'B', value: 'b' }])]), dsSchema)).toEqual({
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'main' }], containers: [{ '$setElementOrder/env': [{ name: 'Z' }, { name: 'B' }], env: [{ name: 'Z', value: '1' }, { $patch: 'delete', name: 'A' }], name: 'main' }] } } },
    });
    expect(twoWayMergePatch(containers([{ name: 'a' }, { name: 'b' }]), containers([{ name: 'b' }, { name: 'a' }]), dsSchema)).toEqual({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } });
    expect(twoWayMergePatch(containers([main([{ name: 'A', value: '1' }])]), containers([main([])]), dsSchema)).toEqual({
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'main' }], containers: [{ env: [{ $patch: 'delete', name: 'A' }], name: 'main' }] } } },
    });
    // Atomic lists are replaced whole; equal objects give an empty patch.
    expect(twoWayMergePatch(containers([{ name: 'a', args: ['1'] }]), containers([{ name: 'a', args: ['2'] }]), dsSchema)).toEqual({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ args: ['2'], name: 'a' }] } } } });
    expect(twoWayMergePatch(containers([{ name: 'a' }]), containers([{ name: 'a' }]), dsSchema)).toEqual({});
  });

  it('primitive merging lists, removed fields, $retainKeys', () => {
    expect(twoWayMergePatch({ metadata: { finalizers: ['x', 'y'], labels: { a: '1', b: '2' } } }, { metadata: { finalizers: ['y', 'z'], labels: { a: '1' } } }, dsSchema)).toEqual({
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x'], '$setElementOrder/finalizers': ['y', 'z'], finalizers: ['z'], labels: { b: null } },
    });
    expect(twoWayMergePatch({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }, { spec: { strategy: { type: 'Recreate' } } }, deploySchema)).toEqual({
      spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
    });
    expect(twoWayMergePatch({ spec: { volumes: [{ name: 'v', emptyDir: {} }] } }, { spec: { volumes: [{ name: 'v', hostPath: { path: '/x' } }] } }, podSchema)).toEqual({
      spec: { '$setElementOrder/volumes': [{ name: 'v' }], volumes: [{ $retainKeys: ['hostPath', 'name'], emptyDir: null, hostPath: { path: '/x' }, name: 'v' }] },
    });
    expect(() => twoWayMergePatch(containers([{ name: 'a' }]), containers([{ image: 'x' }]), dsSchema)).toThrow('does not contain declared merge key: name');
  });
});

describe('helpers of edit', () => {
  it('editorCommand: kubectl\'s variables and splitting', () => {
    expect(editorCommand({})).toEqual({ args: ['vi'], shell: false });
    expect(editorCommand({ EDITOR: 'nano' })).toEqual({ args: ['nano'], shell: false });
    expect(editorCommand({ KUBE_EDITOR: 'code --wait', EDITOR: 'nano' })).toEqual({ args: ['code', '--wait'], shell: false });
    expect(editorCommand({ KUBE_EDITOR: 'ed "-x"', SHELL: '/bin/zsh' })).toEqual({ args: ['/bin/zsh', '-c', 'ed "-x"'], shell: true });
    expect(editorCommand({ KUBE_EDITOR: "ed '-x'" })).toEqual({ args: ['/bin/bash', '-c', "ed '-x'"], shell: true });
  });

  it('manualStrip and validationProblem', () => {
    expect(manualStrip('# a\nb: 1\n  # c\n#!x\n# d')).toBe('b: 1\n#!x\n');
    expect(validationProblem('# only comments\n')).toBe('invalid object to validate');
    expect(validationProblem('kind: X\n')).toBe('apiVersion not set');
    expect(validationProblem('apiVersion: 42\nkind: X\n')).toBe("apiVersion isn't string type");
    expect(validationProblem('metadata: {}\n')).toBe('[apiVersion not set, kind not set]');
    expect(validationProblem('apiVersion: a/b/c\nkind: X\n')).toBe('unexpected GroupVersion string: a/b/c');
    expect(validationProblem('apiVersion: v1\nkind: Pod\n')).toBeUndefined();
  });

  it('createMergePatch (custom resources)', () => {
    expect(createMergePatch({ a: 1, b: { c: 1, d: [1] }, e: 1 }, { a: 1, b: { c: 2, d: [1, 2] }, f: null })).toEqual({ b: { c: 2, d: [1, 2] }, e: null, f: null });
  });
});
