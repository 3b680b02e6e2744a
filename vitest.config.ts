import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/** Unit test files that replace a module (vi.mock): each runs with a module cache of its own. */
const isolatedUnitTests = ['src/storage/encryption/key-file.test.ts'];

// Unit tests live next to the code (src/**/*.test.ts); integration and e2e tests under test/.
// Real-process tests own their ports and temp dirs, so files may run in parallel.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time at least. Vitest's default for a run is one worker fewer than the cores,
    // which is one on a 2-core machine: every file in turn. The real-process tests mostly wait
    // (for processes, timers, fsync), so two at once on 2 cores halved the run (12.4 -> 7.0 min)
    // with no new failure.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // In CI (CI=true) a failed test is run once more, so a timing accident of real processes on a
    // loaded machine does not hide a green build; vitest still reports every retry, and a test
    // that fails twice fails the run. Locally there is no retry, so flakes show and get fixed.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default', './test/summary-reporter.ts'],
    // Shared watch objects of the in-process transport are frozen under test, so code that
    // writes to an object it received from a watch or an informer cache fails here.
    env: { EVERYNODE_FREEZE_WATCH_OBJECTS: '1' },
    // Test processes keep the contract of everynode's own processes: "__proto__" is an ordinary
    // key (src/util/proto-key.ts; Node's flag does what removeProtoAccessor does).
    execArgv: ['--disable-proto=delete'],
    // Unit tests share their worker's module cache (isolate: false): each file re-importing the
    // parts it tests cost ~0.3 s of CPU a file, 88 s -> 43 s for the unit tests alone. So module
    // state lives on from file to file in a worker: a unit test restores what it changes of the
    // process (env, TZ, umask, listeners, fake timers) and asserts nothing that depends on which
    // files ran before it (e.g. a shared fixture's counter in names). A file that mocks a module
    // (vi.mock) is isolated, as are the integration and e2e tests, which start servers, processes
    // and clients of their own.
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: [...configDefaults.exclude, ...isolatedUnitTests], isolate: false } },
      { extends: true, test: { name: 'isolated', include: [...isolatedUnitTests, 'test/**/*.test.ts'] } },
    ],
  },
});
