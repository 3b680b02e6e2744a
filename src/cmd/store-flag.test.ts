import { describe, expect, it } from 'vitest';
import { corsAllowedOriginsFromFlag, storeWaitMsFromFlag } from './store-flag.js';

describe('--store-wait', () => {
  const etcd = 'etcd://127.0.0.1:2379';
  it('reads durations and plain seconds', () => {
    expect(storeWaitMsFromFlag('60s', etcd)).toBe(60_000);
    expect(storeWaitMsFromFlag('1m30s', etcd)).toBe(90_000);
    expect(storeWaitMsFromFlag('500ms', etcd)).toBe(500);
    expect(storeWaitMsFromFlag('2h', etcd)).toBe(7_200_000);
    expect(storeWaitMsFromFlag('45', etcd)).toBe(45_000);
    expect(storeWaitMsFromFlag('0', etcd)).toBe(0);
  });
  it('is 0 for the SQLite store (a local file: nothing to wait for)', () => {
    expect(storeWaitMsFromFlag('60s', undefined)).toBe(0);
  });
  it('refuses anything else, naming the flag', () => {
    for (const bad of ['', 'soon', '10x', '-5s', '1.5s', ' s', '5s10']) {
      expect(() => storeWaitMsFromFlag(bad, etcd), bad).toThrow(/invalid --store-wait/);
    }
  });
});

describe('--cors-allowed-origins', () => {
  it('takes repeated and comma-separated patterns, ignoring empty ones', () => {
    expect(corsAllowedOriginsFromFlag([])).toEqual([]);
    expect(corsAllowedOriginsFromFlag(['^https://a\\.example$, ^http://127\\.0\\.0\\.1(:\\d+)?$', '', '^https://b$'])).toEqual(['^https://a\\.example$', '^http://127\\.0\\.0\\.1(:\\d+)?$', '^https://b$']);
  });
});
