// The help of the `everynode` binary: the cluster lifecycle commands (server, agent, up, token,
// node, backup, restore, hollow-nodes, dashboard) with their options, then the client verbs of src/cli grouped
// as `kubectl help` groups them (a verb missing from the table lands in "Other Commands", so
// a new verb is listed without touching this file).
//
// `everynode help` / `--help` / `-h` / no arguments print it; `everynode help VERB [SUB]` is
// `everynode VERB [SUB] --help` (helpArgv), so every command's help comes from one place.
// `--help`/`-h` anywhere in a lifecycle command's arguments (before `--`) prints that command's
// part of the usage (lifecycleHelp), that sub-command's part for `token create --help`.

import type { Command } from 'commander';

/** kubectl's help groups, with the everynode verbs that belong to each. */
const groups: [title: string, verbs: string[]][] = [
  ['Basic Commands (Beginner)', ['create', 'set']],
  ['Basic Commands (Intermediate)', ['get', 'edit', 'delete']],
  ['Deploy Commands', ['rollout']],
  ['Cluster Management Commands', ['top', 'cordon', 'uncordon', 'drain', 'taint']],
  ['Troubleshooting and Debugging Commands', ['describe', 'logs', 'events']],
  ['Advanced Commands', ['apply', 'patch', 'replace']],
  ['Settings Commands', ['label', 'annotate', 'completion']],
];

/** The lifecycle commands the binary runs itself (everything else goes to the CLI). */
export const lifecycleCommands = ['server', 'agent', 'up', 'token', 'node', 'backup', 'restore', 'hollow-nodes', 'dashboard'];

/**
 * The lifecycle commands as the shell completion offers them (cli/commands/misc.ts
 * CommandShape), read from their usage `block`: each entry `  NAME [SUB] ...` with the `--flags`
 * of its lines; a lower-case word one space after the name is a sub-command (`token create`).
 */
export function lifecycleShapes(block: string): { name: string; options: string[]; subcommands: { name: string; options: string[]; subcommands: [] }[] }[] {
  const shapes = new Map<string, { name: string; options: string[]; subcommands: { name: string; options: string[]; subcommands: [] }[] }>();
  let current: { options: string[] } | undefined;
  for (const line of block.split('\n')) {
    // A sub-command follows its command after one space (`token create`); a description after several.
    const entry = /^ {2}([a-z][a-z-]*)(?: ([a-z][a-z-]*)(?= |$))?/.exec(line);
    if (entry) {
      const [, name, sub] = entry as unknown as [string, string, string | undefined];
      if (!lifecycleCommands.includes(name)) {
        current = undefined;
        continue;
      }
      const shape = shapes.get(name) ?? { name, options: ['--help'], subcommands: [] };
      shapes.set(name, shape);
      if (sub) {
        const s = { name: sub, options: ['--help'], subcommands: [] as [] };
        shape.subcommands.push(s);
        current = s;
      } else current = shape;
    }
    for (const flag of line.match(/(?<=^\s+)--[a-z][a-z0-9-]*/g) ?? []) if (current && !current.options.includes(flag)) current.options.push(flag);
  }
  return [...shapes.values()];
}

/** The client verbs of `program` under kubectl's group titles, one `  verb   description` line each. */
export function clientVerbsHelp(program: Command): string {
  const verbs = program.commands.filter((c) => c.name() !== 'help' && !c.name().startsWith('__')); // __complete is the scripts'
  const width = Math.max(...verbs.map((c) => c.name().length)) + 3;
  const line = (c: Command): string => `  ${c.name().padEnd(width)}${c.description().split('\n')[0]}\n`;
  const placed = new Set<string>();
  let out = '';
  for (const [title, names] of groups) {
    const members = names.map((n) => verbs.find((c) => c.name() === n)).filter((c): c is Command => c !== undefined);
    if (members.length === 0) continue;
    out += `${title}:\n${members.map(line).join('')}\n`;
    for (const c of members) placed.add(c.name());
  }
  const others = verbs.filter((c) => !placed.has(c.name()));
  if (others.length > 0) out += `Other Commands:\n${others.map(line).join('')}\n`;
  return out;
}

/** The whole `everynode --help` text from the lifecycle part and the CLI's command tree. */
export function fullUsage(lifecycle: string, program: Command): string {
  return `${lifecycle}
client commands (kubectl's verbs and flags; the cluster from --kubeconfig, else $KUBECONFIG,
else ./.everynode/kubeconfig.yaml):

${clientVerbsHelp(program)}Use "everynode help <command>" or "everynode <command> --help" for more about a command.
Use "everynode options" for the flags every client command takes (-s/--server, --token, --as, ...).
`;
}

/**
 * What `everynode help ARGS` runs: `[VERB, ...SUB, '--help']` for a known lifecycle command or
 * client verb, undefined for an unknown one.
 */
export function helpArgv(args: string[], program: Command): string[] | undefined {
  const [verb, ...sub] = args;
  if (verb === undefined) return undefined;
  const known = lifecycleCommands.includes(verb) || program.commands.some((c) => c.name() === verb || c.aliases().includes(verb));
  return known ? [verb, ...sub, '--help'] : undefined;
}

/** True when `args` ask for help: `--help` or `-h` before any `--`. */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * The entries of a usage block (`  token create   ...` and its deeper-indented option lines)
 * whose name starts with `name` (`token create`, or `server`); '' when none does.
 */
export function usageSection(block: string, name: string): string {
  let out = '';
  let inside = false;
  for (const line of block.split('\n')) {
    if (/^ {2}\S/.test(line)) inside = line.slice(2) === name || line.slice(2).startsWith(`${name} `);
    if (inside && line !== '') out += `${line}\n`;
  }
  return out;
}

/**
 * The help of a lifecycle command with sub-commands (`token`, `node`): the sub-command's entry
 * when `sub` names one, else every entry; `subs` lists them for the usage line.
 */
export function lifecycleHelp(command: string, subs: string[], block: string, sub: string | undefined): string {
  const known = sub !== undefined && subs.includes(sub);
  const section = known ? usageSection(block, `${command} ${sub}`) : '';
  if (known && section !== '') return `usage: everynode ${command} ${sub} [options]\n${section}`;
  return `usage: everynode ${command} ${subs.join('|')} [options]\n${block}`;
}

/** The `--option` of `text` closest to `given` (at most 2 edits away), if any. */
export function nearestOption(given: string, text: string): string | undefined {
  const options = new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []);
  let best: string | undefined;
  let bestDistance = 3;
  for (const o of options) {
    const d = editDistance(given, o);
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
