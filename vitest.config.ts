import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Simulation tests run real (reduced) scenarios; a loaded 2-core CI box needs slack.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
