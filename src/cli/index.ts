// The everynode CLI's client verbs (kubectl's names and flags where they exist), over the
// Kubernetes API with a kubeconfig. Public API: runCli(argv, io) -> exit code.
//
// Contracts: every failure ends as ONE line on stderr (`Error from server (Reason): message`
// for API errors, `error: ...` otherwise) and exit code 1; `--help` on any command exits 0;
// usage errors exit 1. runCli never calls process.exit and closes its connections.

import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.js';
import { CliContext } from './commands/common.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerLabel } from './commands/label.js';
import { registerLogs } from './commands/logs.js';
import { clientVersion, registerMisc } from './commands/misc.js';
import { registerNode } from './commands/node.js';
import { registerTop } from './commands/top.js';
import { registerRollout } from './commands/rollout.js';
import { formatError } from './context.js';
import { type CliIO, defaultIO, paint } from './io.js';

export type { CliIO } from './io.js';
export { daemonSetRolloutStatus, type RolloutState } from './commands/rollout.js';
export { executeTemplate } from './jsonpath.js';
export { findResource, resourcesFromLists, type ResourceInfo } from './discovery.js';

const lifecycleHelp = `
Cluster lifecycle (same binary, see "everynode help"): server, agent, up, hollow-nodes.

Connection: --kubeconfig, else $KUBECONFIG, else ./.everynode/kubeconfig.yaml.
`;

/** Builds the command tree; `ctx` receives the I/O and connection of one run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('everynode');
  program
    .description('everynode: run DaemonSets on every node, over the Kubernetes API')
    .version(clientVersion(), '--version', 'print the client version')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ./.everynode/kubeconfig.yaml)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace (default: the context\'s, else "default")')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      outputError: (s, write) => write(paint(ctx.io, 'red', s)),
    })
    .addHelpText('after', lifecycleHelp);
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerApply(program, ctx);
  registerDelete(program, ctx);
  registerLogs(program, ctx);
  registerLabel(program, ctx);
  registerNode(program, ctx);
  registerTop(program, ctx);
  registerRollout(program, ctx);
  registerMisc(program, ctx);
  return program;
}

/** Boolean flags kubectl users write as `--flag=false` (commander only knows `--flag`/`--no-flag`). */
const negatable = new Set(['wait', 'watch']);
const booleanFlags = new Set(['overwrite', 'ignore-not-found', 'all-namespaces', 'show-labels', 'follow', 'previous', 'timestamps', 'all-containers', 'prefix', 'raw', 'client', 'nodes', 'all', ...negatable]);

/** `--wait=false` -> `--no-wait`, `--overwrite=true` -> `--overwrite`, `--overwrite=false` -> dropped. */
export function normalizeBooleanFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m = /^--([a-z-]+)=(true|false)$/.exec(a);
    if (!m || !booleanFlags.has(m[1]!)) out.push(a);
    else if (m[2] === 'true') out.push(`--${m[1]!}`);
    else if (negatable.has(m[1]!)) out.push(`--no-${m[1]!}`);
  }
  return out;
}

/** Runs one CLI invocation (`argv` without node and script) and resolves with its exit code. */
export async function runCli(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(normalizeBooleanFlags(argv), { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 1;
    }
    io.stderr.write(paint(io, 'red', formatError(e)) + '\n');
    return 1;
  } finally {
    ctx.close();
  }
}
