// Worker threads started from the sources (the tests, sim/engine/typescript-worker.ts) run the
// build of those very sources when there is one (the suite builds it first), the same code
// compiled, instead of registering tsx in each thread; through tsx when there is none (an edited
// tree, STAMPEDE_TSX=1) and for modules the build does not hold (the tests' own).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../sim/engine/typescript-worker.ts';

const ROOT = join(import.meta.dirname, '..');
const currentBuild = () => execFileSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.cjs').then((m) => console.log(String(m.compiledDir())))"], { cwd: ROOT, encoding: 'utf8' }).trim();
const source = (path: string) => pathToFileURL(join(ROOT, path));
const TSX_ENTRY = source('sim/engine/typescript-worker.mjs').href;

describe('a worker thread started from the sources', () => {
  it('runs the build of these sources when there is one', () => {
    const build = currentBuild();
    const batch = source('sim/batch/worker.ts');
    const entry = workerEntry(batch);
    if (build === 'null') {
      expect(entry).toEqual({ url: new URL(TSX_ENTRY), argv: [batch.href] });
    } else {
      expect(entry).toEqual({ url: pathToFileURL(join(build, 'sim', 'batch', 'worker.js')), argv: [] });
      expect(existsSync(fileURLToPath(entry.url))).toBe(true);
    }
  });

  it('registers tsx for a module the build does not hold, and for every module when STAMPEDE_TSX=1', () => {
    const own = source('test/support/temp.ts');
    expect(workerEntry(own)).toEqual({ url: new URL(TSX_ENTRY), argv: [own.href] });
    const program = `const { workerEntry } = await import(${JSON.stringify(source('sim/engine/typescript-worker.ts').href)});
      const { url, argv } = workerEntry(new URL(${JSON.stringify(source('sim/model/retry-worker.ts').href)}));
      console.log(JSON.stringify({ url: url.href, argv }));`;
    const forced = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STAMPEDE_TSX: '1' } }));
    expect(forced).toEqual({ url: TSX_ENTRY, argv: [source('sim/model/retry-worker.ts').href] });
  });
});
