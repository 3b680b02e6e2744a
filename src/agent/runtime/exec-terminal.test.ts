// `execStream` with a terminal (io.tty) on the ProcessRuntime, with real processes: under
// util-linux script(1) where the host has it (skipped otherwise), on pipes with terminals off.
// terminal.ts's quoting is checked against a real sh.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecIO } from './interface.js';
import { ProcessRuntime } from './process-runtime.js';
import { readProcStat } from './proc.js';
import { detectTerminalTools, parseTerminalReport, shellQuote, terminalScript, type TerminalTools } from './terminal.js';
import { pidsWith } from '../../../test/helpers/process.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) await f();
});

const tools = detectTerminalTools(process.env.PATH ?? '');
const sleepBin = execFileSync('sh', ['-c', 'command -v sleep']).toString().trim();

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A running container (`sleep`) on a runtime with `terminalProgram`. */
async function container(terminalTools?: TerminalTools | false, env: { name: string; value: string }[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-exec-tty-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), ...(terminalTools !== undefined ? { terminalTools } : {}) });
  const marker = `everynode-tty-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => {
    for (const pid of pidsWith(marker)) process.kill(pid, 'SIGKILL');
  });
  const sandbox = { uid: 'uid-1', name: 'p', namespace: 'default', logDirectory: join(dir, 'logs') };
  const sandboxId = await rt.runPodSandbox(sandbox);
  const info = await rt.startContainer(sandboxId, sandbox, {
    name: 'c',
    attempt: 0,
    image: 'sh',
    command: ['/bin/sh', '-c', `${sleepBin} 1000 # ${marker}`], // absolute: some tests empty the PATH
    args: [],
    env: [{ name: 'SHELL', value: '/bin/custom-shell' }, ...env],
    workingDir: dir,
    logPath: 'c/0.log',
    labels: { 'io.kubernetes.pod.uid': 'uid-1' },
  });
  cleanups.push(() => rt.stopContainer(info.id, 0));
  return { rt, id: info.id, marker, dir };
}

/** An ExecIO collecting output, with a stdin the test writes to. */
function io(tty: ExecIO['tty'], withStdin = true) {
  let out = '';
  let err = '';
  let terminal: boolean | undefined;
  const chunks: Buffer[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  async function* stdin(): AsyncGenerator<Buffer> {
    for (;;) {
      const c = chunks.shift();
      if (c) yield c;
      else if (ended) return;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  const abort = new AbortController();
  const value: ExecIO = {
    ...(withStdin ? { stdin: stdin() } : {}),
    stdout: new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) }),
    stderr: new Writable({ write: (c: Buffer, _e, done) => ((err += c.toString()), done()) }),
    signal: abort.signal,
    ...(tty ? { tty } : {}),
    started: (i) => (terminal = i.terminal),
  };
  return {
    value,
    abort,
    type: (s: string) => {
      chunks.push(Buffer.from(s));
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
    out: () => out,
    err: () => err,
    terminal: () => terminal,
  };
}

describe('terminal.ts', () => {
  it('quotes argv so that sh sees the same words', () => {
    const args = ["it's", 'a  b', '$HOME', '`id`', '"q"', 'back\\slash', '*', '', 'new\nline', "''"];
    const out = execFileSync('sh', ['-c', `printf '<%s>' ${args.map(shellQuote).join(' ')}`]).toString();
    expect(out).toBe(args.map((a) => `<${a}>`).join(''));
  });

  it('builds the wrapper: size first, then the report, SHELL back, exec of the quoted command', () => {
    const bin = { stty: '/bin/stty', tty: '/usr/bin/tty' };
    expect(terminalScript(bin, ['vi', "a b'c"], { cols: 80, rows: 24 }, '/bin/zsh')).toBe(
      `'/bin/stty' cols 80 rows 24 2>/dev/null; printf '%s %s\\n' "$$" "$('/usr/bin/tty')" >&3; exec 3>&-; SHELL='/bin/zsh'; export SHELL; exec 'vi' 'a b'\\''c'`,
    );
    expect(terminalScript(bin, ['top'], undefined, undefined)).toBe(`printf '%s %s\\n' "$$" "$('/usr/bin/tty')" >&3; exec 3>&-; exec 'top'`);
  });

  it('reads the wrapper report', () => {
    expect(parseTerminalReport('1234 /dev/pts/3\n')).toEqual({ sid: 1234, slave: '/dev/pts/3' });
    expect(parseTerminalReport('1234 not a tty')).toEqual({ sid: 1234 });
    expect(parseTerminalReport('1234 ')).toEqual({ sid: 1234 });
    expect(parseTerminalReport('garbage')).toBeUndefined();
  });
});

describe.skipIf(!tools)('ProcessRuntime.execStream on a pseudo-terminal (util-linux script)', () => {
  it('runs on a pty of the given size, in the container env with TERM and SHELL, and returns the exit code', async () => {
    const { rt, id, dir } = await container();
    expect(rt.terminalTools).toEqual(tools);
    const x = io({ size: { cols: 91, rows: 27 } }, false);
    const r = await rt.execStream(id, ['sh', '-c', 'stty size; tty >/dev/null && echo tty; echo "$TERM $SHELL $(pwd)"; echo err >&2; exit 5'], x.value);
    expect(r.exitCode).toBe(5);
    expect(x.terminal()).toBe(true);
    expect(x.out()).toBe(`27 91\r\ntty\r\nxterm /bin/custom-shell ${dir}\r\nerr\r\n`);
    expect(x.err()).toBe('');
  });

  it('sizes the terminal and reports its slave with the node\'s stty and tty, whatever the container\'s PATH', async () => {
    const { rt, id } = await container(undefined, [{ name: 'PATH', value: '/nonexistent' }]);
    let resize: ((s: { cols: number; rows: number }) => void) | undefined;
    const x = io({ size: { cols: 70, rows: 20 }, onResize: (l) => (resize = l) });
    const stty = tools!.stty;
    const done = rt.execStream(id, ['/bin/sh', '-c', `${stty} size; read line; until [ "$(${stty} size)" = "21 71" ]; do ${sleepBin} 0.05; done; ${stty} size`], x.value);
    await until(() => x.out().includes('20 70\r\n'));
    resize!({ cols: 71, rows: 21 }); // applied from outside: needs the slave from the report
    x.type('\r');
    expect((await done).exitCode).toBe(0);
    expect(x.out()).toBe('20 70\r\n\r\n21 71\r\n');
  });

  it('types stdin into the terminal (echo, Ctrl-C to the foreground job), applies later sizes, and ends on EOF', async () => {
    const { rt, id } = await container();
    let resize: ((s: { cols: number; rows: number }) => void) | undefined;
    const x = io({ size: { cols: 80, rows: 24 }, onResize: (l) => (resize = l) });
    const done = rt.execStream(id, ['env', 'PS1=$ ', 'sh', '-i'], x.value);
    await until(() => x.out().endsWith('$ '));
    x.type('sleep 30\r');
    await until(() => x.out().includes('sleep 30\r\n'));
    await new Promise((r) => setTimeout(r, 200));
    x.type('\x03');
    await until(() => /\^C\r\n\$ $/.test(x.out()), 2_000);
    resize!({ cols: 132, rows: 43 });
    x.type('until [ "$(stty size)" = "43 132" ]; do sleep 0.05; done; stty size\r');
    await until(() => x.out().includes('\r\n43 132\r\n'));
    x.end(); // script types the EOF character: the shell exits
    expect((await done).exitCode).toBe(0);
  });

  it('killing the exec (abort) takes the whole session, jobs in other process groups included', async () => {
    const { rt, id } = await container();
    const x = io({ size: { cols: 80, rows: 24 } });
    const tag = `${800_000}.${parseInt(randomBytes(3).toString('hex'), 16)}`;
    cleanups.push(() => {
      for (const pid of pidsWith(tag)) process.kill(pid, 'SIGKILL');
    });
    const done = rt.execStream(id, ['sh', '-i'], x.value);
    x.type(`(trap "" HUP; exec sleep ${tag}) & sleep ${tag}\r`);
    await until(() => pidsWith(tag).length === 2);
    const groups = new Set(pidsWith(tag).map((pid) => readProcStat(pid)!.pgrp));
    expect(groups.size).toBe(2);
    x.abort.abort();
    expect((await done).exitCode).toBe(137);
    await until(() => pidsWith(tag).length === 0, 5_000);
  });
});

describe('ProcessRuntime.execStream with terminals off (no script)', () => {
  it('a command word starting with "-" is not an option of the wrapper: it runs on pipes, not found as without a terminal', async () => {
    const { rt, id } = await container();
    const x = io({ size: { cols: 80, rows: 24 } }, false);
    const r = await rt.execStream(id, ['-c', 'echo', 'injected-option'], x.value);
    expect(x.terminal()).toBe(false);
    expect(x.out()).not.toContain('injected-option');
    expect(r.exitCode).not.toBe(0);
  });

  it('a command that is not there: runc\'s words on stderr and exit code 126, as a container\'s StartError says it', async () => {
    const { rt, id } = await container(false);
    const x = io(undefined, false);
    const r = await rt.execStream(id, ['no-such-command-here', 'x'], x.value);
    expect(r.exitCode).toBe(126);
    expect(x.err()).toBe('exec: "no-such-command-here": executable file not found in $PATH\n');
    const y = io(undefined, false);
    expect((await rt.execStream(id, ['./missing/tool'], y.value)).exitCode).toBe(126);
    expect(y.err()).toMatch(/^exec: "\.\/missing\/tool": stat .*missing\/tool: no such file or directory\n$/);
  });

  it('runs a tty exec on pipes and says so', async () => {
    const { rt, id } = await container(false);
    expect(rt.terminalTools).toBeUndefined();
    const x = io({ size: { cols: 91, rows: 27 } }, false);
    const r = await rt.execStream(id, ['sh', '-c', 'tty >/dev/null || echo no-tty; echo err >&2'], x.value);
    expect(r.exitCode).toBe(0);
    expect(x.terminal()).toBe(false);
    expect(x.out()).toBe('no-tty\n');
    expect(x.err()).toBe('err\n');
  });
});
