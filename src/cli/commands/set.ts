// `everynode set`: (being written).

import type { Command } from 'commander';
import type { CliContext } from './common.js';

export function registerSet(_program: Command, _ctx: CliContext): void {
  // registered once the verb exists
}
