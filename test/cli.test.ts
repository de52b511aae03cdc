// The `stampede` command as a user runs it: exit codes, files written, output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import yargs, { type Argv } from 'yargs';
import { withoutHelpCache } from '../sim/cli/main.ts';
import { testTmp } from './support/temp.ts';
import { cli } from './support/cli.ts';

function stampede(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/stampede.cjs', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("yargs' help cache", () => {
  // yargs renders the whole help each time a command starts, in case the command asks for it; main()
  // turns that off through yargs' internal methods, which a yargs upgrade could move.
  it('is what yargs fills when a command starts, and main() leaves it empty', () => {
    type Usage = { hasCachedHelpMessage(): boolean };
    const usage = (parser: Argv) => (parser as unknown as { getInternalMethods(): { getUsageInstance(): Usage } }).getInternalMethods().getUsageInstance();
    const parser = () => yargs(['run']).command('run', 'Run', (y) => y, () => {}).exitProcess(false);
    const plain = parser();
    plain.parse();
    expect(usage(plain).hasCachedHelpMessage()).toBe(true);
    const ours = parser();
    withoutHelpCache(ours);
    ours.parse();
    expect(usage(ours).hasCachedHelpMessage()).toBe(false);
  });
});

describe('help pages', () => {
  // A character beyond printable ASCII makes string-width measure the page by its graphemes, and its
  // first Intl.Segmenter loads ICU's break data: ~10 ms of a --help that takes ~65 ms
  // (docs/ARCHITECTURE.md, "Start-up", twenty-first session).
  /** `main(args)` in this process, with what it prints (yargs prints a help page through console.log). */
  async function page(...args: string[]): Promise<{ code: number; text: string }> {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
    try {
      const r = await cli(...args);
      return { code: r.code, text: printed.join('\n') + r.stdout };
    } finally {
      log.mockRestore();
    }
  }

  it('are printable ASCII, for every command the main page lists', async () => {
    const main = await page('--help');
    expect(main.code).toBe(0);
    const commands = [...main.text.matchAll(/^ {2}stampede ([a-z]+)\b/gm)].map((m) => m[1]);
    expect(commands).toEqual(expect.arrayContaining(['run', 'compare', 'sweep', 'gate', 'capacity', 'explore', 'validate', 'load', 'calibrate']));
    for (const [name, args] of [['stampede --help', ['--help']], ...commands.map((c) => [`stampede ${c} --help`, [c, '--help']] as const)] as const) {
      const { code, text } = await page(...args);
      expect(code, name).toBe(0);
      expect(text, name).toMatch(/--help/);
      expect(text.split('\n').filter((line) => /[^\x20-\x7e]/.test(line)), name).toEqual([]);
    }
  });
});

describe('stampede run', () => {
  it('writes result.json and prints the summary as JSON with --json', () => {
    const out = mkdtempSync(join(testTmp(), 'stampede-cli-'));
    const r = stampede('run', 'scenarios/lookup-outage.yaml', '--set', 'population.clients=5000', '--seed', '3', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as { seed: number; summary: { clients: number } };
    expect(printed.seed).toBe(3);
    expect(printed.summary.clients).toBe(5000);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.summary).toEqual(printed.summary);
    expect(result.scenario.population.clients).toBe(5000);
    expect(result.series.time.length).toBe(30 * 60 + 1);
  });

  it('prints a human summary by default, with the recovery figures', () => {
    const out = mkdtempSync(join(testTmp(), 'stampede-cli-'));
    const r = stampede('run', 'scenarios/lookup-outage.yaml', '--set', 'population.clients=5000', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recovery \(from the incident start\): 99 % .* all sessions \d+ s/);
    expect(r.stdout).toContain(join(out, 'result.json'));
  });

  it('writes the same result.json whatever --workers, on an outage large enough for helper threads', () => {
    const outputs = ['1', '2'].map((workers) => {
      const out = mkdtempSync(join(testTmp(), 'stampede-cli-'));
      // The outage's start, where the helpers work (docs/ARCHITECTURE.md), and three minutes of it.
      const r = stampede('run', 'scenarios/carrier-outage.yaml', '--set', 'population.clients=500000', '--set', 'duration=4m', '--set', 'assert=[]', '--workers', workers, '--out', out, '--quiet');
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(join(out, 'result.json'), 'utf8');
    });
    expect(outputs[1]).toBe(outputs[0]);
    const refused = stampede('run', 'scenarios/carrier-outage.yaml', '--workers', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--workers must be a positive integer/);
  });

  it('rejects a bad scenario with exit code 2, the file, line and field path', () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nduration: 10 minutes\n');
    const r = stampede('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:11: duration:`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('rejects an override of an unknown field with exit code 2', () => {
    const r = stampede('run', 'scenarios/lookup-outage.yaml', '--set', 'client.backof.max=1s');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--set client.backof.max=1s');
    expect(r.stderr).toContain('did you mean "backoff"');
  });

  it('answers --help and refuses unknown options with exit code 2', () => {
    const help = stampede('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--set');
    const bad = stampede('run', 'scenarios/lookup-outage.yaml', '--no-such-flag');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown argument/i);
    const none = stampede();
    expect(none.code).toBe(2);
  });

  // Loading the simulation's bundle costs --help ~10 ms of its ~0.15 s: it happened once, unnoticed,
  // by an import at the top of the command line (docs/ARCHITECTURE.md, "Start-up").
  it('answers --help from the command line alone, without loading the simulation', () => {
    const loaded = (...args: string[]) => {
      // The build (made by the suite's global setup), not the sources through tsx.
      const { STAMPEDE_TSX: _, ...env } = process.env;
      const r = spawnSync(process.execPath, ['-r', './test/support/scripts-loaded.cjs', 'bin/stampede.cjs', ...args], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(0);
      const line = /\nscripts loaded: (.*)\n/.exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      return (JSON.parse(line![1]) as string[]).map((file) => file.split(/[\\/]/).slice(-2).join('/'));
    };
    const help = loaded('--help');
    expect(help).toContain('bundle/cli.cjs');
    expect(help).not.toContain('bundle/simulation.cjs');
    // The same probe sees the simulation where a command needs it.
    expect(loaded('validate', 'scenarios/lookup-outage.yaml')).toContain('bundle/simulation.cjs');
  });

  it('prints its version with --version, the one package.json gives', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(stampede('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
