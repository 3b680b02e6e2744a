// A CliIO for tests: output kept in memory, no stdin, no terminal.
import { Readable } from 'node:stream';
import type { CliIO } from '../index.js';

export type MemoryIO = CliIO & { out: () => string; errOut: () => string };

export function memoryIO(env: Record<string, string | undefined> = {}): MemoryIO {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from([]),
    isTTY: false,
    env,
    out: () => out,
    errOut: () => err,
  };
}
