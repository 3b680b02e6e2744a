// `kubectl exec` (pods/exec) over WebSocket: the remote command protocol kubectl 1.30+ speaks
// (subprotocols v5.channel.k8s.io and v4.channel.k8s.io; also v4.base64, and the older
// channel.k8s.io and base64.channel.k8s.io other clients use, see PROTOCOLS), bridged to the pod's agent
// (`POST /exec/NS/POD/CONTAINER`, agent log-server.ts).
//
// Contract:
// - The upgrade is authenticated and authorized like any request, as the `create` of
//   pods/exec (upstream checks create on websocket exec upgrades), audited with code 101.
//   Refusals and bad requests are answered as plain HTTP with a Status, before the upgrade.
// - Also over SPDY/3.1 (kubectl before 1.30, and the fallback of newer ones): protocol
//   v4.channel.k8s.io, one stream per channel (execOverSpdy).
// - pods/portforward upgrades share the checks above (as the `create` of pods/portforward) and
//   are then served by port-forward.ts.
// - Channels (one binary message each, first byte the channel): 0 stdin (client → server),
//   1 stdout, 2 stderr, 3 the result as a metav1.Status (Success, or Failure with reason
//   NonZeroExitCode and the code as an ExitCode cause, which kubectl exits with), 4 resize
//   (client → server, JSON {"Width":W,"Height":H}), 255 (v5) the client closing stdin.
// - Query: `command` (repeated, required), `container` (default: the only one), `stdin`,
//   `stdout`, `stderr`, `tty` (booleans as upstream reads them: util's queryBool; at least one
//   of the three streams). Output of a stream not asked for is dropped.
// - With `tty` the agent is called once the client's first resize has come (kubectl sends it
//   right after connecting), or after FIRST_RESIZE_WAIT_MS without one, and the command starts
//   at that size. Where the node has terminals (the agent answers `pty`, api/agent-api.ts), the
//   command runs on a pseudo-terminal: input goes to it byte by byte (the terminal echoes,
//   edits lines, turns Ctrl-C into SIGINT), its output comes back as the terminal shows it, on
//   stdout, and later resizes are passed on. Otherwise (the agent answers `none`, or predates
//   terminals) the server plays the terminal's line discipline (LineDiscipline: echo, line
//   editing, Ctrl-C ends the command with 130, Ctrl-D ends input, CR LF) and sends all output
//   on stdout, as kubectl -t expects; resizes are ignored. Input that comes before the agent
//   has answered waits for it.
// - Backpressure both ways: a client that does not read holds the agent's answer, and so the
//   command; stdin waits for the agent.
// - The command is killed when the client goes away, even while its input is held (a ping every
//   few seconds notices it: readPausably); the connection is closed when it exits.

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { ApiError, badRequest } from '../api/errors.js';
import type { KindRegistry } from '../api/kinds.js';
import type { Node, Pod } from '../api/types.js';
import type { AuditLog } from './audit.js';
import { auditRequest } from './audit.js';
import {
  EXEC_RESIZE,
  EXEC_RESULT,
  EXEC_STDERR,
  EXEC_STDIN,
  EXEC_STDOUT,
  EXEC_TERMINAL_HEADER,
  ExecFrameDecoder,
  ResizeDecoder,
  execFrame,
  type TerminalSize,
} from '../api/agent-api.js';
import { agentConnectionError, agentEndpoint, agentRequest, logContainerName, noAgentEndpoint, openPodLog, validateLogQuery } from './pod-log.js';
import type { RestRegistry } from './registry.js';
import { parsePath, type ResourceRoute } from './request-info.js';
import { secureRequest, type RequestSecurity } from './security.js';
import {
  PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_WEBSOCKET_PROTOCOLS,
  SPDY_TUNNEL_PROTOCOL,
  channelPorts,
  choosePortForwardWebSocketProtocol,
  portForwardOverChannels,
  portForwardOverSpdy,
  portForwardOverWebSocket,
  wantsSpdyPortForward,
} from './port-forward.js';
import { RST, SpdySession, spdyPingFrame } from './spdy.js';
import { WS_BINARY, WS_CLOSE, WS_NORMAL_CLOSURE, WS_PING, WS_PONG, WS_TEXT, WsReader, acceptWebSocket, channelFrame, readChannelMessage, readPausably, wsFrame } from './websocket.js';
import { queryBool } from '../util/index.js';

/** The WebSocket framing, where exec's tests have always found it. */
export { WsReader, wsFrame } from './websocket.js';

/**
 * The kubelet's remote command subprotocols over WebSocket. v4 and v5 send the result as a
 * metav1.Status on channel 3 (v5 also takes the client's close of stdin); the older
 * `channel.k8s.io` sends only a failure's message there, as text, and nothing on success. The
 * `base64.` variants carry each message as text (see channelFrame). A client that offers none
 * gets `channel.k8s.io` without a subprotocol header, as the kubelet answers it.
 */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];

/** What a remote command subprotocol changes in execOverWebSocket. */
interface ExecFraming {
  /** Channel 255 closes stdin (v5). */
  closeChannel: boolean;
  /** The result is a Status in JSON (v4, v5); else a failure's message only. */
  statusJson: boolean;
  base64: boolean;
}

function execFraming(protocol: string): ExecFraming {
  return {
    closeChannel: protocol.startsWith('v5.'),
    statusJson: protocol.startsWith('v4.') || protocol.startsWith('v5.'),
    base64: protocol.includes('base64.'),
  };
}
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;
/** How long a tty exec waits for the client's first resize before starting the command without a size. */
const FIRST_RESIZE_WAIT_MS = 200;
/** Input held while the agent has not answered a tty exec, beyond which the client is paused. */
const MAX_HELD_INPUT = 64 * 1024;

export interface ExecDeps {
  registry: RestRegistry;
  kinds: KindRegistry;
  security?: RequestSecurity;
  audit?: AuditLog;
  kubeletClient?: { certPem: string; keyPem: string; caPem: string };
}

/** The pods/exec, pods/attach, pods/portforward or pods/log route of a path, or undefined. */
function upgradeRouteOf(path: string): ResourceRoute | undefined {
  let route;
  try {
    route = parsePath(path);
  } catch {
    return undefined;
  }
  const sub = route.type === 'resource' ? route.subresource : undefined;
  return route.type === 'resource' && route.group === '' && route.plural === 'pods' && (sub === 'exec' || sub === 'portforward' || sub === 'attach' || sub === 'log') && route.name && route.namespace ? route : undefined;
}

/** Writes a plain HTTP answer on a socket that was not upgraded, and closes it. */
function refuse(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  const reason = STATUS_CODES[err.code] ?? 'Error';
  socket.end(`HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * What a terminal's line discipline does, for `kubectl exec -t` on a runtime without
 * terminals: kubectl puts the local terminal in raw mode, so keys arrive one by one (Enter as
 * CR, Ctrl-C and Ctrl-D as bytes) and output is shown as written. Input is echoed and edited
 * here (backspace, Ctrl-U) and sent a line at a time; Ctrl-D on an empty line ends the
 * command's input; Ctrl-C interrupts the command. Output gets CR before each LF.
 */
export class LineDiscipline {
  private line: number[] = [];

  /** Bytes typed → what to echo, what to send to the command, and whether input ended or was interrupted. */
  input(bytes: Buffer): { echo: Buffer; send: Buffer; eof: boolean; interrupt: boolean } {
    const echo: number[] = [];
    const send: number[] = [];
    let eof = false;
    let interrupt = false;
    for (const b of bytes) {
      if (eof || interrupt) break;
      switch (b) {
        case 0x0d: // Enter
        case 0x0a:
          echo.push(0x0d, 0x0a);
          send.push(...this.line, 0x0a);
          this.line = [];
          break;
        case 0x7f: // backspace
        case 0x08:
          if (this.line.length > 0) {
            this.line.pop();
            echo.push(0x08, 0x20, 0x08);
          }
          break;
        case 0x15: // Ctrl-U
          for (let i = 0; i < this.line.length; i++) echo.push(0x08, 0x20, 0x08);
          this.line = [];
          break;
        case 0x03: // Ctrl-C
          echo.push(0x5e, 0x43, 0x0d, 0x0a);
          interrupt = true;
          break;
        case 0x04: // Ctrl-D
          if (this.line.length === 0) eof = true;
          else {
            send.push(...this.line);
            this.line = [];
          }
          break;
        default:
          this.line.push(b);
          echo.push(b);
      }
    }
    return { echo: Buffer.from(echo), send: Buffer.from(send), eof, interrupt };
  }

  /** Command output for a raw-mode terminal: CR LF for every lone LF. */
  static output(data: Buffer): Buffer {
    if (!data.includes(0x0a)) return data;
    const out: number[] = [];
    let prev = -1;
    for (const b of data) {
      if (b === 0x0a && prev !== 0x0d) out.push(0x0d);
      out.push(b);
      prev = b;
    }
    return Buffer.from(out);
  }
}

/** The Status kubectl reads on the error channel for an exit code. */
function resultStatus(command: string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function failureStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/**
 * Handles one `upgrade` of the secured listener. Returns false when the request is neither an
 * exec nor a port-forward (the caller answers it); otherwise answers it, upgrading or refusing.
 */
export async function handlePodUpgrade(deps: ExecDeps, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
  const url = req.url ?? '/';
  const qi = url.indexOf('?');
  const path = qi < 0 ? url : url.slice(0, qi);
  const route = upgradeRouteOf(path);
  if (!route) return false;
  socket.on('error', () => socket.destroy());
  // Audit as the create of pods/exec (or pods/portforward); the stand-in response ends with the connection.
  const done = Object.assign(new EventEmitter(), { statusCode: 101, writableFinished: false, setHeader: () => undefined });
  // A log is read (get of pods/log); the others are the create of their subresource.
  const method = route.subresource === 'log' ? 'GET' : 'POST';
  const audit = deps.audit ? auditRequest(deps.audit, req, done, { path, route, watch: false, method }) : undefined;
  socket.once('close', () => {
    done.writableFinished = true;
    done.emit('finish');
  });
  try {
    if (deps.security) {
      await secureRequest(deps.security, { headers: req.headers, headersDistinct: req.headersDistinct, socket: req.socket, method }, path, route, false, audit && ((u, as) => {
        audit.user = u;
        if (as) audit.impersonatedUser = as;
      }));
    }
    const q = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    if (route.subresource === 'log') {
      await logOverWebSocket(deps, req, socket, head, route, q);
      return true;
    }
    const forward = route.subresource === 'portforward';
    const attach = route.subresource === 'attach';
    const command = attach ? [] : q.getAll('command');
    if (!forward && !attach && command.length === 0) throw badRequest('you must specify at least one command for the container');
    const flag = (n: string) => queryBool(q.get(n)) === true;
    const stdin = flag('stdin');
    // The kubelet's remote command options refuse an exec with no stream at all.
    if (!forward && !stdin && !flag('stdout') && !flag('stderr')) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
    const podKind = deps.kinds.byResource('', 'v1', 'pods');
    const nodeKind = deps.kinds.byResource('', 'v1', 'nodes');
    if (!podKind || !nodeKind) throw new Error('exec: core pods and nodes are not served');
    const pod = JSON.parse(await deps.registry.get(podKind, route.namespace, route.name!)) as Pod;
    const container = forward ? '' : logContainerName(pod, q.get('container'));
    if (!pod.spec.nodeName) throw badRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      throw badRequest(forward ? `cannot forward a port of a completed pod; current phase is ${pod.status.phase}` : `cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
    }
    const node = JSON.parse(await deps.registry.get(nodeKind, undefined, pod.spec.nodeName)) as Node;
    const ep = agentEndpoint(node);
    if (!ep) throw new ApiError(500, 'InternalError', noAgentEndpoint(node));
    if (forward) {
      const target = { nodeName: pod.spec.nodeName, ep, namespace: route.namespace!, pod: route.name!, kubeletClient: deps.kubeletClient };
      if (wantsSpdyPortForward(req)) {
        if (socket.destroyed || !socket.writable) return true;
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
        portForwardOverSpdy(target, socket, head);
        return true;
      }
      const protocol = webSocketProtocol(req, choosePortForwardWebSocketProtocol, PORT_FORWARD_WEBSOCKET_PROTOCOLS, 'port-forward');
      if (protocol === SPDY_TUNNEL_PROTOCOL) {
        if (acceptWebSocket(req, socket, protocol)) portForwardOverWebSocket(target, socket, head);
        return true;
      }
      // The kubelet's channel protocol: the ports come from the query, checked before the upgrade.
      const ports = channelPorts(q);
      if (acceptWebSocket(req, socket, protocol)) portForwardOverChannels(target, ports, protocol, socket, head);
      return true;
    }

    // A container its pod's status shows not running cannot be exec'd into or attached to:
    // refused before the upgrade, in the kubelet's words (GetExec, GetAttach), which kubectl
    // shows as `unable to upgrade connection: ...` and exits 1. No status yet: the agent decides.
    // The status can lag the container by one status write (the kubelet asks its runtime); a
    // container that stopped since is refused by the agent after the upgrade.
    const state = containerState(pod, container);
    if (state !== undefined && state.running === undefined) {
      throw badRequest(attach ? `container ${container} not found in pod ${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}` : `container not found (${JSON.stringify(container)})`);
    }

    // The protocol last: a client that falls back to SPDY after a failed WebSocket attempt
    // (kubectl does) hears about its pod or container first.
    const tty = flag('tty');
    // An attach follows the container's own settings: input only where its spec asked for stdin
    // (kept open for attaches), and a terminal where it asked for one.
    const spec = attach ? [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])].find((c) => c.name === container) : undefined;
    if (attach && stdin && !spec?.stdin) throw badRequest(`container ${container} in pod ${pod.metadata.name ?? ''} does not take input: its spec does not set stdin (attach without -i shows its output)`);
    const target: Target = { nodeName: pod.spec.nodeName, ep, namespace: route.namespace!, pod: route.name!, container, command, stdin, stdout: flag('stdout'), stderr: flag('stderr'), tty, containerTty: spec?.tty === true };
    if ((req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1') {
      const versions = (req.headersDistinct['x-stream-protocol-version'] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim());
      if (!versions.includes(SPDY_EXEC_PROTOCOL)) throw badRequest(`unsupported remote command protocols ${JSON.stringify(versions.join(', '))} over SPDY: want ${SPDY_EXEC_PROTOCOL}`);
      if (socket.destroyed || !socket.writable) return true;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${SPDY_EXEC_PROTOCOL}\r\n\r\n`);
      execOverSpdy(deps, socket, head, target, attach ? attachBridge : bridge);
      return true;
    }
    // The first offered protocol served, in the client's order, as the kubelet chooses.
    const protocol = webSocketProtocol(req, (offered) => (offered.length === 0 ? '' : offered.find((p) => PROTOCOLS.includes(p))), PROTOCOLS, 'exec');
    if (!acceptWebSocket(req, socket, protocol)) return true;
    execOverWebSocket(deps, socket, head, target, execFraming(protocol || 'channel.k8s.io'), attach ? attachBridge : bridge);
  } catch (err) {
    const apiErr = err instanceof ApiError ? err : new ApiError(500, 'InternalError', err instanceof Error ? err.message : String(err));
    done.statusCode = apiErr.code;
    refuse(socket, apiErr);
  }
  return true;
}

/**
 * Checks that a request is a WebSocket upgrade and picks its subprotocol with `choose`, from the
 * ones the client offers (`Sec-WebSocket-Protocol`, in its order; none offered is an empty list).
 * '' means no subprotocol. Throws a 400 ApiError (naming `wanted`) when the request is no such
 * upgrade or `choose` finds nothing.
 */
function webSocketProtocol(req: IncomingMessage, choose: (offered: string[]) => string | undefined, wanted: string[], what: 'exec' | 'port-forward' | 'log'): string {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') {
    const over = { exec: 'pods/exec is served over WebSocket or SPDY/3.1', 'port-forward': 'pods/portforward is served over SPDY/3.1 or WebSocket', log: 'pods/log is upgraded to WebSocket only' }[what];
    throw badRequest(`${over}; got the upgrade ${JSON.stringify(req.headers.upgrade ?? '')}`);
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') throw badRequest('a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version 13');
  const offered = (req.headersDistinct['sec-websocket-protocol'] ?? []).flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  const protocol = choose(offered);
  if (protocol === undefined) throw badRequest(`unsupported ${{ exec: 'remote command', 'port-forward': 'port-forward', log: 'log' }[what]} protocols ${JSON.stringify(offered.join(', '))}: want one of ${wanted.join(', ')}`);
  return protocol;
}

interface Target {
  nodeName: string;
  ep: { host: string; port: number };
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** attach: the container's spec asks for a terminal (input then goes through a LineDiscipline here). */
  containerTty?: boolean;
}

/** Largest frame an agent may send (its output chunks are small). */
const MAX_AGENT_FRAME = 16 * 1024 * 1024;

/** The client side of one exec, whatever carries it (WebSocket channels or SPDY streams). */
interface ExecPeer {
  /** Command output (STDOUT or STDERR); false when the client's buffer is full (drained() follows). */
  output(channel: typeof STDOUT | typeof STDERR, data: Buffer): boolean;
  /** The result as a metav1.Status; the peer then ends the client connection. */
  finish(status: Record<string, unknown>): void;
  /** Stop / restart reading the client's input (stdin backpressure). */
  pauseInput(): void;
  resumeInput(): void;
}

/** What the transport tells the bridge about the client. */
interface ExecInput {
  stdin(data: Buffer): void;
  stdinEnd(): void;
  /** The client's terminal size (tty; the first one starts the command). */
  resize(size: TerminalSize): void;
  /** The client's buffer drained. */
  drained(): void;
  /** The client went away. */
  gone(): void;
}

/**
 * Relays between the client and the agent's exec answer until either ends, with backpressure
 * both ways: a client that does not read holds the agent's answer (and so the command), an
 * agent that does not take stdin holds the client.
 *
 * With `tty` (see the file comment): the agent is called after the first resize or
 * FIRST_RESIZE_WAIT_MS; input is held until the agent's answer says how the command runs
 * (`terminal`): on a pty (raw bytes both ways, as frames with resizes) or without a terminal
 * (LineDiscipline here; frames when the agent reads frames, raw stdin for an older agent).
 */
function bridge(deps: ExecDeps, peer: ExecPeer, t: Target): ExecInput {
  let agentRes: IncomingMessage | undefined;
  let finished = false;
  let upstream: ReturnType<typeof agentRequest> | undefined;
  /** tty: how the agent runs the command, once it has answered. */
  let terminal: 'pty' | LineDiscipline | undefined;
  /** The agent reads the request body as frames (tty, an agent that knows terminals). */
  let framed = false;
  let bodyEnded = false;
  /** tty: the latest size from the client, and the one the agent last got. */
  let size: TerminalSize | undefined;
  let sentSize: TerminalSize | undefined;
  /** tty: input (and its end) from before the agent answered. */
  const held: Buffer[] = [];
  let heldBytes = 0;
  let heldEnd = false;
  let startTimer: NodeJS.Timeout | undefined;

  const finish = (status: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    clearTimeout(startTimer);
    peer.finish(status);
    upstream?.destroy();
  };
  const endBody = (): void => {
    if (bodyEnded || !upstream) return;
    bodyEnded = true;
    upstream.end();
  };
  /** Writes to the agent's request body (framed when the agent reads frames); a full body pauses the client until 'drain'. */
  const toAgent = (channel: number, data: Buffer): void => {
    if (!upstream || bodyEnded || data.length === 0) return;
    if (!upstream.write(framed ? execFrame(channel, data) : data)) peer.pauseInput();
  };
  const sendSize = (): void => {
    if (terminal !== 'pty' || !size || (sentSize && sentSize.cols === size.cols && sentSize.rows === size.rows)) return;
    sentSize = size;
    toAgent(EXEC_RESIZE, Buffer.from(JSON.stringify({ Width: size.cols, Height: size.rows })));
  };
  /** Input once the agent has answered (or without tty). */
  const deliver = (data: Buffer): void => {
    if (terminal === undefined || terminal === 'pty') return toAgent(EXEC_STDIN, data);
    const r = terminal.input(data);
    if (r.echo.length) peer.output(STDOUT, r.echo);
    toAgent(EXEC_STDIN, r.send);
    if (r.interrupt) finish(resultStatus(t.command, 130));
    else if (r.eof) endBody();
  };
  const onAnswer = (res: IncomingMessage): void => {
    if (!t.tty) return;
    const mode = res.headers[EXEC_TERMINAL_HEADER];
    framed = mode === 'pty' || mode === 'none';
    terminal = mode === 'pty' ? 'pty' : new LineDiscipline();
    sendSize();
    for (const data of held.splice(0)) {
      if (finished) return;
      deliver(data);
    }
    heldBytes = 0;
    if (!upstream?.writableNeedDrain) peer.resumeInput(); // else at the body's 'drain'
    // Without stdin the body only carries resizes: none to send without a pty.
    if (heldEnd || (!t.stdin && terminal !== 'pty')) endBody();
  };

  const onAgentFrame = (channel: number, payload: Buffer): void => {
    if (channel === EXEC_STDOUT || channel === EXEC_STDERR) {
      // Output the client did not ask for is dropped, as the kubelet attaches only the streams
      // requested. With a terminal there is one output stream, stdout (kubectl -t opens no
      // stderr), shown raw.
      if (terminal ? !t.stdout : channel === EXEC_STDOUT ? !t.stdout : !t.stderr) return;
      const ok =
        terminal === 'pty'
          ? peer.output(STDOUT, payload)
          : terminal
            ? peer.output(STDOUT, LineDiscipline.output(payload))
            : peer.output(channel === EXEC_STDOUT ? STDOUT : STDERR, payload);
      if (!ok) agentRes?.pause();
    } else if (channel === EXEC_RESULT) {
      let r: { exitCode?: unknown; error?: unknown };
      try {
        r = JSON.parse(payload.toString('utf8')) as { exitCode?: unknown; error?: unknown };
      } catch {
        return finish(failureStatus('the agent sent a malformed result'));
      }
      finish(typeof r.error === 'string' ? failureStatus(r.error) : resultStatus(t.command, typeof r.exitCode === 'number' ? r.exitCode : 255));
    }
  };

  /** Calls the agent (at once without tty; with tty after the first resize or the wait). */
  const begin = (): void => {
    clearTimeout(startTimer);
    if (upstream || finished) return;
    const qs = new URLSearchParams();
    for (const c of t.command) qs.append('command', c);
    if (t.stdin) qs.set('stdin', 'true');
    if (t.tty) {
      qs.set('tty', 'true');
      if (size) {
        qs.set('cols', String(size.cols));
        qs.set('rows', String(size.rows));
        sentSize = size;
      }
    }
    const path = `/exec/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}?${qs.toString()}`;
    let up: ReturnType<typeof agentRequest>;
    try {
      up = agentRequest(t.nodeName, t.ep, 'POST', path, deps.kubeletClient, (res) => {
        agentRes = res;
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (c: Buffer) => {
            if (text.length < 64 * 1024) text += c.toString('utf8');
          });
          res.on('end', () => finish(failureStatus(text.trim() || `the agent answered ${res.statusCode}`)));
          return;
        }
        onAnswer(res);
        const decoder = new ExecFrameDecoder(MAX_AGENT_FRAME);
        res.on('data', (c: Buffer) => {
          let frames;
          try {
            frames = decoder.push(c);
          } catch {
            res.destroy();
            return finish(failureStatus('the agent sent an oversized frame'));
          }
          for (const f of frames) onAgentFrame(f.channel, f.payload);
        });
        res.on('end', () => finish(failureStatus('the agent ended the command stream without a result')));
        res.on('error', () => finish(failureStatus('the connection to the agent failed')));
      });
    } catch (err) {
      finish(failureStatus(`cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`));
      return;
    }
    upstream = up;
    up.on('error', (err) => finish(failureStatus(`cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`)));
    up.on('drain', () => peer.resumeInput());
    // Start the command now, not at the first stdin byte (a request holds its headers until
    // then). With tty the body stays open for resizes until the agent says how it runs.
    if (t.stdin || t.tty) up.flushHeaders();
    else endBody();
  };
  if (t.tty) startTimer = setTimeout(begin, FIRST_RESIZE_WAIT_MS);
  else begin();

  return {
    stdin(data) {
      if (!t.stdin || finished || data.length === 0) return;
      if (t.tty && !agentRes) {
        held.push(Buffer.from(data));
        heldBytes += data.length;
        if (heldBytes > MAX_HELD_INPUT) peer.pauseInput();
        return;
      }
      deliver(data);
    },
    stdinEnd() {
      if (!t.stdin || finished) return;
      if (t.tty && !agentRes) heldEnd = true;
      else endBody();
    },
    resize(s) {
      if (!t.tty || finished) return;
      size = s;
      if (!upstream) begin();
      else sendSize();
    },
    drained: () => agentRes?.resume(),
    gone: () => {
      clearTimeout(startTimer);
      finished = true;
      upstream?.destroy();
    },
  };
}

/** The state the pod's status gives the named container (regular, init or ephemeral), if any. */
function containerState(pod: Pod, name: string): { running?: unknown } | undefined {
  const st = pod.status as { containerStatuses?: unknown[]; initContainerStatuses?: unknown[]; ephemeralContainerStatuses?: unknown[] } | undefined;
  for (const list of [st?.containerStatuses, st?.initContainerStatuses, st?.ephemeralContainerStatuses]) {
    for (const c of list ?? []) {
      const cs = c as { name?: string; state?: { running?: unknown } };
      if (cs.name === name) return cs.state ?? {};
    }
  }
  return undefined;
}

/**
 * pods/attach. A container whose spec asks for a terminal is attached to through the agent's
 * terminal attach first (`POST /attach?tty=true`, api/agent-api.ts); where it runs on one (the
 * agent answers `pty`), the client's input goes to it byte by byte (the terminal echoes, edits
 * lines, turns Ctrl-C into SIGINT and Ctrl-D into end of input), the client's sizes are passed
 * on, and the output is the agent's answer: what the terminal shows from now on, until the
 * container exits (Success) or the client goes away. Input and sizes wait for that answer.
 *
 * Otherwise (no terminal asked for; the agent answers `none`, or predates terminal attaches):
 * the container's output from now on (its log followed from the end, stdout and stderr as the
 * log holds them, on the stdout channel) until the container stops (Success) or the client goes
 * away. With stdin (a container whose spec asks for it): the client's input goes to the
 * container through the agent's `POST /attach` until the client's input ends (the container's
 * stdin stays open, as upstream without stdinOnce), opened once the log is followed, so the
 * output of what is typed is not missed. A container that asks for a terminal and runs without
 * one: its input goes through a LineDiscipline (echo, line editing, a line at a time; Ctrl-D on
 * an empty line ends the attach) and its output gets CR LF, as `kubectl exec -t` on a node
 * without terminals. An attach without input to such a container that an older agent refuses
 * (it takes no input) shows the log all the same.
 */
function attachBridge(deps: ExecDeps, peer: ExecPeer, t: Target): ExecInput {
  let finished = false;
  const terminalAttach = t.containerTty === true;
  /** The followed log (no terminal). */
  let logRes: IncomingMessage | undefined;
  let logReq: ReturnType<typeof agentRequest> | undefined;
  /** The agent's POST /attach: the container's input, and on a terminal its output too. */
  let input: ReturnType<typeof agentRequest> | undefined;
  let inputRes: IncomingMessage | undefined;
  /** The agent ended its attach answer: the container's input closed, later input has nowhere to go. */
  let inputClosed = false;
  /** The client ended its input. */
  let inputEnded = false;
  /** The agent reads the attach body as frames (a terminal attach it answered). */
  let framed = false;
  /** The container runs on a terminal (the agent answered `pty`). */
  let pty = false;
  /** Client input from before the agent said how the container runs (terminal attaches). */
  let held: Buffer[] | undefined = terminalAttach ? [] : undefined;
  let heldBytes = 0;
  /** Input for the agent from before the container's output is followed (no pty). */
  let pending: Buffer[] | undefined = [];
  let inputTimer: NodeJS.Timeout | undefined;
  let line: LineDiscipline | undefined;
  /** The client's latest terminal size, and the one the agent last got. */
  let size: TerminalSize | undefined;
  let sentSize: TerminalSize | undefined;
  const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  const finish = (status: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    clearTimeout(inputTimer);
    peer.finish(status);
    logReq?.destroy();
    input?.destroy();
  };
  const refused = (r: IncomingMessage, what: string, then: (text: string) => void): void => {
    let text = '';
    r.on('data', (c: Buffer) => {
      if (text.length < 16 * 1024) text += c.toString('utf8');
    });
    r.on('end', () => then(text.trim() || `the agent of node ${t.nodeName} answered ${r.statusCode} to the ${what}`));
  };

  /** Writes to the container's input (framed when the agent reads frames); held while `pending`. */
  const send = (data: Buffer): void => {
    if (finished || inputClosed || data.length === 0) return;
    if (pending) {
      pending.push(data);
      return;
    }
    if (!input || input.writableEnded) return;
    if (!input.write(framed ? execFrame(EXEC_STDIN, data) : data)) peer.pauseInput();
  };
  const sendSize = (): void => {
    if (!pty || !size || !input || input.writableEnded || finished) return;
    if (sentSize && sentSize.cols === size.cols && sentSize.rows === size.rows) return;
    sentSize = size;
    if (!input.write(execFrame(EXEC_RESIZE, Buffer.from(JSON.stringify({ Width: size.cols, Height: size.rows }))))) peer.pauseInput();
  };
  /** Client input once the agent said how the container runs. */
  const handle = (data: Buffer): void => {
    if (!line) return send(data);
    const r = line.input(data);
    if (r.echo.length) peer.output(STDOUT, r.echo);
    send(r.send);
    // Ctrl-C: the line typed so far is dropped (there is no terminal to signal the container's processes).
    if (r.interrupt) line = new LineDiscipline();
    if (r.eof) finish(success);
  };
  const endInput = (): void => {
    if (!pending && input && !input.writableEnded) input.end();
  };
  /** The container's input may be written: what waited goes. */
  const release = (): void => {
    if (!pending || finished) return;
    const waiting = pending;
    pending = undefined;
    for (const data of waiting) send(data);
    if (inputEnded) endInput();
  };
  /** The agent said how the container runs: the client's held input is handled. */
  const known = (): void => {
    const waiting = held ?? [];
    held = undefined;
    heldBytes = 0;
    for (const data of waiting) {
      if (finished) return;
      handle(data);
    }
    if (inputEnded) endInput();
    if (!input?.writableNeedDrain) peer.resumeInput(); // else at the body's 'drain'
  };

  /** Follows the container's log from its end (its output without a terminal). */
  const followLog = (): void => {
    if (finished || logReq) return;
    const path = `/containerLogs/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}?follow=true&tailLines=0`;
    logReq = agentRequest(t.nodeName, t.ep, 'GET', path, deps.kubeletClient, (r) => {
      logRes = r;
      if (r.statusCode !== 200) return refused(r, 'log', (text) => finish(failureStatus(text)));
      following();
      r.on('data', (c: Buffer) => {
        if (!finished && (t.stdout || t.stderr) && !peer.output(STDOUT, line ? LineDiscipline.output(c) : c)) r.pause();
      });
      r.on('end', () => finish(success));
      r.on('error', () => finish(failureStatus(`lost the connection to the agent of node ${t.nodeName}`)));
    });
    logReq.on('error', (err) => finish(failureStatus(`cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`)));
    logReq.end();
    // An agent that starts its log answer only at the first chunk is given a second.
    if (t.stdin) inputTimer = setTimeout(following, 1_000);
  };
  /** The log is followed (or the wait for it is over): the input may open. */
  const following = (): void => {
    clearTimeout(inputTimer);
    if (terminalAttach) release();
    else if (t.stdin) openAttach(false);
  };

  /**
   * Opens the agent's POST /attach: with `tty` the terminal attach (its answer says how the
   * container runs), else the raw input of a container without a terminal.
   */
  const openAttach = (tty: boolean): void => {
    if (input || finished) return;
    const q = tty ? `?tty=true${t.stdin ? '&stdin=true' : ''}` : '';
    const path = `/attach/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}${q}`;
    input = agentRequest(t.nodeName, t.ep, 'POST', path, deps.kubeletClient, (r) => {
      inputRes = r;
      if (r.statusCode !== 200) {
        return refused(r, 'attach', (text) => {
          if (!tty || t.stdin) return finish(failureStatus(text));
          // Without input the attach needs no input of the agent's: an older agent refuses those
          // whose spec takes none. The log shows the output.
          inputClosed = true;
          line = new LineDiscipline();
          known();
          followLog();
        });
      }
      const mode = tty ? r.headers[EXEC_TERMINAL_HEADER] : undefined;
      if (mode === 'pty') {
        pty = true;
        framed = true;
        const decoder = new ExecFrameDecoder(MAX_AGENT_FRAME);
        r.on('data', (c: Buffer) => {
          let frames;
          try {
            frames = decoder.push(c);
          } catch {
            r.destroy();
            return finish(failureStatus('the agent sent an oversized frame'));
          }
          for (const f of frames) {
            if (f.channel === EXEC_STDOUT && !finished && (t.stdout || t.stderr) && !peer.output(STDOUT, f.payload)) r.pause();
          }
        });
        r.on('end', () => finish(success));
        r.on('error', () => finish(failureStatus(`lost the connection to the agent of node ${t.nodeName}`)));
        sendSize();
        release();
        known();
        return;
      }
      // The agent ends its answer when the container's input closed (the container exited, or
      // shut its stdin): later input has nowhere to go.
      r.on('end', () => (inputClosed = true));
      r.resume();
      if (!tty) return;
      // No terminal there (`none`), or an agent before terminal attaches (it took the body as
      // raw input): the log is the output, a LineDiscipline here the terminal.
      framed = mode === 'none';
      line = new LineDiscipline();
      known();
      followLog();
    });
    input.on('error', (err) => finish(failureStatus(`cannot reach the agent of node ${t.nodeName}: ${agentConnectionError(err)}`)));
    input.on('drain', () => peer.resumeInput());
    input.flushHeaders();
    if (!tty) release();
  };

  if (terminalAttach) openAttach(true);
  else followLog();

  return {
    stdin: (data) => {
      if (!t.stdin || finished || data.length === 0) return;
      if (held) {
        held.push(Buffer.from(data));
        heldBytes += data.length;
        if (heldBytes > MAX_HELD_INPUT) peer.pauseInput();
        return;
      }
      handle(data);
    },
    stdinEnd: () => {
      inputEnded = true;
      if (!held) endInput();
    },
    resize: (s) => {
      size = s;
      sendSize();
    },
    drained: () => {
      logRes?.resume();
      if (pty) inputRes?.resume();
    },
    gone: () => {
      finished = true;
      clearTimeout(inputTimer);
      logReq?.destroy();
      input?.destroy();
    },
  };
}

/**
 * The subprotocols of a log read over WebSocket, as the API server's stream reader serves them:
 * the log's bytes as binary messages, or (base64.binary.k8s.io) as base64 in text messages. A
 * client that offers none gets binary messages.
 */
const LOG_PROTOCOLS = ['binary.k8s.io', 'base64.binary.k8s.io'];

/**
 * pods/log over WebSocket (upstream serves any streamed answer so when the request is an
 * upgrade): the same query, checks and agent call as the plain GET (openPodLog), refused as
 * plain HTTP before the upgrade; then each chunk of the log as one message, and a normal close
 * when the log ends (at once for a pod bound to no node). Backpressure: a client that does not
 * read pauses the agent's answer. The client closing, or going away, ends the agent request.
 */
async function logOverWebSocket(deps: ExecDeps, req: IncomingMessage, socket: Duplex, head: Buffer, route: ResourceRoute, q: URLSearchParams): Promise<void> {
  const protocol = webSocketProtocol(req, (offered) => (offered.length === 0 ? '' : offered.find((p) => LOG_PROTOCOLS.includes(p))), LOG_PROTOCOLS, 'log');
  const podKind = deps.kinds.byResource('', 'v1', 'pods');
  const nodeKind = deps.kinds.byResource('', 'v1', 'nodes');
  if (!podKind || !nodeKind) throw new Error('log: core pods and nodes are not served');
  validateLogQuery(q, route.name!);
  const pod = JSON.parse(await deps.registry.get(podKind, route.namespace, route.name!)) as Pod;
  const getNode = async (n: string): Promise<Node> => JSON.parse(await deps.registry.get(nodeKind, undefined, n)) as Node;
  const log = await openPodLog(pod, q, getNode, deps.kubeletClient, (cancel) => socket.once('close', cancel));
  if (!acceptWebSocket(req, socket, protocol)) {
    log?.destroy();
    return;
  }
  const base64 = protocol === 'base64.binary.k8s.io';
  const close = (): void => {
    if (socket.writable) socket.end(wsFrame(WS_CLOSE, WS_NORMAL_CLOSURE));
    // The client answers the close and hangs up; one that does not is cut off.
    setTimeout(() => socket.destroy(), 5_000).unref();
  };
  const reader = new WsReader({
    message: () => undefined, // nothing is read from the client
    ping: (data) => {
      if (socket.writable) socket.write(wsFrame(WS_PONG, data));
    },
    close: () => {
      log?.destroy();
      socket.end();
    },
    error: () => {
      log?.destroy();
      socket.destroy();
    },
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.on('drain', () => log?.resume());
  socket.on('close', () => log?.destroy());
  if (head.length) reader.push(head);
  if (!log) return close();
  log.on('data', (chunk: Buffer) => {
    if (!socket.writable) return;
    const sent = socket.write(base64 ? wsFrame(WS_TEXT, Buffer.from(chunk.toString('base64'), 'utf8')) : wsFrame(WS_BINARY, chunk));
    if (!sent) log.pause();
  });
  log.on('end', close);
  log.on('error', () => socket.destroy());
}

/** Exec over WebSocket (the channel subprotocols, see PROTOCOLS; v5/v4 from kubectl 1.30+). */
function execOverWebSocket(deps: ExecDeps, socket: Duplex, head: Buffer, t: Target, framing: ExecFraming, makeBridge: typeof bridge = bridge): void {
  const reading = readPausably(socket, () => wsFrame(WS_PING, Buffer.alloc(0)));
  const send = (channel: number, data: Buffer): boolean => {
    if (!socket.writable) return true;
    return socket.write(channelFrame(channel, data, framing.base64));
  };
  const input = makeBridge(deps, {
    output: send,
    finish(status) {
      if (framing.statusJson) send(ERROR, Buffer.from(JSON.stringify(status)));
      else if (status.status !== 'Success') send(ERROR, Buffer.from(String(status.message ?? ''), 'utf8'));
      if (socket.writable) socket.end(wsFrame(WS_CLOSE, WS_NORMAL_CLOSURE));
    },
    pauseInput: () => reading.pause(),
    resumeInput: () => reading.resume(),
  }, t);
  socket.on('drain', () => input.drained());
  const sizes = new ResizeDecoder();
  const reader = new WsReader({
    message: (m) => {
      const msg = readChannelMessage(m, framing.base64);
      if (!msg) return;
      const { channel, data } = msg;
      if (channel === STDIN) input.stdin(data);
      else if (channel === RESIZE) for (const size of sizes.push(data)) input.resize(size);
      else if (channel === CLOSE && framing.closeChannel && data[0] === STDIN) input.stdinEnd();
      // anything else: ignored
    },
    ping: (data) => {
      if (socket.writable) socket.write(wsFrame(WS_PONG, data));
    },
    close: () => {
      input.gone();
      socket.end();
    },
    error: () => {
      input.gone();
      socket.destroy();
    },
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.on('close', () => input.gone());
  if (head.length) reader.push(head);
}

/** The remote command protocol served over SPDY (kubectl before 1.30, and its fallback). */
export const SPDY_EXEC_PROTOCOL = 'v4.channel.k8s.io';
/** How long a SPDY exec client has to open the streams its query announced. */
const STREAM_WAIT_MS = 30_000;

/**
 * Exec over SPDY/3.1 (protocol v4.channel.k8s.io): the client opens one stream per channel
 * (header `streamtype`: error, stdin, stdout, stderr, resize); the command starts once every
 * stream the query announced is open (with tty, after the first size, as over WebSocket); the
 * resize stream carries JSON sizes back to back. Output goes on the stdout/stderr streams, the
 * result as a metav1.Status on the error stream, then every stream is ended (FIN).
 */
function execOverSpdy(deps: ExecDeps, socket: Duplex, head: Buffer, t: Target, makeBridge: typeof bridge = bridge): void {
  const reading = readPausably(socket, spdyPingFrame);
  const ids = new Map<string, number>();
  const wanted = ['error', ...(t.stdin ? ['stdin'] : []), ...(t.stdout ? ['stdout'] : []), ...(t.stderr && !t.tty ? ['stderr'] : []), ...(t.tty ? ['resize'] : [])];
  let input: ExecInput | undefined;
  let done = false;
  const sizes = new ResizeDecoder();
  /** A size sent before every stream was open (passed on when the command starts). */
  let earlySize: TerminalSize | undefined;
  const send = (b: Buffer): boolean => (socket.writable ? socket.write(b) : true);
  const session = new SpdySession(send, {
    stream(id, headers) {
      const type = (headers.get('streamtype')?.[0] ?? '').toLowerCase();
      if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type) || ids.has(type)) {
        session.reset(id, RST.protocolError);
        return;
      }
      session.reply(id);
      ids.set(type, id);
      if (!input && wanted.every((w) => ids.has(w))) {
        clearTimeout(timer);
        input = makeBridge(deps, peer, t);
        if (earlySize) input.resize(earlySize);
      }
    },
    data(id, data, fin) {
      if (id === ids.get('resize')) {
        for (const size of sizes.push(data)) {
          if (input) input.resize(size);
          else earlySize = size;
        }
        return;
      }
      if (!input || id !== ids.get('stdin')) return; // the client's half of error: nothing to do
      if (data.length) input.stdin(data);
      if (fin) input.stdinEnd();
    },
    reset(id) {
      if (id === ids.get('stdin')) input?.stdinEnd();
    },
    goAway: () => close(),
    error: () => undefined,
  });
  const peer: ExecPeer = {
    output(channel, data) {
      const id = ids.get(channel === STDOUT ? 'stdout' : 'stderr');
      return id === undefined || done ? true : session.data(id, data);
    },
    finish(status) {
      if (done) return;
      done = true;
      session.data(ids.get('error')!, Buffer.from(JSON.stringify(status)));
      for (const type of ['stdout', 'stderr', 'error']) {
        const id = ids.get(type);
        if (id !== undefined) session.data(id, Buffer.alloc(0), true);
      }
      // The client closes the connection once it has read every stream; end ours soon after.
      setTimeout(() => socket.end(), 5_000).unref();
    },
    pauseInput: () => reading.pause(),
    resumeInput: () => reading.resume(),
  };
  const timer = setTimeout(() => close(), STREAM_WAIT_MS);
  timer.unref();
  function close(): void {
    clearTimeout(timer);
    input?.gone();
    session.close();
    socket.destroy();
  }
  socket.on('data', (c: Buffer) => session.push(c));
  socket.on('drain', () => input?.drained());
  socket.on('close', () => close());
  if (head.length) session.push(head);
}
