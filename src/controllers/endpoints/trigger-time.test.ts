import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types.js';
import { TriggerTimeTracker, formatRFC3339Nano } from './trigger-time.js';
import type { Service } from './types.js';

const svc: Service = { metadata: { namespace: 'ns', name: 's', creationTimestamp: '2018-01-01T00:00:00Z' }, spec: { selector: {} } };
const pod = (name: string, readySince: string): Pod => ({
  metadata: { namespace: 'ns', name },
  spec: { containers: [] },
  status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] },
});
const t = (s: string) => Date.parse(s);

describe('TriggerTimeTracker (upstream trigger_time_tracker_test)', () => {
  it('first sync: the Service creation; then the earliest trigger that moved; nothing moved: none', () => {
    const tr = new TriggerTimeTracker();
    const p1 = pod('p1', '2018-01-01T00:00:10Z');
    expect(tr.compute('ns/s', svc, [p1])).toBe(t('2018-01-01T00:00:00Z'));
    expect(tr.compute('ns/s', svc, [p1])).toBeUndefined();
    const p2 = pod('p2', '2018-01-01T00:00:30Z');
    const p1b = pod('p1', '2018-01-01T00:00:20Z');
    expect(tr.compute('ns/s', svc, [p1b, p2])).toBe(t('2018-01-01T00:00:20Z'));
    expect(tr.compute('ns/s', svc, [p1b, p2])).toBeUndefined();
    // a pod that leaves changes nothing it can date
    expect(tr.compute('ns/s', svc, [p2])).toBeUndefined();
    // a Service created again under the same name
    const again = { ...svc, metadata: { ...svc.metadata, creationTimestamp: '2018-01-02T00:00:00Z' } };
    expect(tr.compute('ns/s', again, [p2])).toBe(t('2018-01-02T00:00:00Z'));
    tr.delete('ns/s');
    expect(tr.compute('ns/s', again, [p2])).toBe(t('2018-01-02T00:00:00Z'));
  });

  it('formats as Go RFC3339Nano in UTC', () => {
    expect(formatRFC3339Nano(t('2018-01-01T00:00:00Z'))).toBe('2018-01-01T00:00:00Z');
    expect(formatRFC3339Nano(t('2018-01-01T00:00:00.120Z'))).toBe('2018-01-01T00:00:00.12Z');
  });
});
