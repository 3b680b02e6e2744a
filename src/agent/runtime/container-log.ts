// Container log files in the CRI format, written by runtimes and read for `kubectl logs`.
//
// One entry per line: `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`. `F` ends a line of
// the container's output; `P` is a fragment of a longer line that continues in the next entry
// (lines longer than `maxLineBytes`, or output not yet newline-terminated when the stream ends).
// Reading joins fragments back: the content of a `P` entry is printed without a newline.
// Content is bytes, kept as the container wrote them (a log need not be UTF-8, and a long line's
// fragments may split a character): entries are read, selected and rendered as Buffers, as the
// kubelet reads CRI logs, and `limitBytes` counts bytes.

import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FollowOptions, LogOptions } from './interface.js';

export type LogStream = 'stdout' | 'stderr';

const maxLineBytes = 16 * 1024;

// Nanosecond wall clock: Date.now() anchored once, advanced by the monotonic hrtime, so entries
// written by one agent carry strictly increasing-ish, sub-millisecond timestamps.
const anchorMs = BigInt(Date.now());
const anchorHr = process.hrtime.bigint();

function nowNanos(): bigint {
  return anchorMs * 1_000_000n + (process.hrtime.bigint() - anchorHr);
}

/** Go's time.RFC3339Nano in UTC: fractional seconds with trailing zeros trimmed. */
export function formatRFC3339Nano(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  let frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  return `${base}${frac}Z`;
}

/** One entry of the file: its header, the content bytes as they are, a newline. */
export function formatLogEntry(time: string, stream: LogStream, partial: boolean, content: Buffer | string): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return Buffer.concat([Buffer.from(`${time} ${stream} ${partial ? 'P' : 'F'} `, 'latin1'), body, newline]);
}

const newline = Buffer.from('\n');

export interface LogEntry {
  time: string;
  timeMs: number;
  stream: LogStream;
  partial: boolean;
  /** The bytes the container wrote (no newline). */
  content: Buffer;
}

/** One line of a log file (without its newline), or undefined when it is not an entry. */
export function parseLogEntry(line: Buffer): LogEntry | undefined {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  const c = b < 0 ? -1 : line.indexOf(0x20, b + 1);
  if (c < 0) return undefined;
  const time = line.toString('latin1', 0, a);
  const stream = line.toString('latin1', a + 1, b);
  const tag = line.toString('latin1', b + 1, c);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  const timeMs = Date.parse(time);
  if (Number.isNaN(timeMs)) return undefined;
  return { time, timeMs, stream, partial: tag === 'P', content: line.subarray(c + 1) };
}

/** Size-based rotation of a container log (the kubelet's containerLogMaxSize/MaxFiles). */
export interface LogRotation {
  /** The live file is rotated before a write would take it past this size. */
  maxSizeBytes: number;
  /** Files kept per container, the live one included (at least 2). */
  maxFiles: number;
}

/** The kubelet's defaults: 10 MiB, 5 files. */
export const defaultLogRotation: LogRotation = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };

/**
 * The rotated files of the log at `path` (`<path>.1` newest … `<path>.N` oldest), oldest first.
 * The live file itself is not included.
 */
export function rotatedLogFiles(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: { n: number; file: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const suffix = name.slice(base.length + 1);
    if (/^[1-9][0-9]*$/.test(suffix)) found.push({ n: Number(suffix), file: join(dir, name) });
  }
  return found.sort((a, b) => b.n - a.n).map((f) => f.file);
}

/** Removes a container log and its rotated files. */
export function removeLogFiles(path: string): void {
  for (const f of [...rotatedLogFiles(path), path]) rmSync(f, { force: true });
}

/**
 * Appends a container's output to a CRI log file, rotating it by size: before a write would take
 * the live file past `maxSizeBytes`, `<path>.k` becomes `<path>.k+1` (the oldest beyond
 * `maxFiles - 1` is deleted), the live file becomes `<path>.1` and a new live file is started.
 *
 * Invariants: every entry is one synchronous write, so a file always holds whole entries and
 * whatever a reader sees before a rotation is complete; rotation renames files under open readers
 * (a follower drains the renamed file through its descriptor, then moves to the new one). Each
 * stream is split into lines independently; `close()` flushes unterminated output as a `P`
 * fragment (as CRI runtimes do).
 */
export class ContainerLogWriter {
  private fd: number | undefined;
  private size = 0;
  private readonly rotation: LogRotation;
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private closed = false;

  constructor(readonly path: string, rotation: LogRotation = defaultLogRotation) {
    this.rotation = { maxSizeBytes: Math.max(1, rotation.maxSizeBytes), maxFiles: Math.max(2, Math.floor(rotation.maxFiles)) };
    this.openLive();
  }

  private openLive(): void {
    try {
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
    } catch {
      // A log that cannot be written must not take the agent down; output is dropped.
      this.fd = undefined;
      this.size = 0;
    }
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    try {
      const keep = this.rotation.maxFiles - 1;
      for (const f of rotatedLogFiles(this.path)) {
        const n = Number(f.slice(this.path.length + 1));
        if (n >= keep) rmSync(f, { force: true });
      }
      for (let k = keep - 1; k >= 1; k--) {
        try {
          renameSync(`${this.path}.${k}`, `${this.path}.${k + 1}`);
        } catch {
          // no such rotated file yet
        }
      }
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // Rotation failed (file gone): go on writing to a fresh live file.
    }
    this.openLive();
  }

  private append(buf: Buffer): void {
    if (this.size > 0 && this.size + buf.length > this.rotation.maxSizeBytes) this.rotate();
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, buf);
      this.size += buf.length;
    } catch {
      // Disk full or file gone: the entry is dropped.
    }
  }

  write(stream: LogStream, chunk: Buffer): void {
    if (this.closed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.emit(stream, chunk.subarray(start, nl), false);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending[stream].push(Buffer.from(rest));
      this.pendingBytes[stream] += rest.length;
      if (this.pendingBytes[stream] >= maxLineBytes) this.flushPartial(stream);
    }
  }

  private emit(stream: LogStream, tail: Buffer, partial: boolean): void {
    const parts = this.pending[stream];
    const content = parts.length ? Buffer.concat([...parts, tail]) : tail;
    this.pending[stream] = [];
    this.pendingBytes[stream] = 0;
    this.append(formatLogEntry(formatRFC3339Nano(nowNanos()), stream, partial, content));
  }

  private flushPartial(stream: LogStream): void {
    if (this.pendingBytes[stream] > 0) this.emit(stream, Buffer.alloc(0), true);
  }

  /** Flushes unterminated output and closes the file (writes are synchronous: it is on disk). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flushPartial('stdout');
    this.flushPartial('stderr');
    this.closed = true;
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
    return Promise.resolve();
  }
}

/** Renders entries as `kubectl logs` prints them, applying sinceTime, tailLines, limitBytes (bytes). */
export function renderLogEntries(entries: LogEntry[], options: LogOptions = {}): Buffer {
  let selected = entries;
  if (options.sinceTime !== undefined) {
    const since = options.sinceTime;
    selected = selected.filter((e) => e.timeMs >= since);
  }
  if (options.tailLines !== undefined) {
    // A "line" is a run of P fragments closed by an F entry.
    const n = Math.max(0, options.tailLines);
    let lines = 0;
    let i = selected.length;
    while (i > 0 && lines < n) {
      i--;
      if (!selected[i]!.partial || i === selected.length - 1) {
        // count the line this entry closes, then walk back over its fragments
        lines++;
        while (i > 0 && selected[i - 1]!.partial) i--;
      }
    }
    selected = n === 0 ? [] : selected.slice(i);
  }
  const out = Buffer.concat(renderParts(selected, options.timestamps === true, true));
  return options.limitBytes !== undefined && out.length > options.limitBytes ? out.subarray(0, Math.max(0, options.limitBytes)) : out;
}

/** The pieces of `entries` as printed, each line prefixed by its time with `timestamps` when it starts a line (`atLineStart`). */
function renderParts(entries: LogEntry[], timestamps: boolean, atLineStart: boolean): Buffer[] {
  const parts: Buffer[] = [];
  let start = atLineStart;
  for (const e of entries) {
    if (timestamps && start) parts.push(Buffer.from(`${e.time} `, 'latin1'));
    parts.push(e.content);
    if (!e.partial) parts.push(newline);
    start = !e.partial;
  }
  return parts;
}

/** The entries of a log file's bytes (lines that are not entries skipped). */
export function parseLogText(text: Buffer | string): LogEntry[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const entries: LogEntry[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    if (end > start) {
      const e = parseLogEntry(buf.subarray(start, end));
      if (e) entries.push(e);
    }
    start = end + 1;
  }
  return entries;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

function completeLines(entries: LogEntry[]): number {
  let n = 0;
  for (const e of entries) if (!e.partial) n++;
  return n;
}

/**
 * Entries of the older files (rotated, oldest first) that precede `newer`, reading newest first
 * and stopping early once a `tailLines` selection (without `sinceTime`) is covered: a tail of N
 * lines needs N+1 complete lines read, so fragments continued across a file boundary stay whole.
 */
async function prependOlder(older: string[], newer: LogEntry[], options: LogOptions): Promise<LogEntry[]> {
  let entries = newer;
  const tailOnly = options.tailLines !== undefined && options.sinceTime === undefined;
  for (let i = older.length - 1; i >= 0; i--) {
    if (tailOnly && completeLines(entries) > options.tailLines!) break;
    entries = [...parseLogText(await readBytes(older[i]!)), ...entries];
    if (options.sinceTime !== undefined && entries.length > 0 && entries[0]!.timeMs < options.sinceTime) break;
  }
  return entries;
}

/**
 * Reads a container log, its rotated files included, as `kubectl logs` prints it. A missing
 * file reads as empty. A rotation during the read can make the answer miss or repeat the
 * entries of one file; followers (below) see every entry exactly once.
 */
export async function readLogFile(path: string, options: LogOptions = {}): Promise<Buffer> {
  const older = rotatedLogFiles(path);
  const live = parseLogText(await readBytes(path));
  return renderLogEntries(await prependOlder(older, live, options), options);
}

/**
 * The rotated files of the log at `path`, oldest first, as open handles (a rotated file is
 * never written again, so a handle reads it whole even once it is renamed or deleted). Names
 * shift with every rotation, so the listing is taken again until no rotation ran during it.
 */
async function openRotated(path: string): Promise<{ fh: FileHandle; ino: number }[]> {
  for (let attempt = 1; ; attempt++) {
    const names = rotatedLogFiles(path);
    const out: { fh: FileHandle; ino: number; name: string }[] = [];
    for (const name of names) {
      try {
        const fh = await open(name, 'r');
        out.push({ fh, ino: (await fh.stat()).ino, name });
      } catch {
        // dropped meanwhile (the check below sees the change)
      }
    }
    let stable = out.length === names.length && rotatedLogFiles(path).join('\0') === names.join('\0');
    for (const r of out) {
      if (!stable) break;
      try {
        stable = (await stat(r.name)).ino === r.ino;
      } catch {
        stable = false;
      }
    }
    if (stable || attempt >= 10) return out.map(({ fh, ino }) => ({ fh, ino }));
    await Promise.all(out.map((r) => r.fh.close()));
  }
}

/**
 * Follows a container log: first what `readLogFile` selects (rotated files included), then every
 * complete entry appended later, polling every `pollMs`. When the live file is rotated, the
 * renamed file is drained through the open descriptor before the new live file is read, so no
 * entry is lost or repeated. Ends when `isDone()` is true and the log is drained, or on abort.
 * `limitBytes` applies to the whole stream.
 */
export async function followLogFile(
  path: string,
  options: FollowOptions,
  onData: (chunk: Buffer) => void,
  isDone: () => Promise<boolean>,
  pollMs = 200,
): Promise<void> {
  const signal = options.signal;
  let sent = 0;
  const send = (buf: Buffer): boolean => {
    if (buf.length === 0) return true;
    if (options.limitBytes !== undefined) {
      const room = options.limitBytes - sent;
      if (buf.length >= room) {
        if (room > 0) onData(buf.subarray(0, room));
        sent = options.limitBytes;
        return false;
      }
      sent += buf.length;
    }
    onData(buf);
    return true;
  };

  let fh: FileHandle | undefined;
  let ino: number | undefined;
  let pos = 0;
  let carry: Buffer = Buffer.alloc(0);
  const openLive = async (): Promise<void> => {
    try {
      fh = await open(path, 'r');
      ino = (await fh.stat()).ino;
    } catch {
      fh = undefined;
      ino = undefined;
    }
    pos = 0;
    carry = Buffer.alloc(0);
  };
  /** Complete entries appended to the open file since the last call. */
  const readNew = async (): Promise<LogEntry[]> => {
    if (!fh) return [];
    const chunks: Buffer[] = [carry];
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      chunks.push(buf.subarray(0, bytesRead));
    }
    const text = Buffer.concat(chunks);
    const lastNl = text.lastIndexOf(0x0a);
    carry = lastNl < 0 ? text : Buffer.from(text.subarray(lastNl + 1));
    return lastNl < 0 ? [] : parseLogText(text.subarray(0, lastNl + 1));
  };
  const liveIno = async (): Promise<number | undefined> => {
    try {
      return (await stat(path)).ino;
    } catch {
      return undefined;
    }
  };

  try {
    // The live file is opened before the rotated ones are listed: a rotation in between shows
    // the opened file among the rotated ones, where it is skipped.
    await openLive();
    const older: string[] = [];
    for (const f of rotatedLogFiles(path)) {
      let fIno: number | undefined;
      try {
        fIno = (await stat(f)).ino;
      } catch {
        continue;
      }
      if (fIno !== ino) older.push(f);
    }
    const initial = await prependOlder(older, await readNew(), options);
    let atLineStart = initial.length === 0 || !initial[initial.length - 1]!.partial;
    if (!send(renderLogEntries(initial, { ...options, limitBytes: undefined }))) return;
    options.onFollowing?.();

    const render = (entries: LogEntry[]): Buffer => {
      const out = Buffer.concat(renderParts(entries, options.timestamps === true, atLineStart));
      if (entries.length > 0) atLineStart = !entries[entries.length - 1]!.partial;
      return out;
    };
    for (;;) {
      if (signal?.aborted) return;
      const done = await isDone();
      const entries = await readNew();
      if (!send(render(entries))) return;
      const current = await liveIno();
      if (current !== undefined && current !== ino) {
        // Rotated (or created). Entries may have been appended to the old file between the read
        // above and the rename just seen; after the rename nothing more arrives in it (writes
        // are whole and synchronous), so one more read drains it. Files rotated after it while
        // we slept are read whole, oldest first, then the new live file from its start.
        if (!send(render(await readNew()))) return;
        const oldIno = ino;
        await fh?.close();
        await openLive();
        const rotated = await openRotated(path);
        try {
          const oldAt = rotated.findIndex((r) => r.ino === oldIno);
          // oldAt < 0: the old file is gone (rotated beyond maxFiles), so every rotated file is newer.
          let lastRead = oldIno;
          for (const r of rotated.slice(oldAt + 1)) {
            // The file just opened as the live one was itself rotated meanwhile: it is read
            // through its descriptor next, and the files newer than it after it, at the rotation
            // the next pass sees. (Reading those now put them ahead of it.)
            if (r.ino === ino) break;
            if (!send(render(parseLogText(await r.fh.readFile())))) return;
            lastRead = r.ino;
          }
          // No live file right now (caught between a rename and the new file, as the thread
          // pool can be): remember where reading stopped, so the next rotation goes on from there.
          if (fh === undefined) ino = lastRead;
        } finally {
          await Promise.all(rotated.map((r) => r.fh.close()));
        }
        continue;
      }
      if (done && entries.length === 0) return;
      await new Promise<void>((resolve) => {
        // One listener per wait, removed when the wait ends (they piled up on long follows).
        const onAbort = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, pollMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  } finally {
    await fh?.close();
  }
}
