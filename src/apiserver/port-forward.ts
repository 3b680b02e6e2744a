// Port-forward (pods/portforward), as the `create` of pods/portforward (the upgrade and its
// checks are exec.ts'). Three ways to carry it, each as upstream serves it:
// - the portforward.k8s.io protocol over SPDY/3.1, on the upgraded connection itself (kubectl
//   before 1.31, and its fallback) or tunneled in binary WebSocket messages (subprotocol
//   `SPDY/3.1+portforward.k8s.io`, kubectl 1.31+): servePortForward;
// - the WebSocket channel protocol the kubelet serves (subprotocols `v4.channel.k8s.io`,
//   `v4.base64.channel.k8s.io`, or none), which client libraries such as
//   @kubernetes/client-node's PortForward speak: portForwardOverChannels.
// Each forwarded connection is bridged to the pod's agent (`POST /portForward/NS/POD?port=N`,
// agent log-server.ts), which connects to the port in the pod's network: forwardToAgent, one
// implementation for all three.
//
// Contract of the SPDY protocol (the kubelet's side):
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
//
// Contract of the channel protocol (the kubelet's websocket.go):
// - The ports are the query's `ports` (repeated, or comma-separated; each 1-65535), checked
//   before the upgrade. The i-th port has two channels: 2i carries data both ways, 2i+1 the
//   error, server to client only. One connection to each port is opened at once, per WebSocket.
// - A message is one channel byte then the payload (binary messages); with
//   `v4.base64.channel.k8s.io` the channel is an ASCII digit ('0' + channel) and the payload
//   base64, in text messages (client messages that are not valid base64 are dropped).
// - The first message on each channel, data and error alike, is the port as 2 bytes little-endian,
//   sent right after the upgrade; then the port's bytes on the data channel.
// - Client messages on a data channel are bytes for that port; on an error channel, an unknown
//   channel, or a port whose connection is over, they are dropped. The protocol has no half
//   close: the client closing the WebSocket ends every connection.
// - A port's connection is over when the port closes it or forwarding fails; a failure is
//   written as text on its error channel (`error forwarding port P to pod NS/NAME: reason`).
//   When every port's connection is over the server closes the WebSocket (status 1000).
// - Backpressure as over SPDY: a client that does not read holds the agents' answers; a port
//   that does not take data stops the reading of the client's messages.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../api/errors.js';
import { agentConnectionError, agentRequest } from './pod-log.js';
import { RST, SpdySession, spdyPingFrame, type SpdyHeaders } from './spdy.js';
import { WS_BINARY, WS_CLOSE, WS_NORMAL_CLOSURE, WS_PING, WS_PONG, WsReader, channelFrame, readChannelMessage, readPausably, wsFrame } from './websocket.js';

/** The protocol name kubectl asks for (`X-Stream-Protocol-Version`, or after the tunneling prefix). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol of SPDY tunneled in WebSocket messages. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** The kubelet's WebSocket channel subprotocols for port-forward: binary, and base64 in text messages. */
export const CHANNEL_PROTOCOL = 'v4.channel.k8s.io';
export const BASE64_CHANNEL_PROTOCOL = 'v4.base64.channel.k8s.io';
/** Every WebSocket subprotocol pods/portforward is served with, for messages. */
export const PORT_FORWARD_WEBSOCKET_PROTOCOLS = [SPDY_TUNNEL_PROTOCOL, CHANNEL_PROTOCOL, BASE64_CHANNEL_PROTOCOL];
/** Most forwarded connections one client connection may have at once (SPDY), and most ports of one channel-protocol WebSocket. */
const MAX_FORWARDS = 256;
const MAX_CHANNEL_PORTS = 100;

export interface PortForwardTarget {
  nodeName: string;
  ep: { host: string; port: number };
  namespace: string;
  pod: string;
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined;
}

/** The text a failed forward reports to the client (on its error stream or channel). */
function forwardError(t: PortForwardTarget, portText: string, reason: string): string {
  return `error forwarding port ${portText} to pod ${t.namespace}/${t.pod}: ${reason}`;
}

/** One connection to a port in the pod's network, through the pod's agent. */
export interface AgentForward {
  /** Bytes for the port; false when the request to the agent is full (events.drain follows). */
  write(bytes: Buffer): boolean;
  /** Half-closes towards the port: the client sends nothing more. */
  end(): void;
  /** Reads the agent's answer again after events.data returned false. */
  resume(): void;
  /** Drops the connection; no event follows. */
  destroy(): void;
}

export interface AgentForwardEvents {
  /** Bytes from the port. False when the client is full: the answer is paused until resume(). */
  data(bytes: Buffer): boolean;
  /** The request to the agent takes bytes again after write() returned false. */
  drain(): void;
  /**
   * The forward is over (once, never during forwardToAgent itself): `error` undefined when the
   * port closed its side, else the reason (the agent's text, or why the agent could not be
   * reached), to be reported with forwardError. After an error the connection is dropped.
   */
  end(error: string | undefined): void;
}

/**
 * Opens one forwarded connection to `port`: `POST /portForward/NS/POD?port=N` on the pod's agent,
 * whose request body goes to the port and whose 200 answer is what the port sends; any other
 * answer is the agent's reason in plain text.
 */
export function forwardToAgent(t: PortForwardTarget, port: number, ev: AgentForwardEvents): AgentForward {
  let over = false;
  let up: ClientRequest | undefined;
  let res: IncomingMessage | undefined;
  const end = (error: string | undefined): void => {
    if (over) return;
    over = true;
    if (error !== undefined) {
      up?.destroy();
      res?.destroy();
    }
    ev.end(error);
  };
  const lost = (): void => end(`lost the connection to the agent of node ${t.nodeName}`);
  const path = `/portForward/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}?port=${port}`;
  try {
    up = agentRequest(t.nodeName, t.ep, 'POST', path, t.kubeletClient, (r) => {
      if (over) {
        r.destroy();
        return;
      }
      res = r;
      if (r.statusCode !== 200) {
        let text = '';
        r.on('data', (c: Buffer) => {
          if (text.length < 16 * 1024) text += c.toString('utf8');
        });
        r.on('end', () => end(text.trim() || `the agent of node ${t.nodeName} answered ${r.statusCode}`));
        r.on('error', lost);
        return;
      }
      r.on('data', (c: Buffer) => {
        if (!over && !ev.data(c)) r.pause();
      });
      r.on('end', () => end(undefined));
      r.on('error', lost);
    });
  } catch (err) {
    const reason = `cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`;
    queueMicrotask(() => end(reason));
  }
  if (up) {
    up.on('error', (err) => end(`cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`));
    up.on('drain', () => {
      if (!over) ev.drain();
    });
    up.flushHeaders();
  }
  return {
    write: (bytes) => (over || !up ? true : up.write(bytes)),
    end: () => {
      if (!over) up?.end();
    },
    resume: () => {
      if (!over) res?.resume();
    },
    destroy: () => {
      over = true;
      up?.destroy();
      res?.destroy();
    },
  };
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
  conn?: AgentForward;
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
 * Serves one SPDY port-forward connection. Returns what the caller feeds: the client's bytes (in
 * order), the transport draining, and the transport closing.
 */
export function servePortForward(t: PortForwardTarget, transport: ByteTransport): { push(bytes: Buffer): void; drain(): void; closed(): void } {
  const byRequest = new Map<string, Forward>();
  const byStream = new Map<number, Forward>();
  /** Forwards whose agent answer waits for the transport to drain. */
  const paused = new Set<Forward>();
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
      start(f, f.port);
      if (fin) f.conn?.end();
    },
    data(id, data, fin) {
      const f = byStream.get(id);
      if (!f || f.finished || id !== f.dataStream || !f.conn) return; // the error stream carries nothing from the client
      if (data.length > 0 && !f.conn.write(data)) holdClient(f);
      if (fin) f.conn.end();
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
      f.conn?.destroy();
      if (!f.finished) finish(f, undefined);
    },
    goAway() {
      shutdown();
    },
    error() {
      // a GOAWAY was sent; goAway() follows
    },
  });

  function start(f: Forward, port: number): void {
    f.conn = forwardToAgent(t, port, {
      data(c) {
        if (f.finished || f.dataStream === undefined || closed) return true;
        if (session.data(f.dataStream, c)) return true;
        paused.add(f);
        return false;
      },
      drain: () => releaseClient(f),
      end: (error) => finish(f, error),
    });
  }

  /** Ends a forwarded connection: its error (if any) on the error stream, then FIN on both streams. */
  function finish(f: Forward, error: string | undefined): void {
    if (f.finished) return;
    f.finished = true;
    if (error !== undefined) {
      f.pendingError = forwardError(t, f.portText, error);
      f.conn?.destroy();
    }
    paused.delete(f);
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
      f.conn?.destroy();
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
      const waiting = [...paused];
      paused.clear();
      for (const f of waiting) f.conn?.resume();
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
  const reading = readPausably(socket, spdyPingFrame);
  const pf = servePortForward(t, {
    send: (b) => (socket.writable ? socket.write(b) : true),
    close: () => socket.destroy(),
    pause: () => reading.pause(),
    resume: () => reading.resume(),
  });
  socket.on('data', (c: Buffer) => pf.push(c));
  socket.on('drain', () => pf.drain());
  socket.on('close', () => pf.closed());
  socket.on('end', () => pf.closed());
  if (head.length) pf.push(head);
}

/** Port-forward with SPDY tunneled in binary WebSocket messages (kubectl 1.31+), after the 101. */
export function portForwardOverWebSocket(t: PortForwardTarget, socket: Duplex, head: Buffer): void {
  const reading = readPausably(socket, () => wsFrame(WS_PING, Buffer.alloc(0)));
  let closing = false;
  const pf = servePortForward(t, {
    send: (b) => (socket.writable ? socket.write(wsFrame(WS_BINARY, b)) : true),
    close: () => {
      if (closing) return;
      closing = true;
      if (socket.writable) socket.end(wsFrame(WS_CLOSE, WS_NORMAL_CLOSURE));
      else socket.destroy();
    },
    pause: () => reading.pause(),
    resume: () => reading.resume(),
  });
  const reader = new WsReader({
    message: (m) => pf.push(m),
    ping: (data) => {
      if (socket.writable) socket.write(wsFrame(WS_PONG, data));
    },
    close: () => pf.closed(),
    error: () => {
      pf.closed();
      socket.destroy();
    },
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.on('drain', () => pf.drain());
  socket.on('close', () => pf.closed());
  if (head.length) reader.push(head);
}

/**
 * The WebSocket subprotocol to serve pods/portforward with, from the ones the client offers:
 * the SPDY tunnel whenever it is offered (the API server serves it itself, upstream too);
 * otherwise the first offered channel protocol, as the kubelet chooses; '' (no subprotocol,
 * binary channels) when the client offers none; undefined when none of them fits.
 */
export function choosePortForwardWebSocketProtocol(offered: string[]): string | undefined {
  if (offered.includes(SPDY_TUNNEL_PROTOCOL)) return SPDY_TUNNEL_PROTOCOL;
  if (offered.length === 0) return '';
  return offered.find((p) => p === CHANNEL_PROTOCOL || p === BASE64_CHANNEL_PROTOCOL);
}

/**
 * The ports of a channel-protocol request: every `ports` value of the query, each a
 * comma-separated list of ports in 1-65535, in order (duplicates allowed: each gets its own
 * channels). Throws a 400 ApiError otherwise.
 */
export function channelPorts(q: URLSearchParams): number[] {
  const values = q.getAll('ports');
  if (values.length === 0) throw badRequest('query parameter "ports" is required to forward ports over the WebSocket channel protocol');
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') throw badRequest('query parameter "ports" cannot be empty');
    for (const p of value.split(',')) {
      const n = /^\d{1,5}$/.test(p.trim()) ? Number(p.trim()) : NaN;
      if (!(n >= 1 && n <= 65535)) throw badRequest(`unable to parse ${JSON.stringify(p)} as a port: must be an integer in 1-65535`);
      ports.push(n);
    }
  }
  if (ports.length > MAX_CHANNEL_PORTS) throw badRequest(`at most ${MAX_CHANNEL_PORTS} ports can be forwarded over one WebSocket; got ${ports.length}`);
  return ports;
}

/**
 * Serves the channel protocol (see the file comment) on a socket already upgraded to WebSocket
 * with `protocol` (CHANNEL_PROTOCOL, BASE64_CHANNEL_PROTOCOL or ''), for `ports`.
 */
export function portForwardOverChannels(t: PortForwardTarget, ports: number[], protocol: string, socket: Duplex, head: Buffer): void {
  const base64 = protocol === BASE64_CHANNEL_PROTOCOL;
  interface Pair {
    port: number;
    conn?: AgentForward;
    finished: boolean;
  }
  const pairs: Pair[] = ports.map((port) => ({ port, finished: false }));
  const reading = readPausably(socket, () => wsFrame(WS_PING, Buffer.alloc(0)));
  /** Pairs whose agent answer waits for the socket to drain. */
  const paused = new Set<Pair>();
  /** Pairs whose agent request is full: the client's messages are read again once none is left. */
  const backedUp = new Set<Pair>();
  let closed = false;

  /** One message on `channel`; false when the socket's buffer is full ('drain' follows). */
  const send = (channel: number, data: Buffer): boolean => {
    if (closed || !socket.writable) return true;
    return socket.write(channelFrame(channel, data, base64));
  };
  const release = (p: Pair): void => {
    if (!backedUp.delete(p) || backedUp.size > 0 || closed) return;
    reading.resume();
  };

  function finish(p: Pair, i: number, error: string | undefined): void {
    if (p.finished) return;
    p.finished = true;
    if (error !== undefined) send(2 * i + 1, Buffer.from(forwardError(t, String(p.port), error), 'utf8'));
    paused.delete(p);
    release(p);
    if (pairs.every((q) => q.finished)) shutdown();
  }

  function shutdown(): void {
    if (closed) return;
    closed = true;
    for (const p of pairs) {
      p.finished = true;
      p.conn?.destroy();
    }
    paused.clear();
    backedUp.clear();
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(wsFrame(WS_CLOSE, WS_NORMAL_CLOSURE));
    // The client answers the close and hangs up; one that does not is cut off.
    setTimeout(() => socket.destroy(), 5_000).unref();
  }

  // Each channel opens with its port (2 bytes, little-endian), before anything from the port.
  pairs.forEach((p, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(p.port);
    send(2 * i, prefix);
    send(2 * i + 1, prefix);
  });
  pairs.forEach((p, i) => {
    p.conn = forwardToAgent(t, p.port, {
      data(c) {
        if (p.finished || send(2 * i, c)) return true;
        paused.add(p);
        return false;
      },
      drain: () => release(p),
      end: (error) => finish(p, i, error),
    });
  });

  const reader = new WsReader({
    message(m) {
      const msg = closed ? undefined : readChannelMessage(m, base64);
      if (!msg) return;
      const { channel, data } = msg;
      // Only data channels (even) of known ports take bytes from the client.
      if (channel < 0 || channel % 2 !== 0 || channel >= 2 * pairs.length) return;
      const p = pairs[channel / 2]!;
      if (p.finished || !p.conn) return;
      if (data.length > 0 && !p.conn.write(data)) {
        backedUp.add(p);
        reading.pause();
      }
    },
    ping(data) {
      if (socket.writable) socket.write(wsFrame(WS_PONG, data));
    },
    close: () => shutdown(),
    error() {
      shutdown();
      socket.destroy();
    },
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.on('drain', () => {
    const waiting = [...paused];
    paused.clear();
    for (const p of waiting) p.conn?.resume();
  });
  socket.on('end', () => shutdown());
  socket.on('close', () => shutdown());
  if (head.length) reader.push(head);
}
