import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the launcher, without type declarations
import { hugePagesEnv } from '../bin/huge-pages.cjs';
import { testTmp } from './support/temp.ts';

const linux = process.platform === 'linux';
const launcher = pathToFileURL(resolve('bin/huge-pages.cjs')).href;

/** Runs a script that relaunches itself as bin/stampede.cjs does; the relaunched copy runs `body`. */
function relaunching(body: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(testTmp(), 'stampede-huge-pages-'));
  const script = join(dir, 'script.mjs');
  writeFileSync(script, `import { relaunchWithHugePages } from '${launcher}';\nif (!relaunchWithHugePages()) {\n${body}\n}\n`);
  const { GLIBC_TUNABLES: _, ...rest } = process.env;
  const child = spawn(process.execPath, [script], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return { child, exit, stdout: () => stdout };
}

describe('huge pages (bin/huge-pages.cjs)', () => {
  it.runIf(linux)('asks glibc for huge pages, keeping other tunables, unless turned off or already set', () => {
    expect(hugePagesEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(hugePagesEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    const off = { STAMPEDE_HUGE_PAGES: '0' };
    expect(hugePagesEnv(off)).toBe(off);
    const already = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' };
    expect(hugePagesEnv(already)).toBe(already);
  });

  it.runIf(linux)('relaunches once with the tunable and ends with the relaunched process’s exit code', async () => {
    const run = relaunching(`console.log(process.env.GLIBC_TUNABLES, process.ppid !== 1); process.exit(3);`);
    expect(await run.exit).toEqual({ code: 3, signal: null });
    expect(run.stdout().trim()).toBe('glibc.malloc.hugetlb=1 true');
  });

  it.runIf(linux)('passes each signal on exactly once', async () => {
    const run = relaunching(`
      let signals = 0;
      process.on('SIGTERM', () => { signals++; setTimeout(() => { console.log('signals', signals); process.exit(0); }, 300); });
      console.log('ready');
      setInterval(() => {}, 1000);`);
    await new Promise<void>((ready) => run.child.stdout.on('data', (chunk) => String(chunk).includes('ready') && ready()));
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain('signals 1');
  });

  it('is not used when turned off', async () => {
    const run = relaunching(`console.log(String(process.env.GLIBC_TUNABLES));`, { STAMPEDE_HUGE_PAGES: '0' });
    expect((await run.exit).code).toBe(0);
    expect(run.stdout().trim()).toBe('undefined');
  });
});
