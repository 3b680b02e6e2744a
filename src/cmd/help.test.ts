// The binary's help: the client verbs are listed under kubectl's groups next to the lifecycle
// commands, and `help VERB` means `VERB --help`.
import { describe, expect, it } from 'vitest';
import { commandTree } from '../cli/index.js';
import { existsSync } from 'node:fs';
import { everynodeBin } from '../../test/helpers/process.js';
import { runEverynode } from '../cli/testing/run-binary.js';
import { clientVerbsHelp, fullUsage, helpArgv, lifecycleHelp, nearestOption, usageSection, wantsHelp } from './help.js';
import { tokenUsage } from './token.js';

describe('everynode help', () => {
  const program = commandTree();

  it('lists every client verb under kubectl\'s groups', () => {
    const text = clientVerbsHelp(program);
    expect(text).toMatch(/^Basic Commands \(Beginner\):\n {2}create +Create resources/);
    expect(text).toMatch(/\nBasic Commands \(Intermediate\):\n {2}get +Display one or many resources.*\n( {2}edit +.*\n)? {2}delete +/);
    expect(text).toMatch(/\nDeploy Commands:\n {2}rollout +/);
    expect(text).toMatch(/\nTroubleshooting and Debugging Commands:\n {2}describe +.*\n {2}logs +/);
    expect(text).toMatch(/\nOther Commands:\n {2}version +.*\n {2}kubeconfig +/);
    // Every verb but the completion scripts' own __complete.
    for (const c of program.commands) {
      if (c.name() === '__complete') expect(text).not.toContain('__complete');
      else expect(text, c.name()).toMatch(new RegExp(`^ {2}${c.name()} `, 'm'));
    }
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

  it('finds --help and -h before `--`, and a command\'s or sub-command\'s part of the usage', () => {
    expect(wantsHelp(['create', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['create', '--', '--help'])).toBe(false);
    expect(usageSection(tokenUsage, 'token list')).toBe('  token list          the stored tokens (ids, kinds, users, expiry, expired ones marked; never the secrets)\n           --data-dir DIR       the server\'s data directory (default ./.everynode)\n');
    expect(lifecycleHelp('token', ['create', 'list'], tokenUsage, 'create')).toMatch(/^usage: everynode token create \[options\]\n {2}token create {8}print a new join token[^\n]*\n( {11}--\S+[^\n]*\n){3}$/);
    expect(lifecycleHelp('token', ['create', 'list'], tokenUsage, '--help')).toBe(`usage: everynode token create|list [options]\n${tokenUsage}`);
  });

  it.skipIf(!existsSync(everynodeBin))('the binary prints each lifecycle command\'s help (exit 0), never the whole usage', async () => {
    for (const [args, head] of [
      [['help', 'token'], 'usage: everynode token create|list|delete|rotate-admin [options]\n'],
      [['token', '--help'], 'usage: everynode token create|list|delete|rotate-admin [options]\n'],
      [['token', 'create', '-h'], 'usage: everynode token create [options]\n'],
      [['server', '--help'], 'usage: everynode server [options]\n  server   run the API server\n'],
      [['help', 'server'], 'usage: everynode server [options]\n'],
      [['node', 'revoke', '--help'], 'usage: everynode node revoke [options]\n'],
      [['up', '--nodes', '2', '--help'], 'usage: everynode up [options]\n'],
      [['help', 'rollout', 'undo'], 'Usage: everynode rollout undo [options] <target...>\n'],
    ] as const) {
      const r = await runEverynode([...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout.startsWith(head), `${args.join(' ')}: ${r.stdout.slice(0, 200)}`).toBe(true);
      expect(r.stdout, args.join(' ')).not.toContain('client commands');
    }
  });

  it('nearestOption suggests an option at most two edits away', () => {
    const text = '  agent   run a node agent\n           --name NAME   the node name\n           --node-ip IP\n           --token K10...\n';
    expect(nearestOption('--nmae', text)).toBe('--name');
    expect(nearestOption('--tokn', text)).toBe('--token');
    expect(nearestOption('--zzzzzz', text)).toBeUndefined();
  });
});
