// One `everynode server` subprocess for a CLI e2e file: started before the file's tests in a
// temp dir of its own, stopped (with every CLI process still running) after them. The CLI runs
// as the built binary against its kubeconfig.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Cleanup } from '../helpers/cleanup.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { killCliChildren, runEverynode } from '../../src/cli/testing/run-binary.js';

export interface CliSuite {
  readonly cleanup: Cleanup;
  /** Set once the file's beforeAll ran. */
  readonly server: ServerProcess;
  /** The file's temp dir (the server's data dir is `data` in it). */
  readonly dir: string;
  /** The server's admin kubeconfig. */
  readonly kc: string;
  /** Runs the CLI (with the server's kubeconfig unless `opts.kubeconfig` names another). */
  cli(args: string[], opts?: { input?: string; env?: Record<string, string>; kubeconfig?: string }): ReturnType<typeof runEverynode>;
  /** Writes `text` to `name` in the temp dir; its path. */
  write(name: string, text: string): string;
}

/** Registers the hooks of the file's server (call at the top level of a test file). */
export function useCliSuite(name: string): CliSuite {
  const cleanup = new Cleanup();
  let server: ServerProcess | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = makeTempDir(cleanup, name);
    server = await startServerProcess(cleanup, { dataDir: join(dir, 'data') });
    cleanup.defer(killCliChildren, 'cli children');
  });
  afterAll(async () => {
    await cleanup.run();
  });
  const started = (): ServerProcess => {
    if (!server) throw new Error("the CLI suite's server is not started yet");
    return server;
  };
  // Methods that need no `this`: a file may destructure them.
  return {
    cleanup,
    get server() {
      return started();
    },
    get dir() {
      return dir;
    },
    get kc() {
      return started().kubeconfigPath;
    },
    cli(args, opts = {}) {
      return runEverynode(args, { kubeconfig: started().kubeconfigPath, ...opts });
    },
    write(file, text) {
      const p = join(dir, file);
      writeFileSync(p, text);
      return p;
    },
  };
}
