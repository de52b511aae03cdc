import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compiled copy that bin/stampede.mjs runs, built first (test/support/build.ts).
    globalSetup: ['test/support/build.ts'],
    // Vitest's default on 2 cores is one worker; much of the suite waits on child processes.
    maxWorkers: 2,
    // Simulation tests run real (reduced) scenarios; a loaded 2-core CI box needs slack.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
