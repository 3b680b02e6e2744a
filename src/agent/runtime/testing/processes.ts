// What the runtime tests read of the machine's processes: /proc, by a marker in the command line.
import { readdirSync, readFileSync } from 'node:fs';
import { readProcStat } from '../proc.js';

/** Live or zombie processes whose command line contains `marker`. */
export function processesWith(marker: string): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(marker)) continue;
    const st = readProcStat(Number(name));
    if (st) out.push({ pid: st.pid, state: st.state });
  }
  return out;
}

/** The live (not zombie) ones. */
export const live = (marker: string): { pid: number; state: string }[] => processesWith(marker).filter((p) => p.state !== 'Z');

/** Polls `cond` every 25 ms; throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGKILLs every process carrying `marker` (test cleanup; those already gone are skipped). */
export function killAllWith(marker: string): void {
  for (const p of processesWith(marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
