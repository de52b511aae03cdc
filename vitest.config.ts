import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The test workers and the processes the tests start (the command line, live mode's services) do not
// read NODE_EXTRA_CA_CERTS's certificates as they start, as stampede's own processes do not
// (bin/extra-ca-certs.cjs): no test opens a TLS connection, and where the variable is set that
// is ~48 ms of each start. Moved aside here, before vitest starts a worker.
createRequire(import.meta.url)('./bin/extra-ca-certs.cjs').setAsideExtraCaCerts();

/**
 * Files that mostly wait rather than compute: test/live.test.ts runs a real deployment in real
 * time (~50 s, its processes using a fraction of a core). They start first, on a worker of their
 * own (maxWorkers is two more than the cores), so the two cores keep running the other files
 * meanwhile instead of one of them waiting with live mode. Then the longest files, longest first
 * (measured in the suite, docs/ARCHITECTURE.md "The test suite"): vitest orders by its record of
 * earlier runs (node_modules/.vite/vitest), but a fresh clone has none and it falls back to the
 * largest files first, which started the longest file, a short one, last (128 s against 117–120 s).
 * After them, vitest's own order.
 */
const WAITING = ['test/live.test.ts'];
const LONGEST = ['test/scenarios-e2e.test.ts', 'test/live-exec.test.ts', 'test/explore.test.ts', 'test/build.test.ts', 'test/validation.test.ts', 'test/retry-threads.test.ts', 'test/cli.test.ts', 'test/report-browser.test.ts'];

class WaitingThenLongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = [...WAITING, ...LONGEST];
    const rank = (spec: TestSpecification) => {
      const index = first.findIndex((name) => spec.moduleId.replaceAll('\\', '/').endsWith(`/${name}`));
      return index === -1 ? first.length : index;
    };
    // A stable sort: the others keep vitest's order.
    return sorted.map((spec, order) => ({ spec, order })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order).map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compiled copy that bin/stampede.cjs runs, built first (test/support/build.ts).
    globalSetup: ['test/support/build.ts'],
    // The cores, a worker for the file that mostly waits (WAITING above), and one more for the files
    // that wait on child processes (a browser, live mode in real time, the CLI): vitest's default on
    // 2 cores is one worker. On 2 cores, 4 workers: 119.7 and 123.0 s against 125.5 and 128.8 s with
    // 3, alternating (docs/ARCHITECTURE.md, "The test suite"). At most 8: each holds vega and a model.
    maxWorkers: Math.min(availableParallelism() + 2, 8),
    // A worker's test files share its loaded modules (vega, the simulation, tsx's transforms) instead
    // of importing them again for each file: 253 → 218 s of CPU and 139 → 121 s of wall on 2 cores
    // (docs/ARCHITECTURE.md, "The test suite"). No test relies on a fresh module: none mocks a module
    // or changes the process's cwd or environment, and spies are restored where they are made.
    isolate: false,
    // V8's young generation up to 128 MB a semi-space (16 MB by default): vega's chart rendering and
    // the simulations make short-lived garbage by the gigabyte, and a larger nursery scavenges it
    // less often. 245–272 → 219–228 s of CPU for the suite, the same tests (docs/ARCHITECTURE.md,
    // "The test suite"). Only the workers: the processes the tests start run as users run them.
    execArgv: ['--max-semi-space-size=128'],
    sequence: { sequencer: WaitingThenLongestFirst },
    // Simulation tests run real (reduced) scenarios; a loaded 2-core CI box needs slack.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
