// `everynode replace -f` as the built binary against a started `everynode server`: a whole
// object replaced (the live resourceVersion taken when the file has none, a stale one refused),
// --force deleting and creating again (a new uid), both dry runs, and flag errors before any
// request. Where the real kubectl 1.32 is installed, the same commands print byte for byte what
// kubectl prints (each on a twin namespace).
import { writeFileSync } from 'node:fs';
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

const cli = (args: string[], input?: string) => runEverynode(args, { kubeconfig: kc, ...(input !== undefined ? { input } : {}) });

/** Two ConfigMaps (and with `lease`, a Lease) without namespace or resourceVersion. */
function manifest(value: string, lease = false): string {
  const cms = ['a', 'b'].map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n  labels: {v: "${value}"}\ndata:\n  value: "${value}"\n`);
  if (lease) cms.push('apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: l\nspec:\n  holderIdentity: h\n');
  return cms.join('---\n');
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(async () => {
  dir = makeTempDir(cleanup, 'cli-replace');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
});

afterAll(async () => {
  await cleanup.run();
});

async function get(name: string, ns: string): Promise<{ uid: string; resourceVersion: string; value: string }> {
  const r = await cli(['get', 'cm', name, '-n', ns, '-o', 'jsonpath={.metadata.uid} {.metadata.resourceVersion} {.data.value}']);
  expect(r.code, r.stderr).toBe(0);
  const [uid, resourceVersion, value] = r.stdout.split(' ');
  return { uid: uid!, resourceVersion: resourceVersion!, value: value! };
}

describe('everynode replace -f', () => {
  it('replaces whole objects, refuses a stale resourceVersion and a missing object, and --force makes them anew', async () => {
    expect((await cli(['create', 'ns', 'rp'])).code).toBe(0);
    const v1 = file('v1.yaml', manifest('1'));
    expect(await cli(['replace', '-f', v1, '-n', 'rp'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error from server (NotFound): error when replacing "${v1}": configmaps "a" not found\nError from server (NotFound): error when replacing "${v1}": configmaps "b" not found\n`,
    });
    expect((await cli(['create', '-f', v1, '-n', 'rp'])).code).toBe(0);
    const before = await get('a', 'rp');
    // No resourceVersion in the file: the live one is taken, the object replaced.
    expect(await cli(['replace', '-f', file('v2.yaml', manifest('2')), '-n', 'rp'])).toEqual({ code: 0, stdout: 'configmap/a replaced\nconfigmap/b replaced\n', stderr: '' });
    const after = await get('a', 'rp');
    expect(after).toMatchObject({ uid: before.uid, value: '2' });
    expect(Number(after.resourceVersion)).toBeGreaterThan(Number(before.resourceVersion));
    // A stale resourceVersion in the file is the server's conflict; nothing changes.
    const stale = (await cli(['get', 'cm', 'a', '-n', 'rp', '-o', 'yaml'])).stdout.replace(/resourceVersion: "\d+"/, `resourceVersion: "${before.resourceVersion}"`).replace(/value: "2"/, 'value: "3"');
    const r = await cli(['replace', '-f', '-', '-n', 'rp'], stale);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "a"');
    expect((await get('a', 'rp')).value).toBe('2');
    // Dry runs change nothing.
    const v4 = file('v4.yaml', manifest('4'));
    expect(await cli(['replace', '-f', v4, '-n', 'rp', '--dry-run=server', '-o', 'jsonpath={.data.value}'])).toEqual({ code: 0, stdout: '44', stderr: '' });
    expect(await cli(['replace', '-f', v4, '-n', 'rp', '--dry-run=client'])).toEqual({ code: 0, stdout: 'configmap/a replaced (dry run)\nconfigmap/b replaced (dry run)\n', stderr: '' });
    expect((await get('a', 'rp')).value).toBe('2');
    // --force: deleted, gone, created again from the file (a new uid).
    expect(await cli(['replace', '--force', '-f', v4, '-n', 'rp'])).toEqual({ code: 0, stdout: 'configmap "a" deleted\nconfigmap "b" deleted\nconfigmap/a replaced\nconfigmap/b replaced\n', stderr: '' });
    const forced = await get('a', 'rp');
    expect(forced.value).toBe('4');
    expect(forced.uid).not.toBe(before.uid);
  });

  it('refuses flag mistakes before any request', async () => {
    const v = file('flags.yaml', manifest('9'));
    expect(await cli(['replace', '--force', '--dry-run=client', '-f', v])).toEqual({ code: 1, stdout: '', stderr: 'error: --dry-run can not be used when --force is set\n' });
    expect(await cli(['replace', '--grace-period=3', '-f', v])).toEqual({ code: 1, stdout: '', stderr: 'error: --grace-period must have --force specified\n' });
    expect(await cli(['replace', '--cascade=sometimes', '-f', v])).toMatchObject({ code: 1, stderr: 'error: invalid cascade value (sometimes). Must be "background", "foreground", or "orphan"\n' });
    expect((await cli(['replace'])).code).toBe(1);
  });

  const kubectlBinary = versionedKubectl(32) ?? (kubectlAvailable() ? 'kubectl' : undefined);
  it.skipIf(kubectlBinary === undefined)('prints what kubectl 1.32 prints for the same commands (twin namespaces)', async () => {
    const kubectl = (args: string[]) => runKubectl({ kubeconfig: kc, cacheDir: join(dir, 'kubectl-cache') }, args, { binary: kubectlBinary! });
    for (const ns of ['tw-kc', 'tw-en']) expect((await cli(['create', 'ns', ns])).code).toBe(0);
    const v1 = file('t1.yaml', manifest('1', true));
    const v2 = file('t2.yaml', manifest('2', true));
    const cms = file('t0.yaml', manifest('0'));
    const commands: string[][] = [
      ['-f', v1],
      ['-f', v2, '-o', 'name'],
      ['-f', v1, '--dry-run=client'],
      ['-f', v1, '--dry-run=server', '-o', 'jsonpath={.metadata.name}'],
      ['-f', v2, '-o', 'yaml'],
      ['--force', '-f', v1],
      ['--force', '-f', v2, '-o', 'name'],
      ['--force', '--grace-period=0', '-f', v1],
      ['--dry-run=server', '--force', '-f', v1],
      ['--grace-period=1', '-f', v1],
    ];
    const norm = (s: string) => s.replace(/("?(uid|resourceVersion|creationTimestamp|time|renewTime|acquireTime)"?: )"?[^,"\n]*"?(?=,?\n)/g, '$1X').replace(/tw-(kc|en)/g, 'tw-S');
    // The first command finds the ConfigMaps missing in both namespaces (the Lease is created on update).
    for (const c of commands) {
      const k = await kubectl(['replace', '-n', 'tw-kc', ...c]);
      const e = await cli(['replace', '-n', 'tw-en', ...c]);
      expect({ code: e.code, stdout: norm(e.stdout), stderr: norm(e.stderr) }, `replace ${c.join(' ')}`).toEqual({ code: k.code, stdout: norm(k.stdout), stderr: norm(k.stderr) });
      if (c === commands[0]) for (const ns of ['tw-kc', 'tw-en']) expect((await cli(['create', '-f', cms, '-n', ns])).code).toBe(0);
    }
  });
});
