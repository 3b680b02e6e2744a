// Pseudo-terminals for `kubectl exec -t`, and for containers whose spec sets `tty`, on the
// process runtime, without native code: the command runs under util-linux script(1), which opens
// a pty pair, makes the slave the controlling terminal of a new session and relays between its
// own stdio and the master. (How a container's stdio and fd 3 are arranged around it, and what
// its record keeps: process-runtime.ts.)
//
//   script -q -e -E always -c <wrapper> /dev/null
//
// - `-q` no banner; `-e` script exits with the command's code (128+N when killed by signal N);
//   `-E always` the pty echoes input (script's stdin is a pipe, not a terminal); the typescript
//   goes to /dev/null (no `-f`: flushing it would gain nothing). script's stdin bytes are written
//   to the master unchanged, so the pty's line discipline does echo, editing and signals (0x03 →
//   SIGINT to the foreground process group); when its stdin ends it types the EOF character.
// - The wrapper (one `sh -c` string, see terminalScript) runs inside the pty, in the new session
//   it leads: it sets the size with `stty cols W rows H` (a fresh pty is 0×0), reports
//   `<session id> <slave path>` on fd 3 and closes it, restores SHELL, then `exec`s the command
//   (argv quoted word by word), which keeps the session id. script runs `$SHELL -c`, so the runtime
//   starts it with SHELL removed (script falls back to /bin/sh) and the wrapper puts the
//   container's SHELL back.
// - Later sizes: `stty -F <slave> cols W rows H` from outside (TIOCSWINSZ on the slave; the
//   kernel sends SIGWINCH to the foreground process group), while script holds the master (so
//   the slave's name cannot have been reused).
// - Killing: the command's session is not script's process group, and job control moves jobs
//   into groups of their own, so the whole session (by its id from /proc) is killed with script.
//
// Needs util-linux 2.35 or later (`--echo`), stty and tty on the agent's PATH; the wrapper runs
// stty and tty by absolute path (the container's PATH may lack them). detectTerminalTools
// checks that the installed script works.

import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';

/** The node's programs a terminal exec uses, as absolute paths (the container's PATH may lack them). */
export interface TerminalTools {
  /** util-linux script(1), 2.35 or later. */
  script: string;
  /** stty(1): sets the size inside the pty, and later sizes from outside (`-F`). */
  stty: string;
  /** tty(1): names the pty slave in the wrapper's report. */
  tty: string;
}

/** `arg` as one word of a POSIX shell command line: single-quoted, with `'` as `'\''`. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `sh -c` string run inside the pty (see the file comment): set the size, report session
 * and slave on fd 3, restore SHELL (absent: left unset), exec the command.
 */
export function terminalScript(tools: Pick<TerminalTools, 'stty' | 'tty'>, command: string[], size: { cols: number; rows: number } | undefined, shell: string | undefined): string {
  const parts: string[] = [];
  // The size first: a later one (applied once the report is in) must not be overwritten by it.
  if (size) parts.push(`${shellQuote(tools.stty)} cols ${Math.trunc(size.cols)} rows ${Math.trunc(size.rows)} 2>/dev/null`);
  parts.push(`printf '%s %s\\n' "$$" "$(${shellQuote(tools.tty)})" >&3`, 'exec 3>&-');
  if (shell !== undefined) parts.push(`SHELL=${shellQuote(shell)}`, 'export SHELL');
  parts.push(`exec ${command.map(shellQuote).join(' ')}`);
  return parts.join('; ');
}

/** The arguments of script(1) that run `wrapper` on a pty (see the file comment). */
export function scriptArgs(wrapper: string): string[] {
  return ['-q', '-e', '-E', 'always', '-c', wrapper, '/dev/null'];
}

/** The wrapper's fd 3 report: the command's session id and the pty slave (absent when `tty` failed). */
export function parseTerminalReport(line: string): { sid: number; slave?: string } | undefined {
  const m = /^(\d+)(?: (.*))?$/.exec(line.trim());
  if (!m) return undefined;
  const slave = m[2] !== undefined && /^\/dev\/\S+$/.test(m[2]) ? m[2] : undefined;
  return slave ? { sid: Number(m[1]), slave } : { sid: Number(m[1]) };
}

const detected = new Map<string, TerminalTools | undefined>();

/**
 * The programs for terminal execs on `pathEnv`, or undefined when one is missing or script(1)
 * cannot run a command on a pty here: it must accept the flags above and return the command's
 * exit code (checked by running `exit 7` on a pty: an old or non-util-linux script, or a host
 * without /dev/ptmx or devpts, fails it). Runs a process the first time per `pathEnv`; the
 * answer is kept for the life of the process.
 */
export function detectTerminalTools(pathEnv: string): TerminalTools | undefined {
  if (!detected.has(pathEnv)) detected.set(pathEnv, findTools(pathEnv));
  return detected.get(pathEnv);
}

function findTools(pathEnv: string): TerminalTools | undefined {
  const script = which('script', pathEnv);
  const stty = which('stty', pathEnv);
  const tty = which('tty', pathEnv);
  if (!script || !stty || !tty) return undefined;
  const r = spawnSync(script, scriptArgs('exit 7'), { stdio: 'ignore', timeout: 5_000, env: { PATH: pathEnv } });
  return r.status === 7 ? { script, stty, tty } : undefined;
}

/** The first executable `name` on `pathEnv` (absolute directories only), or undefined. */
export function which(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(':')) {
    if (!dir.startsWith('/')) continue;
    const file = join(dir, name);
    try {
      accessSync(file, fsConstants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
