#!/usr/bin/env node
// The `everynode` binary. Thin: parses arguments and calls the parts.
//   everynode server [--data-dir DIR] [--listen HOST:PORT]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../apiserver/index.js';
import { createLogger } from '../util/logger.js';

const usage = `usage: everynode <command> [options]

commands:
  server   run the API server
           --data-dir DIR       state and kubeconfig directory (default ./.everynode)
           --listen HOST:PORT   address to listen on (default 127.0.0.1:6443)
`;

async function runServer(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.everynode' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const logger = createLogger({ name: 'apiserver' });
  const server = await startServer({ dataDir: resolve(values['data-dir']), listen: values.listen, logger });
  process.stdout.write(`everynode server listening on ${server.url} (kubeconfig: ${server.kubeconfigPath})\n`);
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
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      return runServer(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`everynode: unknown command ${JSON.stringify(command)}\n${usage}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`everynode: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
