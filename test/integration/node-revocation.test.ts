// Revoking a node against a real API server over HTTPS, with the real CLI process:
// `everynode node revoke NAME` locks the node's certificates out at once — its open watch is
// cut, its next request is a 401, it cannot renew its identity — and deletes its Node object;
// other nodes go on, and the node may come back with an identity issued afterwards.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/apiserver/index.js';
import { joinCluster, loadNodeIdentity, renewNodeIdentity, type NodeIdentity } from '../../src/auth/index.js';
import { HttpTransport, RestClient, clientFromKubeconfig, isNotFound, leasesResource, nodesResource, podsResource, type WatchHandle } from '../../src/client/index.js';
import type { Lease, Node } from '../../src/api/types.js';
import { credentialsFromKubeconfig, registerServer } from '../helpers/index.js';
import { ApiError } from '../../src/api/errors.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, runCommand } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const cleanup = new Cleanup();
let server: RunningServer;
let dataDir = '';

function nodeClient(id: NodeIdentity): RestClient {
  const transport = new HttpTransport({ server: server.url, ca: id.caPem, cert: id.certPem, key: id.keyPem });
  cleanup.defer(() => transport.destroy());
  return new RestClient(transport.request);
}

/** The admin's client (nodes read only their own Node). */
function adminClient(): RestClient {
  return clientFromKubeconfig(server.kubeconfigPath).client;
}

function nodeObject(name: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} } as Node;
}

/** The ApiError `p` must fail with. */
async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the API call to fail, but it succeeded');
}

function everynode(...args: string[]) {
  return runCommand(process.execPath, [everynodeBin, ...args], { timeoutMs: 30_000 });
}

beforeAll(async () => {
  dataDir = makeTempDir(cleanup, 'everynode-revocation-');
  server = await startServer({ dataDir, listen: '127.0.0.1:0', controllers: false });
  cleanup.defer(() => server.close());
  registerServer(server.url, credentialsFromKubeconfig(server.kubeconfigPath));
});

afterAll(() => cleanup.run());

describe('everynode node revoke', () => {
  it('cuts the node off at once, deletes its Node, leaves other nodes alone, and lets it rejoin with a new identity', async () => {
    const lostId = await server.issueNodeIdentity('lost-1', ['127.0.0.1']);
    const otherId = await server.issueNodeIdentity('kept-1', ['127.0.0.1']);
    const lost = nodeClient(lostId);
    const other = nodeClient(otherId);
    // The token the lost machine joined with: still valid, but not for coming back after the revocation.
    const oldToken = server.createJoinToken();
    await lost.create(nodesResource, '', nodeObject('lost-1'));
    await other.create(nodesResource, '', nodeObject('kept-1'));
    let watchEnded = false;
    const watch: WatchHandle = await lost.watch(podsResource, { fieldSelector: 'spec.nodeName=lost-1' }, () => {});
    watch.done.then(
      () => (watchEnded = true),
      () => (watchEnded = true),
    );

    const run = await everynode('node', 'revoke', 'lost-1', '--data-dir', dataDir, '--reason', 'disk stolen');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^node lost-1: certificates issued before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z revoked\nNode lost-1 deleted\n$/);

    // The open watch is closed by the server (it re-reads the list every second).
    await waitFor(() => watchEnded, { timeoutMs: 5_000, message: 'the revoked node’s watch was not closed' });
    const refused = await failure(lost.get(nodesResource, '', 'kept-1'));
    expect(refused.code).toBe(401);
    expect(refused.reason).toBe('Unauthorized');
    await expect(renewNodeIdentity(server.url, lostId, 10_000)).rejects.toThrow(/401/);
    expect(isNotFound(await failure(adminClient().get(nodesResource, '', 'lost-1')))).toBe(true);
    // Another node is untouched.
    expect((await other.get<Node>(nodesResource, '', 'kept-1')).metadata.name).toBe('kept-1');

    // Joining again: not with a token made before the revocation, but with a new one.
    await expect(joinCluster({ server: server.url, token: oldToken, nodeName: 'lost-1', dataDir: makeTempDir(cleanup, 'everynode-rejoin-') })).rejects.toThrow(
      /node "lost-1" was revoked at \S+: it may join again only with a join token created since/,
    );
    const rejoinDir = makeTempDir(cleanup, 'everynode-rejoin-');
    await joinCluster({ server: server.url, token: server.createJoinToken(), nodeName: 'lost-1', dataDir: rejoinDir });
    const newId = loadNodeIdentity(rejoinDir);
    if (!newId) throw new Error('no identity stored by the join');
    const rejoined = nodeClient(newId);
    expect((await rejoined.create(nodesResource, '', nodeObject('lost-1'))).metadata.name).toBe('lost-1');

    const listed = await everynode('node', 'revocations', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^USER\s+ISSUED BEFORE\s+REVOKED\s+REASON\nsystem:node:lost-1\s+\S+Z\s+\S+Z\s+disk stolen\n$/);
  });

  it('token list shows join tokens without secrets; token delete voids one at once', async () => {
    const created = await everynode('token', 'create', '--data-dir', dataDir, '--ttl', '1h', '--description', 'for edge-9\nadmin0 forged');
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const id = /::([a-z0-9]{6})\./.exec(token)?.[1];
    if (!id) throw new Error(`no token id in ${token}`);
    const listed = await everynode('token', 'list', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+KIND\s+USER\s+CREATED\s+EXPIRES\s+DESCRIPTION$/m);
    // A line break in the description is shown escaped: it starts no row of its own.
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+join\\s+\\S+\\s+\\S+Z\\s+\\S+Z\\s+for edge-9\\\\x0aadmin0 forged$`, 'm'));
    expect(listed.stdout).not.toMatch(/^admin0 forged/m);
    expect(listed.stdout).toMatch(/^admin0\s+admin\s+system:admin\s/m);
    expect(listed.stdout).not.toContain(token.split('.')[1]!);

    expect((await everynode('token', 'delete', id, '--data-dir', dataDir)).stdout).toBe(`token ${id} deleted\n`);
    await expect(joinCluster({ server: server.url, token, nodeName: 'edge-9', dataDir: makeTempDir(cleanup, 'everynode-join-') })).rejects.toThrow(/join refused by server \(401\)/);
    const again = await everynode('token', 'delete', id, '--data-dir', dataDir);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no token with id/);
    const admin = await everynode('token', 'delete', 'admin0', '--data-dir', dataDir);
    expect(admin.stderr).toMatch(/rotate-admin/);
  });

  it('--keep-node leaves the Node object; bad names and unknown subcommands are refused with a clear message', async () => {
    // A name of its own per attempt: a retried attempt (CI) must not meet the first one's Node.
    const name = `kept-object-${Math.random().toString(36).slice(2, 8)}`;
    const id = await server.issueNodeIdentity(name, ['127.0.0.1']);
    await nodeClient(id).create(nodesResource, '', nodeObject(name));
    const run = await everynode('node', 'revoke', name, '--keep-node', '--data-dir', dataDir);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/deleted/);
    expect((await adminClient().get<Node>(nodesResource, '', name)).metadata.name).toBe(name);
    expect((await failure(nodeClient(id).get(nodesResource, '', name))).code).toBe(401);

    const bad = await everynode('node', 'revoke', 'Not_A_Node', '--data-dir', dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"Not_A_Node" is not a valid node name/);
    // A name the server has no Node for (a typo) is refused unless --force.
    const typo = await everynode('node', 'revoke', 'no-such-node', '--data-dir', dataDir);
    expect(typo).toMatchObject({ code: 1, stderr: 'everynode: node revoke: the server has no Node "no-such-node" (mistyped?); --force revokes the name anyway\n' });
    expect(await everynode('node', 'revocations', '--data-dir', dataDir).then((r) => r.stdout)).not.toContain('system:node:no-such-node');
    const forced = await everynode('node', 'revoke', 'no-such-node', '--force', '--data-dir', dataDir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^node no-such-node: certificates issued before \S+ revoked\nNode no-such-node: no such Node object\n$/);
    const unknown = await everynode('node', 'forget', 'x', '--data-dir', dataDir);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown subcommand "forget"/);
    // A server that does not answer: the revocation stands, and the way to delete the Node later
    // names this data dir's kubeconfig (the CLI's default ./.everynode may be another cluster).
    const stoppedDir = makeTempDir(cleanup, 'everynode-stopped-');
    await (await startServer({ dataDir: stoppedDir, listen: '127.0.0.1:0', controllers: false })).close();
    const offline = await everynode('node', 'revoke', 'gone-1', '--data-dir', stoppedDir);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain(`delete it with \`everynode delete node gone-1 --kubeconfig ${join(stoppedDir, 'kubeconfig.yaml')}\` once the server is reachable`);
    const noServer = await everynode('node', 'revoke', 'x', '--data-dir', makeTempDir(cleanup, 'everynode-empty-'));
    expect(noServer.code).not.toBe(0);
    expect(noServer.stderr).toMatch(/no server CA in/);
  });
});

describe('joining under a name a live node holds', () => {
  it('is refused (409) while that node\'s agent renews its lease; allowed once the lease expired, or after a revocation', async () => {
    const firstDir = makeTempDir(cleanup, 'everynode-twin-');
    await joinCluster({ server: server.url, token: server.createJoinToken(), nodeName: 'twin-1', dataDir: firstDir });
    const first = nodeClient(loadNodeIdentity(firstDir)!);
    await first.create(nodesResource, '', nodeObject('twin-1'));
    const micro = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace('Z', '000Z');
    const lease = await first.create<Lease>(leasesResource, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'twin-1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'twin-1', leaseDurationSeconds: 40, renewTime: micro(0) },
    });
    // A cloned machine (same host name, hence the same default --name).
    const twin = () => joinCluster({ server: server.url, token: server.createJoinToken(), nodeName: 'twin-1', dataDir: makeTempDir(cleanup, 'everynode-twin-') });
    await expect(twin()).rejects.toThrow(
      /join refused by server \(409\): node "twin-1" is already registered and its agent renewed its lease \d+s ago: another machine is using this name\. Give this agent another --name, or stop the other agent \(the name is free 40s after its last renewal\), or lock it out with `everynode node revoke twin-1`/,
    );
    // The first agent stopped 60 s ago: its lease has expired, the name is free.
    await first.patch(leasesResource, 'kube-node-lease', 'twin-1', 'merge', { spec: { renewTime: micro(60_000) } });
    await twin();
    // Alive again: refused again, until the admin revokes it.
    await first.patch(leasesResource, 'kube-node-lease', 'twin-1', 'merge', { spec: { renewTime: micro(0) } });
    await expect(twin()).rejects.toThrow(/\(409\)/);
    const run = await everynode('node', 'revoke', 'twin-1', '--data-dir', dataDir);
    expect(run.code, run.stderr).toBe(0);
    await twin();
    expect(lease.metadata.resourceVersion).toBeDefined();
  });
});
