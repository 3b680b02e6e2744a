import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// The test workers and every process they start (servers, agents, CLI runs: about a thousand
// Node processes a run) inherit this environment. Node 20 reads NODE_EXTRA_CA_CERTS eagerly at
// start-up, ~45 ms a process with a distribution's whole CA bundle there; the tests talk only
// to loopback servers with CAs of their own, so they run without it.
delete process.env.NODE_EXTRA_CA_CERTS;

/** Unit test files that replace a module (vi.mock): each runs with a module cache of its own. */
const isolatedUnitTests = ['src/storage/encryption/key-file.test.ts'];

/**
 * Integration files that run isolated:
 * - those that run a node agent in the test process, with real containers (host processes)
 *   under it: the agent's runtime, its pods' processes and their FIFOs stay with the file that
 *   made them;
 * - etcd-api, which runs other files' suites again by importing them (a module already loaded
 *   would register no tests) with the test store's default switched to etcd for the file.
 */
const isolatedIntegrationTests = [
  'agent-events',
  'agent-node',
  'daemonset-upstream-e2e',
  'node-beta-labels',
  'node-identity-rotation',
  'node-proxy',
  'node-upstream-e2e',
  'etcd-api',
].map((f) => `test/integration/${f}.test.ts`);

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
    // files ran before it (e.g. a shared fixture's counter in names).
    // The integration tests (in-process API servers, stores, clients) share it too, on the same
    // terms, and each closes what it started: importing the API server and its parts cost each
    // file ~2 s of a loaded machine (40 of them: 96 s of imports isolated, 13 s shared). Isolated:
    // a file that mocks a module (vi.mock), the integration files of isolatedIntegrationTests,
    // and the e2e tests, which start processes of their own and import little.
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: [...configDefaults.exclude, ...isolatedUnitTests], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: [...configDefaults.exclude, ...isolatedIntegrationTests], isolate: false } },
      { extends: true, test: { name: 'isolated', include: [...isolatedUnitTests, ...isolatedIntegrationTests, 'test/e2e/**/*.test.ts', 'test/helpers/**/*.test.ts'] } },
    ],
  },
});
