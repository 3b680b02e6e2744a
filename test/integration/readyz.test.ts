// /readyz of a real server whose data dir fills up: the server on a temp data dir on a small
// real tmpfs (root with CAP_SYS_ADMIN only; skipped otherwise), ConfigMaps created over HTTPS
// with the admin kubeconfig's credentials until the SQLite store refuses writes (503), then
// /readyz must fail on `etcd` (upstream's name for the store check) until space is freed and
// a write succeeds again. Health answers are read as `kubectl get --raw '/readyz?verbose'`
// reads them: a plain HTTPS GET (and kubectl itself where it is on PATH).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/apiserver/index.js';
import { createLogger } from '../../src/util/logger.js';
import { credentialsFromKubeconfig, registerServer } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { httpRequest } from '../helpers/http.js';
import { kubectlAvailable, runKubectl } from '../helpers/kubectl.js';
import { canMountTmpfs } from '../../src/util/testing/index.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());


const tmpfsOk = canMountTmpfs();
if (!tmpfsOk) console.warn('readyz.test.ts: skipped: mounting a tmpfs needs root with CAP_SYS_ADMIN (the full-disk case needs a real small filesystem)');

const passed = '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n';
const storeFailed = '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n';

describe.skipIf(!tmpfsOk)('/readyz on a real full tmpfs', () => {
  it('fails on etcd while the store refuses writes (503), and passes again once a write succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'everynode-readyz-'));
    cleanup.defer(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]).status).toBe(0);
    cleanup.defer(() => void spawnSync('umount', ['-l', mnt]), `umount ${mnt}`);
    const dataDir = join(mnt, 'data');
    const logs: string[] = [];
    const logger = createLogger({ level: 'warn', name: 'apiserver', write: (l) => void logs.push(l) });
    const server = await startServer({ dataDir, listen: '127.0.0.1:0', compaction: false, eventTtl: false, logger });
    cleanup.defer(() => server.close(), `apiserver ${server.url}`);
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
    const get = (path: string, anonymous = false) => httpRequest(server.url + path, { headers: { accept: '*/*' }, anonymous });
    const createConfigMap = (name: string, bytes: number) =>
      httpRequest(server.url + '/api/v1/namespaces/default/configmaps', {
        method: 'POST',
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: 'x'.repeat(bytes) } }),
      });

    let r = await get('/readyz?verbose');
    expect([r.status, r.text]).toEqual([200, passed]);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    r = await get('/readyz');
    expect([r.status, r.text]).toEqual([200, 'ok']);

    // Fill the filesystem but about 1 MiB, then write ConfigMaps until the store refuses one.
    const filler = join(mnt, 'filler');
    const { bavail, bsize } = statfsSync(mnt);
    let left = bavail * bsize - (1 << 20);
    const chunk = Buffer.alloc(1 << 20, 1);
    try {
      for (; left > 0; left -= chunk.length) writeFileSync(filler, left >= chunk.length ? chunk : chunk.subarray(0, left), { flag: 'a' });
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    let refused: Awaited<ReturnType<typeof createConfigMap>> | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      const w = await createConfigMap(`fill-${i}`, 64 * 1024);
      if (w.status === 503) refused = w;
      else expect(w.status, w.text).toBe(201);
    }
    expect(refused, 'no write was refused on the full tmpfs').toBeDefined();
    expect(refused!.json).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' });
    expect(refused!.text).toMatch(/storage unavailable/);
    // Reads still work: only writes fail.
    expect((await get('/api/v1/namespaces/default/configmaps/fill-0')).status).toBe(200);

    // Failed: the verbose list whatever the query, 500; livez does not run the store check.
    for (const path of ['/readyz', '/readyz?verbose']) {
      r = await get(path);
      expect([r.status, r.text], path).toEqual([500, storeFailed]);
    }
    r = await get('/readyz', true);
    expect([r.status, r.text], 'anonymous').toEqual([500, storeFailed]);
    r = await get('/readyz/etcd');
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/^internal server error: a write to the store failed \(storage unavailable\)/);
    expect(r.text).not.toContain(mnt);
    expect((await get('/healthz')).status).toBe(500);
    r = await get('/livez?verbose');
    expect([r.status, r.text]).toEqual([200, '[+]ping ok\n[+]log ok\nlivez check passed\n']);
    r = await get('/readyz?exclude=etcd');
    expect([r.status, r.text]).toEqual([200, 'ok']);
    expect((await get('/readyz/nope')).status).toBe(404);
    expect(logs.join('')).toContain('the store refused a write');

    if (kubectlAvailable()) {
      const cacheDir = mkdtempSync(join(tmpdir(), 'everynode-readyz-kubectl-'));
      cleanup.defer(() => rmSync(cacheDir, { recursive: true, force: true }), `rm ${cacheDir}`);
      const k = await runKubectl({ kubeconfig: server.kubeconfigPath, cacheDir }, ['get', '--raw', '/readyz?verbose']);
      expect(k.code, k.stdout).not.toBe(0);
      expect(k.stderr).toContain('[-]etcd failed: reason withheld');
    }

    // Free the space; the first write succeeding makes the server ready again.
    rmSync(filler);
    const w = await createConfigMap('after', 16);
    expect(w.status, w.text).toBe(201);
    r = await get('/readyz?verbose');
    expect([r.status, r.text]).toEqual([200, passed]);
    r = await get('/readyz');
    expect([r.status, r.text]).toEqual([200, 'ok']);
    expect((await get('/healthz')).status).toBe(200);
    if (kubectlAvailable()) {
      const cacheDir = mkdtempSync(join(tmpdir(), 'everynode-readyz-kubectl-'));
      cleanup.defer(() => rmSync(cacheDir, { recursive: true, force: true }), `rm ${cacheDir}`);
      const k = await runKubectl({ kubeconfig: server.kubeconfigPath, cacheDir }, ['get', '--raw', '/readyz?verbose']);
      expect([k.code, k.stdout], k.stderr).toEqual([0, passed]);
    }
  });
});

describe('/readyz while the server stops', () => {
  it('fails on shutdown from beginShutdown on, while the server still serves and /livez passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'everynode-readyz-stop-'));
    cleanup.defer(() => rmSync(dir, { recursive: true, force: true }), `rm ${dir}`);
    const server = await startServer({ dataDir: dir, listen: '127.0.0.1:0', compaction: false, controllers: false });
    cleanup.defer(() => server.close(), 'server');
    registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
    expect((await httpRequest(`${server.url}/readyz?verbose`)).text).toBe(passed);
    server.beginShutdown();
    const r = await httpRequest(`${server.url}/readyz?verbose`);
    expect(r.status).toBe(500);
    expect(r.text).toBe('[+]ping ok\n[+]log ok\n[+]etcd ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n');
    expect((await httpRequest(`${server.url}/livez`)).status).toBe(200);
    expect((await httpRequest(`${server.url}/api/v1/namespaces/default`)).status).toBe(200);
  });
});
