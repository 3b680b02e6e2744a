import { defineConfig } from 'vitest/config';

// Unit tests live next to the code (src/**/*.test.ts); integration and e2e tests under test/.
// Real-process tests own their ports and temp dirs, so files may run in parallel.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
