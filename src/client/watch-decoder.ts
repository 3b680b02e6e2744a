// Decoder for the watch stream: one JSON object per line. Robust to chunk boundaries anywhere,
// including inside a multi-byte UTF-8 character. Blank lines are skipped; a line that is not
// JSON is reported through `onBadLine` and skipped (client-node drops such lines too).

import { StringDecoder } from 'node:string_decoder';
import type { WatchEvent } from './api-client.js';
import { isWatchObjectChunk, type BodyChunk } from './transport.js';

export class WatchDecoder {
  private readonly utf8 = new StringDecoder('utf8');
  private buf = '';

  constructor(private readonly onBadLine?: (line: string, err: unknown) => void) {}

  /** Feeds one chunk; returns the complete events it finished (an object chunk is one event). */
  push(chunk: BodyChunk): WatchEvent[] {
    if (isWatchObjectChunk(chunk)) {
      // Writers hand over whole lines, so no partial line precedes an object; any complete
      // ones go first to keep the order.
      const out = this.buf ? this.push('') : [];
      out.push(chunk.watchEvent);
      return out;
    }
    this.buf += typeof chunk === 'string' ? chunk : this.utf8.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const out: WatchEvent[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.parse(line, out);
    }
    return out;
  }

  /** Flushes a final line that had no trailing newline. */
  end(): WatchEvent[] {
    this.buf += this.utf8.end();
    const out: WatchEvent[] = [];
    const line = this.buf;
    this.buf = '';
    this.parse(line, out);
    return out;
  }

  private parse(line: string, out: WatchEvent[]): void {
    const t = line.trim();
    if (!t) return;
    try {
      const v = JSON.parse(t) as WatchEvent;
      if (v && typeof v === 'object' && typeof v.type === 'string') out.push(v);
      else this.onBadLine?.(t, new Error('not a watch event'));
    } catch (e) {
      this.onBadLine?.(t, e);
    }
  }
}
