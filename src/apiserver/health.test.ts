import { describe, expect, it } from 'vitest';
import { StorageError } from '../storage/interface.js';
import { healthRouteOf, runHealth, ServerHealth, StoreHealthCheck, type HealthChecks } from './health.js';

/** A store whose revision and failure the test sets. */
function fakeStore() {
  const s = {
    revision: 5,
    fail: undefined as Error | undefined,
    hang: false,
    calls: 0,
    currentRevision(): Promise<number> {
      s.calls++;
      if (s.hang) return new Promise(() => undefined);
      return s.fail ? Promise.reject(s.fail) : Promise.resolve(s.revision);
    },
  };
  return s;
}

const q = (s = '') => new URLSearchParams(s);
const full = new StorageError('Unavailable', 'sqlite /var/lib/everynode/state.db: database or disk is full');

function health(serving = true) {
  const store = fakeStore();
  const state = { serving };
  const h = new ServerHealth({ serving: () => state.serving, store });
  return { store, state, h };
}

describe('healthRouteOf', () => {
  it('names the endpoint and the single check', () => {
    expect(healthRouteOf('/readyz')).toEqual({ endpoint: 'readyz' });
    expect(healthRouteOf('/livez/ping')).toEqual({ endpoint: 'livez', check: 'ping' });
    expect(healthRouteOf('/healthz/poststarthook/x')).toEqual({ endpoint: 'healthz', check: 'poststarthook/x' });
    expect(healthRouteOf('/readyz/')).toEqual({ endpoint: 'readyz', check: '' });
    expect(healthRouteOf('/readyzx')).toBeUndefined();
    expect(healthRouteOf('/api/v1')).toBeUndefined();
  });
});

describe('runHealth (upstream healthz format)', () => {
  it('answers plain ok, or with ?verbose one line per check and "<endpoint> check passed"', async () => {
    const { h } = health();
    expect(await h.serve({ endpoint: 'readyz' }, q())).toEqual({ code: 200, body: 'ok' });
    expect(await h.serve({ endpoint: 'readyz' }, q('verbose'))).toEqual({ code: 200, body: '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n' });
    expect(await h.serve({ endpoint: 'livez' }, q('verbose=true'))).toEqual({ code: 200, body: '[+]ping ok\n[+]log ok\nlivez check passed\n' });
    expect(await h.serve({ endpoint: 'healthz' }, q('verbose'))).toEqual({ code: 200, body: '[+]ping ok\n[+]log ok\n[+]etcd ok\nhealthz check passed\n' });
  });

  it('fails with 500 and the verbose list even without ?verbose, reasons withheld', async () => {
    const { h, state } = health(false);
    const r = await h.serve({ endpoint: 'readyz' }, q());
    expect(r).toEqual({ code: 500, body: '[+]ping ok\n[+]log ok\n[+]etcd ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n' });
    // livez and healthz do not run `shutdown`.
    expect((await h.serve({ endpoint: 'livez' }, q()))?.code).toBe(200);
    expect((await h.serve({ endpoint: 'healthz' }, q()))?.code).toBe(200);
    state.serving = true;
    expect((await h.serve({ endpoint: 'readyz' }, q()))?.code).toBe(200);
  });

  it('skips ?exclude=<name> checks and warns about names matching none', async () => {
    const { h } = health(false);
    expect(await h.serve({ endpoint: 'readyz' }, q('exclude=shutdown'))).toEqual({ code: 200, body: 'ok' });
    expect(await h.serve({ endpoint: 'readyz' }, q('exclude=shutdown&exclude=etcd&verbose'))).toEqual({
      code: 200,
      body: '[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\n[+]shutdown excluded: ok\nreadyz check passed\n',
    });
    expect(await h.serve({ endpoint: 'livez' }, q('exclude=zz&exclude=nope&verbose'))).toEqual({
      code: 200,
      body: '[+]ping ok\n[+]log ok\nwarn: some health checks cannot be excluded: no matches for "nope","zz"\nlivez check passed\n',
    });
  });

  it('runs one check at /<endpoint>/<name> (500 with its reason), and knows no other name', async () => {
    const { h } = health(false);
    expect(await h.serve({ endpoint: 'readyz', check: 'ping' }, q())).toEqual({ code: 200, body: 'ok' });
    expect(await h.serve({ endpoint: 'readyz', check: 'etcd' }, q())).toEqual({ code: 200, body: 'ok' });
    expect(await h.serve({ endpoint: 'readyz', check: 'shutdown' }, q())).toEqual({ code: 500, body: 'internal server error: the server is starting or shutting down\n' });
    expect(await h.serve({ endpoint: 'readyz', check: 'nope' }, q())).toBeUndefined();
    expect(await h.serve({ endpoint: 'readyz', check: '' }, q())).toBeUndefined();
    // livez has no etcd or shutdown check.
    expect(await h.serve({ endpoint: 'livez', check: 'etcd' }, q())).toBeUndefined();
    expect(await h.serve({ endpoint: 'livez', check: 'shutdown' }, q())).toBeUndefined();
    expect(await h.serve({ endpoint: 'healthz', check: 'etcd' }, q())).toEqual({ code: 200, body: 'ok' });
  });

  it('runs every check in order and reports each failure (a throwing or rejecting check)', async () => {
    const checks: HealthChecks = {
      livez: [],
      healthz: [],
      readyz: [
        { name: 'a', check: () => Promise.reject(new Error('x')) },
        { name: 'b', check: () => undefined },
        {
          name: 'c',
          check: () => {
            throw new Error('y');
          },
        },
      ],
    };
    expect(await runHealth(checks, { endpoint: 'readyz' }, q('verbose'))).toEqual({ code: 500, body: '[-]a failed: reason withheld\n[+]b ok\n[-]c failed: reason withheld\nreadyz check failed\n' });
  });
});

describe('StoreHealthCheck (etcd)', () => {
  it('fails after a write refused with Unavailable until the revision advances past the failure', async () => {
    const { h, store } = health();
    h.observeRequestFailure('POST', full);
    const r = await h.serve({ endpoint: 'readyz' }, q());
    expect(r).toEqual({ code: 500, body: '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n' });
    expect((await h.serve({ endpoint: 'healthz' }, q()))?.code).toBe(500);
    expect((await h.serve({ endpoint: 'livez' }, q()))?.code).toBe(200);
    const one = await h.serve({ endpoint: 'readyz', check: 'etcd' }, q());
    expect(one?.code).toBe(500);
    // The public reason names no file and repeats no store error.
    expect(one?.body).toBe('internal server error: a write to the store failed (storage unavailable) and none has succeeded since revision 5\n');
    // Still failing without a successful write (reads do not move the revision).
    expect((await h.serve({ endpoint: 'readyz' }, q()))?.code).toBe(500);
    store.revision = 6;
    expect(await h.serve({ endpoint: 'readyz' }, q())).toEqual({ code: 200, body: 'ok' });
    // Recovered for good: an older revision seen later does not bring the failure back.
    expect((await h.serve({ endpoint: 'readyz' }, q()))?.code).toBe(200);
  });

  it('counts only writes failing with Unavailable', async () => {
    const { h } = health();
    h.observeRequestFailure('GET', full);
    h.observeRequestFailure('HEAD', full);
    h.observeRequestFailure('POST', new StorageError('Conflict', 'k'));
    h.observeRequestFailure('PUT', new StorageError('Internal', 'k'));
    h.observeRequestFailure('PATCH', new Error('other'));
    expect((await h.serve({ endpoint: 'readyz' }, q()))?.code).toBe(200);
    for (const m of ['PUT', 'PATCH', 'DELETE', 'post']) {
      const { h: h2 } = health();
      h2.observeRequestFailure(m, full);
      expect((await h2.serve({ endpoint: 'readyz', check: 'etcd' }, q()))?.code, m).toBe(500);
    }
  });

  it('a later refused write resets the failure revision', async () => {
    const { h, store } = health();
    h.observeRequestFailure('POST', full);
    await h.serve({ endpoint: 'readyz' }, q());
    store.revision = 7;
    h.observeRequestFailure('PUT', full);
    expect((await h.serve({ endpoint: 'readyz', check: 'etcd' }, q()))?.body).toContain('none has succeeded since revision 7');
    store.revision = 8;
    expect((await h.serve({ endpoint: 'readyz', check: 'etcd' }, q()))?.code).toBe(200);
  });

  it('fails while currentRevision() rejects', async () => {
    const { h, store } = health();
    store.fail = new StorageError('Unavailable', 'sqlite /secret/path: fsync failed');
    expect(await h.serve({ endpoint: 'readyz', check: 'etcd' }, q())).toEqual({ code: 500, body: 'internal server error: the store did not report its revision (Unavailable)\n' });
    expect((await h.serve({ endpoint: 'readyz' }, q('verbose')))?.body).toContain('[-]etcd failed: reason withheld\n');
    store.fail = undefined;
    expect((await h.serve({ endpoint: 'readyz' }, q()))?.code).toBe(200);
  });

  it('fails when currentRevision() takes longer than the timeout, and shares one probe among concurrent checks', async () => {
    const store = fakeStore();
    store.hang = true;
    const c = new StoreHealthCheck({ store, timeoutMs: 50 });
    const results = await Promise.allSettled([c.check(), c.check(), c.check()]);
    expect(store.calls).toBe(1);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.message).toBe('the store did not report its revision within 50 ms');
    }
    store.hang = false;
    await expect(c.check()).resolves.toBeUndefined();
    expect(store.calls).toBe(2);
  });

  it('takes the revision the next check sees when the one at the failure could not be read', async () => {
    const store = fakeStore();
    store.fail = new Error('down');
    const c = new StoreHealthCheck({ store });
    c.observeRequestFailure('POST', full);
    await expect(c.check()).rejects.toThrow('did not report its revision');
    store.fail = undefined;
    store.revision = 9;
    await expect(c.check()).rejects.toThrow('none has succeeded since revision 9');
    store.revision = 10;
    await expect(c.check()).resolves.toBeUndefined();
  });
});
