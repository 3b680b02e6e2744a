// The everynode CLI's client verbs (kubectl's names and flags where they exist), over the
// Kubernetes API with a kubeconfig. Public API: runCli(argv, io) -> exit code.
//
// Contracts: every failure ends as ONE line on stderr (`Error from server (Reason): message`
// for API errors, `error: You must be logged in to the server (...)` for a 401, `error: ...`
// otherwise) and exit code 1; `--help` on any command exits 0; usage errors exit 1; a verb
// interrupted by SIGINT/SIGTERM (rollout status) cleans up and exits 130/143. runCli never
// calls process.exit and closes its connections. Options are read as kubectl's pflag reads
// them (`-o=name`, `--wait=false`, see normalizeArgs).

import { Command, CommanderError, Help, Option } from 'commander';
import { registerApply } from './commands/apply.js';
import { CliContext, invalidText } from './commands/common.js';
import { registerDelete } from './commands/delete.js';
import { registerReplace } from './commands/replace.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerLabel } from './commands/label.js';
import { registerLogs } from './commands/logs.js';
import { clientVersion, registerMisc } from './commands/misc.js';
import { registerComplete } from './commands/complete.js';
import { registerNode } from './commands/node.js';
import { registerDrain } from './commands/drain.js';
import { registerTop } from './commands/top.js';
import { registerRollout } from './commands/rollout.js';
import { registerSet } from './commands/set.js';
import { registerPatch } from './commands/patch.js';
import { registerEdit } from './commands/edit.js';
import { registerEvents } from './commands/events.js';
import { ApiError } from '../api/errors.js';
import { formatError } from './context.js';
import { loadSchema, schemaVerbs } from './schema.js';
import { type CliIO, defaultIO, paint } from './io.js';

export type { CliIO } from './io.js';
export { daemonSetRolloutStatus, type RolloutState } from './commands/rollout.js';
export { executeTemplate } from './jsonpath.js';
export { findResource, resourcesFromLists, type ResourceInfo } from './discovery.js';

const lifecycleHelp = `
Cluster lifecycle (same binary, see "everynode help"): server, agent, up, token, node, hollow-nodes, dashboard.

Connection: --kubeconfig, else $KUBECONFIG, else ./.everynode/kubeconfig.yaml.
`;

/**
 * kubectl's connection flags (see ConnectionOverrides), global like --kubeconfig: each verb
 * takes them, but only `everynode options` lists them (under each verb's help they would double
 * its length), as kubectl keeps them to `kubectl options`.
 */
function connectionFlags(): Option[] {
  return [
    new Option('-s, --server <address>', "the API server's address (over the kubeconfig's; with it, no kubeconfig is needed)"),
    new Option('--cluster <name>', "kubeconfig cluster to use (instead of the context's)"),
    new Option('--user <name>', "kubeconfig user to use (instead of the context's)"),
    new Option('--token <token>', 'bearer token for authentication to the API server'),
    new Option('--certificate-authority <path>', 'CA certificate file to verify the server with'),
    new Option('--client-certificate <path>', 'client certificate file for TLS'),
    new Option('--client-key <path>', 'client key file for TLS'),
    new Option('--insecure-skip-tls-verify', "do not check the server's certificate (insecure)"),
    new Option('--as <user>', 'act as this user (impersonation)'),
    new Option('--as-group <group>', 'act as a member of this group (repeatable; needs --as)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    new Option('--as-uid <uid>', 'act as this UID (needs --as)'),
    new Option('-v, --v <level>', 'log level: 6 and up print each request with its status and duration'),
    new Option('--warnings-as-errors', 'exit 1 when the server sent warnings'),
  ];
}

/** `everynode options`: every global flag (the connection flags among them), as `kubectl options` lists them. */
function globalOptionsText(program: Command): string {
  const flags = program.options.filter((o) => o.long !== '--version');
  const width = Math.max(...flags.map((f) => f.flags.length));
  return `The following options can be passed to any client command:\n\n${flags.map((f) => `  ${f.flags.padEnd(width)}  ${f.description}\n`).join('')}`;
}

/** Builds the command tree; `ctx` receives the I/O and connection of one run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('everynode');
  program
    .description('everynode: run DaemonSets on every node, over the Kubernetes API')
    .version(clientVersion(), '--version', 'print the client version')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ./.everynode/kubeconfig.yaml)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace (default: the context\'s, else "default")')
    .option('--request-timeout <duration>', 'give up on each server request after this long (e.g. 1s, 2m; a bare number is seconds; 0: never)', '0')
    .showHelpAfterError('(run with --help for usage)')
    // A bare `--dry-run` stands for a value (normalizeArgs); the help need not say it.
    .configureHelp({
      // -n, --kubeconfig and --context under each verb's own options, as kubectl's help points to them.
      showGlobalOptions: true,
      optionDescription(option) {
        const preset: unknown = option.presetArg;
        option.presetArg = undefined;
        try {
          return Help.prototype.optionDescription.call(this, option);
        } finally {
          option.presetArg = preset;
        }
      },
    })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      outputError: (s, write) => write(paint(ctx.io, 'red', s)),
    })
    .addHelpText('after', lifecycleHelp);
  for (const f of connectionFlags()) program.addOption(f.hideHelp());
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerApply(program, ctx);
  registerDelete(program, ctx);
  registerReplace(program, ctx);
  registerLogs(program, ctx);
  registerLabel(program, ctx);
  registerNode(program, ctx);
  registerDrain(program, ctx);
  registerTop(program, ctx);
  registerRollout(program, ctx);
  registerSet(program, ctx);
  registerPatch(program, ctx);
  registerEdit(program, ctx);
  registerEvents(program, ctx);
  registerMisc(program, ctx);
  registerComplete(program, ctx);
  program
    .command('options')
    .description('Print the flags every client command takes (connection, namespace, timeouts)')
    .action(() => ctx.out(globalOptionsText(program)));
  return program;
}


/** The option spelled `flag` (`-o`, `--output`, `--no-wait`) on `chain`, innermost command first. */
function findOption(chain: Command[], flag: string): Option | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const o = chain[i]!.options.find((x) => x.short === flag || x.long === flag);
    if (o) return o;
  }
  return undefined;
}

const takesValue = (o: Option): boolean => o.required || o.optional;

/**
 * Rewrites kubectl (pflag) spellings that commander does not read, using the options of the
 * command being parsed (a letter can mean different things: `-f` is --filename for apply and
 * --follow for logs):
 *   `-o=name`, `-n=default` (any short option with a value) -> `-o`, `name`;
 *   `--wait=false` -> `--no-wait` when that exists, `--overwrite=false` -> dropped,
 *   `--overwrite=true` / `-A=true` -> `--overwrite` / `-A`;
 *   a bare `--dry-run` (an option with an optional value and a preset) -> `--dry-run=<preset>`,
 *   so the next argument stays an argument, as pflag reads it.
 * Everything after `--` is left alone.
 */
export function normalizeArgs(argv: string[], program: Command): string[] {
  const out: string[] = [];
  const chain: Command[] = [program];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const eq = /^(-[A-Za-z]|--[a-z][a-z0-9-]*)=(.*)$/s.exec(a);
    const opt = eq ? findOption(chain, eq[1]!) : undefined;
    if (eq && opt) {
      const [, flag, value] = eq as unknown as [string, string, string];
      if (takesValue(opt)) {
        // `--output=x` commander reads itself; `-o=x` it would read as the value "=x".
        out.push(...(flag.startsWith('--') ? [a] : [flag, value]));
      } else if (value === 'true') {
        out.push(flag);
      } else if (value === 'false') {
        const long = opt.long ?? '';
        const negated = long.startsWith('--no-') ? undefined : findOption(chain, `--no-${long.slice(2)}`);
        if (negated) out.push(negated.long!);
      } else {
        out.push(a);
      }
      continue;
    }
    if (a.startsWith('--')) {
      // An option whose value is optional (pflag's NoOptDefVal: --dry-run) never
      // takes the next argument: a bare one stands for its preset value.
      const o = findOption(chain, a);
      if (o && o.optional && o.presetArg !== undefined) {
        out.push(`${a}=${String(o.presetArg)}`);
        continue;
      }
    }
    out.push(a);
    if (a.startsWith('-')) {
      // `-n NS` / `--namespace NS`: the value is not a sub-command name.
      const o = findOption(chain, a);
      if (o && o.required && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    const here = chain[chain.length - 1]!;
    const sub = here.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub) chain.push(sub);
  }
  return out;
}

/** The command tree alone (for the binary's help), with the process's I/O. */
export function commandTree(): Command {
  return buildProgram(new CliContext(defaultIO()));
}

/**
 * kubectl verbs this CLI leaves to kubectl (streams, pod-making and client-side commands): a
 * pointer, not just "unknown command".
 */
const kubectlOnlyVerbs = new Set(['exec', 'attach', 'port-forward', 'cp', 'run', 'debug', 'proxy', 'scale', 'wait', 'diff', 'explain', 'api-resources', 'api-versions', 'auth', 'cluster-info', 'config', 'expose', 'autoscale', 'certificate', 'kustomize']);

/** Global flags that take the next argument as their value (`-n NS`), before the verb. */
const globalValueFlags = new Set(['-n', '--namespace', '--kubeconfig', '--context', '--request-timeout', '-s', '--server', '--cluster', '--user', '--token', '--certificate-authority', '--client-certificate', '--client-key', '--as', '--as-group', '--as-uid', '-v', '--v']);

/** The verb of `argv`: its first argument that is neither a global flag nor a flag's value. */
function verbOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return a;
    if (globalValueFlags.has(a)) i++;
  }
  return undefined;
}

/** Runs one CLI invocation (`argv` without node and script) and resolves with its exit code. */
export async function runCli(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const first = verbOf(argv);
  if (first !== undefined && kubectlOnlyVerbs.has(first)) {
    io.stderr.write(paint(io, 'red', `error: everynode has no "${first}" command: use \`kubectl ${first}\` with the same kubeconfig (the one everynode finds, or --kubeconfig FILE)`) + '\n');
    return 1;
  }
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  try {
    if (first !== undefined && schemaVerbs.has(first)) await loadSchema();
    await program.parseAsync(normalizeArgs(argv, program), { from: 'user' });
    return ctx.finish();
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 1;
    }
    // A 422 as kubectl's CheckErr prints it (its causes), as ctx.report does for multi-item verbs.
    io.stderr.write(paint(io, 'red', e instanceof ApiError && e.reason === 'Invalid' ? invalidText(e) : formatError(e)) + '\n');
    return 1;
  } finally {
    ctx.close();
  }
}
