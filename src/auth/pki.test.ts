import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticateClientCert } from './authn.js';
import { issueNodeIdentity } from './join.js';
import { caHash, ensurePki, issueClientCert, type Pki } from './pki.js';

const dirs: string[] = [];
const servers: Server[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'everynode-pki-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A real https server that answers with what authenticateClientCert saw. */
async function serve(pki: Pki): Promise<number> {
  const srv = createServer(pki.tlsOptions, (req, res) => {
    const u = authenticateClientCert(req.socket as TLSSocket);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ result: u }));
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as AddressInfo).port;
}

function get(port: number, opts: { ca?: string; cert?: string; key?: string; host?: string }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: opts.host ?? '127.0.0.1', port, path: '/', method: 'GET', ca: opts.ca, cert: opts.cert, key: opts.key, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ensurePki', () => {
  it('creates CA and serving cert with private files, and reuses them on restart', async () => {
    const dir = tempDir();
    const pki = await ensurePki(dir, { sans: ['10.1.2.3', 'my.host.example', '[fd00::5]'] });
    expect(pki.caCreated).toBe(true);
    expect(pki.servingIssued).toBe(true);
    expect(mode(join(dir, 'tls'))).toBe(0o700);
    expect(mode(join(dir, 'tls', 'ca.key'))).toBe(0o600);
    expect(mode(join(dir, 'tls', 'server.key'))).toBe(0o600);

    const ca = new X509Certificate(pki.caCertPem);
    expect(ca.ca).toBe(true);
    const serving = new X509Certificate(pki.servingCertPem);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    const san = serving.subjectAltName ?? '';
    for (const s of ['DNS:localhost', 'DNS:my.host.example', 'IP Address:127.0.0.1', 'IP Address:10.1.2.3']) expect(san).toContain(s);
    expect(san.match(/IP Address:/g)?.length).toBe(4); // 127.0.0.1, ::1, 10.1.2.3, fd00::5
    expect(serving.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(serving.checkHost('my.host.example')).toBe('my.host.example');
    expect(serving.checkIP('::1')).toBe('::1');
    // CA valid for ~10 years
    expect(new Date(ca.validTo).getFullYear() - new Date().getFullYear()).toBeGreaterThanOrEqual(9);

    const again = await ensurePki(dir, { sans: ['my.host.example', '10.1.2.3', 'fd00:0::5'] });
    expect(again.caCreated).toBe(false);
    expect(again.servingIssued).toBe(false);
    expect(again.caCertPem).toBe(pki.caCertPem);
    expect(again.servingCertPem).toBe(pki.servingCertPem);
    expect(caHash(again)).toBe(caHash(pki));
    expect(caHash(pki)).toMatch(/^[0-9a-f]{64}$/);
    expect(caHash(pki)).toBe(new X509Certificate(pki.caCertPem).fingerprint256.replace(/:/g, '').toLowerCase());
  });

  it('re-issues the serving cert when a name is added or it nears expiry, keeping the CA and every earlier name', async () => {
    const dir = tempDir();
    const pki = await ensurePki(dir, { sans: ['a.example', '192.0.2.2'] });
    const changed = await ensurePki(dir, { sans: ['b.example'] });
    expect(changed.caCreated).toBe(false);
    expect(changed.servingIssued).toBe(true);
    expect(changed.caCertPem).toBe(pki.caCertPem);
    const cert = new X509Certificate(changed.servingCertPem);
    expect(cert.checkHost('b.example')).toBe('b.example');
    // A restart without the earlier names keeps them: agents reaching the server by them go on.
    expect(cert.checkHost('a.example')).toBe('a.example');
    expect(cert.checkIP('192.0.2.2')).toBe('192.0.2.2');
    expect(readFileSync(join(dir, 'tls', 'server.crt'), 'utf8')).toBe(changed.servingCertPem);
    // Nothing new asked for: the certificate is reused.
    const same = await ensurePki(dir, {});
    expect(same.servingIssued).toBe(false);
    expect(same.servingCertPem).toBe(changed.servingCertPem);

    const future = new Date(Date.now() + 340 * 24 * 3600 * 1000); // 25 days before the 365-day expiry
    const renewed = await ensurePki(dir, { sans: ['b.example'], now: future });
    expect(renewed.servingIssued).toBe(true);
    expect(renewed.caCertPem).toBe(pki.caCertPem);
    expect(new X509Certificate(renewed.servingCertPem).checkHost('a.example')).toBe('a.example');
  });

  it('starts afresh from the names asked for when tls/server.crt is deleted', async () => {
    const dir = tempDir();
    await ensurePki(dir, { sans: ['a.example'] });
    rmSync(join(dir, 'tls', 'server.crt'));
    const fresh = await ensurePki(dir, { sans: ['b.example'] });
    expect(fresh.servingIssued).toBe(true);
    expect(new X509Certificate(fresh.servingCertPem).checkHost('a.example')).toBeUndefined();
  });

  it('issues the serving pair afresh when server.key is damaged or not the certificate\'s key, and serves with it', async () => {
    const dir = tempDir();
    const first = await ensurePki(dir, { sans: ['a.example'] });
    writeFileSync(join(dir, 'tls', 'server.key'), readFileSync(join(dir, 'tls', 'ca.key')));
    const again = await ensurePki(dir);
    expect(again.servingIssued).toBe(true);
    expect(again.caCertPem).toBe(first.caCertPem);
    expect(new X509Certificate(again.servingCertPem).checkHost('a.example')).toBe('a.example');
    writeFileSync(join(dir, 'tls', 'server.key'), 'garbage\n');
    const third = await ensurePki(dir);
    expect(third.servingIssued).toBe(true);
    const port = await serve(third);
    expect(await get(port, { ca: third.caCertPem })).toEqual({ result: null });
  });

  it('refuses a damaged CA or key file with one line naming it, and writes nothing', async () => {
    for (const name of ['ca.crt', 'ca.key', 'node-serving-ca.crt', 'node-serving-ca.key']) {
      const dir = tempDir();
      await ensurePki(dir);
      const path = join(dir, 'tls', name);
      writeFileSync(path, 'garbage\n');
      const before = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
      await expect(ensurePki(dir)).rejects.toThrow(new RegExp(`^${path.replace(/[.]/g, '\\.')}: not a valid PEM [^\\n]+; restore the data dir from a backup`));
      expect(readFileSync(path, 'utf8')).toBe('garbage\n');
      expect(readFileSync(join(dir, 'tls', 'server.crt'), 'utf8')).toBe(before);
    }
  });

  it('serves https: clients trusting the CA connect, client certs give CN/O, a wrong CA is rejected', async () => {
    const pki = await ensurePki(tempDir(), {});
    const port = await serve(pki);

    expect(await get(port, { ca: pki.caCertPem })).toEqual({ result: null });
    expect(await get(port, { ca: pki.caCertPem, host: 'localhost' })).toEqual({ result: null });

    const client = await issueClientCert(pki, { commonName: 'alice', organizations: ['dev', 'ops'], days: 1 });
    expect(await get(port, { ca: pki.caCertPem, cert: client.certPem, key: client.keyPem })).toEqual({
      result: { user: 'alice', groups: ['dev', 'ops', 'system:authenticated'] },
    });
    const one = await issueClientCert(pki, { commonName: 'system:node:n1', organizations: ['system:nodes'], days: 1 });
    expect(await get(port, { ca: pki.caCertPem, cert: one.certPem, key: one.keyPem })).toEqual({
      result: { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] },
    });

    // No common name: no user from the certificate (the next authenticator decides), as upstream.
    const nameless = await issueClientCert(pki, { commonName: '', organizations: ['devs'], days: 1 });
    expect(await get(port, { ca: pki.caCertPem, cert: nameless.certPem, key: nameless.keyPem })).toEqual({ result: null });

    // A different CA: the client refuses the server ...
    const other = await ensurePki(tempDir(), {});
    await expect(get(port, { ca: other.caCertPem })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    // ... and a client cert from another CA is not authorized by the server.
    const foreign = await issueClientCert(other, { commonName: 'mallory', organizations: ['system:masters'], days: 1 });
    expect(await get(port, { ca: pki.caCertPem, cert: foreign.certPem, key: foreign.keyPem })).toEqual({ result: 'invalid' });
  });

  it('signs agents\' serving certificates with the node serving CA: what a node claims never passes for the API server', async () => {
    const dir = tempDir();
    const pki = await ensurePki(dir, {});
    expect(mode(join(dir, 'tls', 'node-serving-ca.key'))).toBe(0o600);
    // A node claiming the API server's address and names.
    const id = await issueNodeIdentity(pki, 'n1', ['127.0.0.1', 'localhost']);
    const srv = createServer({ key: id.servingKeyPem, cert: id.servingCertPem }, (_req, res) => res.end('{"result":"impostor"}'));
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    // A kubeconfig trusts the cluster CA: the node's certificate does not pass.
    await expect(get(port, { ca: pki.caCertPem })).rejects.toThrow(/unable to verify|self.signed|certificate/i);
    // The API server, which trusts the node serving CA for agents, reaches it.
    expect(await get(port, { ca: pki.nodeServingCaCertPem })).toEqual({ result: 'impostor' });
    // The node serving CA is created once and kept.
    expect((await ensurePki(dir, {})).nodeServingCaCertPem).toBe(pki.nodeServingCaCertPem);
  });
});
