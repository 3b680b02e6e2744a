// Secrets encrypted at rest (issue 7): a Secret's value is not in the raw store (the SQLite
// files, the etcd values), the API returns it (GET, LIST, WATCH from the watch cache), across a
// restart; plaintext written before encryption stays readable and is encrypted on its next
// write; a wrong or missing key stops the server at start-up with a clear error.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/types.js';
import { SECRETS_KEY_PREFIX, keyPrefix } from '../../src/apiserver/index.js';
import { EncryptingStore, EtcdStore, SqliteStore, readEncryptionKeyFile } from '../../src/storage/index.js';
import { Cleanup, etcdAvailable, httpRequest, restartTestServer, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const json = (o: unknown) => JSON.stringify(o);
const secret = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque', data: { password: b64(value) } });
const secretsPath = '/api/v1/namespaces/default/secrets';

/** Every byte of the SQLite database files (main file, WAL, shared memory). */
function sqliteBytes(dataDir: string): Buffer {
  return Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('state.db')).map((f) => readFileSync(join(dataDir, f))));
}

async function passwordOf(ts: TestServer, name: string): Promise<string | undefined> {
  const r = await httpRequest(`${ts.server.url}${secretsPath}/${name}`);
  expect(r.status, r.text).toBe(200);
  const pw = (r.json as { data?: Record<string, string> }).data?.['password'];
  return pw === undefined ? undefined : Buffer.from(pw, 'base64').toString('utf8');
}

describe('Secrets encrypted at rest on SQLite', () => {
  let ts: TestServer;
  const value = `sqlite-pw-${randomBytes(6).toString('hex')}`;
  const marker = `cm-marker-${randomBytes(6).toString('hex')}`;

  it('keeps the value out of the database files and serves it through GET, LIST and WATCH', async () => {
    ts = await startTestServer(cleanup, { store: 'sqlite' });
    expect(SECRETS_KEY_PREFIX).toBe(keyPrefix(ts.server.kinds.byResource('', 'v1', 'secrets')!));
    expect((statSync(join(ts.dataDir, 'secrets-encryption.key')).mode & 0o777).toString(8)).toBe('600');
    const created = await httpRequest(ts.server.url + secretsPath, { method: 'POST', body: json(secret('db', value)) });
    expect(created.status, created.text).toBe(201);
    // A ConfigMap is not encrypted: it proves the raw scan sees stored values at all.
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: 'default' }, data: { k: marker } };
    expect((await httpRequest(`${ts.server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: json(cm) })).status).toBe(201);

    const raw = sqliteBytes(ts.dataDir);
    expect(raw.includes(marker)).toBe(true);
    expect(raw.includes(value)).toBe(false);
    expect(raw.includes(b64(value))).toBe(false);
    expect(raw.includes('k8s:enc:aesgcm:v1:')).toBe(true);

    expect(await passwordOf(ts, 'db')).toBe(value);
    const list = await httpRequest(ts.server.url + secretsPath);
    expect((list.json as { items: { metadata: { name: string }; data: Record<string, string> }[] }).items.find((s) => s.metadata.name === 'db')?.data['password']).toBe(b64(value));
    const watch = await httpRequest(`${ts.server.url}${secretsPath}?watch=true&resourceVersion=0&timeoutSeconds=1`);
    expect(watch.text).toContain(b64(value));
  });

  it('keeps it readable across a restart, encrypted again after an update', async () => {
    ts = await restartTestServer(cleanup, ts);
    expect(await passwordOf(ts, 'db')).toBe(value);
    const next = `${value}-v2`;
    const patched = await httpRequest(`${ts.server.url}${secretsPath}/db`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: json({ data: { password: b64(next) } }) });
    expect(patched.status, patched.text).toBe(200);
    expect(await passwordOf(ts, 'db')).toBe(next);
    const raw = sqliteBytes(ts.dataDir);
    expect(raw.includes(next)).toBe(false);
    expect(raw.includes(b64(next))).toBe(false);
  });

  it('reads a Secret stored in plaintext before encryption and encrypts it on its next write', async () => {
    const legacy = `legacy-pw-${randomBytes(6).toString('hex')}`;
    expect((await httpRequest(ts.server.url + secretsPath, { method: 'POST', body: json(secret('legacy', legacy)) })).status).toBe(201);
    await ts.close();
    // Rewrite the stored value as plaintext, as a store from before encryption holds it.
    const key = `${SECRETS_KEY_PREFIX}default/legacy`;
    const rawStore = await SqliteStore.open(join(ts.dataDir, 'state.db'));
    const plain = (await new EncryptingStore(rawStore, { prefixes: [SECRETS_KEY_PREFIX], keys: readEncryptionKeyFile(join(ts.dataDir, 'secrets-encryption.key'))! }).get(key))!;
    await rawStore.update(key, plain.value, plain.modRevision);
    await rawStore.close();
    expect(sqliteBytes(ts.dataDir).includes(b64(legacy))).toBe(true);

    ts = await restartTestServer(cleanup, ts);
    expect(await passwordOf(ts, 'legacy')).toBe(legacy);
    const labelled = await httpRequest(`${ts.server.url}${secretsPath}/legacy`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: json({ metadata: { labels: { touched: 'yes' } } }) });
    expect(labelled.status, labelled.text).toBe(200);
    await ts.close();
    const check = await SqliteStore.open(join(ts.dataDir, 'state.db'));
    try {
      const stored = (await check.get(key))!.value;
      expect(stored.startsWith('k8s:enc:aesgcm:v1:')).toBe(true);
      expect(stored).not.toContain(b64(legacy));
    } finally {
      await check.close();
    }
    ts = await restartTestServer(cleanup, ts);
    expect(await passwordOf(ts, 'legacy')).toBe(legacy);
  });

  it('refuses to start with a wrong or a missing key, naming the key file', async () => {
    await ts.close();
    const keyFile = join(ts.dataDir, 'secrets-encryption.key');
    const good = readFileSync(keyFile, 'utf8');
    const name = readEncryptionKeyFile(keyFile)![0]!.name;
    try {
      writeFileSync(keyFile, `${name}:${randomBytes(32).toString('base64')}\n`);
      await expect(restartTestServer(cleanup, ts)).rejects.toThrow(/cannot decrypt \/registry\/core\/secrets\/default\/\S+ with key "[^"]+": authentication failed.*secrets-encryption\.key/);
      writeFileSync(keyFile, `other:${randomBytes(32).toString('base64')}\n`);
      await expect(restartTestServer(cleanup, ts)).rejects.toThrow(/encrypted with key "[^"]+", which is not among the configured encryption keys/);
      rmSync(keyFile);
      await expect(restartTestServer(cleanup, ts)).rejects.toThrow(/holds encrypted values .*secrets-encryption\.key is missing/);
    } finally {
      writeFileSync(keyFile, good, { mode: 0o600 });
    }
    ts = await restartTestServer(cleanup, ts);
    expect(await passwordOf(ts, 'db')).toBe(`${value}-v2`);
  });
});

describe.skipIf(!etcdAvailable())('Secrets encrypted at rest on etcd', () => {
  it('stores only ciphertext in etcd and serves the value', async () => {
    const ts = await startTestServer(cleanup, { store: 'etcd' });
    const value = `etcd-pw-${randomBytes(6).toString('hex')}`;
    const created = await httpRequest(ts.server.url + secretsPath, { method: 'POST', body: json(secret('etcd-db', value)) });
    expect(created.status, created.text).toBe(201);
    const { endpoints, prefix } = EtcdStore.parseUrl(ts.storeUrl);
    const client = new Etcd3({ hosts: endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)) });
    try {
      const all = await client.getAll().prefix(prefix ?? '').strings();
      const stored = Object.entries(all).find(([k]) => k.endsWith(`${SECRETS_KEY_PREFIX}default/etcd-db`));
      expect(stored, Object.keys(all).join('\n')).toBeDefined();
      expect(stored![1].startsWith('k8s:enc:aesgcm:v1:')).toBe(true);
      for (const v of Object.values(all)) {
        expect(v.includes(value)).toBe(false);
        expect(v.includes(b64(value))).toBe(false);
      }
    } finally {
      client.close();
    }
    expect(await passwordOf(ts, 'etcd-db')).toBe(value);
    const obj = (await httpRequest(`${ts.server.url}${secretsPath}/etcd-db`)).json as KubeObject;
    expect(obj.metadata.name).toBe('etcd-db');
  });
});
