import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes with the mode, skips an unchanged file (mode still enforced), and leaves no temporary file when a write fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'));
    dirs.push(dir);
    const f = join(dir, 'kubeconfig.yaml');
    writeFileAtomic(f, 'a', 0o600);
    expect([readFileSync(f, 'utf8'), statSync(f).mode & 0o777]).toEqual(['a', 0o600]);
    const inode = statSync(f).ino;
    writeFileSync(f, 'a', { mode: 0o644 });
    writeFileAtomic(f, 'a', 0o600);
    expect(statSync(f).ino).toBe(inode); // not replaced
    expect(statSync(f).mode & 0o777).toBe(0o600);
    // A path whose temporary file cannot be renamed over a directory fails, names the path, and cleans up.
    const target = join(dir, 'is-a-dir');
    mkdirSync(target);
    expect(() => writeFileAtomic(target, 'b', 0o600)).toThrow(target);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
