// `everynode rollout status|history|undo|restart` as a built binary against a server started
// with --disable-controllers: the test plays the DaemonSet controller itself, writing
// DaemonSet status through /status and ControllerRevisions as the controller would, so every
// rollout state is reached deterministically.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { httpRequest } from '../helpers/http.js';
import { everynodeBin, spawnNode, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { dsManifest, killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';

const cleanup = new Cleanup();
let server: ServerProcess;
let dir = '';
let kc = '';

const cli = (args: string[], input?: string) => runEverynode(args, input === undefined ? { kubeconfig: kc } : { kubeconfig: kc, input });
const dsUrl = (name: string, sub = '') => `${server.url}/apis/apps/v1/namespaces/default/daemonsets/${name}${sub}`;

async function writeStatus(name: string, s: { observedGeneration: number; desired: number; updated: number; available: number }): Promise<void> {
  const body = JSON.stringify({
    status: {
      observedGeneration: s.observedGeneration,
      desiredNumberScheduled: s.desired,
      currentNumberScheduled: s.desired,
      numberReady: s.available,
      updatedNumberScheduled: s.updated,
      numberAvailable: s.available,
      numberMisscheduled: 0,
    },
  });
  const r = await httpRequest(dsUrl(name, '/status'), { method: 'PATCH', body, contentType: 'application/merge-patch+json'});
  expect(r.status, r.text).toBe(200);
}

async function getDs(name: string): Promise<{ metadata: { uid: string; generation: number }; spec: { template: Record<string, unknown> } }> {
  const r = await httpRequest(dsUrl(name));
  expect(r.status, r.text).toBe(200);
  return r.json as { metadata: { uid: string; generation: number }; spec: { template: Record<string, unknown> } };
}

/** A ControllerRevision owned by the DS whose payload is the template with `image`. */
function revision(name: string, uid: string, template: Record<string, unknown>, image: string, rev: number, hash: string): string {
  const t = JSON.parse(JSON.stringify(template)) as { spec: { containers: { image: string }[] } } & Record<string, unknown>;
  t.spec.containers[0]!.image = image;
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${name}-${hash}`,
      labels: { app: name, 'controller-revision-hash': hash },
      ...(rev === 2 ? { annotations: { 'kubernetes.io/change-cause': 'image bump' } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    data: { spec: { template: { ...t, $patch: 'replace' } } },
    revision: rev,
  });
}

beforeAll(async () => {
  dir = makeTempDir(cleanup, 'cli-rollout');
  server = await startServerProcess(cleanup, { dataDir: join(dir, 'data'), extraArgs: ['--disable-controllers'] });
  kc = server.kubeconfigPath;
  cleanup.defer(killCliChildren, 'cli children');
});

afterAll(async () => {
  await cleanup.run();
});

describe('everynode rollout', () => {
  it('status prints each state once as plain lines and ends when the rollout is done', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('roll'))).code).toBe(0);
    const p = spawnNode(cleanup, [everynodeBin, 'rollout', 'status', 'ds/roll', '--timeout', '50s'], { env: { ...process.env, KUBECONFIG: kc, NO_COLOR: '1' } });
    await waitFor(() => p.output().includes('Waiting for daemon set spec update to be observed...\n'), { message: 'the first status line' });
    await writeStatus('roll', { observedGeneration: 1, desired: 3, updated: 1, available: 0 });
    await waitFor(() => p.output().includes('Waiting for daemon set "roll" rollout to finish: 1 out of 3 new pods have been updated...\n'), { message: 'the updated line' });
    await writeStatus('roll', { observedGeneration: 1, desired: 3, updated: 3, available: 2 });
    await waitFor(() => p.output().includes('Waiting for daemon set "roll" rollout to finish: 2 of 3 updated pods are available...\n'), { message: 'the available line' });
    await writeStatus('roll', { observedGeneration: 1, desired: 3, updated: 3, available: 3 });
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(p.output()).toBe(
      'Waiting for daemon set spec update to be observed...\n' +
        'Waiting for daemon set "roll" rollout to finish: 1 out of 3 new pods have been updated...\n' +
        'Waiting for daemon set "roll" rollout to finish: 2 of 3 updated pods are available...\n' +
        'daemon set "roll" successfully rolled out\n',
    );
    // Already done: one line, exit 0, no watch.
    expect(await cli(['rollout', 'status', 'daemonset', 'roll'])).toMatchObject({ code: 0, stdout: 'daemon set "roll" successfully rolled out\n' });
  });

  it('status ends with exit code 130 on SIGINT (143 on SIGTERM), without a final status line', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('interrupted'))).code).toBe(0);
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const p = spawnNode(cleanup, [everynodeBin, 'rollout', 'status', 'ds/interrupted'], { env: { ...process.env, KUBECONFIG: kc, NO_COLOR: '1' } });
      await waitFor(() => p.output().includes('Waiting for daemon set spec update to be observed...\n'), { message: 'the first status line' });
      p.signalGroup(signal);
      const exit = await p.exited;
      expect(exit, signal).toEqual({ code, signal: null });
      expect(p.output(), signal).toBe('Waiting for daemon set spec update to be observed...\n');
    }
  });

  it('status exits 1 on --timeout, and refuses OnDelete, unknown objects and other kinds', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('stuck'))).code).toBe(0);
    await writeStatus('stuck', { observedGeneration: 1, desired: 2, updated: 1, available: 1 });
    const t = await cli(['rollout', 'status', 'ds/stuck', '--timeout', '1s']);
    expect(t.code).toBe(1);
    expect(t.stdout).toBe('Waiting for daemon set "stuck" rollout to finish: 1 out of 2 new pods have been updated...\n');
    expect(t.stderr).toBe('error: timed out waiting for the condition (Waiting for daemon set "stuck" rollout to finish: 1 out of 2 new pods have been updated...)\n');
    const once = await cli(['rollout', 'status', 'ds/stuck', '--watch=false']);
    expect(once).toMatchObject({ code: 0, stdout: 'Waiting for daemon set "stuck" rollout to finish: 1 out of 2 new pods have been updated...\n' });

    const onDelete = dsManifest('ondelete').replace('spec:\n  selector:', 'spec:\n  updateStrategy:\n    type: OnDelete\n  selector:');
    expect((await cli(['apply', '-f', '-'], onDelete)).code).toBe(0);
    expect(await cli(['rollout', 'status', 'ds/ondelete'])).toMatchObject({ code: 1, stderr: 'error: rollout status is only available for RollingUpdate strategy type\n' });
    expect(await cli(['rollout', 'status', 'ds/ghost'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): daemonsets.apps "ghost" not found\n' });
    // Several: the others go on, the ones that cannot be watched are said after them.
    await writeStatus('stuck', { observedGeneration: 1, desired: 2, updated: 2, available: 2 });
    expect(await cli(['rollout', 'status', 'ds/ondelete', 'ds/ghost', 'ds/stuck'])).toEqual({
      code: 1,
      stdout: 'daemon set "stuck" successfully rolled out\n',
      stderr: 'error: rollout status is only available for RollingUpdate strategy type\nError from server (NotFound): daemonsets.apps "ghost" not found\n',
    });
    expect(await cli(['rollout', 'status', 'no/n1'])).toMatchObject({ code: 1, stderr: 'error: rollout is supported for daemonsets only, not nodes\n' });
    expect((await cli(['rollout', 'status', 'ds/stuck', '--timeout', 'soon'])).stderr).toBe('error: invalid duration "soon": use e.g. 30s, 5m, 1h\n');
  });

  it('history lists owned revisions; undo patches the previous one back; restart stamps the template', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('hist', 'busybox:1.37'))).code).toBe(0);
    expect(await cli(['rollout', 'history', 'ds/hist'])).toMatchObject({ code: 0, stdout: 'No rollout history found.\n' });
    const ds = await getDs('hist');
    const f = join(dir, 'revs.json');
    writeFileSync(f, `${revision('hist', ds.metadata.uid, ds.spec.template, 'busybox:1.36', 1, 'aaa')}\n---\n${revision('hist', ds.metadata.uid, ds.spec.template, 'busybox:1.37', 2, 'bbb')}\n---\n${revision('hist', 'someone-else', ds.spec.template, 'busybox:9', 7, 'ccc')}`);
    expect((await cli(['create', '-f', f])).code).toBe(0);

    const h = await cli(['rollout', 'history', 'ds/hist']);
    expect(h).toMatchObject({ code: 0, stdout: 'daemonset.apps/hist \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image bump\n\n' });
    const one = await cli(['rollout', 'history', 'ds/hist', '--revision', '1']);
    expect(one.stdout).toMatch(/^daemonset\.apps\/hist with revision #1\nPod Template:\n[\s\S]*Image:\tbusybox:1\.36\n/);
    expect(await cli(['rollout', 'history', 'ds/hist', '--revision', '7'])).toMatchObject({ code: 1, stderr: 'error: unable to find the specified revision\n' });

    expect(await cli(['rollout', 'undo', 'ds/hist', '--to-revision', '2'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/hist skipped rollback (current template already matches revision 2)\n' });
    expect(await cli(['rollout', 'undo', 'ds/hist', '--to-revision', '9'])).toMatchObject({ code: 1, stderr: 'error: unable to find specified revision 9 in history\n' });
    expect(await cli(['rollout', 'undo', 'ds/hist'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/hist rolled back\n' });
    const after = await cli(['get', 'ds', 'hist', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}']);
    expect(after.stdout).toBe(`busybox:1.36 ${ds.metadata.generation + 1}`);

    expect(await cli(['rollout', 'restart', 'ds/hist'])).toMatchObject({ code: 0, stdout: 'daemonset.apps/hist restarted\n' });
    const stamp = await cli(['get', 'ds', 'hist', '-o', "jsonpath={.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']}"]);
    expect(stamp.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await cli(['rollout', 'pause', 'ds/hist'])).stderr).toBe('error: daemonsets.apps "hist" pausing is not supported\n');

    // A bare type, or -l: every DaemonSet it selects, in name order, as kubectl.
    expect((await cli(['apply', '-f', '-'], dsManifest('hist-b', 'busybox:1.37', '\n    team: b'))).code).toBe(0);
    const all = await cli(['rollout', 'history', 'ds']);
    expect(all.code, all.stderr).toBe(0);
    // hist's revisions, and hist-b's none (no controller runs here to make one), among the other tests' DaemonSets.
    expect(all.stdout).toContain('daemonset.apps/hist \nREVISION  CHANGE-CAUSE\n1         <none>\n');
    expect(all.stdout).toContain('No rollout history found.\n');
    expect(await cli(['rollout', 'restart', 'ds', '-l', 'team=b'])).toEqual({ code: 0, stdout: 'daemonset.apps/hist-b restarted\n', stderr: '' });
    expect(await cli(['rollout', 'restart', 'ds', '-l', 'team=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect(await cli(['rollout', 'history', 'ds', '-l', 'team=none'])).toEqual({ code: 0, stdout: '', stderr: '' });
    // undo takes a bare type and -l too; hist-b has no revision to go back to (no controller here).
    expect(await cli(['rollout', 'undo', 'ds', '-l', 'team=b'])).toEqual({ code: 1, stdout: '', stderr: 'error: no last revision to roll back to\n' });
    expect(await cli(['rollout', 'undo', 'ds', '-l', 'team=none'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await cli(['rollout', 'status', 'ds/hist', '-l', 'team=b'])).toEqual({ code: 1, stdout: '', stderr: 'error: selectors and the all flag cannot be used when passing resource/name arguments\n' });
  });
  it('status waits for a server that restarts during the rollout (as kubectl does), and ends when the rollout does', async () => {
    expect((await cli(['apply', '-f', '-'], dsManifest('across'))).code).toBe(0);
    await writeStatus('across', { observedGeneration: 1, desired: 2, updated: 1, available: 0 });
    const p = spawnNode(cleanup, [everynodeBin, 'rollout', 'status', 'ds/across', '--timeout', '90s'], { env: { ...process.env, KUBECONFIG: kc, NO_COLOR: '1' } });
    await waitFor(() => p.output().includes('1 out of 2 new pods have been updated'), { message: 'the first status line' });
    // The same server, stopped and started again on its data dir and port.
    server.signalGroup('SIGTERM');
    await server.exited;
    await new Promise((r) => setTimeout(r, 1500)); // the CLI finds nobody there, and waits
    server = await startServerProcess(cleanup, { dataDir: join(dir, 'data'), listen: `127.0.0.1:${server.port}`, extraArgs: ['--disable-controllers'] });
    await writeStatus('across', { observedGeneration: 1, desired: 2, updated: 2, available: 2 });
    const exit = await p.exited;
    expect(exit.code, p.output()).toBe(0);
    expect(p.output()).toBe('Waiting for daemon set "across" rollout to finish: 1 out of 2 new pods have been updated...\ndaemon set "across" successfully rolled out\n');
  }, 60_000);
});
