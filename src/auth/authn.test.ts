import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../api/testing/index.js';
import { createAuthenticator, ensureAdminToken, isPublicPath, rotateAdminToken, TOKEN_RECHECK_MS, TokenStore, webSocketBearerToken } from './authn.js';

const tempDir = tempDirs('authn');

const noCert = { getPeerCertificate: () => ({}), authorized: false };
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` }, socket: noCert });

describe('TokenStore', () => {
  it('stores only salted hashes, mode 0600, and authenticates the plaintext', () => {
    const dir = tempDir();
    const store = new TokenStore(dir);
    const admin = ensureAdminToken(store)!;
    expect(admin).toMatch(/^admin0\.[a-z0-9]{32}$/);
    expect(ensureAdminToken(store)).toBeUndefined(); // exists: not re-created, not recoverable
    const file = join(dir, 'tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const raw = readFileSync(file, 'utf8');
    expect(raw).not.toContain(admin.split('.')[1]);
    const rec = JSON.parse(raw).tokens[0];
    expect(rec.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(rec.hash).toMatch(/^[0-9a-f]{64}$/);

    const authn = createAuthenticator({ tokens: store });
    expect(authn.authenticate(bearer(admin))).toEqual({ user: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('rejects wrong, malformed, expired and join tokens; anonymous is null', () => {
    const store = new TokenStore(tempDir());
    const admin = ensureAdminToken(store)!;
    let now = new Date('2030-01-01T00:00:00Z');
    const authn = createAuthenticator({ tokens: store, now: () => now });
    const wrong = admin.slice(0, -1) + (admin.endsWith('a') ? 'b' : 'a');
    expect(authn.authenticate(bearer(wrong))).toBe('invalid');
    expect(authn.authenticate(bearer('nonsense'))).toBe('invalid');
    expect(authn.authenticate(bearer('zzzzzz.' + 'a'.repeat(32)))).toBe('invalid');
    expect(authn.authenticate({ headers: {}, socket: noCert })).toBeNull();
    expect(authn.authenticate({ headers: { authorization: 'Basic Zm9vOmJhcg==' }, socket: noCert })).toBeNull();

    const { token: shortLived } = store.create({ user: 'bob', groups: ['dev'], kind: 'user', ttlSeconds: 60, now });
    expect(authn.authenticate(bearer(shortLived))).toEqual({ user: 'bob', groups: ['dev', 'system:authenticated'] });
    now = new Date(now.getTime() + 61_000);
    expect(authn.authenticate(bearer(shortLived))).toBe('invalid');

    const { token: join } = store.create({ user: 'system:bootstrap', groups: [], kind: 'join' });
    expect(authn.authenticate(bearer(join))).toBe('invalid');
  });

  it('a damaged token file is refused at start naming the file; damaged later, the tokens last read stay in force', () => {
    const dir = tempDir();
    const file = join(dir, 'tokens.json');
    writeFileSync(file, '{"tokens": [');
    expect(() => new TokenStore(dir)).toThrow(`cannot read the token file ${file}: `);
    writeFileSync(file, '[]');
    expect(() => new TokenStore(dir)).toThrow(`cannot read the token file ${file}: not a token file (no "tokens" list) (repair it, or restore it from a backup of the data dir)`);
    rmSync(file);
    const server = new TokenStore(dir, { recheckMs: 0 });
    const authn = createAuthenticator({ tokens: server });
    const admin = ensureAdminToken(server)!;
    writeFileSync(`${file}.new`, '');
    renameSync(`${file}.new`, file); // replaced by an empty file, as a full disk might leave it
    expect(authn.authenticate(bearer(admin))).toMatchObject({ user: 'system:admin' });
  });

  it('rotation invalidates the old admin token; another process sees changes (reload when the file is replaced)', () => {
    const dir = tempDir();
    const server = new TokenStore(dir, { recheckMs: 0 });
    const authn = createAuthenticator({ tokens: server });
    const first = ensureAdminToken(server)!;
    const cli = new TokenStore(dir); // e.g. `everynode token create` in another process
    const second = rotateAdminToken(cli);
    const { token: user } = cli.create({ user: 'carol', groups: [], kind: 'user' });
    expect(authn.authenticate(bearer(first))).toBe('invalid');
    expect(authn.authenticate(bearer(second))).toMatchObject({ user: 'system:admin' });
    expect(authn.authenticate(bearer(user))).toMatchObject({ user: 'carol' });
    expect(cli.revoke(user.split('.')[0]!)).toBe(true);
    expect(authn.authenticate(bearer(user))).toBe('invalid');
  });

  it('a token created by another process works at once; one it revokes stops working within TOKEN_RECHECK_MS', async () => {
    const dir = tempDir();
    const server = new TokenStore(dir);
    const authn = createAuthenticator({ tokens: server });
    const cli = new TokenStore(dir);
    expect(authn.authenticate(bearer('abcdef.0000000000000000'))).toBe('invalid');
    // A token created by another process works at once: an unknown token makes a fresh stat.
    const { token } = cli.create({ user: 'frank', groups: [], kind: 'user' });
    expect(authn.authenticate(bearer(token))).toMatchObject({ user: 'frank' });
    expect(cli.revoke(token.split('.')[0]!)).toBe(true);
    await new Promise((r) => setTimeout(r, TOKEN_RECHECK_MS + 5));
    expect(authn.authenticate(bearer(token))).toBe('invalid');
    // This process's own revocation takes effect at once, whatever the interval.
    const { token: again } = server.create({ user: 'frank', groups: [], kind: 'user' });
    expect(authn.authenticate(bearer(again))).toMatchObject({ user: 'frank' });
    expect(server.revoke(again.split('.')[0]!)).toBe(true);
    expect(authn.authenticate(bearer(again))).toBe('invalid');
  });

  it('a token verified before stops working once revoked or rotated by this process', () => {
    const dir = tempDir();
    const store = new TokenStore(dir);
    const authn = createAuthenticator({ tokens: store });
    const admin = ensureAdminToken(store)!;
    const { token: user } = store.create({ user: 'erin', groups: [], kind: 'user' });
    for (let i = 0; i < 3; i++) expect(authn.authenticate(bearer(user))).toMatchObject({ user: 'erin' });
    expect(authn.authenticate(bearer(admin))).toMatchObject({ user: 'system:admin' });
    // Same id, wrong secret: never matched through a cached token.
    expect(authn.authenticate(bearer(user.slice(0, -1) + (user.endsWith('a') ? 'b' : 'a')))).toBe('invalid');
    expect(store.revoke(user.split('.')[0]!)).toBe(true);
    expect(authn.authenticate(bearer(user))).toBe('invalid');
    rotateAdminToken(store);
    expect(authn.authenticate(bearer(admin))).toBe('invalid');
  });

  it('a verified client cert wins over a bad token; an unverified cert is invalid', () => {
    const store = new TokenStore(tempDir());
    const authn = createAuthenticator({ tokens: store });
    const good = { authorized: true, getPeerCertificate: () => ({ subject: { CN: 'dave', O: 'ops' } }) };
    const bad = { authorized: false, getPeerCertificate: () => ({ subject: { CN: 'eve', O: ['system:masters'] } }) };
    expect(authn.authenticate({ headers: { authorization: 'Bearer abcdef.0000000000000000' }, socket: good })).toEqual({ user: 'dave', groups: ['ops', 'system:authenticated'] });
    expect(authn.authenticate({ headers: {}, socket: bad })).toBe('invalid');
  });
});

describe('webSocketBearerToken', () => {
  const upgrade = { connection: 'keep-alive, Upgrade', upgrade: 'websocket' };
  const proto = (token: string) => `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;

  it('reads the token of a WebSocket upgrade only, and only beside another subprotocol', () => {
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': `${proto('abcdef.secret')}, binary.k8s.io` })).toBe('abcdef.secret');
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': ['v4.channel.k8s.io', proto('abcdef.secret')] as unknown as string })).toBe('abcdef.secret');
    // Not an upgrade (a plain request naming the header), or no token protocol: nothing.
    expect(webSocketBearerToken({ 'sec-websocket-protocol': `${proto('abcdef.secret')}, binary.k8s.io` })).toBeUndefined();
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': 'binary.k8s.io' })).toBeUndefined();
    expect(webSocketBearerToken(upgrade)).toBeUndefined();
    // The token alone, two tokens, padding, a bad alphabet, bytes that are not UTF-8: invalid.
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': proto('abcdef.secret') })).toBe('invalid');
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': `${proto('a')}, ${proto('b')}, binary.k8s.io` })).toBe('invalid');
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': 'base64url.bearer.authorization.k8s.io.YWJj=, binary.k8s.io' })).toBe('invalid');
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': 'base64url.bearer.authorization.k8s.io.ab+c, binary.k8s.io' })).toBe('invalid');
    expect(webSocketBearerToken({ ...upgrade, 'sec-websocket-protocol': `base64url.bearer.authorization.k8s.io.${Buffer.from([0xff, 0xfe]).toString('base64url')}, binary.k8s.io` })).toBe('invalid');
  });

  it('authenticates a WebSocket upgrade that carries its token so; an Authorization header wins', () => {
    const store = new TokenStore(tempDir());
    const authn = createAuthenticator({ tokens: store });
    const { token } = store.create({ user: 'browser', groups: [], kind: 'user' });
    expect(authn.authenticate({ headers: { ...upgrade, 'sec-websocket-protocol': `${proto(token)}, binary.k8s.io` }, socket: null })).toMatchObject({ user: 'browser' });
    expect(authn.authenticate({ headers: { ...upgrade, 'sec-websocket-protocol': `${proto('abcdef.0000000000000000')}, binary.k8s.io` }, socket: null })).toBe('invalid');
    expect(authn.authenticate({ headers: { ...upgrade, 'sec-websocket-protocol': proto(token) }, socket: null })).toBe('invalid');
    const admin = ensureAdminToken(store)!;
    expect(authn.authenticate({ headers: { ...upgrade, authorization: `Bearer ${admin}`, 'sec-websocket-protocol': `${proto(token)}, binary.k8s.io` }, socket: null })).toMatchObject({ user: 'system:admin' });
  });
});

describe('isPublicPath', () => {
  it.each([
    ['/healthz', true],
    ['/livez', true],
    ['/readyz', true],
    ['/readyz/ping', true],
    ['/version', true],
    ['/version?timeout=32s', true],
    ['/healthzx', false],
    ['/', false],
    ['/api', false],
    ['/apis', false],
    ['/api/v1/namespaces', false],
    ['/openapi/v2', false],
    ['/everynode/v1/join', false],
  ])('%s → %s', (p, want) => {
    expect(isPublicPath(p)).toBe(want);
  });
});
