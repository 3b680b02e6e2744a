// openStore(url): picks a backend by URL scheme. Adding a backend is one entry in OPENERS.
//
//   sqlite:///abs/path/state.db   SqliteStore on that file (created when missing)
//   /abs/path/state.db, ./x.db    a bare file path means sqlite
//   memory://                     MemoryStore (nothing persists)
//   etcd://HOST:PORT[,HOST:PORT...][?prefix=/p]   EtcdStore on that etcd cluster

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError, type Store } from './interface.js';
import { MemoryStore } from './memory/index.js';
import { SqliteStore } from './sqlite/index.js';
import { EtcdStore } from './etcd/index.js';

/** `raw` is the URL as given (for schemes whose authority is not a valid URL host, e.g. an endpoint list). */
type Opener = (url: URL, raw: string) => Promise<Store>;

const OPENERS: Record<string, Opener> = {
  'sqlite:': async (url) => SqliteStore.open(sqlitePath(url)),
  'memory:': async () => new MemoryStore(),
  'etcd:': async (_url, raw) => EtcdStore.open(EtcdStore.parseUrl(raw)),
};

/** Schemes whose authority is a list (`h1:p1,h2:p2`), which WHATWG URL cannot parse as a host. */
const RAW_AUTHORITY = new Set(['etcd:']);

/** The URL schemes openStore understands (without the trailing colon). */
export function storeSchemes(): string[] {
  return Object.keys(OPENERS).map((s) => s.slice(0, -1));
}

export async function openStore(url: string): Promise<Store> {
  const parsed = parseStoreUrl(url);
  const opener = OPENERS[parsed.protocol];
  if (!opener) {
    throw new StorageError('Internal', `unsupported storage URL ${JSON.stringify(url)}: use one of ${storeSchemes().map((s) => `${s}://`).join(', ')} or a file path`);
  }
  return opener(parsed, url);
}

function parseStoreUrl(url: string): URL {
  // Anything without a scheme (or a Windows-style drive letter) is a file path for sqlite.
  if (!/^[a-z][a-z0-9+.-]+:/i.test(url)) {
    const u = new URL('sqlite:///');
    u.pathname = path.resolve(url);
    return u;
  }
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (RAW_AUTHORITY.has(scheme)) return new URL(`${scheme}//`);
  return new URL(url);
}

function sqlitePath(url: URL): string {
  if (url.host !== '' && url.host !== 'localhost') {
    throw new StorageError('Internal', `sqlite URL must name a local file (sqlite:///abs/path), got host ${JSON.stringify(url.host)}`);
  }
  if (url.pathname === '' || url.pathname === '/') throw new StorageError('Internal', 'sqlite URL has no file path');
  return fileURLToPath(new URL(`file://${url.pathname}`));
}
