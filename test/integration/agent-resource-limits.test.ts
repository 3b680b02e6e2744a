// A real agent run with enforceResourceLimits (`everynode agent|up --enforce-resource-limits`)
// against a real server: a daemon past its memory limit is OOM-killed and restarted, and the
// API shows it as a kubelet reports it (lastState terminated, reason OOMKilled, exit code 137).
// Needs root and a cgroup filesystem; skipped elsewhere, saying why.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups } from '../../src/agent/runtime/cgroups.js';
import { Cleanup } from '../helpers/cleanup.js';
import { startTestAgent } from '../helpers/agent.js';
import { apiClients, startTestServer, waitFor, type ApiClients, type TestServer } from '../helpers/index.js';

const canEnforce = detectCgroups() !== undefined;
const cleanup = new Cleanup();
const marker = `everynode-test-${randomBytes(6).toString('hex')}`;
let ts: TestServer;
let api: ApiClients;

describe.skipIf(!canEnforce)('resource limits held by the agent (needs root and a cgroup filesystem)', () => {
  beforeAll(async () => {
    ts = await startTestServer(cleanup);
    api = apiClients(ts.server.kubeconfigPath);
    await startTestAgent(cleanup, ts.server, 'limits-node', { marker, dataDirName: 'agent-limits', enforceResourceLimits: true, podStatusResyncMs: 1_000, crashLoopBackOff: { initialMs: 200, maxMs: 1_000 } });
  }, 60_000);
  afterAll(() => cleanup.run());

  it('a container past its memory limit is OOMKilled and restarted; the pod status says so', async () => {
    const hog = `const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 10); // ${marker}`;
    await api.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'hog' },
        spec: { nodeName: 'limits-node', containers: [{ name: 'hog', image: 'node', command: [process.execPath, '-e', hog], resources: { limits: { memory: '96Mi', cpu: '500m' } } }] },
      },
    });
    const status = await waitFor(
      async () => {
        const p = await api.core.readNamespacedPod({ namespace: 'default', name: 'hog' });
        const cs = p.status?.containerStatuses?.[0];
        return cs && (cs.restartCount ?? 0) >= 1 && cs.lastState?.terminated ? cs : undefined;
      },
      { timeoutMs: 60_000, message: 'the hog container to be OOM-killed and restarted' },
    );
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    // A restarted container does not fail the pod (restartPolicy Always).
    expect((await api.core.readNamespacedPod({ namespace: 'default', name: 'hog' })).status?.phase).toBe('Running');
  }, 90_000);
});
