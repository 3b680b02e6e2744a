#!/usr/bin/env node
// The `everynode` binary. Thin: parses arguments and calls the parts.
//   everynode server [--data-dir DIR] [--listen HOST:PORT] [--store sqlite|etcd://...]
//   everynode agent|up|token|node|backup|restore|hollow-nodes|dashboard ...   (cluster lifecycle)
//   everynode get|apply|logs|rollout|...                        (client verbs, src/cli)
//   everynode [help|--help|-h]   all commands (help.ts); everynode help VERB [SUB]: its --help;
//   --help/-h after a lifecycle command (sub-command): that command's part of the usage
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fullUsage, helpArgv, lifecycleHelp, lifecycleShapes, nearestOption, usageSection, wantsHelp } from './help.js';
import { clusterDnsFlags, corsAllowedOriginsFromFlag, corsFlagUsage, defaultStoreWait, inflightFlagOptions, inflightFlagUsage, inflightLimitsFromFlags, nodeLifecycleFlagUsage, nodeLifecycleFromFlags, storeFlagUsage, storeUrlFromFlag, storeWaitMsFromFlag, tlsSansFromFlag, wildcardListenNote } from './store-flag.js';
import { createLogger, ignoreClosedOutput } from '../util/logger.js';
import { applyServerHeapPolicy } from '../util/heap.js';
import { removeProtoAccessor } from '../util/proto-key.js';
import { everynodeVersion } from '../util/version.js';

// Before any input is read: "__proto__" is an ordinary key in every everynode process (util/proto-key.ts).
removeProtoAccessor();

// Parts are imported when their command runs, so e.g. an agent process does not load the API
// server (the agent's memory footprint is a measured figure), and a client verb loads neither the
// agent nor the certificate code (each `everynode get` pays its imports in start-up time).
const serverUsage = `  server   run the API server
           --data-dir DIR       state and kubeconfig directory (default ./.everynode)
           --listen HOST:PORT   address to listen on (default 127.0.0.1:6443)
           --tls-san NAME       extra name/IP for the serving certificate (repeatable)
${storeFlagUsage}           --disable-controllers
                                serve the API alone (no in-process controller manager)
           --cluster-dns HOST:PORT
                                serve the cluster DNS (UDP and TCP) there (default: none)
           --cluster-domain NAME
                                the cluster DNS zone (default cluster.local)
${inflightFlagUsage}${corsFlagUsage}${nodeLifecycleFlagUsage}`;

/** The usage of the cluster (lifecycle) commands, each with its options. */
async function clusterUsage(): Promise<string> {
  const [{ agentUsage, upUsage }, { tokenUsage }, { nodeUsage }, { backupUsage }, { hollowNodesUsage }, { dashboardUsage }] = await Promise.all([
    import('./agent.js'),
    import('./token.js'),
    import('./node.js'),
    import('./backup.js'),
    import('../hollow/index.js'),
    import('../dashboard/index.js'),
  ]);
  return serverUsage + upUsage + agentUsage + tokenUsage + nodeUsage + backupUsage + hollowNodesUsage + dashboardUsage;
}

async function usage(): Promise<string> {
  const [cluster, { commandTree }] = await Promise.all([clusterUsage(), import('../cli/index.js')]);
  return fullUsage(`usage: everynode <command> [options]\n\ncluster commands:\n${cluster}`, commandTree());
}

async function runServer(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      store: { type: 'string', default: 'sqlite' },
      'store-wait': { type: 'string', default: defaultStoreWait },
      'disable-controllers': { type: 'boolean', default: false },
      'tls-san': { type: 'string', multiple: true, default: [] },
      'cluster-dns': { type: 'string' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      ...inflightFlagOptions,
      'cors-allowed-origins': { type: 'string', multiple: true, default: [] },
      'node-monitor-grace-period': { type: 'string' },
      'node-startup-grace-period': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: everynode server [options]\n${serverUsage}`);
    return;
  }
  applyServerHeapPolicy();
  const { startServer, versionInfo } = await import('../apiserver/index.js');
  const logger = createLogger({ name: 'apiserver' });
  const storeUrl = storeUrlFromFlag(values.store);
  const storeWaitMs = storeWaitMsFromFlag(values['store-wait'], storeUrl);
  const clusterDns = clusterDnsFlags('server', values['cluster-dns'] ?? 'off', values['cluster-domain']);
  const inflightLimits = inflightLimitsFromFlags(values);
  const corsAllowedOrigins = corsAllowedOriginsFromFlag(values['cors-allowed-origins']);
  const tlsSans = tlsSansFromFlag('server', values['tls-san']);
  const nodeLifecycle = nodeLifecycleFromFlags(values['node-monitor-grace-period'], values['node-startup-grace-period']);
  const controllers = values['disable-controllers'] ? false : nodeLifecycle ? { nodeLifecycle } : true;
  const server = await startServer({ dataDir: resolve(values['data-dir']), listen: values.listen, logger, controllers, tlsSans, storeWaitMs, inflightLimits, corsAllowedOrigins, ...(storeUrl ? { storeUrl } : {}), ...(clusterDns ? { clusterDns } : {}) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    ignoreClosedOutput();
    stop('SIGHUP');
  });
  logger.info(`everynode ${everynodeVersion()} serving the Kubernetes ${versionInfo.gitVersion} API`);
  // Announced only once the signals are handled: a stop asked for right after it is a clean one.
  process.stdout.write(`everynode server listening on ${server.url} (kubeconfig: ${server.kubeconfigPath})\n`);
  const wildcard = wildcardListenNote(values.listen, server.port, server.pki.servingCertPem);
  if (wildcard) process.stdout.write(`${wildcard}\n`);
  if (server.clusterDns) process.stdout.write(`cluster DNS: ${server.clusterDns.address} (zone ${server.clusterDns.domain})\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'hollow-nodes': {
      const { runHollowNodesCommand, hollowNodesUsage } = await import('../hollow/index.js');
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode hollow-nodes [options]\n${hollowNodesUsage}`);
        return;
      }
      return runHollowNodesCommand(rest);
    }
    case 'server':
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode server [options]\n${serverUsage}`);
        return;
      }
      return runServer(rest);
    case 'dashboard': {
      const { runDashboardCommand, dashboardUsage } = await import('../dashboard/index.js');
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode dashboard [options]\n${dashboardUsage}`);
        return;
      }
      return runDashboardCommand(rest);
    }
    case 'agent': {
      const { runAgent, agentUsage } = await import('./agent.js');
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode agent [options]\n${agentUsage}`);
        return;
      }
      return runAgent(rest);
    }
    case 'up': {
      const { runUp, upUsage } = await import('./agent.js');
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode up [options]\n${upUsage}`);
        return;
      }
      return runUp(rest);
    }
    case 'token': {
      const { runToken, tokenUsage } = await import('./token.js');
      // `token --help`, `token create --help`, `help token [SUB]`: before the options are parsed.
      if (wantsHelp(rest) || rest[0] === 'help') {
        process.stdout.write(lifecycleHelp('token', ['create', 'list', 'delete', 'rotate-admin'], tokenUsage, rest[0]));
        return;
      }
      return runToken(rest);
    }
    case 'backup':
    case 'restore': {
      const { runBackup, runRestore, backupUsage } = await import('./backup.js');
      if (wantsHelp(rest)) {
        process.stdout.write(`usage: everynode ${command} ${command === 'backup' ? 'OUT_DIR' : 'BACKUP_DIR'} [options]\n${usageSection(backupUsage, command)}`);
        return;
      }
      return command === 'backup' ? runBackup(rest) : runRestore(rest);
    }
    case 'node': {
      const { runNode, nodeUsage } = await import('./node.js');
      if (wantsHelp(rest) || rest[0] === 'help') {
        process.stdout.write(lifecycleHelp('node', ['revoke', 'revocations'], nodeUsage, rest[0]));
        return;
      }
      return runNode(rest);
    }
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(await usage());
      return;
    case 'completion': {
      // The script completes the cluster commands too, read from their usage.
      if (rest.length === 1 && (rest[0] === 'bash' || rest[0] === 'zsh')) {
        const [cluster, { commandTree }, { bashCompletion, zshCompletion }] = await Promise.all([clusterUsage(), import('../cli/index.js'), import('../cli/commands/misc.js')]);
        const shapes = [...lifecycleShapes(cluster), { name: 'help', options: [], subcommands: [] }];
        process.stdout.write(rest[0] === 'bash' ? bashCompletion(commandTree(), shapes) : zshCompletion(commandTree(), shapes));
        return;
      }
      const { runCli } = await import('../cli/run.js');
      process.exit(await runCli(argv));
    }
    case 'help': {
      if (rest.length === 0) {
        process.stdout.write(await usage());
        return;
      }
      const { commandTree } = await import('../cli/index.js');
      const argv = helpArgv(rest, commandTree());
      if (!argv) {
        process.stderr.write(`everynode: unknown command ${JSON.stringify(rest[0])} (run "everynode help" for the list)\n`);
        process.exit(1);
      }
      return main(argv);
    }
    default: {
      // Every other verb (get, apply, rollout, ...) is a client verb of src/cli; unknown ones
      // are reported there. Loaded lazily so the lifecycle commands do not pay for it, and from
      // cli/run.ts rather than the part's index: run.ts loads only the verb's own module, where
      // the index imports every verb (start-up time of each client verb, see run.ts).
      const { runCli } = await import('../cli/run.js');
      process.exit(await runCli(argv));
    }
  }
}

// A reader that goes away (`everynode logs ... | head`) ends the command quietly, as with kubectl.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch(async (err: unknown) => {
  const [command] = process.argv.slice(2);
  const unknown = (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '([^']+)'/.exec(err instanceof Error ? err.message : '')?.[1] : undefined;
  if (unknown !== undefined && command !== undefined) {
    // As the client verbs say it: the option, the nearest known one, and where the help is.
    const near = nearestOption(unknown, usageSection(await usage(), command));
    process.stderr.write(`everynode ${command}: unknown option '${unknown}'${near ? ` (did you mean ${near}?)` : ''} (see everynode ${command} --help)\n`);
  } else {
    process.stderr.write(`everynode: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
