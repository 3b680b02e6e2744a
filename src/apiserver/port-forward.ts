// `kubectl port-forward` (pods/portforward): the portforward.k8s.io protocol over SPDY/3.1,
// either on the upgraded connection itself (kubectl before 1.31, and its fallback) or tunneled
// in binary WebSocket messages (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl 1.31+).
// Each forwarded connection is bridged to the pod's agent (`POST /portForward/NS/POD?port=N`,
// agent log-server.ts), which connects to the port in the pod's network.
//
// Contract (the kubelet's side of the protocol):
// - The client opens two streams per connection it forwards, with headers `streamType`
//   (`error` or `data`), `port` and `requestID`; every stream is answered (SYN_REPLY) at once.
// - Data stream bytes go to the port and back. The client ending its side (FIN) ends the
//   request body, a half close towards the port; the port closing ends the data stream.
// - A failure (bad port header, no agent, nothing listening) is written as text on the
//   request's error stream, as the kubelet does; kubectl prints it and closes the connection.
//   Both streams of a request are ended (FIN) when it is over, so the client's reader of the
//   error stream always returns.
// - A client reset (RST_STREAM) of the data stream drops that connection to the port.
// - Backpressure: a client that does not read holds the agent's answer (and so the port); a
//   port that does not take data holds the client's connection.
// - Everything ends with the client's connection: every bridge to an agent is destroyed.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { agentRequest } from './pod-log.js';
import { RST, SpdySession, type SpdyHeaders } from './spdy.js';

/** The protocol name kubectl asks for (`X-Stream-Protocol-Version`, or after the tunneling prefix). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol of SPDY tunneled in WebSocket messages. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** Most forwarded connections one client connection may have at once. */
const MAX_FORWARDS = 256;

export interface PortForwardTarget {
  nodeName: string;
  ep: { host: string; port: number };
  namespace: string;
  pod: string;
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined;
}

/** The upgraded connection, whatever carries it: raw SPDY bytes or WebSocket messages. */
export interface ByteTransport {
  /** Writes bytes; false when the transport's buffer is full ('drain' follows). */
  send(bytes: Buffer): boolean;
  /** Ends the connection. */
  close(): void;
  /** Stops / restarts reading from the client. */
  pause(): void;
  resume(): void;
}

interface Forward {
  requestId: string;
  port: number | undefined;
  portText: string;
  errorStream?: number;
  dataStream?: number;
  up?: ClientRequest;
  res?: IncomingMessage;
  /** An error found before the error stream arrived. */
  pendingError?: string;
  finished: boolean;
}

/** The request a stream belongs to: its `requestID`, or for clients without one the kubelet's stream-id rule. */
function requestIdOf(id: number, type: string, headers: SpdyHeaders): string {
  const h = headers.get('requestid')?.[0];
  if (h !== undefined && h !== '') return h;
  return String(type === 'data' ? id - 2 : id);
}

/**
 * Serves one port-forward connection. Returns what the caller feeds: the client's bytes (in
 * order), the transport draining, and the transport closing.
 */
export function servePortForward(t: PortForwardTarget, transport: ByteTransport): { push(bytes: Buffer): void; drain(): void; closed(): void } {
  const byRequest = new Map<string, Forward>();
  const byStream = new Map<number, Forward>();
  const paused = new Set<IncomingMessage>();
  /** Forwards whose agent request is full: the client is read again once none is left. */
  const backedUp = new Set<Forward>();
  let closed = false;
  const holdClient = (f: Forward): void => {
    backedUp.add(f);
    transport.pause();
  };
  const releaseClient = (f: Forward): void => {
    if (!backedUp.delete(f) || backedUp.size > 0 || closed) return;
    transport.resume();
  };

  const session = new SpdySession((b) => (closed ? true : transport.send(b)), {
    stream(id, headers, fin) {
      const type = (headers.get('streamtype')?.[0] ?? '').toLowerCase();
      if (type !== 'error' && type !== 'data') {
        session.reset(id, RST.protocolError);
        return;
      }
      session.reply(id);
      const requestId = requestIdOf(id, type, headers);
      let f = byRequest.get(requestId);
      if (!f) {
        if (byRequest.size >= MAX_FORWARDS) {
          session.reset(id, RST.refusedStream);
          return;
        }
        const portText = headers.get('port')?.[0] ?? '';
        const n = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
        f = { requestId, port: n >= 1 && n <= 65535 ? n : undefined, portText, finished: false };
        byRequest.set(requestId, f);
      }
      byStream.set(id, f);
      if (type === 'error') {
        f.errorStream = id;
        if (f.finished) endRequest(f);
        return;
      }
      if (f.dataStream !== undefined) {
        session.reset(id, RST.protocolError);
        return;
      }
      f.dataStream = id;
      if (f.port === undefined) return finish(f, `unable to parse '${f.portText}' as a port: must be an integer in 1-65535`);
      start(f);
      if (fin) f.up?.end();
    },
    data(id, data, fin) {
      const f = byStream.get(id);
      if (!f || f.finished || id !== f.dataStream || !f.up) return; // the error stream carries nothing from the client
      if (data.length > 0 && !f.up.write(data)) holdClient(f);
      if (fin) f.up.end();
    },
    reset(id) {
      const f = byStream.get(id);
      if (!f) return;
      if (id !== f.dataStream) {
        // The error stream reset before any data stream came (the client gave up on the pair).
        if (f.dataStream === undefined) {
          byRequest.delete(f.requestId);
          byStream.delete(id);
        }
        return;
      }
      f.up?.destroy();
      if (!f.finished) finish(f, undefined);
    },
    goAway() {
      shutdown();
    },
    error() {
      // a GOAWAY was sent; goAway() follows
    },
  });

  function start(f: Forward): void {
    const path = `/portForward/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}?port=${f.port}`;
    let up: ClientRequest;
    try {
      up = agentRequest(t.nodeName, t.ep, 'POST', path, t.kubeletClient, (res) => {
        if (f.finished) {
          res.destroy();
          return;
        }
        f.res = res;
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (c: Buffer) => {
            if (text.length < 16 * 1024) text += c.toString('utf8');
          });
          res.on('end', () => finish(f, text.trim() || `the agent of node ${t.nodeName} answered ${res.statusCode}`));
          res.on('error', () => finish(f, `lost the connection to the agent of node ${t.nodeName}`));
          return;
        }
        res.on('data', (c: Buffer) => {
          if (f.finished || f.dataStream === undefined) return;
          if (!session.data(f.dataStream, c)) {
            res.pause();
            paused.add(res);
          }
        });
        res.on('end', () => finish(f, undefined));
        res.on('error', () => finish(f, `lost the connection to the agent of node ${t.nodeName}`));
      });
    } catch (err) {
      return finish(f, `cannot reach the agent of node ${t.nodeName}: ${err instanceof Error ? err.message : String(err)}`);
    }
    f.up = up;
    up.on('error', (err) => finish(f, `cannot reach the agent of node ${t.nodeName}: ${err.message}`));
    up.on('drain', () => releaseClient(f));
    up.flushHeaders();
  }

  /** Ends a forwarded connection: its error (if any) on the error stream, then FIN on both streams. */
  function finish(f: Forward, error: string | undefined): void {
    if (f.finished) return;
    f.finished = true;
    if (error !== undefined) {
      f.pendingError = `error forwarding port ${f.portText} to pod ${t.namespace}/${t.pod}: ${error}`;
      f.up?.destroy();
    }
    if (f.res) paused.delete(f.res);
    releaseClient(f); // a forward that ends while backed up no longer holds the client
    if (f.dataStream !== undefined && !closed) session.data(f.dataStream, Buffer.alloc(0), true);
    endRequest(f);
  }

  /** Writes the pending error and ends the error stream, once both the request is over and the stream exists. */
  function endRequest(f: Forward): void {
    if (f.errorStream === undefined || closed) return;
    if (f.pendingError) session.data(f.errorStream, Buffer.from(f.pendingError, 'utf8'));
    session.data(f.errorStream, Buffer.alloc(0), true);
    byRequest.delete(f.requestId);
    byStream.delete(f.errorStream);
    if (f.dataStream !== undefined) byStream.delete(f.dataStream);
  }

  function shutdown(): void {
    if (closed) return;
    closed = true;
    session.close();
    for (const f of byRequest.values()) {
      f.finished = true;
      f.up?.destroy();
      f.res?.destroy();
    }
    byRequest.clear();
    byStream.clear();
    paused.clear();
    backedUp.clear();
    transport.close();
  }

  return {
    push: (bytes) => session.push(bytes),
    drain: () => {
      for (const res of paused) res.resume();
      paused.clear();
    },
    closed: shutdown,
  };
}

/** Whether an upgrade request asks for SPDY with the port-forward protocol (kubectl's direct dialer). */
export function wantsSpdyPortForward(req: IncomingMessage): boolean {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') return false;
  const versions = req.headersDistinct['x-stream-protocol-version'] ?? [];
  return versions.flatMap((v) => v.split(',')).some((v) => v.trim() === PORT_FORWARD_PROTOCOL);
}

/** Wires a raw upgraded socket carrying SPDY (no WebSocket) to a port-forward session. */
export function portForwardOverSpdy(t: PortForwardTarget, socket: Duplex, head: Buffer): void {
  const pf = servePortForward(t, {
    send: (b) => (socket.writable ? socket.write(b) : true),
    close: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  });
  socket.on('data', (c: Buffer) => pf.push(c));
  socket.on('drain', () => pf.drain());
  socket.on('close', () => pf.closed());
  socket.on('end', () => pf.closed());
  if (head.length) pf.push(head);
}
