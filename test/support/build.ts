// Vitest global setup: compiles the sources (bin/build.mjs, as `npm ci` does) so that the tests
// that start bin/stampede.mjs run the compiled copy users run, not the sources through tsx. A
// no-op when the build of the current sources exists; when it cannot be built, the CLI falls back
// to tsx and the tests still run, only slower.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { removeStaleReservations } from '../../live/ports.ts';

export default function setup(): () => void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
  // Vitest ends its workers with SIGTERM, so their exit handlers never give back the ports they
  // reserved (live/ports.ts): once they are gone, their reservations go too.
  return removeStaleReservations;
}
