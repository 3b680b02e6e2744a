// Test helpers for the unit tests of src/api (not part of the build).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ApiError } from '../errors.js';

/** Runs `fn` and returns the ApiError it throws; fails when it throws something else or nothing. */
export function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

/** Freezes `v` and everything reachable from it, so a test fails if the code under test mutates its input. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * Temporary directories for one test file: `const tempDir = tempDirs('authn')` at the top
 * level, then `tempDir()` in a test; each directory is removed after the test that made it.
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), `everynode-${prefix}-`));
    dirs.push(d);
    return d;
  };
}

/** Collects the JSON lines of a streamed answer (a watch) into `into` as they arrive. */
export function collectJsonLines<T>(res: NodeJS.ReadableStream, into: T[]): void {
  let buf = '';
  res.on('data', (c: Buffer | string) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      into.push(JSON.parse(buf.slice(0, i)) as T);
      buf = buf.slice(i + 1);
    }
  });
}
