// nodes/proxy: `/api/v1/nodes/[SCHEME:]NAME[:PORT]/proxy[/PATH]` forwards one HTTP request to the
// node's agent and streams the answer back, as upstream's node proxy forwards to the kubelet
// (what `kubectl get --raw /api/v1/nodes/N/proxy/stats/summary` and Prometheus's kubelet scrape
// through the API server use).
//
// Contract:
// - Any method upstream's node proxy takes (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS); it is
//   authorized before it comes here as any request on `nodes/proxy` (RBAC verb from the method:
//   get, create, update, patch, delete; the name is the path segment as sent). The Node
//   authorizer grants nodes nothing on it, as upstream: a node reaches no agent, its own included,
//   unless RBAC grants its user `nodes/proxy`.
// - `[SCHEME:]NAME[:PORT]` as upstream's SplitSchemeNamePort (400 `invalid node request` otherwise).
//   An unknown node is 404 NotFound. A node that reports no address or agent port
//   (status.addresses InternalIP, else Hostname; status.daemonEndpoints.kubeletEndpoint.Port) is
//   503 saying so.
// - Without a port, or with the agent's own port, the request goes to the agent over its
//   authenticated endpoint (pod-log.ts agentRequest): HTTPS presenting the API server's
//   kubelet-client certificate, accepting only the cluster CA's certificate for
//   `system:node:NAME`; the scheme given, if any, is ignored there, as upstream uses the kubelet's
//   own. The agent answers what its endpoint serves (agent/log-server.ts: /healthz, /pods,
//   /stats/summary, /metrics, /metrics/resource, /metrics/cadvisor, logs, exec, ...), 404 for
//   anything else. So nodes/proxy is the agent's whole API, as upstream's is the kubelet's:
//   `get` reads every pod's logs, `create` (POST) runs commands in any of the node's containers
//   (/exec) and opens connections as port-forward does, without the pods/exec admission and audit
//   of the pods involved. It is node-admin power; grant `get` alone for scraping.
// - Deliberately unlike upstream, any other port is refused (400, saying why): upstream proxies it
//   to that port of the node's address with no credential, but an everynode node's address is
//   often the API server's own machine (loopback for the nodes of `everynode up`), so the proxy
//   would hand anyone allowed nodes/proxy every local service of that machine. A daemon's port is
//   reached through pods/proxy, which admits only the ports its pod declares.
// - The request goes with the path after `/proxy` (decoded and escaped again as upstream does,
//   request-info.ts proxyPath; '/' when none) and the query string,
//   its headers filtered and its body framed as pods/proxy does (pod-proxy.ts relayRequest: no
//   hop-by-hop headers, no Authorization, Cookie or Impersonate-*); the agent's answer streams
//   back with its status and headers. An agent that cannot be reached (refused, no connection
//   within the dial timeout, a certificate that is not the node's) is 503 ServiceUnavailable
//   `error trying to reach service: <reason>`. Upgrades are not proxied.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest } from '../api/errors.js';
import type { Node } from '../api/types.js';
import { agentConnectionError, agentEndpoint, agentRequest, noAgentEndpoint } from './pod-log.js';
import { relayRequest, splitSchemeNamePort } from './pod-proxy.js';

export interface NodeProxyDeps {
  /** Reads a Node; an unknown one rejects with the registry's 404. */
  getNode: (name: string) => Promise<Node>;
  /** The API server's kubelet-client certificate; absent (an insecure server): plain HTTP to agents. */
  kubeletClient: { certPem: string; keyPem: string; caPem: string } | undefined;
}

/** `[scheme:]name[:port]` of a nodes/proxy path; 400 as upstream's ResourceLocation for a malformed one. */
export function parseNodeProxyId(id: string): { name: string; port: string } {
  try {
    const { name, port } = splitSchemeNamePort(id);
    return { name, port };
  } catch (err) {
    if (err instanceof ApiError && err.code === 400) throw badRequest(`invalid node request ${JSON.stringify(id)}`);
    throw err;
  }
}

/**
 * Where a nodes/proxy request to `node` with `port` ('' for none) goes: the agent's endpoint, or
 * an ApiError (see the contract: 503 without an endpoint, 400 for a port other than the agent's).
 */
export function nodeProxyTarget(node: Node, port: string): { host: string; port: number } {
  const name = node.metadata.name ?? '';
  const ep = agentEndpoint(node);
  if (!ep) throw new ApiError(503, 'ServiceUnavailable', noAgentEndpoint(node));
  if (port !== '' && port !== String(ep.port)) {
    throw badRequest(
      `port ${JSON.stringify(port)} of node ${name} cannot be proxied: nodes/proxy reaches only the node's agent (port ${ep.port}, or no port); ` +
        'to reach a daemon, use pods/proxy with a port its pod declares',
    );
  }
  return ep;
}

/**
 * Proxies `req` to the agent of the node named by `id` (`[scheme:]name[:port]`), to `path` (from
 * the route, request-info.ts proxyPath) with `search` (the query string with its `?`, or '').
 */
export async function serveNodeProxy(deps: NodeProxyDeps, id: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.upgrade) throw badRequest('upgrade requests are not proxied to nodes');
  const { name, port } = parseNodeProxyId(id);
  const node = await deps.getNode(name);
  const ep = nodeProxyTarget(node, port);
  const method = req.method ?? 'GET';
  return relayRequest(
    (headers) => agentRequest(name, ep, method, path + search, deps.kubeletClient, () => undefined, undefined, headers),
    req,
    res,
    agentConnectionError,
  );
}
