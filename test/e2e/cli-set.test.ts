// `everynode set image|env|resources` as the built binary against a started `everynode server` (with its
// controllers, no nodes): a template change bumps the DaemonSet's generation and the DaemonSet
// controller records a new ControllerRevision (a new line in `rollout history`), a command that
// changes nothing sends nothing; and, where the real kubectl 1.32 is installed, the same
// commands print byte for byte what kubectl prints, on twin DaemonSets in two namespaces.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { kubectlAvailable, runKubectl, versionedKubectl } from '../helpers/kubectl.js';
import { dsManifest, killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';

const cleanup = new Cleanup();
let server: ServerProcess;
let dir = '';
let kc = '';

const cli = (args: string[], input?: string) => runEverynode(args, input === undefined ? { kubeconfig: kc } : { kubeconfig: kc, input });

async function jsonpath(name: string, template: string, ns = 'default'): Promise<string> {
  const r = await cli(['get', 'ds', name, '-n', ns, '-o', `jsonpath=${template}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The revision numbers `rollout history` lists. */
async function revisions(name: string): Promise<string> {
  const r = await cli(['rollout', 'history', `ds/${name}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => l.split(' ')[0])
    .join(',');
}

const waitRevisions = (name: string, want: string) => waitFor(async () => (await revisions(name)) === want, { timeoutMs: 20_000, message: `revisions ${want} of ${name}` });

/** A DaemonSet with two containers (one with variables, one a field reference) and an init container. */
const twinManifest = (ns: string): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: twin
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: twin
  template:
    metadata:
      labels:
        app: twin
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
        command: ["true"]
      containers:
      - name: agent
        image: busybox:1.36
        command: ["sleep", "3600"]
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
        - name: POD
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
      - name: side
        image: busybox:1.36
        command: ["sleep", "3600"]
`;

beforeAll(async () => {
  dir = makeTempDir(cleanup, 'cli-set');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
});

afterAll(async () => {
  await cleanup.run();
});

describe('everynode set', () => {
  it('set image changes the template: a new generation, the image, a second ControllerRevision', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('img'))).code).toBe(0);
    await waitRevisions('img', '1');
    expect(await jsonpath('img', '{.metadata.generation}')).toBe('1');

    expect(await cli(['set', 'image', 'ds/img', 'agent=busybox:1.37'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/img image updated\n', stderr: '' });
    expect(await jsonpath('img', '{.metadata.generation} {.spec.template.spec.containers[0].image}')).toBe('2 busybox:1.37');
    await waitRevisions('img', '1,2');
    const two = await cli(['rollout', 'history', 'ds/img', '--revision', '2']);
    expect(two.stdout).toMatch(/^daemonset\.apps\/img with revision #2\nPod Template:\n[\s\S]*Image:\tbusybox:1\.37\n/);

    // The same image again: kubectl sends nothing and prints nothing.
    expect(await cli(['set', 'image', 'ds/img', 'agent=busybox:1.37'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // A dry run on the server changes nothing either.
    expect(await cli(['set', 'image', 'ds/img', '*=busybox:1.38', '--dry-run=server'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/img image updated (server dry run)\n' });
    expect(await cli(['set', 'image', 'ds/img', 'nope=busybox:1.38'])).toMatchObject({ code: 1, stdout: '', stderr: 'error: unable to find container named "nope"\n' });
    expect(await jsonpath('img', '{.metadata.generation} {.spec.template.spec.containers[0].image}')).toBe('2 busybox:1.37');
    expect(await revisions('img')).toBe('1,2');

    // -o yaml prints the server's answer as kubectl prints a typed object.
    const y = await cli(['set', 'image', 'ds/img', 'agent=busybox:1.38', '-o', 'yaml']);
    expect(y.code, y.stderr).toBe(0);
    expect(y.stdout).toMatch(/^apiVersion: apps\/v1\nkind: DaemonSet\n[\s\S]*\n {2}generation: 3\n[\s\S]*\n {6}creationTimestamp: null\n[\s\S]*\n {8}image: busybox:1\.38\n[\s\S]*\n {8}resources: \{\}\n/);
    await waitRevisions('img', '1,2,3');
  });

  it('set env changes the template the same way, and --list shows the result', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('envds'))).code).toBe(0);
    await waitRevisions('envds', '1');

    expect(await cli(['set', 'env', 'ds/envds', 'LOG_LEVEL=debug', 'MODE=fast'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/envds env updated\n', stderr: '' });
    expect(await jsonpath('envds', '{.metadata.generation} {.spec.template.spec.containers[0].env}')).toBe('2 [{"name":"LOG_LEVEL","value":"debug"},{"name":"MODE","value":"fast"}]');
    await waitRevisions('envds', '1,2');
    expect(await cli(['set', 'env', 'ds/envds', '--list'])).toMatchObject({ code: 0, stdout: '# DaemonSet envds, container agent\nLOG_LEVEL=debug\nMODE=fast\n', stderr: '' });

    expect(await cli(['set', 'env', 'ds/envds', 'MODE-'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/envds env updated\n' });
    expect(await jsonpath('envds', '{.metadata.generation} {.spec.template.spec.containers[0].env}')).toBe('3 [{"name":"LOG_LEVEL","value":"debug"}]');
    await waitRevisions('envds', '1,2,3');

    expect(await cli(['set', 'env', 'ds/envds', 'LOG_LEVEL=debug'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['set', 'env', 'ds/envds', 'LOG_LEVEL=info', '--overwrite=false'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "error: daemonsets/envds 'LOG_LEVEL' already has a value (debug), and --overwrite is false\n",
    });

    // References to a ConfigMap's keys (--from), listed with their values (--resolve).
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  log.level: warn\n  PORT: "8080"\n';
    expect((await cli(['apply', '-f', '-'], cm)).code).toBe(0);
    const listed = await cli(['set', 'env', 'ds/envds', '--from=configmap/settings', '--list', '--resolve']);
    expect(listed).toMatchObject({ code: 0, stdout: '# DaemonSet envds, container agent\nLOG_LEVEL=warn\nPORT=8080\n', stderr: 'Warning: key log.level transferred to LOG_LEVEL\n' });
    expect((await cli(['set', 'env', 'ds/envds', '--from=configmap/settings', '--keys=PORT'])).stdout).toBe('daemonset.apps/envds env updated\n');
    expect((await cli(['set', 'env', 'ds/envds', '--list'])).stdout).toBe('# DaemonSet envds, container agent\nLOG_LEVEL=debug\n# PORT from configmap settings, key PORT\n');
    expect(await jsonpath('envds', '{.metadata.generation}')).toBe('4');
    await waitRevisions('envds', '1,2,3,4');
  });

  it('set -f reads the objects a file names from the server; --local changes them here, with no server at all', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('fromfile'))).code).toBe(0);
    await waitRevisions('fromfile', '1');
    const file = join(dir, 'fromfile.yaml');
    writeFileSync(file, dsManifest('fromfile'));
    expect(await cli(['set', 'image', '-f', file, 'agent=busybox:1.37'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/fromfile image updated\n', stderr: '' });
    expect(await jsonpath('fromfile', '{.metadata.generation} {.spec.template.spec.containers[0].image}')).toBe('2 busybox:1.37');
    // -l selects by the labels the server's object has, not the file's (kubectl filters after the read).
    expect((await cli(['label', 'ds/fromfile', 'tier=edge'])).code).toBe(0);
    expect(await cli(['set', 'image', '-f', file, '-l', 'tier=edge', 'agent=busybox:1.38'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/fromfile image updated\n' });
    expect(await cli(['set', 'image', '-f', file, '-l', 'tier=core', 'agent=busybox:1.39'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['set', 'image', '-f', file, 'agent=busybox:1.37'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/fromfile image updated\n' });
    // A file object the server does not have, in a namespace that does not exist either.
    const ghost = join(dir, 'ghost.yaml');
    writeFileSync(ghost, dsManifest('ghost').replace('name: ghost', 'name: ghost\n  namespace: nowhere'));
    expect(await cli(['set', 'image', '-f', ghost, 'agent=x'])).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): namespaces "nowhere" not found\n' });

    // --local: the file's object changed and printed; the server's is not touched, nor asked
    // (a kubeconfig whose server cannot be reached).
    const offline = join(dir, 'offline.kubeconfig');
    writeFileSync(offline, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n');
    const local = await runEverynode(['set', 'image', '--local', '-f', file, 'agent=busybox:9', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], { kubeconfig: offline });
    expect(local).toMatchObject({ code: 0, stdout: 'busybox:9', stderr: '' });
    expect((await runEverynode(['set', 'env', '--local', '-f', file, 'A=1'], { kubeconfig: offline })).stdout).toBe('daemonset.apps/fromfile env updated\n');
    expect(await jsonpath('fromfile', '{.metadata.generation} {.spec.template.spec.containers[0].image}')).toBe('4 busybox:1.37');
  });

  const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);
  it.skipIf(kubectlBinary === undefined)('prints what kubectl 1.32 prints for the same commands (twin DaemonSets)', async () => {
    const cacheDir = join(dir, 'kubectl-cache');
    const fileOf = (name: string): string => join(dir, name);
    for (const ns of ['set-kc', 'set-en']) {
      expect((await cli(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`)).code).toBe(0);
      expect((await cli(['apply', '-f', '-'], twinManifest(ns))).code).toBe(0);
    }
    const commands: string[][] = [
      ['image', 'ds/twin', 'agent=busybox:1.37'],
      ['image', 'ds/twin', 'agent=busybox:1.37'],
      ['image', 'daemonset', 'twin', '*=busybox:1.38', '-o', 'name'],
      ['image', 'ds/twin', 'c=x', 'agent=busybox:1.39'],
      ['image', 'ds/twin', 'ds/nope', 'agent=x'],
      ['image', 'ds/twin', 'agent='],
      ['image', 'ds/twin', 'agent=busybox:2', '--dry-run=server'],
      ['image', 'ds/twin', 'agent=busybox:2', '--dry-run=client', '-o', 'jsonpath={.spec.template.spec.containers[*].image}'],
      ['image', 'ds', 'twin', 'c=x', '-l', 'app=twin'],
      ['env', 'ds/twin', 'C=3'],
      ['env', 'ds/twin', '--list'],
      ['env', 'ds/twin', '--list', '--resolve', '-c', 'agent'],
      ['env', 'ds/twin', 'A-', 'C-', 'Q=1', '-c', 'agent'],
      ['env', 'ds/twin', 'B=9', '--overwrite=false'],
      ['env', 'ds/twin', 'X=1', '-c', 'nope'],
      ['env', 'ds/twin', '1X=1'],
      ['env', 'ds', '--all', 'Z=1', '-c', 'side', '-o', 'name'],
      ['env', 'ds/twin', 'R=1', '--dry-run=client', '-o', 'jsonpath={.spec.template.spec.containers[0].env}'],
      ['resources', 'ds/twin', '--limits=cpu=0.5,memory=128Mi', '--requests=cpu=100m'],
      ['resources', 'ds/twin', '--limits=cpu=500m'],
      ['resources', 'ds/twin', '-c', 'init', '--limits=cpu=300m', '-o', 'name'],
      ['resources', 'ds/twin', '-c', 'nope', '--limits=cpu=1'],
      ['resources', 'ds/twin', '-c', 'a*', '--requests=memory=1Gi', '--limits=memory=512Mi'],
      ['resources', 'ds', '--all', '--limits=cpu=2', '--dry-run=client', '-o', 'jsonpath={.spec.template.spec.containers[*].resources}'],
      ['resources', 'ds/twin', '--limits=cpu'],
      ['resources', 'ds/twin'],
      // -f: the file's objects read from the server (in -n's namespace: the file names none).
      ['image', '-f', fileOf('twin.yaml'), 'agent=busybox:1.40'],
      ['image', '-f', fileOf('twin.yaml'), 'ds/twin', 'agent=x'],
      ['image', '-f', fileOf('twin.yaml'), 'daemonset', 'twin', 'agent=x'],
      ['image', '-f', fileOf('twin.yaml'), '-l', 'app=twin', 'agent=busybox:1.41'],
      ['env', '-f', fileOf('twin.yaml'), '--list', '-c', 'agent'],
      ['image', '-f', fileOf('elsewhere.yaml'), 'agent=x'],
      // --local: changed here and printed.
      ['image', '--local', '-f', fileOf('twin.yaml'), 'agent=busybox:9'],
      ['image', '--local', '-f', fileOf('twin.yaml'), 'agent=busybox:9', '-o', 'yaml'],
      ['image', '--local', '-f', fileOf('with-cm.yaml'), '*=busybox:9'],
      ['image', '--local', '-f', fileOf('twin.yaml'), 'agent=busybox:9', '--dry-run=client'],
      ['env', '--local', '-f', fileOf('twin.yaml'), 'X=1', '-o', 'json'],
      ['env', '--local', '-f', fileOf('twin.yaml'), '--list'],
      ['resources', '--local', '-f', fileOf('twin.yaml'), '--limits=cpu=1', '-o', 'name'],
      ['image', '--local', 'ds/twin', 'agent=x'],
      ['env', '--local', 'ds/twin', 'X=1'],
      ['image', '--local', '-f', fileOf('twin.yaml'), 'agent=x', '--dry-run=server'],
      ['image', '--local', '-f', fileOf('elsewhere.yaml'), 'agent=x'],
    ];
    writeFileSync(fileOf('twin.yaml'), twinManifest('x').replace('  namespace: x\n', ''));
    writeFileSync(fileOf('elsewhere.yaml'), twinManifest('elsewhere'));
    writeFileSync(fileOf('with-cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n---\n${twinManifest('x').replace('  namespace: x\n', '')}`);
    for (const c of commands) {
      const k = await runKubectl({ kubeconfig: kc, cacheDir }, ['set', ...c, '-n', 'set-kc'], { binary: kubectlBinary! });
      const e = await cli(['set', ...c, '-n', 'set-en']);
      // The twins' namespaces are named in some messages (a namespace -n contradicts).
      const same = (text: string): string => text.replaceAll('"set-kc"', '"set-en"');
      expect({ code: e.code, stdout: e.stdout, stderr: e.stderr }, `set ${c.join(' ')}`).toEqual({ code: k.code, stdout: same(k.stdout), stderr: same(k.stderr) });
    }
    // The same changes reached the server: the twins have the same template and generation.
    const template = '{.metadata.generation} {.spec.template}';
    expect(await jsonpath('twin', template, 'set-en')).toBe(await jsonpath('twin', template, 'set-kc'));
  }, 240_000); // ~40 s alone: about 85 CLI and kubectl runs, slow when the machine is loaded
});
