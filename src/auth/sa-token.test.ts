import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../api/testing/index.js';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { API_AUDIENCE, LEGACY_ISSUER, looksLikeJwt, ServiceAccountTokens, serviceAccountUser } from './sa-token.js';

const tempDir = tempDirs('sa-token');
const sa = { name: 'bot', uid: 'sa-uid' };

describe('service account tokens', () => {
  it('issues ES256 JWTs with upstream claims that verify with the same key, across restarts', () => {
    const dir = tempDir();
    const now = new Date('2026-11-30T10:00:00Z');
    const t = new ServiceAccountTokens(dir).issue({ namespace: 'ops', serviceAccount: sa, expirationSeconds: 3600, pod: { name: 'p', uid: 'p-uid' }, now });
    expect(looksLikeJwt(t.token)).toBe(true);
    expect(JSON.parse(Buffer.from(t.token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
    expect(t.expiration.toISOString()).toBe('2026-11-30T11:00:00.000Z');
    const again = new ServiceAccountTokens(dir); // the key file is reused
    const c = again.verify(t.token, now);
    expect(c).toMatchObject({ iss: API_AUDIENCE, sub: 'system:serviceaccount:ops:bot', aud: [API_AUDIENCE], 'kubernetes.io': { namespace: 'ops', serviceaccount: sa, pod: { name: 'p', uid: 'p-uid' } } });
    expect(c!.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(serviceAccountUser(c!)).toEqual({
      user: 'system:serviceaccount:ops:bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ops'],
      uid: 'sa-uid',
      extra: { 'authentication.kubernetes.io/pod-name': ['p'], 'authentication.kubernetes.io/pod-uid': ['p-uid'], 'authentication.kubernetes.io/credential-id': [`JTI=${c!.jti}`] },
    });
    // Accepted for another audience only when asked for it.
    const vault = again.issue({ namespace: 'ops', serviceAccount: sa, expirationSeconds: 3600, audiences: ['vault'], now }).token;
    expect(again.verify(vault, now)).toBeUndefined();
    expect(again.verify(vault, now, ['vault', 'x'])?.aud).toEqual(['vault']);
    expect((statSync(join(dir, 'tls', 'sa.key')).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(join(dir, 'tls', 'sa.key'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
  });

  it('refuses a damaged tls/sa.key with one line naming it, and keeps the file', () => {
    const dir = tempDir();
    new ServiceAccountTokens(dir);
    const path = join(dir, 'tls', 'sa.key');
    writeFileSync(path, 'garbage\n');
    expect(() => new ServiceAccountTokens(dir)).toThrow(`${path}: not a valid PEM private key (`);
    expect(readFileSync(path, 'utf8')).toBe('garbage\n');
  });

  it('refuses expired, not yet valid, tampered, foreign, and other-audience tokens', () => {
    const signer = new ServiceAccountTokens(tempDir());
    const now = new Date('2026-11-30T10:00:00Z');
    const t = signer.issue({ namespace: 'ops', serviceAccount: sa, expirationSeconds: 600, now }).token;
    expect(signer.verify(t, new Date('2026-11-30T10:10:30Z'))).toBeDefined(); // within the leeway
    expect(signer.verify(t, new Date('2026-11-30T10:12:00Z'))).toBeUndefined();
    expect(signer.verify(t, new Date('2026-11-30T09:58:00Z'))).toBeUndefined();
    const [h, p, s] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
    expect(signer.verify(forged, now)).toBeUndefined();
    expect(new ServiceAccountTokens(tempDir()).verify(t, now)).toBeUndefined();
    const elsewhere = signer.issue({ namespace: 'ops', serviceAccount: sa, expirationSeconds: 600, audiences: ['vault'], now }).token;
    expect(signer.verify(elsewhere, now)).toBeUndefined();
    expect(signer.verify('abc.def', now)).toBeUndefined();
    expect(looksLikeJwt('abcdef.0123456789abcdef0123456789abcdef')).toBe(false);
  });

  it('issues and verifies legacy (Secret-held) tokens with upstream claims, apart from the bound ones', () => {
    const signer = new ServiceAccountTokens(tempDir());
    const t = signer.issueLegacy({ namespace: 'ops', serviceAccount: sa, secretName: 'bot-token' });
    expect(looksLikeJwt(t)).toBe(true);
    const c = signer.verifyLegacy(t);
    expect(c).toEqual({
      iss: LEGACY_ISSUER,
      'kubernetes.io/serviceaccount/namespace': 'ops',
      'kubernetes.io/serviceaccount/secret.name': 'bot-token',
      'kubernetes.io/serviceaccount/service-account.name': 'bot',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-uid',
      sub: 'system:serviceaccount:ops:bot',
    });
    // Neither kind passes for the other.
    expect(signer.verify(t)).toBeUndefined();
    const bound = signer.issue({ namespace: 'ops', serviceAccount: sa, expirationSeconds: 600 }).token;
    expect(signer.verifyLegacy(bound)).toBeUndefined();
    // Another key, a changed claim, a subject that is not the account, a missing claim: refused.
    expect(new ServiceAccountTokens(tempDir()).verifyLegacy(t)).toBeUndefined();
    const [h, p, s] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, string>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, 'kubernetes.io/serviceaccount/secret.name': 'other' })).toString('base64url')}.${s}`;
    expect(signer.verifyLegacy(forged)).toBeUndefined();
    // Signed with the right key but malformed: the subject must name the account, every claim must be there.
    const dir = tempDir();
    const own = new ServiceAccountTokens(dir);
    const signWith = (x: Record<string, string>): string => {
      const key = createPrivateKey(readFileSync(join(dir, 'tls', 'sa.key'), 'utf8'));
      const input = `${h}.${Buffer.from(JSON.stringify(x)).toString('base64url')}`;
      return `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    const good = signWith(claims);
    expect(own.verifyLegacy(good)).toEqual(c);
    expect(own.verifyLegacy(signWith({ ...claims, sub: 'system:serviceaccount:ops:admin' }))).toBeUndefined();
    const { 'kubernetes.io/serviceaccount/service-account.uid': _uid, ...noUid } = claims;
    expect(own.verifyLegacy(signWith(noUid))).toBeUndefined();
    expect(own.verifyLegacy(signWith({ ...claims, iss: API_AUDIENCE }))).toBeUndefined();
  });
});
