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

  it('words each refusal as upstream\'s DecodeContinue behind "invalid continue token: "', () => {
    const msg = (t: string) => {
      try {
        decodeContinue(t);
        return 'accepted';
      } catch (err) {
        return (err as ApiError).message;
      }
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(msg('ab$c')).toBe('invalid continue token: continue key is not valid: illegal base64 data at input byte 2');
    expect(msg(b64({ v: 'example.com/v9', rv: 1, start: 'a' }))).toBe('invalid continue token: continue key is not valid: server does not recognize this encoded version example.com/v9');
    expect(msg(b64({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }))).toBe('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    expect(msg(b64({ v: 'meta.k8s.io/v1', rv: 3, start: '' }))).toBe('invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
    expect(msg(b64({ v: 'meta.k8s.io/v1', rv: 3, start: '../secrets/x' }))).toBe('invalid continue token: continue key is not valid: ../secrets/x');
    expect(msg(Buffer.from('{"v":').toString('base64url'))).toMatch(/^invalid continue token: continue key is not valid: unexpected end of JSON input$/);
  });
});
