// Public API of the `dashboard` part: the web dashboard (a page and a loopback server that
// forwards the API with the cluster's credentials) and the `everynode dashboard` command.
// `everynode up` starts one beside its cluster.

import { existsSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeconfigTransport } from '../client/index.js';
import { createLogger } from '../util/logger.js';
import { startDashboard } from './proxy.js';
import { unreadable } from '../util/errors.js';

export { DASHBOARD_TOKEN_HEADER, DASHBOARD_WATCH_PATH, DASHBOARD_WRITE_HEADER, isLoopbackHost, parseDashboardListen, startDashboard, type DashboardOptions, type RunningDashboard } from './proxy.js';
export { dashboardPage } from './page.js';

export const defaultDashboardListen = '127.0.0.1:8001';

export const dashboardUsage = `  dashboard  serve the web dashboard on a loopback address (like kubectl proxy + a UI);
           open the printed URL: its token signs the browser in
           --kubeconfig FILE    credentials to act with (default: $KUBECONFIG, then ./.everynode/kubeconfig.yaml)
           --listen HOST:PORT   loopback address to serve on (default ${defaultDashboardListen})
`;

/** --kubeconfig, then the first existing $KUBECONFIG entry, then ./.everynode/kubeconfig.yaml. */
function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  return resolve(fromEnv.find((p) => existsSync(p)) ?? fromEnv[0] ?? './.everynode/kubeconfig.yaml');
}

/** `everynode dashboard`: serves until SIGINT/SIGTERM. */
export async function runDashboardCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      listen: { type: 'string', default: defaultDashboardListen },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode dashboard [options]\n${dashboardUsage}`);
    return;
  }
  const path = kubeconfigPath(values.kubeconfig, process.env);
  const why = unreadable(path);
  if (why === 'missing') throw new Error(`no kubeconfig at ${path}: start a cluster with "everynode up"${values.kubeconfig ? '' : ', or pass --kubeconfig'}`);
  if (why !== undefined) throw new Error(why);
  const logger = createLogger({ name: 'dashboard' });
  // Follows the file: a rewritten kubeconfig (rotated admin token) is picked up on the next 401.
  const transport = new KubeconfigTransport(path, { userAgent: 'everynode-dashboard', logger });
  const dashboard = await startDashboard({ transport: transport.request, listen: values.listen, logger });
  process.stdout.write(`everynode dashboard: ${dashboard.url} (acting with ${path})\n`);
  await new Promise<void>((done) => {
    process.once('SIGTERM', () => done());
    process.once('SIGINT', () => done());
  });
  await dashboard.close();
  transport.destroy();
}
