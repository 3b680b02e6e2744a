// The client verbs run in-process (runCli) against a fake API (testing/fake-api.ts): kubectl's
// behaviours a reviewer compared with kubectl 1.32 — pflag-style `-o=name`, several kinds and
// `get all`, --no-headers, managed fields, watch headers, sorted labels, describe's prefix
// fallback and Last State, logs -l / POD CONTAINER / --since, top pod without pods, 401 and
// kubeconfig messages, delete -f errors, and the rollout bar's terminal handling.
import { goValueText } from './printers.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { barLine, fitVisible, visibleLength } from './commands/rollout.js';
import { rfc1123z } from './commands/describe.js';
import { buildProgram, normalizeArgs, runCli, type CliIO } from './index.js';
import { CliContext, csvFields } from './commands/common.js';
import { FakeApi } from './testing/fake-api.js';

type TestIO = CliIO & { out: () => string; errOut: () => string; interrupt?: (s: 'SIGINT' | 'SIGTERM') => void };

function io(env: Record<string, string | undefined>, tty?: { columns: number }): TestIO {
  let out = '';
  let err = '';
  const t: TestIO = {
    stdout: { write: (s: string) => (out += s), ...(tty ? { isTTY: true, columns: tty.columns } : {}) },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from([]),
    isTTY: tty !== undefined,
    env,
    out: () => out,
    errOut: () => err,
    onInterrupt: (handler) => {
      t.interrupt = handler;
      return () => delete t.interrupt;
    },
  };
  return t;
}

const pod = (name: string, labels: Record<string, string>, containers = ['main'], extra: Partial<KubeObject> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, creationTimestamp: '2024-05-01T10:00:00Z' }, spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c, image: 'busybox' })) }, ...extra }) as KubeObject;

const ds = (name: string, status?: Record<string, number>): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, generation: 2, labels: { app: name }, managedFields: [{ manager: 'everynode', operation: 'Apply' }] },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
    status: { observedGeneration: 2, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1, ...status },
  }) as unknown as KubeObject;

let dir = '';
let api: FakeApi;
let env: Record<string, string>;

async function cli(args: string[], e: Record<string, string | undefined> = env): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = io(e);
  const code = await runCli(args, t);
  return { code, stdout: t.out(), stderr: t.errOut() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-verbs-unit-'));
  api = await FakeApi.start(dir);
  env = { KUBECONFIG: api.kubeconfigPath };
  api.add(
    ds('web'),
    pod('web-a', { app: 'web', zeta: '1', alpha: '2' }),
    pod('web-b', { app: 'web' }, ['main', 'side']),
    pod('other', { app: 'other' }),
    {
      ...pod('crashy', { app: 'crashy' }),
      status: {
        phase: 'Running',
        containerStatuses: [{
          name: 'main', ready: false, restartCount: 4, image: 'busybox', imageID: '',
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
          lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: '2024-05-01T10:01:00Z', finishedAt: '2024-05-01T10:01:02Z' } },
        }],
      },
    } as KubeObject,
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sys', namespace: 'kube-system' }, spec: { containers: [{ name: 'main', image: 'x' }] } } as KubeObject,
  );
  api.logs.set('default/web-a/main', 'a1\na2\n');
  api.logs.set('default/web-b/main', 'b1\n');
  api.logs.set('default/web-b/side', 's1\n');
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pflag-style options', () => {
  it('reads -o=x and -n=x as kubectl does', async () => {
    expect(await cli(['get', 'pods', '-o=name', '-l', 'app=web'])).toEqual({ code: 0, stdout: 'pod/web-a\npod/web-b\n', stderr: '' });
    expect(await cli(['get', 'pods', '-n=kube-system', '-o=name'])).toEqual({ code: 0, stdout: 'pod/sys\n', stderr: '' });
    expect(await cli(['-n=kube-system', 'get', 'pods', '-l=app=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in kube-system namespace.\n' });
  });

  it('normalizes by the options of the command being parsed', () => {
    const program = buildProgram(new CliContext(io({})));
    expect(normalizeArgs(['logs', '-f=true', 'x', '-c=main'], program)).toEqual(['logs', '-f', 'x', '-c', 'main']);
    expect(normalizeArgs(['apply', '-f=ds.yaml'], program)).toEqual(['apply', '-f', 'ds.yaml']);
    expect(normalizeArgs(['delete', 'ds', 'x', '--wait=false', '--ignore-not-found=true'], program)).toEqual(['delete', 'ds', 'x', '--no-wait', '--ignore-not-found']);
    expect(normalizeArgs(['label', 'no', 'n', 'a=b', '--overwrite=false'], program)).toEqual(['label', 'no', 'n', 'a=b']);
    expect(normalizeArgs(['get', 'pods', '--no-headers=true', '-A=false'], program)).toEqual(['get', 'pods', '--no-headers']);
    expect(normalizeArgs(['-n', 'logs', 'get', 'po', '--', '-o=x'], program)).toEqual(['-n', 'logs', 'get', 'po', '--', '-o=x']);
  });

  it("splits -f values as pflag's StringSlice reads them (CSV)", async () => {
    expect(csvFields('')).toEqual([]);
    expect(csvFields('a.yaml')).toEqual(['a.yaml']);
    expect(csvFields('a.yaml,b.yaml')).toEqual(['a.yaml', 'b.yaml']);
    expect(csvFields('a,')).toEqual(['a', '']);
    expect(csvFields('"a,b.yaml",c')).toEqual(['a,b.yaml', 'c']);
    expect(csvFields('"say ""hi""",x')).toEqual(['say "hi"', 'x']);
    expect(() => csvFields('a"b')).toThrow('parse error on line 1, column 2: bare " in non-quoted-field');
    // Go's columns: the end for a quote never closed, the closing quote for text after it.
    expect(() => csvFields('"ab')).toThrow('parse error on line 1, column 4: extraneous or missing " in quoted-field');
    expect(() => csvFields('a,"b"c')).toThrow('parse error on line 1, column 5: extraneous or missing " in quoted-field');
    expect(await cli(['get', '-f', 'x,"y'])).toEqual({ code: 1, stdout: '', stderr: `error: invalid argument "x,\\"y" for "-f, --filename" flag: parse error on line 1, column 5: extraneous or missing " in quoted-field\nSee 'everynode get --help' for usage.\n` });
  });
});

describe('get', () => {
  it('prefixes names with the kind and separates the tables when several kinds are printed', async () => {
    const r = await cli(['get', 'ds,pods', '-l', 'app=web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('NAME                 KIND\ndaemonset.apps/web   DaemonSet\n\nNAME        KIND\npod/web-a   Pod\npod/web-b   Pod\n');
    const one = await cli(['get', 'pods', '-l', 'app=web']);
    expect(one.stdout).toBe('NAME    KIND\nweb-a   Pod\nweb-b   Pod\n');
  });

  it('an empty list in json, yaml, name, jsonpath or custom-columns is what the format makes of it, with no "No resources found" (kubectl prints that for tables only)', async () => {
    const json = await cli(['get', 'pods', '-l', 'app=none', '-o', 'json']);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({ apiVersion: 'v1', kind: 'List', items: [], metadata: { resourceVersion: '' } });
    expect(await cli(['get', 'pods', '-l', 'app=none', '-o', 'name'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['get', 'pods', '-l', 'app=none', '-o', 'custom-columns=N:.metadata.name,NODE:.spec.nodeName'])).toEqual({ code: 0, stdout: 'N     NODE\n', stderr: '' });
    expect(await cli(['get', 'pods', '-l', 'app=none', '-o', 'custom-columns=N:.metadata.name', '--no-headers'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['get', 'pods', '-l', 'app=none', '-o', 'jsonpath={.items[*].metadata.name}'])).stderr).toBe('');
  });

  it('-o jsonpath-as-json prints what each part finds as a JSON array; -o jsonpath-file reads the template from a file', async () => {
    expect(await cli(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath-as-json={.items[*].metadata.name}'])).toEqual({ code: 0, stdout: '[\n    "web-a",\n    "web-b"\n]\n', stderr: '' });
    const f = join(dir, 'names.jsonpath');
    writeFileSync(f, '{.items[*].metadata.name}');
    expect(await cli(['get', 'pods', '-l', 'app=web', '-o', `jsonpath-file=${f}`])).toEqual({ code: 0, stdout: 'web-a web-b', stderr: '' });
  });

  it('an empty -n or --namespace= is the context\'s namespace, as kubectl reads it (not every namespace)', async () => {
    for (const flag of [['-n', ''], ['--namespace=']]) {
      const before = api.requests.length;
      const r = await cli(['get', 'pods', '-l', 'app=web', ...flag]);
      expect(r, flag.join(' ')).toEqual({ code: 0, stdout: 'NAME    KIND\nweb-a   Pod\nweb-b   Pod\n', stderr: '' });
      expect(api.requests.slice(before).map((q) => q.path.split('?')[0])).toContain('/api/v1/namespaces/default/pods');
    }
  });

  it('--ignore-not-found: a missing name is no error, and an empty list says nothing, as kubectl', async () => {
    expect(await cli(['get', 'pods', 'nope', '--ignore-not-found'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['get', 'pods', 'nope', 'web-a', '--ignore-not-found', '-o', 'name'])).toEqual({ code: 0, stdout: 'pod/web-a\n', stderr: '' });
    expect(await cli(['get', 'pods', '-l', 'app=none', '--ignore-not-found'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['get', 'pods', 'nope'])).code).toBe(1);
  });

  it('a malformed TYPE/NAME says so, as kubectl', async () => {
    for (const arg of ['ds/', '/web']) expect(await cli(['get', arg])).toEqual({ code: 1, stdout: '', stderr: 'error: arguments in resource/name form must have a single resource and name\n' });
  });

  it('expands the `all` category from discovery, says "No resources found" once, and --no-headers', async () => {
    const r = await cli(['get', 'all', '-l', 'app=web', '--no-headers']);
    expect(r).toEqual({ code: 0, stdout: 'pod/web-a   Pod\npod/web-b   Pod\ndaemonset.apps/web   DaemonSet\n', stderr: '' });
    expect(await cli(['get', 'all', '-l', 'app=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect((await cli(['get', 'all', '-l', 'app=web', '-o', 'name'])).stdout).toBe('pod/web-a\npod/web-b\ndaemonset.apps/web\n');
  });

  it('hides metadata.managedFields in yaml and json unless --show-managed-fields', async () => {
    const y = await cli(['get', 'ds', 'web', '-o', 'yaml']);
    expect(y.stdout).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\n/);
    expect(y.stdout).not.toContain('managedFields');
    expect((await cli(['get', 'ds', '-o', 'json'])).stdout).not.toContain('managedFields');
    expect((await cli(['get', 'ds', 'web', '-o', 'yaml', '--show-managed-fields'])).stdout).toContain('managedFields:\n  - manager: everynode');
  });

  it('writes json with every map key sorted, as kubectl writes the objects of get (compared with kubectl 1.32)', async () => {
    const keysInOrder = (v: unknown): boolean => {
      if (Array.isArray(v)) return v.every(keysInOrder);
      if (typeof v !== 'object' || v === null) return true;
      const keys = Object.keys(v);
      return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(v).every(keysInOrder);
    };
    const one = JSON.parse((await cli(['get', 'ds', 'web', '-o', 'json'])).stdout) as Record<string, unknown>;
    expect(Object.keys(one)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(keysInOrder(one)).toBe(true);
    const list = JSON.parse((await cli(['get', 'ds,pods', '-o', 'json'])).stdout) as Record<string, unknown>;
    expect(Object.keys(list)).toEqual(['apiVersion', 'items', 'kind', 'metadata']);
    expect(keysInOrder(list)).toBe(true);
  });

  it('prints only the error for one missing object in yaml', async () => {
    expect(await cli(['get', 'pod', 'nope', '-o', 'yaml'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
    expect(await cli(['get', 'pod/nope', '-o', 'json'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
  });

  it('-o jsonpath outside an array (or into what is not one) is an error with the data it was given, as kubectl', async () => {
    const r = await cli(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[5].metadata.name}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: error executing jsonpath "\{\.items\[5\]\.metadata\.name\}": Error executing template: array index out of bounds: index 5, length 2\. Printing more information for debugging the template:\n\ttemplate was:\n\t\t\{\.items\[5\]\.metadata\.name\}\n\tobject given to jsonpath engine was:\n\t\tmap\[string\]interface \{\}\{"apiVersion":"v1", "items":\[\]interface \{\}\{map\[string\]interface \{\}\{/);
    expect((await cli(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name[1]}'])).stderr).toContain('Error executing template: string is not array or slice.');
    // Asking for no element is no error; the last element counts from the end.
    expect(await cli(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[1:1].metadata.name}{.items[-1].metadata.name}'])).toEqual({ code: 0, stdout: 'web-b', stderr: '' });
  });

  it('an empty name is refused before any request (a DELETE of `.../pods/` could reach the collection)', async () => {
    const before = api.requests.length;
    expect(await cli(['delete', 'pods', ''])).toEqual({ code: 1, stdout: '', stderr: 'error: resource name may not be empty\n' });
    expect(await cli(['get', 'pods', 'web-a', ''])).toEqual({ code: 1, stdout: '', stderr: 'error: resource name may not be empty\n' });
    expect(api.requests.slice(before).filter((q) => q.method !== 'GET' || q.path.includes('/pods'))).toEqual([]);
    expect((await cli(['cordon', ''])).stderr).toBe('error: resource name may not be empty\n');
  });

  it('-w with several names is an error after their rows; -w with one name not found ends with its error', async () => {
    const several = await cli(['get', 'pods', 'web-a', 'web-b', '-w', '-o', 'name']);
    expect(several).toEqual({ code: 1, stdout: 'pod/web-a\npod/web-b\n', stderr: 'error: you may only watch a single resource or type of resource at a time\n' });
    expect(await cli(['get', 'pods', 'nope', '-w'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
  });

  it('-w on an empty list prints the header with the first row', async () => {
    api.watchEvents = [{ type: 'ADDED', object: { kind: 'Table', columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }, { name: 'Kind', type: 'string' }], rows: [{ cells: ['late-pod', 'Pod'], object: { metadata: { name: 'late-pod' } } }] } }];
    try {
      expect(await cli(['get', 'pods', '-l', 'app=late', '-w'])).toEqual({ code: 0, stdout: 'NAME       KIND\nlate-pod   Pod\n', stderr: '' });
      expect((await cli(['get', 'pods', '-l', 'app=late', '-w', '--no-headers'])).stdout).toBe('late-pod   Pod\n');
    } finally {
      api.watchEvents = [];
    }
  });

  it('sorts labels by key in --show-labels and in describe', async () => {
    expect((await cli(['get', 'pod', 'web-a', '--show-labels'])).stdout).toBe('NAME    KIND   LABELS\nweb-a   Pod    alpha=2,app=web,zeta=1\n');
    const d = await cli(['describe', 'pod', 'web-a']);
    expect(d.stdout).toMatch(/\nLabels: +alpha=2\n +app=web\n +zeta=1\n/);
  });
});

describe('get: watch output, --watch-only, -L, custom-columns, --sort-by', () => {
  const late = { ...pod('late', { app: 'web' }), metadata: { name: 'late', namespace: 'default', labels: { app: 'web' }, resourceVersion: '7' } } as KubeObject;
  const podRequests = () => api.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods');

  async function watching(args: string[], events: { type: string; object: unknown }[] = [{ type: 'ADDED', object: late }]) {
    api.requests.length = 0;
    api.watchEvents = events;
    try {
      return await cli(args);
    } finally {
      api.watchEvents = [];
    }
  }

  it('--output-watch-events: an EVENT column, or each object in its {type, object} event (json on one line), as kubectl 1.32', async () => {
    const lateRow = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', priority: 0 }, { name: 'Kind', type: 'string', format: '', priority: 0 }], rows: [{ cells: ['late', 'Pod'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: late.metadata } }] };
    const table = await watching(['get', 'pods', '-l', 'app=web', '-w', '--output-watch-events'], [{ type: 'MODIFIED', object: lateRow }]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['EVENT NAME', 'ADDED web-a', 'ADDED web-b', 'MODIFIED late', '']);
    expect(table.stdout.split('\n')[1]).toMatch(/^ADDED {6}web-a/);
    const json = await watching(['get', 'pods', '-l', 'app=web', '--watch-only', '--output-watch-events', '-o', 'json'], [{ type: 'DELETED', object: late }]);
    expect(json.stdout.split('\n')).toHaveLength(2);
    expect(json.stdout).toMatch(/^\{"type":"DELETED","object":\{"apiVersion":"v1","kind":"Pod","metadata":\{.*"name":"late"/);
    const yaml = await watching(['get', 'pods', '-l', 'app=web', '--watch-only', '--output-watch-events', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^object:\n {2}apiVersion: v1\n[\s\S]*\ntype: ADDED\n$/);
    const path = await watching(['get', 'pods', '-l', 'app=web', '-w', '--output-watch-events', '-o', 'jsonpath={.type}:{.object.metadata.name} ']);
    expect(path.stdout).toBe('ADDED:web-a ADDED:web-b ADDED:late ');
    // Without -w it changes nothing.
    expect((await cli(['get', 'pods', '-l', 'app=web', '--output-watch-events', '-o', 'name'])).stdout).toBe('pod/web-a\npod/web-b\n');
  });

  it('-w -o yaml prints the listed objects one by one, as yaml documents, and watches from that list', async () => {
    const r = await watching(['get', 'pods', '-l', 'app=web', '-w', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('kind: List');
    const docs = r.stdout.split(/^---\n/m);
    expect(docs.map((d) => /^ {2}name: (\S+)$/m.exec(d)?.[1])).toEqual(['web-a', 'web-b', 'late']);
    expect(r.stdout.startsWith('apiVersion: v1\nkind: Pod\n')).toBe(true);
    // One list, and the watch starts at its resourceVersion (nothing in between is missed).
    const lists = podRequests().filter((q) => q.query.get('watch') !== 'true');
    const watches = podRequests().filter((q) => q.query.get('watch') === 'true');
    expect(lists).toHaveLength(1);
    expect(watches.map((w) => w.query.get('resourceVersion'))).toEqual([String(api.listRevision)]);
  });

  it('-w -o jsonpath / json print each object, never a List', async () => {
    expect((await watching(['get', 'pods', '-l', 'app=web', '-w', '-o', 'jsonpath={.metadata.name}{"\\n"}'])).stdout).toBe('web-a\nweb-b\nlate\n');
    const j = await watching(['get', 'pods', '-l', 'app=web', '-w', '-o', 'json']);
    expect(j.stdout.match(/^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Pod",/gm)).toHaveLength(3);
    expect(j.stdout).not.toContain('"List"');
  });

  it('--watch-only prints the changes alone (the header with the first row)', async () => {
    expect(await watching(['get', 'pods', '-l', 'app=web', '--watch-only', '-o', 'name'])).toEqual({ code: 0, stdout: 'pod/late\n', stderr: '' });
    expect(await watching(['get', 'pods', '-l', 'app=web', '--watch-only', '-o', 'yaml'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^apiVersion: v1\nkind: Pod\n[\s\S]*name: late\n/) });
    const tableEvent = { type: 'ADDED', object: { kind: 'Table', columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }, { name: 'Kind', type: 'string' }], rows: [{ cells: ['late', 'Pod'], object: { metadata: { name: 'late' } } }] } };
    expect(await watching(['get', 'pods', '-l', 'app=web', '--watch-only'], [tableEvent])).toEqual({ code: 0, stdout: 'NAME   KIND\nlate   Pod\n', stderr: '' });
    expect(podRequests().find((q) => q.query.get('watch') === 'true')?.query.get('resourceVersion')).toBe(String(api.listRevision));
  });

  it('-L adds a column per label key, headed by the key\'s last segment', async () => {
    const r = await cli(['get', 'pods', '-l', 'app=web', '-L', 'zeta,app', '-L', 'example.com/tier']);
    expect(r).toEqual({ code: 0, stdout: 'NAME    KIND   ZETA   APP   TIER\nweb-a   Pod    1      web   \nweb-b   Pod           web   \n', stderr: '' });
    expect((await cli(['get', 'pods', '-l', 'app=web', '--label-columns=zeta', '--show-labels'])).stdout).toBe('NAME    KIND   ZETA   LABELS\nweb-a   Pod    1      alpha=2,app=web,zeta=1\nweb-b   Pod           app=web\n');
  });

  it('-o custom-columns prints the given headers and the values of each path', async () => {
    const r = await cli(['get', 'pods', '-l', 'app=web', '-o', 'custom-columns=NAME:.metadata.name,CONTAINERS:.spec.containers[*].name,NODE:{.spec.nodeName},IP:status.podIP']);
    expect(r).toEqual({ code: 0, stdout: 'NAME    CONTAINERS   NODE     IP\nweb-a   main         node-1   <none>\nweb-b   main,side    node-1   <none>\n', stderr: '' });
    expect((await cli(['get', 'pods', '-l', 'app=web', '-o=custom-columns=N:.metadata.name', '--no-headers'])).stdout).toBe('web-a\nweb-b\n');
    expect(await cli(['get', 'pods', '-o', 'custom-columns=bad'])).toEqual({ code: 1, stdout: '', stderr: 'error: unexpected custom-columns spec: bad, expected <header>:<json-path-expr>\n' });
    // Lists and maps print as Go's %v does, as kubectl shows them.
    expect((await cli(['get', 'pods', 'web-a', '-o', 'custom-columns=L:.metadata.labels,C:.spec.containers[0].command', '--no-headers'])).stdout).toBe('map[alpha:2 app:web zeta:1]   <none>\n');
    expect(goValueText({ b: [1, 'x'], a: { c: true } })).toBe('map[a:map[c:true] b:[1 x]]');
    const file = join(dir, 'columns.txt');
    writeFileSync(file, 'NAME        NODE\n.metadata.name   .spec.nodeName\n');
    expect((await cli(['get', 'pods', '-l', 'app=web', '-o', `custom-columns-file=${file}`])).stdout).toBe('NAME    NODE\nweb-a   node-1\nweb-b   node-1\n');
    expect(await watching(['get', 'pods', '-l', 'app=web', '-w', '-o', 'custom-columns=NAME:.metadata.name,V:.metadata.resourceVersion'])).toEqual({ code: 0, stdout: 'NAME    V\nweb-a   <none>\nweb-b   <none>\nlate    7\n', stderr: '' });
  });

  it('--sort-by sorts by the field: missing first, numbers and quantities by value, names by their characters (kubectl 1.32)', async () => {
    const sorted = (name: string, priority: number | undefined, memory: string | undefined): KubeObject =>
      ({
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'sorting' },
        spec: { ...(priority !== undefined ? { priority } : {}), containers: [{ name: 'c', image: 'x', ...(memory ? { resources: { requests: { memory } } } : {}) }] },
      }) as KubeObject;
    api.add(sorted('p-10', 10, '2Gi'), sorted('p-x', undefined, undefined), sorted('p-2', 100, '1Gi'), sorted('p-9', 9, '512Mi'));
    expect((await cli(['get', 'pods', '-n', 'sorting', '-o', 'name', '--sort-by=.metadata.name'])).stdout).toBe('pod/p-10\npod/p-2\npod/p-9\npod/p-x\n');
    api.requests.length = 0;
    expect((await cli(['get', 'pods', '-n', 'sorting', '--sort-by', '{.spec.priority}', '--no-headers'])).stdout).toBe('p-x    Pod\np-9    Pod\np-10   Pod\np-2    Pod\n');
    expect(api.requests.find((q) => q.path === '/api/v1/namespaces/sorting/pods')?.query.get('includeObject')).toBe('Object');
    expect((await cli(['get', 'pods', '-n', 'sorting', '-o', 'custom-columns=N:.metadata.name', '--no-headers', '--sort-by=spec.containers[0].resources.requests.memory'])).stdout).toBe('p-x\np-9\np-2\np-10\n');
    expect(await cli(['get', 'pods', '-n', 'sorting', '--sort-by=.spec.nope'])).toEqual({ code: 1, stdout: '', stderr: 'error: couldn\'t find any field with path "{.spec.nope}" in the list of objects\n' });
  });
});

describe('label --all / -l, apply -R, delete -R', () => {
  it('label --all labels every object of the type; -l those matching; refused ones are reported', async () => {
    const p = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'bulk', labels }, spec: { containers: [] } }) as KubeObject;
    api.add(p('b1', { tier: 'x' }), p('b2', {}));
    expect(await cli(['label', 'pods', '--all', '-n', 'bulk', 'env=prod'])).toEqual({ code: 0, stdout: 'pod/b1 labeled\npod/b2 labeled\n', stderr: '' });
    expect(await cli(['label', 'pods', '-n', 'bulk', '-l', 'env=prod', 'tier=y'])).toEqual({ code: 1, stdout: 'pod/b2 labeled\n', stderr: "error: 'tier' already has a value (x), and --overwrite is false\n" });
    expect((await cli(['get', 'pods', '-n', 'bulk', '-L', 'env,tier', '--no-headers'])).stdout).toBe('b1    Pod   prod   x\nb2    Pod   prod   y\n');
    expect(await cli(['annotate', 'pods', '--all', '-n', 'bulk', 'note-'])).toEqual({ code: 0, stdout: 'pod/b1 annotated\npod/b2 annotated\n', stderr: '' });
    // Nothing selected: nothing printed, as kubectl.
    expect(await cli(['label', 'pods', '-n', 'bulk', '-l', 'nomatch=1', 'x=1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['annotate', 'pods', '--all', '-n', 'empty-ns', 'x=1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    // As kubectl: names win over --all; names and a selector are an error.
    expect(await cli(['label', 'pods', 'b1', '--all', '-n', 'bulk', 'a=b'])).toEqual({ code: 0, stdout: 'pod/b1 labeled\n', stderr: '' });
    expect((await cli(['label', 'pods', 'b1', '-l', 'env=prod', '-n', 'bulk', 'a=b'])).stderr).toBe('error: name cannot be provided when a selector is specified\n');
    expect((await cli(['label', 'pods', '--all', '-l', 'a=b', 'c=d'])).stderr).toBe('error: cannot set --all and --selector at the same time\n');
  });

  it('apply -R and delete -R read the sub-directories too', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: tree-a\n  namespace: tree\n');
    writeFileSync(join(tree, 'sub', 'b.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: tree-b\n  namespace: tree\n');
    writeFileSync(join(tree, 'sub', 'notes.txt'), 'not a manifest');
    // The fake does not apply: each object's error names the file it came from.
    const flat = await cli(['apply', '-f', tree]);
    expect(flat.stderr.match(/error when applying "[^"]+"/g)).toEqual([`error when applying "${join(tree, 'a.yaml')}"`]);
    const deep = await cli(['apply', '-R', '-f', tree]);
    expect(deep.stderr.match(/error when applying "[^"]+"/g)).toEqual([`error when applying "${join(tree, 'a.yaml')}"`, `error when applying "${join(tree, 'sub', 'b.yaml')}"`]);
    api.add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tree-a', namespace: 'tree' } } as KubeObject, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tree-b', namespace: 'tree' } } as KubeObject);
    expect(await cli(['delete', '--recursive', '-f', tree])).toEqual({ code: 0, stdout: 'pod "tree-a" deleted\npod "tree-b" deleted\n', stderr: '' });
  });

  it('delete -f and apply -f go on past an object of a kind the server does not serve, and say so after the others, as kubectl', async () => {
    const f = join(dir, 'unknown-kind.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: uk-a\n  namespace: uk\n---\napiVersion: example.com/v1\nkind: Nope\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: uk-b\n  namespace: uk\n');
    api.add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'uk-a', namespace: 'uk' } } as KubeObject, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'uk-b', namespace: 'uk' } } as KubeObject);
    const mapping = `error: resource mapping not found for name: "x" namespace: "" from "${f}": no matches for kind "Nope" in version "example.com/v1"\nensure CRDs are installed first\n`;
    expect(await cli(['delete', '-f', f])).toEqual({ code: 1, stdout: 'pod "uk-a" deleted\npod "uk-b" deleted\n', stderr: mapping });
    const applied = await cli(['apply', '-f', f]);
    expect(applied.code).toBe(1);
    expect(applied.stderr.endsWith(mapping)).toBe(true);
  });

  it('apply and create write as "everynode", or as the manager --field-manager names', async () => {
    const f = join(dir, 'fm.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: fm\n  namespace: fm\n');
    const managers = async (args: string[], method: string): Promise<(string | null)[]> => {
      api.requests.length = 0;
      await cli(args);
      return api.requests.filter((q) => q.method === method && q.path.startsWith('/api/v1/namespaces/fm/pods')).map((q) => q.query.get('fieldManager'));
    };
    expect(await managers(['apply', '-f', f], 'PATCH')).toEqual(['everynode']);
    expect(await managers(['apply', '--field-manager', 'kubectl', '-f', f], 'PATCH')).toEqual(['kubectl']);
    expect(await managers(['create', '-f', f], 'POST')).toEqual(['everynode']);
    expect(await managers(['create', '-f', f, '--field-manager=me'], 'POST')).toEqual(['me']);
  });
});

describe('describe', () => {
  it('falls back to the objects whose names start with NAME, as kubectl', async () => {
    const d = await cli(['describe', 'pod', 'web']);
    expect(d.code).toBe(0);
    expect([...d.stdout.matchAll(/^Name: +(\S+)$/gm)].map((m) => m[1])).toEqual(['web-a', 'web-b']);
    expect(d.stdout).toMatch(/Events: +<none>\n\n/);
    expect(await cli(['describe', 'pod', 'zzz'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "zzz" not found\n' });
    expect((await cli(['describe', 'pod/web'])).code).toBe(1);
  });

  it('shows a crash-looping container\'s State and Last State as kubectl', async () => {
    const d = await cli(['describe', 'pod', 'crashy']);
    expect(d.code).toBe(0);
    const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const started = re(rfc1123z('2024-05-01T10:01:00Z'));
    const finished = re(rfc1123z('2024-05-01T10:01:02Z'));
    expect(d.stdout).toMatch(new RegExp(
      `\\n {4}State: +Waiting\\n {6}Reason: +CrashLoopBackOff\\n {4}Last State: +Terminated\\n {6}Reason: +Error\\n {6}Exit Code: +3\\n {6}Started: +${started}\\n {6}Finished: +${finished}\\n {4}Ready: +False\\n {4}Restart Count: +4\\n`,
    ));
    expect(rfc1123z('2024-05-01T10:01:00Z')).toMatch(/^Wed, 01 May 2024 \d\d:\d1:00 [+-]\d{4}$/);
  });
});

describe('logs', () => {
  it('-l prints each matching pod in order, --tail=10 unless set, prefixed only with --prefix', async () => {
    api.requests.length = 0;
    const r = await cli(['logs', '-l', 'app=web']);
    expect(r).toEqual({ code: 0, stdout: 'a1\na2\nb1\n', stderr: 'Defaulted container "main" out of: main, side\n' });
    expect(api.requestsTo('/api/v1/namespaces/default/pods/web-a/log')[0]!.query.get('tailLines')).toBe('10');
    const p = await cli(['logs', '-l', 'app=web', '--prefix', '--all-containers', '--tail=-1']);
    expect(p.stdout).toBe('[pod/web-a/main] a1\n[pod/web-a/main] a2\n[pod/web-b/main] b1\n[pod/web-b/side] s1\n');
    expect(api.requestsTo('/api/v1/namespaces/default/pods/web-a/log').at(-1)!.query.get('tailLines')).toBeNull();
    expect(await cli(['logs', '-l', 'app=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect((await cli(['logs', 'web-a', '-l', 'app=web'])).stderr).toBe('error: only a selector (-l) or a POD name is allowed\n');
    const many = await cli(['logs', '-f', '-l', 'app=web', '--all-containers', '--max-log-requests', '2']);
    expect(many).toMatchObject({ code: 1, stderr: 'error: you are attempting to follow 3 log streams, but maximum allowed concurrency is 2, use --max-log-requests to increase the limit\n' });
  });

  it('names every container, init ones too, when it picks the first; not when the default-container annotation names one', async () => {
    api.add(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'with-init', namespace: 'default' }, spec: { initContainers: [{ name: 'setup', image: 'x' }], containers: [{ name: 'app', image: 'x' }] } } as KubeObject,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'annotated', namespace: 'default', annotations: { 'kubectl.kubernetes.io/default-container': 'side' } }, spec: { containers: [{ name: 'main', image: 'x' }, { name: 'side', image: 'x' }] } } as KubeObject,
    );
    api.logs.set('default/with-init/app', 'i1\n');
    api.logs.set('default/annotated/side', 'n1\n');
    expect(await cli(['logs', 'with-init'])).toEqual({ code: 0, stdout: 'i1\n', stderr: 'Defaulted container "app" out of: app, setup (init)\n' });
    expect(await cli(['logs', 'annotated'])).toEqual({ code: 0, stdout: 'n1\n', stderr: '' });
  });

  it('init containers, sidecars and ephemeral containers have logs: -c names them, --all-containers prints them in kubectl\'s order, ds/NAME adds the sidecars', async () => {
    api.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'mc-1', namespace: 'default', labels: { app: 'mc' } },
      spec: {
        nodeName: 'node-1',
        initContainers: [{ name: 'init', image: 'x' }, { name: 'side', image: 'x', restartPolicy: 'Always' }],
        containers: [{ name: 'a', image: 'x' }],
        ephemeralContainers: [{ name: 'debugger', image: 'x' }],
      },
    } as unknown as KubeObject, { ...ds('mc'), metadata: { name: 'mc' }, spec: { selector: { matchLabels: { app: 'mc' } } } } as unknown as KubeObject);
    for (const c of ['init', 'side', 'a', 'debugger']) api.logs.set(`default/mc-1/${c}`, `${c} says hi\n`);
    expect(await cli(['logs', 'mc-1', '-c', 'init'])).toEqual({ code: 0, stdout: 'init says hi\n', stderr: '' });
    expect(await cli(['logs', 'mc-1', 'side'])).toEqual({ code: 0, stdout: 'side says hi\n', stderr: '' });
    expect(await cli(['logs', 'mc-1', '-c', 'debugger'])).toEqual({ code: 0, stdout: 'debugger says hi\n', stderr: '' });
    expect((await cli(['logs', 'mc-1', '--all-containers', '--prefix'])).stdout).toBe(
      '[pod/mc-1/init] init says hi\n[pod/mc-1/side] side says hi\n[pod/mc-1/a] a says hi\n[pod/mc-1/debugger] debugger says hi\n',
    );
    expect((await cli(['logs', 'ds/mc'])).stdout).toBe('[node-1 pod/mc-1/side] side says hi\n[node-1 pod/mc-1/a] a says hi\n');
  });

  it('takes the container as the second argument, and --since / --since-time', async () => {
    api.requests.length = 0;
    expect(await cli(['logs', 'web-b', 'side', '--since=10s'])).toEqual({ code: 0, stdout: 's1\n', stderr: '' });
    const q = api.requestsTo('/api/v1/namespaces/default/pods/web-b/log')[0]!.query;
    expect([q.get('container'), q.get('sinceSeconds')]).toEqual(['side', '10']);
    expect((await cli(['logs', 'web-a', '--since-time=2024-05-01T10:00:00Z'])).code).toBe(0);
    expect(api.requestsTo('/api/v1/namespaces/default/pods/web-a/log')[0]!.query.get('sinceTime')).toBe('2024-05-01T10:00:00Z');
    expect((await cli(['logs', 'web-a', '--since=1m', '--since-time=2024-05-01T10:00:00Z'])).stderr).toBe('error: at most one of `sinceTime` or `sinceSeconds` may be specified\n');
    expect((await cli(['logs', 'web-a', '--since-time=yesterday'])).code).toBe(1);
    expect((await cli(['logs', 'web-b', 'side', '-c', 'main'])).stderr).toBe('error: only one of -c or an inline [CONTAINER] arg is allowed\n');
    expect((await cli(['logs'])).code).toBe(1);
  });

  it('a -c container missing from a selected pod is an error before any output, for -l and ds/NAME', async () => {
    expect(await cli(['logs', '-l', 'app=web', '-c', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'error: container nope is not valid for pod web-a\n' });
    expect(await cli(['logs', 'ds/web', '-c', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'error: container nope is not valid for pod web-a\n' });
    // web-b has `side`, web-a has not: as kubectl, nothing is printed.
    expect(await cli(['logs', '-l', 'app=web', '-c', 'side'])).toEqual({ code: 1, stdout: '', stderr: 'error: container side is not valid for pod web-a\n' });
    expect(await cli(['logs', 'web-a', '-c', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'error: container nope is not valid for pod web-a\n' });
    expect(await cli(['logs', '-l', 'app=web', '-c', 'main'])).toEqual({ code: 0, stdout: 'a1\na2\nb1\n', stderr: '' });
  });
});

describe('messages', () => {
  it('a 401 reads as kubectl\'s "You must be logged in to the server"', async () => {
    const bad = mkdtempSync(join(dir, 'bad-'));
    const other = await FakeApi.start(bad, { token: 'wrong' });
    try {
      expect(await cli(['get', 'ds'], { KUBECONFIG: other.kubeconfigPath })).toEqual({ code: 1, stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)\n' });
    } finally {
      await other.close();
    }
  });

  it('a kubeconfig that is not YAML is one line naming the file', async () => {
    const p = join(dir, 'broken-kubeconfig.yaml');
    writeFileSync(p, 'clusters: [\n  - {name: a\ncontexts: :\n');
    const r = await cli(['get', 'ds'], { KUBECONFIG: p });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: error loading config file "${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}": \\S.*\\n$`));
  });

  it('top pod: no pods is a message on stderr with exit 0; pods without metrics an error naming one older than two minutes', async () => {
    expect(await cli(['top', 'pod', '-l', 'app=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    const old = await cli(['top', 'pod', '-l', 'app=web']);
    expect(old).toMatchObject({ code: 1, stdout: '' });
    expect(old.stderr).toMatch(/^error: Metrics not available for pod default\/web-a, age: \d+h\d+m[\d.]+s\n$/);
    // Across all namespaces kubectl does not look at the pods.
    expect(await cli(['top', 'pod', '-A'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found\n' });
  });

  it('top node: truncated percentages and Mi, millicores rounded up, <unknown> rows for nodes without metrics, --sort-by', async () => {
    const node = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { top: 'yes' } }, status: { allocatable: { cpu: '4', memory: '2Gi' } } }) as KubeObject;
    const metrics = (name: string, cpu: string, memory: string): KubeObject => ({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name, labels: { top: 'yes' } }, usage: { cpu, memory } }) as KubeObject;
    // 3.580000001 cores: 3581m (rounded up), 89.5% -> 89%; 1465000Ki = 1430.7Mi -> 1430Mi, 69.9% -> 69%.
    api.add(node('top-a'), node('top-b'), node('top-c'), metrics('top-a', '3580000001n', '1465000Ki'), metrics('top-c', '100m', '1900Mi'));
    expect(await cli(['top', 'node', '-l', 'top=yes'])).toEqual({
      code: 0,
      stdout:
        'NAME    CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)\n' +
        'top-a   3581m        89%         1430Mi          69%\n' +
        'top-c   100m         2%          1900Mi          92%\n' +
        'top-b   <unknown>    <unknown>   <unknown>       <unknown>\n',
      stderr: '',
    });
    expect((await cli(['top', 'node', '-l', 'top=yes', '--sort-by=memory', '--no-headers'])).stdout.split('\n').map((l) => l.split(' ')[0])).toEqual(['top-c', 'top-a', 'top-b', '']);
    expect((await cli(['top', 'node', '-l', 'top=yes', '--sort-by', 'cpu'])).stdout.split('\n').slice(1, 3).map((l) => l.split(' ')[0])).toEqual(['top-a', 'top-c']);
    expect(await cli(['top', 'node', '--sort-by=name'])).toEqual({ code: 1, stdout: '', stderr: 'error: --sort-by accepts only cpu or memory\n' });
  });

  it('delete -f prefixes a failure with the file', async () => {
    const f = join(dir, 'gone.yaml');
    writeFileSync(f, 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: gone\n');
    expect(await cli(['delete', '-f', f])).toEqual({ code: 1, stdout: '', stderr: `Error from server (NotFound): error when deleting "${f}": daemonsets.apps "gone" not found\n` });
  });
});

describe('rollout status on a terminal', () => {
  it('SIGINT stops the bar, restoring the cursor and line wrap, and exits 130', async () => {
    api.add(ds('rolling'));
    api.holdWatches = true;
    try {
      const t = io(env, { columns: 80 });
      const run = runCli(['rollout', 'status', 'ds/rolling'], t);
      await expect.poll(() => t.interrupt !== undefined && api.requestsTo('/apis/apps/v1/namespaces/default/daemonsets').some((r) => r.query.get('watch') === 'true'), { timeout: 5000 }).toBe(true);
      expect(t.out()).toContain('\u001b[?25l');
      t.interrupt!('SIGINT');
      expect(await run).toBe(130);
      const out = t.out();
      expect(out.lastIndexOf('\u001b[?25h')).toBeGreaterThan(out.lastIndexOf('\u001b[?25l'));
      expect(out.lastIndexOf('\u001b[?7h')).toBeGreaterThan(out.lastIndexOf('\u001b[?7l'));
      expect(out).not.toContain('successfully rolled out');
      expect(t.interrupt).toBeUndefined();
    } finally {
      api.holdWatches = false;
    }
  });

  it('--nodes names each daemon\'s node and why it is not ready (its waiting reason), with --no-watch too', async () => {
    const uid = 'uid-noded';
    const owner = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'noded', uid, controller: true }];
    const daemon = (name: string, node: string, status: Record<string, unknown>) =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'noded', 'controller-revision-hash': 'h1' }, ownerReferences: owner }, spec: { nodeName: node, containers: [{ name: 'main', image: 'x' }] }, status }) as unknown as KubeObject;
    api.add(
      { ...ds('noded'), metadata: { ...(ds('noded').metadata as object), name: 'noded', namespace: 'default', uid } } as KubeObject,
      daemon('noded-a', 'node-1', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
      daemon('noded-b', 'node-2', { phase: 'Running', containerStatuses: [{ name: 'main', ready: false, restartCount: 2, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }),
      daemon('noded-c', 'node-3', { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'CreateContainerError' } } }] }),
    );
    // (The fake API serves no ControllerRevisions, so no pod counts as of the current one.)
    const r = await cli(['rollout', 'status', 'ds/noded', '--nodes', '--no-watch']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Waiting for daemon set "noded" rollout to finish: 1 out of 3 new pods have been updated...\n' +
        '  node node-1: pod noded-a old revision, ready\n' +
        '  node node-2: pod noded-b old revision, CrashLoopBackOff\n' +
        '  node node-3: pod noded-c old revision, Init:CreateContainerError\n',
    );
  });

  it('several targets are each reported in turn, as kubectl visits them', async () => {
    api.add(ds('first'), ds('second', { updatedNumberScheduled: 3, numberAvailable: 3 }));
    const both = 'Waiting for daemon set "first" rollout to finish: 1 out of 3 new pods have been updated...\ndaemon set "second" successfully rolled out\n';
    expect(await cli(['rollout', 'status', 'ds/first', 'ds/second', '--no-watch'])).toEqual({ code: 0, stdout: both, stderr: '' });
    expect(await cli(['rollout', 'status', 'ds', 'first', 'second', '--no-watch'])).toEqual({ code: 0, stdout: both, stderr: '' });
    // One that cannot be read does not stop the others (kubectl's visitor goes on); it is said after them.
    expect(await cli(['rollout', 'status', 'ds/second', 'ds/missing', 'ds/first', '--no-watch'])).toEqual({
      code: 1,
      stdout: 'daemon set "second" successfully rolled out\nWaiting for daemon set "first" rollout to finish: 1 out of 3 new pods have been updated...\n',
      stderr: 'Error from server (NotFound): daemonsets.apps "missing" not found\n',
    });
  });

  it('TERM=dumb gets plain lines, no cursor movement', async () => {
    api.add(ds('dumb'));
    api.holdWatches = true;
    try {
      const t = io({ ...env, TERM: 'dumb' }, { columns: 80 });
      const run = runCli(['rollout', 'status', 'ds/dumb'], t);
      await expect.poll(() => t.interrupt !== undefined && api.requestsTo('/apis/apps/v1/namespaces/default/daemonsets').some((r) => r.query.get('watch') === 'true'), { timeout: 5000 }).toBe(true);
      t.interrupt!('SIGINT');
      expect(await run).toBe(130);
      expect(t.out()).toBe('Waiting for daemon set "dumb" rollout to finish: 1 out of 3 new pods have been updated...\n');
    } finally {
      api.holdWatches = false;
    }
  });

  it('sizes the bar by the visible length and never leaves a colour open', () => {
    const green = (s: string) => `\u001b[32m${s}\u001b[39m`;
    const p = { value: 3, total: 3, available: 3, phase: green('rolled out') };
    // The text around the bar takes 66 columns: from 77 on, the line fits with a bar of 10 or more.
    for (const width of [120, 100, 80, 77]) {
      const line = barLine('daemonset/node-reporter', 1, p, width);
      expect(visibleLength(line), `width ${width}`).toBeLessThanOrEqual(width - 1);
      expect(line, `width ${width}`).toContain(green('rolled out'));
    }
    expect(barLine('daemonset/x', 0.5, p, 200)).toContain(`[${'\u2588'.repeat(15)}${'\u2591'.repeat(15)}]`);
    // Narrower: the line is cut at the visible width; a cut inside the colour closes it.
    const cutInColour = barLine('daemonset/node-reporter', 1, p, 72);
    expect(visibleLength(cutInColour)).toBe(71);
    expect(cutInColour.endsWith('\u001b[32mrolled\u001b[0m')).toBe(true);
    expect(barLine('daemonset/node-reporter', 1, p, 50)).toBe('daemonset/node-reporter [\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588] 3/3 updated ');
    expect(fitVisible(green('abcdef'), 3)).toBe('\u001b[32mabc\u001b[0m');
    expect(fitVisible('plain', 10)).toBe('plain');
  });
});
