// Vitest global setup: compiles the sources (bin/build.mjs, as `npm ci` does) so that the tests
// that start bin/stampede.cjs run the compiled copy users run, not the sources through tsx. A
// no-op when the build of the current sources exists; when it cannot be built, the CLI falls back
// to tsx and the tests still run, only slower. It also makes the directory the tests' temporary
// files go to (test/support/temp.ts), and removes it at the end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleReservations } from '../../live/ports.ts';
import { TEST_TMP_VARIABLE } from './temp.ts';

export default function setup(): () => void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  // The workers and the processes they start inherit it.
  const testTmp = mkdtempSync(join(tmpdir(), 'stampede-tests-'));
  process.env[TEST_TMP_VARIABLE] = testTmp;
  return () => {
    // Vitest ends its workers with SIGTERM, so their exit handlers never give back the ports they
    // reserved (live/ports.ts): once they are gone, their reservations go too.
    removeStaleReservations();
    rmSync(testTmp, { recursive: true, force: true, maxRetries: 3 });
  };
}
