// The binary's help: the client verbs are listed under kubectl's groups next to the lifecycle
// commands, and `help VERB` means `VERB --help`.
import { describe, expect, it } from 'vitest';
import { commandTree } from '../cli/index.js';
import { clientVerbsHelp, fullUsage, helpArgv } from './help.js';

describe('everynode help', () => {
  const program = commandTree();

  it('lists every client verb under kubectl\'s groups', () => {
    const text = clientVerbsHelp(program);
    expect(text).toMatch(/^Basic Commands \(Beginner\):\n {2}create +Create resources/);
    expect(text).toMatch(/\nBasic Commands \(Intermediate\):\n {2}get +Display one or many resources.*\n {2}delete +/);
    expect(text).toMatch(/\nDeploy Commands:\n {2}rollout +/);
    expect(text).toMatch(/\nTroubleshooting and Debugging Commands:\n {2}describe +.*\n {2}logs +/);
    expect(text).toMatch(/\nOther Commands:\n {2}version +.*\n {2}kubeconfig +/);
    for (const c of program.commands) expect(text, c.name()).toMatch(new RegExp(`^ {2}${c.name()} `, 'm'));
    const all = fullUsage('usage: everynode <command> [options]\n\ncluster commands:\n  server ...\n', program);
    expect(all).toMatch(/^usage: everynode <command> \[options\]\n\ncluster commands:\n {2}server \.\.\.\n\nclient commands/);
    expect(all).toContain('Use "everynode help <command>"');
  });

  it('turns `help VERB [SUB]` into `VERB [SUB] --help`', () => {
    expect(helpArgv(['get'], program)).toEqual(['get', '--help']);
    expect(helpArgv(['rollout', 'status'], program)).toEqual(['rollout', 'status', '--help']);
    expect(helpArgv(['up'], program)).toEqual(['up', '--help']);
    expect(helpArgv(['hollow-nodes'], program)).toEqual(['hollow-nodes', '--help']);
    expect(helpArgv(['frobnicate'], program)).toBeUndefined();
  });
});
