// Issue 18, item 3: the relaunched process (bin/huge-pages.cjs) ends when the
// process that launched it dies, even by SIGKILL; SIGHUP stops a command like
// SIGTERM does, with exit code 129.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Interruption } from '../sim/cli/interrupt.ts';
import { main } from '../sim/cli/main.ts';
import type { RunResult } from '../sim/result.ts';
import { captured, tempDir } from './support/cli.ts';
import { testTmp } from './support/temp.ts';

const linux = process.platform === 'linux';
const launcher = pathToFileURL(resolve('bin/huge-pages.cjs')).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return condition();
}

describe('no orphaned relaunched process', () => {
  it.runIf(linux)('kill -9 of the launcher: the relaunched copy gets SIGHUP at once and ends', async () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-orphan-'));
    const marker = join(dir, 'hup');
    const script = join(dir, 'script.mjs');
    writeFileSync(script, `import { relaunchWithHugePages } from '${launcher}';
import { writeFileSync } from 'node:fs';
if (!relaunchWithHugePages()) {
  process.on('SIGHUP', () => { writeFileSync(${JSON.stringify(marker)}, 'SIGHUP'); process.exit(129); });
  console.log('child', process.pid);
  setInterval(() => {}, 1000);
}\n`);
    const { GLIBC_TUNABLES: _, STAMPEDE_HUGE_PAGES: __, ...env } = process.env;
    const parent = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const pid = await new Promise<number>((found) => parent.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /child (\d+)/.exec(out);
      if (match) found(Number(match[1]));
    }));
    try {
      expect(pid).not.toBe(parent.pid);
      parent.kill('SIGKILL');
      expect(await until(() => !alive(pid), 5000), `relaunched process ${pid} still runs`).toBe(true);
      expect(readFileSync(marker, 'utf8')).toBe('SIGHUP');
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('SIGHUP', () => {
  it('is an interruption like SIGTERM, with exit code 129', () => {
    const stream = { write: () => true } as unknown as NodeJS.WritableStream;
    const interruption = new Interruption(stream).install();
    try {
      process.emit('SIGHUP', 'SIGHUP');
      expect(interruption.signal).toBe('SIGHUP');
      expect(interruption.exitCode).toBe(129);
    } finally {
      interruption.dispose();
    }
  });

  it('stops `run`, which writes its partial result and exits 129', async () => {
    const dir = tempDir();
    const file = join(dir, 'long.yaml');
    writeFileSync(file, 'name: long\nduration: 30m\npopulation: {clients: 200000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 10m}]\n');
    const out = join(dir, 'out');
    const { value, stderr } = await captured(async () => {
      const run = main(['run', file, '--out', out, '--quiet']);
      await until(() => existsSync(join(out, '.stampede.lock')), 5000);
      await new Promise((r) => setTimeout(r, 100));
      process.emit('SIGHUP', 'SIGHUP');
      return run;
    });
    expect(value, stderr).toBe(129);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.partial!.reason).toMatch(/^interrupted by SIGHUP after/);
  });
});
