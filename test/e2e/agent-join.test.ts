// Joining a node with the built binaries: `everynode server`, `everynode token create`, and
// `everynode agent --server URL --token T` as real processes over HTTPS. The agent checks the
// CA hash, stores its identity, registers its Node as system:node:<name>, runs a pod, and the
// API server reads the pod's log from the agent's HTTPS endpoint with its client certificate.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../src/api/types.js';
import { nodeIdentityFiles } from '../../src/auth/index.js';
import { clientFromKubeconfig, isNotFound, nodesResource, podsResource, type RestClient } from '../../src/client/index.js';
import { credentialsFromKubeconfig, registerServer, testFetch } from '../helpers/auth.js';
import { Cleanup } from '../helpers/cleanup.js';
import { httpRequest } from '../helpers/http.js';
import { everynodeBin, spawnNode, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const cleanup = new Cleanup();
const tag = randomBytes(4).toString('hex');
const nodeName = `joined-${tag}`;
let server: ServerProcess;
let dataDir = '';
let client: RestClient;

beforeAll(async () => {
  dataDir = join(makeTempDir(cleanup, 'join-e2e'), 'server');
  server = await startServerProcess(cleanup, { dataDir });
  client = clientFromKubeconfig(server.kubeconfigPath).client;
});
afterAll(() => cleanup.run());

async function tokenCreate(): Promise<string> {
  const r = await run(process.execPath, [everynodeBin, 'token', 'create', '--data-dir', dataDir, '--ttl', '10m']);
  return r.stdout.trim();
}

describe('everynode agent --token', () => {
  it('refuses to join when the token names another CA, before sending the secret', async () => {
    const token = await tokenCreate();
    const forged = token.replace(/^K10[0-9a-f]{64}/, 'K10' + '0'.repeat(64));
    const agentDir = makeTempDir(cleanup, 'agent-forged');
    const p = spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url, '--token', forged, '--name', 'forged', '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0']);
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    expect(p.output()).toMatch(/does not match the join token's CA hash/);
    expect(existsSync(nodeIdentityFiles(agentDir).keyFile)).toBe(false);
  });

  it('a first join to a server that does not answer says which server', async () => {
    const agentDir = makeTempDir(cleanup, 'agent-nobody');
    const p = spawnNode(cleanup, [everynodeBin, 'agent', '--server', 'https://127.0.0.1:1', '--token', await tokenCreate(), '--name', 'nobody', '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0']);
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toContain('agent: cannot join through https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('joins, registers its Node, runs a pod and serves its log to the API server over TLS', async () => {
    const token = await tokenCreate();
    expect(token).toMatch(/^K10[0-9a-f]{64}::/);
    const agentDir = makeTempDir(cleanup, 'agent');
    const agent = spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url, '--token', token, '--name', nodeName, '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0']);
    await waitFor(() => /serving logs on https:\/\//.test(agent.output()), { timeoutMs: 30_000, message: `agent started; output:\n${agent.output()}` });
    const f = nodeIdentityFiles(agentDir);
    for (const k of [f.keyFile, f.servingKeyFile]) expect((statSync(k).mode & 0o777).toString(8)).toBe('600');
    const node = await waitFor(
      async () => {
        const n = await client.get<Node>(nodesResource, '', nodeName).catch(() => undefined);
        return n?.status?.daemonEndpoints ? n : undefined;
      },
      { timeoutMs: 30_000, message: `node ${nodeName} registered; agent output:\n${agent.output()}` },
    );
    expect(node.metadata.name).toBe(nodeName);

    const marker = `everynode-join-${tag}`;
    await client.create<Pod>(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hello', namespace: 'default' },
      spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'sh', command: ['sh', '-c', `echo hello-from-${tag}; sleep 1000 # ${marker}`] }] },
    } as Pod);
    try {
      await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'hello')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'pod running' });
      const log = await waitFor(
        async () => {
          const r = await testFetch(`${server.url}/api/v1/namespaces/default/pods/hello/log`);
          const text = await r.text();
          return r.status === 200 && text.includes(`hello-from-${tag}`) ? text : undefined;
        },
        { timeoutMs: 15_000, message: 'pod log through the API server' },
      );
      expect(log).toContain(`hello-from-${tag}`);
      // The agent endpoint itself refuses a client without the API server's certificate.
      const port = (node.status?.daemonEndpoints as { kubeletEndpoint: { Port: number } }).kubeletEndpoint.Port;
      const direct = await new Promise<string>((resolve) => {
        void import('node:https').then(({ get }) => {
          const req = get({ host: '127.0.0.1', port, path: '/containerLogs/default/hello/main', rejectUnauthorized: false }, (res) => resolve(String(res.statusCode)));
          req.on('error', (e) => resolve(`error: ${e.message}`));
        });
      });
      expect(direct).not.toBe('200');
    } finally {
      await client.delete(podsResource, 'default', 'hello').catch(() => undefined);
      await waitFor(
        async () => {
          try {
            await client.get<Pod>(podsResource, 'default', 'hello');
            return false;
          } catch (err) {
            return isNotFound(err);
          }
        },
        { timeoutMs: 30_000, message: 'pod gone' },
      );
      await agent.stop();
    }
  });

  it('a joined agent restarts without --server or --token: it remembers the servers it was started with', async () => {
    const name = `restarted-${tag}`;
    const agentDir = makeTempDir(cleanup, 'agent-restarted');
    const args = ['--name', name, '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0'];
    const first = spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url, '--token', await tokenCreate(), ...args]);
    await waitFor(() => /serving logs on https:\/\//.test(first.output()), { timeoutMs: 30_000, message: `agent started; output:\n${first.output()}` });
    expect(readFileSync(join(agentDir, 'identity', 'servers'), 'utf8')).toBe(`${server.url}\n`);
    process.kill(-first.pid, 'SIGTERM');
    await first.exited;
    const again = spawnNode(cleanup, [everynodeBin, 'agent', ...args]);
    await waitFor(() => /serving logs on https:\/\//.test(again.output()), { timeoutMs: 30_000, message: `agent restarted without --server; output:\n${again.output()}` });
    process.kill(-again.pid, 'SIGTERM');
    await again.exited;

    // An identity without a remembered server (joined with an older build): the error says what is needed.
    rmSync(join(agentDir, 'identity', 'servers'));
    const old = spawnNode(cleanup, [everynodeBin, 'agent', ...args]);
    expect((await old.exited).code).toBe(1);
    expect(old.output()).toContain(`holds the identity of node "${name}" but no remembered server`);
    expect(old.output()).toContain('give --server URL');
    expect(old.output()).not.toContain('with --token');
  });

  it('a revoked node comes back on its own data dir with a new join token (the refused identity is replaced)', async () => {
    const name = `revoked-${tag}`;
    const agentDir = makeTempDir(cleanup, 'agent-revoked');
    const start = (token: string) => spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url, '--token', token, '--name', name, '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0']);
    const registered = (p: { output(): string }) =>
      waitFor(async () => ((await client.get<Node>(nodesResource, '', name).catch(() => undefined))?.status?.daemonEndpoints ? true : undefined), {
        timeoutMs: 30_000,
        message: `node ${name} registered; agent output:\n${p.output()}`,
      });
    const first = start(await tokenCreate());
    await registered(first);
    const before = statSync(nodeIdentityFiles(agentDir).certFile).mtimeMs;
    const revoke = await run(process.execPath, [everynodeBin, 'node', 'revoke', name, '--data-dir', dataDir]);
    expect(revoke.stdout).toContain(`node ${name}: certificates issued before`);
    process.kill(-first.pid, 'SIGTERM');
    await first.exited;
    const again = start(await tokenCreate());
    await registered(again);
    expect(again.output()).toContain('is refused by the server (revoked?): joining again with --token');
    expect(statSync(nodeIdentityFiles(agentDir).certFile).mtimeMs).toBeGreaterThan(before);
    process.kill(-again.pid, 'SIGTERM');
    await again.exited;
  });

  it('a node moves to another cluster with its join token (another CA): it joins afresh; an http:// server is refused before it is remembered', async () => {
    const name = `mover-${tag}`;
    const agentDir = makeTempDir(cleanup, 'agent-mover');
    const args = ['--name', name, '--data-dir', agentDir, '--node-ip', '127.0.0.1', '--port', '0'];
    const first = spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url, '--token', await tokenCreate(), ...args]);
    await waitFor(() => /serving logs on https:\/\//.test(first.output()), { timeoutMs: 30_000, message: `agent started; output:\n${first.output()}` });
    process.kill(-first.pid, 'SIGTERM');
    await first.exited;
    // A typo'd scheme: refused at once, and the remembered server stays the one that works.
    const typo = spawnNode(cleanup, [everynodeBin, 'agent', '--server', server.url.replace('https:', 'http:'), ...args]);
    expect((await typo.exited).code).toBe(1);
    expect(typo.output()).toContain("the API server's URL must be https://HOST:PORT");
    expect(readFileSync(join(agentDir, 'identity', 'servers'), 'utf8')).toBe(`${server.url}\n`);
    // Another cluster: its token names its CA, which is not the stored identity's.
    const otherDir = join(makeTempDir(cleanup, 'join-e2e-other'), 'server');
    const other = await startServerProcess(cleanup, { dataDir: otherDir });
    const otherToken = (await run(process.execPath, [everynodeBin, 'token', 'create', '--data-dir', otherDir, '--ttl', '10m'])).stdout.trim();
    const moved = spawnNode(cleanup, [everynodeBin, 'agent', '--server', other.url, '--token', otherToken, ...args]);
    await waitFor(() => /serving logs on https:\/\//.test(moved.output()), { timeoutMs: 30_000, message: `agent moved; output:\n${moved.output()}` });
    expect(moved.output()).toContain('the join token is of another cluster than the node identity');
    const otherClient = clientFromKubeconfig(other.kubeconfigPath).client;
    await waitFor(async () => ((await otherClient.get<Node>(nodesResource, '', name).catch(() => undefined))?.status?.daemonEndpoints ? true : undefined), { timeoutMs: 30_000, message: 'registered in the other cluster' });
    expect(readFileSync(join(agentDir, 'identity', 'servers'), 'utf8')).toBe(`${other.url}\n`);
    process.kill(-moved.pid, 'SIGTERM');
    await moved.exited;
  });

  it('token rotate-admin replaces the admin token: the old one gets 401, the rewritten kubeconfig works and keeps what was added to it', async () => {
    const old = server.adminToken;
    // A context and a user added to the file (kubectl config set-context / set-credentials) stay.
    const before = readFileSync(server.kubeconfigPath, 'utf8');
    expect(before.trimEnd()).toMatch(/\nusers:\n[^]*$/);
    writeFileSync(server.kubeconfigPath, `${before.trimEnd()}\n  # kept\n  - name: alice\n    user:\n      token: alice-token\n`);
    const r = await run(process.execPath, [everynodeBin, 'token', 'rotate-admin', '--data-dir', dataDir]);
    expect(r.stdout).toContain('admin token rotated');
    const after = readFileSync(server.kubeconfigPath, 'utf8');
    expect(after).toContain('alice-token');
    expect(after).toContain('# kept');
    expect(r.stdout).toContain("the admin user's token replaced");
    const fresh = credentialsFromKubeconfig(server.kubeconfigPath);
    expect(fresh.token).not.toBe(old);
    expect((await httpRequest(`${server.url}/api/v1/namespaces`, { token: old })).status).toBe(401);
    expect((await httpRequest(`${server.url}/api/v1/namespaces`, { token: fresh.token })).status).toBe(200);
    registerServer(server.url, fresh);
  });
});
