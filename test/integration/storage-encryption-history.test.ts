// Secrets encrypted at rest, and the store's history (review finding on old_value):
// - a Secret stored in plaintext before encryption and rewritten since leaves no plaintext in
//   the SQLite files once compaction passes the rewrite (not in the replacing row's previous
//   value, not in a row an earlier compaction kept);
// - after the documented key rotation (new key first, rewrite the Secrets, drop the old key,
//   restart), a watch from a retained revision before the rewrite is answered 410 Expired
//   instead of ending silently (which made clients re-watch from the same revision in a loop),
//   and the relist plus a watch from its revision work. On SQLite and, where installed, etcd
//   (whose prev_kv carries the old ciphertext the same way).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRETS_KEY_PREFIX } from '../../src/apiserver/index.js';
import { EncryptingStore, SqliteStore, readEncryptionKeyFile } from '../../src/storage/index.js';
import {
  Cleanup,
  etcdAvailable,
  httpRequest,
  openWireWatch,
  restartTestServer,
  startTestServer,
  waitFor,
  type TestServer,
  type TestStoreKind,
} from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const json = (o: unknown): string => JSON.stringify(o);
const secretsPath = '/api/v1/namespaces/default/secrets';
const secret = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque', data: { password: b64(value) } });
const keyFileOf = (ts: TestServer): string => join(ts.dataDir, 'secrets-encryption.key');
const keyLine = (name: string): string => `${name}:${randomBytes(32).toString('base64')}\n`;

interface SecretItem {
  metadata: { name: string; namespace: string; resourceVersion: string };
  data?: Record<string, string>;
}

async function createSecret(ts: TestServer, name: string, value: string): Promise<SecretItem> {
  const r = await httpRequest(ts.server.url + secretsPath, { method: 'POST', body: json(secret(name, value)) });
  expect(r.status, r.text).toBe(201);
  return r.json as SecretItem;
}

async function patchSecret(ts: TestServer, namespace: string, name: string, patch: unknown): Promise<SecretItem> {
  const r = await httpRequest(`${ts.server.url}/api/v1/namespaces/${namespace}/secrets/${name}`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: json(patch) });
  expect(r.status, r.text).toBe(200);
  return r.json as SecretItem;
}

/** Every byte of the SQLite database files (main file, WAL). */
function sqliteBytes(dataDir: string): Buffer {
  return Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('state.db')).map((f) => readFileSync(join(dataDir, f))));
}

describe('Secrets stored before encryption at rest, on SQLite', () => {
  it('leave no plaintext in the database files once compaction passes their rewrite', async () => {
    let ts = await startTestServer(cleanup, { store: 'sqlite' });
    const legacy = `legacy-pw-${randomBytes(6).toString('hex')}`;
    await createSecret(ts, 'legacy', legacy);
    await ts.close();
    // Store the value in plaintext, as a store from before encryption holds it.
    const key = `${SECRETS_KEY_PREFIX}default/legacy`;
    const rawStore = await SqliteStore.open(join(ts.dataDir, 'state.db'));
    const plain = (await new EncryptingStore(rawStore, { prefixes: [SECRETS_KEY_PREFIX], keys: readEncryptionKeyFile(keyFileOf(ts))! }).get(key))!;
    await rawStore.update(key, plain.value, plain.modRevision);
    await rawStore.close();
    expect(sqliteBytes(ts.dataDir).includes(b64(legacy))).toBe(true);

    ts = await restartTestServer(cleanup, ts);
    // A compaction while the plaintext is the Secret's latest value keeps that row.
    await ts.server.compactNow();
    // Its next write stores it encrypted; compaction to now passes that write.
    await patchSecret(ts, 'default', 'legacy', { metadata: { labels: { rewritten: 'yes' } } });
    await ts.server.compactNow();
    await ts.close();
    const bytes = sqliteBytes(ts.dataDir);
    expect(bytes.includes('k8s:enc:aesgcm:v1:')).toBe(true);
    expect(bytes.includes(b64(legacy))).toBe(false);

    ts = await restartTestServer(cleanup, ts);
    const got = await httpRequest(`${ts.server.url}${secretsPath}/legacy`);
    expect((got.json as SecretItem).data?.['password']).toBe(b64(legacy));
    await ts.close();
  });
});

const backends: Array<{ store: TestStoreKind; skip: boolean }> = [
  { store: 'sqlite', skip: false },
  { store: 'etcd', skip: !etcdAvailable() },
];

for (const { store, skip } of backends) {
  describe.skipIf(skip)(`Key rotation and watches from before it, on ${store}`, () => {
    it('a watch from before the rewrite gets 410 Expired; the relist and a watch from its revision work', async () => {
      let ts = await startTestServer(cleanup, { store });
      const value = `rot-pw-${randomBytes(6).toString('hex')}`;
      const created = await createSecret(ts, 'rot', value);
      const before = created.metadata.resourceVersion;

      // Rotation as documented: the new key first, restart, rewrite every Secret, drop the old
      // key, restart.
      const oldKeys = readFileSync(keyFileOf(ts), 'utf8');
      await ts.close();
      const newKey = keyLine('rotated');
      writeFileSync(keyFileOf(ts), newKey + oldKeys, { mode: 0o600 });
      ts = await restartTestServer(cleanup, ts);
      const all = await httpRequest(`${ts.server.url}/api/v1/secrets`);
      expect(all.status, all.text).toBe(200);
      for (const s of (all.json as { items: SecretItem[] }).items) {
        await patchSecret(ts, s.metadata.namespace, s.metadata.name, { metadata: { annotations: { 'test/rewritten': before } } });
      }
      await ts.close();
      writeFileSync(keyFileOf(ts), newKey, { mode: 0o600 });
      ts = await restartTestServer(cleanup, ts);

      // The history after `before` is retained (nothing compacted), but the rewrite's previous
      // value needs the dropped key. The watch must end with a 410, not silently.
      const old = await openWireWatch(cleanup, ts.server.url, `${secretsPath}?watch=true&resourceVersion=${before}`);
      expect(old.status).toBe(200);
      await waitFor(() => old.ended(), { message: 'the watch from before the rewrite to end' });
      expect(old.events.map((e) => [e.type, e.object['code'], e.object['reason']])).toEqual([['ERROR', 410, 'Expired']]);

      // The client's answer to 410: relist, then watch from the list's revision.
      const list = await httpRequest(ts.server.url + secretsPath);
      expect(list.status, list.text).toBe(200);
      const listed = list.json as { metadata: { resourceVersion: string }; items: SecretItem[] };
      expect(listed.items.find((s) => s.metadata.name === 'rot')?.data?.['password']).toBe(b64(value));
      const fresh = await openWireWatch(cleanup, ts.server.url, `${secretsPath}?watch=true&resourceVersion=${listed.metadata.resourceVersion}`);
      expect(fresh.status).toBe(200);
      const next = `${value}-v2`;
      await patchSecret(ts, 'default', 'rot', { data: { password: b64(next) } });
      const modified = await waitFor(() => fresh.events.find((e) => e.type === 'MODIFIED' && e.object.metadata?.name === 'rot'), { message: 'MODIFIED of the Secret' });
      expect((modified.object['data'] as Record<string, string>)['password']).toBe(b64(next));
      expect(fresh.ended()).toBe(false);
      fresh.stop();
      await ts.close();
    });
  });
}
