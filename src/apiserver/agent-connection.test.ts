import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { agentConnectionError } from './pod-log.js';

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
