// run.ts's verb table against the whole tree: a run that registers one verb module must print
// what the whole tree would, so the table may not drift from buildProgram (a verb missing, in
// another module, or out of the help's order), and a verb module may import no other verb's
// (what keeps `everynode get` from loading every verb).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliContext } from './commands/common.js';
import { buildProgram, runCli } from './index.js';
import { assembleProgram, loadAllVerbs, verbModules } from './run.js';
import { memoryIO } from './testing/memory-io.js';

/** Each top-level command's name and aliases, in the tree's order. */
const topLevel = (program: Command): string[] => program.commands.flatMap((c) => [c.name(), ...c.aliases()]);

/** The help text of every command of the tree, by its path. */
function helpTexts(program: Command, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of program.commands) {
    const path = `${prefix}${c.name()}`;
    out.set(path, c.helpInformation());
    for (const [k, v] of helpTexts(c, `${path} `)) out.set(k, v);
  }
  return out;
}

describe('the verb table (run.ts)', () => {
  it("lists the whole tree's top-level commands, in its order, and `options` is the program's own", () => {
    const whole = buildProgram(new CliContext(memoryIO()));
    expect([...verbModules.flatMap((m) => m.verbs), 'options']).toEqual(topLevel(whole));
  });

  it('has each module register exactly its verbs', async () => {
    for (const m of verbModules) {
      const program = assembleProgram(new CliContext(memoryIO()), [await m.load()]);
      expect(topLevel(program), m.verbs.join(',')).toEqual([...m.verbs, 'options']);
    }
  });

  it('builds, from its loaders, the tree buildProgram builds (the same help, command by command)', async () => {
    const whole = buildProgram(new CliContext(memoryIO()));
    const lazy = assembleProgram(new CliContext(memoryIO()), await loadAllVerbs());
    expect(lazy.helpInformation()).toBe(whole.helpInformation());
    expect(helpTexts(lazy)).toEqual(helpTexts(whole));
  });

  it('gives a verb alone the help it has in the whole tree', async () => {
    const whole = helpTexts(buildProgram(new CliContext(memoryIO())));
    for (const m of verbModules) {
      for (const [path, text] of helpTexts(assembleProgram(new CliContext(memoryIO()), [await m.load()]))) expect(text, path).toBe(whole.get(path));
    }
  });
});

describe('runs that need the whole tree', () => {
  it('suggests a verb for an unknown one and lists every verb in the help', async () => {
    const u = memoryIO();
    expect(await runCli(['gett'], u)).toBe(1);
    expect(u.errOut()).toContain("error: unknown command 'gett'\n(Did you mean get?)");
    for (const args of [['--help'], ['-n', 'x', '--help', 'get'], ['help']]) {
      const h = memoryIO();
      await runCli(args, h);
      const text = h.out() + h.errOut();
      for (const verb of verbModules.flatMap((m) => m.verbs).filter((v) => !v.startsWith('__'))) expect(text, `${args.join(' ')}: ${verb}`).toMatch(new RegExp(`^ {2}${verb}\\b`, 'm'));
    }
  });

  it('writes a completion script that knows every verb', async () => {
    const t = memoryIO();
    expect(await runCli(['completion', 'bash'], t)).toBe(0);
    const words = /^ {4}""\) words="([^"]*)"/m.exec(t.out())?.[1]?.split(' ') ?? [];
    for (const verb of verbModules.flatMap((m) => m.verbs).filter((v) => !v.startsWith('__'))) expect(words, verb).toContain(verb);
  });
});

describe('verb modules', () => {
  // The shared modules every verb may load, and the few verbs built on another's code.
  const shared = new Set(['common', 'output', 'file-targets']);
  const builtOn: Record<string, string[]> = { drain: ['node'], edit: ['patch'], replace: ['delete'], rollout: ['describe'] };

  it('import no other verb module but the ones they are built on', () => {
    const dir = fileURLToPath(new URL('./commands', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const name = file.slice(0, -'.ts'.length);
      const text = readFileSync(join(dir, file), 'utf8');
      const siblings = [...text.matchAll(/^(?:import|export)[^;]*?from '\.\/([a-z-]+)\.js';/gm)].map((m) => m[1]!);
      for (const s of siblings) expect(shared.has(s) || (builtOn[name] ?? []).includes(s), `${file} imports ./${s}.js`).toBe(true);
    }
  });
});
