// Pod worker over the hollow FakeRuntime with a manual clock: restart policy, CrashLoopBackOff
// timing, probes, init containers and sidecars, termination (with preStop hooks and sidecar
// ordering), postStart hooks, termination messages and status reporting.

import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Container, Pod, PodStatus } from '../api/types.js';
import { FakeClock } from '../util/index.js';
import { containerLimits, PodWorkers, type PodWorkerOptions } from './pod-worker.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import { RuntimeError } from './runtime/interface.js';

function makePod(containers: Partial<Container>[], extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ds-x', namespace: 'default', uid: 'uid-1' },
    spec: {
      nodeName: 'node-1',
      containers: containers.map((c, i) => ({ name: `c${i}`, image: 'img', command: ['daemon'], ...c })),
      ...extra,
    },
  };
}

function setup(extra: Partial<PodWorkerOptions> = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const reported: PodStatus[] = [];
  const events: string[] = [];
  const workers = new PodWorkers({
    ...extra,
    runtime,
    clock,
    nodeName: 'node-1',
    nodeIP: '10.1.0.7',
    logRoot: '/nonexistent/logs',
    onStatus: (_pod, s) => reported.push(structuredClone(s)),
    onError: (_pod, err) => {
      throw err;
    },
    onEvent: (_pod, ev) => events.push(`${ev.type} ${ev.reason} ${ev.container ?? ''}: ${ev.detail ?? ev.message}`),
  });
  // FakeRuntime work is all promise-based: a few turns of the event loop run every pending pass.
  const settle = async () => {
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
  };
  // Time moves in small steps so that passes triggered by one timer run before the next fires.
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 250) {
      clock.advance(Math.min(250, left));
      await settle();
    }
  };
  const last = () => reported[reported.length - 1]!;
  const starts = () => runtime.calls.filter((c) => c.startsWith('start:'));
  return { clock, runtime, workers, reported, events, settle, advance, last, starts };
}

const cond = (s: PodStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('PodWorkers', () => {
  it('stopping its pods with the node (up stopping) leaves them Failed as the kubelet\'s graceful node shutdown does', async () => {
    const t = setup();
    t.workers.syncPod(makePod([{}]));
    await t.settle();
    expect(t.last().phase).toBe('Running');
    const done = t.workers.shutdown({ stopPods: true, gracePeriodSeconds: 1 });
    await t.advance(2000);
    await done;
    const s = t.last();
    expect(s.phase).toBe('Failed');
    expect(s.reason).toBe('Terminated');
    expect(s.message).toBe('Pod was terminated in response to imminent node shutdown.');
    expect(s.conditions!.filter((c) => c.type === 'DisruptionTarget')).toEqual([
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'Pod was terminated in response to imminent node shutdown.', lastProbeTime: null, lastTransitionTime: expect.any(String) },
    ]);
  });

  it('runs an exec probe with $(VAR) of the container\'s env expanded, as the kubelet\'s prober', async () => {
    const t = setup();
    t.runtime.exec = () => ({ exitCode: 0 });
    t.workers.syncPod(makePod([{ env: [{ name: 'PORT', value: '9100' }], readinessProbe: { exec: { command: ['check', '--port=$(PORT)', '$(NOPE)'] }, periodSeconds: 5 } }]));
    await t.advance(6000);
    expect(t.runtime.calls.filter((c) => c.startsWith('exec:')).map((c) => c.slice(c.indexOf('/') + 1))).toContain('check --port=9100 $(NOPE)');
  });

  it('reports Running/Ready with upstream conditions, and only when the status changes', async () => {
    const t = setup();
    t.runtime.exec = () => ({ exitCode: 0 });
    t.workers.syncPod(makePod([{ readinessProbe: { exec: { command: ['check'] }, periodSeconds: 5 } }]));
    await t.settle();
    const first = t.last();
    expect(first.phase).toBe('Running');
    expect(first.hostIP).toBe('10.1.0.7');
    expect(first.podIP).toBe('10.1.0.7');
    expect(first.startTime).toBe('2024-01-01T00:00:00Z');
    expect(first.qosClass).toBe('BestEffort');
    expect(first.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
    expect(cond(first, 'PodReadyToStartContainers')).toEqual({ type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z' });
    expect(cond(first, 'Ready').reason).toBe('ContainersNotReady');
    expect(cond(first, 'Ready').message).toBe('containers with unready status: [c0]');
    const cs = first.containerStatuses![0]!;
    expect(cs).toMatchObject({ name: 'c0', ready: false, started: true, restartCount: 0, image: 'img', imageID: 'img' });
    expect(cs.containerID).toMatch(/^fake:\/\/\d+$/);
    expect(cs.state!.running!.startedAt).toBe('2024-01-01T00:00:00Z');

    // First readiness probe runs at once (initialDelaySeconds 0) and succeeds.
    await t.advance(1000);
    const ready = t.last();
    expect(cond(ready, 'Ready').status).toBe('True');
    // The probe ran at 0 s; its result was reported when the pass ran, within the first 250 ms step.
    expect(cond(ready, 'Ready').lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    expect(cond(ready, 'Initialized').lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    const count = t.reported.length;
    // Probes and resyncs that change nothing report nothing.
    await t.advance(60_000);
    expect(t.reported.length).toBe(count);

    // Readiness fails 3 times (failureThreshold) → not ready, transition time moves.
    t.runtime.exec = () => ({ exitCode: 1 });
    await t.advance(10_000);
    expect(cond(t.last(), 'Ready').status).toBe('True');
    await t.advance(5_000);
    const unready = t.last();
    expect(cond(unready, 'Ready').status).toBe('False');
    expect(cond(unready, 'Ready').lastTransitionTime).not.toBe(cond(ready, 'Ready').lastTransitionTime);
    expect(cond(unready, 'Initialized').lastTransitionTime).toBe('2024-01-01T00:00:00Z');
  });

  it('restarts with CrashLoopBackOff: immediate, then 10s doubling to 5m, reset after 10m of running', async () => {
    const t = setup();
    let runFor = 1000;
    t.runtime.behavior = () => ({ exitAfterMs: runFor, exitCode: 2 });
    t.workers.syncPod(makePod([{}]));
    await t.settle();
    const t0 = t.clock.now();
    const startTimes: number[] = [];
    const seen = new Set<string>();
    const record = () => {
      for (const s of t.starts()) if (!seen.has(s)) (seen.add(s), startTimes.push(t.clock.now() - t0));
    };
    record();
    for (let i = 0; i < 2000 && startTimes.length < 9; i++) {
      await t.advance(500);
      record();
    }
    // Each container runs 1 s. Restart delays after the first immediate one: 10, 20, 40, 80, 160, 300, 300.
    const gaps = startTimes.slice(1).map((v, i) => v - startTimes[i]! - 1000);
    expect(gaps).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);

    const waiting = t.reported.find((s) => s.containerStatuses![0]!.state!.waiting?.reason === 'CrashLoopBackOff')!;
    const cs = waiting.containerStatuses![0]!;
    expect(cs.state!.waiting!.message).toBe('back-off 10s restarting failed container=c0 pod=ds-x_default(uid-1)');
    expect(cs.lastState!.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(cs.restartCount).toBe(1);
    expect(waiting.phase).toBe('Running');
    expect(t.reported.some((s) => s.containerStatuses![0]!.state!.waiting?.message?.startsWith('back-off 5m0s'))).toBe(true);

    // A container that ran for more than 10 minutes restarts at once.
    await t.advance(300_000);
    record();
    runFor = 11 * 60_000;
    const before = startTimes.length;
    await t.advance(1000);
    record();
    await t.advance(300_000);
    record();
    expect(startTimes.length).toBe(before + 1);
    await t.advance(11 * 60_000);
    record();
    expect(startTimes.length).toBe(before + 2);
    expect(t.last().containerStatuses![0]!.restartCount).toBe(before + 1);
  });

  it('restartPolicy OnFailure and Never', async () => {
    const t = setup();
    t.runtime.behavior = (c) => ({ exitAfterMs: 1000, exitCode: c.name === 'ok' ? 0 : 1 });
    t.workers.syncPod(makePod([{ name: 'ok' }], { restartPolicy: 'OnFailure' }));
    await t.settle();
    await t.advance(5000);
    expect(t.starts()).toHaveLength(1);
    expect(t.last().phase).toBe('Succeeded');
    expect(cond(t.last(), 'Ready').reason).toBe('PodCompleted');
    expect(t.last().containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

    const n = setup();
    n.runtime.behavior = () => ({ exitAfterMs: 1000, exitCode: 1 });
    n.workers.syncPod(makePod([{ name: 'bad' }], { restartPolicy: 'Never' }));
    await n.settle();
    await n.advance(60_000);
    expect(n.starts()).toHaveLength(1);
    expect(n.last().phase).toBe('Failed');
  });

  it('liveness failure restarts the container; the startup probe gates liveness and readiness', async () => {
    const t = setup();
    let started = false;
    let alive = true;
    t.runtime.exec = (_c, cmd) => {
      if (cmd[0] === 'startup') return { exitCode: started ? 0 : 1 };
      if (cmd[0] === 'live') return { exitCode: alive ? 0 : 1 };
      return { exitCode: 0 };
    };
    t.workers.syncPod(
      makePod([
        {
          startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 30 },
          livenessProbe: { exec: { command: ['live'] }, periodSeconds: 10, terminationGracePeriodSeconds: 5 },
          readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 10 },
        },
      ]),
    );
    await t.advance(5000);
    const execs = () => t.runtime.calls.filter((c) => c.startsWith('exec:'));
    expect(execs().every((c) => c.endsWith('/startup'))).toBe(true);
    expect(t.last().containerStatuses![0]).toMatchObject({ started: false, ready: false });
    started = true;
    await t.advance(1000);
    expect(t.last().containerStatuses![0]!.started).toBe(true);
    await t.advance(10_000);
    expect(execs().some((c) => c.endsWith('/live'))).toBe(true);
    expect(t.last().containerStatuses![0]!.ready).toBe(true);

    alive = false;
    await t.advance(30_000);
    const stops = t.runtime.calls.filter((c) => c.startsWith('stop:'));
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/\/5$/);
    const cs = t.last().containerStatuses![0]!;
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState!.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
  });

  it('restarts a container killed for its liveness probe under OnFailure even when it exits 0 on SIGTERM, as upstream', async () => {
    const t = setup();
    t.runtime.behavior = () => ({ exitOnSigterm: 0 });
    let alive = true;
    t.runtime.exec = (_c, cmd) => ({ exitCode: cmd[0] === 'live' && !alive ? 1 : 0 });
    t.workers.syncPod(makePod([{ livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1, failureThreshold: 1 } }], { restartPolicy: 'OnFailure' }));
    await t.advance(3000);
    alive = false;
    await t.advance(3000);
    alive = true;
    await t.advance(15_000);
    const last = t.last();
    expect(last.phase).toBe('Running');
    expect(last.containerStatuses![0]).toMatchObject({ lastState: { terminated: { exitCode: 0 } } });
    expect(last.containerStatuses![0]!.restartCount).toBeGreaterThanOrEqual(1);
    expect(last.containerStatuses![0]!.state!.running).toBeDefined();
  });

  it('probes readiness at once when the startup probe succeeds, not a readiness period later', async () => {
    const t = setup();
    let started = false;
    t.runtime.exec = (_c, cmd) => ({ exitCode: cmd[0] === 'startup' && !started ? 1 : 0 });
    t.workers.syncPod(
      makePod([
        {
          startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 30 },
          readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 30 },
        },
      ]),
    );
    await t.advance(4000);
    expect(t.last().containerStatuses![0]).toMatchObject({ started: false, ready: false });
    started = true;
    await t.advance(1000);
    expect(t.last().containerStatuses![0]).toMatchObject({ started: true, ready: true });
    expect(cond(t.last(), 'Ready').status).toBe('True');
  });

  it("lists container statuses by name, as the kubelet; init containers in the spec's order", async () => {
    const t = setup();
    t.runtime.behavior = (c) => (c.name.startsWith('i') ? { exitAfterMs: 10, exitCode: 0 } : {});
    t.workers.syncPod(makePod([{ name: 'zz' }, { name: 'aa' }, { name: 'mm' }], { initContainers: [{ name: 'iz', image: 'img', command: ['x'] }, { name: 'ia', image: 'img', command: ['x'] }] }));
    await t.advance(1000);
    expect(t.last().containerStatuses!.map((c) => c.name)).toEqual(['aa', 'mm', 'zz']);
    expect(t.last().initContainerStatuses!.map((c) => c.name)).toEqual(['iz', 'ia']);
  });

  it('runs init containers in order, each to success, before the app containers', async () => {
    const t = setup();
    let failOnce = true;
    t.runtime.behavior = (c) => {
      if (c.name === 'init-a') return { exitAfterMs: 1000, exitCode: 0 };
      if (c.name === 'init-b') {
        const code = failOnce ? 1 : 0;
        failOnce = false;
        return { exitAfterMs: 1000, exitCode: code };
      }
      return undefined;
    };
    const pod = makePod([{ name: 'app' }]);
    pod.spec.initContainers = [
      { name: 'init-a', image: 'img', command: ['a'] },
      { name: 'init-b', image: 'img', command: ['b'] },
    ];
    t.workers.syncPod(pod);
    await t.settle();
    expect(t.last().phase).toBe('Pending');
    expect(cond(t.last(), 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init-a init-b]' });
    expect(t.last().containerStatuses![0]!.state!.waiting!.reason).toBe('PodInitializing');
    await t.advance(10_000);
    expect(t.starts().map((s) => s.split('/')[1])).toEqual(['init-a#0', 'init-b#0', 'init-b#1', 'app#0']);
    const s = t.last();
    expect(s.phase).toBe('Running');
    expect(cond(s, 'Initialized').status).toBe('True');
    expect(s.initContainerStatuses!.map((c) => [c.name, c.ready, c.restartCount, c.state!.terminated?.reason])).toEqual([
      ['init-a', true, 0, 'Completed'],
      ['init-b', true, 1, 'Completed'],
    ]);
  });

  it('a container that can never be created waits in CreateContainerError (pod Pending, never Failed) and is tried again with back-off', async () => {
    const t = setup();
    const noCommand = 'container "c0" has no command';
    t.runtime.behavior = () => ({ rejectWith: new RuntimeError('CreateContainerError', noCommand, true) });
    const pod = makePod([{ command: undefined }]);
    t.workers.syncPod(pod);
    await t.settle();
    const attempts: number[] = [];
    const record = () => {
      while (attempts.length < t.starts().length) attempts.push(t.clock.now());
    };
    record();
    for (let i = 0; i < 6000 && attempts.length < 8; i++) {
      await t.advance(250);
      // Pod updates (as the agent's own status writes bring) and the 10 s resyncs do not try
      // again before the back-off has passed.
      t.workers.syncPod(pod);
      await t.settle();
      record();
    }
    // Creation is tried at once, then after 10, 20, 40, 80, 160, 300, 300 s: the CrashLoopBackOff delays.
    expect(attempts.slice(1).map((v, i) => v - attempts[i]!)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(t.starts().every((s) => s.endsWith('/c0#0'))).toBe(true);
    const s = t.last();
    expect(s.phase).toBe('Pending');
    expect(s.reason).toBeUndefined();
    expect(s.message).toBeUndefined();
    expect(s.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'CreateContainerError', message: noCommand } });
    expect(s.containerStatuses![0]!.restartCount).toBe(0);
    expect(t.reported.every((r) => r.phase === 'Pending')).toBe(true);
    // Every attempt: Pulled, then the Warning Failed with the error (the recorder counts repeats).
    expect(t.events).toEqual(attempts.flatMap(() => ['Normal Pulled c0: Container image "img" already present on machine', `Warning Failed c0: Error: ${noCommand}`]));
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toEqual([]);
  });

  it('a pod waits with one wake-up at a time, however many containers wait out a back-off (timers never multiply)', async () => {
    const t = setup();
    // Three containers that cannot be created and one that crash-loops, as a broken daemon does.
    t.runtime.behavior = (c) => (c.name === 'crash' ? { exitAfterMs: 500, exitCode: 1 } : { rejectWith: new RuntimeError('CreateContainerError', `container "${c.name}" has no command`, true) });
    const pod = makePod([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'crash' }]);
    t.workers.syncPod(pod);
    await t.settle();
    let most = 0;
    for (let i = 0; i < 180; i++) {
      await t.advance(10_000); // 30 minutes, through several 5-minute back-offs
      t.workers.syncPod(pod); // the agent's own status writes come back as updates
      await t.settle();
      most = Math.max(most, t.clock.pendingTimers());
    }
    // The wake-up, the periodic resync and the crashing container's exit watch: each pass used
    // to add a timer per waiting container, each of which ran a pass adding more.
    expect(most).toBeLessThanOrEqual(4);
    const s = t.last();
    expect(s.containerStatuses!.find((c) => c.name === 'crash')!.state!.waiting!.reason).toBe('CrashLoopBackOff');
    expect(s.containerStatuses!.find((c) => c.name === 'a')!.state!.waiting!.reason).toBe('CreateContainerError');
  });

  it('the other containers of a pod run while one waits in CreateContainerError, which starts once it can', async () => {
    const t = setup();
    let broken = true;
    t.runtime.behavior = (c) => (c.name === 'broken' && broken ? { rejectWith: new RuntimeError('CreateContainerError', 'container "broken" has no command', true) } : {});
    t.workers.syncPod(makePod([{ name: 'fine' }, { name: 'broken', command: undefined }]));
    await t.settle();
    await t.advance(60_000);
    const s = t.last();
    expect(s.phase).toBe('Pending');
    const byName = (name: string) => s.containerStatuses!.find((c) => c.name === name)!;
    expect(byName('fine').state!.running).toBeDefined();
    expect(byName('fine').ready).toBe(true);
    expect(byName('broken').state!.waiting).toEqual({ reason: 'CreateContainerError', message: 'container "broken" has no command' });
    expect(cond(s, 'ContainersReady')).toMatchObject({ status: 'False', message: 'containers with unready status: [broken]' });
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toEqual([]);
    expect(t.starts().filter((c) => c.endsWith('/fine#0'))).toHaveLength(1);
    // Tried at 0, 10, 30 s; the next attempt (at 70 s) succeeds.
    broken = false;
    await t.advance(10_000);
    expect(t.last().phase).toBe('Running');
    expect(t.last().containerStatuses!.find((c) => c.name === 'broken')!.state!.running).toBeDefined();
    expect(t.starts().filter((c) => c.endsWith('/broken#0'))).toHaveLength(4);
  });

  it('an init container in CreateContainerError holds the app containers back; the pod stays Pending', async () => {
    const t = setup();
    t.runtime.behavior = (c) => (c.name === 'init' ? { rejectWith: new RuntimeError('CreateContainerError', 'container "init" has no command', true) } : {});
    const pod = makePod([{ name: 'app' }]);
    pod.spec.initContainers = [{ name: 'init', image: 'img' }];
    t.workers.syncPod(pod);
    await t.settle();
    await t.advance(60_000);
    const s = t.last();
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses![0]!.state!.waiting).toEqual({ reason: 'CreateContainerError', message: 'container "init" has no command' });
    expect(s.containerStatuses![0]!.state!.waiting!.reason).toBe('PodInitializing');
    expect(cond(s, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    expect(t.starts().filter((c) => c.endsWith('/app#0'))).toEqual([]);
    expect(t.starts().filter((c) => c.endsWith('/init#0')).length).toBeGreaterThan(1);
  });

  it('a pod whose sandbox cannot be recorded (full disk) keeps failing until it is deleted, then terminates without one', async () => {
    const clock = new FakeClock();
    const runtime = new FakeRuntime(clock);
    runtime.runPodSandbox = async () => {
      throw new Error('cannot record pod sandbox state: ENOSPC: no space left on device');
    };
    const errors: string[] = [];
    const workers = new PodWorkers({ runtime, clock, nodeName: 'node-1', nodeIP: '10.1.0.7', logRoot: '/nonexistent/logs', onStatus: () => undefined, onError: (_p, err) => errors.push(String(err)) });
    workers.syncPod(makePod([{}]));
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
    expect(errors.length).toBeGreaterThan(0);
    let done = false;
    void workers.terminatePod('uid-1').then(() => (done = true));
    for (let i = 0; i < 8 && !done; i++) {
      clock.advance(1000);
      for (let j = 0; j < 4; j++) await new Promise((r) => setImmediate(r));
    }
    expect(done).toBe(true);
    expect(runtime.calls.filter((c) => c.startsWith('start:'))).toEqual([]);
  });

  it('terminates gracefully: SIGKILL at the grace period, then a terminal phase', async () => {
    const t = setup();
    t.runtime.behavior = (c) => ({ ignoreSigterm: c.name === 'stubborn' });
    const pod = makePod([{ name: 'polite' }, { name: 'stubborn' }], { terminationGracePeriodSeconds: 7 });
    t.workers.syncPod(pod);
    await t.settle();
    let done = false;
    void t.workers.terminatePod('uid-1').then(() => (done = true));
    await t.settle();
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => c.split('/')[1])).toEqual(['7', '7']);
    expect(done).toBe(false);
    await t.advance(7000);
    expect(done).toBe(true);
    const s = t.last();
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses!.map((c) => c.state!.terminated!.exitCode)).toEqual([143, 137]);
    // The signal shows only in the exit code: the kubelet sets no `signal`.
    expect(s.containerStatuses!.map((c) => c.state!.terminated!.signal)).toEqual([undefined, undefined]);

    // A deletionTimestamp on the desired pod starts the same termination, with its grace period.
    const d = setup();
    d.workers.syncPod(makePod([{}]));
    await d.settle();
    const deleted = makePod([{}]);
    deleted.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    deleted.metadata.deletionGracePeriodSeconds = 3;
    d.workers.syncPod(deleted);
    await d.settle();
    expect(d.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => c.split('/')[1])).toEqual(['3']);
    expect(d.last().phase).toBe('Failed');
  });

  it('a second delete with a shorter grace period stops the containers sooner (the grace period only decreases)', async () => {
    const t = setup();
    t.runtime.behavior = () => ({ ignoreSigterm: true });
    t.workers.syncPod(makePod([{}], { terminationGracePeriodSeconds: 30 }));
    await t.settle();
    const deleted = (grace: number) => {
      const p = makePod([{}], { terminationGracePeriodSeconds: 30 });
      p.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
      p.metadata.deletionGracePeriodSeconds = grace;
      return p;
    };
    t.workers.syncPod(deleted(30));
    await t.settle();
    await t.advance(2000);
    expect(t.last().containerStatuses![0]!.state!.running).toBeDefined();
    // Deleted again with --grace-period=3: stopped again with 3 s, and gone by then.
    t.workers.syncPod(deleted(3));
    await t.settle();
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => c.split('/')[1])).toEqual(['30', '3']);
    await t.advance(3000);
    expect(t.last().containerStatuses![0]!.state!.terminated!.exitCode).toBe(137);
    // A longer one later changes nothing.
    t.workers.syncPod(deleted(60));
    await t.settle();
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toHaveLength(2);
  });

  it('activeDeadlineSeconds: at the deadline the pod fails with DeadlineExceeded and its containers stop; a lowered deadline counts', async () => {
    const t = setup();
    t.workers.syncPod(makePod([{}], { restartPolicy: 'Always', terminationGracePeriodSeconds: 5 }));
    await t.settle();
    expect(t.last().phase).toBe('Running');
    await t.advance(3000);
    // Lowered on the running pod (the only change the API allows is a tighter deadline).
    t.workers.syncPod(makePod([{}], { restartPolicy: 'Always', terminationGracePeriodSeconds: 5, activeDeadlineSeconds: 5 }));
    await t.settle();
    expect(t.last().phase).toBe('Running');
    await t.advance(1750);
    expect(t.last().phase).toBe('Running');
    await t.advance(500);
    const s = t.last();
    expect(s.phase).toBe('Failed');
    expect(s.reason).toBe('DeadlineExceeded');
    expect(s.message).toBe('Pod was active on the node longer than the specified deadline');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(t.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => c.split('/')[1])).toEqual(['5']);
    expect(s.containerStatuses![0]!.state!.terminated).toBeDefined();
    expect(t.events.filter((e) => e.includes('DeadlineExceeded'))).toEqual(['Normal DeadlineExceeded : Pod was active on the node longer than the specified deadline']);
    // Nothing is started again, and the phase stays Failed.
    await t.advance(30_000);
    expect(t.starts()).toHaveLength(1);
    expect(t.last().phase).toBe('Failed');
    expect(t.last().reason).toBe('DeadlineExceeded');
  });

  it('while the pod stops, readiness keeps probing and turns it unready before the container exits; liveness is not probed', async () => {
    const t = setup();
    t.runtime.behavior = () => ({ ignoreSigterm: true });
    let serving = true;
    t.runtime.exec = (_c, cmd) => ({ exitCode: cmd[0] === 'ready' && !serving ? 1 : cmd[0] === 'live' && !serving ? 1 : 0 });
    t.workers.syncPod(
      makePod(
        [
          {
            readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1, failureThreshold: 1 },
            livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
        { terminationGracePeriodSeconds: 10 },
      ),
    );
    await t.advance(2000);
    expect(cond(t.last(), 'Ready').status).toBe('True');
    void t.workers.terminatePod('uid-1');
    await t.settle();
    const execsBefore = t.runtime.calls.filter((c) => c.endsWith('/live')).length;
    serving = false;
    await t.advance(2000);
    const s = t.last();
    expect(s.containerStatuses![0]!.state!.running).toBeDefined();
    expect(s.containerStatuses![0]!.ready).toBe(false);
    expect(cond(s, 'Ready').status).toBe('False');
    expect(t.runtime.calls.filter((c) => c.endsWith('/live')).length).toBe(execsBefore);
    expect(t.events.some((e) => e.includes('failed liveness probe'))).toBe(false);
    await t.advance(10_000);
    expect(t.last().containerStatuses![0]!.state!.terminated).toBeDefined();
  });

  it('starts an ephemeral container once when it is added (even while an init container is stuck), never restarts it, and reports it apart', async () => {
    const t = setup();
    t.runtime.behavior = (c) => (c.name === 'dbg' ? { exitAfterMs: 1000, exitCode: 3 } : c.name === 'init' ? { exitAfterMs: 500, exitCode: 1 } : {});
    const pod = makePod([{ name: 'app' }], { initContainers: [{ name: 'init', image: 'img', command: ['setup'] }] });
    t.workers.syncPod(pod);
    await t.settle();
    // The init container keeps failing: the pod is Pending and its app container never starts.
    t.workers.syncPod({ ...pod, spec: { ...pod.spec, ephemeralContainers: [{ name: 'dbg', image: 'busybox', command: ['sh'], targetContainerName: 'app' }] } });
    await t.settle();
    expect(t.starts().filter((c) => c.includes('dbg'))).toHaveLength(1);
    let st = t.last();
    expect(st.phase).toBe('Pending');
    expect(st.ephemeralContainerStatuses).toHaveLength(1);
    const running = st.ephemeralContainerStatuses![0]!;
    expect(running).toMatchObject({ name: 'dbg', ready: false, restartCount: 0, image: 'busybox' });
    expect(running.state!.running).toBeDefined();
    // No `started` (the kubelet's prober knows only init and regular containers).
    expect('started' in running).toBe(false);
    expect(st.containerStatuses!.map((c) => c.name)).toEqual(['app']);
    // It exits: left as it is, whatever the pod's restart policy (Always here).
    await t.advance(60_000);
    expect(t.starts().filter((c) => c.includes('dbg'))).toHaveLength(1);
    st = t.last();
    expect(st.ephemeralContainerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(st.ephemeralContainerStatuses![0]!.state!.waiting).toBeUndefined();
    // Its log and exec target resolve by name, as any container's.
    expect(t.workers.get('uid-1')!.containerIdFor('dbg')).toBeDefined();
    // Conditions count only the pod's own containers.
    expect(cond(st, 'Ready').message).toBe('containers with unready status: [app]');
  });

  it('an ephemeral container that fails in a way the runtime did not foresee waits in CreateContainerError; the pod\'s own containers go on', async () => {
    const t = setup();
    t.runtime.behavior = (c) => (c.name === 'dbg' ? { rejectWith: new Error('unforeseen') } : { exitAfterMs: 1000, exitCode: 1 });
    t.workers.syncPod(makePod([{ name: 'app' }], { ephemeralContainers: [{ name: 'dbg', image: 'busybox', command: ['sh'] }] }));
    await t.settle();
    expect(t.last().ephemeralContainerStatuses![0]!.state!.waiting).toEqual({ reason: 'CreateContainerError', message: 'unforeseen' });
    // The app container crashes and is restarted, the debugger is tried again with back-off.
    await t.advance(30_000);
    expect(t.starts().filter((c) => c.includes('/app#')).length).toBeGreaterThan(1);
    expect(t.starts().filter((c) => c.includes('/dbg#')).length).toBeGreaterThan(1);
    expect(t.events).toContain('Warning Failed dbg: Error: unforeseen');
  });

  it('stops a running ephemeral container with the pod, and adopts it after an agent restart instead of starting it again', async () => {
    const t = setup();
    const pod = makePod([{ name: 'app' }], { ephemeralContainers: [{ name: 'dbg', image: 'busybox', command: ['sleep', '1000'] }] });
    t.workers.syncPod(pod);
    await t.settle();
    const id = t.last().ephemeralContainerStatuses![0]!.containerID;
    expect(id).toMatch(/^fake:\/\//);
    await t.workers.shutdown({ stopPods: false });
    const again = new PodWorkers({ runtime: t.runtime, clock: t.clock, nodeName: 'node-1', nodeIP: '10.1.0.7', logRoot: '/x', onStatus: () => undefined });
    again.syncPod(pod);
    await t.settle();
    expect(again.get('uid-1')!.status!.ephemeralContainerStatuses![0]!.containerID).toBe(id);
    expect(t.starts().filter((c) => c.includes('dbg'))).toHaveLength(1);
    const done = again.terminatePod('uid-1', 0);
    await t.advance(5_000);
    await done;
    expect((await t.runtime.inspectContainer(id!.slice('fake://'.length)))?.state).toBe('exited');
  });

  it('adopts the containers the runtime already runs for the pod', async () => {
    const t = setup();
    t.workers.syncPod(makePod([{}]));
    await t.settle();
    const id = t.last().containerStatuses![0]!.containerID;
    await t.workers.shutdown({ stopPods: false });
    const again = new PodWorkers({ runtime: t.runtime, clock: t.clock, nodeName: 'node-1', nodeIP: '10.1.0.7', logRoot: '/x', onStatus: () => undefined });
    again.syncPod(makePod([{}]));
    await t.settle();
    expect(again.get('uid-1')!.status!.containerStatuses![0]!.containerID).toBe(id);
    expect(t.starts()).toHaveLength(1);
  });

  it('termination runs each preStop hook first: its time counts against the grace period, a failure does not stop the kill', async () => {
    const t = setup();
    t.runtime.exec = (_c, cmd) => (cmd[0] === 'fail' ? { exitCode: 1, output: 'nope' } : { exitCode: 0 });
    const pod = makePod(
      [
        { name: 'sleepy', lifecycle: { preStop: { sleep: { seconds: 4 } } } },
        { name: 'failing', lifecycle: { preStop: { exec: { command: ['fail'] } } } },
        { name: 'endless', lifecycle: { preStop: { sleep: { seconds: 60 } } } },
        { name: 'plain' },
      ],
      { terminationGracePeriodSeconds: 10 },
    );
    t.workers.syncPod(pod);
    await t.settle();
    const nameOf = new Map(t.last().containerStatuses!.map((c) => [c.containerID!.replace('fake://', ''), c.name]));
    // As `<container>/<grace>`, sorted: the containers are stopped concurrently.
    const stops = () => t.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => `${nameOf.get(c.slice(5).split('/')[0]!)}/${c.split('/')[1]}`).sort();
    let done = false;
    void t.workers.terminatePod('uid-1').then(() => (done = true));
    await t.settle();
    // No hook, or a hook that failed at once: SIGTERM now, with the whole grace period.
    expect(stops()).toEqual(['failing/10', 'plain/10']);
    const failingId = [...nameOf].find(([, n]) => n === 'failing')![0];
    expect(t.runtime.calls.indexOf(`exec:${failingId}/fail`)).toBeLessThan(t.runtime.calls.indexOf(`stop:${failingId}/10`));
    const warnings = () => t.events.filter((e) => e.startsWith('Warning'));
    expect(warnings()).toEqual(['Warning FailedPreStopHook failing: container failing: command ["fail"] exited with 1: "nope"']);
    // Every stop is announced first (upstream's Killing, before the hook runs).
    expect(t.events.filter((e) => e.includes(' Killing ')).sort()).toEqual([
      'Normal Killing endless: Stopping container endless',
      'Normal Killing failing: Stopping container failing',
      'Normal Killing plain: Stopping container plain',
      'Normal Killing sleepy: Stopping container sleepy',
    ]);
    await t.advance(3750);
    expect(stops()).toHaveLength(2);
    await t.advance(250);
    // The 4 s hook leaves 6 s.
    expect(stops()).toEqual(['failing/10', 'plain/10', 'sleepy/6']);
    await t.advance(5750);
    expect(done).toBe(false);
    await t.advance(250);
    // A hook that outlasts the grace period is cut off at 10 s; the minimum grace period (2 s) is left.
    expect(stops()).toEqual(['endless/2', 'failing/10', 'plain/10', 'sleepy/6']);
    expect(done).toBe(true);
    expect(t.last().phase).toBe('Failed');
    expect(warnings()[1]).toBe('Warning FailedPreStopHook endless: container endless: the preStop hook did not complete within the grace period (10s)');
    // The sandbox of a stopped pod is gone.
    expect(cond(t.last(), 'PodReadyToStartContainers').status).toBe('False');
  });

  it('a liveness failure runs the preStop hook before the container is stopped and restarted', async () => {
    const t = setup();
    let alive = true;
    const failedAt: number[] = [];
    t.runtime.exec = (_c, cmd) => {
      if (cmd[0] !== 'live') return { exitCode: 0 };
      if (!alive) failedAt.push(t.clock.now());
      return { exitCode: alive ? 0 : 1 };
    };
    const stoppedAt: number[] = [];
    const stop = t.runtime.stopContainer.bind(t.runtime);
    t.runtime.stopContainer = (id, grace) => {
      stoppedAt.push(t.clock.now());
      return stop(id, grace);
    };
    t.workers.syncPod(
      makePod([
        {
          livenessProbe: { exec: { command: ['live'] }, periodSeconds: 10, terminationGracePeriodSeconds: 10 },
          lifecycle: { preStop: { sleep: { seconds: 3 } } },
        },
      ]),
    );
    await t.advance(1000);
    alive = false;
    await t.advance(40_000);
    const stops = t.runtime.calls.filter((c) => c.startsWith('stop:'));
    expect(stops).toHaveLength(1);
    // The probe's grace period (10 s) less the hook's 3 s.
    expect(stops[0]).toMatch(/\/7$/);
    expect(failedAt.length).toBeGreaterThanOrEqual(3);
    expect(stoppedAt[0]! - failedAt[2]!).toBe(3000);
    expect(t.last().containerStatuses![0]!.restartCount).toBe(1);
    // Upstream's events: one Unhealthy per failed attempt, Killing with the probe's message (a
    // hook that succeeds records nothing), then the new container's start.
    const started = ['Normal Pulled c0: Container image "img" already present on machine', 'Normal Created c0: Created container: c0', 'Normal Started c0: Started container c0'];
    // The exec prober's message is the command's output, here none (the kubelet's words).
    const unhealthy = 'Warning Unhealthy c0: Liveness probe failed: ';
    expect(t.events.slice(0, 7)).toEqual([...started, unhealthy, unhealthy, unhealthy, 'Normal Killing c0: Container c0 failed liveness probe, will be restarted']);
    expect(t.events.slice(7, 10)).toEqual(started);
  });

  it('records the kubelet events of a crash loop: Pulled/Created/Started per attempt, BackOff while waiting', async () => {
    const t = setup();
    t.runtime.behavior = () => ({ exitAfterMs: 1000, exitCode: 2 });
    t.workers.syncPod(makePod([{}]));
    await t.settle();
    await t.advance(15_000);
    const started = ['Normal Pulled c0: Container image "img" already present on machine', 'Normal Created c0: Created container: c0', 'Normal Started c0: Started container c0'];
    // The first restart is immediate; the second waits 10 s, with BackOff recorded as it starts waiting.
    expect(t.events.slice(0, 6)).toEqual([...started, ...started]);
    const backOff = 'Warning BackOff c0: Back-off restarting failed container c0 in pod ds-x_default(uid-1)';
    expect(t.events[6]).toBe(backOff);
    expect(t.events.slice(6, t.events.indexOf(started[0]!, 6))).toEqual(Array(t.events.indexOf(started[0]!, 6) - 6).fill(backOff));
    expect(t.events.filter((e) => e === started[2])).toHaveLength(3);
    // However often the worker passes meanwhile (here every second), at most one BackOff per 10 s,
    // as the kubelet syncs a pod in back-off: over 2 minutes of a crash loop, at most 13.
    const before = t.events.filter((e) => e === backOff).length;
    for (let i = 0; i < 120; i++) {
      t.workers.syncPod(makePod([{}]));
      await t.advance(1000);
    }
    const during = t.events.filter((e) => e === backOff).length - before;
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThanOrEqual(13);
  });

  it('records Failed for a container that cannot be configured or started, and Unhealthy for every failed readiness attempt', async () => {
    const t = setup();
    t.runtime.behavior = (c) => (c.name === 'noexec' ? { startError: 'exec: "nope": executable file not found in $PATH' } : undefined);
    t.runtime.exec = () => ({ exitCode: 1, output: 'not ready yet' });
    t.workers.syncPod(
      makePod([
        { name: 'badenv', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'missing', key: 'k' } } }] },
        { name: 'noexec' },
        { name: 'unready', readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 5 } },
      ]),
    );
    await t.settle();
    await t.advance(11_000);
    const of = (name: string) => t.events.filter((e) => e.includes(` ${name}: `));
    expect(of('badenv').slice(0, 2)).toEqual(['Normal Pulled badenv: Container image "img" already present on machine', 'Warning Failed badenv: Error: secret "missing" not found']);
    expect(of('noexec').slice(0, 3)).toEqual([
      'Normal Pulled noexec: Container image "img" already present on machine',
      'Normal Created noexec: Created container: noexec',
      'Warning Failed noexec: Error: exec: "nope": executable file not found in $PATH',
    ]);
    // Attempts at 0, 5 and 10 s: one event each, below the failure threshold (3) too.
    expect(of('unready').filter((e) => e.includes('Unhealthy'))).toEqual(Array(3).fill('Warning Unhealthy unready: Readiness probe failed: not ready yet'));
  });

  it('gives containers the pod name as hostname (the machine\'s with hostNetwork), and PodReadyToStartContainers', async () => {
    const t = setup();
    const hostnames: string[] = [];
    t.runtime.behavior = (_c, sandbox) => {
      hostnames.push(sandbox.hostname ?? '');
      return undefined;
    };
    t.workers.syncPod(makePod([{}]));
    t.workers.syncPod({ ...makePod([{}], { hostNetwork: true }), metadata: { name: 'host-net', namespace: 'default', uid: 'uid-2' } });
    await t.settle();
    expect(hostnames).toEqual(['ds-x', hostname()]);
    for (const uid of ['uid-1', 'uid-2']) expect(cond(t.workers.get(uid)!.status!, 'PodReadyToStartContainers').status).toBe('True');
  });

  describe('sidecars (init containers with restartPolicy Always)', () => {
    const sidecarPod = (extra: Partial<Pod['spec']> = {}, side: Partial<Container> = {}) => {
      const pod = makePod([{ name: 'app' }], extra);
      pod.spec.initContainers = [
        { name: 'side', image: 'img', command: ['side'], restartPolicy: 'Always', ...side },
        { name: 'setup', image: 'img', command: ['setup'] },
      ];
      return pod;
    };

    it('starts the next init container once the sidecar runs, keeps it running beside the app, and counts it towards Ready', async () => {
      const t = setup();
      t.runtime.behavior = (c) => (c.name === 'setup' ? { exitAfterMs: 1000, exitCode: 0 } : undefined);
      t.workers.syncPod(sidecarPod());
      await t.settle();
      expect(t.starts().map((s) => s.split('/')[1])).toEqual(['side#0', 'setup#0']);
      const init = t.last();
      expect(init.phase).toBe('Pending');
      expect(cond(init, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [setup]' });
      expect(init.initContainerStatuses![0]).toMatchObject({ name: 'side', ready: true, started: true });
      expect(init.initContainerStatuses![0]!.state!.running).toBeDefined();
      expect(init.containerStatuses![0]!.state!.waiting!.reason).toBe('PodInitializing');

      await t.advance(1000);
      expect(t.starts().map((s) => s.split('/')[1])).toEqual(['side#0', 'setup#0', 'app#0']);
      const s = t.last();
      expect(s.phase).toBe('Running');
      expect(s.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
      expect(s.initContainerStatuses!.map((c) => [c.name, c.ready, c.started, c.state!.running !== undefined])).toEqual([
        ['side', true, true, true],
        ['setup', true, false, false],
      ]);
      // Nothing is restarted or stopped while the pod runs.
      await t.advance(60_000);
      expect(t.starts()).toHaveLength(3);
      expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toEqual([]);
    });

    it("gates the next container on the sidecar's startup probe, and its readiness probe on Ready", async () => {
      const t = setup();
      let started = false;
      let ready = false;
      t.runtime.exec = (_c, cmd) => ({ exitCode: (cmd[0] === 'startup' ? started : ready) ? 0 : 1 });
      t.runtime.behavior = (c) => (c.name === 'setup' ? { exitAfterMs: 1000, exitCode: 0 } : undefined);
      const pod = sidecarPod({}, {
        startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 100 },
        readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 },
      });
      t.workers.syncPod(pod);
      await t.advance(5000);
      expect(t.starts().map((s) => s.split('/')[1])).toEqual(['side#0']);
      expect(t.last().initContainerStatuses![0]).toMatchObject({ ready: false, started: false });
      expect(t.last().phase).toBe('Pending');
      expect(cond(t.last(), 'Initialized').message).toBe('containers with incomplete status: [side setup]');
      started = true;
      await t.advance(3000);
      expect(t.starts().map((s) => s.split('/')[1])).toEqual(['side#0', 'setup#0', 'app#0']);
      const s = t.last();
      expect(s.phase).toBe('Running');
      expect(cond(s, 'Initialized').status).toBe('True');
      expect(s.initContainerStatuses![0]).toMatchObject({ ready: false, started: true });
      expect(cond(s, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
      expect(cond(s, 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [side]' });
      ready = true;
      await t.advance(2000);
      expect(t.last().initContainerStatuses![0]!.ready).toBe(true);
      expect(cond(t.last(), 'Ready').status).toBe('True');
    });

    it('restarts a sidecar whenever it exits, with back-off, even under restartPolicy Never; the pod stays Running and Initialized', async () => {
      const t = setup();
      t.runtime.behavior = (c) => (c.name === 'setup' ? { exitAfterMs: 1000, exitCode: 0 } : c.name === 'side' ? { exitAfterMs: 2000, exitCode: 0 } : undefined);
      t.workers.syncPod(sidecarPod({ restartPolicy: 'Never' }));
      await t.settle();
      await t.advance(30_000);
      const sides = t.starts().filter((s) => s.includes('/side#'));
      // Exits at 2 s (restarted at once), 4 s (back-off 10 s), 16 s (20 s)...
      expect(sides.length).toBeGreaterThanOrEqual(3);
      const s = t.last();
      expect(s.phase).toBe('Running');
      expect(cond(s, 'Initialized').status).toBe('True');
      expect(t.starts().filter((x) => x.includes('/app#'))).toHaveLength(1);
      expect(t.starts().filter((x) => x.includes('/setup#'))).toHaveLength(1);
      const waiting = t.reported.find((r) => r.initContainerStatuses![0]!.state!.waiting?.reason === 'CrashLoopBackOff')!;
      expect(waiting.phase).toBe('Running');
      expect(waiting.initContainerStatuses![0]!.state!.waiting!.message).toBe('back-off 10s restarting failed container=side pod=ds-x_default(uid-1)');
      expect(waiting.initContainerStatuses![0]).toMatchObject({ ready: false, started: false, restartCount: 1 });
      expect(cond(waiting, 'Initialized').status).toBe('True');
      expect(cond(waiting, 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [side]' });
    });

    it("restarts a sidecar that fails its liveness probe, with upstream's Killing message", async () => {
      const t = setup();
      let alive = true;
      t.runtime.exec = () => ({ exitCode: alive ? 0 : 1 });
      t.runtime.behavior = (c) => (c.name === 'setup' ? { exitAfterMs: 1000, exitCode: 0 } : undefined);
      t.workers.syncPod(sidecarPod({ restartPolicy: 'Never' }, { livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1, failureThreshold: 2 } }));
      await t.advance(3000);
      alive = false;
      await t.advance(3000);
      expect(t.events).toContain('Normal Killing side: Init container side failed liveness probe');
      expect(t.starts().filter((s) => s.includes('/side#'))).toHaveLength(2);
      expect(t.last().initContainerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 143 });
      expect(t.last().phase).toBe('Running');
    });

    it('stops the sidecars once the app containers are done (Never/OnFailure); the phase and conditions follow from the app containers', async () => {
      for (const [code, phase, reason] of [
        [0, 'Succeeded', 'PodCompleted'],
        [3, 'Failed', 'PodFailed'],
      ] as const) {
        const t = setup();
        t.runtime.behavior = (c) => (c.name === 'setup' ? { exitAfterMs: 1000, exitCode: 0 } : c.name === 'app' ? { exitAfterMs: 2000, exitCode: code } : undefined);
        t.workers.syncPod(sidecarPod({ restartPolicy: 'Never', terminationGracePeriodSeconds: 5 }));
        await t.settle();
        await t.advance(2000);
        expect(t.last().phase).toBe('Running');
        await t.advance(1000);
        const s = t.last();
        expect(s.phase).toBe(phase);
        expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toHaveLength(1);
        expect(s.initContainerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 143 });
        expect(s.containerStatuses![0]!.state!.terminated!.exitCode).toBe(code);
        expect(cond(s, 'Ready')).toEqual({ type: 'Ready', status: 'False', reason, lastProbeTime: null, lastTransitionTime: cond(s, 'Ready').lastTransitionTime });
        expect(cond(s, 'ContainersReady').message).toBeUndefined();
        expect(cond(s, 'Initialized')).toMatchObject(phase === 'Succeeded' ? { status: 'True', reason: 'PodCompleted' } : { status: 'True' });
        if (phase === 'Failed') expect(cond(s, 'Initialized').reason).toBeUndefined();
        // Nothing is started again.
        await t.advance(60_000);
        expect(t.starts()).toHaveLength(3);
      }
    });

    it('termination stops the app containers first, then the sidecars in reverse order, within the grace period', async () => {
      const t = setup();
      const pod = makePod([{ name: 'app', lifecycle: { preStop: { sleep: { seconds: 3 } } } }], { terminationGracePeriodSeconds: 10 });
      pod.spec.initContainers = [
        { name: 'first', image: 'img', command: ['a'], restartPolicy: 'Always' },
        { name: 'second', image: 'img', command: ['b'], restartPolicy: 'Always', lifecycle: { preStop: { sleep: { seconds: 1 } } } },
      ];
      t.workers.syncPod(pod);
      await t.settle();
      expect(t.last().phase).toBe('Running');
      const nameOf = new Map([...t.last().initContainerStatuses!, ...t.last().containerStatuses!].map((c) => [c.containerID!.replace('fake://', ''), c.name]));
      const stops: string[] = [];
      const stop = t.runtime.stopContainer.bind(t.runtime);
      t.runtime.stopContainer = (id, grace) => {
        stops.push(`${nameOf.get(id)}/${grace}@${t.clock.now() - t0}`);
        return stop(id, grace);
      };
      const t0 = t.clock.now();
      let done = false;
      void t.workers.terminatePod('uid-1').then(() => (done = true));
      await t.settle();
      // Every container is announced (and its preStop hook started) at once.
      expect(t.events.filter((e) => e.includes(' Killing ')).sort()).toEqual([
        'Normal Killing app: Stopping container app',
        'Normal Killing first: Stopping container first',
        'Normal Killing second: Stopping container second',
      ]);
      await t.advance(5000);
      expect(done).toBe(true);
      // app after its 3 s hook; second (its own hook took 1 s) waits for app: 10 - 1 - 2 = 7 s
      // left; first waits for app and second: 10 - 3 = 7 s left.
      expect(stops).toEqual(['app/7@3000', 'second/7@3000', 'first/7@3000']);
      expect(t.last().phase).toBe('Failed');
      expect(cond(t.last(), 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    });
  });

  describe('postStart hooks', () => {
    it('runs the hook right after the start; the container is reported started only once it returned', async () => {
      const t = setup();
      t.workers.syncPod(makePod([{ lifecycle: { postStart: { sleep: { seconds: 5 } } } }]));
      await t.settle();
      await t.advance(4750);
      expect(t.starts()).toHaveLength(1);
      // Meanwhile the pod shows what it waits for (upstream reports before starting containers).
      expect(t.reported).toHaveLength(1);
      expect(t.reported[0]!.phase).toBe('Pending');
      expect(t.reported[0]!.containerStatuses![0]).toMatchObject({ state: { waiting: { reason: 'ContainerCreating' } }, started: false, ready: false });
      expect(t.events).toEqual(['Normal Pulled c0: Container image "img" already present on machine', 'Normal Created c0: Created container: c0', 'Normal Started c0: Started container c0']);
      await t.advance(250);
      expect(t.last().containerStatuses![0]).toMatchObject({ started: true, ready: true });
      expect(t.last().containerStatuses![0]!.state!.running).toBeDefined();
    });

    it('a failed hook: FailedPostStartHook, the container is killed, waits in PostStartHookError, then restarts as its policy says', async () => {
      const t = setup();
      let fail = true;
      t.runtime.exec = (_c, cmd) => (cmd[0] === 'hook' && fail ? { exitCode: 2, output: 'nope' } : { exitCode: 0 });
      t.workers.syncPod(makePod([{ lifecycle: { postStart: { exec: { command: ['hook', 'x'] } } } }], { terminationGracePeriodSeconds: 4 }));
      await t.settle();
      const message = 'Exec lifecycle hook ([hook x]) for Container "c0" in Pod "ds-x_default(uid-1)" failed - error: command \'hook x\' exited with 2: nope, message: "nope"';
      expect(t.reported[0]!.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'ContainerCreating' } }); // while the hook ran
      const first = t.reported[1]!;
      expect(first.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'PostStartHookError', message } });
      expect(first.containerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
      expect(first.containerStatuses![0]).toMatchObject({ started: false, ready: false });
      expect(t.events.slice(0, 5)).toEqual([
        'Normal Pulled c0: Container image "img" already present on machine',
        'Normal Created c0: Created container: c0',
        'Normal Started c0: Started container c0',
        `Warning FailedPostStartHook c0: ${message}`,
        'Normal Killing c0: FailedPostStartHook',
      ]);
      expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))[0]).toMatch(/\/4$/);
      // The first restart is immediate (fails again), the next waits out the back-off.
      expect(t.starts()).toHaveLength(2);
      expect(t.last().containerStatuses![0]!.state!.waiting!.reason).toBe('CrashLoopBackOff');
      fail = false;
      await t.advance(10_000);
      expect(t.starts()).toHaveLength(3);
      expect(t.last().containerStatuses![0]).toMatchObject({ started: true, restartCount: 2 });

      // Under Never the pod fails with the killed container's state.
      const n = setup();
      n.runtime.exec = () => ({ exitCode: 1 });
      n.workers.syncPod(makePod([{ lifecycle: { postStart: { exec: { command: ['hook'] } } } }], { restartPolicy: 'Never' }));
      await n.settle();
      expect(n.starts()).toHaveLength(1);
      expect(n.last().phase).toBe('Failed');
      expect(n.last().containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 143 });
    });

    it('termination aborts a hook still running', async () => {
      const t = setup();
      t.workers.syncPod(makePod([{ lifecycle: { postStart: { sleep: { seconds: 600 } } } }], { terminationGracePeriodSeconds: 30 }));
      await t.advance(1000);
      let done = false;
      void t.workers.terminatePod('uid-1', 5).then(() => (done = true));
      await t.advance(1000);
      expect(done).toBe(true);
      // Stopped once, by the termination, with its grace period; the cut-off hook is no failure to report.
      expect(t.runtime.calls.filter((c) => c.startsWith('stop:')).map((c) => c.split('/')[1])).toEqual(['5']);
      expect(t.events.filter((e) => e.includes('PostStartHook'))).toEqual([]);
      expect(t.last().containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 143 });
      expect(t.last().phase).toBe('Failed');
    });

    it('an agent that stops while a hook runs leaves the container running, with no hook failure, for the next agent', async () => {
      const t = setup();
      t.workers.syncPod(makePod([{ lifecycle: { postStart: { sleep: { seconds: 600 } } } }]));
      await t.advance(1000);
      await t.workers.shutdown({ stopPods: false });
      await t.advance(1000);
      expect(t.runtime.calls.filter((c) => c.startsWith('stop:'))).toEqual([]);
      expect(t.events.filter((e) => e.includes('PostStartHook') || e.includes('Killing'))).toEqual([]);
      expect((await t.runtime.listContainers()).map((c) => c.state)).toEqual(['running']);
    });
  });

  it('a container whose command cannot be run waits in RunContainerError until CrashLoopBackOff takes over (terminated StartError under Never)', async () => {
    const t = setup();
    const err = 'exec: "nope": executable file not found in $PATH';
    t.runtime.behavior = () => ({ startError: err });
    t.workers.syncPod(makePod([{}]));
    await t.settle();
    const first = t.reported[0]!.containerStatuses![0]!;
    expect(first.state).toEqual({ waiting: { reason: 'RunContainerError', message: err } });
    expect(first.lastState!.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: err });
    expect(t.reported.map((r) => r.containerStatuses![0]!.state!.waiting!.reason)).toEqual(['RunContainerError', 'RunContainerError', 'CrashLoopBackOff']);
    expect(t.last().phase).toBe('Running');

    const n = setup();
    n.runtime.behavior = () => ({ startError: err });
    n.workers.syncPod(makePod([{}], { restartPolicy: 'Never' }));
    await n.settle();
    expect(n.last().containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: err });
    // It never started: the runtime's zero start time, as the kubelet shows it.
    expect(n.last().containerStatuses![0]!.state!.terminated!.startedAt).toBe('1970-01-01T00:00:00Z');
    expect(n.last().phase).toBe('Failed');
  });

  it('FallbackToLogsOnError: a non-zero exit gets the last 80 lines of the log, at most 2048 bytes, as its message', async () => {
    const t = setup();
    const many = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`);
    t.runtime.behavior = (c) => ({ exitAfterMs: 1000, exitCode: c.name === 'ok' ? 0 : 4, logLines: c.name === 'many' ? many : ['line1', 'fatal: config missing'] });
    t.workers.syncPod(
      makePod(
        [
          { name: 'short', terminationMessagePolicy: 'FallbackToLogsOnError' },
          { name: 'many', terminationMessagePolicy: 'FallbackToLogsOnError' },
          { name: 'ok', terminationMessagePolicy: 'FallbackToLogsOnError' },
          { name: 'file', terminationMessagePolicy: 'File' },
        ],
        { restartPolicy: 'Never' },
      ),
    );
    await t.settle();
    await t.advance(1000);
    const s = t.last();
    expect(s.phase).toBe('Failed');
    const byName = (name: string) => s.containerStatuses!.find((c) => c.name === name)!.state!.terminated!;
    expect(byName('short').message).toBe('line1\nfatal: config missing\n');
    const tail = many.slice(-80).join('\n') + '\n';
    expect(Buffer.byteLength(tail)).toBeGreaterThan(2048);
    expect(byName('many').message).toBe(Buffer.from(tail).subarray(-2048).toString());
    expect(byName('ok').message).toBeUndefined();
    expect(byName('file').message).toBeUndefined();

    // The message stays with the container: lastState after a restart shows it too.
    const r = setup();
    r.runtime.behavior = () => ({ exitAfterMs: 1000, exitCode: 1, logLines: ['boom'] });
    r.workers.syncPod(makePod([{ terminationMessagePolicy: 'FallbackToLogsOnError' }]));
    await r.settle();
    await r.advance(1000);
    expect(r.last().containerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 1, message: 'boom\n' });
  });
});

describe('PodWorkers: RuntimeClass handlers', () => {
  it('a class whose handler the agent runs starts as any pod; another handler, a missing or unreadable class gets no sandbox and is tried again', async () => {
    const classes: Record<string, string> = { plain: 'process', kata: 'kata' };
    const t = setup({
      runtimeClassHandler: async (name) => {
        if (name === 'unreadable') throw new Error('connection refused');
        return classes[name] ?? null;
      },
      runtimeHandlers: ['process'],
    });
    t.workers.syncPod({ ...makePod([{}]), metadata: { name: 'ok', namespace: 'default', uid: 'uid-ok' }, spec: { ...makePod([{}]).spec, runtimeClassName: 'plain' } as Pod['spec'] });
    await t.settle();
    expect(t.runtime.calls).toContain('runPodSandbox:uid-ok');
    expect(t.reported.at(-1)!.phase).toBe('Running');

    for (const [uid, className, why] of [
      ['uid-kata', 'kata', 'no runtime for "kata" is configured (RuntimeClass "kata")'],
      ['uid-gone', 'gone', 'RuntimeClass "gone" not found'],
      ['uid-unread', 'unreadable', 'cannot read RuntimeClass "unreadable": connection refused'],
    ] as const) {
      t.reported.length = 0;
      t.events.length = 0;
      t.workers.syncPod({ ...makePod([{ name: 'main' }]), metadata: { name: uid, namespace: 'default', uid }, spec: { ...makePod([{ name: 'main' }]).spec, runtimeClassName: className } as Pod['spec'] });
      await t.settle();
      expect(t.runtime.calls).not.toContain(`runPodSandbox:${uid}`);
      expect(t.events).toEqual([`Warning FailedCreatePodSandBox : Failed to create pod sandbox: ${why}`]);
      const s = t.reported.at(-1)!;
      expect(s.phase).toBe('Pending');
      expect(s.containerStatuses!.map((c) => c.state)).toEqual([{ waiting: { reason: 'ContainerCreating' } }]);
      expect(s.conditions!.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('False');
      // Looked at again every 10 s (the class or the agent's handlers may change).
      t.clock.advance(10_000);
      await t.settle();
      // (The earlier pods are still refused, each on its own schedule.)
      expect(t.events.filter((e) => e.endsWith(why))).toHaveLength(2);
    }
    // A pod deleted while refused terminates without a sandbox.
    const removed = t.workers.removePod('uid-kata', 0);
    await t.settle();
    await removed;
    expect(t.runtime.calls).not.toContain('runPodSandbox:uid-kata');
  });
});

describe('containerLimits (what the runtime is asked to enforce)', () => {
  const c = (limits?: Record<string, string | number>): Container => ({ name: 'c', image: 'i', ...(limits ? { resources: { limits } } : {}) }) as Container;
  it('memory in bytes and cpu in millicores, rounded up; zero or absent is no limit', () => {
    expect(containerLimits(c({ memory: '64Mi', cpu: '250m' }))).toEqual({ limits: { memoryBytes: 67108864n, cpuMillis: 250 } });
    expect(containerLimits(c({ memory: '1.5k', cpu: '0.0001' }))).toEqual({ limits: { memoryBytes: 1500n, cpuMillis: 1 } });
    expect(containerLimits(c({ memory: '0', cpu: 0 }))).toEqual({});
    expect(containerLimits(c({ 'nvidia.com/gpu': '1' }))).toEqual({});
    expect(containerLimits(c())).toEqual({});
    // Beyond 2^53 bytes, exact.
    expect(containerLimits(c({ memory: '8Ei' }))).toEqual({ limits: { memoryBytes: 8n * 1024n ** 6n } });
  });
});
