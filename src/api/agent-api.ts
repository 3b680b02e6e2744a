// The agent's HTTP API as the API server speaks to it (the kubelet API of this project): the
// shapes and framing both sides share, so neither part imports the other.
//
//   GET  /stats/summary                         → AgentStats (JSON)
//   POST /exec/<namespace>/<pod>/<container>?command=...[&stdin=true]
//        request body: the command's stdin; answer: frames `[channel u8][length u32 BE][payload]`
//        on EXEC_STDOUT / EXEC_STDERR, then one EXEC_RESULT frame, JSON
//        `{ "exitCode": n }` or `{ "error": "..." }`.
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

export const EXEC_STDOUT = 1;
export const EXEC_STDERR = 2;
export const EXEC_RESULT = 3;

/** One exec answer frame. */
export function execFrame(channel: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
