// `everynode agent` and `everynode up`: thin entry points over src/agent (and src/apiserver for up).
//
//   everynode agent --kubeconfig FILE [--server URL[,URL...]] [--name NAME] [--labels k=v,...]
//                   [--taints k=v:Effect,...] [--data-dir DIR] [--static-pod-dir DIR]
//                   [--node-ip IP] [--port N]
//   everynode up [--data-dir DIR] [--listen HOST:PORT] [--nodes N] [--store sqlite|etcd://...]
//
// `up` runs the API server with its controllers and N local agents in one process. Local node i
// is `node-i` with InternalIP 127.0.1.i (its own loopback address, so daemons of different
// local nodes can bind the same hostPort) and its data under `<data-dir>/nodes/node-i/`
// (static pods in `static-pods/` there). SIGINT/SIGTERM stop every daemon gracefully, then the
// server.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultNodeName, parseLabels, parseTaints, startAgent, type RunningAgent } from '../agent/index.js';
import { FailoverTransport, HttpTransport, RestClient, loadKubeconfig, parseServerList } from '../client/index.js';
import { createLogger } from '../util/logger.js';
import { storeFlagUsage, storeUrlFromFlag } from './store-flag.js';

export const agentUsage = `  agent    run a node agent (registers a Node, runs the pods bound to it)
           --kubeconfig FILE    credentials and server of the API (required)
           --server URL[,URL...] API server URL(s) (default: the kubeconfig's); with several,
                                requests stick to one and fail over to the next when it goes away
           --name NAME          node name (default: the host name)
           --labels k=v,...     node labels
           --taints k=v:Effect,...  taints set when the node registers
           --data-dir DIR       runtime state and container logs (default ./.everynode-agent)
           --static-pod-dir DIR pod manifests run without the API server
           --node-ip IP         the node's InternalIP, where its log endpoint listens (default 127.0.0.1)
           --port N             log endpoint port (default 10250)
  up       run the API server, its controllers and N local agents in one process
           --data-dir DIR       state, kubeconfig and node directories (default ./.everynode)
           --listen HOST:PORT   API address (default 127.0.0.1:6443)
           --nodes N            local nodes node-1..node-N on 127.0.1.1..N (default 3; 0: none)
           --hollow-nodes N     also N simulated nodes hollow-node-0.. (see hollow-nodes; default 0)
${storeFlagUsage}`;

function onSignals(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
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
}

export async function runAgent(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      name: { type: 'string' },
      labels: { type: 'string', default: '' },
      taints: { type: 'string', default: '' },
      'data-dir': { type: 'string', default: './.everynode-agent' },
      'static-pod-dir': { type: 'string' },
      'node-ip': { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '10250' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode agent [options]\n${agentUsage}`);
    return;
  }
  if (!values.kubeconfig) throw new Error('agent: --kubeconfig FILE is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`agent: invalid --port ${JSON.stringify(values.port)}`);
  const cfg = loadKubeconfig(resolve(values.kubeconfig));
  // The kubeconfig stays the credential source; --server only names where to send requests.
  const servers = values.server ? parseServerList(values.server) : [cfg.server];
  if (servers.length === 0) throw new Error(`agent: invalid --server ${JSON.stringify(values.server)}`);
  const logger = createLogger({ name: 'agent' });
  const onFailover = (from: string, to: string, cause: unknown): void =>
    logger.warn(`API server ${from} failed (${cause instanceof Error ? cause.message : String(cause)}); using ${to}`);
  const transport = servers.length > 1 ? new FailoverTransport({ ...cfg, servers, onFailover }) : new HttpTransport({ ...cfg, server: servers[0]! });
  const client = new RestClient(transport.request);
  const nodeName = values.name ?? defaultNodeName();
  const agent = await startAgent({
    client,
    nodeName,
    nodeIP: values['node-ip'],
    labels: parseLabels(values.labels),
    taints: parseTaints(values.taints),
    dataDir: resolve(values['data-dir']),
    ...(values['static-pod-dir'] ? { staticPodDir: resolve(values['static-pod-dir']) } : {}),
    port,
    logger,
  });
  process.stdout.write(`everynode agent ${nodeName} serving logs on http://${values['node-ip']}:${agent.port}\n`);
  // An agent stopped on its own leaves its daemons running: the next agent adopts them.
  onSignals(async (signal) => {
    logger.info(`${signal} received, stopping the agent (pods keep running)`);
    await agent.stop({ stopPods: false });
  });
}

export async function runUp(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      nodes: { type: 'string', default: '3' },
      'hollow-nodes': { type: 'string', default: '0' },
      store: { type: 'string', default: 'sqlite' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode up [options]\n${agentUsage}`);
    return;
  }
  const n = Number(values.nodes);
  if (!Number.isInteger(n) || n < 0 || n > 254) throw new Error(`up: invalid --nodes ${JSON.stringify(values.nodes)}: want 0..254`);
  const dataDir = resolve(values['data-dir']);
  const logger = createLogger({ name: 'up' });
  const storeUrl = storeUrlFromFlag(values.store);
  // Loaded here, not at the top: `everynode agent` should not carry the server's code.
  const { startServer } = await import('../apiserver/index.js');
  const server = await startServer({ dataDir, listen: values.listen, logger: logger.child('apiserver'), controllers: true, ...(storeUrl ? { storeUrl } : {}) });
  process.stdout.write(`everynode server listening on ${server.url} (kubeconfig: ${server.kubeconfigPath})\n`);
  const agents: RunningAgent[] = [];
  const cfg = loadKubeconfig(server.kubeconfigPath);
  for (let i = 1; i <= n; i++) {
    const nodeName = `node-${i}`;
    const nodeDir = join(dataDir, 'nodes', nodeName);
    const staticPodDir = join(nodeDir, 'static-pods');
    mkdirSync(staticPodDir, { recursive: true });
    const nodeIP = `127.0.1.${i}`;
    const client = new RestClient(new HttpTransport(cfg).request);
    const agent = await startAgent({ client, nodeName, nodeIP, dataDir: nodeDir, staticPodDir, port: 0, logger: logger.child('agent') });
    agents.push(agent);
    process.stdout.write(`node ${nodeName}: InternalIP ${nodeIP}, logs on port ${agent.port}, data ${nodeDir}, static pods ${staticPodDir}\n`);
  }
  const hollowCount = Number(values['hollow-nodes']);
  if (!Number.isInteger(hollowCount) || hollowCount < 0) throw new Error(`up: invalid --hollow-nodes ${JSON.stringify(values['hollow-nodes'])}: want a count >= 0`);
  const { startHollowNodesForUp } = await import('../hollow/index.js');
  const hollow = hollowCount > 0 ? await startHollowNodesForUp(server.kubeconfigPath, hollowCount) : undefined;
  if (hollow) process.stdout.write(`hollow nodes: ${hollowCount} (hollow-node-0..hollow-node-${hollowCount - 1}, simulated, no processes)\n`);
  onSignals(async (signal) => {
    logger.info(`${signal} received, stopping the daemons and the server`);
    await Promise.all(agents.map((a) => a.stop({ stopPods: true })));
    await hollow?.stop();
    await server.close();
  });
}
