// The encryption key file and the start-up step that wraps a store with EncryptingStore.
//
// Key file contract (`<dataDir>/secrets-encryption.key`, mode 0600):
// - One key per line, `<name>:<base64 of 32 random bytes>`; blank lines and `#` comments are
//   ignored. The first key encrypts new writes; every listed key decrypts (rotation: put a new
//   key first, restart, rewrite the Secrets, then drop the old line and restart). Revisions
//   written with the old key stay in the store's history until compaction passes the rewrite;
//   a watch from before the rewrite that meets one ends with Compacted (410: the client
//   relists), see encrypting-store.ts.
// - Created at first start when missing, exclusively (write a temp file, then link(2) it into
//   place), so servers of one cluster starting together on a shared data dir end up with the
//   same key: the loser of the race reads the winner's file.
// - Durable before use: the temp file's content is fsynced before the link, and the directory
//   after it, so once createEncryptionKeyFile returns a power loss cannot lose the key while
//   Secrets written with it survive.
// - Errors name the file and the line, never key material.
//
// openEncryptedStore contract:
// - Missing key file while the store already holds encrypted values → a start-up error (a new
//   key would silently make them unreadable).
// - Every current value under the prefixes is decrypted once at start; a wrong key or an
//   unknown key name → a start-up error naming the storage key, the key name and the file.
//   This is what lets EncryptingStore treat a retired key met on a watch as history.
// - History (revisions above the compaction point) is deliberately not checked: values there
//   written with a key since dropped are the normal state right after a rotation, and failing
//   the start on them would turn the documented rotation into an outage until compaction
//   passed the rewrite. A watch that meets one is answered as compacted instead.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ENCRYPTION_KEY_BYTES, EncryptingStore, isEncryptedValue, validateEncryptionKey, type EncryptionKey } from './encrypting-store.js';
import type { Store } from '../interface.js';

export const SECRETS_ENCRYPTION_KEY_FILE = 'secrets-encryption.key';

/** Parses a key file's text; throws naming `file` and the line on a malformed entry. */
export function parseEncryptionKeys(text: string, file: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    const b64 = line.slice(colon + 1);
    if (colon < 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error(`${file}:${i + 1}: malformed encryption key: want <name>:<base64 of ${ENCRYPTION_KEY_BYTES} bytes>`);
    const k = { name, secret: Buffer.from(b64, 'base64') };
    try {
      validateEncryptionKey(k);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: ${(err as Error).message}`);
    }
    if (keys.some((o) => o.name === name)) throw new Error(`${file}:${i + 1}: duplicate encryption key name ${JSON.stringify(name)}`);
    keys.push(k);
  }
  if (keys.length === 0) throw new Error(`${file}: holds no encryption key`);
  return keys;
}

/** The keys of `file`, or undefined when it does not exist. */
export function readEncryptionKeyFile(file: string): EncryptionKey[] | undefined {
  if (!existsSync(file)) return undefined;
  return parseEncryptionKeys(readFileSync(file, 'utf8'), file);
}

/**
 * Creates `path` (must not exist) with `text` and mode 0600 whatever the umask, and fsyncs its
 * content. On failure the partial file is removed.
 */
function writeSyncedPrivateFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
}

/** fsyncs directory `dir`, making changes to its entries (links, removals) durable. */
function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `file` with one new random key (mode 0600); when it appeared meanwhile, reads that
 * one. Either way the file is durable when this returns (see the file comment).
 */
export function createEncryptionKeyFile(file: string): EncryptionKey[] {
  const key: EncryptionKey = { name: `key-${randomBytes(4).toString('hex')}`, secret: randomBytes(ENCRYPTION_KEY_BYTES) };
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeSyncedPrivateFile(tmp, `# AES-256-GCM keys for Secrets at rest; the first encrypts. Keep this file private.\n${key.name}:${key.secret.toString('base64')}\n`);
  let keys: EncryptionKey[];
  try {
    try {
      linkSync(tmp, file);
      keys = [key];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      keys = readEncryptionKeyFile(file)!;
    }
  } finally {
    unlinkSync(tmp);
  }
  // One directory fsync makes both the link and the temp file's removal durable. The winner of
  // a race does it too; doing it here as well means the key this server is about to use is
  // durable even if it gets here before the winner does.
  fsyncDirectory(dirname(file));
  return keys;
}

async function* valuesUnder(store: Store, prefix: string): AsyncGenerator<{ key: string; value: string }> {
  let startAfter: string | undefined;
  let revision: number | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: 500, ...(revision !== undefined ? { revision } : {}), ...(startAfter !== undefined ? { startAfter } : {}) });
    revision = page.revision;
    for (const kv of page.items) yield kv;
    if (!page.more || page.items.length === 0) return;
    startAfter = page.items[page.items.length - 1]!.key;
  }
}

/**
 * Wraps `inner` so that values under `prefixes` are encrypted with the keys of `keyFile`
 * (created when missing, see the file comment). Throws a start-up error instead of ever
 * serving undecryptable values. Does not close `inner` on failure.
 */
export async function openEncryptedStore(inner: Store, o: { keyFile: string; prefixes: string[] }): Promise<EncryptingStore> {
  let keys = readEncryptionKeyFile(o.keyFile);
  if (!keys) {
    for (const prefix of o.prefixes) {
      for await (const kv of valuesUnder(inner, prefix)) {
        if (isEncryptedValue(kv.value)) {
          throw new Error(`the store holds encrypted values (e.g. ${kv.key}) but the encryption key file ${o.keyFile} is missing: copy it from another server of this cluster or from a backup of the data dir`);
        }
      }
    }
    keys = createEncryptionKeyFile(o.keyFile);
  }
  const store = new EncryptingStore(inner, { prefixes: o.prefixes, keys });
  try {
    for (const prefix of o.prefixes) for await (const _ of valuesUnder(store, prefix)) void _;
  } catch (err) {
    throw new Error(`${(err as Error).message} — check the encryption key file ${o.keyFile} (servers of one cluster must share it)`);
  }
  return store;
}
