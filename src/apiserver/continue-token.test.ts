import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { decodeContinue, encodeContinue } from './continue-token.js';

describe('continue tokens', () => {
  it('round-trips revision and start key', () => {
    const t = encodeContinue({ rv: 42, start: 'default/p1' });
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinue(t)).toEqual({ rv: 42, start: 'default/p1' });
  });

  it('rejects garbage, other versions and escaping keys with 400', () => {
    const bad = [
      'garbage',
      Buffer.from('{"v":"x","rv":1,"start":"a"}').toString('base64url'),
      Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64url'),
      Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"}').toString('base64url'),
      Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":""}').toString('base64url'),
    ];
    for (const t of bad) {
      try {
        decodeContinue(t);
        expect.unreachable(`accepted ${t}`);
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).code).toBe(400);
      }
    }
  });
});
