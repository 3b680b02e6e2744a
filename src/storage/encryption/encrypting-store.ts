// Encryption at rest: a Store wrapper that encrypts the values of keys under chosen prefixes
// with AES-256-GCM (upstream's EncryptionConfiguration `aesgcm` provider; k3s
// `--secrets-encryption`). The apiserver wraps its store with it for Secrets.
//
// Why a Store wrapper (and here, in storage): it is the one boundary every reader and writer
// of values crosses — the registry, the watch cache (initial list and watch events), the RBAC
// cache and the node graph all read through the Store the apiserver hands them — so no path
// can forget to decrypt, and the backends stay oblivious (sqlite and etcd alike).
//
// Contracts:
// - Stored form of an encrypted value: `k8s:enc:aesgcm:v1:<keyName>:` followed by base64 of
//   nonce (12 random bytes) || ciphertext || GCM tag (16 bytes). Values are strings in the
//   Store contract, hence base64 rather than upstream's raw bytes. The storage key is the GCM
//   additional authenticated data, so a ciphertext copied to another key does not decrypt.
// - Writes (create, update) of keys under an encrypted prefix always encrypt with the FIRST
//   key; reads decrypt with the key named in the value (any of `keys`, for rotation).
// - A value under an encrypted prefix without the `k8s:enc:` prefix is plaintext written
//   before encryption was enabled: it is returned as is, and its next write stores the new
//   value encrypted (upstream's `identity` provider as the fallback reader). The
//   plaintext stays in the store's history (the old revision, and the replacing revision's
//   previous value) until compaction passes that write; this wrapper cannot rewrite history.
// - A value that cannot be decrypted (unknown key name, wrong key, corrupt) fails a read (get,
//   list, delete's previous value) with StorageError 'Internal' naming the storage key and the
//   key name, never any key material or plaintext.
// - On a watch, an event whose value or previous value cannot be decrypted ends the watch:
//   - encrypted with a key name that is no longer configured (a key retired after rotation,
//     as the documented procedure does once the Secrets are rewritten): onError 'Compacted'.
//     Since the start-up check in key-file.ts decrypts every current value, such a value is
//     history older than the rewrite, and for this store that history is gone exactly
//     as if compacted: re-watching from the same revision would fail the same way, while a
//     relist reads the current values and a watch from there only meets values written with
//     configured keys. So consumers do what they do for a compacted revision (the apiserver
//     answers 410 Expired; informers relist). The event is not delivered without its
//     previous value instead: watchers need it for DELETED objects and for selector
//     transitions (an object leaving a filter), so dropping it would silently lose events.
//   - any other failure (wrong key under a configured name, corrupt value, unknown provider):
//     onError 'Internal', as for reads.
// - Keys outside the prefixes pass through untouched; the per-call cost for them is a string
//   prefix check (lists and watches on disjoint prefixes are not even inspected per item).
// - Random 96-bit nonces: keep well below 2^32 encryptions per key (rotate keys long before).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandlers,
  type Watcher,
} from '../interface.js';

/** Every encrypted value starts with this (upstream's transformer prefix family). */
export const ENCRYPTED_VALUE_PREFIX = 'k8s:enc:';
export const AESGCM_PREFIX = 'k8s:enc:aesgcm:v1:';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const ENCRYPTION_KEY_BYTES = 32;
const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface EncryptionKey {
  /** Written into every value it encrypts; [A-Za-z0-9._-], no colon. */
  name: string;
  /** 32 bytes (AES-256). */
  secret: Buffer;
}

export interface EncryptingStoreOptions {
  /** Key prefixes whose values are encrypted, e.g. `/registry/core/secrets/`. */
  prefixes: string[];
  /** The first encrypts; all decrypt. At least one. */
  keys: EncryptionKey[];
}

export function validateEncryptionKey(k: EncryptionKey): void {
  if (!KEY_NAME_RE.test(k.name)) throw new Error(`invalid encryption key name ${JSON.stringify(k.name)}: want [A-Za-z0-9._-], at most 63 characters`);
  if (k.secret.length !== ENCRYPTION_KEY_BYTES) throw new Error(`encryption key ${JSON.stringify(k.name)} has ${k.secret.length} bytes, want ${ENCRYPTION_KEY_BYTES} (AES-256)`);
}

/** True when a stored value is in encrypted form (of any provider). */
export function isEncryptedValue(value: string): boolean {
  return value.startsWith(ENCRYPTED_VALUE_PREFIX);
}

/** The key name of an AES-GCM value (`AESGCM_PREFIX<name>:...`); '' when it has none. */
function aesgcmKeyName(value: string): string {
  const rest = value.slice(AESGCM_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? '' : rest.slice(0, colon);
}

export class EncryptingStore implements Store {
  private readonly prefixes: string[];
  private readonly writeKey: EncryptionKey;
  private readonly byName: Map<string, Buffer>;

  constructor(private readonly inner: Store, opts: EncryptingStoreOptions) {
    if (opts.keys.length === 0) throw new Error('EncryptingStore needs at least one key');
    for (const k of opts.keys) validateEncryptionKey(k);
    this.prefixes = [...opts.prefixes];
    this.writeKey = opts.keys[0]!;
    this.byName = new Map(opts.keys.map((k) => [k.name, k.secret]));
  }

  /** The wrapped store (raw, encrypted values). */
  get raw(): Store {
    return this.inner;
  }

  /** True when values of `key` are encrypted. */
  encrypts(key: string): boolean {
    for (const p of this.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  /** True when some key under `prefix` may be encrypted. */
  private overlaps(prefix: string): boolean {
    for (const p of this.prefixes) if (p.startsWith(prefix) || prefix.startsWith(p)) return true;
    return false;
  }

  private seal(key: string, value: string): string {
    if (!this.encrypts(key)) return value;
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.writeKey.secret, nonce);
    c.setAAD(Buffer.from(key, 'utf8'));
    const body = Buffer.concat([nonce, c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
    return `${AESGCM_PREFIX}${this.writeKey.name}:${body.toString('base64')}`;
  }

  /**
   * The key name an AES-GCM value of `key` names when no configured key has that name (a
   * retired key); undefined for anything else (plaintext, a configured key, another provider).
   */
  private retiredKeyName(key: string, value: string): string | undefined {
    if (!this.encrypts(key) || !value.startsWith(AESGCM_PREFIX)) return undefined;
    const name = aesgcmKeyName(value);
    return this.byName.has(name) ? undefined : name;
  }

  /** Decrypts a stored value of `key` (plaintext passes through). Throws StorageError 'Internal'. */
  open(key: string, value: string): string {
    if (!this.encrypts(key) || !value.startsWith(ENCRYPTED_VALUE_PREFIX)) return value;
    if (!value.startsWith(AESGCM_PREFIX)) {
      const provider = value.slice(ENCRYPTED_VALUE_PREFIX.length).split(':')[0] ?? '';
      throw new StorageError('Internal', `cannot decrypt ${key}: unsupported encryption provider ${JSON.stringify(provider)}`, key);
    }
    const rest = value.slice(AESGCM_PREFIX.length);
    const colon = rest.indexOf(':');
    const name = colon < 0 ? '' : rest.slice(0, colon);
    const secret = this.byName.get(name);
    if (!secret) throw new StorageError('Internal', `cannot decrypt ${key}: it was encrypted with key ${JSON.stringify(name)}, which is not among the configured encryption keys`, key);
    const body = Buffer.from(rest.slice(colon + 1), 'base64');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new StorageError('Internal', `cannot decrypt ${key} with key ${JSON.stringify(name)}: the value is truncated`, key);
    try {
      const d = createDecipheriv('aes-256-gcm', secret, body.subarray(0, NONCE_BYTES));
      d.setAAD(Buffer.from(key, 'utf8'));
      d.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([d.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new StorageError('Internal', `cannot decrypt ${key} with key ${JSON.stringify(name)}: authentication failed (a different key under that name, or a corrupt value)`, key);
    }
  }

  private openKv(kv: KeyValue): KeyValue {
    return this.encrypts(kv.key) ? { ...kv, value: this.open(kv.key, kv.value) } : kv;
  }

  /** Errors carrying the current state (Conflict) get it decrypted. */
  private openError(err: unknown): unknown {
    if (err instanceof StorageError && err.current && this.encrypts(err.current.key)) {
      return new StorageError(err.code, err.message, err.key, this.openKv(err.current));
    }
    return err;
  }

  create(key: string, value: string): Promise<number> {
    return this.inner.create(key, this.seal(key, value));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.openKv(kv);
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    if (!this.overlaps(prefix) || opts?.keysOnly) return r;
    return { ...r, items: r.items.map((kv) => this.openKv(kv)) };
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    try {
      return await this.inner.update(key, this.seal(key, value), expectedModRevision);
    } catch (err) {
      throw this.openError(err);
    }
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    try {
      const r = await this.inner.delete(key, expectedModRevision);
      return { revision: r.revision, prev: this.openKv(r.prev) };
    } catch (err) {
      throw this.openError(err);
    }
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    if (!this.overlaps(prefix)) return this.inner.watch(prefix, fromRevision, handlers);
    let failed = false;
    // Throws the error the watch ends with (see the file comment: Compacted for a retired key).
    const openWatched = (e: WatchEvent, value: string, what: string): string => {
      const retired = this.retiredKeyName(e.key, value);
      if (retired !== undefined) {
        throw new StorageError(
          'Compacted',
          `history at revision ${e.revision} is no longer readable: the ${what} of ${e.key} was encrypted with key ${JSON.stringify(retired)}, which is not among the configured encryption keys (a retired key); relist`,
          e.key,
        );
      }
      return this.open(e.key, value);
    };
    const openEvent = (e: WatchEvent): WatchEvent => {
      if (!this.encrypts(e.key)) return e;
      const out: WatchEvent = { ...e };
      if (e.value !== undefined) out.value = openWatched(e, e.value, 'value');
      if (e.prevValue !== undefined) out.prevValue = openWatched(e, e.prevValue, 'previous value');
      return out;
    };
    let w: Watcher | undefined;
    w = this.inner.watch(prefix, fromRevision, {
      onEvents: (events) => {
        if (failed) return;
        let opened: WatchEvent[];
        try {
          opened = events.map(openEvent);
        } catch (err) {
          failed = true;
          w?.stop();
          handlers.onError(err instanceof StorageError ? err : new StorageError('Internal', String(err)));
          return;
        }
        handlers.onEvents(opened);
      },
      onError: (err) => {
        if (!failed) handlers.onError(err);
      },
    });
    // A failure delivered synchronously from inside inner.watch() could not stop it yet.
    if (failed) w.stop();
    return w;
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  /**
   * The inner store's (events of encrypted keys are opened synchronously on their way to
   * watchers, so a watcher of this store is exactly as current as one of the inner store);
   * undefined when the inner store cannot tell.
   */
  publishedRevision(): number | undefined {
    return this.inner.publishedRevision?.();
  }

  compact(revision: number): Promise<number> {
    return this.inner.compact(revision);
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
