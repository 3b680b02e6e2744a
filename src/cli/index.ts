// Public API of the CLI part: the everynode CLI's client verbs (kubectl's names and flags where
// they exist), over the Kubernetes API with a kubeconfig.
//
// runCli(argv, io) -> exit code is run.ts's (its contracts are stated there): it loads only the
// module of the verb being run, which is why the binary imports run.ts itself. This module also
// builds the whole command tree synchronously (buildProgram, commandTree: the binary's help and
// the tests), so it imports every verb module; run.ts's verbModules lists the same modules in
// the same order for the runs that need the whole tree (lazy-verbs.test.ts keeps the two equal).

import type { Command } from 'commander';
import { registerApply } from './commands/apply.js';
import { CliContext } from './commands/common.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerReplace } from './commands/replace.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerLabel } from './commands/label.js';
import { registerLogs } from './commands/logs.js';
import { registerMisc } from './commands/misc.js';
import { registerComplete } from './commands/complete.js';
import { registerNode } from './commands/node.js';
import { registerDrain } from './commands/drain.js';
import { registerTop } from './commands/top.js';
import { registerRollout } from './commands/rollout.js';
import { registerSet } from './commands/set.js';
import { registerPatch } from './commands/patch.js';
import { registerEdit } from './commands/edit.js';
import { registerEvents } from './commands/events.js';
import { assembleProgram } from './run.js';
import { defaultIO } from './io.js';

export type { CliIO } from './io.js';
export { normalizeArgs, runCli } from './run.js';
export { daemonSetRolloutStatus, type RolloutState } from './commands/rollout.js';
export { executeTemplate } from './jsonpath.js';
export { findResource, resourcesFromLists, type ResourceInfo } from './discovery.js';

/** Builds the whole command tree; `ctx` receives the I/O and connection of one run. */
export function buildProgram(ctx: CliContext): Command {
  return assembleProgram(ctx, [
    registerGet,
    registerDescribe,
    registerApply,
    registerCreate,
    registerDelete,
    registerReplace,
    registerLogs,
    registerLabel,
    registerNode,
    registerDrain,
    registerTop,
    registerRollout,
    registerSet,
    registerPatch,
    registerEdit,
    registerEvents,
    registerMisc,
    registerComplete,
  ]);
}

/** The command tree alone (for the binary's help), with the process's I/O. */
export function commandTree(): Command {
  return buildProgram(new CliContext(defaultIO()));
}
