import { describe, expect, it } from 'vitest';
import type { ContainerStatus, PodSpec, PodStatus } from '../api/types.js';
import { apiPodStatus, generatePodConditions, getPodPhase, podStatusEqual, withForeignConditions } from './status.js';

describe('withForeignConditions', () => {
  const computed: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] };

  it("keeps conditions other writers set (an eviction's DisruptionTarget, readiness gates), not stale kubelet ones", () => {
    const current: PodStatus = {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' },
        { type: 'example.com/gate', status: 'True' },
      ],
    };
    const merged = withForeignConditions(current, computed);
    expect(merged.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['DisruptionTarget=True', 'example.com/gate=True', 'Ready=True', 'PodScheduled=True']);
    // Once written, the API status equals what the agent would write again: no endless rewrite.
    expect(podStatusEqual(merged, withForeignConditions(merged, computed))).toBe(true);
  });

  it('podStatusEqual: a null field equals an absent one (the server keeps lastProbeTime: null as absent); key order does not matter', () => {
    const computed: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    const stored: PodStatus = { conditions: [{ lastTransitionTime: '2026-01-01T00:00:00Z', status: 'True', type: 'Ready' }], phase: 'Running' };
    expect(podStatusEqual(stored, computed)).toBe(true);
    expect(podStatusEqual(stored, { ...computed, conditions: [{ ...computed.conditions![0]!, status: 'False' }] })).toBe(false);
    expect(podStatusEqual(stored, { ...computed, conditions: [] })).toBe(false);
  });

  it('changes nothing when there is no foreign condition', () => {
    expect(withForeignConditions({ conditions: [{ type: 'Ready', status: 'False' }] }, computed)).toBe(computed);
    expect(withForeignConditions(undefined, computed)).toBe(computed);
  });
});

describe('apiPodStatus: the QoS class', () => {
  it("writes back the stored class (the API server's, immutable), else the computed one", () => {
    const computed: PodStatus = { phase: 'Running', qosClass: 'Guaranteed' };
    expect(apiPodStatus({ status: { phase: 'Pending', qosClass: 'Burstable' } }, computed, 'now').qosClass).toBe('Burstable');
    expect(apiPodStatus({ status: { phase: 'Pending' } }, computed, 'now').qosClass).toBe('Guaranteed');
    expect(apiPodStatus({}, computed, 'now')).toBe(computed);
  });
});

describe('apiPodStatus: terminal phases', () => {
  it('never moves a pod out of the Failed or Succeeded phase the API shows (the kubelet\'s illegal phase transition)', () => {
    const computed: PodStatus = { phase: 'Running' };
    expect(apiPodStatus({ status: { phase: 'Failed' } }, computed, 'now').phase).toBe('Failed');
    expect(apiPodStatus({ status: { phase: 'Succeeded' } }, computed, 'now').phase).toBe('Succeeded');
    expect(apiPodStatus({ status: { phase: 'Failed' } }, { phase: 'Succeeded' }, 'now').phase).toBe('Failed');
    expect(apiPodStatus({ status: { phase: 'Running' } }, { phase: 'Failed' }, 'now').phase).toBe('Failed');
    expect(apiPodStatus({ status: { phase: 'Pending' } }, computed, 'now').phase).toBe('Running');
  });

  it('lets a static pod\'s mirror follow the static pod out of a terminal phase (a node shutdown left it Failed)', () => {
    expect(apiPodStatus({ status: { phase: 'Failed' } }, { phase: 'Running' }, 'now', true).phase).toBe('Running');
  });
});

describe('apiPodStatus: readiness gates', () => {
  const now = '2026-01-01T00:10:00Z';
  const computed: PodStatus = {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ],
  };
  const gates = [{ conditionType: 'example.com/gate' }, { conditionType: 'example.com/lb' }];
  const ready = (s: PodStatus) => s.conditions?.find((c) => c.type === 'Ready');

  it('keeps Ready False while a gate is missing or not True, with upstream messages; ContainersReady stays True', () => {
    const current: { spec: PodSpec; status: PodStatus } = { spec: { containers: [], readinessGates: gates }, status: { conditions: [{ type: 'example.com/gate', status: 'False' }] } };
    const s = apiPodStatus(current, computed, now);
    expect(ready(s)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'the status of pod readiness gate "example.com/gate" is not "True", but False, corresponding condition of pod readiness gate "example.com/lb" does not exist.',
      lastTransitionTime: now,
    });
    expect(s.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    // Written once, it is stable: the same status again, its transition time kept.
    expect(podStatusEqual(apiPodStatus({ ...current, status: s }, computed, '2026-01-01T00:20:00Z'), s)).toBe(true);
  });

  it('is Ready once every gate is True, from that moment, and without gates nothing changes', () => {
    const current: { spec: PodSpec; status: PodStatus } = {
      spec: { containers: [], readinessGates: gates },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', lastTransitionTime: '2026-01-01T00:05:00Z' }, { type: 'example.com/gate', status: 'True' }, { type: 'example.com/lb', status: 'True' }] },
    };
    const s = apiPodStatus(current, computed, now);
    expect(ready(s)).toMatchObject({ status: 'True', lastTransitionTime: now });
    // Once written it stays as it is.
    expect(podStatusEqual(apiPodStatus({ ...current, status: s }, computed, '2026-01-01T00:30:00Z'), s)).toBe(true);
    expect(apiPodStatus({ spec: { containers: [] } }, computed, now)).toBe(computed);
  });
});

describe('getPodPhase and generatePodConditions with sidecars', () => {
  const spec: PodSpec = {
    restartPolicy: 'Never',
    initContainers: [{ name: 'side', restartPolicy: 'Always' }],
    containers: [{ name: 'app' }],
  };
  const st = (name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name, state, ready: false, restartCount: 0, image: '', imageID: '', ...extra });
  const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
  const now = '2026-01-01T00:10:00Z';

  it('a sidecar not started yet keeps the pod Pending and not Initialized, until a regular container has run', () => {
    const side = st('side', running, { started: false });
    expect(getPodPhase(spec, [side], [st('app', { waiting: { reason: 'PodInitializing' } })], false)).toBe('Pending');
    const status: PodStatus = { phase: 'Pending', initContainerStatuses: [side], containerStatuses: [st('app', { waiting: { reason: 'PodInitializing' } })] };
    expect(generatePodConditions(spec, status, undefined, now)[0]).toMatchObject({ type: 'Initialized', status: 'False', message: 'containers with incomplete status: [side]' });
    // Restarting (waiting with a last state) after the app started: Running, Initialized.
    const restarting = st('side', { waiting: { reason: 'CrashLoopBackOff' } }, { lastState: { terminated: { exitCode: 1 } } });
    const app = st('app', running, { ready: true, started: true });
    expect(getPodPhase(spec, [restarting], [app], false)).toBe('Running');
    const conds = generatePodConditions(spec, { phase: 'Running', initContainerStatuses: [restarting], containerStatuses: [app] }, undefined, now);
    expect(conds.map((c) => `${c.type}=${c.status}`)).toEqual(['Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
    expect(conds[1]!.message).toBe('containers with unready status: [side]');
  });

  it('a terminated sidecar is left out of the phase; terminal phases give PodCompleted/PodFailed without message', () => {
    const side = st('side', { terminated: { exitCode: 143 } });
    expect(getPodPhase(spec, [side], [st('app', { terminated: { exitCode: 0 } })], false)).toBe('Succeeded');
    expect(getPodPhase(spec, [side], [st('app', { terminated: { exitCode: 2 } })], false)).toBe('Failed');
    // While the sidecar still runs the pod is Running.
    expect(getPodPhase(spec, [st('side', running, { started: true })], [st('app', { terminated: { exitCode: 0 } })], false)).toBe('Running');
    const succeeded = generatePodConditions(spec, { phase: 'Succeeded', initContainerStatuses: [side], containerStatuses: [st('app', { terminated: { exitCode: 0 } })] }, undefined, now);
    expect(succeeded.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Initialized', 'True', 'PodCompleted', undefined],
      ['Ready', 'False', 'PodCompleted', undefined],
      ['ContainersReady', 'False', 'PodCompleted', undefined],
      ['PodScheduled', 'True', undefined, undefined],
    ]);
    const failed = generatePodConditions({ containers: [{ name: 'app' }] }, { phase: 'Failed', containerStatuses: [st('app', { terminated: { exitCode: 2 } })] }, undefined, now);
    expect(failed.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Initialized', 'True', undefined, undefined],
      ['Ready', 'False', 'PodFailed', undefined],
      ['ContainersReady', 'False', 'PodFailed', undefined],
      ['PodScheduled', 'True', undefined, undefined],
    ]);
  });
});
