// `everynode up` started again with fewer --nodes / --hollow-nodes deletes the Nodes of the
// local and hollow nodes an earlier `up` on the same data dir ran beyond the new counts, and
// only those: a node of the same name with another address, one with no directory in the
// data dir, and an unlabelled hollow-node-K are kept. Real API server (SQLite), real HTTP.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../src/api/types.js';
import { HttpTransport, loadKubeconfig, nodesResource, RestClient } from '../../src/client/index.js';
import { RevocationList } from '../../src/auth/revocation.js';
import { removeRetiredUpNodes, upHollowCountFile } from '../../src/cmd/up-retired-nodes.js';
import { hollowNodeLabel } from '../../src/hollow/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { Cleanup, makeTempDir, startTestServer, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
let client: RestClient;
let dataDir: string;
let ts: TestServer;

function node(name: string, ip: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { addresses: [{ type: 'InternalIP', address: ip }] } } as Node;
}

async function names(): Promise<string[]> {
  return (await client.list<Node>(nodesResource)).items.map((n) => n.metadata.name ?? '').sort();
}

beforeAll(async () => {
  ts = await startTestServer(cleanup);
  const transport = new HttpTransport(loadKubeconfig(ts.server.kubeconfigPath));
  cleanup.defer(() => transport.destroy(), 'transport');
  client = new RestClient(transport.request);
  dataDir = makeTempDir(cleanup, 'up-retired');
  // What `up --nodes 3 --hollow-nodes 6` left (node-4 never ran here; node-5 joined from elsewhere).
  for (const k of [1, 2, 3, 5]) mkdirSync(join(dataDir, 'nodes', `node-${k}`), { recursive: true });
  for (const k of [1, 2, 3]) await client.create(nodesResource, '', node(`node-${k}`, `127.0.1.${k}`));
  await client.create(nodesResource, '', node('node-4', '127.0.1.4'));
  await client.create(nodesResource, '', node('node-5', '10.0.0.5'));
  for (const k of [0, 1, 2, 3, 4]) await client.create(nodesResource, '', node(`hollow-node-${k}`, `10.64.0.${k}`, { [hollowNodeLabel]: 'true' }));
  await client.create(nodesResource, '', node('hollow-node-5', '10.64.0.5'));
}, 60_000);
afterAll(() => cleanup.run(), 60_000);

describe('up started with fewer nodes than an earlier up on the same data dir', () => {
  it('does nothing to hollow nodes while no count was recorded, and records the count it runs', async () => {
    const deleted = await removeRetiredUpNodes(client, { dataDir, nodes: 3, hollowCount: 6, logger: silentLogger });
    expect(deleted).toEqual([]);
    expect(readFileSync(join(dataDir, upHollowCountFile), 'utf8').trim()).toBe('6');
  });

  it('deletes only the Nodes that up ran and no longer runs', async () => {
    const deleted = await removeRetiredUpNodes(client, { dataDir, nodes: 1, hollowCount: 2, logger: silentLogger });
    expect(deleted.sort()).toEqual(['hollow-node-2', 'hollow-node-3', 'hollow-node-4', 'node-2', 'node-3']);
    expect(await names()).toEqual(['hollow-node-0', 'hollow-node-1', 'hollow-node-5', 'node-1', 'node-4', 'node-5']);
    expect(readFileSync(join(dataDir, upHollowCountFile), 'utf8').trim()).toBe('2');
  });

  it('finds nothing more on the next start with the same counts', async () => {
    expect(await removeRetiredUpNodes(client, { dataDir, nodes: 1, hollowCount: 2, logger: silentLogger })).toEqual([]);
    expect(await names()).toEqual(['hollow-node-0', 'hollow-node-1', 'hollow-node-5', 'node-1', 'node-4', 'node-5']);
  });
});

describe('the node identities up keeps for its local nodes', () => {
  it('are accepted when this cluster issued them and they are not revoked', async () => {
    const id = await ts.server.issueNodeIdentity('node-7', ['127.0.1.7']);
    expect(ts.server.acceptsNodeIdentity(id)).toBe(true);
    // Another cluster's (a data dir restored over another one's kept it).
    const other = await startTestServer(cleanup);
    const foreign = await other.server.issueNodeIdentity('node-7', ['127.0.1.7']);
    expect(ts.server.acceptsNodeIdentity(foreign)).toBe(false);
    // Revoked since (everynode node revoke): refused; one issued after the revocation is taken.
    await new RevocationList(ts.dataDir).revoke('system:node:node-7');
    expect(ts.server.acceptsNodeIdentity(id)).toBe(false);
    expect(ts.server.acceptsNodeIdentity(await ts.server.issueNodeIdentity('node-7', ['127.0.1.7']))).toBe(true);
    expect(ts.server.acceptsNodeIdentity({ ...id, certPem: 'not a certificate' })).toBe(false);
  }, 30_000);
});
