// A minimal WebSocket client for tests that check the server's framing itself (subprotocols,
// channel bytes, text or binary messages), which client libraries hide: one GET upgrade with the
// kubeconfig's credentials, then every message the server sends until it closes.

import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { Socket } from 'node:net';
import { loadKubeconfig } from '../../src/client/index.js';

export interface WebSocketRead {
  /** The upgrade's status: 101, or the refusal's (then `body` is its text). */
  status: number;
  /** The subprotocol the server chose (the Sec-WebSocket-Protocol answer header). */
  protocol: string | undefined;
  /** Data messages in order: opcode 1 (text) or 2 (binary) and the payload. */
  messages: { opcode: number; data: Buffer }[];
  /** Whether the server sent a close frame. */
  closed: boolean;
  body: string;
}

export interface ReadWebSocketOptions {
  /**
   * How the kubeconfig's token is sent: an Authorization header (default), as a browser does
   * (the `base64url.bearer.authorization.k8s.io.` subprotocol, first), or not at all.
   */
  token?: 'header' | 'subprotocol' | 'none';
  /** Stops reading (the client closes) once this holds for the messages read so far. */
  until?: (messages: WebSocketRead['messages']) => boolean;
  /** Extra request headers (an Origin, ...). */
  headers?: Record<string, string>;
}

/**
 * Opens `path` of the kubeconfig's server as a WebSocket offering `protocols` (none: no header),
 * and reads every message until the server closes, ends the connection, `until` holds, or
 * `timeoutMs` passes (then it rejects).
 */
export function readWebSocket(kubeconfigPath: string, path: string, protocols: string[], timeoutMs = 20_000, o: ReadWebSocketOptions = {}): Promise<WebSocketRead> {
  const kc = loadKubeconfig(kubeconfigPath);
  const url = new URL(path, kc.server);
  const headers: Record<string, string> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
  };
  const token = o.token ?? 'header';
  const offered = token === 'subprotocol' && kc.token ? [`base64url.bearer.authorization.k8s.io.${Buffer.from(kc.token).toString('base64url')}`, ...protocols] : protocols;
  if (offered.length) headers['sec-websocket-protocol'] = offered.join(', ');
  if (kc.token && token === 'header') headers['authorization'] = `Bearer ${kc.token}`;
  Object.assign(headers, o.headers ?? {});
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers, ca: kc.ca, cert: kc.cert, key: kc.key, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`websocket ${path}: no end within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, protocol: undefined, messages: [], closed: false, body });
      });
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      const out: WebSocketRead = { status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] as string | undefined, messages: [], closed: false, body: '' };
      let buf = head;
      const finish = (): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(out);
      };
      const parse = (): void => {
        for (;;) {
          if (buf.length < 2) return;
          const opcode = buf[0]! & 0x0f;
          let len = buf[1]! & 0x7f;
          let at = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            at = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            at = 10;
          }
          if (buf.length < at + len) return;
          const data = buf.subarray(at, at + len);
          buf = buf.subarray(at + len);
          if (opcode === 0x8) {
            out.closed = true;
            return finish();
          }
          if (opcode === 0x1 || opcode === 0x2) out.messages.push({ opcode, data: Buffer.from(data) });
          if (o.until?.(out.messages)) return finish();
        }
      };
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        parse();
      });
      socket.on('end', finish);
      socket.on('error', finish);
      parse();
    });
    req.end();
  });
}
