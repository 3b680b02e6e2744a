import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenStore } from './authn.js';
import { createJoinToken, exchangeJoinToken, fetchServerCaPem, JOIN_PATH, joinCluster, joinHandler, parseJoinToken, verifyServerCa } from './join.js';
import { loadNodeIdentity } from './node-identity.js';
import { caHash, ensurePki, type Pki } from './pki.js';

const dirs: string[] = [];
const servers: Server[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'everynode-join-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real https server mounting joinHandler as the apiserver would; counts join requests. */
async function joinServer(pki: Pki, tokens: TokenStore): Promise<{ url: string; hits: () => number }> {
  const handle = joinHandler({ pki, tokens });
  let hits = 0;
  const srv = createServer(pki.tlsOptions, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== JOIN_PATH) {
        res.statusCode = 404;
        res.end();
        return;
      }
      hits++;
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      void handle(bearer, JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')).then((r) => {
        res.statusCode = r.status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(r.body));
      });
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits: () => hits };
}

describe('join tokens', () => {
  it('formats and parses the K10 form', async () => {
    const dir = tempDir();
    const pki = await ensurePki(dir);
    const tokens = new TokenStore(dir);
    const t = createJoinToken(tokens, pki);
    expect(t).toMatch(/^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{32}$/);
    const p = parseJoinToken(t)!;
    expect(p.caHash).toBe(caHash(pki));
    expect(p.bearer).toBe(`${p.id}.${p.secret}`);
    expect(parseJoinToken(p.bearer)).toEqual({ id: p.id, secret: p.secret, bearer: p.bearer });
    expect(parseJoinToken('K10abc::x.y')).toBeUndefined();
    expect(parseJoinToken('garbage')).toBeUndefined();
  });

  it('exchange issues system:node:<name> in system:nodes; bad tokens and names are refused', async () => {
    const dir = tempDir();
    const pki = await ensurePki(dir);
    const tokens = new TokenStore(dir);
    const t = createJoinToken(tokens, pki);
    const c = await exchangeJoinToken({ pki, tokens }, t, 'node-a');
    const cert = new X509Certificate(c.certPem);
    expect(cert.subject).toBe('CN=system:node:node-a\nO=system:nodes');
    expect(cert.verify(new X509Certificate(pki.caCertPem).publicKey)).toBe(true);
    expect(c.caPem).toBe(pki.caCertPem);

    const refused: string[] = [];
    const handle = joinHandler({ pki, tokens, onRefused: (name, why) => refused.push(`${name}: ${why}`) });
    const bearer = parseJoinToken(t)!.bearer;
    expect((await handle(bearer, { nodeName: 'node-b' })).status).toBe(200);
    expect(await handle(undefined, { nodeName: 'x' })).toMatchObject({ status: 401, body: { reason: 'Unauthorized', message: 'a join token is required (Authorization: Bearer)' } });
    const wrongSecret = await handle(bearer.slice(0, -1) + (bearer.endsWith('a') ? 'b' : 'a'), { nodeName: 'x' });
    expect(wrongSecret).toMatchObject({ status: 401, body: { message: expect.stringMatching(/^the join token is not valid here: unknown, deleted, or made by another cluster/) } });
    expect((await handle(bearer, { nodeName: 'Bad_Name' })).status).toBe(400);
    expect((await handle(bearer, {})).status).toBe(400);
    // An admin (non-join) token is not a join token.
    const { token: admin } = tokens.create({ user: 'system:admin', groups: ['system:masters'], kind: 'admin' });
    expect((await handle(admin, { nodeName: 'x' })).status).toBe(401);
    // Expired join token.
    const { token: old } = tokens.create({ user: 'system:bootstrap', groups: [], kind: 'join', ttlSeconds: 1, now: new Date('2000-01-01T00:00:00Z') });
    const id = old.split('.')[0]!;
    expect(await handle(old, { nodeName: 'x' })).toMatchObject({ status: 401, body: { message: `the join token ${id} has expired: make a new one with \`everynode token create\`` } });
    // A token of another cluster (its CA hash) is refused before any lookup.
    const foreign = t.replace(/^K10([0-9a-f]+)::/, (_, h: string) => `K10${h.replace(/^./, (c) => (c === '0' ? '1' : '0'))}::`);
    expect((await handle(foreign, { nodeName: 'x' })).status).toBe(401);
    // The server is told why, for its log (the caller of a wrong secret learns no more than "not valid").
    expect(refused).toEqual([
      'x: no join token',
      'x: an unknown join token',
      'Bad_Name: invalid node name "Bad_Name": must be a lowercase RFC 1123 subdomain',
      ': nodeName: Required value',
      `x: token ${admin.split('.')[0]}, not a join token`,
      `x: expired join token ${id}`,
      "x: a join token of another cluster (its CA hash is not this CA's)",
    ]);
  });

  it('agent round trip over real TLS: verifies the CA by hash, joins, stores identity 0600', async () => {
    const serverDir = tempDir();
    const pki = await ensurePki(serverDir);
    const tokens = new TokenStore(serverDir);
    const srv = await joinServer(pki, tokens);
    const token = createJoinToken(tokens, pki);

    const caPem = await fetchServerCaPem(srv.url);
    expect(caHash(caPem)).toBe(caHash(pki));
    expect(() => verifyServerCa(caPem, parseJoinToken(token)!.caHash!)).not.toThrow();

    const agentDir = tempDir();
    const files = await joinCluster({ server: srv.url, token, nodeName: 'node-a', dataDir: agentDir });
    expect(srv.hits()).toBe(1);
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(agentDir, 'identity')).mode & 0o777).toBe(0o700);
    const id = loadNodeIdentity(agentDir)!;
    expect(new X509Certificate(id.certPem).subject).toBe('CN=system:node:node-a\nO=system:nodes');
    expect(id.caPem).toBe(pki.caCertPem);
  });

  it('an agent given a token with a different CA hash refuses before sending its secret', async () => {
    const serverDir = tempDir();
    const pki = await ensurePki(serverDir);
    const tokens = new TokenStore(serverDir);
    const srv = await joinServer(pki, tokens);
    const good = parseJoinToken(createJoinToken(tokens, pki))!;
    const otherPki = await ensurePki(tempDir());
    const forged = `K10${caHash(otherPki)}::${good.bearer}`;
    const agentDir = tempDir();
    await expect(joinCluster({ server: srv.url, token: forged, nodeName: 'node-a', dataDir: agentDir })).rejects.toThrow(/does not match/);
    expect(srv.hits()).toBe(0);
    expect(loadNodeIdentity(agentDir)).toBeUndefined();
    // A token without a CA hash is refused too (no way to verify the server).
    await expect(joinCluster({ server: srv.url, token: good.bearer, nodeName: 'node-a', dataDir: agentDir })).rejects.toThrow(/no CA hash/);
    expect(srv.hits()).toBe(0);
  });
});
