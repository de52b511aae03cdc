// The compiled copy (bin/build.mjs, bin/compiled.cjs): the CLI runs it only when it is the build
// of the sources as they are, gives the same bytes as the sources through tsx (worker threads
// included), and an edited source runs as edited, never as its old build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testTmp } from './support/temp.ts';

const ROOT = join(import.meta.dirname, '..');
const V2 = 'scenarios/validation/v2-lookup-outage-churn.yaml';

/** A copy of the tree that the build and the CLI need, sharing node_modules. */
function copyTree(): string {
  const dir = mkdtempSync(join(testTmp(), 'stampede-build-'));
  for (const path of ['bin', 'sim', 'reports/lib', 'live', 'tsconfig.json', 'tsconfig.build.json', 'package.json', V2]) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function node(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  // STAMPEDE_TSX only where a case sets it (the suite itself may run with it).
  const { STAMPEDE_TSX: _, ...inherited } = process.env;
  return execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const compiledDir = (dir: string) => node(dir, ['--input-type=module', '-e', "import('./bin/compiled.cjs').then((m) => console.log(String(m.compiledDir())))"]).trim();

/** A run with two replications on two worker threads: the main thread's code and the workers'. */
function run(dir: string, out: string, env: NodeJS.ProcessEnv = {}): string {
  node(dir, ['bin/stampede.cjs', 'run', V2, '--set', 'population.clients=2000', '--replications', '2', '--workers', '2', '--quiet', '--out', join(dir, out)], env);
  return readdirSync(join(dir, out))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => `${name}\n${readFileSync(join(dir, out, name), 'utf8')}`)
    .join('\n');
}

describe('the compiled copy', () => {
  // One copy of the tree, built once for both cases (a build is ~4 s of CPU); the stat records' case
  // runs first and leaves the sources as it found them, the other edits them.
  let dir = '';
  let unbuilt = '';
  let build = '';
  let copied = 0;
  beforeAll(() => {
    dir = copyTree();
    // A whole-second mtime, which the stat records' case can set back exactly.
    utimesSync(join(dir, 'sim', 'version.ts'), 1_700_000_000, 1_700_000_000);
    copied = Date.now();
    unbuilt = compiledDir(dir);
    node(dir, ['bin/build.mjs']);
    build = compiledDir(dir);
  });

  it('finds its build by the sources\' stat records, and an edit that keeps size and mtime still has no build', () => {
    const version = join(dir, 'sim', 'version.ts');
    expect(build).toMatch(/\/dist\/[0-9a-f]{20}$/);
    // Files changed in the last 2 s are not recorded (a later edit could share their timestamps).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, copied + 2100 - Date.now()));
    expect(compiledDir(dir)).toBe(build);
    const record = join(dir, 'dist', '.last-start');
    expect(readFileSync(record, 'utf8')).toMatch(new RegExp(`^${build.slice(-20)}\n[^]*sim/version\\.ts\0`));
    // Found through the record (a wrong hash in it would be believed: only the stat records are compared).
    expect(compiledDir(dir)).toBe(build);

    // The same size and the same mtime, other bytes: the ctime differs, so the start hashes and finds no build.
    const before = statSync(version);
    const text = readFileSync(version, 'utf8');
    const edited = text.replace(/VERSION = '([^']*)'/, (_, v: string) => `VERSION = '${'9'.repeat(v.length)}'`);
    expect(edited).not.toBe(text);
    expect(edited.length).toBe(text.length);
    writeFileSync(version, edited);
    utimesSync(version, 1_700_000_000, 1_700_000_000);
    expect(statSync(version).mtimeMs).toBe(before.mtimeMs);
    expect(compiledDir(dir)).toBe('null');
    // Back to the built bytes: the hash finds the build again.
    writeFileSync(version, text);
    expect(compiledDir(dir)).toBe(build);
  });

  it('runs only as the build of the current sources, with the bytes the sources give', () => {
    expect(unbuilt).toBe('null');
    expect(existsSync(join(build, 'sim', 'cli', 'main.js'))).toBe(true);
    // bin/stampede.cjs starts the bundle of the command line (bin/build.mjs, bundleCommands), whose
    // first start leaves V8's code cache of each of its scripts beside it (bin/script-cache.cjs).
    const scripts = ['bundle/cli.cjs', 'bundle/simulation.cjs', 'vendor/yargs.cjs', 'vendor/yaml.cjs'];
    for (const script of scripts) expect(existsSync(join(build, script)), script).toBe(true);
    // The same bytes compiled and through tsx (STAMPEDE_TSX=1), worker threads included.
    const compiled = run(dir, 'compiled');
    expect(compiled).toContain('"replications"');
    const cacheTag = execFileSync(process.execPath, ['-p', "require('node:v8').cachedDataVersionTag()"], { encoding: 'utf8' }).trim();
    for (const script of scripts) expect(existsSync(join(build, `${script}.${cacheTag}.cache`)), `${script}'s code cache`).toBe(true);
    expect(run(dir, 'cached')).toBe(compiled);
    expect(run(dir, 'tsx', { STAMPEDE_TSX: '1' })).toBe(compiled);

    // An edited source has no build: it runs as edited, through tsx.
    const version = join(dir, 'sim', 'version.ts');
    writeFileSync(version, readFileSync(version, 'utf8').replace(/VERSION = '[^']*'/, "VERSION = '9.9.9-edited'"));
    expect(compiledDir(dir)).toBe('null');
    node(dir, ['bin/stampede.cjs', 'run', V2, '--set', 'population.clients=1000', '--quiet', '--out', join(dir, 'edited')]);
    expect(JSON.parse(readFileSync(join(dir, 'edited', 'result.json'), 'utf8')).stampede.version).toBe('9.9.9-edited');
    // Built again, it runs compiled, and the first build is kept beside it.
    node(dir, ['bin/build.mjs']);
    expect(compiledDir(dir)).not.toBe('null');
    expect(compiledDir(dir)).not.toBe(build);
    expect(existsSync(join(build, '.complete'))).toBe(true);
  });
});
