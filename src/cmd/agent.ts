// `everynode agent` and `everynode up`: thin entry points over src/agent (and src/apiserver for up).
//
//   everynode agent (--server URL[,URL...] --token K10... | --kubeconfig FILE [--server URL[,URL...]]) [--name NAME] [--labels k=v,...]
//                   [--taints k=v:Effect,...] [--data-dir DIR] [--static-pod-dir DIR]
//                   [--node-ip IP] [--port N]
//   everynode up [--data-dir DIR] [--listen HOST:PORT] [--nodes N] [--store sqlite|etcd://...]
//
// `up` runs the API server with its controllers and N local agents in one process. Local node i
// is `node-i` with InternalIP 127.0.1.i (its own loopback address, so daemons of different
// local nodes can bind the same hostPort) and its data under `<data-dir>/nodes/node-i/`
// (static pods in `static-pods/` there); the Nodes of local and hollow nodes an earlier `up`
// ran beyond today's counts are deleted first (up-retired-nodes.ts). Every option is checked before anything starts (the
// dashboard address too: loopback only); a part that fails to start stops what had started
// (stopUp) before the error is reported, so no leader lease is left behind.
// SIGINT/SIGTERM (stopUp): the controllers stop first, so none reacts to the daemons going
// away (no replacement pods); then every daemon stops gracefully; then the server. A second
// signal during that stop kills every daemon (SIGKILL) and exits 1 (killDaemonsNow).
//
// Identity: with --token the agent joins (join.ts: the server's CA is checked against the
// token's hash before the token is sent) and stores its node identity in
// `<data-dir>/identity/`; later starts reuse the stored identity (the token is then not sent
// again) and, without --server, the servers it was last started with (identity/servers). With --kubeconfig the API credential is the kubeconfig's; a stored identity, if any,
// still serves the log endpoint. `up` issues its local agents' identities directly.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../auth/files.js';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultNodeName, parseLabels, parseTaints, startAgent, startApiForwarder, startIdentityRotation, type IdentityRotation, type RunningAgent } from '../agent/index.js';
import { loadNodeIdentity, storeNodeIdentity, type NodeIdentity } from '../auth/node-identity.js';
import { isRestrictedNodeLabel } from '../auth/node.js';
import { FailoverTransport, HttpTransport, KubeconfigTransport, RestClient, inProcessTransport, loadKubeconfig, parseServerList, type HttpTransportOptions } from '../client/index.js';
import { nodeRunByAnotherAgent, removeRetiredUpNodes } from './up-retired-nodes.js';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createLogger, ignoreClosedOutput, type Logger } from '../util/logger.js';
import { applyServerHeapPolicy } from '../util/heap.js';
import { everynodeVersion } from '../util/version.js';
import { clusterDnsFlags, clusterDomainFlag, corsAllowedOriginsFromFlag, corsFlagUsage, defaultStoreWait, inflightFlagOptions, inflightFlagUsage, inflightLimitsFromFlags, nodeLifecycleFlagUsage, nodeLifecycleFromFlags, storeFlagUsage, storeUrlFromFlag, storeWaitMsFromFlag, tlsSansFromFlag, wildcardListenNote } from './store-flag.js';
import type { RunningServer } from '../apiserver/index.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../api/validation/index.js';

/**
 * With several servers, a heartbeat request (Lease renewal, node status) that has not answered
 * within this many ms fails over to the next server. A hung (stopped, not dead) server gives no
 * connection error, so this bounds what it costs: the Lease renewal interval (10 s), as the
 * kubelet bounds its heartbeat client, so a renewal stuck on a hung server is followed by one
 * on the next server before the 40 s Lease expires. The agent's other requests keep the
 * transport's default (30 s): its lists of every Service and Endpoints may take a busy server
 * longer, and a timeout there would end every stream on a healthy server.
 */
export const agentHeartbeatTimeoutMs = 10_000;

/** Shared by agent and up. */
const runtimeHandlersFlagUsage = `           --runtime-handlers NAME[,NAME...]
                                RuntimeClass handlers whose pods the agent runs, as it runs
                                every pod (default: none; a pod of a class with another
                                handler gets no sandbox: FailedCreatePodSandBox)
           --enforce-resource-limits
                                hold each container to its resources.limits with a control
                                group (memory: OOMKilled beyond it; cpu: a quota), where the
                                agent can make them (root, cgroup v1 or v2); default: limits
                                are not enforced
`;

export const agentUsage = `  agent    run a node agent (registers a Node, runs the pods bound to it)
           --server URL[,URL...] API server URL(s), https:// (default: with --kubeconfig, its
                                server; for a joined agent, the servers it was last started with,
                                kept in DIR/identity/servers); with several, requests stick to
                                one and fail over to the next when it goes away
           --token TOKEN        join token from \`everynode token create\` (first start; the
                                node identity is then kept in the data dir)
           --kubeconfig FILE    credentials and server of the API (instead of --token)
           --name NAME          node name (default: the host name)
           --labels k=v,...     node labels
           --taints k=v:Effect,...  taints set when the node registers (Effect NoSchedule when left out)
           --data-dir DIR       runtime state and container logs (default ./.everynode-agent)
           --static-pod-dir DIR pod manifests run without the API server
           --node-ip IP         the node's InternalIP, where its log endpoint listens (default 127.0.0.1)
           --port N             log endpoint port (default 10250)
           --cluster-domain NAME
                                the cluster DNS zone, for pods with setHostnameAsFQDN
                                (default cluster.local)
${runtimeHandlersFlagUsage}`;

/** --runtime-handlers: comma-separated RuntimeClass handler names (DNS labels). */
export function runtimeHandlersFromFlag(command: string, value: string | undefined): string[] {
  const names = (value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  for (const name of names) {
    if (isDNS1123Label(name).length > 0) throw new Error(`${command}: invalid --runtime-handlers ${JSON.stringify(value)}: ${JSON.stringify(name)} is not a RuntimeClass handler name (a DNS label)`);
  }
  return names;
}

/** `up`'s cluster DNS address unless told otherwise (a free port when it is taken). */
const defaultUpClusterDns = '127.0.0.1:1053';

export const upUsage = `  up       run the API server, its controllers and N local agents in one process
           --data-dir DIR       state, kubeconfig and node directories (default ./.everynode)
           --listen HOST:PORT   API address (default 127.0.0.1:6443)
           --nodes N            local nodes node-1..node-N on 127.0.1.1..N (default 3; 0: none)
           --hollow-nodes N     also N simulated nodes hollow-node-0.. (see hollow-nodes; default 0)
           --tls-san NAME       extra name/IP for the serving certificate (repeatable)
           --dashboard HOST:PORT|off
                                the web dashboard's loopback address (default 127.0.0.1:8001,
                                a free port when taken; off: none)
           --cluster-dns HOST:PORT|off
                                the cluster DNS, UDP and TCP (default 127.0.0.1:1053, a free port
                                when taken; off: none)
           --cluster-domain NAME
                                the cluster DNS zone (default cluster.local)
${inflightFlagUsage}${corsFlagUsage}${storeFlagUsage}${nodeLifecycleFlagUsage}${runtimeHandlersFlagUsage}`;

/**
 * Runs `stop` on the first SIGINT/SIGTERM/SIGHUP and exits 0 when it is done (1 when it failed). A
 * second signal (2 s or more after the first) exits 1 at once, after `force` (which must not
 * wait: the process ends right after it).
 */
function onSignals(stop: (signal: string) => Promise<void>, force?: { what: string; run: () => void }): void {
  let stopping = false;
  let firstAt = 0;
  const handler = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C while the stop (or a start it waits for) goes on: leave now. One press
      // can arrive twice at once (the terminal signals the process group, and `npm start`
      // forwards it too), so repeats within 2 s are that one.
      if (Date.now() - firstAt < 2_000) return;
      process.stderr.write(`everynode: ${signal} again, ${force ? `${force.what} and ` : ''}exiting without finishing the stop\n`);
      force?.run();
      process.exit(1);
    }
    stopping = true;
    firstAt = Date.now();
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`everynode: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
  // The terminal closed: a stop as for SIGTERM, whose output may have nowhere to go.
  process.on('SIGHUP', () => {
    ignoreClosedOutput();
    handler('SIGHUP');
  });
}

export async function runAgent(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      labels: { type: 'string', default: '' },
      taints: { type: 'string', default: '' },
      'data-dir': { type: 'string', default: './.everynode-agent' },
      'static-pod-dir': { type: 'string' },
      'node-ip': { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '10250' },
      'runtime-handlers': { type: 'string' },
      'enforce-resource-limits': { type: 'boolean' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode agent [options]\n${agentUsage}`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`agent: invalid --port ${JSON.stringify(values.port)}`);
  // The node's InternalIP (and where its endpoint listens): an address, as the kubelet's --node-ip.
  if (isIP(values['node-ip']) === 0) throw new Error(`agent: invalid --node-ip ${JSON.stringify(values['node-ip'])}: want an IPv4 or IPv6 address`);
  const runtimeHandlers = runtimeHandlersFromFlag('agent', values['runtime-handlers']);
  const clusterDomain = clusterDomainFlag('agent', values['cluster-domain']);
  const nodeName = values.name ?? defaultNodeName();
  // A Node's name is a DNS subdomain: refused here, as the kubelet refuses it, rather than a
  // registration the API server refuses (422) retried for ever.
  const nameProblems = isDNS1123Subdomain(nodeName);
  if (nameProblems.length > 0) throw new Error(`agent: invalid node name ${JSON.stringify(nodeName)}${values.name === undefined ? ' (the host name; set one with --name)' : ''}: ${nameProblems.join('; ')}`);
  const labels = parseLabels(values.labels);
  // A node may not set these on its own Node (NodeRestriction): refused at start, as kubelet
  // refuses such --node-labels, instead of a registration retried for ever.
  const restricted = values.kubeconfig ? [] : Object.keys(labels).filter(isRestrictedNodeLabel);
  if (restricted.length > 0) {
    throw new Error(`agent: --labels ${restricted.join(', ')}: a node may not set these labels on its own Node (NodeRestriction); an admin sets them with \`kubectl label node ${nodeName} KEY=VALUE\` (a node may set labels under node.kubernetes.io, kubelet.kubernetes.io or a domain of its own)`);
  }
  const dataDir = resolve(values['data-dir']);
  const logger = createLogger({ name: 'agent' });
  let creds: Omit<HttpTransportOptions, 'server'>;
  let servers: string[];
  let rememberOnRegistration: string[] | undefined;
  let joinedNow = false;
  let identity = identityFor(dataDir, nodeName);
  if (values.kubeconfig) {
    // The kubeconfig stays the credential source; --server only names where to send requests.
    const cfg = loadKubeconfig(resolve(values.kubeconfig));
    creds = cfg;
    servers = values.server ? parseServerList(values.server) : [cfg.server];
  } else if (values.token || identity) {
    // A joined agent remembers its servers (identity/servers): later starts need no --server.
    const serverFlag = values.server ?? (values.token ? undefined : rememberedServers(dataDir));
    if (!serverFlag) {
      throw new Error(
        values.token
          ? 'agent: --server URL is required with --token (the API server to join, e.g. https://SERVER:6443)'
          : `agent: ${dataDir} holds the identity of node ${JSON.stringify(nodeName)} but no remembered server (joined with an older build): give --server URL (the API server it joined; remembered from then on)`,
      );
    }
    servers = parseServerList(serverFlag);
    // A node identity is a client certificate: only https reaches a server with it. Checked
    // before anything is remembered (a typo must not stick to every later start).
    for (const s of servers) {
      let u: URL | undefined;
      try {
        u = new URL(s);
      } catch {
        u = undefined;
      }
      if (u?.protocol !== 'https:') throw new Error(`agent: --server ${JSON.stringify(s)}: the API server's URL must be https://HOST:PORT`);
    }
    if (identity && values.token) {
      // A token of another cluster (its CA hash is not the stored identity's CA): the node
      // moves to that cluster, joining it afresh (the stored identity cannot even reach it).
      const { parseJoinToken } = await import('../auth/join.js');
      const { caHash } = await import('../auth/pki.js');
      const wanted = parseJoinToken(values.token)?.caHash;
      if (wanted !== undefined && wanted !== caHash(identity.caPem)) {
        logger.warn(`the join token is of another cluster than the node identity in ${dataDir}/identity (another CA): joining again with --token`);
        identity = undefined;
      }
    }
    if (identity && values.token && (await identityRefused(servers, identity, nodeName))) {
      // A revoked node (or one whose cluster got a new CA) comes back with a new join token:
      // the stored identity is what the server refuses, so it is replaced by joining again.
      logger.warn(`the node identity in ${dataDir}/identity is refused by the server (revoked?): joining again with --token`);
      identity = undefined;
    }
    if (!identity) {
      // Loaded only to join: the PKI code is not needed by a running agent.
      const { joinCluster } = await import('../auth/join.js');
      // Each server in turn: one being down must not keep a node from joining.
      let joined: unknown = new Error('no server to join');
      for (const server of servers) {
        try {
          await joinCluster({ server, token: values.token!, nodeName, dataDir, addresses: [values['node-ip']] });
          joined = undefined;
          break;
        } catch (err) {
          // A bare connection error (ECONNREFUSED ...) says which server it is about.
          const code = (err as NodeJS.ErrnoException).code;
          joined = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? new Error(`agent: cannot join through ${server}: ${err instanceof Error ? err.message : String(err)}`) : err;
        }
      }
      if (joined) throw joined;
      joinedNow = true;
      identity = identityFor(dataDir, nodeName);
      if (!identity) throw new Error('agent: join succeeded but the node identity could not be read back');
    }
    creds = { ca: identity.caPem, cert: identity.certPem, key: identity.keyPem };
    // Remembered at once after a join through them; else once the node has registered through
    // them (below): a server that never answered (another cluster's, a typo) is not written
    // over the ones that work.
    if (values.server && servers.length > 0) {
      if (joinedNow) rememberServers(dataDir, servers);
      else rememberOnRegistration = servers;
    }
  } else {
    const other = identityNodeName(dataDir);
    if (other !== undefined && other !== nodeName) {
      throw new Error(`agent: ${dataDir} holds the identity of node ${JSON.stringify(other)}, not ${JSON.stringify(nodeName)}: run with --name ${other}, or join as ${nodeName} with --server URL --token TOKEN (a join token from \`everynode token create\`)`);
    }
    throw new Error('agent: --server URL --token TOKEN (or --kubeconfig FILE) is required');
  }
  if (servers.length === 0) throw new Error(`agent: invalid --server ${JSON.stringify(values.server)}`);
  const onFailover = (from: string, to: string, cause: unknown): void =>
    logger.warn(`API server ${from} failed (${cause instanceof Error ? cause.message : String(cause)}); using ${to}`);
  const transport = servers.length > 1 ? new FailoverTransport({ ...creds, servers, onFailover }) : new HttpTransport({ ...creds, server: servers[0]! });
  const client = new RestClient(transport.request);
  // The heartbeat (Lease renewals, node status) has its own transport with a short timeout, as
  // the kubelet's heartbeat client has (see agentHeartbeatTimeoutMs).
  const heartbeatTransport = transport instanceof FailoverTransport ? new FailoverTransport({ ...creds, servers, onFailover, requestTimeoutMs: agentHeartbeatTimeoutMs }) : undefined;
  // Pods reach the API where the agent does, trusting the same CA; with several servers through
  // a forwarder on 127.0.0.1 that follows the agent's failover (api-forwarder.ts).
  const forwarder =
    creds.ca && transport instanceof FailoverTransport
      ? await startApiForwarder({ servers, current: () => transport.currentServer, stateFile: join(dataDir, 'api-forward-port'), logger })
      : undefined;
  const agent = await startAgent({
    client,
    ...(heartbeatTransport ? { heartbeatClient: new RestClient(heartbeatTransport.request) } : {}),
    nodeName,
    nodeIP: values['node-ip'],
    labels,
    taints: parseTaints(values.taints),
    runtimeHandlers,
    clusterDomain,
    enforceResourceLimits: values['enforce-resource-limits'] === true,
    dataDir,
    ...(values['static-pod-dir'] ? { staticPodDir: resolve(values['static-pod-dir']) } : {}),
    port,
    logger,
    ...(identity ? { tls: { certPem: identity.servingCertPem, keyPem: identity.servingKeyPem, caPem: identity.caPem } } : {}),
    ...(creds.ca ? { apiServer: { url: forwarder?.url ?? servers[0]!, caPem: String(creds.ca) } } : {}),
  });
  if (rememberOnRegistration) {
    const remembered = rememberOnRegistration;
    void agent.ready().then(
      () => rememberServers(dataDir, remembered),
      () => undefined,
    );
  }
  // A joined agent renews its identity before it expires (a kubeconfig is the user's to renew).
  const transports = { setCredentials: (c: { cert: string; key: string }) => [transport, heartbeatTransport].forEach((t) => t?.setCredentials(c)) };
  const rotation = identity && !values.kubeconfig ? rotateIdentity(servers, identity, dataDir, transports, agent, logger) : undefined;
  // An agent stopped on its own leaves its daemons running: the next agent adopts them.
  onSignals(async (signal) => {
    logger.info(`${signal} received, stopping the agent (pods keep running)`);
    rotation?.stop();
    await agent.stop({ stopPods: false });
    await forwarder?.close();
  });
  // Announced only once the signals are handled: a stop asked for right after it is a clean one.
  process.stdout.write(
    identity
      ? `everynode agent ${nodeName} serving logs on https://${values['node-ip']}:${agent.port}\n`
      : `everynode agent ${nodeName} running without a node identity: logs, exec, port-forward and metrics are not served (join with --token for them)\n`,
  );
}

/** up's dashboard address; only this default falls back to a free port when taken (one given is used or fails, as --cluster-dns). */
const defaultUpDashboard = '127.0.0.1:8001';

export async function runUp(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      nodes: { type: 'string', default: '3' },
      'hollow-nodes': { type: 'string', default: '0' },
      store: { type: 'string', default: 'sqlite' },
      'store-wait': { type: 'string', default: defaultStoreWait },
      'tls-san': { type: 'string', multiple: true, default: [] },
      dashboard: { type: 'string', default: defaultUpDashboard },
      'cluster-dns': { type: 'string', default: defaultUpClusterDns },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'cors-allowed-origins': { type: 'string', multiple: true, default: [] },
      ...inflightFlagOptions,
      'node-monitor-grace-period': { type: 'string' },
      'node-startup-grace-period': { type: 'string' },
      'runtime-handlers': { type: 'string' },
      'enforce-resource-limits': { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode up [options]\n${upUsage}`);
    return;
  }
  const n = Number(values.nodes);
  if (!Number.isInteger(n) || n < 0 || n > 254) throw new Error(`up: invalid --nodes ${JSON.stringify(values.nodes)}: want 0..254`);
  const hollowCount = Number(values['hollow-nodes']);
  if (values['hollow-nodes'].trim() === '' || !Number.isInteger(hollowCount) || hollowCount < 0) throw new Error(`up: invalid --hollow-nodes ${JSON.stringify(values['hollow-nodes'])}: want a count >= 0`);
  if (values.dashboard !== 'off' && !/^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(values.dashboard)) throw new Error(`up: invalid --dashboard ${JSON.stringify(values.dashboard)}: want HOST:PORT or off`);
  // The dashboard's own rule (a loopback address only), checked before anything starts.
  const dashboardPart = values.dashboard !== 'off' ? await import('../dashboard/index.js') : undefined;
  if (dashboardPart) {
    try {
      dashboardPart.parseDashboardListen(values.dashboard);
    } catch (e) {
      throw new Error(`up: invalid --dashboard ${JSON.stringify(values.dashboard)}: ${e instanceof Error ? e.message.replace(/^dashboard: /, '') : String(e)}`);
    }
  }
  const clusterDns = clusterDnsFlags('up', values['cluster-dns'], values['cluster-domain'], values['cluster-dns'] === defaultUpClusterDns);
  const dataDir = resolve(values['data-dir']);
  const logger = createLogger({ name: 'up' });
  const storeUrl = storeUrlFromFlag(values.store);
  const storeWaitMs = storeWaitMsFromFlag(values['store-wait'], storeUrl);
  const nodeLifecycle = nodeLifecycleFromFlags(values['node-monitor-grace-period'], values['node-startup-grace-period']);
  const runtimeHandlers = runtimeHandlersFromFlag('up', values['runtime-handlers']);
  // Loaded here, not at the top: `everynode agent` should not carry the server's code.
  applyServerHeapPolicy();
  const { startServer, versionInfo } = await import('../apiserver/index.js');
  const corsAllowedOrigins = corsAllowedOriginsFromFlag(values['cors-allowed-origins']);
  const inflightLimits = inflightLimitsFromFlags(values);
  const tlsSans = tlsSansFromFlag('up', values['tls-san']);
  const server = await startServer({ dataDir, listen: values.listen, logger: logger.child('apiserver'), controllers: nodeLifecycle ? { nodeLifecycle } : true, tlsSans, storeWaitMs, inflightLimits, corsAllowedOrigins, ...(storeUrl ? { storeUrl } : {}), ...(clusterDns ? { clusterDns } : {}) });
  // What has started so far: a failure from here on stops it (stopUp) before it is reported,
  // so the controllers release their lease and the daemons stop as on Ctrl-C.
  const parts: UpParts = { server, agents: [], rotations: [] };
  let starting: Promise<void> | undefined;
  let leaseWatch: NodeJS.Timeout | undefined;
  // Ctrl-C from the moment the server is announced stops everything cleanly; one during the
  // start of the nodes waits for it to end (startOrStopUp has stopped the parts if it failed).
  onSignals(async (signal) => {
    logger.info(`${signal} received, stopping the controllers, the daemons and the server`);
    const failed = await starting?.then(() => false, () => true);
    // Stopped already; the caller reports the failure and exits 1 (this stop must not exit 0 first).
    if (failed) return new Promise<void>(() => undefined);
    clearTimeout(leaseWatch);
    await stopUp(parts, logger);
    logger.info('stopped');
  }, { what: 'killing the daemons (SIGKILL)', run: () => killDaemonsNow(parts) });
  logger.info(`everynode ${everynodeVersion()} serving the Kubernetes ${versionInfo.gitVersion} API`);
  process.stdout.write(`everynode server listening on ${server.url} (kubeconfig: ${server.kubeconfigPath})\n`);
  const wildcard = wildcardListenNote(values.listen, server.port, server.pki.servingCertPem);
  if (wildcard) process.stdout.write(`${wildcard}\n`);
  if (server.clusterDns) process.stdout.write(`cluster DNS: ${server.clusterDns.address} (zone ${server.clusterDns.domain})\n`);
  starting = startOrStopUp(parts, () => startUpParts(server, parts, { dataDir, nodes: n, hollowCount, runtimeHandlers, clusterDomain: clusterDomainFlag('up', values['cluster-domain']), enforceResourceLimits: values['enforce-resource-limits'] === true, dashboard: dashboardPart ? { listen: values.dashboard, fallbackToFreePort: values.dashboard === defaultUpDashboard, start: dashboardPart.startDashboard } : undefined, logger }), logger);
  await starting;
  leaseWatch = reportLeaderWait(server.controllerManager, logger);
}

/**
 * Runs `start`, which records in `parts` each part as it starts; when it fails, stops what
 * was recorded (stopUp: the controllers release their lease, the daemons stop) and rethrows.
 */
export async function startOrStopUp(parts: UpParts, start: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await start();
  } catch (err) {
    logger.error(`startup failed, stopping what was started: ${err instanceof Error ? err.message : String(err)}`);
    await stopUp(parts).catch((e: unknown) => logger.error('stopping after the failed startup failed too', e));
    throw err;
  }
}

/**
 * The controllers wait when the leader Lease is held by someone else: another server on the
 * same etcd, or an earlier run that ended without releasing it (killed), whose lease then
 * expires within its duration (15 s). Said once, a few seconds after the start, so a user
 * knows why a DaemonSet applied meanwhile is not acted on yet.
 */
function reportLeaderWait(cm: { isLeader(): boolean } | undefined, logger: Logger): NodeJS.Timeout {
  const t = setTimeout(() => {
    if (cm && !cm.isLeader()) {
      logger.info('the controllers are waiting for the leader lease kube-system/everynode-controller-manager: another server holds it, or an earlier run that did not stop cleanly does (then it expires within 15 s of its last renewal)');
    }
  }, 3_000);
  t.unref();
  return t;
}

/**
 * The sign-in token of up's dashboard, kept in `DIR/dashboard-token` (0600) so the address
 * printed once stays valid across restarts of the same data dir (and browsers stay signed in);
 * deleting the file makes the next start issue a new one. An unreadable or malformed file is
 * replaced.
 */
export function dashboardToken(dataDir: string): string {
  const path = join(dataDir, 'dashboard-token');
  try {
    const t = readFileSync(path, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,128}$/.test(t)) return t;
  } catch {
    // Missing: made below.
  }
  return newDashboardToken(dataDir);
}

/**
 * Replaces up's kept dashboard token with a new one. Used when the dashboard's usual port is
 * taken: browsers keep the token per address, so whatever holds that port can read the kept
 * one from a browser that opens the old address; it must not open the dashboard ever again.
 */
export function newDashboardToken(dataDir: string): string {
  const t = randomBytes(32).toString('base64url');
  writeFileAtomic(join(dataDir, 'dashboard-token'), t + '\n', 0o600);
  return t;
}

/** Starts the local agents, the hollow nodes and the dashboard of `up`, recording each in `parts` as it starts. */
async function startUpParts(
  server: RunningServer,
  parts: UpParts,
  o: {
    dataDir: string;
    nodes: number;
    hollowCount: number;
    runtimeHandlers: string[];
    clusterDomain: string;
    enforceResourceLimits: boolean;
    dashboard: { listen: string; fallbackToFreePort: boolean; start: typeof import('../dashboard/index.js').startDashboard } | undefined;
    logger: Logger;
  },
): Promise<void> {
  const { dataDir, logger } = o;
  const upClient = new RestClient(inProcessTransport(server.handler, { userAgent: 'everynode-up' }));
  await removeRetiredUpNodes(upClient, { dataDir, nodes: o.nodes, hollowCount: o.hollowCount, logger }).catch((err: unknown) =>
    logger.warn(`could not look for nodes an earlier up ran: ${err instanceof Error ? err.message : String(err)}`),
  );
  for (let i = 1; i <= o.nodes; i++) {
    const nodeName = `node-${i}`;
    const nodeDir = join(dataDir, 'nodes', nodeName);
    const staticPodDir = join(nodeDir, 'static-pods');
    mkdirSync(staticPodDir, { recursive: true });
    const nodeIP = `127.0.1.${i}`;
    const foreign = await nodeRunByAnotherAgent(upClient, nodeName, nodeIP);
    if (foreign) throw new Error(foreign);
    // Local agents get their node identity directly from the server's CA (no join round trip).
    let identity = identityFor(nodeDir, nodeName);
    // One kept from another cluster (a data dir restored over another one's) or revoked since
    // would be refused for good: up runs the nodes it is asked to, so it issues a new one.
    if (identity && !server.acceptsNodeIdentity(identity)) {
      logger.info(`${nodeName}: its kept identity is not valid for this cluster (another CA, or revoked); issuing a new one`);
      identity = undefined;
    }
    if (!identity) {
      identity = await server.issueNodeIdentity(nodeName, [nodeIP]);
      storeNodeIdentity(nodeDir, identity);
    }
    const transport = new HttpTransport({ server: server.url, ca: identity.caPem, cert: identity.certPem, key: identity.keyPem });
    const client = new RestClient(transport.request);
    const tls = { certPem: identity.servingCertPem, keyPem: identity.servingKeyPem, caPem: identity.caPem };
    const agent = await startAgent({ client, nodeName, nodeIP, dataDir: nodeDir, staticPodDir, port: 0, logger: logger.child('agent'), tls, apiServer: { url: server.url, caPem: identity.caPem }, runtimeHandlers: o.runtimeHandlers, clusterDomain: o.clusterDomain, enforceResourceLimits: o.enforceResourceLimits });
    parts.agents.push(agent);
    parts.rotations.push(rotateIdentity([server.url], identity, nodeDir, transport, agent, logger.child('agent')));
    process.stdout.write(`node ${nodeName}: InternalIP ${nodeIP}, logs on port ${agent.port}, data ${nodeDir}, static pods ${staticPodDir}\n`);
  }
  if (o.hollowCount > 0) {
    const { startHollowNodesForUp } = await import('../hollow/index.js');
    parts.hollow = await startHollowNodesForUp(server.kubeconfigPath, o.hollowCount, { logger: logger.child('hollow-nodes') });
    process.stdout.write(`hollow nodes: ${o.hollowCount} (hollow-node-0..hollow-node-${o.hollowCount - 1}, simulated, no processes)\n`);
  }
  if (o.dashboard) {
    // The dashboard goes through the HTTPS API with the admin kubeconfig, like any client; it
    // follows the file, so `everynode token rotate-admin` does not lock it out.
    const dashboardLogger = logger.child('dashboard');
    const transport = new KubeconfigTransport(server.kubeconfigPath, { userAgent: 'everynode-dashboard', logger: dashboardLogger });
    parts.dashboardTransport = transport;
    const dataDir = o.dataDir;
    const d = await o.dashboard.start({
      transport: transport.request,
      listen: o.dashboard.listen,
      fallbackToFreePort: o.dashboard.fallbackToFreePort,
      logger: dashboardLogger,
      token: dashboardToken(dataDir),
      tokenOnFallback: () => newDashboardToken(dataDir),
    });
    parts.dashboard = d;
    process.stdout.write(`dashboard: ${d.url}\n`);
  }
}

/** What `everynode up` runs, as stopUp needs it. */
export interface UpParts {
  server: { controllerManager?: { stop(): Promise<void> }; beginShutdown(): void; close(): Promise<void> };
  agents: { stop(o: { stopPods: boolean }): Promise<void>; runtime?: { killAllNow?(): void } }[];
  rotations: { stop(): void }[];
  hollow?: { stop(): Promise<void> };
  dashboard?: { close(): Promise<void> };
  dashboardTransport?: { destroy(): void };
}

/**
 * `up` told to stop at once (a second Ctrl-C): every local daemon is killed before the process
 * exits, so none is left running with no agent to stop it. The pods stay as they are in the
 * API; a later `up` on the same data dir finds their containers exited and starts them again.
 */
export function killDaemonsNow(p: UpParts): void {
  for (const agent of p.agents) agent.runtime?.killAllNow?.();
}

/**
 * Stops `up` in the order that leaves a clean cluster: /readyz failing first; the dashboard; then the controllers
 * (while the API still serves, so they release their lease), so that no DaemonSet controller
 * sees the daemons end and creates replacement pods; then the agents, which stop their pods
 * gracefully; then the hollow nodes; the API server last.
 */
export async function stopUp(p: UpParts, logger?: Logger): Promise<void> {
  // /readyz says so from now on; the server goes on serving until the daemons are down.
  p.server.beginShutdown();
  await p.dashboard?.close();
  p.dashboardTransport?.destroy();
  await p.server.controllerManager?.stop();
  for (const r of p.rotations) r.stop();
  if (p.agents.length > 0) logger?.info(`stopping the daemons of ${p.agents.length === 1 ? 'the local node' : `${p.agents.length} local nodes`}: each gets its pod's terminationGracePeriodSeconds to exit`);
  await Promise.all(p.agents.map((a) => a.stop({ stopPods: true })));
  await p.hollow?.stop();
  await p.server.close();
}

/** Renews the node identity before it expires, switching the API transport and the agent's endpoint to it. */
function rotateIdentity(
  servers: string[],
  identity: NodeIdentity,
  dataDir: string,
  transport: { setCredentials(c: { cert: string; key: string }): void },
  agent: RunningAgent,
  logger: Logger,
): IdentityRotation {
  return startIdentityRotation({
    server: servers[0]!,
    otherServers: servers.slice(1),
    identity,
    dataDir,
    logger,
    onRotated: (id) => {
      transport.setCredentials({ cert: id.certPem, key: id.keyPem });
      agent.setServingCertificate(id.servingCertPem, id.servingKeyPem);
    },
  });
}

/** The stored node identity when it is this node's (CN system:node:<name>) and of a CA; undefined otherwise. */
/**
 * True when the first server that answers refuses the stored identity with 401 (revoked, or
 * issued by another CA). A server that cannot be reached or answers otherwise does not count:
 * the agent then starts with the identity as before and retries as usual.
 */
async function identityRefused(servers: string[], id: NodeIdentity, nodeName: string): Promise<boolean> {
  for (const server of servers) {
    const transport = new HttpTransport({ server, ca: id.caPem, cert: id.certPem, key: id.keyPem });
    try {
      const res = await transport.request({ method: 'GET', path: `/api/v1/nodes/${encodeURIComponent(nodeName)}`, headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      for await (const _ of res.body) {
        // drained
      }
      return res.statusCode === 401;
    } catch {
      // unreachable or the TLS handshake failed: try the next server
    } finally {
      transport.destroy();
    }
  }
  return false;
}

/**
 * `<dataDir>/identity/servers`: the API servers (one URL a line) a joined agent was last
 * started with, its default --server. Safe to follow: the stored identity's CA pins which
 * server is trusted, whatever the file says.
 */
function serversFile(dataDir: string): string {
  return join(dataDir, 'identity', 'servers');
}

export function rememberedServers(dataDir: string): string | undefined {
  try {
    const urls = readFileSync(serversFile(dataDir), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return urls.length > 0 ? urls.join(',') : undefined;
  } catch {
    return undefined;
  }
}

export function rememberServers(dataDir: string, servers: string[]): void {
  try {
    writeFileAtomic(serversFile(dataDir), servers.map((u) => `${u}\n`).join(''), 0o644);
  } catch {
    // Not remembered: the next start needs --server again, as before.
  }
}

/** The node name the data dir's identity certificate was issued to, if it holds one. */
function identityNodeName(dataDir: string): string | undefined {
  const id = loadNodeIdentity(dataDir);
  if (!id) return undefined;
  try {
    const cn = new X509Certificate(id.certPem).subject.split('\n').find((l) => l.startsWith('CN=system:node:'));
    return cn?.slice('CN=system:node:'.length);
  } catch {
    return undefined;
  }
}

function identityFor(dataDir: string, nodeName: string): NodeIdentity | undefined {
  const id = loadNodeIdentity(dataDir);
  if (!id) return undefined;
  try {
    const cert = new X509Certificate(id.certPem);
    if (!cert.subject.split('\n').includes(`CN=system:node:${nodeName}`)) return undefined;
    if (!cert.checkIssued(new X509Certificate(id.caPem))) return undefined;
  } catch {
    return undefined;
  }
  return id;
}
