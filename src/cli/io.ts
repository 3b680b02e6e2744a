// The CLI's view of the terminal: where output goes, whether it is a TTY, the environment.
// Every command writes through a CliIO so runCli can be driven in-process or from the binary.
//
// Colour contract: ANSI colour only when the output is a TTY and NO_COLOR is unset (any value,
// even empty, disables it, per no-color.org).

import type { Readable } from 'node:stream';

export interface CliIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  stdin: Readable | NodeJS.ReadableStream;
  /** True when stdout is a terminal: live progress bars and colour are allowed. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /**
   * Subscribes to SIGINT/SIGTERM for a verb that must clean up before it ends (the rollout
   * bar restores the terminal); returns the unsubscribe function. While subscribed the signal
   * does not kill the process: the verb ends itself (exit code 130/143). Absent: no handling.
   */
  onInterrupt?: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}

export function defaultIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    onInterrupt: (handler) => {
      const onInt = (): void => handler('SIGINT');
      const onTerm = (): void => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

export function colorEnabled(io: CliIO): boolean {
  return io.isTTY && io.env['NO_COLOR'] === undefined;
}

export type Colour = 'red' | 'green' | 'yellow' | 'bold' | 'dim';
const codes: Record<Colour, [number, number]> = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] };

export function paint(io: CliIO, colour: Colour, text: string): string {
  if (!colorEnabled(io)) return text;
  const [on, off] = codes[colour];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** Reads a whole stream (stdin for `-f -`). */
export async function readStream(s: CliIO['stdin']): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer | string>) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts).toString('utf8');
}
