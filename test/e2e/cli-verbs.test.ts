// The built `everynode` CLI against a started `everynode server` subprocess: every client verb,
// its output and its exit code on success and on each kind of error. One server for the file;
// each test uses its own object names.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFromKubeconfig, testFetch } from '../helpers/auth.js';
import { runCommand, spawnNode, everynodeBin } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { dsManifest } from '../../src/cli/testing/run-binary.js';
import { useCliSuite } from './cli-suite.js';
import { ensurePki } from '../../src/auth/index.js';

const t = useCliSuite('cli-verbs');
const { cleanup, cli, write } = t;

/** `everynode describe ARGS...`'s output, which must succeed; a `Created on:` time reads `T`. */
async function described(args: string[]): Promise<string> {
  const r = await cli(['describe', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.replace(/^(Created on: +)\S+ \S+ \+0000 UTC$/m, '$1T');
}

describe('everynode CLI verbs', () => {
  it('version and kubeconfig (path, --raw, $KUBECONFIG, --data-dir)', async () => {
    const v = await cli(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\nServer Version: v1\.\d+\.\d+\n$/);
    // -o json|yaml: kubectl's object, the server's /version as it is.
    const j = await cli(['version', '-o', 'json']);
    const info = JSON.parse(j.stdout) as { clientVersion: { gitVersion: string; major: string }; serverVersion: { gitVersion: string; minor: string } };
    expect(info.clientVersion.gitVersion).toBe(v.stdout.split('\n')[0]!.slice('Client Version: '.length));
    expect(info.serverVersion).toMatchObject({ gitVersion: v.stdout.split('\n')[1]!.slice('Server Version: '.length), minor: '32' });
    const y = (await cli(['version', '--client', '-o', 'yaml'])).stdout;
    expect(y).toMatch(/^clientVersion:\n {2}gitVersion: v\d+\.\d+\.\d+\n {2}major: "\d+"\n/);
    expect(y).not.toContain('serverVersion');
    expect(await cli(['version', '-o', 'wide'])).toMatchObject({ code: 1, stderr: "error: --output must be 'yaml' or 'json'\n" });
    const p = await cli(['kubeconfig']);
    expect(p).toMatchObject({ code: 0, stdout: `${t.kc}\n` });
    const raw = await cli(['kubeconfig', '--raw', '--data-dir', join(t.dir, 'data')]);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain(`server: ${t.server.url}`);
    const missing = await cli(['kubeconfig', '--data-dir', join(t.dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: no kubeconfig at ${join(t.dir, 'nope', 'kubeconfig.yaml')}: start a server with "everynode server", or pass --kubeconfig or --data-dir\n`);
  });

  it('apply creates, reports unchanged and configured, reads stdin and directories', async () => {
    const f = write('web.yaml', `${dsManifest('web')}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cli-ns\n`);
    const first = await cli(['apply', '-f', f]);
    expect(first).toMatchObject({ code: 0, stdout: 'daemonset.apps/web created\nnamespace/cli-ns created\n', stderr: '' });
    expect((await cli(['apply', '-f', f])).stdout).toBe('daemonset.apps/web unchanged\nnamespace/cli-ns unchanged\n');
    // A server dry run keeps the resourceVersion either way: it says what the change would do.
    expect((await cli(['apply', '-f', f, '--dry-run=server'])).stdout).toBe('daemonset.apps/web unchanged (server dry run)\nnamespace/cli-ns unchanged (server dry run)\n');
    expect((await cli(['apply', '-f', '-', '--dry-run=server'], { input: dsManifest('web', 'busybox:1.37') })).stdout).toBe('daemonset.apps/web configured (server dry run)\n');
    const piped = await cli(['apply', '-f', '-'], { input: dsManifest('web', 'busybox:1.37') });
    expect(piped).toMatchObject({ code: 0, stdout: 'daemonset.apps/web configured\n' });
    const sub = join(t.dir, 'manifests');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a.yaml'), dsManifest('dir-a'));
    writeFileSync(join(sub, 'b.yml'), dsManifest('dir-b'));
    writeFileSync(join(sub, 'notes.txt'), 'not a manifest');
    expect((await cli(['apply', '-f', sub, '-n', 'cli-ns'])).stdout).toBe('daemonset.apps/dir-a created\ndaemonset.apps/dir-b created\n');
    const got = await cli(['get', 'daemonsets.apps', '-n', 'cli-ns', '-o', 'name']);
    expect(got.stdout).toBe('daemonset.apps/dir-a\ndaemonset.apps/dir-b\n');
  });

  it('apply, patch and get keep a "__proto__" data key (an ordinary key in the binary)', async () => {
    const f = write('proto.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: proto-cm\ndata:\n  __proto__: applied\n  a: b\n');
    expect(await cli(['apply', '-f', f])).toMatchObject({ code: 0, stdout: 'configmap/proto-cm created\n' });
    const data = async (): Promise<unknown> => JSON.parse((await cli(['get', 'configmap', 'proto-cm', '-o', 'json'])).stdout).data;
    const proto = (v: string): unknown => JSON.parse(`{"__proto__":${JSON.stringify(v)},"a":"b"}`);
    expect(await data()).toEqual(proto('applied'));
    expect((await cli(['patch', 'configmap', 'proto-cm', '--type', 'merge', '-p', '{"data":{"__proto__":"patched"}}'])).code).toBe(0);
    expect(await data()).toEqual(proto('patched'));
    expect((await cli(['get', 'configmap', 'proto-cm', '-o', 'yaml'])).stdout).toContain('data:\n  __proto__: patched\n  a: b\n');
  });

  it('apply and create report invalid objects, conflicts and bad files in one line each', async () => {
    const bad = write('bad.yaml', dsManifest('bad').replace('app: bad\n    spec:', 'app: other\n    spec:'));
    const r = await cli(['apply', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // As kubectl's CheckErr prints a 422: the object and its cause.
    expect(r.stderr).toMatch(/^The DaemonSet "bad" is invalid: spec\.template\.metadata\.labels: Invalid value/);
    const f = write('dup.yaml', dsManifest('dup'));
    expect(await cli(['create', '-f', f])).toMatchObject({ code: 0, stdout: 'daemonset.apps/dup created\n' });
    const again = await cli(['create', '-f', f]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`Error from server (AlreadyExists): error when creating "${f}": daemonsets.apps "dup" already exists\n`);
    const broken = await cli(['apply', '-f', write('broken.yaml', 'kind: [unclosed\n')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^error: error parsing .*broken\.yaml: /);
    // A directory with one file that does not parse: the others are applied, the bad one is
    // reported at the end (kubectl's order), exit 1.
    mkdirSync(join(t.dir, 'mixed'), { recursive: true });
    write('mixed/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mixed-a\n');
    write('mixed/b.yaml', 'kind: [unclosed\n');
    write('mixed/c.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mixed-c\n');
    for (const [verb, line] of [['apply', 'created'], ['create', 'created (dry run)'], ['delete', 'deleted']] as const) {
      const mixed = await cli([verb, '-f', join(t.dir, 'mixed'), ...(verb === 'create' ? ['--dry-run=client'] : [])]);
      expect(mixed.code, verb).toBe(1);
      expect(mixed.stdout, verb).toBe(verb === 'delete' ? `configmap "mixed-a" ${line}\nconfigmap "mixed-c" ${line}\n` : `configmap/mixed-a ${line}\nconfigmap/mixed-c ${line}\n`);
      expect(mixed.stderr, verb).toMatch(/^error: error parsing .*mixed\/b\.yaml: [^\n]*\n$/);
    }
    // Field ownership: a label dropped from the manifest goes; one another manager changed is a
    // conflict (one line, with the way out) until --force-conflicts.
    const owned = write('owned.yaml', dsManifest('owned', 'busybox:1.36', '\n    tier: edge\n    team: a'));
    await cli(['apply', '-f', owned]);
    write('owned.yaml', dsManifest('owned', 'busybox:1.36', '\n    team: a'));
    expect((await cli(['apply', '-f', owned])).stdout).toBe('daemonset.apps/owned configured\n');
    const labels = () => cli(['get', 'ds', 'owned', '-o', 'json']).then((g) => (JSON.parse(g.stdout) as { metadata: { labels: Record<string, string> } }).metadata.labels);
    expect(await labels()).toEqual({ app: 'owned', team: 'a' });
    await cli(['label', 'ds', 'owned', 'team=b', '--overwrite']);
    write('owned.yaml', dsManifest('owned', 'busybox:1.36', '\n    team: c'));
    const contested = await cli(['apply', '-f', owned]);
    expect(contested.code).toBe(1);
    expect(contested.stderr.trim().split('\n')).toHaveLength(1);
    expect(contested.stderr).toContain('Apply failed with 1 conflict: conflict with "everynode-label" using apps/v1');
    expect(contested.stderr).toContain('.metadata.labels.team');
    expect(contested.stderr).toContain('--force-conflicts');
    expect((await labels()).team).toBe('b');
    expect(await cli(['apply', '--force-conflicts', '-f', owned])).toMatchObject({ code: 0, stdout: 'daemonset.apps/owned configured\n' });
    expect((await labels()).team).toBe('c');
    const unknownKind = await cli(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n' });
    expect(unknownKind.code).toBe(1);
    expect(unknownKind.stderr).toBe('error: resource mapping not found for name: "w" namespace: "" from "STDIN": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first\n');
  });

  it('apply and create print the resulting objects with -o, and apply takes --server-side', async () => {
    const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;
    // apply -o json: the object as the server answered it (uid, resourceVersion), no managedFields.
    const one = await cli(['apply', '--server-side', '-f', '-', '-o', 'json'], { input: cm('out-a', '1') });
    expect(one.code, one.stderr).toBe(0);
    const a = JSON.parse(one.stdout) as { kind: string; metadata: { name: string; uid?: string; resourceVersion?: string; managedFields?: unknown }; data: Record<string, string> };
    expect(a).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'out-a', namespace: 'default' }, data: { v: '1' } });
    expect(a.metadata.uid).toBeTruthy();
    expect(a.metadata.managedFields).toBeUndefined();
    // Several objects: one List; -o name: one line per object, no operation.
    const two = `${cm('out-a', '2')}---\n${cm('out-b', '1')}`;
    const list = await cli(['apply', '-f', '-', '-o', 'yaml'], { input: two });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    v: "2"\n/);
    expect(list.stdout).toContain('kind: List');
    expect(list.stdout).toContain('name: out-b');
    expect(await cli(['apply', '-f', '-', '-o', 'name'], { input: two })).toMatchObject({ code: 0, stdout: 'configmap/out-a\nconfigmap/out-b\n' });
    expect(await cli(['apply', '-f', '-', '-o', 'jsonpath={.data.v}'], { input: cm('out-a', '3') })).toMatchObject({ code: 0, stdout: '3' });
    // --server-side prints kubectl apply --server-side's word, whatever happened.
    expect(await cli(['apply', '--server-side', '-f', '-'], { input: cm('out-a', '3') })).toMatchObject({ code: 0, stdout: 'configmap/out-a serverside-applied\n' });
    expect(await cli(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: cm('out-a', '4') })).toMatchObject({ code: 0, stdout: 'configmap/out-a serverside-applied (server dry run)\n' });
    expect(await cli(['apply', '-f', '-'], { input: cm('out-a', '3') })).toMatchObject({ code: 0, stdout: 'configmap/out-a unchanged\n' });
    // create: each object as it is created; yaml documents separated by ---.
    const created = await cli(['create', '-f', '-', '-o', 'yaml'], { input: `${cm('out-c', '1')}---\n${cm('out-d', '1')}` });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.split(/^---$/m)).toHaveLength(2);
    expect(created.stdout).toMatch(/name: out-c[\s\S]*name: out-d/);
    expect(created.stdout).toMatch(/uid: /);
    expect(await cli(['create', '-f', '-', '-o', 'name'], { input: cm('out-e', '1') })).toMatchObject({ code: 0, stdout: 'configmap/out-e\n' });
    const dry = await cli(['create', '-f', '-', '-o', 'json', '--dry-run=client'], { input: cm('out-f', '1') });
    expect(JSON.parse(dry.stdout)).toMatchObject({ metadata: { name: 'out-f', namespace: 'default' } });
    // A format neither knows: refused before anything is sent.
    const bad = await cli(['create', '-f', '-', '-o', 'wide'], { input: cm('out-g', '1') });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unable to match a printer suitable for the output format "wide"/);
    expect((await cli(['get', 'cm', 'out-g'])).code).toBe(1);
  });

  it('get --chunk-size lists in pages of that many (500 by default, 0: one request), tables and objects alike', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: chunks\n' });
    const cms = [1, 2, 3, 4, 5].map((i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: chunks\n`).join('---\n');
    expect((await cli(['apply', '-f', '-'], { input: cms })).code).toBe(0);
    const names = 'configmap/cm-1\nconfigmap/cm-2\nconfigmap/cm-3\nconfigmap/cm-4\nconfigmap/cm-5\nconfigmap/kube-root-ca.crt\n';
    expect(await cli(['get', 'cm', '-n', 'chunks', '--chunk-size', '2', '-o', 'name'])).toMatchObject({ code: 0, stdout: names });
    const table = await cli(['get', 'cm', '-n', 'chunks', '--chunk-size=4']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').filter((l) => l.startsWith('cm-') || l.startsWith('kube-root'))).toHaveLength(6);
    expect(table.stdout.match(/^NAME /gm)).toHaveLength(1);
    expect(await cli(['get', 'cm', '-n', 'chunks', '--chunk-size', '0', '-o', 'name'])).toMatchObject({ code: 0, stdout: names });
    expect(await cli(['get', 'cm', '-n', 'chunks', '--chunk-size', 'x'])).toMatchObject({ code: 1, stderr: 'error: invalid argument "x" for "--chunk-size" flag: strconv.ParseInt: parsing "x": invalid syntax\n' });
    // The requests, as a recording proxy in front of the server saw them: 3 pages of 2, 2 pages of 4 (a table), one whole list.
    const seen: string[] = [];
    const creds = credentialsFromKubeconfig(t.kc);
    const proxy = createHttpServer((req, res) => {
      seen.push(req.url ?? '');
      const up = httpsRequest(new URL(req.url ?? '/', t.server.url), { method: req.method, headers: { ...req.headers, host: new URL(t.server.url).host }, ca: creds.caPem }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanup.defer(() => new Promise<void>((resolve) => proxy.close(() => resolve())), 'recording proxy');
    const via = write('via-proxy.yaml', `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${(proxy.address() as { port: number }).port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: ${creds.token}\n`);
    const lists = (): string[] => seen.splice(0).filter((u) => u.startsWith('/api/v1/namespaces/chunks/configmaps'));
    expect(await cli(['get', 'cm', '-n', 'chunks', '--chunk-size', '2', '-o', 'name'], { kubeconfig: via })).toMatchObject({ code: 0, stdout: names });
    const pages = lists();
    expect(pages).toHaveLength(3);
    expect(pages.every((u) => u.includes('limit=2'))).toBe(true);
    expect(pages.filter((u) => u.includes('continue='))).toHaveLength(2);
    expect((await cli(['get', 'cm', '-n', 'chunks', '--chunk-size=4'], { kubeconfig: via })).code).toBe(0);
    const tablePages = lists();
    expect(tablePages.map((u) => u.includes('limit=4')), tablePages.join(' ')).toEqual([true, true]);
    expect((await cli(['get', 'cm', '-n', 'chunks', '--chunk-size=0', '-o', 'json'], { kubeconfig: via })).code).toBe(0);
    expect(lists().map((u) => u.includes('limit='))).toEqual([false]);
    expect((await cli(['get', 'cm', '-n', 'chunks'], { kubeconfig: via })).code).toBe(0);
    expect(lists().map((u) => u.includes('limit=500'))).toEqual([true]);
  });

  it('get prints tables, wide columns, all namespaces, labels and every -o format', async () => {
    await cli(['apply', '-f', write('tbl.yaml', dsManifest('tbl', 'busybox:1.36', '\n    tier: edge'))]);
    const t = await cli(['get', 'ds', 'tbl']);
    expect(t.code).toBe(0);
    const [header, row] = t.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(row).toMatch(/^tbl\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+<none>\s+\S+$/);
    const wide = await cli(['get', 'ds/tbl', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide.stdout.split('\n')[1]).toMatch(/agent\s+busybox:1\.36\s+app=tbl$/);
    const all = await cli(['get', 'daemonset', '-A', '-l', 'tier=edge', '--show-labels']);
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+.*\s+LABELS\ndefault\s+tbl\s+.*app=tbl,tier=edge\n$/);
    const yaml = await cli(['get', 'ds', 'tbl', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\nmetadata:\n/);
    const json = JSON.parse((await cli(['get', 'ds', '-l', 'tier=edge', '-o', 'json'])).stdout) as { kind: string; items: { kind: string; metadata: { name: string } }[] };
    expect(json.kind).toBe('List');
    expect(json.items.map((i) => [i.kind, i.metadata.name])).toEqual([['DaemonSet', 'tbl']]);
    const jp = await cli(['get', 'ds', 'tbl', '-o', 'jsonpath={.metadata.name}:{.spec.template.spec.containers[*].image}']);
    expect(jp).toMatchObject({ code: 0, stdout: 'tbl:busybox:1.36' });
    const range = await cli(['get', 'ns', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}', '--field-selector', 'metadata.name=kube-system']);
    expect(range.stdout).toBe('kube-system\n');
    const none = await cli(['get', 'ds', '-l', 'tier=nowhere']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  });

  it('get several kinds and `all` as kubectl: kind-prefixed names, -o=name, no managed fields unless asked', async () => {
    await cli(['apply', '-f', write('kinds.yaml', dsManifest('kinds', 'busybox:1.36', '\n    kinds: me'))]);
    const all = await cli(['get', 'all', '-l', 'kinds=me', '-n=default']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^NAME\s+DESIRED\s.*\ndaemonset\.apps\/kinds\s+\d/);
    const two = await cli(['get', 'po,ds', '-l', 'kinds=me', '--no-headers']);
    expect(two.stdout).toMatch(/^daemonset\.apps\/kinds\s+\d[^\n]*\n$/);
    expect(await cli(['get', 'pods,ds', '-l', 'kinds=me', '-o=name'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/kinds\n' });
    const y = await cli(['get', 'ds', 'kinds', '-o', 'yaml']);
    expect(y.stdout).toMatch(/^apiVersion: apps\/v1\n/);
    expect(y.stdout).not.toContain('managedFields');
    expect((await cli(['get', 'ds', 'kinds', '-o=yaml', '--show-managed-fields'])).stdout).toMatch(/\n {2}managedFields:\n/);
  });

  it('get --raw prints the answer of a GET as it comes; a failure is the server\'s error', async () => {
    expect(await cli(['get', '--raw', '/healthz'])).toEqual({ code: 0, stdout: 'ok', stderr: '' });
    expect(JSON.parse((await cli(['get', '--raw', '/version'])).stdout).minor).toBe('32');
    expect(await cli(['get', '--raw', '/api/v1/namespaces/default/configmaps/raw-nope'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): configmaps "raw-nope" not found\n' });
    expect(await cli(['get', 'cm', '--raw', '/healthz'])).toEqual({ code: 1, stdout: '', stderr: 'error: arguments may not be passed when --raw is specified\n' });
  });

  it('get reports not found, unknown types and bad flags with exit 1', async () => {
    const nf = await cli(['get', 'ds', 'missing']);
    expect(nf).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): daemonsets.apps "missing" not found\n' });
    const po = await cli(['get', 'po/missing', '-o', 'yaml']);
    expect(po).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "missing" not found\n' });
    const type = await cli(['get', 'frobs']);
    expect(type).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "frobs"\n' });
    const fmt = await cli(['get', 'ds', '-o', 'xml']);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toMatch(/^error: unable to match a printer suitable for the output format "xml"/);
    const sel = await cli(['get', 'pods', '--field-selector', 'spec.bogus=1']);
    expect(sel.code).toBe(1);
    expect(sel.stderr).toMatch(/^Error from server \(BadRequest\): /);
    const usage = await cli(['get', 'ds', '--no-such-flag']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('a name not found in a namespace that does not exist is said to be the namespace, by every verb that reads it first (as kubectl\'s builder)', async () => {
    const ns = ['-n', 'no-such-ns'];
    const gone = 'Error from server (NotFound): namespaces "no-such-ns" not found\n';
    for (const args of [
      ['get', 'ds', 'x'],
      ['get', 'ds/x', '-o', 'yaml'],
      ['describe', 'ds', 'x'],
      ['label', 'ds', 'x', 'a=b'],
      ['annotate', 'ds/x', 'a=b'],
      ['set', 'image', 'ds/x', 'c=busybox'],
      ['rollout', 'status', 'ds/x'],
      ['rollout', 'history', 'ds/x'],
      ['patch', 'ds', 'x', '-p', '{}'],
      ['edit', 'ds/x'],
    ]) {
      expect(await cli([...args, ...ns]), args.join(' ')).toMatchObject({ code: 1, stdout: '', stderr: gone });
    }
    // `delete` does not read first: the object is what is missing.
    expect(await cli(['delete', 'ds', 'x', ...ns])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): daemonsets.apps "x" not found\n' });
    expect(await cli(['logs', 'ds/x', ...ns])).toMatchObject({ code: 1, stderr: 'error: error from server (NotFound): namespaces "no-such-ns" not found in namespace "no-such-ns"\n' });
    // In `default`, or a namespace that exists, the object is what is missing.
    expect(await cli(['get', 'ds', 'x', '-n', 'kube-system'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): daemonsets.apps "x" not found\n' });
    // With --ignore-not-found, a missing namespace is not an error either.
    expect(await cli(['get', 'ds', 'x', '--ignore-not-found', ...ns])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('get reads every name first and says what failed after the output; names get their kind only when what was read holds several kinds', async () => {
    expect((await cli(['create', 'configmap', 'read-first'])).code).toBe(0);
    const r = await cli(['get', 'cm/read-first', 'cm/ghost', 'ds/ghost']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^NAME +DATA +AGE\nread-first +0 +\S+\n$/);
    expect(r.stderr).toBe('Error from server (NotFound): configmaps "ghost" not found\nError from server (NotFound): daemonsets.apps "ghost" not found\n');
    const both = await cli(['get', 'cm/read-first', 'ns/default', '-o', 'name']);
    expect(both).toMatchObject({ code: 0, stdout: 'configmap/read-first\nnamespace/default\n' });
  });

  it('get -w prints a row for each change', async () => {
    await cli(['apply', '-f', write('w1.yaml', dsManifest('watch-a', 'busybox:1.36', '\n    watch: me'))]);
    const w = spawnNode(cleanup, [everynodeBin, 'get', 'ds', '-l', 'watch=me', '-w'], { env: { ...process.env, KUBECONFIG: t.kc, NO_COLOR: '1' } });
    await waitFor(() => /NAME\s+DESIRED[^\n]*\nwatch-a\s/.test(w.output()), { message: 'the initial table' });
    await cli(['apply', '-f', write('w2.yaml', dsManifest('watch-b', 'busybox:1.36', '\n    watch: me'))]);
    await waitFor(() => /\nwatch-b\s+\d/.test(w.output()), { message: 'a row for watch-b' });
    await w.stop(1000);
  });

  it('describe shows the object, its pod template and its events', async () => {
    await cli(['apply', '-f', write('desc.yaml', dsManifest('desc'))]);
    const uid = (await cli(['get', 'ds', 'desc', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const event = `apiVersion: v1\nkind: Event\nmetadata:\n  name: desc.1\ninvolvedObject:\n  apiVersion: apps/v1\n  kind: DaemonSet\n  name: desc\n  namespace: default\n  uid: ${uid}\nreason: SuccessfulCreate\nmessage: "Created pod: desc-abcde"\ntype: Normal\nsource:\n  component: daemonset-controller\ncount: 1\nfirstTimestamp: "${new Date().toISOString().replace(/\.\d+Z/, 'Z')}"\nlastTimestamp: "${new Date().toISOString().replace(/\.\d+Z/, 'Z')}"\n`;
    expect((await cli(['create', '-f', '-'], { input: event })).code).toBe(0);
    const d = await cli(['describe', 'ds', 'desc']);
    expect(d.code).toBe(0);
    // As kubectl 1.32: no Namespace line for a DaemonSet.
    expect(d.stdout).toMatch(/^Name:\s+desc\nSelector:\s+app=desc\n/);
    expect(d.stdout).toMatch(/\nPods Status:\s+0 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed\n/);
    expect(d.stdout).toMatch(/\n {3}agent:\n {4}Image:\s+busybox:1\.36\n/);
    expect(d.stdout).toMatch(/\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----.*\n\s+Normal\s+SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: desc-abcde\n/);
    const nf = await cli(['describe', 'ds/ghost']);
    expect(nf).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): daemonsets.apps "ghost" not found\n' });
    // kubectl's Namespace and ServiceAccount layouts.
    expect((await cli(['create', 'ns', 'desc-ns'])).code).toBe(0);
    expect(await cli(['describe', 'ns', 'desc-ns'])).toEqual({
      code: 0,
      stdout: 'Name:         desc-ns\nLabels:       kubernetes.io/metadata.name=desc-ns\nAnnotations:  <none>\nStatus:       Active\n\nNo resource quota.\n\nNo LimitRange resource.\n',
      stderr: '',
    });
    expect((await cli(['create', 'secret', 'generic', 'pull', '-n', 'desc-ns'])).code).toBe(0);
    expect((await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n  namespace: desc-ns\nimagePullSecrets:\n- name: pull\n- name: gone\n' })).code).toBe(0);
    expect(await cli(['describe', 'sa', 'agent', '-n', 'desc-ns'])).toEqual({
      code: 0,
      stdout:
        'Name:                agent\nNamespace:           desc-ns\nLabels:              <none>\nAnnotations:         <none>\n' +
        'Image pull secrets:  pull\n                     gone (not found)\nMountable secrets:   <none>\nTokens:              <none>\nEvents:              <none>\n',
      stderr: '',
    });
    // kubectl's Service layout: each port with its target and endpoints (none: no slices for a service without a selector).
    expect((await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: desc-ns\nspec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n' })).code).toBe(0);
    const svc = await cli(['describe', 'svc', 'web', '-n', 'desc-ns']);
    expect(svc.code, svc.stderr).toBe(0);
    expect(svc.stdout.replace(/\d+\.\d+\.\d+\.\d+/g, 'IP')).toBe(
      'Name:                     web\nNamespace:                desc-ns\nLabels:                   <none>\nAnnotations:              <none>\nSelector:                 <none>\n' +
        'Type:                     ClusterIP\nIP Family Policy:         SingleStack\nIP Families:              IPv4\nIP:                       IP\nIPs:                      IP\n' +
        'Port:                     http  80/TCP\nTargetPort:               8080/TCP\nEndpoints:                <none>\nSession Affinity:         None\nInternal Traffic Policy:  Cluster\nEvents:                   <none>\n',
    );
  });

  it('describe shows NetworkPolicies and StorageClasses in kubectl 1.32\'s layouts, byte for byte', async () => {
    const manifest = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: full, namespace: default, labels: {a: b}}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchLabels: {role: fe}}
      namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [xa, yb]}]}
    - ipBlock: {cidr: 10.0.0.0/8}
    ports:
    - {port: http}
    - {protocol: SCTP}
  - {}
  egress:
  - ports: [{port: 53, protocol: UDP}, {port: 8000, endPort: 9000}]
    to:
    - namespaceSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: default}
spec:
  podSelector: {matchLabels: {xk: yv}}
  policyTypes: [Egress]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: describe-nfs
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: nfs.csi.k8s.io
parameters: {server: nfs-server, share: /}
mountOptions: [nfsvers=4.1, hard]
allowedTopologies:
- matchLabelExpressions:
  - {key: topology.kubernetes.io/zone, values: [a, b]}
  - {key: rack, values: [r1]}
- matchLabelExpressions:
  - {key: topology.kubernetes.io/zone, values: [c]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: describe-plain}
provisioner: example.com/p
allowVolumeExpansion: false
`;
    expect((await cli(['create', '-f', '-'], { input: manifest })).code).toBe(0);
    expect(await described(['netpol', 'full'])).toBe(
      'Name:         full\nNamespace:    default\nCreated on:   T\nLabels:       a=b\nAnnotations:  <none>\nSpec:\n' +
        '  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n' +
        '  Allowing ingress traffic:\n    To Port: http/TCP\n    To Port: <nil>/SCTP\n    From:\n      NamespaceSelector: team in (xa,yb)\n      PodSelector: role=fe\n' +
        '    From:\n      IPBlock:\n        CIDR: 10.0.0.0/8\n        Except: \n    ----------\n    To Port: <any> (traffic allowed to all ports)\n    From: <any> (traffic not restricted by source)\n' +
        '  Allowing egress traffic:\n    To Port: 53/UDP\n    To Port Range: 8000-9000/TCP\n    To:\n      NamespaceSelector: <none>\n    To:\n      IPBlock:\n        CIDR: 10.0.0.0/8\n        Except: 10.1.0.0/16, 10.2.0.0/16\n' +
        '  Policy Types: Ingress, Egress\n',
    );
    expect(await described(['netpol', 'egress-only'])).toBe(
      'Name:         egress-only\nNamespace:    default\nCreated on:   T\nLabels:       <none>\nAnnotations:  <none>\nSpec:\n  PodSelector:     xk=yv\n' +
        '  Not affecting ingress traffic\n  Allowing egress traffic:\n    <none> (Selected pods are isolated for egress connectivity)\n  Policy Types: Egress\n',
    );
    expect(await described(['sc', 'describe-nfs'])).toBe(
      'Name:                  describe-nfs\nIsDefaultClass:        Yes\nAnnotations:           storageclass.kubernetes.io/is-default-class=true\nProvisioner:           nfs.csi.k8s.io\nParameters:            server=nfs-server,share=/\nAllowVolumeExpansion:  <unset>\nMountOptions:\n  nfsvers=4.1\n  hard\nReclaimPolicy:      Delete\nVolumeBindingMode:  Immediate\nAllowedTopologies:  \n  Term 0:           topology.kubernetes.io/zone in [a, b]\n                    rack in [r1]\n  Term 1:           topology.kubernetes.io/zone in [c]\nEvents:             <none>\n',
    );
    expect(await described(['sc', 'describe-plain'])).toBe(
      'Name:                  describe-plain\nIsDefaultClass:        No\nAnnotations:           <none>\nProvisioner:           example.com/p\nParameters:            <none>\nAllowVolumeExpansion:  False\nMountOptions:          <none>\nReclaimPolicy:         Delete\nVolumeBindingMode:     Immediate\nEvents:                <none>\n',
    );
  });

  it('describe shows Ingresses (their backends\' endpoints) and IngressClasses in kubectl 1.32\'s layouts, byte for byte', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: desc-ing}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: desc-ing}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9090}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: desc-ing, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]
endpoints: [{addresses: [10.1.0.1]}, {addresses: [10.1.0.2]}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: describe-edge, labels: {tier: edge}}
spec:
  controller: example.com/edge
  parameters: {apiGroup: k8s.example.com, kind: EdgeParams, name: lb}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: full, namespace: desc-ing, labels: {a: b}, annotations: {note: "z"}}
spec:
  ingressClassName: describe-edge
  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}
  tls:
  - {hosts: [a.example.com, b.example.com], secretName: tls-a}
  - {hosts: [c.example.com]}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /m, pathType: Prefix, backend: {service: {name: web, port: {name: metrics}}}}
      - {path: /none, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
  - http:
      paths:
      - {pathType: ImplementationSpecific, backend: {resource: {kind: Bucket, name: b}}}
  - host: nohttp.example.com
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: only-default, namespace: desc-ing}
spec:
  ingressClassName: describe-edge
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;
    expect((await cli(['create', '-f', '-'], { input: manifest })).code).toBe(0);
    const status = '{"status":{"loadBalancer":{"ingress":[{"hostname":"lb.example.com"},{"ip":"192.0.2.9"}]}}}';
    expect((await cli(['patch', 'ingress', 'only-default', '-n', 'desc-ing', '--subresource=status', '--type=merge', '-p', status])).code).toBe(0);
    expect(await described(['-n', 'desc-ing', 'ingress', 'full'])).toBe(
      'Name:             full\nLabels:           a=b\nNamespace:        desc-ing\nAddress:          \nIngress Class:    describe-edge\nDefault backend:  APIGroup: k8s.example.com, Kind: Bucket, Name: static\n' +
        'TLS:\n  tls-a terminates a.example.com,b.example.com\n  SNI routes c.example.com\nRules:\n  Host           Path  Backends\n  ----           ----  --------\n  a.example.com  \n' +
        '                 /       web:80 (10.1.0.1:8080,10.1.0.2:8080)\n                 /m      web:metrics (10.1.0.1:9090,10.1.0.2:9090)\n' +
        '                 /none   missing:80 (<error: services "missing" not found>)\n  *              \n                    APIGroup: <none>, Kind: Bucket, Name: b\n' +
        'Annotations:     note: z\nEvents:          <none>\n',
    );
    expect(await described(['-n', 'desc-ing', 'ingress', 'only-default'])).toBe(
      'Name:             only-default\nLabels:           <none>\nNamespace:        desc-ing\nAddress:          192.0.2.9,lb.example.com\nIngress Class:    describe-edge\n' +
        'Default backend:  web:80 (10.1.0.1:8080,10.1.0.2:8080)\nRules:\n  Host        Path  Backends\n  ----        ----  --------\n  *           *     web:80 (10.1.0.1:8080,10.1.0.2:8080)\n' +
        'Annotations:  <none>\nEvents:       <none>\n',
    );
    expect(await described(['ingressclass', 'describe-edge'])).toBe(
      'Name:         describe-edge\nLabels:       tier=edge\nAnnotations:  <none>\nController:   example.com/edge\nParameters:\n  APIGroup:  k8s.example.com\n  Kind:      EdgeParams\n  Name:      lb\nEvents:      <none>\n',
    );
  });

  it('describe shows a LimitRange, and a namespace\'s LimitRanges merged in one table, in kubectl 1.32\'s layouts, byte for byte', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: desc-lr}
---
apiVersion: v1
kind: LimitRange
metadata: {name: a, namespace: desc-lr}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
    min: {cpu: 50m}
    default: {cpu: 500m}
    maxLimitRequestRatio: {cpu: "10"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: b, namespace: desc-lr}
spec:
  limits:
  - type: Pod
    max: {memory: 1536Mi}
`;
    expect((await cli(['create', '-f', '-'], { input: manifest })).code).toBe(0);
    expect(await cli(['describe', 'limits', 'a', '-n', 'desc-lr'])).toEqual({
      code: 0,
      stdout:
        'Name:       a\nNamespace:  desc-lr\nType        Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio\n' +
        '----        --------  ---  ---  ---------------  -------------  -----------------------\nContainer   cpu       50m  1    500m             500m           10\n',
      stderr: '',
    });
    expect(await cli(['describe', 'ns', 'desc-lr'])).toEqual({
      code: 0,
      stdout:
        'Name:         desc-lr\nLabels:       kubernetes.io/metadata.name=desc-lr\nAnnotations:  <none>\nStatus:       Active\n\nNo resource quota.\n\nResource Limits\n' +
        ' Type       Resource  Min  Max     Default Request  Default Limit  Max Limit/Request Ratio\n' +
        ' ----       --------  ---  ---     ---------------  -------------  -----------------------\n' +
        ' Container  cpu       50m  1       500m             500m           10\n' +
        ' Pod        memory    -    1536Mi  -                -              -\n',
      stderr: '',
    });
  });

  it('describe shows a ResourceQuota, and a namespace\'s quotas before its limits, in kubectl 1.32\'s layouts, byte for byte', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: desc-rq}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: mem, namespace: desc-rq}
spec:
  hard: {requests.memory: 1G, limits.memory: 2Gi, pods: "3"}
  scopes: [NotTerminating, NotBestEffort]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: all, namespace: desc-rq}
spec:
  hard: {pods: "5"}
---
apiVersion: v1
kind: Pod
metadata: {name: m1, namespace: desc-rq}
spec:
  nodeName: nowhere
  containers:
  - {name: m1, image: busybox, resources: {requests: {memory: 100Mi, cpu: 10m}, limits: {memory: 100Mi}}}
`;
    const quotas = manifest.split('---\n').slice(0, 3).join('---\n');
    expect((await cli(['create', '-f', '-'], { input: quotas })).code).toBe(0);
    // The pod once the controller has filled both statuses (before that, quotas count nothing).
    await waitFor(async () => (await cli(['get', 'quota', '-n', 'desc-rq', '-o', 'jsonpath={.items[*].status.used.pods}'])).stdout === '0 0', { message: 'the quota statuses' });
    expect((await cli(['create', '-f', '-'], { input: manifest.split('---\n')[3]! })).code).toBe(0);
    // Used in the format of Hard, as kubectl re-makes it: 100Mi against 1G prints in bytes.
    expect(await cli(['describe', 'quota', 'mem', '-n', 'desc-rq'])).toEqual({
      code: 0,
      stdout:
        'Name:       mem\nNamespace:  desc-rq\nScopes:     NotBestEffort, NotTerminating\n' +
        ' * Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.\n' +
        ' * Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.\n' +
        'Resource         Used       Hard\n--------         ----       ----\nlimits.memory    100Mi      2Gi\npods             1          3\nrequests.memory  104857600  1G\n',
      stderr: '',
    });
    expect(await cli(['describe', 'ns', 'desc-rq'])).toEqual({
      code: 0,
      stdout:
        'Name:         desc-rq\nLabels:       kubernetes.io/metadata.name=desc-rq\nAnnotations:  <none>\nStatus:       Active\n\nResource Quotas\n' +
        '  Name:     all\n  Resource  Used  Hard\n  --------  ---   ---\n  pods      1     5\n' +
        '  Name:     mem\n  Scopes:   NotBestEffort, NotTerminating\n' +
        '  * Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.\n' +
        '  * Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.\n' +
        '  Resource         Used   Hard\n  --------         ---    ---\n  limits.memory    100Mi  2Gi\n  pods             1      3\n  requests.memory  100Mi  1G\n' +
        '\nNo LimitRange resource.\n',
      stderr: '',
    });
    expect((await cli(['get', 'quota', '-n', 'desc-rq'])).stdout).toMatch(
      /^NAME\s+AGE\s+REQUEST\s+LIMIT\nall\s+\d+s\s+pods: 1\/5\s*\nmem\s+\d+s\s+pods: 1\/3, requests\.memory: 100Mi\/1G\s+limits\.memory: 100Mi\/2Gi\n$/,
    );
  });

  it('describe shows a CSINode in kubectl 1.32\'s layout: each driver\'s node ID, volume limit and topology keys, byte for byte', async () => {
    const manifest = `apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: desc-csi, labels: {zone: a}}
spec:
  drivers:
  - {name: hostpath.csi.k8s.io, nodeID: desc-csi, topologyKeys: [topology.hostpath.csi/node, zone], allocatable: {count: 100}}
  - {name: nfs.csi.k8s.io, nodeID: n1}
`;
    expect((await cli(['create', '-f', '-'], { input: manifest })).code).toBe(0);
    const d = await cli(['describe', 'csinode', 'desc-csi']);
    expect(d.stdout.replace(/^CreationTimestamp:.*$/m, 'CreationTimestamp:  X')).toBe(
      'Name:               desc-csi\nLabels:             zone=a\nAnnotations:        <none>\nCreationTimestamp:  X\nSpec:\n  Drivers:\n    hostpath.csi.k8s.io:\n' +
        '      Node ID:  desc-csi\n      Allocatables:\n        Count:        100\n      Topology Keys:  [topology.hostpath.csi/node zone]\n' +
        '    nfs.csi.k8s.io:\n      Node ID:  n1\nEvents:         <none>\n',
    );
    expect((await cli(['get', 'csinode', 'desc-csi'])).stdout).toMatch(/^NAME\s+DRIVERS\s+AGE\ndesc-csi\s+2\s+\d+s\n$/);
  });

  it('describe node: Roles from both role labels, and why a node without a Lease has none, as kubectl 1.32', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: cli-roles\n  labels:\n    kubernetes.io/role: master\n    node-role.kubernetes.io/worker: ""\n' });
    const d = await described(['node', 'cli-roles']);
    expect(d).toMatch(/^Roles: +master,worker$/m);
    expect(d).toMatch(/^Lease: +Failed to get lease: leases\.coordination\.k8s\.io "cli-roles" not found$/m);
    expect(d.indexOf('Unschedulable:')).toBeLessThan(d.indexOf('Lease:'));
    await cli(['delete', 'node', 'cli-roles']);
  });

  it('get -A of several kinds: a cluster-scoped kind after a namespaced one keeps an empty NAMESPACE column, as kubectl', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: cli-ns-col\n  labels:\n    cli-ns-col: "yes"\n' });
    const after = (await cli(['get', 'leases,nodes', '-A'])).stdout;
    expect(after).toMatch(/^NAMESPACE +NAME +STATUS +ROLES +AGE +VERSION$/m);
    expect(after).toMatch(/^ +node\/cli-ns-col +/m);
    const before = (await cli(['get', 'nodes,leases', '-A'])).stdout;
    expect(before).toMatch(/^NAME +STATUS +ROLES +AGE +VERSION$/m);
    expect(before).toMatch(/^node\/cli-ns-col +/m);
    // Even when the namespaced kind had nothing to print.
    expect((await cli(['get', 'cm,nodes', '-A', '-l', 'cli-ns-col=yes'])).stdout).toMatch(/^NAMESPACE +NAME +STATUS +ROLES +AGE +VERSION\n +node\/cli-ns-col +/);
    await cli(['delete', 'node', 'cli-ns-col']);
  });

  it('label, annotate, taint, cordon and uncordon a node', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: cli-n1\n' });
    expect(await cli(['label', 'node', 'cli-n1', 'zone=a'])).toMatchObject({ code: 0, stdout: 'node/cli-n1 labeled\n' });
    const clash = await cli(['label', 'no/cli-n1', 'zone=b']);
    expect(clash).toMatchObject({ code: 1, stderr: "error: 'zone' already has a value (a), and --overwrite is false\n" });
    expect((await cli(['label', 'no/cli-n1', 'zone=b', '--overwrite'])).stdout).toBe('node/cli-n1 labeled\n');
    // A label's value is checked here, as kubectl does, before any request; an annotation's may hold '='.
    expect(await cli(['label', 'no/cli-n1', 'zone=b=c'])).toMatchObject({ code: 1, stderr: 'error: invalid label spec: zone=b=c\n' });
    expect(await cli(['label', 'no/cli-n1', 'zone=-b'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: invalid label value: "zone=-b": a valid label must be an empty string/) });
    expect((await cli(['annotate', 'no/cli-n1', 'eq=a=b'])).stdout).toBe('node/cli-n1 annotated\n');
    expect((await cli(['annotate', 'nodes', 'cli-n1', 'note=hi'])).stdout).toBe('node/cli-n1 annotated\n');
    expect((await cli(['get', 'no', 'cli-n1', '-o', 'jsonpath={.metadata.labels.zone} {.metadata.annotations.note}'])).stdout).toBe('b hi');
    expect((await cli(['label', 'node', 'cli-n1', 'zone-'])).stdout).toBe('node/cli-n1 unlabeled\n');
    // -o prints the object as the change left it.
    expect(await cli(['label', 'node', 'cli-n1', 'tier=edge', '-o', 'name'])).toEqual({ code: 0, stdout: 'node/cli-n1\n', stderr: '' });
    expect(await cli(['annotate', 'node', 'cli-n1', 'seen=yes', '-o', 'jsonpath={.metadata.labels.tier} {.metadata.annotations.seen}'])).toEqual({ code: 0, stdout: 'edge yes', stderr: '' });
    expect(JSON.parse((await cli(['label', 'node', 'cli-n1', 'tier-', '--dry-run=client', '-o', 'json'])).stdout).metadata.labels.tier).toBeUndefined();
    expect((await cli(['label', 'node', 'cli-n1', 'tier-'])).stdout).toBe('node/cli-n1 unlabeled\n');
    // A label the server refuses: its 422 as kubectl prints it, the cause named once.
    const invalid = await cli(['label', 'node', 'cli-n1', 'bad key=1']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^The Node "cli-n1" is invalid: metadata\.labels: Invalid value: "bad key": name part must consist of [^\n]*\n$/);

    expect(await cli(['taint', 'node', 'cli-n1', 'dedicated=edge:NoSchedule'])).toMatchObject({ code: 0, stdout: 'node/cli-n1 tainted\n' });
    const dup = await cli(['taint', 'node', 'cli-n1', 'dedicated=core:NoSchedule']);
    expect(dup).toMatchObject({ code: 1, stderr: 'error: node cli-n1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n' });
    expect((await cli(['get', 'node', 'cli-n1', '-o', 'jsonpath={.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}'])).stdout).toBe('dedicated=edge:NoSchedule');
    // As kubectl: a value replaced with --overwrite is "modified"; setting and removing one key at once is refused.
    expect((await cli(['taint', 'node', 'cli-n1', 'dedicated=core:NoSchedule', '--overwrite'])).stdout).toBe('node/cli-n1 modified\n');
    expect(await cli(['taint', 'node', 'cli-n1', 'a=1:NoSchedule', 'a-'])).toMatchObject({ code: 1, stderr: 'error: can not both modify and remove the following taint(s) in the same command: a=\n' });
    expect(await cli(['taint', 'node', 'cli-n1', 'a=1:NoSchedule', 'a:NoSchedule-'])).toMatchObject({ code: 1, stderr: 'error: can not both modify and remove the following taint(s) in the same command: a=NoSchedule\n' });
    expect((await cli(['taint', 'node', 'cli-n1', 'dedicated-'])).stdout).toBe('node/cli-n1 untainted\n');
    expect(await cli(['taint', 'node', 'cli-n1', 'dedicated-'])).toMatchObject({ code: 1, stderr: 'error: taint "dedicated" not found\n' });
    expect((await cli(['taint', 'node', 'cli-n1', 'x=y:Sometimes'])).stderr).toBe('error: invalid taint effect: Sometimes, unsupported taint effect\n');
    // -o prints the node as the change left it (checked beside kubectl 1.32); a bad -o changes nothing.
    expect(await cli(['taint', 'node', 'cli-n1', 'o=1:NoSchedule', '-o', 'name'])).toEqual({ code: 0, stdout: 'node/cli-n1\n', stderr: '' });
    expect((await cli(['taint', 'node', 'cli-n1', 'p=2:NoSchedule', '--dry-run=client', '-o', 'jsonpath={.spec.taints[*].key}'])).stdout).toBe('o p');
    expect((await cli(['taint', 'node', 'cli-n1', 'o-', '-o', 'jsonpath={.spec.taints}'])).stdout).toBe('');
    expect((await cli(['taint', 'node', 'cli-n1', 'q=3:NoSchedule', '-o', 'bogus'])).stderr).toMatch(/^error: unable to match a printer suitable for the output format "bogus"/);
    expect((await cli(['get', 'node', 'cli-n1', '-o', 'jsonpath={.spec.taints}'])).stdout).toBe('');

    expect((await cli(['cordon', 'cli-n1'])).stdout).toBe('node/cli-n1 cordoned\n');
    expect((await cli(['cordon', 'cli-n1'])).stdout).toBe('node/cli-n1 already cordoned\n');
    expect((await cli(['get', 'no', 'cli-n1'])).stdout).toMatch(/\ncli-n1\s+\S*SchedulingDisabled/);
    expect((await cli(['uncordon', 'node/cli-n1'])).stdout).toBe('node/cli-n1 uncordoned\n');
    expect((await cli(['get', 'no', 'cli-n1', '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('');
    expect(await cli(['cordon', 'ghost-node'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): nodes "ghost-node" not found\n' });
    // -l picks the nodes; --dry-run changes nothing.
    expect((await cli(['label', 'node', 'cli-n1', 'rack=r9'])).code).toBe(0);
    expect((await cli(['cordon', '-l', 'rack=r9', '--dry-run=client'])).stdout).toBe('node/cli-n1 cordoned (dry run)\n');
    expect((await cli(['cordon', '-l', 'rack=r9', '--dry-run=server'])).stdout).toBe('node/cli-n1 cordoned (server dry run)\n');
    expect((await cli(['get', 'no', 'cli-n1', '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('');
    expect((await cli(['cordon', '-l', 'rack=r9'])).stdout).toBe('node/cli-n1 cordoned\n');
    expect((await cli(['uncordon', '-l', 'rack=r9'])).stdout).toBe('node/cli-n1 uncordoned\n');
    expect(await cli(['cordon', 'cli-n1', '-l', 'rack=r9'])).toMatchObject({ code: 1, stderr: 'error: cannot specify both a node name and a --selector option\n' });
    // taint -l / --all: every matching node; --dry-run changes nothing.
    expect((await cli(['taint', 'nodes', '-l', 'rack=r9', 'maint=yes:NoSchedule', '--dry-run=client'])).stdout).toBe('node/cli-n1 tainted\n');
    expect((await cli(['taint', 'nodes', '-l', 'rack=r9', 'maint=yes:NoSchedule'])).stdout).toBe('node/cli-n1 tainted\n');
    expect((await cli(['get', 'node', 'cli-n1', '-o', 'jsonpath={.spec.taints[*].key}'])).stdout).toBe('maint');
    const all = await cli(['taint', 'nodes', '--all', 'maint:NoSchedule-', '--dry-run=server']);
    expect(all.stdout.split('\n')).toContain('node/cli-n1 untainted');
    expect((await cli(['get', 'node', 'cli-n1', '-o', 'jsonpath={.spec.taints[*].key}'])).stdout).toBe('maint');
    expect((await cli(['taint', 'nodes', '-l', 'rack=r9', 'maint-'])).stdout).toBe('node/cli-n1 untainted\n');
    expect(await cli(['taint', 'nodes', '--all', '-l', 'rack=r9', 'x:NoSchedule'])).toMatchObject({ code: 1, stderr: "error: setting 'all' parameter with a selector is not allowed\n" });
  });

  it('drain refuses unmanaged pods without --force, waits while a PodDisruptionBudget allows nothing, and evicts once it does', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: cli-d1\n' });
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: d-bare\n  labels: {app: d-bare}\nspec:\n  nodeName: cli-d1\n  containers: [{name: c, image: busybox}]\n' });
    // No agent runs here: the test reports the pod Running and Ready, as its kubelet would.
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const st = await testFetch(`${t.server.url}/api/v1/namespaces/default/pods/d-bare/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }),
    });
    expect(st.status).toBe(200);

    // A bad selector is refused before anything changes.
    expect(await cli(['drain', 'cli-d1', '--pod-selector', 'app in ('])).toMatchObject({ code: 1, stderr: 'error: --pod-selector=<pod_selector> must be a valid label selector\n' });
    expect((await cli(['get', 'no', 'cli-d1', '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('');
    // Other tests' DaemonSets have pods on every node: --ignore-daemonsets leaves them.
    const refused = await cli(['drain', 'cli-d1', '--ignore-daemonsets']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('node/cli-d1 cordoned\n');
    // kubectl's last line is the node's pod errors, without `error: ` (its CheckErr of an aggregate).
    expect(refused.stderr).toContain('error: unable to drain node "cli-d1" due to error: cannot delete Pods that declare no controller (use --force to override): default/d-bare, continuing command...\nThere are pending nodes to be drained:\n cli-d1\ncannot delete Pods that declare no controller (use --force to override): default/d-bare\n');

    await cli(['apply', '-f', '-'], { input: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: d-bare\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: d-bare}}\n' });
    await waitFor(async () => (await cli(['get', 'pdb', 'd-bare', '-o', 'jsonpath={.status.currentHealthy}'])).stdout === '1', { message: 'the budget computed' });
    const blocked = await cli(['drain', 'cli-d1', '--ignore-daemonsets', '--force', '--timeout', '2s']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toBe('node/cli-d1 already cordoned\nevicting pod default/d-bare\n');
    expect(blocked.stderr).toContain(`error when evicting pods/"d-bare" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
    expect(blocked.stderr).toContain('global timeout reached');
    expect((await cli(['get', 'pod', 'd-bare', '-o', 'name'])).stdout).toBe('pod/d-bare\n');

    await cli(['apply', '-f', '-'], { input: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: d-bare\nspec:\n  minAvailable: 0\n  selector: {matchLabels: {app: d-bare}}\n' });
    await waitFor(async () => (await cli(['get', 'pdb', 'd-bare', '-o', 'jsonpath={.status.disruptionsAllowed}'])).stdout === '1', { message: 'the budget allowing one' });
    const drained = await cli(['drain', 'node/cli-d1', '--ignore-daemonsets', '--force', '--grace-period', '0', '--timeout', '30s']);
    expect(drained).toMatchObject({ code: 0, stdout: 'node/cli-d1 already cordoned\nevicting pod default/d-bare\npod/d-bare evicted\nnode/cli-d1 drained\n' });
    expect(drained.stderr).toMatch(/^Warning: .*deleting Pods that declare no controller: default\/d-bare\n$/);
    expect((await cli(['get', 'pod', 'd-bare'])).code).toBe(1);

    // A pod of a terminating namespace cannot be evicted (403 NamespaceTerminating): the drain
    // waits for the namespace's deletion to take it instead of failing (here no agent finishes
    // it, so the wait times out).
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: d-ending\n' });
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: d-late\n  namespace: d-ending\nspec:\n  nodeName: cli-d1\n  containers: [{name: c, image: busybox}]\n' });
    await cli(['delete', 'namespace', 'd-ending', '--wait=false']);
    await waitFor(async () => (await cli(['get', 'pod', 'd-late', '-n', 'd-ending', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout !== '', { message: 'the pod being deleted' });
    const ending = await cli(['drain', 'cli-d1', '--ignore-daemonsets', '--force', '--timeout', '2s']);
    expect(ending.code).toBe(1);
    expect(ending.stdout).toContain('evicting pod d-ending/d-late\n');
    expect(ending.stderr).not.toContain('forbidden');
    expect(ending.stderr).toContain('error when waiting for pod "d-late" in namespace "d-ending" to terminate: context deadline exceeded');
    await cli(['delete', 'pod', 'd-late', '-n', 'd-ending', '--grace-period=0', '--force']);
  });

  it('drain takes several nodes or -l: all are cordoned first, each drained in turn, and those that fail are listed', async () => {
    for (const n of ['cli-m1', 'cli-m2', 'cli-m3']) {
      await cli(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${n}\n  labels: {pool: drain-many}\n` });
    }
    // cli-m2 holds a pod of no controller: without --force its node cannot be drained.
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: m-bare\nspec:\n  nodeName: cli-m2\n  containers: [{name: c, image: busybox}]\n' });
    expect(await cli(['drain'])).toMatchObject({ code: 1, stderr: expect.stringContaining('USAGE: drain NODE [flags]') });
    expect(await cli(['drain', 'cli-m1', '-l', 'pool=drain-many'])).toMatchObject({ code: 1, stderr: 'error: cannot specify both a node name and a --selector option\n' });

    const some = await cli(['drain', 'cli-m1', 'node/cli-m2', 'cli-m3', '--ignore-daemonsets']);
    expect(some.code).toBe(1);
    expect(some.stdout).toBe('node/cli-m1 cordoned\nnode/cli-m2 cordoned\nnode/cli-m3 cordoned\nnode/cli-m1 drained\nnode/cli-m3 drained\n');
    // (Other tests' DaemonSets have pods on these nodes: their warnings come between the lines.)
    expect(some.stderr).toContain('error: unable to drain node "cli-m2" due to error: cannot delete Pods that declare no controller (use --force to override): default/m-bare, continuing command...\n');
    expect(some.stderr).toContain('There are pending nodes to be drained:\n cli-m2\n');
    expect(some.stderr).not.toContain('unable to drain node "cli-m1"');
    for (const n of ['cli-m1', 'cli-m2', 'cli-m3']) expect((await cli(['get', 'no', n, '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('true');

    // -l picks the nodes by label; a dry run changes nothing.
    await cli(['uncordon', '-l', 'pool=drain-many']);
    const dry = await cli(['drain', '-l', 'pool=drain-many', '--ignore-daemonsets', '--force', '--dry-run=client']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toContain('node/cli-m2 cordoned (dry run)\n');
    expect(dry.stdout).toContain('evicting pod default/m-bare (dry run)\n');
    expect(dry.stdout.match(/drained \(dry run\)\n/g)).toHaveLength(3);
    expect((await cli(['get', 'no', 'cli-m2', '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('');
    const all = await cli(['drain', '-l', 'pool=drain-many', '--ignore-daemonsets', '--force', '--grace-period', '0', '--timeout', '30s']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('pod/m-bare evicted\nnode/cli-m2 drained\n');
    expect((await cli(['get', 'pod', 'm-bare'])).code).toBe(1);
    await cli(['delete', 'node', 'cli-m1', 'cli-m2', 'cli-m3']);
  });

  it('completion: __complete offers types, names, nodes and namespaces from the server, and the bash script uses it', async () => {
    await cli(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cmpl\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: cli-cmpl-node\n' });
    expect((await cli(['apply', '-n', 'cmpl', '-f', '-'], { input: dsManifest('cmpl-ds') })).code).toBe(0);
    const complete = async (...words: string[]): Promise<string[]> => {
      const r = await cli(['__complete', '--', ...words]);
      expect(r, words.join(' ')).toMatchObject({ code: 0, stderr: '' });
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(await complete('get', '')).toEqual(expect.arrayContaining(['daemonsets', 'pods', 'nodes', 'configmaps']));
    expect(await complete('get', 'daem')).toEqual(['daemonsets']);
    expect(await complete('-n', 'cmpl', 'get', 'ds', '')).toEqual(['cmpl-ds']);
    expect(await complete('get', 'ds', '--namespace=cmpl', 'cm')).toEqual(['cmpl-ds']);
    expect(await complete('describe', '-n', 'cmpl', 'ds/cm')).toEqual(['ds/cmpl-ds']);
    expect(await complete('-n', 'cmpl', 'rollout', 'status', 'ds/')).toEqual(['ds/cmpl-ds']);
    expect(await complete('-n', 'cmpl', 'rollout', 'history', 'daemonset', '')).toEqual(['cmpl-ds']);
    expect(await complete('cordon', 'cli-cmpl')).toEqual(['cli-cmpl-node']);
    expect(await complete('taint', 'nodes', 'cli-cmpl')).toEqual(['cli-cmpl-node']);
    expect(await complete('get', '-n', 'cmp')).toEqual(['cmpl']);
    expect(await complete('get', '-A', 'ds', 'cmpl')).toEqual(['cmpl-ds']);
    expect(await complete('get', 'no-such-type', '')).toEqual([]);
    // The verbs themselves do not list it.
    expect((await cli(['completion', 'bash'])).stdout).not.toMatch(/words="[^"]*__complete/);
    expect((await cli(['help'])).stdout).not.toContain('__complete');

    // The bash script: COMPREPLY for a line, the binary run through a wrapper as a user's PATH would.
    const wrapper = write('everynode-wrapper', `#!/bin/sh\nexec '${process.execPath}' '${everynodeBin}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const script = write('completion.bash', (await cli(['completion', 'bash'])).stdout);
    const reply = async (line: string[]): Promise<string[]> => {
      const words = line.map((w) => `'${w}'`).join(' ');
      const r = await runCommand('bash', ['-c', `source '${script}'; COMP_WORDS=('${wrapper}' ${words}); COMP_CWORD=${line.length}; _everynode; printf '%s\\n' "\${COMPREPLY[@]}"`], {
        cwd: t.dir,
        env: { ...process.env, KUBECONFIG: t.kc },
        timeoutMs: 30_000,
      });
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(await reply(['-n', 'cmpl', 'get', 'ds', ''])).toEqual(['cmpl-ds']);
    expect(await reply(['rollout', 'st'])).toEqual(['status']);
    expect(await reply(['get', '-n', 'cm'])).toEqual(['cmpl']);
    expect(await reply(['get', '--show-l'])).toEqual(['--show-labels']);
    // The cluster commands, their sub-commands and flags too; no client verb after them.
    expect(await reply(['u'])).toEqual(['up', 'uncordon']);
    expect(await reply(['token', ''])).toEqual(['create', 'list', 'delete', 'rotate-admin']);
    expect(await reply(['token', 'create', '--t'])).toEqual(['--ttl']);
    expect(await reply(['up', '--max-r'])).toEqual(['--max-requests-inflight']);
    expect(await reply(['node', 'rev'])).toEqual(['revoke', 'revocations']);
  });

  it('logs: not found for a missing pod or DaemonSet, one line each', async () => {
    // kubectl's words: `logs` names the namespace it looked in.
    expect(await cli(['logs', 'ghost'])).toMatchObject({ code: 1, stdout: '', stderr: 'error: error from server (NotFound): pods "ghost" not found in namespace "default"\n' });
    expect(await cli(['logs', 'ds/ghost', '-f', '--tail', '5'])).toMatchObject({ code: 1, stderr: 'error: error from server (NotFound): daemonsets.apps "ghost" not found in namespace "default"\n' });
    expect(await cli(['logs', 'ghost', '--tail', 'many'])).toMatchObject({ code: 1 });
  });

  it('delete by name, TYPE/NAME, -f and -l, with each cascade policy', async () => {
    for (const n of ['del-a', 'del-b', 'del-c', 'del-d']) await cli(['apply', '-f', write(`${n}.yaml`, dsManifest(n, 'busybox:1.36', '\n    del: me'))]);
    expect(await cli(['delete', 'ds', 'del-a'])).toMatchObject({ code: 0, stdout: 'daemonset.apps "del-a" deleted\n' });
    expect((await cli(['delete', '-f', join(t.dir, 'del-b.yaml'), '--cascade=foreground', '--wait=false'])).stdout).toBe('daemonset.apps "del-b" deleted\n');
    expect((await cli(['delete', 'ds/del-c', '--cascade', 'orphan', '--wait=false'])).stdout).toBe('daemonset.apps "del-c" deleted\n');
    expect((await cli(['delete', 'ds', '-l', 'del=me', '--wait=false'])).stdout).toContain('daemonset.apps "del-d" deleted\n');
    expect(await cli(['delete', 'ds', 'del-a'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): daemonsets.apps "del-a" not found\n' });
    expect((await cli(['delete', 'ds', 'del-a', '--ignore-not-found'])).code).toBe(0);
    expect((await cli(['delete', 'ds', 'x', '--cascade=sideways'])).stderr).toBe('error: invalid cascade value (sideways). Must be "background", "foreground", or "orphan"\n');
    expect((await cli(['delete', 'ds'])).code).toBe(1);
    // A file's namespace that -n contradicts is an error, and nothing is deleted.
    const pinned = write('del-pinned.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: del-pinned\n  namespace: default\n');
    expect((await cli(['create', '-f', pinned])).code).toBe(0);
    expect(await cli(['delete', '-n', 'kube-system', '-f', pinned])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: the namespace from the provided object "default" does not match the namespace "kube-system". You must pass '--namespace=default' to perform this operation.\n`,
    });
    expect((await cli(['get', 'cm', 'del-pinned', '-o', 'name'])).stdout).toBe('configmap/del-pinned\n');
    // A category, as kubectl: `all` is its member resources.
    expect((await cli(['apply', '-f', write('del-all.yaml', dsManifest('del-all'))])).code).toBe(0);
    const all = await cli(['delete', 'all', '--all', '--dry-run=client']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('daemonset.apps "del-all" deleted (dry run)\n');
    expect((await cli(['delete', 'all', '-l', 'app=del-all', '--wait=false'])).stdout).toContain('daemonset.apps "del-all" deleted\n');
  });

  it('delete --field-selector, and -A with a selector: each object in its own namespace', async () => {
    for (const ns of ['fs-a', 'fs-b']) {
      expect((await cli(['create', 'namespace', ns])).code).toBe(0);
      for (const [name, data] of ([['keep', 'k'], ['drop', 'd']] as const)) expect((await cli(['create', 'configmap', name, '-n', ns, `--from-literal=x=${data}`, '--dry-run=none'])).code).toBe(0);
      expect((await cli(['label', 'cm', 'drop', '-n', ns, 'sweep=yes'])).code).toBe(0);
    }
    expect(await cli(['delete', 'cm', '--field-selector', 'metadata.name=drop', '-n', 'fs-a'])).toEqual({ code: 0, stdout: 'configmap "drop" deleted\n', stderr: '' });
    expect(await cli(['delete', 'cm', '-l', 'sweep=yes', '-A'])).toEqual({ code: 0, stdout: 'configmap "drop" deleted\n', stderr: '' });
    expect((await cli(['get', 'cm', 'keep', 'drop', '-n', 'fs-b', '-o', 'name', '--ignore-not-found'])).stdout).toBe('configmap/keep\n');
    expect((await cli(['get', 'cm', 'keep', '-n', 'fs-a', '-o', 'name'])).stdout).toBe('configmap/keep\n');
    expect(await cli(['delete', 'cm', '--field-selector', 'metadata.name=none', '-A'])).toEqual({ code: 0, stdout: 'No resources found\n', stderr: '' });
    expect((await cli(['delete', 'cm', 'keep', '-A'])).stderr).toBe('error: a resource cannot be retrieved by name across all namespaces\n');
    expect((await cli(['delete', 'cm', '--all', '--field-selector', 'metadata.name=keep'])).stderr).toBe('error: cannot set --all and --field-selector at the same time\n');
  });

  it('delete -f of a manifest that lists its Namespace first deletes every object in it (the content waits 5 s, as upstream)', async () => {
    const manifest = write(
      'app-with-ns.yaml',
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nsfirst',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n  namespace: nsfirst',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: agent-config\n  namespace: nsfirst\ndata:\n  a: "1"',
        // No node matches: the nodes other tests registered have no agent to confirm a pod's deletion.
        dsManifest('agent', 'busybox:1.36').replace('metadata:\n  name: agent', 'metadata:\n  name: agent\n  namespace: nsfirst').replace('    spec:\n      containers:', '    spec:\n      nodeSelector:\n        none: here\n      containers:'),
      ].join('\n---\n'),
    );
    expect((await cli(['apply', '-f', manifest])).code).toBe(0);
    const del = await cli(['delete', '-f', manifest, '--wait=false']);
    expect(del).toMatchObject({
      code: 0,
      stdout: 'namespace "nsfirst" deleted\nserviceaccount "agent" deleted\nconfigmap "agent-config" deleted\ndaemonset.apps "agent" deleted\n',
      stderr: '',
    });
    await waitFor(async () => (await cli(['get', 'namespace', 'nsfirst'])).code === 1, { timeoutMs: 30_000, message: 'namespace nsfirst gone' });
  });

  it('says once that the server is unreachable', async () => {
    // A port that was free a moment ago and has nothing listening now.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dead = write('dead.yaml', `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`);
    for (const args of [['get', 'ds'], ['version'], ['rollout', 'status', 'ds/x'], ['apply', '-f', join(t.dir, 'web.yaml')]]) {
      const r = await cli(args, { kubeconfig: dead });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.replace(/^Client Version.*\n/, ''), args.join(' ')).toMatch(new RegExp(`^error: the server at http://127\\.0\\.0\\.1:${port} is unreachable \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); is "everynode server" running\\?\\n$`));
    }
    const ctx = await cli(['get', 'ds', '--context', 'nope']);
    expect(ctx).toMatchObject({ code: 1, stderr: `error: kubeconfig ${t.kc}: context "nope" not found\n` });
    // A kubeconfig whose CA is another cluster's: said with the server's address and why.
    const otherCa = (await ensurePki(makeTempDir(cleanup, 'other-ca'))).caCertPem;
    const foreign = write('foreign.yaml', readFileSync(t.kc, 'utf8').replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from(otherCa).toString('base64')}`));
    const untrusted = await cli(['get', 'ds'], { kubeconfig: foreign });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^error: unable to connect to the server at ${t.server.url.replace(/[.]/g, '\\.')}: its certificate is not signed by the kubeconfig's CA \\(a kubeconfig of another cluster, or the server's CA was replaced\\): `));
  });

  it('completion and help come from the command tree', async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    // The lifecycle commands say an unknown option as the client verbs do.
    expect(await cli(['agent', '--nmae', 'x'])).toMatchObject({ code: 1, stderr: "everynode agent: unknown option '--nmae' (did you mean --name?) (see everynode agent --help)\n" });
    expect(bash.stdout).toContain('complete -F _everynode everynode');
    const h = await cli(['rollout', 'undo', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^Usage: everynode rollout undo \[options\] <target\.\.\.>/);
    // The binary's own help lists the client verbs too, and `help VERB` is that verb's help.
    for (const args of [[], ['help'], ['--help']]) {
      const top = await cli(args);
      expect(top.code, args.join(' ')).toBe(0);
      expect(top.stdout, args.join(' ')).toMatch(/\n {2}up +run the API server[\s\S]*\nBasic Commands \(Intermediate\):\n {2}get +[\s\S]*\n {2}logs +/);
    }
    expect(await cli(['help', 'get'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: everynode get \[options\] \[resources\.\.\.\]\n/) as unknown as string });
    expect((await cli(['help', 'up'])).stdout).toMatch(/^usage: everynode up \[options\]\n {2}up +run the API server/);
  });
});
