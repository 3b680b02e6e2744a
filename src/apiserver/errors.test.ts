import { describe, expect, it } from 'vitest';
import { ApiError, badRequest } from '../api/errors.js';
import { StorageError } from '../storage/interface.js';
import { silentLogger } from '../util/logger.js';
import { toHttpError } from './errors.js';

const ref = { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet' };

describe('toHttpError', () => {
  it('passes ApiErrors through', () => {
    const e = badRequest('x');
    expect(toHttpError(e)).toBe(e);
  });

  it('maps storage error codes with upstream wording', () => {
    const nf = toHttpError(new StorageError('NotFound', 'k'), { ref, name: 'x' });
    expect([nf.code, nf.reason, nf.message]).toEqual([404, 'NotFound', 'daemonsets.apps "x" not found']);
    expect(toHttpError(new StorageError('AlreadyExists', 'k'), { ref, name: 'x' }).code).toBe(409);
    const c = toHttpError(new StorageError('Conflict', 'k'), { ref, name: 'x' });
    expect([c.code, c.reason]).toEqual([409, 'Conflict']);
    expect(c.message).toContain('the object has been modified');
    const gone = toHttpError(new StorageError('Compacted', 'too old resource version: 3 (9)'));
    expect([gone.code, gone.reason, gone.message]).toEqual([410, 'Expired', 'too old resource version: 3 (9)']);
    expect(toHttpError(new StorageError('Unavailable', 'closed')).code).toBe(503);
  });

  it('turns anything else into a 500', () => {
    const e = toHttpError(new TypeError('boom'), { logger: silentLogger });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.code, e.reason]).toEqual([500, 'InternalError']);
    expect(toHttpError('weird', { logger: silentLogger }).code).toBe(500);
  });
});
