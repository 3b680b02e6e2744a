// An in-process node agent joined to a test server the way `everynode agent --token` joins:
// a node identity issued by the server (client certificate for the API, serving certificate
// for the agent's HTTPS endpoint), on 127.0.0.1 with a free port and a temp data dir. The
// agent is stopped (its pods too, at once) and, with `marker`, every process carrying the
// marker killed when `cleanup` runs.

import { startAgent, type AgentOptions, type RunningAgent } from '../../src/agent/index.js';
import { HttpTransport, RestClient } from '../../src/client/index.js';
import { silentLogger } from '../../src/util/logger.js';
import type { Cleanup } from './cleanup.js';
import { killPidsWith } from './process.js';
import { makeTempDir } from './temp-dir.js';

export interface TestAgent {
  agent: RunningAgent;
  /** The agent's own API client (its node identity). */
  client: RestClient;
  /** The node identity's client certificate (what the agent authenticates with). */
  identity: { certPem: string; keyPem: string; caPem: string };
}

export async function startTestAgent(
  cleanup: Cleanup,
  server: { url: string; issueNodeIdentity(nodeName: string, addresses?: string[]): Promise<{ certPem: string; keyPem: string; caPem: string; servingCertPem: string; servingKeyPem: string }> },
  nodeName: string,
  o: { marker?: string; dataDirName?: string } & Partial<AgentOptions> = {},
): Promise<TestAgent> {
  const { marker, dataDirName, ...options } = o;
  const id = await server.issueNodeIdentity(nodeName, ['127.0.0.1']);
  const transport = new HttpTransport({ server: server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem });
  const client = new RestClient(transport.request);
  let agent: RunningAgent | undefined;
  cleanup.defer(async () => {
    await agent?.stop({ stopPods: true, gracePeriodSeconds: 0 });
    if (marker) killPidsWith(marker);
    transport.destroy();
  }, `agent ${nodeName}`);
  agent = await startAgent({
    client,
    tls: { certPem: id.servingCertPem, keyPem: id.servingKeyPem, caPem: id.caPem },
    nodeName,
    nodeIP: '127.0.0.1',
    port: 0,
    dataDir: makeTempDir(cleanup, dataDirName ?? 'agent'),
    logger: silentLogger,
    ...options,
  });
  await agent.ready();
  return { agent, client, identity: { certPem: id.certPem, keyPem: id.keyPem, caPem: id.caPem } };
}
