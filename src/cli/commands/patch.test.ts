// `everynode patch` in-process against the fake API (testing/fake-api.ts) behind a small
// patching front: the front applies PATCH requests of every type to the fake's objects as the
// server does (api/patch with the kind's schema), keeps the results, records each PATCH, and
// can refuse the next PATCHes with a given Status. Outputs are the ones kubectl 1.32 prints
// for the same commands against a real everynode server (checked by hand and in
// test/e2e/cli-patch-edit.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { runCli } from '../index.js';
import { FakeApi } from '../testing/fake-api.js';
import { memoryIO } from '../testing/memory-io.js';
import { PatchingFront } from '../testing/patching-front.js';
import { goJsonSyntaxError, goQuote, kubectlErrorText, patchBody, readYamlValue } from './patch.js';


let dir = '';
let api: FakeApi;
let front: PatchingFront;

const ds = (name: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1', labels: { app: name } },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1', env: [{ name: 'A', value: '1' }] }] } } },
  }) as unknown as KubeObject;

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'default', uid: 'uid-p1', resourceVersion: '1' }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } } as unknown as KubeObject;

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = memoryIO({ KUBECONFIG: front.kubeconfigPath, ...env });
  const code = await runCli(args, t);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

const invalidStatus = (causes: { field: string; message: string }[]) => ({
  code: 422,
  status: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `DaemonSet.apps "web" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    reason: 'Invalid',
    code: 422,
    details: { name: 'web', group: 'apps', kind: 'DaemonSet', causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-patch-'));
  api = await FakeApi.start(dir);
  api.add(ds('web'), ds('other'), pod);
  front = await PatchingFront.start(api, dir);
});

afterAll(async () => {
  await front.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => front.reset());

describe('patch sends each patch type and says what changed', () => {
  it('strategic (the default): patched, then patched (no change)', async () => {
    const p = '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"busybox:2"}]}}}}';
    expect(await cli(['patch', 'ds', 'web', '-p', p])).toEqual({ code: 0, stdout: 'daemonset.apps/web patched\n', stderr: '' });
    expect(front.patches[0]).toMatchObject({ path: '/apis/apps/v1/namespaces/default/daemonsets/web', contentType: 'application/strategic-merge-patch+json', body: p });
    expect(front.patches[0]!.query.get('fieldManager')).toBe('everynode-patch');
    expect(front.patches[0]!.query.get('dryRun')).toBeNull();
    expect(await cli(['patch', 'ds/web', '-p', p])).toEqual({ code: 0, stdout: 'daemonset.apps/web patched (no change)\n', stderr: '' });
    // The container list merged by name: env stays.
    const got = await cli(['get', 'ds', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name}']);
    expect(got.stdout).toBe('busybox:2 A');
  });

  it('merge and json (any case), with a field manager of choice', async () => {
    expect((await cli(['patch', 'ds/web', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"edge"}}}', '--field-manager', 'me'])).stdout).toBe('daemonset.apps/web patched\n');
    expect(front.patches[0]).toMatchObject({ contentType: 'application/merge-patch+json' });
    expect(front.patches[0]!.query.get('fieldManager')).toBe('me');
    expect((await cli(['patch', 'ds/web', '--type', 'JSON', '-p', '[{"op":"replace","path":"/metadata/labels/tier","value":"core"}]'])).stdout).toBe('daemonset.apps/web patched\n');
    expect(front.patches[1]).toMatchObject({ contentType: 'application/json-patch+json' });
    expect((await cli(['get', 'ds', 'web', '-o', 'jsonpath={.metadata.labels.tier}'])).stdout).toBe('core');
  });

  it('reads YAML patches and --patch-file, sending JSON', async () => {
    expect((await cli(['patch', 'ds', 'other', '-p', 'metadata: {labels: {y: "1", k: two}}'])).code).toBe(0);
    // go-yaml v2: the key `y` is the boolean true.
    expect(JSON.parse(front.patches[0]!.body)).toEqual({ metadata: { labels: { true: '1', k: 'two' } } });
    const file = join(dir, 'p.yaml');
    writeFileSync(file, '- op: add\n  path: /metadata/labels/f\n  value: "1"\n');
    expect(await cli(['patch', 'ds', 'other', '--type', 'json', '--patch-file', file])).toEqual({ code: 0, stdout: 'daemonset.apps/other patched\n', stderr: '' });
    expect(front.patches[1]!.body).toBe('[{"op":"add","path":"/metadata/labels/f","value":"1"}]');
  });

  it('patches a subresource (pods/status) with --subresource', async () => {
    const r = await cli(['patch', 'pod/p1', '--subresource', 'status', '--type', 'merge', '-p', '{"status":{"conditions":[{"type":"Custom","status":"True"}]}}']);
    expect(r).toEqual({ code: 0, stdout: 'pod/p1 patched\n', stderr: '' });
    expect(front.patches[0]!.path).toBe('/api/v1/namespaces/default/pods/p1/status');
    expect(api.requestsTo('/api/v1/namespaces/default/pods/p1/status').some((q) => q.method === 'GET')).toBe(true);
  });

  it('--dry-run=server sends dryRun=All and prints no marker, --dry-run=client sends nothing', async () => {
    const p = '{"metadata":{"labels":{"dry":"1"}}}';
    expect((await cli(['patch', 'ds', 'web', '-p', p, '--dry-run=server'])).stdout).toBe('daemonset.apps/web patched\n');
    expect(front.patches[0]!.query.get('dryRun')).toBe('All');
    expect((await cli(['patch', 'ds', 'web', '-p', p, '--dry-run=client'])).stdout).toBe('daemonset.apps/web patched\n');
    expect((await cli(['patch', 'ds', 'web', '-p', '{"metadata":{"labels":{"app":"web"}}}', '--dry-run'])).stdout).toBe('daemonset.apps/web patched (no change)\n');
    expect(front.patches).toHaveLength(1);
    const y = await cli(['patch', 'ds', 'web', '-p', p, '--dry-run=client', '-o', 'jsonpath={.metadata.labels}']);
    expect(y.stdout).toBe('{"app":"web","dry":"1","tier":"core"}');
  });
});

describe('output formats', () => {
  it('-o name, yaml (keys sorted, no managedFields), jsonpath and go-template', async () => {
    const p = '{"metadata":{"labels":{"o":"1"}}}';
    expect((await cli(['patch', 'ds', 'other', '-p', p, '-o', 'name'])).stdout).toBe('daemonset.apps/other\n');
    const y = await cli(['patch', 'ds', 'other', '-p', p, '-o', 'yaml']);
    expect(y.stdout).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\nmetadata:\n {2}labels:\n {4}app: other\n/);
    expect((await cli(['patch', 'ds', 'other', '-p', p, '-o', 'go-template={{.metadata.name}}'])).stdout).toBe('other');
    const j = await cli(['patch', 'ds', 'other', '-p', p, '-o', 'json']);
    expect(Object.keys(JSON.parse(j.stdout) as object)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('an -o kubectl patch lacks fails after the patch was sent, as kubectl', async () => {
    const r = await cli(['patch', 'ds', 'other', '-p', '{"metadata":{"labels":{"w":"1"}}}', '-o', 'wide']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: unable to match a printer suitable for the output format "wide", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n',
    });
    expect(front.patches).toHaveLength(1);
    expect((await cli(['patch', 'ds', 'other', '-p', '{}', '-o', 'jsonpath'])).stderr).toBe('error: template format specified but no template given\n');
  });
});

describe('errors, worded as kubectl 1.32', () => {
  const usage: [string[], string][] = [
    [['patch', 'ds/web', '-p', ''], 'error: must specify --patch or --patch-file containing the contents of the patch\n'],
    [['patch', 'ds/web', '-p', '{}', '--patch-file', '/dev/null'], 'error: cannot specify --patch and --patch-file together\n'],
    [['patch', 'ds/web', '--type', 'foo', '-p', '{}'], 'error: --type must be one of [json merge strategic], not "foo"\n'],
    [['patch', 'ds', 'web', '--local', '-p', '{}'], 'error: cannot specify --local and server resources\n'],
    [['patch', 'ds', '-p', '{}'], 'error: resource(s) were provided, but no name was specified\n'],
    [['patch', '-p', '{}'], "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n"],
    [['patch', 'ds/web', '--patch-file', '/nonexist'], 'error: unable to read patch file: open /nonexist: no such file or directory\n'],
    [['patch', 'ds/web', '-p', 'a: ['], 'error: unable to parse "a: [": yaml: line 1: did not find expected node content\n'],
    [['patch', 'ds/web', '-p', '[1, 2'], 'error: unable to parse "[1, 2": yaml: line 1: did not find expected \',\' or \']\'\n'],
    [['patch', 'ds/web', '-p', 'a:\n\tb'], 'error: unable to parse "a:\\n\\tb": yaml: line 2: found character that cannot start any token\n'],
    [['patch', 'ds/web', '--dry-run=bogus', '-p', '{}'], 'error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n'],
  ];
  for (const [args, stderr] of usage) {
    it(args.slice(1).join(' '), async () => {
      expect(await cli(args)).toEqual({ code: 1, stdout: '', stderr });
      expect(front.patches).toHaveLength(0);
    });
  }

  it('NotFound objects are reported after the others are patched', async () => {
    expect(await cli(['patch', 'ds', 'nope', '-p', '{}'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): daemonsets.apps "nope" not found\n' });
    const two = await cli(['patch', 'ds', 'nope1', 'web', 'nope2', '-p', '{}']);
    expect(two).toEqual({ code: 1, stdout: 'daemonset.apps/web patched (no change)\n', stderr: 'Error from server (NotFound): daemonsets.apps "nope1" not found\nError from server (NotFound): daemonsets.apps "nope2" not found\n' });
  });

  it('a 422 alone reads `The Kind "name" is invalid`, several as Error from server (Invalid)', async () => {
    front.refusals.push(invalidStatus([{ field: 'spec.minReadySeconds', message: 'Invalid value: -1: must be greater than or equal to 0' }]));
    expect((await cli(['patch', 'ds', 'web', '-p', '{"spec":{"minReadySeconds":-1}}'])).stderr).toBe('The DaemonSet "web" is invalid: spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0\n');
    front.refusals.push(invalidStatus([{ field: 'spec.a', message: 'Invalid value: 1: no' }, { field: 'spec.b', message: 'Invalid value: 2: no' }]));
    expect((await cli(['patch', 'ds', 'web', '-p', '{}'])).stderr).toBe('The DaemonSet "web" is invalid: \n* spec.a: Invalid value: 1: no\n* spec.b: Invalid value: 2: no\n');
    front.refusals.push(invalidStatus([{ field: 'spec.a', message: 'Invalid value: 1: no' }]), invalidStatus([{ field: 'spec.a', message: 'Invalid value: 1: no' }]));
    expect((await cli(['patch', 'ds', 'web', 'web', '-p', '{}'])).stderr).toBe('Error from server (Invalid): DaemonSet.apps "web" is invalid: spec.a: Invalid value: 1: no\n'.repeat(2));
  });

  it('a 415 (strategic merge patch of a custom resource) names the kind', async () => {
    front.refusals.push({ code: 415, status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml', reason: 'UnsupportedMediaType', code: 415 } });
    expect((await cli(['patch', 'ds', 'web', '-p', '{}'])).stderr).toBe(
      'error: application/strategic-merge-patch+json is not supported by apps/v1, Kind=DaemonSet: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml\n',
    );
  });

  it('a local patch (--dry-run=client) fails with kubectl\'s local wording', async () => {
    const cases: [string[], string][] = [
      [['--type', 'json', '-p', '[{"op":"test","path":"/metadata/name","value":"zz"}]'], 'error: testing value /metadata/name failed: test failed\n'],
      [['--type', 'json', '-p', '{"a":1}'], 'error: json: cannot unmarshal object into Go value of type jsonpatch.Patch\n'],
      [['--type', 'json', '-p', '{bad'], "error: invalid character 'b' looking for beginning of object key string\n"],
      [['--type', 'merge', '-p', '{bad'], 'error: Invalid JSON Patch\n'],
      [['--type', 'merge', '-p', '[1]'], 'error: json: cannot unmarshal array into Go value of type unstructured.detector\n'],
      [['-p', '[1]'], 'error: invalid JSON document\n'],
    ];
    for (const [extra, stderr] of cases) expect(await cli(['patch', 'ds', 'web', '--dry-run=client', ...extra]), extra.join(' ')).toEqual({ code: 1, stdout: '', stderr });
    expect(front.patches).toHaveLength(0);
  });
});

describe('-f and --local', () => {
  it('patches the objects a file names without reading them first', async () => {
    const f = join(dir, 'web.yaml');
    writeFileSync(f, 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: web\n');
    expect(await cli(['patch', '-f', f, '-p', '{}'])).toEqual({ code: 0, stdout: 'daemonset.apps/web patched\n', stderr: '' });
    expect(await cli(['patch', 'ds', 'web', '-f', f, '-p', '{}'])).toMatchObject({ code: 1, stderr: 'error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well\n' });
  });

  it('--local patches the file here (no server) and refuses strategic patches of unknown kinds', async () => {
    const f = join(dir, 'local.yaml');
    writeFileSync(f, 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: loc\n---\napiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n');
    const r = await cli(['patch', '-f', f, '--local', '-p', '{"metadata":{"labels":{"a":"b"}}}', '-o', 'name'], { KUBECONFIG: join(dir, 'missing') });
    expect(r).toEqual({ code: 1, stdout: 'daemonset.apps/loc\n', stderr: 'error: strategic merge patch is not supported for example.org/v1, Kind=Gadget locally, try --type merge\n' });
    const m = await cli(['patch', '-f', f, '--local', '--type', 'merge', '-p', '{"metadata":{"labels":{"a":"b"}}}', '-o', 'yaml'], { KUBECONFIG: join(dir, 'missing') });
    expect(m.stdout).toBe('apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  labels:\n    a: b\n  name: loc\napiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  labels:\n    a: b\n  name: g\n');
    expect((await cli(['patch', '-f', f, '--local', '--dry-run=server', '-p', '{}'])).stderr).toBe('error: cannot specify --local and --dry-run=server - did you mean --dry-run=client?\n');
  });
});

describe('helpers', () => {
  it('goJsonSyntaxError words Go\'s json syntax errors', () => {
    expect(goJsonSyntaxError('{"a":1}')).toBeUndefined();
    expect(goJsonSyntaxError('{"a":1')).toBe('unexpected end of JSON input');
    expect(goJsonSyntaxError('{"a":tru}')).toBe("invalid character '}' in literal true (expecting 'e')");
    expect(goJsonSyntaxError('[1,]')).toBe("invalid character ']' looking for beginning of value");
    expect(goJsonSyntaxError('{"a" 1}')).toBe("invalid character '1' after object key");
    expect(goJsonSyntaxError('{"a":1 "b"')).toBe('invalid character \'"\' after object key:value pair');
    expect(goJsonSyntaxError('[1 2]')).toBe("invalid character '2' after array element");
    expect(goJsonSyntaxError('01')).toBe("invalid character '1' after top-level value");
    expect(goJsonSyntaxError('-x')).toBe("invalid character 'x' in numeric literal");
    expect(goJsonSyntaxError('"a\nb"')).toBe("invalid character '\\n' in string literal");
  });

  it('patchBody keeps `{` texts as they are and turns YAML into JSON', () => {
    expect(patchBody('  {bad')).toBe('  {bad');
    expect(patchBody('[1, {a: yes}]')).toBe('[1,{"a":true}]');
    expect(patchBody('')).toBe('null');
    expect(readYamlValue('a: 1\na: 2\n')).toEqual({ a: 2 });
    expect(() => readYamlValue('a: "x')).toThrow('yaml: found unexpected end of stream');
  });

  it('goQuote and kubectlErrorText', () => {
    expect(goQuote('a"b\\\n\u0001é')).toBe('"a\\"b\\\\\\n\\x01é"');
    expect(kubectlErrorText(new ApiError(422, 'Invalid', 'testing value /x failed: test failed', {}))).toBe('The request is invalid: testing value /x failed: test failed');
    expect(kubectlErrorText(new ApiError(422, 'Invalid', 'm'))).toBe('The request is invalid: m');
    expect(kubectlErrorText(new ApiError(404, 'NotFound', 'pods "x" not found'))).toBe('Error from server (NotFound): pods "x" not found');
    expect(kubectlErrorText(new Error('boom'))).toBe('error: boom');
  });
});
