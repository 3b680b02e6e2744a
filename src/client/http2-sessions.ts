// HTTP/2 connections of an HttpTransport: a transport whose server offers h2 in its TLS handshake
// (ALPN; everynode's API server, kube-apiserver) sends its requests and streams (watches,
// followed logs) as streams of a few connections, as client-go does, instead of one connection
// per request in flight. A server that picks http/1.1 is remembered, and the transport keeps
// using its HTTP/1.1 agents for it.
//
// Contract:
// - `session()` resolves a connected-or-connecting session with room for another stream, or
//   undefined once the server answered a handshake with http/1.1. A connection that cannot be
//   made rejects with the socket's error (ECONNREFUSED, a TLS error) as an HTTP/1.1 request does.
// - A session carries at most `maxStreams` streams at once (the server's limit is 250 for Go and
//   everynode, 100 for many others); beyond that another connection opens.
// - A session that failed, was closed or received GOAWAY is never handed out again.
// - `track(session, stream)`: sessions keep the process alive only while they carry streams.
// - `suspect(session)`: a request on it gave up waiting (its caller's deadline): the session is
//   PINGed and destroyed unless the answer comes within `pingTimeoutMs`, so a connection to a
//   host that vanished without a reset fails its other streams and the next request connects
//   anew, instead of waiting on it forever. `suspectAll()` does so for every session (the
//   transport's watches live on connections of their own).
// - `close(graceMs)`: no session is handed out any more; each is destroyed after graceMs (0: at
//   once), its streams with it.

import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface Http2SessionsOptions {
  /** The server (`https://host:port`). */
  url: URL;
  /** TLS options of the connections (CA, client certificate, verification). */
  tls: ConnectionOptions;
  /** Streams per connection (default 100). */
  maxStreams?: number;
  /** How long a PING of a suspect session may take (default 5000 ms). */
  pingTimeoutMs?: number;
}

interface Entry {
  session: ClientHttp2Session;
  streams: number;
  pinging: boolean;
}

const handshakeTimeoutMs = 10_000;
const streamWindowBytes = 4 << 20;
const connectionWindowBytes = 32 << 20;

export class Http2Sessions {
  private entries: Entry[] = [];
  private http1Only = false;
  private closed = false;
  private connecting?: Promise<Entry | undefined>;
  /** The socket of the connection being made, until its handshake ends. */
  private handshaking?: TLSSocket;
  private readonly maxStreams: number;
  private readonly pingTimeoutMs: number;

  constructor(private readonly o: Http2SessionsOptions) {
    this.maxStreams = o.maxStreams ?? 100;
    this.pingTimeoutMs = o.pingTimeoutMs ?? 5_000;
  }

  /** True once the server answered with http/1.1: the caller uses HTTP/1.1 from then on. */
  get usesHttp1(): boolean {
    return this.http1Only;
  }

  async session(): Promise<ClientHttp2Session | undefined> {
    for (;;) {
      if (this.http1Only || this.closed) return undefined;
      const free = this.entries.find((e) => usable(e.session) && e.streams < this.maxStreams);
      if (free) return free.session;
      // One handshake at a time: requests arriving meanwhile share it.
      this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
      const made = await this.connecting;
      if (made && usable(made.session) && made.streams < this.maxStreams) return made.session;
    }
  }

  /** Counts `stream` on its session until it closes (the session is ref'd while it has any). */
  track(session: ClientHttp2Session, stream: ClientHttp2Stream): void {
    const e = this.entries.find((x) => x.session === session);
    if (!e) return;
    if (e.streams++ === 0) session.ref();
    stream.once('close', () => {
      if (--e.streams === 0 && !session.destroyed) session.unref();
    });
  }

  /**
   * `suspect` for every session (another connection to the same server gave up waiting), and a
   * connection being made gets `pingTimeoutMs` to finish its handshake.
   */
  suspectAll(): void {
    for (const e of this.entries) this.suspect(e.session);
    const pending = this.handshaking;
    if (pending) setTimeout(() => pending.destroy(new Http2SessionError('the TLS handshake did not finish: connection lost')), this.pingTimeoutMs).unref();
  }

  suspect(session: ClientHttp2Session): void {
    const e = this.entries.find((x) => x.session === session);
    if (!e || e.pinging || !usable(session)) return;
    e.pinging = true;
    const timer = setTimeout(() => session.destroy(new Http2SessionError('the server did not answer a PING: connection lost')), this.pingTimeoutMs);
    timer.unref();
    try {
      session.ping((err) => {
        clearTimeout(timer);
        e.pinging = false;
        if (err) session.destroy();
      });
    } catch {
      clearTimeout(timer);
      session.destroy();
    }
  }

  close(graceMs = 0): void {
    this.closed = true;
    const old = this.entries;
    this.entries = [];
    const destroy = (): void => old.forEach((e) => e.session.destroy());
    if (graceMs <= 0) destroy();
    else setTimeout(destroy, graceMs).unref();
  }

  private async connect(): Promise<Entry | undefined> {
    const { url } = this.o;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket: TLSSocket = tlsConnect({
      ...this.o.tls,
      host,
      port: Number(url.port || 443),
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(isIP(host) ? {} : { servername: host }),
    });
    this.handshaking = socket;
    // A handshake that never ends (a host that vanished) fails after client-go's 10 s.
    const timer = setTimeout(() => socket.destroy(new Http2SessionError('the TLS handshake timed out')), handshakeTimeoutMs);
    timer.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => {
          socket.off('error', reject);
          resolve();
        });
        socket.once('error', reject);
        socket.once('close', () => reject(new Http2SessionError('the connection closed during the TLS handshake')));
      });
    } finally {
      clearTimeout(timer);
      this.handshaking = undefined;
    }
    if (socket.alpnProtocol !== 'h2') {
      this.http1Only = true;
      socket.destroy();
      return undefined;
    }
    if (this.closed) {
      socket.destroy();
      return undefined;
    }
    // Receive windows as Go's client sets them (4 MiB a stream, more for the connection), not
    // HTTP/2's 64 KiB: a large LIST or a busy watch is not held to a window per round trip.
    const session = http2Connect(url.origin, { createConnection: () => socket, settings: { initialWindowSize: streamWindowBytes } });
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(connectionWindowBytes);
      } catch {
        // A session closed at once keeps its window.
      }
    });
    const entry: Entry = { session, streams: 0, pinging: false };
    // A failed session's streams get the error; the session itself needs a listener.
    session.on('error', () => undefined);
    session.once('close', () => (this.entries = this.entries.filter((x) => x !== entry)));
    session.once('goaway', () => (this.entries = this.entries.filter((x) => x !== entry)));
    session.unref();
    this.entries.push(entry);
    return entry;
  }
}

function usable(s: ClientHttp2Session): boolean {
  return !s.closed && !s.destroyed;
}

/** A session destroyed by this client (a lost connection); a connection error for callers. */
export class Http2SessionError extends Error {
  readonly code = 'ECONNRESET';
  constructor(message: string) {
    super(message);
    this.name = 'Http2SessionError';
  }
}

/**
 * A stream the server never processed (REFUSED_STREAM, or a session already closing): safe to
 * send again whatever the method. Still a connection error for callers that see it.
 */
export class Http2RefusedStream extends Http2SessionError {
  constructor(message: string) {
    super(message);
    this.name = 'Http2RefusedStream';
  }
}
