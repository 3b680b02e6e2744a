// KubeconfigTransport: a rewritten kubeconfig (a rotated admin token) is picked up on the next
// 401 and the request is sent again; a 401 without newer credentials is returned and logged.
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { KubeconfigTransport } from './kubeconfig-transport.js';
import { readAll } from './transport.js';

let dir = '';
let server: Server;
let url = '';
let accepted = 'token-1';
const seen: string[] = [];

function writeKubeconfig(token: string): string {
  const path = join(dir, 'kubeconfig.yaml');
  // As `token rotate-admin` does: a new file renamed over the old one.
  writeFileSync(`${path}.tmp`, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${url}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: ${token}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-transport-'));
  accepted = 'token-1';
  seen.length = 0;
  server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    const ok = req.headers.authorization === `Bearer ${accepted}`;
    res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(ok ? '{"kind":"NodeList"}' : '{"kind":"Status","code":401,"reason":"Unauthorized"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'info', write: (l) => void lines.push(l) }), lines };
}

const get = { method: 'GET' as const, path: '/api/v1/nodes?limit=5', headers: {} };

describe('KubeconfigTransport', () => {
  it('switches to the credentials of a rewritten kubeconfig on a 401 and sends the request again', async () => {
    const path = writeKubeconfig('token-1');
    const { logger, lines } = capture();
    const t = new KubeconfigTransport(path, { logger, graceMs: 0 });
    try {
      expect((await t.request(get)).statusCode).toBe(200);
      accepted = 'token-2';
      writeKubeconfig('token-2');
      const res = await t.request(get);
      expect(res.statusCode).toBe(200);
      expect(await readAll(res.body)).toBe('{"kind":"NodeList"}');
      expect(seen).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
      expect(lines.join('')).toContain(`switched to the new credentials in ${path}`);
      // Later requests use the new token at once.
      expect((await t.request(get)).statusCode).toBe(200);
      expect(seen.at(-1)).toBe('Bearer token-2');
    } finally {
      t.destroy();
    }
  });

  it('returns a 401 when the file holds no newer credentials, and logs it once a minute', async () => {
    const path = writeKubeconfig('token-1');
    const { logger, lines } = capture();
    let now = 1_000_000;
    const t = new KubeconfigTransport(path, { logger, now: () => now });
    try {
      accepted = 'token-2';
      expect((await t.request(get)).statusCode).toBe(401);
      expect((await t.request(get)).statusCode).toBe(401);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`WARN the API server answered 401 Unauthorized to GET /api/v1/nodes: the credentials of ${path} are no longer accepted`);
      now += 61_000;
      expect((await t.request(get)).statusCode).toBe(401);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('(2 such answers since the last message)');
      // The file is rewritten later: picked up on the next 401.
      writeKubeconfig('token-2');
      expect((await t.request(get)).statusCode).toBe(200);
    } finally {
      t.destroy();
    }
  });
});
