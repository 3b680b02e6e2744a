// Two API servers on one etcd, each with its own data dir: tokens made, deleted or rotated with
// the real `everynode token` CLI on the first server's data dir take effect on the second,
// through the store: a join token works there, a deleted one stops working there, the rotated
// admin token works there and the old one is refused. The second server's own tokens.json
// gains the change. Skipped, saying why, without the etcd binary.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseJoinToken } from '../../src/auth/index.js';
import { Cleanup, describeWithEtcd, restartTestServer, startEtcdCluster, startTestServer, waitFor, type TestServer } from '../helpers/index.js';
import { httpRequest } from '../helpers/http.js';
import { everynodeBin, runCommand } from '../helpers/process.js';

describeWithEtcd('tokens shared through the store', () => {
  const cleanup = new Cleanup();
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    [a, b] = (await startEtcdCluster(cleanup, 2, (o) => startTestServer(cleanup, o))).servers as [TestServer, TestServer];
  });
  afterAll(() => cleanup.run());

  const cli = async (dataDir: string, ...args: string[]): Promise<string> => {
    const run = await runCommand(process.execPath, [everynodeBin, 'token', ...args, '--data-dir', dataDir], { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    return run.stdout;
  };
  const join_ = (server: TestServer, bearer: string, nodeName: string) =>
    httpRequest(server.server.url + '/everynode/v1/join', { method: 'POST', body: JSON.stringify({ nodeName }), token: bearer });
  const tokensOf = (dataDir: string) => (JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { tokens: { id: string }[] }).tokens.map((t) => t.id);
  const status = async (server: TestServer, token: string) => (await httpRequest(server.server.url + '/api/v1/namespaces', { token })).status;

  it('a join token made on one server joins through the other; deleted, it is refused there', async () => {
    const joinToken = parseJoinToken((await cli(a.dataDir, 'create', '--ttl', '1h')).trim())!;
    expect(joinToken).toBeDefined();
    await waitFor(async () => (await join_(b, joinToken.bearer, 'shared-tok-1')).status === 200, { timeoutMs: 10_000, message: 'the join token to work on the other server' });
    expect(tokensOf(b.dataDir)).toContain(joinToken.id);

    await cli(a.dataDir, 'delete', joinToken.id);
    await waitFor(async () => (await join_(b, joinToken.bearer, 'shared-tok-2')).status === 401, { timeoutMs: 10_000, message: 'the deleted join token to be refused on the other server' });
    expect(tokensOf(b.dataDir)).not.toContain(joinToken.id);
    // The deletion holds: the stale copy on either side does not bring it back.
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await join_(a, joinToken.bearer, 'shared-tok-3')).status).toBe(401);
    expect(tokensOf(a.dataDir)).not.toContain(joinToken.id);
  }, 60_000);

  it('the admin token rotated on one server is the admin token of both', async () => {
    const old = a.adminToken;
    expect(await status(b, old)).toBe(200);
    await cli(a.dataDir, 'rotate-admin');
    const doc = parseYaml(readFileSync(join(a.dataDir, 'kubeconfig.yaml'), 'utf8')) as { users: { user: { token: string } }[] };
    const fresh = doc.users[0]!.user.token;
    expect(fresh).not.toBe(old);
    await waitFor(async () => (await status(b, fresh)) === 200 && (await status(b, old)) === 401, { timeoutMs: 10_000, message: 'the rotation to reach the other server' });
    expect(await status(a, fresh)).toBe(200);
    expect(await status(a, old)).toBe(401);

    // The other server restarted with its out-of-date kubeconfig.yaml leaves the cluster's admin
    // token alone (issuing one of its own would lock out every other copy).
    const kubeconfigOfB = readFileSync(join(b.dataDir, 'kubeconfig.yaml'), 'utf8');
    b = await restartTestServer(cleanup, b);
    expect(readFileSync(join(b.dataDir, 'kubeconfig.yaml'), 'utf8')).toBe(kubeconfigOfB);
    expect(await status(b, fresh)).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await status(a, fresh)).toBe(200);
  }, 60_000);
  it('a server alone on its etcd whose kubeconfig.yaml was deleted issues a new admin token, as on SQLite', async () => {
    let [solo] = (await startEtcdCluster(cleanup, 1, (o) => startTestServer(cleanup, o))).servers as [TestServer];
    const old = solo.adminToken;
    await solo.close();
    rmSync(join(solo.dataDir, 'kubeconfig.yaml'));
    solo = await restartTestServer(cleanup, solo);
    expect(solo.adminToken).not.toBe(old);
    expect(await status(solo, solo.adminToken)).toBe(200);
    expect(await status(solo, old)).toBe(401);
  }, 60_000);
});
