import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { request } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePki, issueClientCert } from '../auth/pki.js';
import { agentConnectionError, agentRequest } from './pod-log.js';

describe('agentConnectionError', () => {
  it('explains an agent that answers TLS with plain HTTP (no node identity); other errors pass as they are', async () => {
    const plain = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const err = await new Promise<unknown>((resolve) => {
        const r = request({ host: '127.0.0.1', port: (plain.address() as AddressInfo).port, path: '/containerLogs/a/b/c', rejectUnauthorized: false }, () => resolve(undefined));
        r.on('error', resolve);
        r.end();
      });
      expect(err).toBeInstanceOf(Error);
      const text = agentConnectionError(err);
      expect(text).toContain('EPROTO');
      expect(text.endsWith('(the agent does not serve HTTPS: an agent started without a node identity serves no logs, exec or port-forward)')).toBe(true);
    } finally {
      plain.closeAllConnections();
      plain.close();
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(agentConnectionError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('agentRequest dial timeout', () => {
  it('gives up on an agent that accepts the connection but never completes the TLS handshake, naming the address', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'everynode-dial-'));
    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const pki = await ensurePki(dir);
      const client = await issueClientCert(pki, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], days: 1 });
      const port = (silent.address() as AddressInfo).port;
      const started = Date.now();
      const err = await new Promise<unknown>((resolve) => {
        const r = agentRequest('n1', { host: '127.0.0.1', port }, 'GET', '/containerLogs/a/b/c', { ...client, caPem: pki.caCertPem }, () => resolve('answered'), 200);
        r.on('error', resolve);
        r.end();
      });
      expect(err).toBeInstanceOf(Error);
      expect((err as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
      expect(agentConnectionError(err)).toBe(`dial 127.0.0.1:${port}: no connection within 0.2 s (i/o timeout)`);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not limit a connected exchange: an answer slower than the dial timeout still arrives', async () => {
    const slow = createServer((_req, res) => setTimeout(() => res.end('late but fine'), 400));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const r = agentRequest('n1', { host: '127.0.0.1', port: (slow.address() as AddressInfo).port }, 'GET', '/x', undefined, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        }, 100);
        r.on('error', reject);
        r.end();
      });
      expect(body).toBe('late but fine');
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});
