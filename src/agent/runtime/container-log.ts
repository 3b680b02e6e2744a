// Container log files in the CRI format, written by runtimes and read for `kubectl logs`.
//
// One entry per line: `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`. `F` ends a line of
// the container's output; `P` is a fragment of a longer line that continues in the next entry
// (lines longer than `maxLineBytes`, or output not yet newline-terminated when the stream ends).
// Reading joins fragments back: the content of a `P` entry is printed without a newline.

import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
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

export function formatLogEntry(time: string, stream: LogStream, partial: boolean, content: string): string {
  return `${time} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

export interface LogEntry {
  time: string;
  timeMs: number;
  stream: LogStream;
  partial: boolean;
  content: string;
}

export function parseLogEntry(line: string): LogEntry | undefined {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  const c = b < 0 ? -1 : line.indexOf(' ', b + 1);
  if (c < 0) return undefined;
  const time = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  const timeMs = Date.parse(time);
  if (Number.isNaN(timeMs)) return undefined;
  return { time, timeMs, stream, partial: tag === 'P', content: line.slice(c + 1) };
}

/**
 * Appends a container's output to a CRI log file. Each stream is split into lines independently;
 * `close()` flushes unterminated output as a `P` fragment followed by nothing (as CRI runtimes do).
 */
export class ContainerLogWriter {
  private readonly out: WriteStream;
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private closed = false;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', () => {
      // A log that cannot be written must not take the agent down; output is dropped.
    });
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
    this.out.write(formatLogEntry(formatRFC3339Nano(nowNanos()), stream, partial, content.toString('utf8')));
  }

  private flushPartial(stream: LogStream): void {
    if (this.pendingBytes[stream] > 0) this.emit(stream, Buffer.alloc(0), true);
  }

  /** Flushes unterminated output and closes the file; resolves when it is on disk. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flushPartial('stdout');
    this.flushPartial('stderr');
    this.closed = true;
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** Renders entries as `kubectl logs` prints them, applying sinceTime, tailLines, limitBytes. */
export function renderLogEntries(entries: LogEntry[], options: LogOptions = {}): string {
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
  let out = '';
  let atLineStart = true;
  for (const e of selected) {
    if (options.timestamps && atLineStart) out += `${e.time} `;
    out += e.content;
    if (!e.partial) out += '\n';
    atLineStart = !e.partial;
  }
  if (options.limitBytes !== undefined) {
    const buf = Buffer.from(out, 'utf8');
    if (buf.length > options.limitBytes) out = buf.subarray(0, Math.max(0, options.limitBytes)).toString('utf8');
  }
  return out;
}

export function parseLogText(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = parseLogEntry(line);
    if (e) entries.push(e);
  }
  return entries;
}

/** Reads a CRI log file as `kubectl logs` prints it. A missing file reads as empty. */
export async function readLogFile(path: string, options: LogOptions = {}): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  return renderLogEntries(parseLogText(text), options);
}

/**
 * Follows a CRI log file: first what `readLogFile` selects, then every complete entry appended
 * later, polling every `pollMs`. Ends when `isDone()` is true and the file is drained, or on abort.
 * `limitBytes` applies to the whole stream.
 */
export async function followLogFile(
  path: string,
  options: FollowOptions,
  onData: (chunk: string) => void,
  isDone: () => Promise<boolean>,
  pollMs = 200,
): Promise<void> {
  const signal = options.signal;
  let sent = 0;
  const send = (s: string): boolean => {
    if (!s) return true;
    if (options.limitBytes !== undefined) {
      const room = options.limitBytes - sent;
      const buf = Buffer.from(s, 'utf8');
      if (buf.length >= room) {
        if (room > 0) onData(buf.subarray(0, room).toString('utf8'));
        sent = options.limitBytes;
        return false;
      }
      sent += buf.length;
    }
    onData(s);
    return true;
  };
  let offset = 0;
  let carry = '';
  let first = true;
  let atLineStart = true;
  for (;;) {
    if (signal?.aborted) return;
    const done = await isDone();
    let size = 0;
    try {
      size = (await stat(path)).size;
    } catch {
      size = 0;
    }
    if (size > offset) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        const text = carry + buf.subarray(0, bytesRead).toString('utf8');
        const lastNl = text.lastIndexOf('\n');
        carry = lastNl < 0 ? text : text.slice(lastNl + 1);
        const complete = lastNl < 0 ? '' : text.slice(0, lastNl + 1);
        const entries = parseLogText(complete);
        let out: string;
        if (first) {
          out = renderLogEntries(entries, { ...options, limitBytes: undefined });
          first = false;
          atLineStart = entries.length === 0 || !entries[entries.length - 1]!.partial;
        } else {
          out = '';
          for (const e of entries) {
            if (options.timestamps && atLineStart) out += `${e.time} `;
            out += e.content + (e.partial ? '' : '\n');
            atLineStart = !e.partial;
          }
        }
        if (!send(out)) return;
      } finally {
        await fh.close();
      }
    } else if (first) {
      first = false;
    }
    if (done && size <= offset) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
