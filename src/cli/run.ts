// The client verbs' entry: runCli(argv, io) -> exit code, which loads the module of the verb
// being run and no other. Each `everynode get` pays its imports in start-up time, and the verb
// modules together are several times what one verb needs; so the binary imports this module,
// not index.ts (whose buildProgram builds the whole tree synchronously, importing every verb).
//
// Contracts: every failure ends as ONE line on stderr (`Error from server (Reason): message`
// for API errors, `error: You must be logged in to the server (...)` for a 401, `error: ...`
// otherwise) and exit code 1; `--help` on any command exits 0; usage errors exit 1; a verb
// interrupted by SIGINT/SIGTERM (rollout status) cleans up and exits 130/143. runCli never
// calls process.exit and closes its connections. Options are read as kubectl's pflag reads
// them (`-o=name`, `--wait=false`, see normalizeArgs). The output is the same whether one verb
// or the whole tree was registered: a run registers the whole tree whenever what it prints
// depends on the other verbs (no verb, an unknown one, help before the verb, completion).

import { Command, CommanderError, Help, Option } from 'commander';
import { CliContext, invalidText } from './commands/common.js';
import { ApiError } from '../api/errors.js';
import { everynodeVersion } from '../util/version.js';
import { formatError } from './context.js';
import { loadSchema, schemaVerbs } from './schema.js';
import { type CliIO, defaultIO, paint } from './io.js';

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

/** Adds the top-level commands of one verb module to the program (each module's register function). */
export type RegisterVerbs = (program: Command, ctx: CliContext) => void;

/** A module of client verbs: the top-level commands (names and aliases) it registers, and its loader. */
export interface VerbModule {
  readonly verbs: readonly string[];
  readonly load: () => Promise<RegisterVerbs>;
}

/**
 * Every verb module, in the order the whole tree registers them (the order of the help's
 * listing); `options` is the program's own. lazy-verbs.test.ts holds this table to the tree:
 * its verbs are the tree's top-level commands, and each module registers exactly its verbs.
 */
export const verbModules: readonly VerbModule[] = [
  { verbs: ['get'], load: async () => (await import('./commands/get.js')).registerGet },
  { verbs: ['describe'], load: async () => (await import('./commands/describe.js')).registerDescribe },
  { verbs: ['apply'], load: async () => (await import('./commands/apply.js')).registerApply },
  { verbs: ['create'], load: async () => (await import('./commands/create.js')).registerCreate },
  { verbs: ['delete'], load: async () => (await import('./commands/delete.js')).registerDelete },
  { verbs: ['replace'], load: async () => (await import('./commands/replace.js')).registerReplace },
  { verbs: ['logs'], load: async () => (await import('./commands/logs.js')).registerLogs },
  { verbs: ['label', 'annotate'], load: async () => (await import('./commands/label.js')).registerLabel },
  { verbs: ['taint', 'cordon', 'uncordon'], load: async () => (await import('./commands/node.js')).registerNode },
  { verbs: ['drain'], load: async () => (await import('./commands/drain.js')).registerDrain },
  { verbs: ['top'], load: async () => (await import('./commands/top.js')).registerTop },
  { verbs: ['rollout'], load: async () => (await import('./commands/rollout.js')).registerRollout },
  { verbs: ['set'], load: async () => (await import('./commands/set.js')).registerSet },
  { verbs: ['patch'], load: async () => (await import('./commands/patch.js')).registerPatch },
  { verbs: ['edit'], load: async () => (await import('./commands/edit.js')).registerEdit },
  { verbs: ['events'], load: async () => (await import('./commands/events.js')).registerEvents },
  { verbs: ['version', 'kubeconfig', 'completion'], load: async () => (await import('./commands/misc.js')).registerMisc },
  { verbs: ['__complete'], load: async () => (await import('./commands/complete.js')).registerComplete },
];

/** The module of each verb. */
const moduleOfVerb: ReadonlyMap<string, VerbModule> = new Map(verbModules.flatMap((m) => m.verbs.map((v) => [v, m] as const)));

/** Verbs that read the whole tree: the completion script lists it, __complete walks it. */
const wholeTreeVerbs: ReadonlySet<string> = new Set(['completion', '__complete']);

/**
 * The program with its global options, the verbs `register` adds (in that order) and the
 * `options` command; `ctx` receives the I/O and connection of one run.
 */
export function assembleProgram(ctx: CliContext, register: readonly RegisterVerbs[]): Command {
  const program = new Command('everynode');
  program
    .description('everynode: run DaemonSets on every node, over the Kubernetes API')
    .version(everynodeVersion(), '--version', 'print the client version')
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
  for (const r of register) r(program, ctx);
  program
    .command('options')
    .description('Print the flags every client command takes (connection, namespace, timeouts)')
    .action(() => ctx.out(globalOptionsText(program)));
  return program;
}

/** The register functions of every verb module, in the tree's order. */
export function loadAllVerbs(): Promise<RegisterVerbs[]> {
  return Promise.all(verbModules.map((m) => m.load()));
}

/**
 * What a run of `argv` registers: the module of its verb alone (none for `options`), or every
 * module when the output can depend on the others: no verb (the program's help), a verb that
 * is not known (commander's "unknown command" and its suggestion; `help`), -h/--help before
 * the verb (the program's help), and the verbs that read the tree.
 */
async function verbsFor(argv: string[]): Promise<RegisterVerbs[]> {
  const at = verbIndex(argv);
  const verb = at < 0 ? undefined : argv[at]!;
  const helpFirst = argv.slice(0, at < 0 ? argv.length : at).some((a) => a === '-h' || a === '--help');
  if (verb === undefined || helpFirst || wholeTreeVerbs.has(verb)) return loadAllVerbs();
  if (verb === 'options') return [];
  const m = moduleOfVerb.get(verb);
  return m ? [await m.load()] : loadAllVerbs();
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

/**
 * kubectl verbs this CLI leaves to kubectl (streams, pod-making and client-side commands): a
 * pointer, not just "unknown command".
 */
const kubectlOnlyVerbs = new Set(['exec', 'attach', 'port-forward', 'cp', 'run', 'debug', 'proxy', 'scale', 'wait', 'diff', 'explain', 'api-resources', 'api-versions', 'auth', 'cluster-info', 'config', 'expose', 'autoscale', 'certificate', 'kustomize']);

/** Global flags that take the next argument as their value (`-n NS`), before the verb. */
const globalValueFlags = new Set(['-n', '--namespace', '--kubeconfig', '--context', '--request-timeout', '-s', '--server', '--cluster', '--user', '--token', '--certificate-authority', '--client-certificate', '--client-key', '--as', '--as-group', '--as-uid', '-v', '--v']);

/** Where the verb of `argv` is (-1: none): its first argument that is neither a global flag nor a flag's value. */
function verbIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return i;
    if (globalValueFlags.has(a)) i++;
  }
  return -1;
}

/** The verb of `argv` (see verbIndex). */
function verbOf(argv: string[]): string | undefined {
  const i = verbIndex(argv);
  return i < 0 ? undefined : argv[i];
}

/** Runs one CLI invocation (`argv` without node and script) and resolves with its exit code. */
export async function runCli(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const first = verbOf(argv);
  if (first !== undefined && kubectlOnlyVerbs.has(first)) {
    io.stderr.write(paint(io, 'red', `error: everynode has no "${first}" command: use \`kubectl ${first}\` with the same kubeconfig (the one everynode finds, or --kubeconfig FILE)`) + '\n');
    return 1;
  }
  const register = await verbsFor(argv);
  const ctx = new CliContext(io);
  const program = assembleProgram(ctx, register);
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
