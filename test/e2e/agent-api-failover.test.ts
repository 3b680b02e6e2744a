// Pods of an agent that knows several API servers (`--server A,B`) keep their API when the
// first server dies: they are given the agent's forwarder on 127.0.0.1, which follows the
// agent's failover, not the first server's address (found by the HA review). Real server
// processes on one etcd, a real agent process and a real pod process calling the API with its
// service account's kubeconfig. Skipped, saying why, without the etcd binary.

import { readPodKubeconfigJs } from '../helpers/pod-scripts.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pod } from '../../src/api/types.js';
import { clientFromKubeconfig, podsResource } from '../../src/client/index.js';
import { Cleanup } from '../helpers/cleanup.js';
import { everynodeBin, spawnNode, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { describeWithEtcd, startEtcdCluster } from '../helpers/server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

describeWithEtcd('pods of an agent with several API servers', () => {
  const cleanup = new Cleanup();
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    [a, b] = (await startEtcdCluster(cleanup, 2, ({ dataDir, storeUrl }) => startServerProcess(cleanup, { dataDir, extraArgs: ['--store', storeUrl] }))).servers as [ServerProcess, ServerProcess];
  }, 60_000);
  afterAll(() => cleanup.run(), 60_000);

  it('keep reaching the API through the agent when the first server is killed', async () => {
    const dataDir = makeTempDir(cleanup, 'fo-agent');
    const agent = spawnNode(cleanup, [everynodeBin, 'agent', '--kubeconfig', a.kubeconfigPath, '--server', `${a.url},${b.url}`, '--name', 'fo-node', '--data-dir', dataDir, '--node-ip', '127.0.0.1', '--port', '0']);
    const client = clientFromKubeconfig(b.kubeconfigPath).client;
    await waitFor(() => agent.output().includes('running without a node identity'), { timeoutMs: 30_000, message: `the agent running; output:\n${agent.output()}` });

    // A daemon that calls the API with its kubeconfig every 200 ms and writes down what it got.
    const out = join(makeTempDir(cleanup, 'fo-pod'), 'calls.log');
    const script = [
      readPodKubeconfigJs,
      `const out=${JSON.stringify(out)};fs.appendFileSync(out,'env '+process.env.KUBERNETES_SERVICE_HOST+':'+process.env.KUBERNETES_SERVICE_PORT+' '+server+'\\n');`,
      "const call=()=>new Promise(r=>{const q=https.request(server+'/api/v1/namespaces/default/pods',{ca,headers:{authorization:'Bearer '+token},timeout:2000},res=>{res.resume();res.on('end',()=>r(String(res.statusCode)))});q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',e=>r('error '+e.code));q.end();});",
      "(async()=>{for(;;){fs.appendFileSync(out,Date.now()+' '+await call()+'\\n');await new Promise(r=>setTimeout(r,200));}})();",
    ].join('');
    await client.create(podsResource, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-caller' },
      spec: { nodeName: 'fo-node', containers: [{ name: 'caller', image: 'node', command: ['node', '-e', script] }] },
    } as Pod);
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);
    const answered = (since: number) => lines().filter((l) => /^\d+ \d{3}$/.test(l) && Number(l.split(' ')[0]) > since);
    await waitFor(() => answered(0).length >= 3, { timeoutMs: 30_000, message: `the pod's first answers; its log:\n${lines().join('\n')}\nagent:\n${agent.output()}` });
    // The pod was given the forwarder, not the first server's address.
    const env = lines().find((l) => l.startsWith('env '))!;
    expect(env).toMatch(/^env 127\.0\.0\.1:(\d+) https:\/\/127\.0\.0\.1:\1$/);
    expect(env).not.toContain(new URL(a.url).port);
    // Every answer is the server's (the default account may not list pods: 403 is an answer).
    expect(new Set(answered(0).map((l) => l.split(' ')[1]))).toEqual(new Set(['403']));

    a.signalGroup('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    await waitFor(() => answered(killedAt + 500).length >= 5, { timeoutMs: 20_000, message: `answers after the first server died; pod log:\n${lines().slice(-20).join('\n')}\nagent:\n${agent.output()}` });
  }, 90_000);
});
