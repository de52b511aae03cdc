// Where the tests' temporary files go: one directory per `npm test`, made by the global setup and
// removed with everything in it when the suite ends (test/support/build.ts), so that runs of the
// suite leave nothing behind; the system's temporary directory when a file runs without it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_TMP_VARIABLE = 'STAMPEDE_TEST_TMP';

export function testTmp(): string {
  return process.env[TEST_TMP_VARIABLE] ?? tmpdir();
}

/** A new, empty directory under testTmp(), its name starting with `prefix`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(testTmp(), prefix));
}
