// A LIFO stack of cleanup actions. Tests create one per file (or per test), register every
// resource right after acquiring it (temp dir, server, process group, watch) and run the stack
// in afterEach/afterAll, so a failing assertion never leaves anything behind.
//
// Contract: `run()` runs every registered action once, newest first, even when some throw;
// it rethrows the first error after all actions ran. Actions registered during `run()` run too.

export type CleanupAction = () => void | Promise<void>;

export class Cleanup {
  private readonly actions: { label: string; fn: CleanupAction }[] = [];

  /** Registers `fn`; returns a function that runs it now (once) and unregisters it. */
  defer(fn: CleanupAction, label = 'cleanup'): () => Promise<void> {
    const entry = { label, fn };
    this.actions.push(entry);
    return async () => {
      const i = this.actions.indexOf(entry);
      if (i < 0) return;
      this.actions.splice(i, 1);
      await entry.fn();
    };
  }

  async run(): Promise<void> {
    let first: unknown;
    for (let entry = this.actions.pop(); entry; entry = this.actions.pop()) {
      try {
        await entry.fn();
      } catch (err) {
        first ??= new Error(`cleanup "${entry.label}" failed: ${String(err)}`, { cause: err });
      }
    }
    if (first !== undefined) throw first;
  }
}
