// Issue 18, item 10: the small ones. An early signal says what happened;
// merge takes --quiet; a symbolic-link loop cannot multiply a gate's files;
// duplicate manager ids and names too long for a directory fail validate.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGlobs } from '../sim/cli/gate.ts';
import { cli, tempDir } from './support/cli.ts';

describe('an early signal', () => {
  /** `stampede run` on the lookup outage, SIGINT after `delay` ms: how it ended and what it said. */
  async function interruptAfter(delay: number, options: { out?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {}) {
    const out = options.out ?? join(tempDir(), 'out');
    const child = spawn(process.execPath, ['bin/stampede.cjs', 'run', 'scenarios/lookup-outage.yaml', '--out', out, ...(options.args ?? [])], {
      env: { ...process.env, STAMPEDE_HUGE_PAGES: '0', ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    try {
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGINT');
      return { ...(await exited), stderr };
    } finally {
      child.kill('SIGKILL');
    }
  }

  it.runIf(process.platform !== 'win32')('while the modules load: a message and exit 130, not a silent death', async () => {
    // The window is the time node takes to load the modules: through tsx (STAMPEDE_TSX=1, as an
    // edited tree runs) about a second, from the compiled copy's cached scripts a few milliseconds of
    // asynchronous loading (the rest is synchronous: a signal then is answered by the run, below).
    // Too early (before node ran a line of bin/stampede.cjs) the default action kills it; after it,
    // the run's own handler answers. So the delays are tried from short to long, finely enough that
    // one lands in the window; what is tested is the answer inside it.
    for (let delay = 100; delay <= 3000; delay += 50) {
      const r = await interruptAfter(delay, { env: { STAMPEDE_TSX: '1' } });
      if (r.stderr.includes('stopped; nothing was written')) {
        expect(r.code).toBe(130);
        expect(r.stderr.trim()).toBe('stampede: SIGINT: stopped; nothing was written');
        return;
      }
    }
    throw new Error('never hit the module-loading window');
  });

  it.runIf(process.platform !== 'win32')('is never dropped, nor fatal once the run holds its output directory: the handlers hand over with no gap', async () => {
    // From bin/stampede.cjs's first lines to the run's end a signal is answered, by the early handler
    // or the run's: exit 130. A gap between them would end the process by the default action after
    // it took the output directory's lock (left behind), or drop a signal caught by the early handler
    // but not yet answered when it went (the run then goes on to its end, exit 0). A delay may still
    // land before node ran bin/stampede.cjs (its start time varies): the default action, no lock.
    for (let delay = 48; delay <= 208; delay += 16) {
      const out = join(tempDir(), 'gap');
      const r = await interruptAfter(delay, { out, args: ['--set', 'population.clients=200000'] });
      expect(r.code === 130 || (r.code === null && r.signal === 'SIGINT'), `${delay} ms: ${JSON.stringify(r)}`).toBe(true);
      expect(existsSync(join(out, '.stampede.lock')), `a lock left at ${delay} ms`).toBe(false);
    }
  });
});

describe('small ones', () => {
  it('merge accepts --quiet', async () => {
    const r = await cli('merge', join(tempDir(), 'none'), '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('Unknown argument');
    expect(r.stderr).toContain('no such shard file or directory');
  });

  it('a symbolic-link loop under ** gives each file once', () => {
    const dir = tempDir();
    copyFileSync('scenarios/lookup-outage.yaml', join(dir, 'a.yaml'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'loop'));
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'sub', 'b.yaml'));
    expect(expandGlobs([`${dir}/**/*.yaml`])).toEqual([join(dir, 'a.yaml')]);
    expect(expandGlobs([join(dir, 'a.yaml'), join(dir, 'sub', 'loop', 'a.yaml')])).toEqual([join(dir, 'a.yaml')]);
  });

  it('validate refuses a manager listed twice and a name too long to be a directory, as run would', async () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, `name: ${'a'.repeat(300)}\nduration: 30m\nfaults: [{kind: manager-crash, at: 1m, managers: [0, 0]}]\n`);
    const r = await cli('validate', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${file}:1:7: name: expected at most 200 characters (bytes in UTF-8), found 300: the name becomes a directory name under reports/`);
    expect(r.stdout).toContain(`${file}:3:54: faults[0].managers[1]: manager 0 is listed twice`);
  });

  it('progress and timing lines stay off stderr when it is not a terminal (README), results stay on stdout', async () => {
    expect(process.stderr.isTTY).not.toBe(true);
    const file = join(tempDir(), 'gated.yaml');
    writeFileSync(file, 'name: gated\nduration: 3m\npopulation: {clients: 2000}\nlookup: {instances: 2}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\nassert: [recovery.full <= 3m]\n');
    const capacity = await cli('capacity', file, '--vary', 'lookups', '--workers', '1');
    expect(capacity.code, capacity.stderr).toBe(0);
    expect(capacity.stderr).toBe('');
    expect(capacity.stdout).toMatch(/^ +1\. +2 +(pass|fail)/m);
    const batch = await cli('run', file, '--replications', '2', '--workers', '1', '--out', join(tempDir(), 'out'));
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stderr).toBe('');
  });
});

describe('npm run bench', () => {
  it('answers --help with its options, and refuses an unknown option with exit 2 before it runs anything', () => {
    const bench = (...args: string[]) => spawnSync(process.execPath, ['bin/bench.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });
    const help = bench('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run bench/);
    for (const option of ['--quick', '--runs=N', '--large', '--huge', '--startup', '--startup-runs=N', '--startup-against=DIR', '--live']) expect(help.stdout).toContain(option);
    const wrong = bench('--startup', '--larg');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^bench: unknown option --larg\n/);
    expect(wrong.stdout).toBe('');
  });
});
