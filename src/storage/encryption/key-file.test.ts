// The key file's durability contract (key-file.ts): the new key's content is fsynced before it
// is linked into place, and the directory after the link. Power loss cannot be simulated here,
// so node:fs is wrapped (calls pass through to the real functions) to record the order of the
// operations; the file that results is checked for content, mode and leftovers for real.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDirs } from '../../api/testing/index.js';
import { createEncryptionKeyFile, readEncryptionKeyFile } from './key-file.js';

// `ops`: the recorded operations; `opened`: fd -> the path it was opened with (tells fsyncs apart).
const { ops, opened } = vi.hoisted(() => ({ ops: [] as string[], opened: new Map<number, string>() }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (path: import('node:fs').PathLike, ...rest: unknown[]): number => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    opened.set(fd, String(path));
    return fd;
  };
  const fsyncSync = (fd: number): void => {
    ops.push(`fsync ${opened.get(fd) ?? `fd ${fd}`}`);
    fs.fsyncSync(fd);
  };
  const linkSync = (from: import('node:fs').PathLike, to: import('node:fs').PathLike): void => {
    ops.push(`link ${String(from)} -> ${String(to)}`);
    fs.linkSync(from, to);
  };
  const unlinkSync = (path: import('node:fs').PathLike): void => {
    ops.push(`unlink ${String(path)}`);
    fs.unlinkSync(path);
  };
  const patched = { ...fs, openSync, fsyncSync, linkSync, unlinkSync };
  return { ...patched, default: patched };
});

const tempDir = tempDirs('keyfile');

afterEach(() => {
  ops.length = 0;
  opened.clear();
});

describe('createEncryptionKeyFile durability', () => {
  it('fsyncs the key before linking it into place and the directory after, leaving no temp file', () => {
    const dir = tempDir();
    const file = join(dir, 'secrets-encryption.key');
    const previousUmask = process.umask(0o022);
    let keys;
    try {
      keys = createEncryptionKeyFile(file);
    } finally {
      process.umask(previousUmask);
    }

    const link = ops.findIndex((o) => o.startsWith('link '));
    expect(link, ops.join('\n')).toBeGreaterThanOrEqual(0);
    const tmp = ops[link]!.slice('link '.length, ops[link]!.indexOf(' -> '));
    expect(ops[link]).toBe(`link ${tmp} -> ${file}`);
    // The temp file's content is on disk before the name points at it ...
    expect(ops.slice(0, link)).toContain(`fsync ${tmp}`);
    // ... and the directory entry (with the temp name's removal) is on disk afterwards.
    const unlink = ops.indexOf(`unlink ${tmp}`);
    const dirSync = ops.lastIndexOf(`fsync ${dir}`);
    expect(unlink, ops.join('\n')).toBeGreaterThan(link);
    expect(dirSync, ops.join('\n')).toBeGreaterThan(unlink);

    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(readdirSync(dir)).toEqual(['secrets-encryption.key']);
    expect(readEncryptionKeyFile(file)).toEqual(keys);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# AES-256-GCM keys/);
    expect(text).toContain(`${keys[0]!.name}:${keys[0]!.secret.toString('base64')}\n`);
  });

  it('the loser of a creation race returns the existing key, made durable, and removes its temp file', () => {
    const dir = tempDir();
    const file = join(dir, 'secrets-encryption.key');
    const first = createEncryptionKeyFile(file);
    ops.length = 0;
    expect(createEncryptionKeyFile(file)).toEqual(first);
    expect(ops.at(-1)).toBe(`fsync ${dir}`);
    expect(readdirSync(dir)).toEqual(['secrets-encryption.key']);
  });
});
