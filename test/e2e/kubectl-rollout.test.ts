// The real `kubectl rollout` against `everynode up --nodes 2` (the built binary as a
// subprocess: API server, controllers and two node agents running real processes), so daemon
// pods really start and become Ready and every rollout is carried out by the controller:
// status, an image change, history (with --revision), undo (with --to-revision and kubectl's
// "skipped rollback", which needs revision data exactly as kubectl encodes it), restart, and
// the OnDelete refusal of `rollout status`.
//
// Runs where `kubectl` is on PATH; skipped with a message otherwise.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, daemonSetsResource, podsResource, type RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { kubectlAvailable, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { everynodeBin, killPidsWith, pidsWith, repoRoot, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('kubectl rollout e2e tests skipped: no `kubectl` on PATH');

const cleanup = new Cleanup();
const mark = `everynode-e2e-rollout-${randomBytes(4).toString('hex')}`;
let up: SpawnedProcess;
let kubeconfig = '';
let cacheDir = '';
let dir = '';
let client: RestClient;

function kubectl(args: string[], timeoutMs = 60_000): Promise<KubectlRun> {
  return runKubectl({ kubeconfig: kubeconfig, cacheDir }, args, { timeoutMs });
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * A DaemonSet whose container is a real `sh` (sleeping in a child; the agent signals the whole
 * process group) tagged with this run's marker as $0. The command holds `&` and `>` on purpose:
 * Go escapes them in JSON (\u0026) and kubectl compares revision bytes, so "skipped rollback"
 * also proves the server stores JSON as Go writes it, and serves the template's defaults as Go
 * decodes them (a resourceFieldRef's divisor).
 */
function daemonSet(name: string, image: string, strategy: 'RollingUpdate' | 'OnDelete' = 'RollingUpdate'): string {
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'c',
              image,
              command: ['sh', '-c', 'sleep 1000 & wait; true >/dev/null', `${mark}-${name}`],
              // No divisor: kubectl's copy of the template has `divisor: "0"`, as the server serves it.
              env: [{ name: 'CPUS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }],
            },
          ],
        },
      },
    },
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(ds));
  return file;
}

async function podsOf(name: string): Promise<Pod[]> {
  return (await client.list<Pod>(podsResource, { namespace: 'default', labelSelector: `app=${name}` })).items;
}

function ready(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function image(name: string): Promise<string | undefined> {
  return (await client.get<DaemonSet>(daemonSetsResource, 'default', name)).spec.template.spec.containers[0]?.image;
}

/** Revision numbers listed by `kubectl rollout history`. */
function revisions(history: string): number[] {
  return history
    .split('\n')
    .map((l) => /^(\d+)\s/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
}

async function rolledOut(name: string): Promise<void> {
  const r = await kubectl(['rollout', 'status', `ds/${name}`, '--timeout=90s'], 100_000);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toContain(`daemon set "${name}" successfully rolled out`);
}

beforeAll(async () => {
  if (!hasKubectl) return;
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  dir = makeTempDir(cleanup, 'kubectl-rollout');
  cacheDir = makeTempDir(cleanup, 'kubectl-cache');
  const dataDir = makeTempDir(cleanup, 'up');
  // Last resort for daemons of a failed run (`up` stops them itself on SIGTERM).
  cleanup.defer(() => {
    killPidsWith(mark);
  }, 'daemon processes');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '2'], { cwd: repoRoot });
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  kubeconfig = m[2]!;
  client = clientFromKubeconfig(kubeconfig).client;
  await waitFor(() => /node node-2: InternalIP/.test(up.output()), { timeoutMs: 30_000, message: 'two local nodes started' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe.skipIf(!hasKubectl)('kubectl rollout against everynode up --nodes 2', () => {
  let firstUIDs: string[] = [];

  it('rollout status succeeds once both daemon pods run and are Ready', async () => {
    await ok('apply', '-f', daemonSet('x', 'busybox:1'));
    await rolledOut('x');
    const pods = await podsOf('x');
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['node-1', 'node-2']);
    expect(pods.every(ready)).toBe(true);
    expect(pidsWith(`${mark}-x`).length).toBeGreaterThanOrEqual(2);
    firstUIDs = pods.map((p) => p.metadata.uid ?? '');
  }, 120_000);

  it('an image change rolls out: status waits, then succeeds with new pods on the new image', async () => {
    await ok('set', 'image', 'ds/x', 'c=busybox:2');
    await rolledOut('x');
    const pods = await podsOf('x');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.spec.containers[0]?.image === 'busybox:2' && ready(p))).toBe(true);
    expect(pods.some((p) => firstUIDs.includes(p.metadata.uid ?? ''))).toBe(false);
  }, 120_000);

  it('rollout history lists revisions 1 and 2; --revision=1 shows the old template', async () => {
    expect(revisions(await ok('rollout', 'history', 'ds/x'))).toEqual([1, 2]);
    const r1 = await ok('rollout', 'history', 'ds/x', '--revision=1');
    expect(r1).toContain('busybox:1');
    expect(r1).not.toContain('busybox:2');
    expect(await ok('rollout', 'history', 'ds/x', '--revision=2')).toContain('busybox:2');
  }, 30_000);

  it('rollout undo goes back to the old image as revision 3; undo to 3 again is skipped', async () => {
    expect(await ok('rollout', 'undo', 'ds/x')).toContain('daemonset.apps/x rolled back');
    expect(await image('x')).toBe('busybox:1');
    await rolledOut('x');
    const pods = await podsOf('x');
    expect(pods.every((p) => p.spec.containers[0]?.image === 'busybox:1' && ready(p))).toBe(true);
    expect(revisions(await ok('rollout', 'history', 'ds/x'))).toEqual([2, 3]);

    const skipped = await ok('rollout', 'undo', 'ds/x', '--to-revision=3');
    expect(skipped).toContain('daemonset.apps/x skipped rollback (current template already matches revision 3)');
    expect(revisions(await ok('rollout', 'history', 'ds/x'))).toEqual([2, 3]);
  }, 120_000);

  it('rollout restart replaces every pod (new UIDs) and status succeeds', async () => {
    const before = (await podsOf('x')).map((p) => p.metadata.uid ?? '');
    expect(await ok('rollout', 'restart', 'ds/x')).toContain('daemonset.apps/x restarted');
    await rolledOut('x');
    const after = await podsOf('x');
    expect(after).toHaveLength(2);
    expect(after.every(ready)).toBe(true);
    expect(after.some((p) => before.includes(p.metadata.uid ?? ''))).toBe(false);
  }, 120_000);

  it('rollout status on an OnDelete DaemonSet fails with kubectl\'s message', async () => {
    await ok('apply', '-f', daemonSet('y', 'busybox:1', 'OnDelete'));
    const r = await kubectl(['rollout', 'status', 'ds/y', '--timeout=20s']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('rollout status is only available for RollingUpdate strategy type');
  }, 30_000);
});
