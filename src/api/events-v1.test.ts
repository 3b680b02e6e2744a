import { describe, expect, it } from 'vitest';
import { eventFromV1, eventToV1, eventsV1ApiVersion } from './events-v1.js';
import type { KubeObject } from './types.js';

const core = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'e', namespace: 'default', uid: 'u' },
  involvedObject: { kind: 'Pod', name: 'p' },
  reason: 'Pulled',
  message: 'pulled the image',
  source: { component: 'kubelet', host: 'n1' },
  firstTimestamp: '2026-01-01T00:00:00Z',
  lastTimestamp: null,
  count: 2,
  type: 'Normal',
  eventTime: null,
  reportingComponent: 'kubelet',
  reportingInstance: 'n1',
  somethingNewer: { kept: true },
} as unknown as KubeObject;

describe('events.k8s.io/v1 Event conversion', () => {
  it('renames the core fields to the v1 ones, in v1 order, keeping nulls and unknown fields', () => {
    const v1 = eventToV1(core) as unknown as Record<string, unknown>;
    expect(Object.keys(v1)).toEqual([
      'apiVersion', 'kind', 'metadata', 'eventTime', 'reportingController', 'reportingInstance', 'reason', 'regarding', 'note', 'type',
      'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount', 'somethingNewer',
    ]);
    expect(v1).toMatchObject({
      apiVersion: eventsV1ApiVersion,
      regarding: { kind: 'Pod', name: 'p' },
      note: 'pulled the image',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedLastTimestamp: null,
      deprecatedCount: 2,
      reportingController: 'kubelet',
      somethingNewer: { kept: true },
    });
  });

  it('round-trips both ways, is idempotent on its target form, and mutates nothing', () => {
    const frozen = Object.freeze(structuredClone(core));
    const v1 = eventToV1(frozen);
    expect(eventToV1(v1)).toBe(v1);
    const back = eventFromV1(v1);
    expect(back).toEqual(core);
    // Core field order, as the store keeps it.
    expect(Object.keys(back).slice(0, 6)).toEqual(['apiVersion', 'kind', 'metadata', 'involvedObject', 'reason', 'message']);
    expect(eventFromV1(back)).toBe(back);
    expect(frozen).toEqual(core);
  });
});
