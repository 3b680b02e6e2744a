// A first start that fails after the admin token was made (its address was taken) keeps that
// token in kubeconfig.yaml: the next start uses it, silently (it warned that "copies of the
// old admin kubeconfig no longer work" about a kubeconfig nobody ever had).
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/apiserver/index.js';
import { createLogger } from '../../src/util/logger.js';
import { Cleanup, httpRequest, makeTempDir, registerServer, credentialsFromKubeconfig, startTestServer } from '../helpers/index.js';
import { STORE_FORMAT, STORE_FORMAT_KEY } from '../../src/apiserver/store-format.js';
import { openStore } from '../../src/storage/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe('first start', () => {
  it('a start that fails after the admin token was made keeps it for the next start', async () => {
    const dataDir = makeTempDir(cleanup, 'first-start');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanup.defer(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', write: (l) => lines.push(l) });
    await expect(startServer({ dataDir, listen: `127.0.0.1:${port}`, controllers: false, logger })).rejects.toThrow(`127.0.0.1:${port} is already in use`);
    const first = credentialsFromKubeconfig(join(dataDir, 'kubeconfig.yaml')).token;

    const server = await startServer({ dataDir, listen: '127.0.0.1:0', controllers: false, logger });
    cleanup.defer(() => server.close());
    const creds = credentialsFromKubeconfig(server.kubeconfigPath);
    expect(creds.token).toBe(first);
    registerServer(server.url, creds);
    expect((await httpRequest(`${server.url}/api/v1/namespaces`)).status).toBe(200);
    expect(lines.filter((l) => l.includes('issued a new admin token'))).toEqual([]);
  });
});

describe('a store written by a newer build', () => {
  const cleanup2 = new Cleanup();
  afterAll(() => cleanup2.run());

  it('is refused at start, saying what to do, and left as it is', async () => {
    const ts = await startTestServer(cleanup2, { store: 'sqlite' });
    const storeUrl = ts.storeUrl;
    const dataDir = ts.dataDir;
    await ts.close();
    const store = await openStore(storeUrl);
    try {
      const kv = (await store.get(STORE_FORMAT_KEY))!;
      expect(JSON.parse(kv.value)).toEqual({ format: STORE_FORMAT });
      await store.update(STORE_FORMAT_KEY, JSON.stringify({ format: STORE_FORMAT + 1 }), kv.modRevision);
    } finally {
      await store.close();
    }
    await expect(startTestServer(cleanup2, { dataDir, storeUrl })).rejects.toThrow(/the store was written by a newer everynode \(store format \d+; this build knows format \d+ and older\): start the newer build again/);
    const after = await openStore(storeUrl);
    try {
      expect(JSON.parse((await after.get(STORE_FORMAT_KEY))!.value)).toEqual({ format: STORE_FORMAT + 1 });
    } finally {
      await after.close();
    }
  }, 60_000);
});
