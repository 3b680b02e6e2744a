// pods/proxy and services/proxy. `/api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy[/PATH]` forwards one HTTP
// request to a port of the pod and streams the answer back, as upstream's pod proxy does (what
// `kubectl get --raw .../pods/node-exporter-x:9100/proxy/metrics` uses to read a daemon).
//
// Contract:
// - The name may carry a scheme (`http`, default, or `https`) and a port: a number, or the name
//   of one of the pod's container ports; without one the first declared container port is used.
//   Only ports the pod's containers declare are reached (400 otherwise, as for an unknown port
//   name or scheme): the process runtime's pods share their node's network, so any other port
//   would be any service of the node (upstream's proxy refuses loopback addresses for the same
//   reason). services/proxy likewise skips endpoints whose port their pod does not declare.
// - The pod must be bound to a node with an agent address (else 503): the connection goes through
//   that node's agent (forwardToAgent, as port-forward), which dials the port in the pod's
//   network. https is spoken over that connection without verifying the pod's certificate (as
//   upstream's proxy transport).
// - The request goes with its method, the path after `/proxy` (request-info.ts proxyPath) and the query string;
//   its headers minus hop-by-hop ones (and those its Connection header names) and the caller's
//   credentials (Authorization, Impersonate-*, Cookie): a daemon never sees the caller's token.
//   Its body keeps its framing: Content-Length as sent, chunked when it came chunked, none when
//   it came with neither (bytes after such a request are never passed on as another request).
//   The answer comes back with its status, headers (minus hop-by-hop ones) and body, streamed
//   both ways.
// - A failure to reach the port is 503 ServiceUnavailable with the reason (`error trying to
//   reach service: ...`); the caller's connection closing ends the proxied one.
// - services/proxy (`.../services/[SCHEME:]NAME[:PORT]/proxy[/PATH]`) goes the same way to one
//   ready endpoint of the service (serveServiceProxy).
// - Upgrades (WebSocket through the proxy) are not served.
// - The forwarding itself (headers, body framing, the answer, the 503) is relayRequest, which
//   nodes/proxy (node-proxy.ts) shares.

import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ApiError, badRequest } from '../api/errors.js';
import type { KubeObject, Node, Pod } from '../api/types.js';
import { forwardToAgent, type AgentForward, type PortForwardTarget } from './port-forward.js';
import { agentEndpoint, noAgentEndpoint } from './pod-log.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and credentials, never passed through. */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'cookie']);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** `[scheme:]name[:port]` of a proxy path, as upstream's net.SplitSchemeNamePort. */
export function splitSchemeNamePort(id: string): { scheme: 'http' | 'https'; name: string; port: string } {
  const parts = id.split(':');
  let scheme = '';
  let name = '';
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else throw badRequest(`invalid request ${JSON.stringify(id)}`);
  if (scheme !== '' && scheme !== 'http' && scheme !== 'https') throw badRequest(`invalid request ${JSON.stringify(id)}`);
  if (name === '') throw badRequest(`invalid request ${JSON.stringify(id)}`);
  return { scheme: scheme === 'https' ? 'https' : 'http', name, port };
}

/** The container ports a pod declares (the only ports the proxy reaches). */
function declaredPorts(pod: Pod): Array<{ name?: string; containerPort: number }> {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) => c.ports ?? []);
}

/** The port number the proxy connects to (see the contract). */
export function proxyPort(pod: Pod, port: string): number {
  const declared = declaredPorts(pod);
  const name = pod.metadata.name ?? '';
  if (port === '') {
    const first = declared[0];
    if (!first) throw badRequest(`pod ${name} declares no container port to proxy to`);
    return first.containerPort;
  }
  if (/^\d+$/.test(port)) {
    const n = Number(port);
    if (!(n >= 1 && n <= 65535)) throw badRequest(`invalid port ${JSON.stringify(port)}`);
    if (!declared.some((p) => p.containerPort === n)) throw badRequest(`port ${n} is not a container port of pod ${name}: the proxy reaches only the ports a pod declares`);
    return n;
  }
  const named = declared.find((p) => p.name === port);
  if (!named) throw badRequest(`no container port named ${JSON.stringify(port)} in pod ${name}`);
  return named.containerPort;
}

/** One forwarded connection to the pod's port as a Duplex stream (for an HTTP client). */
function agentStream(t: PortForwardTarget, port: number): Duplex {
  let pendingWrite: ((err?: Error | null) => void) | undefined;
  let forward: AgentForward | undefined;
  const stream = new Duplex({
    write(chunk: Buffer, _enc, done) {
      if (!forward || forward.write(chunk)) done();
      else pendingWrite = done;
    },
    final(done) {
      forward?.end();
      done();
    },
    read() {
      forward?.resume();
    },
    destroy(err, done) {
      forward?.destroy();
      done(err);
    },
  });
  forward = forwardToAgent(t, port, {
    data: (bytes) => stream.push(bytes),
    drain: () => {
      const done = pendingWrite;
      pendingWrite = undefined;
      done?.();
    },
    end: (error) => {
      if (error !== undefined) stream.destroy(new Error(error));
      else stream.push(null);
    },
  });
  return stream;
}

/** What services/proxy reads of a v1 Service and its Endpoints. */
export interface ProxiedService extends KubeObject {
  spec?: { ports?: Array<{ name?: string; port: number }> };
}
export interface ProxiedEndpoints extends KubeObject {
  subsets?: Array<{ addresses?: Array<{ targetRef?: { kind?: string; name?: string } }>; ports?: Array<{ name?: string; port: number }> }>;
}

export interface PodProxyDeps {
  getPod: (namespace: string, name: string) => Promise<Pod>;
  getNode: (name: string) => Promise<Node>;
  /** services/proxy only. */
  getService?: (namespace: string, name: string) => Promise<ProxiedService>;
  getEndpoints?: (namespace: string, name: string) => Promise<ProxiedEndpoints>;
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined;
}

/** Where a proxied request goes: a pod's port, reached through its node's agent. */
interface ProxyTarget {
  forward: PortForwardTarget;
  port: number;
  scheme: 'http' | 'https';
  host: string;
}

async function podTarget(deps: PodProxyDeps, namespace: string, pod: Pod, port: number, scheme: 'http' | 'https', host: string): Promise<ProxyTarget> {
  const name = pod.metadata.name ?? '';
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw new ApiError(503, 'ServiceUnavailable', `pod ${name} is not bound to a node`);
  const node = await deps.getNode(nodeName);
  const ep = agentEndpoint(node);
  if (!ep) throw new ApiError(503, 'ServiceUnavailable', noAgentEndpoint(node));
  return { forward: { nodeName, ep, namespace, pod: name, kubeletClient: deps.kubeletClient }, port, scheme, host };
}

/**
 * Proxies `req` to the pod named by `id` (`[scheme:]name[:port]`) in `namespace`, to `path`
 * (from the route, request-info.ts proxyPath) with `search` (the query string, with its `?`, or '').
 */
export async function servePodProxy(deps: PodProxyDeps, namespace: string, id: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.upgrade) throw badRequest('upgrade requests are not proxied to pods');
  const { scheme, name, port: portText } = splitSchemeNamePort(id);
  const pod = await deps.getPod(namespace, name);
  const port = proxyPort(pod, portText);
  return proxyTo(await podTarget(deps, namespace, pod, port, scheme, `${name}:${port}`), path, search, req, res);
}

/**
 * services/proxy: as upstream's service ResourceLocation, `id` is `[scheme:]name[:port]` where
 * port is a service port's name (or its number, which names it); a ready endpoint address
 * serving that port is picked at random among those whose pod exists, and its target port is
 * proxied to through the pod's agent. 503 when there is none.
 */
export async function serveServiceProxy(deps: PodProxyDeps, namespace: string, id: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.upgrade) throw badRequest('upgrade requests are not proxied to services');
  if (!deps.getService || !deps.getEndpoints) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const { scheme, name, port: portText } = splitSchemeNamePort(id);
  const svc = await deps.getService(namespace, name);
  let portName = portText;
  if (/^\d+$/.test(portText)) {
    const declared = (svc.spec?.ports ?? []).find((p) => p.port === Number(portText));
    if (!declared) throw new ApiError(503, 'ServiceUnavailable', `no service port ${portText} found for service "${name}"`);
    portName = declared.name ?? '';
  }
  const none = new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${id}"`);
  let eps: ProxiedEndpoints;
  try {
    eps = await deps.getEndpoints(namespace, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) throw none;
    throw err;
  }
  const candidates: Array<{ pod: string; port: number }> = [];
  for (const ss of eps.subsets ?? []) {
    const p = (ss.ports ?? []).find((x) => (x.name ?? '') === portName);
    if (!p) continue;
    for (const a of ss.addresses ?? []) {
      if (a.targetRef?.kind === 'Pod' && a.targetRef.name) candidates.push({ pod: a.targetRef.name, port: p.port });
    }
  }
  // Random order, then the first whose pod exists (upstream's isValidAddress).
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  for (const c of candidates) {
    let pod: Pod;
    try {
      pod = await deps.getPod(namespace, c.pod);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) continue;
      throw err;
    }
    if (!pod.spec.nodeName || !declaredPorts(pod).some((p) => p.containerPort === c.port)) continue;
    return proxyTo(await podTarget(deps, namespace, pod, c.port, scheme, `${name}.${namespace}.svc:${c.port}`), path, search, req, res);
  }
  throw none;
}

/** Sends `req` to the target and streams the answer into `res` (see the file contract). */
async function proxyTo(t: ProxyTarget, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { forward: target, port, scheme } = t;
  return relayRequest(
    (headers) =>
      httpRequest({
        method: req.method,
        path: path + search,
        headers: { ...headers, host: t.host },
        createConnection: () => {
          const stream = agentStream(target, port);
          return (scheme === 'https' ? tlsConnect({ socket: stream, rejectUnauthorized: false }) : stream) as never;
        },
      }),
    req,
    res,
  );
}

/**
 * The relay every proxy here shares (pods/proxy, services/proxy, nodes/proxy): `open` starts the
 * request to the target with the headers to send (the caller's minus hop-by-hop ones, those its
 * Connection header names, Host and the caller's credentials; the body's framing as the file
 * contract says), `req`'s body goes on, and the target's answer streams into `res` with its
 * status and headers (minus hop-by-hop ones). A failure before the answer rejects with 503
 * ServiceUnavailable `error trying to reach service: <describe(err)>`; after it, `res` is
 * dropped. The caller going away ends the request to the target. Resolves when done.
 */
export async function relayRequest(
  open: (headers: Record<string, string | string[]>) => ClientRequest,
  req: IncomingMessage,
  res: ServerResponse,
  describe: (err: Error) => string = (err) => err.message,
): Promise<void> {
  const named = new Set(String(req.headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || DROPPED_REQUEST_HEADERS.has(k) || named.has(k) || k.startsWith('impersonate-') || k.startsWith(':')) continue;
    headers[k] = v;
  }
  // The body's framing (see the contract); Node's client would not chunk a GET's body itself.
  // An HTTP/2 request has no Transfer-Encoding: a body without Content-Length (its stream did
  // not end with its headers) goes on chunked.
  const sized = req.headers['content-length'] !== undefined;
  const h2Body = (req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders === false;
  const chunked = /(^|,)\s*chunked\s*$/i.test(String(req.headers['transfer-encoding'] ?? '')) || (h2Body && !sized);
  if (chunked) {
    delete headers['content-length'];
    headers['transfer-encoding'] = 'chunked';
  }

  // The caller may have gone while the target was looked up: nothing to open then.
  if (res.destroyed || req.destroyed) return;
  await new Promise<void>((resolve, reject) => {
    let answered = false;
    const fail = (reason: string): void => {
      if (answered) {
        res.destroy();
        resolve();
        return;
      }
      answered = true;
      reject(new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${reason}`));
    };
    const up = open(headers);
    up.on('response', (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !DROPPED_RESPONSE_HEADERS.has(k)) out[k] = v;
      // A status the caller's protocol cannot carry (HTTP/2 takes 200-599 only; a target may
      // answer any three digits) is the target's failure, not the server's.
      const status = r.statusCode ?? 0;
      if (status < 200 || status > 599) {
        r.resume();
        up.destroy();
        return fail(`the target answered with status ${status}`);
      }
      try {
        res.writeHead(status, out);
      } catch (err) {
        r.resume();
        up.destroy();
        return fail(`the target's answer cannot be passed on: ${err instanceof Error ? err.message : String(err)}`);
      }
      answered = true;
      r.pipe(res);
      r.on('end', () => resolve());
      r.on('error', () => fail('the connection to the target was lost'));
    });
    up.on('error', (err) => fail(describe(err)));
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
      resolve();
    });
    if (chunked || sized) req.pipe(up);
    else up.end();
  });
}
