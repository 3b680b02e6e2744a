// `everynode up --nodes 1` as a subprocess: a container that exits at once is restarted with
// CrashLoopBackOff and the kubelet's default delays: the first restart at once, then 10 s, then
// 20 s. The test observes the waiting reason, the back-off messages, and that the gaps between
// an attempt's exit and the next attempt's start grow; deleting the pod leaves no process.
// (About 35 s of wall time: the delays are the production ones, not shortened.)
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, podsResource, type RestClient } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, pidsWith, spawnNode, type SpawnedProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { sleep, waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
const mark = `everynode-e2e-crash-${randomBytes(4).toString('hex')}`;
let up: SpawnedProcess;
let client: RestClient;

beforeAll(async () => {
  if (!existsSync(everynodeBin)) throw new Error(`${everynodeBin} is missing: run \`npm run build\` first`);
  const dataDir = makeTempDir(cleanup, 'up-crash');
  up = spawnNode(cleanup, [everynodeBin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '1']);
  const m = await waitFor(() => /everynode server listening on (http\S+) \(kubeconfig: ([^)]+)\)/.exec(up.output()) ?? undefined, {
    timeoutMs: 30_000,
    message: `everynode up listening; output:\n${up.output()}`,
  });
  client = clientFromKubeconfig(m[2]!).client;
  await waitFor(() => /node node-1: InternalIP 127\.0\.1\.1/.test(up.output()), { message: 'the local node started' });
}, 60_000);

afterAll(async () => {
  await cleanup.run();
}, 60_000);

describe('CrashLoopBackOff', () => {
  it('restarts a crashing container with growing delays', async () => {
    await client.create<Pod>(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crasher', namespace: 'default' },
      spec: {
        nodeName: 'node-1',
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'crash', image: 'sh', command: ['sh', '-c', `echo about to crash; exit 3 # ${mark}`] }],
      },
    });

    // Every attempt seen (by container id) with its start and finish, and every waiting message.
    const attempts = new Map<string, { startedAt: number; finishedAt?: number; exitCode?: number }>();
    const waiting: { reason: string; message: string }[] = [];
    const record = (cs: ContainerStatus): void => {
      const note = (id: string | undefined, startedAt: string | undefined, finishedAt?: string, exitCode?: number): void => {
        if (!id || !startedAt) return;
        const a = attempts.get(id) ?? { startedAt: Date.parse(startedAt) };
        if (finishedAt) a.finishedAt = Date.parse(finishedAt);
        if (exitCode !== undefined) a.exitCode = exitCode;
        attempts.set(id, a);
      };
      const t = cs.state?.terminated;
      note(t?.containerID ?? cs.containerID, t?.startedAt, t?.finishedAt, t?.exitCode);
      note(cs.containerID, cs.state?.running?.startedAt);
      const lt = cs.lastState?.terminated;
      note(lt?.containerID, lt?.startedAt, lt?.finishedAt, lt?.exitCode);
      const w = cs.state?.waiting;
      if (w?.reason && (waiting.length === 0 || waiting[waiting.length - 1]!.message !== (w.message ?? ''))) waiting.push({ reason: w.reason, message: w.message ?? '' });
    };
    const pod = await waitFor(async () => {
      const p = await client.get<Pod>(podsResource, 'default', 'crasher');
      const cs = p.status?.containerStatuses?.[0];
      if (cs) record(cs);
      await sleep(100);
      return (cs?.restartCount ?? 0) >= 3 && cs?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    }, { timeoutMs: 60_000, intervalMs: 0, message: 'three restarts and CrashLoopBackOff again' });

    const cs = pod.status!.containerStatuses![0]!;
    expect(cs.ready).toBe(false);
    expect(cs.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(pod.status!.phase).toBe('Running');
    const messages = waiting.filter((w) => w.reason === 'CrashLoopBackOff').map((w) => w.message);
    expect(messages).toContain('back-off 10s restarting failed container=crash pod=crasher_default(' + pod.metadata.uid + ')');
    expect(messages).toContain('back-off 20s restarting failed container=crash pod=crasher_default(' + pod.metadata.uid + ')');

    // Gaps between one attempt's exit and the next one's start (RFC 3339 seconds) grow.
    const seq = [...attempts.values()].filter((a) => a.finishedAt !== undefined).sort((a, b) => a.startedAt - b.startedAt);
    expect(seq.length).toBeGreaterThanOrEqual(3);
    const gaps = seq.slice(1).map((a, i) => a.startedAt - seq[i]!.finishedAt!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    if (gaps.length > 2) expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(seq.every((a) => a.exitCode === 3)).toBe(true);

    await client.delete(podsResource, 'default', 'crasher');
    await waitFor(async () => {
      try {
        await client.get(podsResource, 'default', 'crasher');
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 30_000, message: 'the pod deleted' });
    expect(pidsWith(mark)).toEqual([]);
  }, 80_000);
});
