import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerLogWriter, followLogFile, parseLogText, readLogFile, removeLogFiles, rotatedLogFiles } from './container-log.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'everynode-container-log-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes lines `prefix-0`..`prefix-(n-1)` to stdout. */
function writeLines(w: ContainerLogWriter, prefix: string, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) w.write('stdout', Buffer.from(`${prefix}-${i}\n`));
}

function expected(prefix: string, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix}-${i}\n`;
  return s;
}

describe('ContainerLogWriter rotation', () => {
  it('rotates by size, keeps maxFiles files, each holding whole entries', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path, { maxSizeBytes: 400, maxFiles: 3 });
    writeLines(w, 'line', 100);
    await w.close();
    const rotated = rotatedLogFiles(path);
    expect(rotated).toEqual([`${path}.2`, `${path}.1`]);
    for (const f of [...rotated, path]) {
      const text = readFileSync(f, 'utf8');
      expect(text.length).toBeLessThanOrEqual(400);
      expect(text.endsWith('\n')).toBe(true);
      expect(parseLogText(text).length).toBe(text.split('\n').length - 1);
    }
    // The oldest lines were dropped with the files beyond maxFiles; the rest read in order.
    const all = (await readLogFile(path)).toString();
    const lines = all.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('line-99');
    const first = Number(lines[0]!.slice('line-'.length));
    expect(first).toBeGreaterThan(0);
    expect(all).toBe(expected('line', first, 100));
  });

  it('appends to an existing log after a reopen and rotates when it is full', async () => {
    const path = join(dir, '0.log');
    const a = new ContainerLogWriter(path, { maxSizeBytes: 300, maxFiles: 5 });
    writeLines(a, 'a', 3);
    await a.close();
    const b = new ContainerLogWriter(path, { maxSizeBytes: 300, maxFiles: 5 });
    writeLines(b, 'b', 10);
    await b.close();
    expect(rotatedLogFiles(path).length).toBeGreaterThan(0);
    expect((await readLogFile(path)).toString()).toBe(expected('a', 0, 3) + expected('b', 0, 10));
  });

  it('serves tailLines, sinceTime and timestamps across rotated files', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path, { maxSizeBytes: 200, maxFiles: 50 });
    writeLines(w, 'x', 40);
    await w.close();
    expect(rotatedLogFiles(path).length).toBeGreaterThan(3);
    expect((await readLogFile(path, { tailLines: 15 })).toString()).toBe(expected('x', 25, 40));
    expect((await readLogFile(path, { tailLines: 0 })).toString()).toBe('');
    expect((await readLogFile(path)).toString()).toBe(expected('x', 0, 40));
    // sinceTime at the timestamp of line 20 (timestamps are written in order).
    const entries = [...rotatedLogFiles(path), path].flatMap((f) => parseLogText(readFileSync(f, 'utf8')));
    const t20 = entries[20]!.timeMs;
    const since = (await readLogFile(path, { sinceTime: t20 })).toString();
    expect(since.endsWith(expected('x', 20, 40))).toBe(true);
    expect(since).not.toContain('x-0\n');
    const stamped = (await readLogFile(path, { timestamps: true, tailLines: 2 })).toString();
    expect(stamped).toBe(`${entries[38]!.time} x-38\n${entries[39]!.time} x-39\n`);
  });

  it('joins a line split into fragments across a rotation', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path, { maxSizeBytes: 20_000, maxFiles: 5 });
    // Longer than one entry (16 KiB): written as P fragments then an F entry, which rotate apart.
    const long = 'y'.repeat(40_000);
    w.write('stdout', Buffer.from(`${long}\nafter\n`));
    await w.close();
    expect(rotatedLogFiles(path).length).toBeGreaterThan(0);
    expect((await readLogFile(path)).toString()).toBe(`${long}\nafter\n`);
    expect((await readLogFile(path, { tailLines: 1 })).toString()).toBe('after\n');
    expect((await readLogFile(path, { tailLines: 2 })).toString()).toBe(`${long}\nafter\n`);
  });

  it('follows the log through rotations without losing or repeating entries', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path, { maxSizeBytes: 500, maxFiles: 100 });
    writeLines(w, 'f', 10);
    let done = false;
    let got = '';
    const following = followLogFile(path, { tailLines: 3 }, (c) => (got += c), async () => done, 10);
    // The initial tail is taken before more is written, so the expected text is exact.
    while (!got.includes('f-9\n')) await new Promise((r) => setTimeout(r, 5));
    for (let batch = 0; batch < 20; batch++) {
      writeLines(w, 'f', 5, 10 + batch * 5);
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.close();
    done = true;
    await following;
    expect(rotatedLogFiles(path).length).toBeGreaterThan(5);
    expect(got).toBe(expected('f', 7, 110));
  });

  it('removeLogFiles removes the live and the rotated files', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path, { maxSizeBytes: 100, maxFiles: 4 });
    writeLines(w, 'r', 20);
    await w.close();
    expect(rotatedLogFiles(path).length).toBe(3);
    removeLogFiles(path);
    expect(rotatedLogFiles(path)).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});

describe('container log bytes', () => {
  // Not UTF-8 (0xff 0xfe), a NUL, a two-byte character, then a line of four-byte characters
  // longer than an entry (16 KiB), so its fragments split characters.
  const odd = Buffer.from([0x41, 0xff, 0xfe, 0x42, 0xc3, 0xa9, 0x43, 0x00, 0x44, 0x0a]);
  const long = Buffer.from(`${'é€😀'.repeat(3001)}\n`, 'utf8');

  it('reads back exactly the bytes the container wrote, and limitBytes counts bytes', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path);
    w.write('stdout', odd);
    // Written in two pieces, as a process's output arrives: the first is flushed as a fragment.
    w.write('stdout', long.subarray(0, 17001));
    w.write('stdout', long.subarray(17001));
    await w.close();
    expect(parseLogText(readFileSync(path)).map((e) => e.partial)).toEqual([false, true, false]);
    expect((await readLogFile(path)).equals(Buffer.concat([odd, long]))).toBe(true);
    expect((await readLogFile(path, { limitBytes: 5 })).equals(odd.subarray(0, 5))).toBe(true);
  });

  it('follows them byte for byte, however reads split the file', async () => {
    const path = join(dir, '0.log');
    const w = new ContainerLogWriter(path);
    let done = false;
    const got: Buffer[] = [];
    const following = followLogFile(path, {}, (c) => got.push(c), async () => done, 5);
    for (let i = 0; i < 10; i++) {
      w.write('stdout', odd);
      w.write('stdout', long.subarray(0, 17001));
      w.write('stdout', long.subarray(17001));
      await new Promise((r) => setTimeout(r, 2));
    }
    await w.close();
    done = true;
    await following;
    expect(Buffer.concat(got).equals(Buffer.concat(Array.from({ length: 10 }, () => [odd, long]).flat()))).toBe(true);
  });
});
