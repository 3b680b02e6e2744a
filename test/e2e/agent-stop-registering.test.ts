// `everynode agent` (the built binary) stops on SIGTERM/SIGINT while it is still trying to
// register its Node, and exits 0: between attempts (the API server refuses the registration:
// the agent's credential is a service account token with no rights on Nodes) and with a registration request in flight that never gets
// an answer (a "server" that accepts connections and says nothing).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../helpers/http.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, spawnNode, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor, withDeadline } from '../helpers/wait.js';

const cleanup = new Cleanup();
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess(cleanup, { dataDir: join(makeTempDir(cleanup, 'agent-stop'), 'server') });
}, 60_000);
afterAll(() => cleanup.run(), 60_000);

function agentArgs(kubeconfig: string, name: string, extra: string[] = []): string[] {
  return [everynodeBin, 'agent', '--kubeconfig', kubeconfig, '--name', name, '--data-dir', makeTempDir(cleanup, `agent-${name}`), '--node-ip', '127.0.0.1', '--port', '0', ...extra];
}

describe('everynode agent stopped before its Node is registered', () => {
  it('SIGTERM between registration attempts (a credential the server refuses): exits 0', async () => {
    // A credential the server knows but that may not read or write Nodes.
    const admin = { token: server.adminToken };
    const sa = await httpRequest(`${server.url}/api/v1/namespaces/default/serviceaccounts`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'no-rights' } }), ...admin });
    expect(sa.status, sa.text).toBe(201);
    const tr = await httpRequest(`${server.url}/api/v1/namespaces/default/serviceaccounts/no-rights/token`, { method: 'POST', body: JSON.stringify({ spec: {} }), ...admin });
    expect(tr.status, tr.text).toBe(201);
    const token = (JSON.parse(tr.text) as { status: { token: string } }).status.token;
    const kubeconfig = join(makeTempDir(cleanup, 'no-rights-kubeconfig'), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, readFileSync(server.kubeconfigPath, 'utf8').replace(/token: \S+/, `token: ${token}`));
    const agent = spawnNode(cleanup, agentArgs(kubeconfig, 'no-rights'));
    await waitFor(() => /node registration failed \(retrying in 1000 ms\).*forbidden/.test(agent.output()), {
      timeoutMs: 30_000,
      message: `a second failed registration; output:\n${agent.output()}`,
    });
    agent.signalGroup('SIGTERM');
    const exit = await withDeadline(agent.exited, 15_000, `the agent to exit on SIGTERM; output:\n${agent.output()}`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(agent.output()).toContain('SIGTERM received, stopping the agent');
  });

  it('SIGINT with a registration request that is never answered: exits 0', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.defer(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }, 'silent server');
    const port = (silent.address() as { port: number }).port;
    // The real server's credentials, its address replaced by the silent one's.
    const kubeconfig = join(makeTempDir(cleanup, 'silent-kubeconfig'), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, readFileSync(server.kubeconfigPath, 'utf8').replace(/server: \S+/, `server: https://127.0.0.1:${port}`));
    const agent = spawnNode(cleanup, agentArgs(kubeconfig, 'unanswered'));
    await waitFor(() => sockets.size > 0 && /running without a node identity/.test(agent.output()), { timeoutMs: 30_000, message: `the agent's first request; output:\n${agent.output()}` });
    agent.signalGroup('SIGINT');
    const exit = await withDeadline(agent.exited, 15_000, `the agent to exit on SIGINT; output:\n${agent.output()}`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(agent.output()).toContain('SIGINT received, stopping the agent');
  });
});
