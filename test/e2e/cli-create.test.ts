// `everynode create namespace|configmap|secret generic|tls|docker-registry|serviceaccount|quota NAME` as the built binary
// against a started `everynode server`: the objects land as built from literals, files, a
// directory (a binary file in binaryData) and env files; a client dry run sends nothing; bad
// sources are refused before any request. Where the real kubectl 1.32 is installed, the same
// commands print byte for byte what kubectl prints (twin names, identity fields masked).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { kubectlAvailable, runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';

const cleanup = new Cleanup();
let server: ServerProcess;
let dir = '';
let kc = '';
let files: { text: string; dir: string; env: string; envBad: string } = { text: '', dir: '', env: '', envBad: '' };
/** A certificate and its key (the server's own), and a key of another certificate. */
let tls = { crt: '', key: '', otherKey: '' };

const cli = (args: string[], env: Record<string, string> = {}) => runEverynode(args, { kubeconfig: kc, env });

beforeAll(async () => {
  dir = makeTempDir(cleanup, 'cli-create');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
  tls = { crt: join(dir, 'data', 'tls', 'server.crt'), key: join(dir, 'data', 'tls', 'server.key'), otherKey: join(dir, 'data', 'tls', 'ca.key') };
  const text = join(dir, 'agent.conf');
  writeFileSync(text, 'level = info\nport = 9100\n');
  const d = join(dir, 'conf.d');
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'one.conf'), 'one\n');
  writeFileSync(join(d, 'blob.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
  writeFileSync(join(d, 'sub', 'skipped'), 'not read: sub-directories are not');
  const env = join(dir, 'app.env');
  writeFileSync(env, '\uFEFFA=1\n# a comment\n\n   B=two words\nFROM_ENV\nC=x=y\r\n');
  const envBad = join(dir, 'bad.env');
  writeFileSync(envBad, 'GOOD=1\nBAD KEY=2\n');
  files = { text, dir: d, env, envBad };
});

afterAll(async () => {
  await cleanup.run();
});

async function jsonpath(target: string[], template: string): Promise<string> {
  const r = await cli(['get', ...target, '-o', `jsonpath=${template}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('everynode create TYPE NAME', () => {
  it('creates a namespace, a configmap from every kind of source, a secret and a service account', async () => {
    expect(await cli(['create', 'namespace', 'monitoring'])).toEqual({ code: 0, stdout: 'namespace/monitoring created\n', stderr: '' });
    expect(await cli(['create', 'configmap', 'agent', '-n', 'monitoring', `--from-file=${files.text}`, `--from-file=renamed=${files.text}`, '--from-literal=mode=fast'])).toEqual({ code: 0, stdout: 'configmap/agent created\n', stderr: '' });
    expect(JSON.parse(await jsonpath(['cm', 'agent', '-n', 'monitoring'], '{.data}'))).toEqual({ 'agent.conf': 'level = info\nport = 9100\n', renamed: 'level = info\nport = 9100\n', mode: 'fast' });
    // A directory: its regular files, a binary one in binaryData.
    expect((await cli(['create', 'cm', 'dir', '-n', 'monitoring', `--from-file=${files.dir}`])).code).toBe(0);
    expect(await jsonpath(['cm', 'dir', '-n', 'monitoring'], '{.data} {.binaryData}')).toBe('{"one.conf":"one\\n"} {"blob.bin":"//4AAQ=="}');
    // An env file: BOM, comments, blank lines and leading blanks dropped; a bare name read from the environment.
    expect((await cli(['create', 'cm', 'env', '-n', 'monitoring', `--from-env-file=${files.env}`], { FROM_ENV: 'inherited' })).code).toBe(0);
    expect(JSON.parse(await jsonpath(['cm', 'env', '-n', 'monitoring'], '{.data}'))).toEqual({ A: '1', B: 'two words', FROM_ENV: 'inherited', C: 'x=y' });
    expect(await cli(['create', 'secret', 'generic', 'token', '-n', 'monitoring', '--from-literal=token=s3cr3t', '--type=example.com/token'])).toEqual({ code: 0, stdout: 'secret/token created\n', stderr: '' });
    expect(await jsonpath(['secret', 'token', '-n', 'monitoring'], '{.type} {.data.token}')).toBe(`example.com/token ${Buffer.from('s3cr3t').toString('base64')}`);
    expect(await cli(['create', 'sa', 'collector', '-n', 'monitoring', '-o', 'name'])).toEqual({ code: 0, stdout: 'serviceaccount/collector\n', stderr: '' });
    expect(await jsonpath(['sa', 'collector', '-n', 'monitoring'], '{.metadata.name}')).toBe('collector');
  });

  it('a client dry run sends nothing; a server dry run asks the server and keeps nothing', async () => {
    expect(await cli(['create', 'ns', 'dry', '--dry-run=client', '-o', 'yaml'])).toEqual({ code: 0, stdout: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: dry\nspec: {}\nstatus: {}\n', stderr: '' });
    expect(await cli(['create', 'ns', 'dry', '--dry-run=server'])).toEqual({ code: 0, stdout: 'namespace/dry created (server dry run)\n', stderr: '' });
    expect(await cli(['get', 'ns', 'dry'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): namespaces "dry" not found\n' });
    // Even into a namespace that does not exist: nothing is asked.
    expect(await cli(['create', 'cm', 'x', '-n', 'nowhere', '--from-literal=a=b', '--dry-run'])).toEqual({ code: 0, stdout: 'configmap/x created (dry run)\n', stderr: '' });
  });

  it('refuses bad sources and names before any request, in kubectl\'s words', async () => {
    const refused = async (args: string[], stderr: string) => expect(await cli(['create', ...args, '-n', 'monitoring']), args.join(' ')).toEqual({ code: 1, stdout: '', stderr: `error: ${stderr}\n` });
    await refused(['namespace'], 'exactly one NAME is required, got 0');
    await refused(['cm', 'a', 'b'], 'exactly one NAME is required, got 2');
    await refused(['cm', 'dup', '--from-literal=a=1', '--from-literal=a=2'], 'cannot add key "a", another key by that name already exists in Data for ConfigMap "dup"');
    await refused(['cm', 'bad', '--from-literal=b/ad=1'], `"b/ad" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`);
    await refused(['cm', 'lit', '--from-literal=novalue'], 'invalid literal source novalue, expected key=value');
    await refused(['cm', 'mix', `--from-env-file=${files.env}`, '--from-literal=a=b'], 'from-env-file cannot be combined with from-file or from-literal');
    await refused(['cm', 'missing', '--from-file=/no/such/file'], 'error reading /no/such/file: no such file or directory');
    await refused(['cm', 'keyed-dir', `--from-file=k=${files.dir}`], 'cannot give a key name for a directory path');
    await refused(['cm', 'env-dir', `--from-env-file=${files.dir}`], 'env config file cannot be a directory');
    await refused(['cm', 'env-bad', `--from-env-file=${files.envBad}`], `"BAD KEY" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`);
    await refused(['secret', 'generic', 'dup', '--from-literal=a=1', '--from-literal=a=2'], 'cannot add key a, another key by that name already exists');
    await refused(['secret', 'tls', 'x'], 'key and cert must be specified');
    await refused(['secret', 'tls', 'x', `--cert=${tls.crt}`, `--key=${tls.otherKey}`], 'tls: private key does not match public key');
    await refused(['secret', 'tls', 'x', `--cert=${files.text}`, `--key=${tls.key}`], 'tls: failed to find any PEM data in certificate input');
    await refused(['secret', 'docker-registry', 'x', '--docker-username=u'], 'either --from-file or the combination of --docker-username, --docker-password and --docker-server is required');
    await refused(['secret', 'docker-registry', 'x', '--from-literal=a=b'], 'unknown flag: --from-literal (not a flag of create secret docker-registry)');
    await refused(['secret', 'bogus', 'x'], 'unknown secret type "bogus": generic, tls or docker-registry');
    await refused(['namespace', 'x', '--from-literal=a=b'], 'unknown flag: --from-literal (not a flag of create namespace)');
    await refused(['deployment', 'x'], 'unknown type to create: "deployment" (namespace, configmap, secret generic|tls|docker-registry, serviceaccount or quota; other objects: create -f)');
    expect(await cli(['get', 'cm', 'dup', 'bad', 'mix', '-n', 'monitoring', '--ignore-not-found'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);
  it.skipIf(kubectlBinary === undefined)('prints what kubectl 1.32 prints for the same commands (twin names)', async () => {
    const kubectl = (args: string[]) => runKubectl({ kubeconfig: kc, cacheDir: join(dir, 'kubectl-cache') }, args, { binary: kubectlBinary! });
    for (const ns of ['tw-kc', 'tw-en']) expect((await cli(['create', 'ns', ns])).code).toBe(0);
    const commands: string[][] = [
      ['namespace', 'n-S'],
      ['namespace', 'n-S'],
      ['namespace', 'Bad_S'],
      ['ns', 'n2-S', '--dry-run=client', '-o', 'json'],
      ['configmap', 'c1', '-n', 'tw-S', '--from-literal=a=1', `--from-file=${files.text}`, `--from-file=k2=${files.text}`, '-o', 'yaml'],
      ['configmap', 'c1', '-n', 'tw-S', '--from-literal=a=1'],
      ['configmap', 'c2', '-n', 'tw-S', `--from-file=${files.dir}`, '-o', 'json'],
      ['configmap', 'c3', '-n', 'tw-S', `--from-env-file=${files.env}`, '--dry-run=client', '-o', 'json'],
      ['configmap', 'c4', '-n', 'tw-S', '--from-literal=x=', '--dry-run=server'],
      ['configmap', 'c5', '-n', 'missing-S', '--from-literal=a=b'],
      ['cm', 'c6', '-n', 'tw-S', '-o', 'name'],
      ['configmap', 'c7', '--from-literal=a=1', '--from-literal=a=2', '--dry-run=client'],
      ['configmap', 'c8', `--from-file=/no/such/file`],
      ['secret', 'generic', 's1', '-n', 'tw-S', '--from-literal=a=b', `--from-file=${files.dir}`, '--type=example.com/x', '-o', 'yaml'],
      ['secret', 'generic', 's1', '-n', 'tw-S', '--from-literal=a=b'],
      ['secret', 'generic', 's2', '-n', 'tw-S', `--from-env-file=${files.env}`, '--dry-run=client', '-o', 'yaml'],
      ['serviceaccount', 'sa1', '-n', 'tw-S', '-o', 'json'],
      ['sa', 'sa1', '-n', 'tw-S'],
      ['sa', 'sa2', '-n', 'tw-S', '--dry-run=client', '-o', 'yaml'],
      ['secret', 'tls', 't1', '-n', 'tw-S', `--cert=${tls.crt}`, `--key=${tls.key}`, '-o', 'yaml'],
      ['secret', 'tls', 't1', '-n', 'tw-S', `--cert=${tls.crt}`, `--key=${tls.key}`],
      ['secret', 'tls', 't2', `--cert=${tls.crt}`, `--key=${tls.otherKey}`],
      ['secret', 'tls', 't3', `--cert=${tls.crt}`],
      ['secret', 'tls', 't4', `--cert=${tls.crt}`, `--key=${files.text}`],
      ['secret', 'tls', 't5', '--cert=/no/such.crt', `--key=${tls.key}`],
      ['secret', 'docker-registry', 'd1', '-n', 'tw-S', '--docker-username=u', '--docker-password=p<&>', '--docker-email=e@x', '-o', 'json'],
      ['secret', 'docker-registry', 'd2', '-n', 'tw-S', '--docker-server=registry.example.com:5000', '--docker-username=u', '--docker-password=p', '--dry-run=server', '-o', 'yaml'],
      ['secret', 'docker-registry', 'd3', '-n', 'tw-S', `--from-file=${files.text}`, '--dry-run=client', '-o', 'yaml'],
      ['secret', 'docker-registry', 'd4', '-n', 'tw-S', `--from-file=cfg=${files.text}`, '-o', 'name'],
      ['secret', 'docker-registry', 'd5', '--docker-password=p'],
      ['quota', 'q1', '-n', 'tw-S', '--hard=pods=2,requests.cpu=1000m,limits.memory=1G,count/configmaps=4', '--scopes=NotTerminating', '-o', 'yaml'],
      ['quota', 'q1', '-n', 'tw-S', '--hard=pods=2'],
      ['resourcequota', 'q2', '-n', 'tw-S', '--dry-run=client', '-o', 'json'],
      ['quota', 'q3', '-n', 'tw-S', '--hard=pods=1', '-o', 'name'],
      ['quota', 'q4', '--hard=pods'],
      ['quota', 'q5', '--hard=pods=lots'],
      ['quota', 'q6', '--scopes=BestEffort,,NotTerminating'],
      ['quota', 'q7', '-n', 'tw-S', '--hard=pods=1.5'],
    ];
    // The twin names and what differs between two creations (identity, times).
    const norm = (s: string) =>
      s
        .replace(/-(kc|en)\b/g, '-S')
        .replace(/_(kc|en)\b/g, '_S')
        .replace(/("?(uid|resourceVersion|creationTimestamp|time)"?: )"?[^,"\n]*"?(?=,?\n)/g, (m, p1: string) => (m.endsWith('null') ? m : `${p1}X`));
    for (const c of commands) {
      const k = await kubectl(['create', ...c.map((a) => a.replace(/S$/, 'kc').replace(/-S\b/, '-kc').replace(/_S$/, '_kc'))]);
      const e = await cli(['create', ...c.map((a) => a.replace(/S$/, 'en').replace(/-S\b/, '-en').replace(/_S$/, '_en'))], {});
      expect({ code: e.code, stdout: norm(e.stdout), stderr: norm(e.stderr) }, `create ${c.join(' ')}`).toEqual({ code: k.code, stdout: norm(k.stdout), stderr: norm(k.stderr) });
    }
  });
});
