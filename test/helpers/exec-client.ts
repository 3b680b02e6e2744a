// A remote command client for tests of exec and attach over WebSocket (v5.channel.k8s.io), as
// kubectl 1.30+ speaks it: typed input, resizes and closing stdin on their channels, output
// collected per channel, the final Status read from the error channel.

import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ServerCredentials } from './auth.js';
import { waitFor } from './wait.js';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;

/** One exec or attach over WebSocket, as kubectl 1.30+ speaks it (client frames masked). */
export class ExecClient {
  stdout = '';
  stderr = '';
  status: { status?: string; details?: { causes?: { reason?: string; message?: string }[] } } | undefined;
  readonly closed: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly socket: Duplex, head: Buffer) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (c: Buffer) => this.push(c));
    if (head.length) this.push(head);
  }

  /** The exit code the status carries (kubectl's: 0 on Success). */
  get exitCode(): number | undefined {
    if (!this.status) return undefined;
    if (this.status.status === 'Success') return 0;
    const cause = this.status.details?.causes?.find((c) => c.reason === 'ExitCode');
    return cause ? Number(cause.message) : -1;
  }

  send(channel: number, data: string | Buffer): void {
    const payload = Buffer.concat([Buffer.from([channel]), Buffer.from(data)]);
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  type(text: string): void {
    this.send(STDIN, text);
  }

  resize(cols: number, rows: number): void {
    this.send(RESIZE, JSON.stringify({ Width: cols, Height: rows }));
  }

  /** Waits until stdout after `from` matches; returns the match and where it ends. */
  async expectOutput(re: RegExp, from: number, timeoutMs = 10_000): Promise<{ match: RegExpExecArray; end: number }> {
    return waitFor(() => {
      const m = re.exec(this.stdout.slice(from));
      return m ? { match: m, end: from + m.index + m[0].length } : undefined;
    }, { timeoutMs, intervalMs: 5, message: `${re} in the terminal output after offset ${from}; output so far: ${JSON.stringify(this.stdout)}` });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (opcode === 0x8) {
        this.socket.end();
        return;
      }
      if (opcode !== 0x2 || payload.length === 0) continue;
      const text = payload.subarray(1).toString('utf8');
      if (payload[0] === STDOUT) this.stdout += text;
      else if (payload[0] === STDERR) this.stderr += text;
      else if (payload[0] === ERROR) this.status = JSON.parse(text) as ExecClient['status'];
    }
  }
}

/**
 * Opens `pods/POD/SUBRESOURCE` (exec or attach) of namespace `namespace` on the server at `url`
 * as a v5.channel.k8s.io WebSocket with the query `q`; rejects with the status and body of a
 * refused upgrade (`no upgrade: 400 ...`).
 */
export function openRemoteCommand(c: { url: URL; creds: ServerCredentials }, namespace: string, pod: string, subresource: 'exec' | 'attach', q: URLSearchParams): Promise<ExecClient> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: c.url.hostname,
      port: c.url.port,
      path: `/api/v1/namespaces/${namespace}/pods/${pod}/${subresource}?${q.toString()}`,
      method: 'GET',
      ca: c.creds.caPem,
      headers: {
        authorization: `Bearer ${c.creds.token}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'v5.channel.k8s.io',
      },
    });
    req.on('upgrade', (res, socket, head) => {
      if (res.headers['sec-websocket-protocol'] !== 'v5.channel.k8s.io') reject(new Error(`protocol ${String(res.headers['sec-websocket-protocol'])}`));
      else resolve(new ExecClient(socket, head));
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`no upgrade: ${res.statusCode} ${body}`)));
    });
    req.on('error', reject);
    req.end();
  });
}
