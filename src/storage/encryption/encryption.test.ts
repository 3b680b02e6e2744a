import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../api/testing/index.js';
import { MemoryStore } from '../memory/index.js';
import { SqliteStore } from '../sqlite/index.js';
import { StorageError, guaranteedUpdate, type WatchEvent } from '../interface.js';
import { runStoreConformance } from '../testing/conformance.js';
import { AESGCM_PREFIX, EncryptingStore, createEncryptionKeyFile, openEncryptedStore, parseEncryptionKeys, readEncryptionKeyFile, type EncryptionKey } from './index.js';

const key = (name = 'k1'): EncryptionKey => ({ name, secret: randomBytes(32) });

// The wrapper keeps the whole Store contract, with every key encrypted.
runStoreConformance('encrypting(memory)', {
  open: async () => new EncryptingStore(new MemoryStore(), { prefixes: [''], keys: [key()] }),
  cleanup: async () => undefined,
});

const tempDir = tempDirs('enc');

const P = '/registry/core/secrets/';

describe('EncryptingStore', () => {
  it('stores values under the prefixes encrypted and bound to their key, others untouched', async () => {
    const raw = new MemoryStore();
    const s = new EncryptingStore(raw, { prefixes: [P], keys: [key()] });
    await s.create(`${P}ns/a`, '{"data":"hunter2"}');
    await s.create('/registry/core/configmaps/ns/a', '{"data":"plain"}');
    const stored = (await raw.get(`${P}ns/a`))!.value;
    expect(stored.startsWith(`${AESGCM_PREFIX}k1:`)).toBe(true);
    expect(stored).not.toContain('hunter2');
    expect((await raw.get('/registry/core/configmaps/ns/a'))!.value).toBe('{"data":"plain"}');
    expect((await s.get(`${P}ns/a`))!.value).toBe('{"data":"hunter2"}');
    expect((await s.list('/registry/')).items.map((kv) => kv.value)).toEqual(['{"data":"plain"}', '{"data":"hunter2"}']);
    // Same plaintext twice: different ciphertexts (random nonce).
    await s.update(`${P}ns/a`, '{"data":"hunter2"}', (await raw.get(`${P}ns/a`))!.modRevision);
    expect((await raw.get(`${P}ns/a`))!.value).not.toBe(stored);
    // A ciphertext moved to another key does not decrypt (the key is authenticated data).
    await raw.create(`${P}ns/b`, stored);
    await expect(s.get(`${P}ns/b`)).rejects.toThrow(/cannot decrypt \/registry\/core\/secrets\/ns\/b with key "k1": authentication failed/);
  });

  it('reads plaintext written before encryption and encrypts it on the next write', async () => {
    const raw = new MemoryStore();
    const rev = await raw.create(`${P}ns/old`, 'legacy');
    const s = new EncryptingStore(raw, { prefixes: [P], keys: [key()] });
    expect((await s.get(`${P}ns/old`))!.value).toBe('legacy');
    await guaranteedUpdate(s, `${P}ns/old`, () => 'legacy2');
    expect((await raw.get(`${P}ns/old`))!.value.startsWith(AESGCM_PREFIX)).toBe(true);
    expect((await s.get(`${P}ns/old`))!.modRevision).toBeGreaterThan(rev);
  });

  it('decrypts watch events, deleted values and the current state of a Conflict', async () => {
    const s = new EncryptingStore(new MemoryStore(), { prefixes: [P], keys: [key()] });
    const events: WatchEvent[] = [];
    const w = s.watch(P, await s.currentRevision(), { onEvents: (e) => events.push(...e), onError: (e) => { throw e; } });
    const r1 = await s.create(`${P}ns/w`, 'v1');
    await s.update(`${P}ns/w`, 'v2', r1);
    const err = await s.update(`${P}ns/w`, 'v3', r1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('Conflict');
    if ((err as StorageError).current) expect((err as StorageError).current!.value).toBe('v2');
    expect((await s.delete(`${P}ns/w`)).prev.value).toBe('v2');
    for (let i = 0; i < 200 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    w.stop();
    expect(events.map((e) => [e.type, e.value, e.prevValue])).toEqual([
      ['put', 'v1', undefined],
      ['put', 'v2', 'v1'],
      ['delete', undefined, 'v2'],
    ]);
  });

  it('decrypts with any configured key and encrypts with the first (rotation)', async () => {
    const raw = new MemoryStore();
    const oldKey = key('old');
    await new EncryptingStore(raw, { prefixes: [P], keys: [oldKey] }).create(`${P}ns/r`, 'secret');
    const rotated = new EncryptingStore(raw, { prefixes: [P], keys: [key('new'), oldKey] });
    expect((await rotated.get(`${P}ns/r`))!.value).toBe('secret');
    await guaranteedUpdate(rotated, `${P}ns/r`, () => 'secret2');
    expect((await raw.get(`${P}ns/r`))!.value.startsWith(`${AESGCM_PREFIX}new:`)).toBe(true);
    const onlyOld = new EncryptingStore(raw, { prefixes: [P], keys: [oldKey] });
    await expect(onlyOld.get(`${P}ns/r`)).rejects.toThrow(/encrypted with key "new", which is not among the configured encryption keys/);
  });
});

describe('EncryptingStore watches over history written with a retired key', () => {
  /** Records a watch of `store`; `done` resolves once it ended with an error. */
  const watchUntilError = (s: EncryptingStore, prefix: string, from: number) => {
    const events: WatchEvent[] = [];
    let resolve!: (e: StorageError) => void;
    const done = new Promise<StorageError>((r) => (resolve = r));
    const w = s.watch(prefix, from, { onEvents: (e) => events.push(...e), onError: resolve });
    return { events, done, stop: () => w.stop() };
  };
  const waitForEvents = async (events: WatchEvent[], n: number): Promise<void> => {
    for (let i = 0; i < 2000 && events.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  };

  for (const backend of ['memory', 'sqlite'] as const) {
    it(`${backend}: ends with Compacted (value or previous value), and a relist plus a watch from its revision work`, async () => {
      const raw = backend === 'memory' ? new MemoryStore() : await SqliteStore.open(join(tempDir(), 'state.db'));
      try {
        const oldKey = key('old');
        const newKey = key('new');
        const before = new EncryptingStore(raw, { prefixes: [P], keys: [oldKey] });
        const ra = await before.create(`${P}ns/a`, 'a1');
        const rb = await before.create(`${P}ns/b`, 'b1');
        // Rotation as documented: the new key first, rewrite the Secrets, drop the old key.
        const both = new EncryptingStore(raw, { prefixes: [P], keys: [newKey, oldKey] });
        const ra2 = await both.update(`${P}ns/a`, 'a2', ra); // value: new key, previous value: old key
        const rb2 = await both.update(`${P}ns/b`, 'b2', rb);
        const after = new EncryptingStore(raw, { prefixes: [P], keys: [newKey] });

        // From before the rewrite, the first event's previous value needs the retired key.
        const fromRewrite = watchUntilError(after, P, rb);
        const err = await fromRewrite.done;
        expect(err.code).toBe('Compacted');
        expect(err.message).toMatch(new RegExp(`revision ${ra2}.*previous value of /registry/core/secrets/ns/a was encrypted with key "old".*retired`));
        expect(fromRewrite.events).toEqual([]);
        // From before the Secrets were written at all, the event's value does.
        const fromStart = watchUntilError(after, P, ra - 1);
        expect((await fromStart.done).message).toMatch(new RegExp(`revision ${ra}.*the value of /registry/core/secrets/ns/a was encrypted with key "old"`));
        // Keys outside the prefixes are not affected: their history is served.
        const others = watchUntilError(after, '/registry/core/configmaps/', ra - 1);
        await raw.create('/registry/core/configmaps/ns/c', 'c1');
        await waitForEvents(others.events, 1);
        others.stop();
        expect(others.events.map((e) => e.value)).toEqual(['c1']);

        // What a client does on Compacted: relist, then watch from the list's revision.
        const list = await after.list(P);
        expect(list.items.map((kv) => [kv.key, kv.value])).toEqual([
          [`${P}ns/a`, 'a2'],
          [`${P}ns/b`, 'b2'],
        ]);
        const live = watchUntilError(after, P, list.revision);
        const ra3 = await after.update(`${P}ns/a`, 'a3', ra2);
        await after.delete(`${P}ns/b`, rb2);
        await waitForEvents(live.events, 2);
        live.stop();
        expect(live.events.map((e) => [e.type, e.revision === ra3, e.value, e.prevValue])).toEqual([
          ['put', true, 'a3', 'a2'],
          ['delete', false, undefined, 'b2'],
        ]);
      } finally {
        await raw.close();
      }
    });
  }

  it('other values that cannot be decrypted still end a watch with Internal', async () => {
    const raw = new MemoryStore();
    const s = new EncryptingStore(raw, { prefixes: [P], keys: [key('k1')] });
    const base = await raw.currentRevision();
    await raw.create(`${P}ns/bad`, `${AESGCM_PREFIX}k1:${randomBytes(40).toString('base64')}`);
    const err = await watchUntilError(s, P, base).done;
    expect(err.code).toBe('Internal');
    expect(err.message).toMatch(/cannot decrypt \/registry\/core\/secrets\/ns\/bad with key "k1": authentication failed/);
  });
});

describe('key file and openEncryptedStore', () => {
  it('creates the key file once (0600) and reuses it', () => {
    const f = join(tempDir(), 'secrets-encryption.key');
    const k = createEncryptionKeyFile(f);
    expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
    expect(readEncryptionKeyFile(f)).toEqual(k);
    // A second creation (a concurrent server) yields the existing key.
    expect(createEncryptionKeyFile(f)).toEqual(k);
    expect(readFileSync(f, 'utf8')).toContain(`${k[0]!.name}:`);
  });

  it('rejects malformed key files with the file and line, without key material', () => {
    expect(() => parseEncryptionKeys('a:' + Buffer.alloc(16).toString('base64'), 'f')).toThrow(/^f:1: encryption key "a" has 16 bytes, want 32/);
    expect(() => parseEncryptionKeys('# c\nnocolon', 'f')).toThrow(/^f:2: malformed encryption key/);
    expect(() => parseEncryptionKeys('', 'f')).toThrow(/holds no encryption key/);
  });

  it('on sqlite: ciphertext on disk, readable after reopening, clear errors for a wrong or missing key', async () => {
    const dir = tempDir();
    const db = join(dir, 'state.db');
    const keyFile = join(dir, 'secrets-encryption.key');
    let s = await openEncryptedStore(await SqliteStore.open(db), { keyFile, prefixes: [P] });
    await s.create(`${P}ns/db`, '{"password":"correct-horse-battery"}');
    await s.close();
    const bytes = Buffer.concat(['state.db', 'state.db-wal'].map((f) => { try { return readFileSync(join(dir, f)); } catch { return Buffer.alloc(0); } }));
    expect(bytes.includes('correct-horse-battery')).toBe(false);

    s = await openEncryptedStore(await SqliteStore.open(db), { keyFile, prefixes: [P] });
    expect((await s.get(`${P}ns/db`))!.value).toBe('{"password":"correct-horse-battery"}');
    await s.close();

    const good = readFileSync(keyFile, 'utf8');
    const name = readEncryptionKeyFile(keyFile)![0]!.name;
    writeFileSync(keyFile, `${name}:${randomBytes(32).toString('base64')}\n`);
    let raw = await SqliteStore.open(db);
    await expect(openEncryptedStore(raw, { keyFile, prefixes: [P] })).rejects.toThrow(/cannot decrypt \/registry\/core\/secrets\/ns\/db .*authentication failed.*check the encryption key file/);
    await raw.close();

    rmSync(keyFile);
    raw = await SqliteStore.open(db);
    await expect(openEncryptedStore(raw, { keyFile, prefixes: [P] })).rejects.toThrow(/holds encrypted values .* encryption key file .* is missing/);
    await raw.close();
    expect(readEncryptionKeyFile(keyFile)).toBeUndefined(); // no new key was made
    writeFileSync(keyFile, good, { mode: 0o600 });
  });
});
