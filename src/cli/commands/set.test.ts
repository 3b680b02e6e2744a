// `everynode set image|env|resources` in-process against the fake API (testing/fake-api.ts): the output,
// errors and exit codes kubectl 1.32 gives for the same commands, and the strategic merge
// patches it sends (the expected bodies below were captured from kubectl 1.32 with -v=8 against
// an everynode server holding the same objects).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { runCli } from '../index.js';
import { FakeApi } from '../testing/fake-api.js';
import { memoryIO } from '../testing/memory-io.js';
import { envRefString, fieldPathValue, keyToEnvName, parseImagePairs, parseResourceList, resourceFieldValue, selectString, splitEnvArgs, updateEnv } from './set.js';
import { envNameErrors } from './common.js';

let dir = '';
let api: FakeApi;
let env: Record<string, string>;

async function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = memoryIO(env);
  const io = stdin === undefined ? t : { ...t, stdin: Readable.from([stdin]) };
  const code = await runCli(args, io);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

const container = (name: string, image: string, envVars?: EnvVar[]) => ({ name, image, command: ['sleep', '3600'], ...(envVars ? { env: envVars } : {}) });

/** A DaemonSet as the server serves it (the fields the CLI reads). */
function ds(name: string, containers: unknown[], initContainers?: unknown[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: name }, annotations: { 'deprecated.daemonset.template.generation': '1' } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { ...(initContainers ? { initContainers } : {}), containers } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1 },
  } as unknown as KubeObject;
}

const podRef = { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } };
// `web`: the DaemonSet of the kubectl captures (two containers, one init container).
const web = ds('web', [container('agent', 'busybox:1.36', [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, podRef]), container('side', 'busybox:1.36')], [container('init', 'busybox:1.36')]);
// `withc`: `web` after `set env ds/web C=3`.
const withc = ds('withc', [container('agent', 'busybox:1.36', [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, podRef, { name: 'C', value: '3' }]), container('side', 'busybox:1.36', [{ name: 'C', value: '3' }])], [container('init', 'busybox:1.36', [{ name: 'C', value: '3' }])]);
const xby = ds('xby', [container('agent', 'busybox:1.36', [{ name: 'X', value: '1' }, { name: 'B', value: '5' }, { name: 'Y', value: '2' }]), container('side', 'busybox:1.36')]);
const other = ds('other', [container('agent', 'busybox:1.36')]);
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'default', uid: 'uid-p1', labels: { run: 'p1' } }, spec: { containers: [container('p1', 'busybox:1')] }, status: { phase: 'Running' } } as unknown as KubeObject;
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default' }, spec: { ports: [{ port: 80 }] } } as unknown as KubeObject;

const patches = () => api.requests.filter((q) => q.method === 'PATCH');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-set-'));
  api = await FakeApi.start(dir);
  env = { KUBECONFIG: api.kubeconfigPath };
  api.add(web, withc, xby, other, pod, svc);
});

beforeEach(() => {
  api.requests.length = 0;
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('set image', () => {
  it('patches the containers named and says `image updated`', async () => {
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:1.37'])).toEqual({ code: 0, stdout: 'daemonset.apps/web image updated\n', stderr: '' });
    const [p] = patches();
    expect(p!.path).toBe('/apis/apps/v1/namespaces/default/daemonsets/web');
    expect(p!.query.get('fieldManager')).toBe('everynode-set');
    expect(p!.query.get('dryRun')).toBeNull();
    expect(p!.body).toBe('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"image":"busybox:1.37","name":"agent"}]}}}}');
  });

  it('`*=IMAGE` changes every container, init containers too', async () => {
    expect((await cli(['set', 'image', 'daemonset', 'web', '*=busybox:1.38'])).stdout).toBe('daemonset.apps/web image updated\n');
    expect(patches()[0]!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"$setElementOrder/initContainers":[{"name":"init"}],' +
        '"containers":[{"image":"busybox:1.38","name":"agent"},{"image":"busybox:1.38","name":"side"}],"initContainers":[{"image":"busybox:1.38","name":"init"}]}}}}',
    );
  });

  it('prints and sends nothing when the images are already set', async () => {
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:1.36', 'init=busybox:1.36'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:1.36', '-o', 'yaml'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(patches()).toHaveLength(0);
  });

  it('a container that does not exist is an error; the other changes still go', async () => {
    expect(await cli(['set', 'image', 'ds/web', 'c=x'])).toEqual({ code: 1, stdout: '', stderr: 'error: unable to find container named "c"\n' });
    expect(patches()).toHaveLength(0);
    expect(await cli(['set', 'image', 'ds/web', 'c=x', 'agent=busybox:1.39'])).toEqual({ code: 1, stdout: 'daemonset.apps/web image updated\n', stderr: 'error: unable to find container named "c"\n' });
    expect(patches()).toHaveLength(1);
    // Several failures: one line each, kubectl's aggregate.
    expect((await cli(['set', 'image', 'ds/web', 'ds/other', 'c=x', 'd=y'])).stderr).toBe('error: unable to find container named "c"\nerror: unable to find container named "d"\nerror: unable to find container named "c"\nerror: unable to find container named "d"\n');
  });

  it('refuses kinds without a pod template, naming the Go type (a blank line after each of several)', async () => {
    expect(await cli(['set', 'image', 'svc/svc', 'agent=x'])).toEqual({ code: 1, stdout: '', stderr: 'error: services/svc the object is not a pod or does not have a pod template: *v1.Service\n' });
    expect(await cli(['set', 'image', 'svc/svc', 'ds/other', 'agent=busybox:7'])).toEqual({
      code: 1,
      stdout: 'daemonset.apps/other image updated\n',
      stderr: 'error: services/svc the object is not a pod or does not have a pod template: *v1.Service\n',
    });
    const two = await cli(['set', 'image', 'svc/svc', 'svc/svc', 'agent=x']);
    expect(two.stderr).toBe('error: services/svc the object is not a pod or does not have a pod template: *v1.Service\n\n'.repeat(2));
  });

  it('reads every object first: a missing one fails the command before any change', async () => {
    expect(await cli(['set', 'image', 'ds/web', 'ds/nope', 'agent=x'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): daemonsets.apps "nope" not found\n' });
    expect((await cli(['set', 'image', 'ds/nope1', 'ds/nope2', 'agent=x'])).stderr).toBe('Error from server (NotFound): daemonsets.apps "nope1" not found\nError from server (NotFound): daemonsets.apps "nope2" not found\n');
    expect(patches()).toHaveLength(0);
  });

  it('--dry-run=client prints without sending; --dry-run=server sends with dryRun=All', async () => {
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run'])).toEqual({ code: 0, stdout: 'daemonset.apps/web image updated (dry run)\n', stderr: '' });
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=client', '-o', 'name'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/web\n' });
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=client', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toMatchObject({ code: 0, stdout: 'busybox:3' });
    expect(patches()).toHaveLength(0);
    expect(await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=server'])).toEqual({ code: 0, stdout: 'daemonset.apps/web image updated (server dry run)\n', stderr: '' });
    expect(patches()[0]!.query.get('dryRun')).toBe('All');
    expect((await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=bogus'])).stderr).toBe('error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n');
  });

  it('-o yaml/json print the object as kubectl encodes a typed one', async () => {
    const y = await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=client', '-o', 'yaml']);
    expect(y.code).toBe(0);
    expect(y.stdout).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\nmetadata:\n/);
    expect(y.stdout).toContain('  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n');
    expect(y.stdout).toContain('        image: busybox:3\n        name: agent\n        resources: {}\n');
    const j = await cli(['set', 'image', 'ds/web', 'agent=busybox:3', '--dry-run=client', '-o', 'json']);
    expect(j.stdout).toMatch(/^\{\n {4}"kind": "DaemonSet",\n {4}"apiVersion": "apps\/v1",\n {4}"metadata": \{\n {8}"name": "web",\n {8}"namespace": "default",\n {8}"uid": "uid-web",\n {8}"generation": 1,\n {8}"creationTimestamp": "2026-01-01T00:00:00Z",\n {8}"labels"/);
    const parsed = JSON.parse(j.stdout) as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    expect(Object.keys(parsed.spec.template.spec.containers[0]!)).toEqual(['name', 'image', 'command', 'env', 'resources']);
    // Several objects: YAML documents separated by `---`, JSON objects one after the other.
    const two = await cli(['set', 'image', 'ds', 'web', 'other', 'agent=busybox:4', '--dry-run=client', '-o', 'yaml']);
    expect(two.stdout.split('\n---\n')).toHaveLength(2);
    expect((await cli(['set', 'image', 'ds', 'web', 'other', 'agent=busybox:4', '--dry-run=client', '-o', 'jsonpath-as-json={.metadata.name}'])).stdout).toBe('[\n    "web"\n]\n[\n    "other"\n]\n');
    expect((await cli(['set', 'image', 'ds/web', 'agent=busybox:4', '--dry-run=client', '-o', 'go-template={{.kind}}/{{.metadata.name}}'])).stdout).toBe('DaemonSet/web');
  });

  it('selects with --all and -l as kubectl\'s builder does', async () => {
    expect((await cli(['set', 'image', 'ds', '-l', 'app=other', 'agent=busybox:11'])).stdout).toBe('daemonset.apps/other image updated\n');
    expect(patches().map((p) => p.path)).toEqual(['/apis/apps/v1/namespaces/default/daemonsets/other']);
    expect(await cli(['set', 'image', 'ds', '-l', 'app=nomatch', 'agent=x'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['set', 'image', 'ds', '--all', 'agent=busybox:12', '-o', 'name'])).stdout).toBe('daemonset.apps/web\ndaemonset.apps/withc\ndaemonset.apps/xby\ndaemonset.apps/other\n');
    // Names win over --all.
    expect((await cli(['set', 'image', 'ds/web', '--all', 'agent=busybox:12'])).stdout).toBe('daemonset.apps/web image updated\n');
    expect((await cli(['set', 'image', 'ds', 'web', '-l', 'x=y', 'agent=a'])).stderr).toBe('error: name cannot be provided when a selector is specified\n');
    expect((await cli(['set', 'image', 'ds/web', '-l', 'x=y', 'agent=a'])).stderr).toBe('error: selectors and the all flag cannot be used when passing resource/name arguments\n');
    expect((await cli(['set', 'image', '-l', 'app=web', 'a=b'])).stderr).toBe('error: at least one resource must be specified to use a selector\n');
  });

  it('usage errors, worded as kubectl', async () => {
    const err = async (args: string[]) => {
      const r = await cli(['set', 'image', ...args]);
      expect(r.code).toBe(1);
      return r.stderr;
    };
    expect(await err(['agent=x'])).toBe("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n");
    expect(await err(['ds', 'agent=x'])).toBe('error: resource(s) were provided, but no name was specified\n');
    expect(await err(['ds/web'])).toBe('error: at least one image update is required\n');
    expect(await err(['ds/web', 'a=x', 'a-'])).toBe('error: invalid image format: a-\n');
    expect(await err(['ds', 'agent=x', 'ds/web'])).toBe('error: all resources must be specified before image changes: ds/web\n');
    expect(await err(['ds/web', '*=a', 'b=c'])).toBe('error: all containers are already specified by *, but saw more than one container_name=container_image pairs\n');
    expect(await err(['ds', '--all', '-l', 'x=y'])).toBe('cannot set --all and --selector at the same time\nat least one image update is required\n');
    expect(await err(['bogus/x', 'agent=a'])).toBe('error: the server doesn\'t have a resource type "bogus"\n');
    expect(await err(['ds/web', 'agent=a', '-o', 'wide'])).toBe('error: unable to match a printer suitable for the output format "wide", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n');
    expect(await err(['ds/web', 'agent=a', '-o', 'jsonpath'])).toBe('error: template format specified but no template given\n');
    expect(patches()).toHaveLength(0);
  });

  it('works on pods', async () => {
    expect(await cli(['set', 'image', 'pod/p1', 'p1=busybox:2'])).toEqual({ code: 0, stdout: 'pod/p1 image updated\n', stderr: '' });
    expect(patches()[0]!.body).toBe('{"spec":{"$setElementOrder/containers":[{"name":"p1"}],"containers":[{"image":"busybox:2","name":"p1"}]}}');
  });
});

describe('set resources', () => {
  const all = { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } };
  it('merges limits and requests into every container, init containers too, as kubectl 1.32 sends it', async () => {
    expect(await cli(['set', 'resources', 'ds/web', '--limits=cpu=0.5,memory=128Mi', '--requests=cpu=100m'])).toEqual({ code: 0, stdout: 'daemonset.apps/web resource requirements updated\n', stderr: '' });
    const [p] = patches();
    expect(p!.query.get('fieldManager')).toBe('everynode-set');
    // The shape kubectl 1.32 sent (-v=8) for a DaemonSet with two containers and an init container.
    const r = JSON.stringify(all);
    expect(p!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"$setElementOrder/initContainers":[{"name":"init"}],' +
        `"containers":[{"name":"agent","resources":${r}},{"name":"side","resources":${r}}],"initContainers":[{"name":"init","resources":${r}}]}}}}`,
    );
  });

  it('-c picks containers by name with wildcards; none picked is an error naming the selector', async () => {
    expect((await cli(['set', 'resources', 'ds/web', '-c', 's*', '--requests=memory=64Mi'])).code).toBe(0);
    expect(patches()[0]!.body).toBe('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"name":"side","resources":{"requests":{"memory":"64Mi"}}}]}}}}');
    expect(await cli(['set', 'resources', 'ds/web', '-c', 'nope', '--limits=cpu=1'])).toEqual({ code: 1, stdout: '', stderr: 'error: unable to find container named nope\n' });
  });

  it('refuses what kubectl refuses, with its words', async () => {
    expect(await cli(['set', 'resources', 'ds/web'])).toEqual({ code: 1, stdout: '', stderr: 'error: you must specify an update to requests or limits (in the form of --requests/--limits)\n' });
    expect((await cli(['set', 'resources', 'ds/web', '--limits=cpu'])).stderr).toBe('error: Invalid argument syntax cpu, expected <resource>=<value>\n');
    expect((await cli(['set', 'resources', 'ds/web', '--limits=cpu=1kk'])).stderr).toBe("error: unable to parse quantity's suffix\n");
    expect((await cli(['set', 'resources', 'ds/web', '--limits=memory='])).stderr).toBe("error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n");
    expect((await cli(['set', 'resources', 'service/svc', '--limits=cpu=1'])).stderr).toBe('error: services/svc the object is not a pod or does not have a pod template: *v1.Service\n');
    expect(patches()).toHaveLength(0);
  });

  it('reads quantities as kubectl does: canonical form, last one of a name wins', () => {
    expect(parseResourceList('cpu=0.5,memory=1.5Gi,cpu=2,nvidia.com/gpu=1')).toEqual({ cpu: '2', memory: '1536Mi', 'nvidia.com/gpu': '1' });
    expect(parseResourceList('')).toBeUndefined();
    expect(() => parseResourceList('cpu=1=2')).toThrow('Invalid argument syntax cpu=1=2, expected <resource>=<value>');
  });
});

describe('set env', () => {
  it('adds a variable to every container (init containers too), as kubectl\'s patch', async () => {
    expect(await cli(['set', 'env', 'ds/web', 'C=3'])).toEqual({ code: 0, stdout: 'daemonset.apps/web env updated\n', stderr: '' });
    expect(patches()[0]!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"$setElementOrder/initContainers":[{"name":"init"}],' +
        '"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"B"},{"name":"POD"},{"name":"C"}],"env":[{"name":"C","value":"3"}],"name":"agent"},{"env":[{"name":"C","value":"3"}],"name":"side"}],' +
        '"initContainers":[{"env":[{"name":"C","value":"3"}],"name":"init"}]}}}}',
    );
  });

  it('removes variables: `$patch: delete` elements, and `null` for a list that becomes empty', async () => {
    expect((await cli(['set', 'env', 'ds/withc', 'A-', 'C-'])).stdout).toBe('daemonset.apps/withc env updated\n');
    expect(patches()[0]!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"$setElementOrder/initContainers":[{"name":"init"}],' +
        '"containers":[{"$setElementOrder/env":[{"name":"B"},{"name":"POD"}],"env":[{"$patch":"delete","name":"A"},{"$patch":"delete","name":"C"}],"name":"agent"},{"env":null,"name":"side"}],' +
        '"initContainers":[{"env":null,"name":"init"}]}}}}',
    );
    await cli(['set', 'env', 'ds/web', 'A-', 'B-', 'POD-', '-c', 'agent']);
    expect(patches()[1]!.body).toBe('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"env":null,"name":"agent"}]}}}}');
  });

  it('changes in their new order, then deletions sorted by name; an empty value is left out', async () => {
    await cli(['set', 'env', 'ds/xby', '-c', 'agent', 'X-', 'B-', 'Q=1', 'C=2', 'Y=0']);
    expect(patches()[0]!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"$setElementOrder/env":[{"name":"Y"},{"name":"Q"},{"name":"C"}],' +
        '"env":[{"name":"Y","value":"0"},{"name":"Q","value":"1"},{"name":"C","value":"2"},{"$patch":"delete","name":"B"},{"$patch":"delete","name":"X"}],"name":"agent"}]}}}}',
    );
    await cli(['set', 'env', 'ds/xby', '-c', 'agent', 'Q=1', 'C=1', 'X=9']);
    expect(patches()[1]!.body).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"$setElementOrder/env":[{"name":"X"},{"name":"B"},{"name":"Y"},{"name":"Q"},{"name":"C"}],' +
        '"env":[{"name":"X","value":"9"},{"name":"Q","value":"1"},{"name":"C","value":"1"}],"name":"agent"}]}}}}',
    );
    await cli(['set', 'env', 'ds/xby', '-c', 'side', 'X=']);
    expect(patches()[2]!.body).toBe('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"agent"},{"name":"side"}],"containers":[{"env":[{"name":"X"}],"name":"side"}]}}}}');
  });

  it('-c selects containers with kubectl\'s wildcard; no match is a warning and no change', async () => {
    await cli(['set', 'env', 'ds/web', 'X=1', '-c', '*i*']);
    expect(JSON.parse(patches()[0]!.body!)).toMatchObject({ spec: { template: { spec: { containers: [{ name: 'side' }], initContainers: [{ name: 'init' }] } } } });
    expect(await cli(['set', 'env', 'ds/web', 'X=1', '-c', 'nope'])).toEqual({ code: 0, stdout: '', stderr: 'Warning: DaemonSet/web does not have any containers matching "nope"\n' });
    expect(patches()).toHaveLength(1);
  });

  it('prints and sends nothing when the variables are already set', async () => {
    expect(await cli(['set', 'env', 'ds/web', 'A=1', '-c', 'agent'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['set', 'env', 'ds/web'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(patches()).toHaveLength(0);
  });

  it('--list prints each container\'s variables after the changes given, and sends nothing', async () => {
    expect(await cli(['set', 'env', 'ds/web', '--list'])).toEqual({
      code: 0,
      stdout: '# DaemonSet web, container agent\nA=1\nB=2\n# POD from field path metadata.name\n# DaemonSet web, container side\n# DaemonSet web, container init\n',
      stderr: '',
    });
    expect((await cli(['set', 'env', 'ds/web', '--list', 'C=3', 'A-', '-c', 'agent'])).stdout).toBe('# DaemonSet web, container agent\nB=2\n# POD from field path metadata.name\nC=3\n');
    expect((await cli(['set', 'env', 'ds/web', '--list', '--resolve', '-c', 'agent'])).stdout).toBe('# DaemonSet web, container agent\nA=1\nB=2\nPOD=web\n');
    expect((await cli(['set', 'env', 'pod/p1', '--list'])).stdout).toBe('# Pod p1, container p1\n');
    expect(patches()).toHaveLength(0);
  });

  it('--overwrite=false refuses another value for an existing variable', async () => {
    expect(await cli(['set', 'env', 'ds/web', 'A=2', '--overwrite=false'])).toEqual({ code: 1, stdout: '', stderr: "error: daemonsets/web 'A' already has a value (1), and --overwrite is false\n" });
    expect(await cli(['set', 'env', 'ds/web', 'A=1', '-c', 'agent', '--overwrite=false'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const two = await cli(['set', 'env', 'ds/web', 'ds/other', 'A=2', '--overwrite=false']);
    expect(two).toEqual({ code: 1, stdout: 'daemonset.apps/other env updated\n', stderr: "error: daemonsets/web 'A' already has a value (1), and --overwrite is false\n" });
  });

  it('reads KEY=VALUE lines from stdin for `-`, and -e before the arguments (the first wins)', async () => {
    await cli(['set', 'env', 'ds/other', '-', '-c', 'agent'], 'Q=1\nnot a variable\nR=2\n');
    expect(JSON.parse(patches()[0]!.body!)).toEqual({ spec: { template: { spec: { containers: [{ env: [{ name: 'Q', value: '1' }, { name: 'R', value: '2' }], name: 'agent' }], '$setElementOrder/containers': [{ name: 'agent' }] } } } });
    const r = await cli(['set', 'env', 'ds/other', '-e', 'A=5', 'A=6', '--dry-run=client', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']);
    expect(r.stdout).toBe('[{"name":"A","value":"5"}]');
  });

  it('usage errors, worded as kubectl', async () => {
    const err = async (args: string[]) => {
      const r = await cli(['set', 'env', ...args]);
      expect(r.code).toBe(1);
      return r.stderr;
    };
    expect(await err(['ds/web', '1A=x'])).toBe(`error: "1A" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')\n`);
    expect(await err(['ds/web', '..=x'])).toBe(`error: ".." is not a valid key name: must not be '..'\n`);
    expect(await err(['ds/web', 'A=1', 'A-'])).toBe('error: can not both modify and remove the same environment variable in the same command\n');
    expect(await err(['ds/web', 'A=1', 'ds/other'])).toBe('error: all resources must be specified before environment changes: ds/web A=1 ds/other\n');
    expect(await err(['A=1'])).toBe('error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n');
    expect(await err(['ds', 'A=1'])).toBe('error: resource(s) were provided, but no name was specified\n');
    expect(await err(['ds/web', '--list', '-o', 'yaml'])).toBe('error: --list and --output may not be specified together\n');
    expect(await err(['ds/web', '--keys=a', 'A=1'])).toBe('error: when specifying --keys, a configmap or secret must be provided with --from\n');
    expect(await err(['ds/web', '-e', 'foo'])).toBe('error: unknown environment variable: foo\n');
    expect(await err(['ds', '--all', '-l', 'a=b', 'x=y'])).toBe('error: cannot set --all and --selector at the same time\n');
    expect(await err(['ds', 'nope1', 'nope2', 'a=b'])).toBe('Error from server (NotFound): daemonsets.apps "nope1" not found\nError from server (NotFound): daemonsets.apps "nope2" not found\n');
    expect(await err(['svc/svc', 'A=1'])).toBe('error: services/svc the object is not a pod or does not have a pod template: *v1.Service\n');
    expect(patches()).toHaveLength(0);
  });

  it('-o name, --dry-run=server', async () => {
    expect(await cli(['set', 'env', 'ds/web', 'Z=1', '-o', 'name'])).toEqual({ code: 0, stdout: 'daemonset.apps/web\n', stderr: '' });
    expect(await cli(['set', 'env', 'ds/web', 'Z=1', '--dry-run=server'])).toEqual({ code: 0, stdout: 'daemonset.apps/web env updated (server dry run)\n', stderr: '' });
    expect(patches().map((p) => p.query.get('dryRun'))).toEqual([null, 'All']);
  });
});

describe('set helpers', () => {
  it('selectString keeps kubectl\'s wildcard matching', () => {
    expect(selectString('agent', '*')).toBe(true);
    expect(selectString('agent', 'agent')).toBe(true);
    expect(selectString('agent', 'a*')).toBe(true);
    expect(selectString('side', '*i*')).toBe(true);
    expect(selectString('agent', '*i*')).toBe(false);
    expect(selectString('agent', '*nt')).toBe(true);
    expect(selectString('agent', '*ag')).toBe(false);
  });

  it('updateEnv replaces in place, drops removed names, appends new ones once', () => {
    const existing = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: 'dup' }];
    expect(updateEnv(existing, [{ name: 'A', value: '9' }, { name: 'C', value: '3' }, { name: 'C', value: '4' }], ['B'])).toEqual([
      { name: 'A', value: '9' },
      { name: 'C', value: '3' },
    ]);
  });

  it('splits arguments and parses pairs as kubectl', () => {
    expect(splitEnvArgs(['ds/a', 'ds/b', 'A=1', 'B-', '-'])).toEqual({ resources: ['ds/a', 'ds/b'], envArgs: ['A=1', 'B-', '-'] });
    expect(splitEnvArgs(['ds', 'a', '=x'])).toEqual({ resources: ['ds', 'a', '=x'], envArgs: [] });
    expect([...parseImagePairs(['a=x', 'b=y', 'a=z'])]).toEqual([['a', 'z'], ['b', 'y']]);
    expect(() => parseImagePairs(['a-', '-'])).toThrow('invalid image format: a-, -');
    expect(envNameErrors('..a')).toEqual(["must not start with '..'"]);
    expect(envNameErrors('my.env-name_1')).toEqual([]);
  });

  it('names --from keys and describes references as kubectl', () => {
    expect(keyToEnvName('log.level')).toBe('LOG_LEVEL');
    expect(keyToEnvName('1st')).toBe('1ST');
    expect(envRefString({ configMapKeyRef: { name: 'c', key: 'k' } })).toBe('configmap c, key k');
    expect(envRefString({ secretKeyRef: { name: 's', key: 'k' } })).toBe('secret s, key k');
    expect(envRefString({ resourceFieldRef: { containerName: 'c', resource: 'requests.memory' } })).toBe('resource field c/requests.memory');
    expect(envRefString({})).toBe('invalid valueFrom');
  });

  it('resolves field paths and container resources as kubectl (rounded up by the divisor)', () => {
    const obj = { metadata: { name: 'n', namespace: 'ns', uid: 'u', labels: { b: '2', a: '1' } } } as KubeObject;
    expect(fieldPathValue(obj, 'metadata.name')).toBe('n');
    expect(fieldPathValue(obj, "metadata.labels['a']")).toBe('1');
    expect(fieldPathValue(obj, 'metadata.labels')).toBe('a="1"\nb="2"');
    expect(() => fieldPathValue(obj, 'spec.nodeName')).toThrow('unsupported fieldPath: spec.nodeName');
    const c = { resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m', memory: '64Mi' } } };
    expect(resourceFieldValue({ resource: 'limits.cpu' }, c)).toBe('1');
    expect(resourceFieldValue({ resource: 'limits.cpu', divisor: '1m' }, c)).toBe('250');
    expect(resourceFieldValue({ resource: 'limits.memory', divisor: '1Mi' }, c)).toBe('64');
    expect(resourceFieldValue({ resource: 'requests.memory' }, c)).toBe('67108864');
    expect(resourceFieldValue({ resource: 'limits.ephemeral-storage' }, c)).toBe('0');
    expect(() => resourceFieldValue({ resource: 'limits.gpu' }, c)).toThrow('unsupported container resource : limits.gpu');
  });
});
