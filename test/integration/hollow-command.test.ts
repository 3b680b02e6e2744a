// `everynode hollow-nodes` as its own process (the built binary, as bench/scale.ts runs it):
// it registers the nodes against a real server, prints its ready line, plays the pod
// lifecycle for a pod bound to one of its nodes, and exits 0 on SIGTERM.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../src/api/types.js';
import { HttpTransport, loadKubeconfig, RestClient, nodesResource, podsResource } from '../../src/client/index.js';
import { Cleanup, everynodeBin, makeTempDir, restartTestServer, spawnNode, startTestServer, waitFor } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run(), 60_000);

describe('everynode hollow-nodes', () => {
  it('outlives a restart of the API server: its nodes renew their leases and run pods after it', async () => {
    const first = await startTestServer(cleanup);
    const proc = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--kubeconfig', first.server.kubeconfigPath, '--count', '2', '--name-prefix', 'hr-', '--ready-delay-ms', '20', '--lease-duration-seconds', '10']);
    await waitFor(() => /^\{"event":"ready"/m.test(proc.output()), { timeoutMs: 30_000, message: `ready line (output: ${proc.output()})` });
    let exited: unknown;
    void proc.exited.then((e) => (exited = e));
    const second = await restartTestServer(cleanup, first);
    const transport = new HttpTransport({ ...loadKubeconfig(second.server.kubeconfigPath) });
    cleanup.defer(() => transport.destroy(), 'transport');
    const client = new RestClient(transport.request);
    const restartedAt = Date.now();
    // A lease renewed after the restart (every 10 s / 4 with --lease-duration-seconds 10) shows the nodes reconnected.
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`hollow-nodes exited ${JSON.stringify(exited)}: ${proc.output()}`);
        const lease = await client.get<{ spec?: { renewTime?: string } } & Pod>({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, kind: 'Lease' }, 'kube-node-lease', 'hr-1');
        return Date.parse(lease.spec?.renewTime ?? '') > restartedAt;
      },
      { timeoutMs: 30_000, message: `hr-1's lease renewed after the restart (output: ${proc.output()})` },
    );
    await client.create<Pod>(podsResource, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-restart', namespace: 'default' }, spec: { nodeName: 'hr-0', containers: [{ name: 'c', image: 'example.com/c:1' }] } });
    await waitFor(async () => (await client.get<Pod>(podsResource, 'default', 'after-restart')).status?.phase === 'Running', { timeoutMs: 30_000, message: 'a pod bound after the restart Running' });
    expect(exited).toBeUndefined();
    proc.signalGroup('SIGTERM');
    expect((await proc.exited).code).toBe(0);
  });

  it('registers --count nodes, reports ready, runs a bound pod, stops on SIGTERM', async () => {
    const { server } = await startTestServer(cleanup);
    const transport = new HttpTransport({ ...loadKubeconfig(server.kubeconfigPath) });
    cleanup.defer(() => transport.destroy(), 'transport');
    const client = new RestClient(transport.request);
    // Flags out of their range are refused before any Node is registered.
    for (const [flag, value, want] of [
      ['--failure-rate', '2', '--failure-rate: want a number in 0..1, got "2"'],
      ['--lease-duration-seconds', '0', '--lease-duration-seconds: want an integer of at least 1, got "0"'],
    ] as const) {
      const bad = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--kubeconfig', server.kubeconfigPath, '--count', '3', '--name-prefix', 'bad-', flag, value]);
      expect((await bad.exited).code).toBe(1);
      expect(bad.output()).toContain(want);
    }
    expect((await client.list<Node>(nodesResource)).items.filter((n) => n.metadata.name?.startsWith('bad-'))).toEqual([]);
    const proc = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--kubeconfig', server.kubeconfigPath, '--count', '12', '--name-prefix', 'hc-', '--ready-delay-ms', '20', '--labels', 'fleet=test']);
    const ready = await waitFor(() => /^\{"event":"ready".*$/m.exec(proc.output())?.[0], { timeoutMs: 30_000, message: `ready line (output: ${proc.output()})` });
    expect(JSON.parse(ready)).toMatchObject({ event: 'ready', nodes: 12 });
    const nodes = await client.list<Node>(nodesResource, { labelSelector: 'fleet=test' });
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `hc-${i}`).sort());

    await client.create<Pod>(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bound', namespace: 'default' },
      spec: { nodeName: 'hc-5', containers: [{ name: 'c', image: 'example.com/c:1' }] },
    });
    const pod = await waitFor(
      async () => {
        const p = await client.get<Pod>(podsResource, 'default', 'bound');
        return p.status?.phase === 'Running' ? p : false;
      },
      { timeoutMs: 30_000, message: 'pod bound to hc-5 Running' },
    );
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    proc.signalGroup('SIGTERM');
    const exit = await proc.exited;
    expect(exit.code).toBe(0);

    // Without --server or --kubeconfig, $KUBECONFIG is used, as by the client commands.
    const byEnv = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--count', '2', '--name-prefix', 'hc-env-'], { env: { ...process.env, KUBECONFIG: server.kubeconfigPath } });
    await waitFor(() => /^\{"event":"ready"/m.test(byEnv.output()), { timeoutMs: 30_000, message: `ready line from $KUBECONFIG (output: ${byEnv.output()})` });
    expect((await client.get<Node>(nodesResource, '', 'hc-env-1')).metadata.name).toBe('hc-env-1');
    byEnv.signalGroup('SIGTERM');
    expect((await byEnv.exited).code).toBe(0);

    // --server alone: the credentials and CA come from the default kubeconfig
    // (./.everynode/kubeconfig.yaml here), --server replaces only its address.
    const cwd = makeTempDir(cleanup, 'hollow-cwd');
    mkdirSync(join(cwd, '.everynode'));
    const kc = readFileSync(server.kubeconfigPath, 'utf8');
    expect(kc).toContain(server.url);
    writeFileSync(join(cwd, '.everynode', 'kubeconfig.yaml'), kc.replaceAll(server.url, 'https://127.0.0.1:9'), { mode: 0o600 });
    const env = { ...process.env };
    delete env['KUBECONFIG'];
    const byServer = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--server', server.url, '--count', '2', '--name-prefix', 'hc-srv-'], { cwd, env });
    await waitFor(() => /^\{"event":"ready"/m.test(byServer.output()), { timeoutMs: 30_000, message: `ready line with --server alone (output: ${byServer.output()})` });
    expect((await client.get<Node>(nodesResource, '', 'hc-srv-1')).metadata.name).toBe('hc-srv-1');
    byServer.signalGroup('SIGTERM');
    expect((await byServer.exited).code).toBe(0);

    // No kubeconfig anywhere: a message that says the credentials come from one.
    const empty = makeTempDir(cleanup, 'hollow-empty');
    const noKc = spawnNode(cleanup, [everynodeBin, 'hollow-nodes', '--server', server.url, '--count', '1'], { cwd: empty, env });
    expect((await noKc.exited).code).not.toBe(0);
    expect(noKc.output()).toContain('no kubeconfig for the cluster');
  }, 60_000);
});
