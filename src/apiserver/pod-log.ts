// `GET /api/v1/namespaces/NS/pods/NAME/log`: proxied to the agent of the pod's node
// (node status.addresses InternalIP + status.daemonEndpoints.kubeletEndpoint.Port, path
// /containerLogs/NS/NAME/CONTAINER), streamed back as text/plain (upstream pod LogLocation +
// LocationStreamer).
//
// Contracts:
// - `container` defaults to the only container; with several the request is a 400 naming
//   them (kubectl picks its default client-side). An unknown name is a 400.
// - A pod bound to no node answers an empty log (200).
// - The agent's errors come back with its status code (400 → BadRequest, 404 → NotFound, else
//   InternalError) and its text as the message; an unreachable agent is a 500 naming the URL.
// - With `kubeletClient` (a secured server) the connection is HTTPS: the API server presents
//   its kubelet-client certificate, and accepts only an agent certificate signed by the
//   cluster CA whose CN is `system:node:<the pod's node>` (the node identity's serving
//   certificate), whatever address the node reports. Without it: plain HTTP.

import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { ApiError, badRequest, fe, invalid, type FieldError } from '../api/errors.js';
import type { Node, Pod } from '../api/types.js';
import { podContainerNames } from '../api/pod-containers.js';

const maxErrorBody = 64 * 1024;

/**
 * upstream's ValidatePodLogOptions, answered as its LogREST does: every violation at once, 422
 * Invalid naming the pod (`PodLogOptions "p" is invalid: ...`); a value that is not an integer
 * is a 400, as the query's conversion refuses it. Checked before the pod is read, so a bad
 * option is refused whether or not the pod exists (LogREST validates before LogLocation).
 */
export function validateLogQuery(q: URLSearchParams, podName: string): void {
  const errs: FieldError[] = [];
  const intOf = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    // int64 fields: a number Go's ParseInt cannot hold is refused as a malformed one.
    if (!/^-?\d+$/.test(v) || BigInt(v) > 9223372036854775807n || BigInt(v) < -9223372036854775808n) throw badRequest(`invalid ${name}: ${JSON.stringify(v)}`);
    return Number(v);
  };
  const tail = intOf('tailLines');
  if (tail !== undefined && tail < 0) errs.push(fe.invalid('tailLines', tail, 'must be greater than or equal to 0'));
  const limit = intOf('limitBytes');
  if (limit !== undefined && limit < 1) errs.push(fe.invalid('limitBytes', limit, 'must be greater than 0'));
  // A sinceTime that is no time fails the query's decoding, before anything else (a 400).
  const sinceTime = q.get('sinceTime');
  if (sinceTime && (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(sinceTime) || Number.isNaN(Date.parse(sinceTime)))) {
    throw badRequest(`invalid sinceTime: ${JSON.stringify(sinceTime)}`);
  }
  const since = intOf('sinceSeconds');
  if (since !== undefined && q.get('sinceTime')) errs.push(fe.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (since !== undefined && since < 1) errs.push(fe.invalid('sinceSeconds', since, 'must be greater than 0'));
  if (errs.length > 0) throw invalid({ group: '', resource: 'PodLogOptions', kind: 'PodLogOptions' }, podName, errs);
}

/** Resolves the container name as upstream's LogLocation does. */
export function logContainerName(pod: Pod, requested: string | null): string {
  const name = pod.metadata.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length > 0) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    throw badRequest(msg);
  }
  // Any container of the pod, ephemeral ones included (upstream's podHasContainerWithName).
  if (!podContainerNames(pod).includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/**
 * Why the API server cannot talk to a node's agent, for the client: the connection error, and
 * when the agent answered TLS with plain HTTP, what that means (an agent started without a node
 * identity serves no logs, exec or port-forward).
 */
export function agentConnectionError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const plainHttp = e?.code === 'EPROTO' || e?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(text);
  return plainHttp ? `${text} (the agent does not serve HTTPS: an agent started without a node identity serves no logs, exec or port-forward)` : text;
}

/** Where the agent of `node` serves logs; undefined when the node has not reported one. */
export function agentEndpoint(node: Node): { host: string; port: number } | undefined {
  const addresses = node.status?.addresses ?? [];
  const ip = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses.find((a) => a.type === 'Hostname')?.address;
  const port = (node.status?.daemonEndpoints as { kubeletEndpoint?: { Port?: number } } | undefined)?.kubeletEndpoint?.Port;
  // Reported by the node itself: anything that is no usable port is no endpoint.
  if (!ip || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: ip, port };
}

/**
 * Why `node` has no agent endpoint (agentEndpoint gave none), naming what its status lacks: an
 * address, or the agent's port (a hollow node, simulated, runs no agent and reports none).
 */
export function noAgentEndpoint(node: Node): string {
  const name = node.metadata?.name ?? '';
  const addresses = node.status?.addresses ?? [];
  if (!addresses.some((a) => a.type === 'InternalIP' || a.type === 'Hostname')) return `node ${name} reports no InternalIP address in its status`;
  return `node ${name} reports no agent port in its status (daemonEndpoints.kubeletEndpoint): no agent serves it (a hollow node, simulated, runs no containers)`;
}

/**
 * Starts `GET path` on the agent of `nodeName` at `ep`: HTTPS with the kubelet-client
 * certificate, accepting only the node's own serving certificate, when `kubeletClient` is
 * given; plain HTTP otherwise (see the file comment).
 */
export function agentGet(
  nodeName: string,
  ep: { host: string; port: number },
  path: string,
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const r = agentRequest(nodeName, ep, 'GET', path, kubeletClient, onResponse);
  r.end();
  return r;
}

/**
 * How long a connection to an agent may take to be established (TCP connect, and with
 * `kubeletClient` the TLS handshake). Upstream's dialer to kubelets gives up after 30 s; an
 * agent that takes longer than 10 s to accept is treated as unreachable, so `kubectl logs`,
 * exec, attach, port-forward and the proxies fail with a reason instead of hanging on a node
 * whose address swallows packets. Once connected there is no limit: logs may be followed and
 * sessions kept open for as long as the client wants.
 */
export const agentDialTimeoutMs = 10_000;

/**
 * agentGet for any method; the caller writes the body and ends the request. A connection not
 * established within `dialTimeoutMs` is destroyed with an error naming the agent's address
 * (the request's 'error' event, as any other connection failure).
 */
export function agentRequest(
  nodeName: string,
  ep: { host: string; port: number },
  method: string,
  path: string,
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined,
  onResponse: (res: IncomingMessage) => void,
  dialTimeoutMs = agentDialTimeoutMs,
  headers?: Record<string, string | string[]>,
): ClientRequest {
  const expectedCN = `system:node:${nodeName}`;
  const req = kubeletClient
    ? httpsRequest(
        {
          host: ep.host,
          port: ep.port,
          path,
          method,
          ...(headers ? { headers } : {}),
          agent: false,
          ca: kubeletClient.caPem,
          cert: kubeletClient.certPem,
          key: kubeletClient.keyPem,
          checkServerIdentity: (_host: string, cert: PeerCertificate) => {
            const cn = cert.subject?.CN;
            return cn === expectedCN ? undefined : new Error(`agent certificate is for ${JSON.stringify(cn)}, not ${JSON.stringify(expectedCN)}`);
          },
        },
        onResponse,
      )
    : httpRequest({ host: ep.host, port: ep.port, path, method, ...(headers ? { headers } : {}), agent: false }, onResponse);
  const timer = setTimeout(() => {
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
    req.destroy(Object.assign(new Error(`dial ${host}:${ep.port}: no connection within ${dialTimeoutMs / 1000} s (i/o timeout)`), { code: 'ETIMEDOUT' }));
  }, dialTimeoutMs);
  timer.unref();
  const connected = (): void => clearTimeout(timer);
  req.once('socket', (socket) => socket.once(kubeletClient ? 'secureConnect' : 'connect', connected));
  req.once('close', connected);
  return req;
}

function reasonFor(code: number): 'BadRequest' | 'NotFound' | 'InternalError' {
  return code === 400 ? 'BadRequest' : code === 404 ? 'NotFound' : 'InternalError';
}

/**
 * Opens the log of a pod's container on its node's agent (the query already checked:
 * validateLogQuery): the container resolved, the agent asked. Resolves to the agent's 200 answer (the log as it streams), or
 * undefined for a pod bound to no node (an empty log); rejects with an ApiError otherwise.
 * `onCancel` is given the function that abandons the agent request (the client went away).
 */
export async function openPodLog(
  pod: Pod,
  query: URLSearchParams,
  getNode: (name: string) => Promise<Node>,
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined,
  onCancel: (cancel: () => void) => void,
): Promise<IncomingMessage | undefined> {
  const container = logContainerName(pod, query.get('container'));
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return undefined;
  const node = await getNode(nodeName);
  const ep = agentEndpoint(node);
  if (!ep) throw new ApiError(500, 'InternalError', noAgentEndpoint(node));
  const forward = new URLSearchParams();
  for (const k of ['follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime']) {
    const v = query.get(k);
    if (v !== null) forward.set(k, v);
  }
  const ns = encodeURIComponent(pod.metadata.namespace ?? '');
  const path = `/containerLogs/${ns}/${encodeURIComponent(pod.metadata.name ?? '')}/${encodeURIComponent(container)}${forward.size ? `?${forward.toString()}` : ''}`;
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  const url = `${kubeletClient ? 'https' : 'http'}://${host}:${ep.port}${path}`;

  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = agentGet(nodeName, ep, path, kubeletClient, resolve);
    r.on('error', (err) => reject(new ApiError(500, 'InternalError', `Get "${url}": ${agentConnectionError(err)}`)));
    onCancel(() => r.destroy());
  });
  const code = upstream.statusCode ?? 500;
  if (code !== 200) {
    let text = '';
    for await (const chunk of upstream) {
      if (text.length < maxErrorBody) text += (chunk as Buffer).toString('utf8');
    }
    throw new ApiError(code === 400 || code === 404 ? code : 500, reasonFor(code), text.trim() || `the agent answered ${code}`);
  }
  return upstream;
}

/**
 * Serves a pod log request. `getNode` reads the Node (NotFound → ApiError). Resolves when the
 * response has ended (the client going away aborts the agent request).
 */
export async function servePodLog(
  pod: Pod,
  query: URLSearchParams,
  getNode: (name: string) => Promise<Node>,
  req: IncomingMessage,
  res: ServerResponse,
  kubeletClient?: { certPem: string; keyPem: string; caPem: string },
): Promise<void> {
  const upstream = await openPodLog(pod, query, getNode, kubeletClient, (cancel) => {
    req.on('close', cancel);
    res.on('close', cancel);
  });
  if (!upstream) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 0 }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache' });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    upstream.on('data', (chunk: Buffer) => res.write(chunk));
    upstream.on('end', () => {
      res.end();
      resolve();
    });
    upstream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', () => {
      upstream.destroy();
      resolve();
    });
  });
}
