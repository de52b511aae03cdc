import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the launcher, without type declarations
import { hugePagesEnv, withPoolSize } from '../bin/huge-pages.cjs';
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
    const run = relaunching(`console.log(process.env.GLIBC_TUNABLES, process.ppid !== 1, process.execArgv.join(' ')); process.exit(3);`);
    expect(await run.exit).toEqual({ code: 3, signal: null });
    expect(run.stdout().trim()).toBe('glibc.malloc.hugetlb=1 true --v8-pool-size=0');
  });

  it("gives the relaunched Node V8's background threads one per spare core, unless a pool size was chosen", () => {
    expect(withPoolSize(['--max-old-space-size=4096'], '')).toEqual(['--v8-pool-size=0', '--max-old-space-size=4096']);
    expect(withPoolSize(['--v8-pool-size=2'], '')).toEqual(['--v8-pool-size=2']);
    expect(withPoolSize([], '--trace-warnings --v8-pool-size=3')).toEqual([]);
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

  it.runIf(linux)('started as `node bin/stampede.cjs`, the relaunched process does not read NODE_EXTRA_CA_CERTS again (bin/extra-ca-certs.cjs)', () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-certs-'));
    // Each Node process (not thread) that starts says so; each that reads the certificates warns that the file is missing.
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, 'if (require("node:worker_threads").isMainThread) process.stderr.write("node started\\n");\n');
    const { GLIBC_TUNABLES: _, STAMPEDE_HUGE_PAGES: __, STAMPEDE_NODE_EXTRA_CA_CERTS: ___, ...rest } = process.env;
    // A batch relaunches whatever its size (sim/cli/run.ts).
    const r = spawnSync(process.execPath, ['bin/stampede.cjs', 'run', 'scenarios/validation/v2-lookup-outage-churn.yaml', '--replications', '1', '--set', 'population.clients=100', '--quiet', '--out', join(dir, 'out')], {
      encoding: 'utf8',
      env: { ...rest, NODE_EXTRA_CA_CERTS: join(dir, 'missing.crt'), NODE_OPTIONS: `--require ${JSON.stringify(probe)}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.match(/^node started$/gm)).toHaveLength(2);
    expect(r.stderr.match(/Ignoring extra certs from/g)).toHaveLength(1);
  });

  describe('bin/stampede.cjs run as a command (its first lines are sh)', () => {
    /** What the launcher starts: a stand-in `node` first on the PATH prints its arguments, GLIBC_TUNABLES and the CA variables. */
    function launched(env: NodeJS.ProcessEnv) {
      const bin = mkdtempSync(join(testTmp(), 'stampede-launcher-'));
      writeFileSync(join(bin, 'node'), '#!/bin/sh\nprintf "%s\\n" "$@" "tunables: ${GLIBC_TUNABLES-unset}" "certs: ${NODE_EXTRA_CA_CERTS-unset}, set aside: ${STAMPEDE_NODE_EXTRA_CA_CERTS-unset}"\n');
      chmodSync(join(bin, 'node'), 0o755);
      const { GLIBC_TUNABLES: _, STAMPEDE_HUGE_PAGES: __, NODE_EXTRA_CA_CERTS: ___, STAMPEDE_NODE_EXTRA_CA_CERTS: ____, ...rest } = process.env;
      const r = spawnSync(resolve('bin/stampede.cjs'), ['run', 'a file.yaml', '--set', 'x=1'], { encoding: 'utf8', env: { ...rest, ...env, PATH: `${bin}:${process.env.PATH}` } });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n').filter(Boolean);
      return { args: lines.slice(0, -2), tunables: lines.at(-2), certs: lines.at(-1) };
    }

    it.runIf(linux)('starts the node on the PATH with --v8-pool-size=0 on itself, its arguments unchanged, and huge pages on', () => {
      expect(launched({})).toEqual({ args: ['--v8-pool-size=0', resolve('bin/stampede.cjs'), 'run', 'a file.yaml', '--set', 'x=1'], tunables: 'tunables: glibc.malloc.hugetlb=1', certs: 'certs: unset, set aside: unset' });
    });

    it.runIf(linux)('starts Node without NODE_EXTRA_CA_CERTS, its value set aside for the commands a user gives (bin/extra-ca-certs.cjs)', () => {
      expect(launched({ NODE_EXTRA_CA_CERTS: '/etc/a bundle.crt' }).certs).toBe('certs: unset, set aside: /etc/a bundle.crt');
      expect(launched({ NODE_EXTRA_CA_CERTS: '' }).certs).toBe('certs: unset, set aside: ');
    });

    it.runIf(linux)('keeps other tunables, and leaves huge pages off when turned off or already chosen', () => {
      expect(launched({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).tunables).toBe('tunables: glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
      expect(launched({ STAMPEDE_HUGE_PAGES: '0' }).tunables).toBe('tunables: unset');
      expect(launched({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).tunables).toBe('tunables: glibc.malloc.hugetlb=0');
    });
  });
});
