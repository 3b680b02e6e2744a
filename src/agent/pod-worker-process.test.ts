// Pod worker over the real ProcessRuntime: downward-API env, workingDir, logs, a container with no
// command (CreateContainerError), termination of the whole process tree, preStop hooks within
// the grace period, sidecars (started before and stopped after the main container), postStart
// hooks and FallbackToLogsOnError termination messages.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killPidsWith, pidsWith } from '../../test/helpers/process.js';
import type { Pod, PodStatus } from '../api/types.js';
import { realClock } from '../util/index.js';
import { PodWorkers } from './pod-worker.js';
import { ProcessRuntime } from './runtime/process-runtime.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

async function until<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function setup(observe?: (pod: Pod, s: PodStatus) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-agent-pw-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const marker = `everynode-pw-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => killPidsWith(marker));
  const runtime = await ProcessRuntime.open({ stateDir: join(dir, 'state') });
  const statuses = new Map<string, PodStatus>();
  const events: string[] = [];
  const workers = new PodWorkers({
    runtime,
    clock: realClock,
    nodeName: 'node-a',
    nodeIP: '127.0.0.1',
    logRoot: join(dir, 'pods'),
    minimumGracePeriodSeconds: 0,
    onStatus: (pod, s) => {
      observe?.(pod, s);
      statuses.set(pod.metadata.uid!, s);
    },
    onEvent: (pod, ev) => events.push(`${pod.metadata.name!} ${ev.type} ${ev.reason}: ${ev.detail ?? ev.message}`),
  });
  cleanups.push(() => workers.shutdown({ gracePeriodSeconds: 0 }));
  return { dir, marker, runtime, workers, statuses, events };
}

describe('PodWorkers on ProcessRuntime', () => {
  it('runs a daemon with downward-API env and workingDir, serves its logs and stops its tree', async () => {
    const { dir, marker, workers, statuses } = await setup();
    const pod: Pod = {
      metadata: { name: 'agent-x1', namespace: 'kube-system', uid: 'pod-uid-1', labels: { app: 'agent' } },
      spec: {
        nodeName: 'node-a',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'example/agent:1',
            workingDir: dir,
            command: ['sh', '-c'],
            args: ['echo "$(POD_NAME) $NS $NODE $HOST_IP $APP $(pwd)"; sleep 1000 & wait # ' + marker],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            ],
          },
        ],
      },
    };
    workers.syncPod(pod);
    const running = await until(() => {
      const s = statuses.get('pod-uid-1');
      return s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
    });
    expect(running.phase).toBe('Running');
    const cs = running.containerStatuses![0]!;
    // process://<pid>-<random hex>: the pid is readable from the id's prefix.
    expect(cs.containerID).toMatch(/^process:\/\/\d+-[0-9a-f]{12}$/);
    const pid = Number(/^process:\/\/(\d+)-/.exec(cs.containerID!)![1]);
    expect(pidsWith(marker)).toContain(pid);
    let text = '';
    for (let i = 0; i < 200 && !text; i++) {
      text = (await workers.logs('pod-uid-1', { container: 'main' })).toString('utf8');
      if (!text) await new Promise((r) => setTimeout(r, 25));
    }
    expect(text).toBe(`agent-x1 kube-system node-a 127.0.0.1 agent ${dir}\n`);
    expect((await workers.logs('pod-uid-1', { container: 'main', timestamps: true })).toString('utf8')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z agent-x1 /);

    await workers.terminatePod('pod-uid-1');
    expect(pidsWith(marker)).toEqual([]);
    const final = statuses.get('pod-uid-1')!;
    expect(final.phase).toBe('Failed');
    expect(final.containerStatuses![0]!.state!.terminated!.exitCode).toBe(143);
    await workers.removePod('pod-uid-1');
  });

  it('stopping and removing a pod known only to the runtime (an agent restarted) removes its log directory too', async () => {
    const { dir, marker, runtime, workers, statuses } = await setup();
    workers.syncPod({
      metadata: { name: 'old-daemon', namespace: 'kube-system', uid: 'pod-uid-9' },
      spec: { nodeName: 'node-a', terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'x', command: ['sh', '-c', `echo hi; sleep 1000 # ${marker}`] }] },
    });
    await until(() => (statuses.get('pod-uid-9')?.phase === 'Running' ? true : undefined));
    const logDir = join(dir, 'pods', 'kube-system_old-daemon_pod-uid-9');
    expect(existsSync(logDir)).toBe(true);
    // The agent stops leaving its daemons running; the next agent's workers know nothing of
    // the pod, the runtime still has it.
    await workers.shutdown({ stopPods: false });
    const next = new PodWorkers({ runtime, clock: realClock, nodeName: 'node-a', nodeIP: '127.0.0.1', logRoot: join(dir, 'pods'), minimumGracePeriodSeconds: 0, onStatus: () => undefined });
    await next.stopUnmanagedPod('pod-uid-9', 0);
    await next.removePod('pod-uid-9');
    expect(existsSync(logDir)).toBe(false);
    expect(pidsWith(marker)).toEqual([]);
    // The start-up sweep removes directories an earlier agent left without containers, and
    // keeps those of pods the workers run.
    const stray = join(dir, 'pods', 'default_gone_pod-uid-stray');
    mkdirSync(join(stray, 'main'), { recursive: true });
    next.syncPod({
      metadata: { name: 'live', namespace: 'default', uid: 'pod-uid-live' },
      spec: { nodeName: 'node-a', terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'x', command: ['sh', '-c', `sleep 1000 # ${marker}`] }] },
    });
    const live = join(dir, 'pods', 'default_live_pod-uid-live');
    await until(() => (existsSync(live) ? true : undefined));
    await next.removeOrphanedPods();
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await next.shutdown({ gracePeriodSeconds: 0 });
  });

  it('holds a container with no command in CreateContainerError with a clear message; the pod stays Pending and its other container runs', async () => {
    const { workers, statuses, events, marker } = await setup();
    workers.syncPod({
      metadata: { name: 'nocmd', namespace: 'default', uid: 'pod-uid-2' },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          { name: 'web', image: 'nginx:1.27' },
          { name: 'side', image: 'sh', command: ['sh', '-c', `sleep 1000 # ${marker}`] },
        ],
      },
    });
    // Statuses are listed by name: side, web.
    const byName = (st: PodStatus | undefined, name: string) => st?.containerStatuses?.find((c) => c.name === name);
    const s = await until(() => {
      const st = statuses.get('pod-uid-2');
      return byName(st, 'side')?.state?.running && byName(st, 'web')?.state?.waiting?.reason === 'CreateContainerError' ? st : undefined;
    });
    expect(s.phase).toBe('Pending');
    expect(s.reason).toBeUndefined();
    expect(s.containerStatuses!.map((c) => c.name)).toEqual(['side', 'web']);
    expect(byName(s, 'web')!.state!.waiting!.message).toContain('container "web" has no command');
    expect(events.some((e) => e.startsWith('nocmd Warning Failed: Error: container "web" has no command'))).toBe(true);
    // Only the side container's shell carries the marker: nothing was started for web. (Its
    // fork of `sleep` carries the marker too until it execs, so wait for that to pass.)
    expect(await until(() => (pidsWith(marker).length === 1 ? true : undefined))).toBe(true);
  });

  it('runs an exec preStop hook before SIGTERM reaches the main process; its time counts against the grace period', async () => {
    const { dir, marker, workers, statuses, events } = await setup();
    const out = join(dir, 'order.txt');
    workers.syncPod({
      metadata: { name: 'prestop', namespace: 'default', uid: 'pod-uid-3' },
      spec: {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: 'main',
            image: 'sh',
            command: ['sh', '-c', `trap 'echo main-term >> "$OUT"; exit 0' TERM; echo main-started >> "$OUT"; while :; do sleep 0.05; done # ${marker}`],
            env: [{ name: 'OUT', value: out }],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo hook-start >> "$OUT"; sleep 1; echo hook-end >> "$OUT" # ${marker}-hook`] } } },
          },
        ],
      },
    });
    await until(() => (existsSync(out) && readFileSync(out, 'utf8').includes('main-started') ? true : undefined));
    await until(() => (statuses.get('pod-uid-3')?.phase === 'Running' ? true : undefined));
    const t0 = Date.now();
    await workers.terminatePod('pod-uid-3');
    const took = Date.now() - t0;
    expect(readFileSync(out, 'utf8')).toBe('main-started\nhook-start\nhook-end\nmain-term\n');
    // The hook's second, then a prompt exit on SIGTERM: well inside the 5 s grace period.
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(4500);
    expect(statuses.get('pod-uid-3')!.containerStatuses![0]!.state!.terminated!.exitCode).toBe(0);
    expect(pidsWith(marker)).toEqual([]);
    expect(events.filter((e) => e.includes('PreStopHook'))).toEqual([]);
    expect(events).toEqual([
      'prestop Normal Pulled: Container image "sh" already present on machine',
      'prestop Normal Created: Created container: main',
      'prestop Normal Started: Started container main',
      'prestop Normal Killing: Stopping container main',
    ]);
  });

  it('cuts off a preStop hook that outlasts the grace period and still kills the container in time', async () => {
    const { dir, marker, runtime, workers, statuses, events } = await setup();
    const out = join(dir, 'hook.txt');
    workers.syncPod({
      metadata: { name: 'slow-hook', namespace: 'default', uid: 'pod-uid-4' },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'main',
            image: 'sh',
            // Ignores SIGTERM: only the SIGKILL at the end of the grace period ends it.
            command: ['sh', '-c', `trap '' TERM; while :; do sleep 0.05; done # ${marker}`],
            env: [{ name: 'OUT', value: out }],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo hook-start >> "$OUT"; sleep 30; echo hook-end >> "$OUT" # ${marker}-hook`] } } },
          },
        ],
      },
    });
    await until(() => (statuses.get('pod-uid-4')?.phase === 'Running' ? true : undefined));
    const id = workers.get('pod-uid-4')!.containerIdFor('main')!;
    const t0 = Date.now();
    await workers.terminatePod('pod-uid-4');
    const took = Date.now() - t0;
    // The hook used the whole grace period (2 s); what is left is the minimum (0 here), so the
    // container is killed at once after it: grace + a small margin.
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(3500);
    expect(readFileSync(out, 'utf8')).toBe('hook-start\n');
    expect(await runtime.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(statuses.get('pod-uid-4')!.containerStatuses![0]!.state!.terminated!.exitCode).toBe(137);
    // The hook's command went with the container.
    await until(() => (pidsWith(marker).length === 0 ? true : undefined));
    expect(events.filter((e) => e.includes(' Warning '))).toEqual(['slow-hook Warning FailedPreStopHook: container main: the preStop hook did not complete within the grace period (2s)']);
  });

  it('starts a sidecar before the main container, gates it on its startup probe, is Ready with both, and stops the sidecar last', async () => {
    const { dir, marker, workers, statuses } = await setup();
    const out = join(dir, 'sidecar-order.txt');
    const ready = join(dir, 'side.ready');
    const env = [
      { name: 'OUT', value: out },
      { name: 'READY', value: ready },
    ];
    workers.syncPod({
      metadata: { name: 'with-sidecar', namespace: 'default', uid: 'pod-uid-side' },
      spec: {
        terminationGracePeriodSeconds: 5,
        initContainers: [
          {
            name: 'side',
            image: 'sh',
            restartPolicy: 'Always',
            // Ready only after a while: the main container must not start before.
            command: ['sh', '-c', `trap 'echo side-term >> "$OUT"; exit 0' TERM; sleep 0.3; echo up > "$READY"; while :; do sleep 0.05; done # ${marker}`],
            env,
            startupProbe: { exec: { command: ['sh', '-c', 'test -f "$READY"'] }, periodSeconds: 1, failureThreshold: 30 },
          },
        ],
        containers: [
          {
            name: 'main',
            image: 'sh',
            command: ['sh', '-c', `trap 'sleep 0.3; echo main-term >> "$OUT"; exit 0' TERM; test -f "$READY" && echo main-saw-side >> "$OUT"; while :; do sleep 0.05; done # ${marker}`],
            env,
          },
        ],
      },
    });
    const s = await until(() => {
      const st = statuses.get('pod-uid-side');
      return st?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? st : undefined;
    });
    expect(s.phase).toBe('Running');
    expect(s.conditions!.find((c) => c.type === 'Initialized')!.status).toBe('True');
    expect(s.initContainerStatuses![0]).toMatchObject({ name: 'side', ready: true, started: true });
    expect(s.initContainerStatuses![0]!.state!.running).toBeDefined();
    expect(s.containerStatuses![0]).toMatchObject({ name: 'main', ready: true, started: true });
    await until(() => (existsSync(out) ? true : undefined));
    await workers.terminatePod('pod-uid-side');
    // The sidecar got SIGTERM only once the main container had exited.
    expect(readFileSync(out, 'utf8')).toBe('main-saw-side\nmain-term\nside-term\n');
    expect(pidsWith(marker)).toEqual([]);
  });

  /** A pod whose one container loops (its command carries `marker`) and has an exec postStart hook. */
  const postStartPod = (name: string, uid: string, marker: string, hook: string[], env: { name: string; value: string }[] = []) => ({
    metadata: { name, namespace: 'default', uid },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `while :; do sleep 0.05; done # ${marker}`], env, lifecycle: { postStart: { exec: { command: hook } } } }],
    },
  });

  it('runs an exec postStart hook before the container is reported started', async () => {
    const out = { path: '' };
    const seenRunning: boolean[] = [];
    const { dir, marker, workers, statuses, events } = await setup((_pod, s) => {
      // Whenever the container is reported running, the hook has already written its file.
      if (s.containerStatuses?.[0]?.state?.running) seenRunning.push(existsSync(out.path));
    });
    out.path = join(dir, 'poststart.out');
    workers.syncPod(postStartPod('poststart', 'pod-uid-ps', marker, ['sh', '-c', 'sleep 0.5; echo hook-ran > "$OUT"'], [{ name: 'OUT', value: out.path }]));
    const s = await until(() => (statuses.get('pod-uid-ps')?.containerStatuses?.[0]?.started ? statuses.get('pod-uid-ps') : undefined));
    expect(s.phase).toBe('Running');
    expect(readFileSync(out.path, 'utf8')).toBe('hook-ran\n');
    expect(seenRunning.length).toBeGreaterThan(0);
    expect(seenRunning.every((x) => x)).toBe(true);
    expect(events.filter((e) => e.includes('PostStartHook'))).toEqual([]);
  });

  it('a failing postStart hook kills the container, which waits in PostStartHookError', async () => {
    const waitings: { reason?: string; message?: string }[] = [];
    const { marker, workers, events } = await setup((_pod, s) => {
      const w = s.containerStatuses?.[0]?.state?.waiting;
      if (w) waitings.push(w);
    });
    workers.syncPod(postStartPod('badhook', 'pod-uid-bh', marker, ['sh', '-c', 'echo no config; exit 3']));
    // Shown until the restart (the first one is immediate), then CrashLoopBackOff.
    const waiting = await until(() => waitings.find((w) => w.reason === 'PostStartHookError'));
    expect(waiting.message).toBe(`Exec lifecycle hook ([sh -c echo no config; exit 3]) for Container "main" in Pod "badhook_default(pod-uid-bh)" failed - error: command 'sh -c echo no config; exit 3' exited with 3: no config\n, message: "no config\\n"`);
    expect(events).toContain('badhook Warning FailedPostStartHook: ' + waiting.message);
    expect(events).toContain('badhook Normal Killing: FailedPostStartHook');
  });

  it('FallbackToLogsOnError: a failed container\'s message is the end of its log', async () => {
    const { workers, statuses } = await setup();
    workers.syncPod({
      metadata: { name: 'termmsg', namespace: 'default', uid: 'pod-uid-tm' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'sh', terminationMessagePolicy: 'FallbackToLogsOnError', command: ['sh', '-c', 'echo line1; echo fatal: config missing >&2; exit 4'] }],
      },
    });
    const s = await until(() => (statuses.get('pod-uid-tm')?.phase === 'Failed' ? statuses.get('pod-uid-tm') : undefined));
    expect(s.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 4, reason: 'Error', message: 'line1\nfatal: config missing\n' });
  });
});
