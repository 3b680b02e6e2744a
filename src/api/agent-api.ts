// The agent's HTTP API as the API server speaks to it (the kubelet API of this project): the
// shapes and framing both sides share, so neither part imports the other.
//
//   GET  /stats/summary                         → AgentStats (JSON)
//   GET  /pods                                  → a v1 PodList (JSON) of the pods the agent runs
//   GET  /metrics, /metrics/resource, /metrics/cadvisor → Prometheus text format 0.0.4 (the
//        kubelet's metric names; agent/metrics.ts)
//   GET  /healthz                               → `ok`
//   Through the API server these are `nodes/<name>/proxy/<path>` (apiserver/node-proxy.ts).
//   POST /exec/<namespace>/<pod>/<container>?command=...[&stdin=true][&tty=true[&cols=W&rows=H]]
//        answer: frames `[channel u8][length u32 BE][payload]` on EXEC_STDOUT / EXEC_STDERR,
//        then one EXEC_RESULT frame, JSON `{ "exitCode": n }` or `{ "error": "..." }`. The
//        answer's headers are sent once the command has started (errors before that are plain
//        text with their status). The command is killed when the caller goes away.
//        Without tty: the request body is the command's stdin (with stdin=true; its end ends stdin).
//        With tty (kubectl exec -t): the answer carries EXEC_TERMINAL_HEADER:
//          `pty`  the command runs on a pseudo-terminal of cols×rows (when given): all output is
//                 the terminal's (raw, on EXEC_STDOUT; the terminal does echo, line editing and
//                 Ctrl-C), and input bytes go to the terminal as typed;
//          `none` the node has no terminals: the command runs on pipes as without tty (the
//                 caller may emulate a line discipline).
//        Either way the request body is then a stream of frames (the same framing): EXEC_STDIN
//        (input bytes, used with stdin=true) and EXEC_RESIZE (JSON `{"Width":W,"Height":H}`,
//        the terminal's new size; applied with `pty`, ignored otherwise). The end of the body
//        ends stdin. An answer without the header comes from an agent that predates terminals:
//        its body is raw stdin, as without tty.
//   POST /attach/<namespace>/<pod>/<container>[?tty=true[&stdin=true]]   kubectl attach.
//        Without tty: the request body is raw input for the container's stdin (its spec must set
//        stdin); the answer (200, no body) starts once the input is open and ends when it closes.
//        The output is the container's log, followed by the caller.
//        With tty (the container's spec asks for a terminal): the request body is frames, EXEC_STDIN
//        (input, with stdin=true, where the spec sets stdin) and EXEC_RESIZE; its end ends the
//        input. The answer (once the attach is open) carries EXEC_TERMINAL_HEADER:
//          `pty`  the container runs on a pseudo-terminal: the answer is its output from now on,
//                 raw, as EXEC_STDOUT frames, until it exits; input bytes are typed into the
//                 terminal (echo, line editing, Ctrl-C and Ctrl-D are the terminal's); sizes are
//                 applied to it;
//          `none` it runs without one: as without tty (input to its stdin, no body, resizes
//                 ignored); the caller follows the log and may emulate a line discipline.
//        An answer without the header comes from an agent that predates terminal attaches: it
//        took the body as raw input (as without tty).
//   POST /portForward/<namespace>/<pod>?port=N
//        200 once the agent is connected to the port in the pod's network, then a byte stream
//        both ways (request body → port, port → answer; the body's end is a half close); 502 with
//        the reason as text when nothing accepts the connection.

/** The agent's `GET /stats/summary` answer (the metrics API reads it). */
export interface AgentStats {
  nodeName: string;
  /** ms since the epoch of the sample the rates end at. */
  timestamp: number;
  windowMs: number;
  node?: { cpuNanoCores: number; memoryBytes: number };
  pods: { namespace: string; name: string; uid: string; containers: { name: string; cpuNanoCores: number; memoryBytes: number }[] }[];
}

export const EXEC_STDIN = 0;
export const EXEC_STDOUT = 1;
export const EXEC_STDERR = 2;
export const EXEC_RESULT = 3;
export const EXEC_RESIZE = 4;
/** Answer header of a tty exec: `pty` or `none` (see the file comment). */
export const EXEC_TERMINAL_HEADER = 'x-everynode-exec-terminal';

/** A terminal's size in character cells. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Largest terminal dimension accepted (the kernel's winsize fields are 16 bits). */
export const MAX_TERMINAL_DIMENSION = 65535;

/** One exec answer frame. */
export function execFrame(channel: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/**
 * Splits a byte stream into exec frames, whatever the chunking. A frame announcing more than
 * `maxPayload` bytes throws (the stream cannot be trusted after it).
 */
export class ExecFrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): { channel: number; payload: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { channel: number; payload: Buffer }[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > this.maxPayload) throw new Error(`exec frame of ${len} bytes exceeds ${this.maxPayload}`);
      if (this.buf.length < 5 + len) break;
      out.push({ channel: this.buf[0]!, payload: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}

/**
 * Terminal sizes from the resize messages of the remote command protocol: JSON objects
 * `{"Width":W,"Height":H}` (kubectl's TerminalSize), one per WebSocket message or back to back
 * on a SPDY stream, split anywhere. Malformed or out-of-range sizes are dropped; so is a
 * fragment that grows past a few KiB without closing.
 */
export class ResizeDecoder {
  private text = '';

  push(chunk: Buffer | string): TerminalSize[] {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: TerminalSize[] = [];
    for (;;) {
      const open = this.text.indexOf('{');
      if (open < 0) {
        this.text = '';
        break;
      }
      const close = this.text.indexOf('}', open);
      if (close < 0) {
        this.text = this.text.length - open > 4096 ? '' : this.text.slice(open);
        break;
      }
      const size = terminalSizeOf(this.text.slice(open, close + 1));
      if (size) out.push(size);
      this.text = this.text.slice(close + 1);
    }
    return out;
  }
}

/**
 * `{"Width":W,"Height":H}` as a size, or undefined when it is not one (0 or out of range
 * included). Keys match regardless of case, as Go's encoding/json matches them into the untagged
 * TerminalSize struct: clients send `{"width":…,"height":…}` too (the JavaScript client does).
 */
export function terminalSizeOf(json: string): TerminalSize | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  let width: unknown;
  let height: unknown;
  for (const [k, n] of Object.entries(v)) {
    const key = k.toLowerCase();
    if (key === 'width') width = n;
    else if (key === 'height') height = n;
  }
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_TERMINAL_DIMENSION;
  return ok(width) && ok(height) ? { cols: width, rows: height } : undefined;
}
