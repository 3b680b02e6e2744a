import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../apiserver/index.js';
import { RestClient, inProcessTransport } from '../client/index.js';
import { createLogger } from '../util/logger.js';
import { Cleanup } from '../../test/helpers/cleanup.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { burstReplicas } from './daemonset/index.js';
import { ControllerManager, inProcessBurstReplicas } from './manager.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function server(controllers: Parameters<typeof startServer>[0]['controllers']) {
  const s = await startServer({
    dataDir: makeTempDir(cleanup, 'manager'),
    listen: '127.0.0.1:0',
    logger: createLogger({ name: 'apiserver', level: 'error' }),
    controllers,
  });
  cleanup.defer(() => s.close(), 'server');
  return s;
}

describe('DaemonSet burstReplicas', () => {
  it('the controller manager inside the API server defaults to inProcessBurstReplicas', async () => {
    const s = await server({ leaderElection: false });
    expect(inProcessBurstReplicas).toBeGreaterThan(burstReplicas);
    expect(s.controllerManager?.running()?.daemonSetBurstReplicas).toBe(inProcessBurstReplicas);
  });

  it('takes an explicit burstReplicas from startServer({controllers})', async () => {
    const s = await server({ leaderElection: false, daemonSet: { workers: 1, burstReplicas: 7 } });
    expect(s.controllerManager?.running()?.daemonSetBurstReplicas).toBe(7);
  });

  it("a controller manager of its own (remote API server) keeps upstream's 250", async () => {
    const s = await server(false);
    const cm = new ControllerManager({
      client: new RestClient(inProcessTransport(s.handler, { userAgent: 'manager-test' })),
      leaderElection: false,
      garbageCollector: false,
      nodeLifecycle: false,
      logger: createLogger({ name: 'controller-manager', level: 'error' }),
    });
    cm.start();
    cleanup.defer(() => cm.stop(), 'controller manager');
    expect(cm.running()?.daemonSetBurstReplicas).toBe(burstReplicas);
    expect(burstReplicas).toBe(250);
  });
});
