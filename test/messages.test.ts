// Issue 18, item 9: messages that point at the right place: a problem an
// override causes is reported at the override, flags keep what was typed,
// YAML mistakes are reported where they are.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, STACK, tempDir } from './support/cli.ts';

const S = 'scenarios/lookup-outage.yaml';

function yamlFile(text: string): string {
  const path = join(tempDir(), 'bad.yaml');
  writeFileSync(path, text);
  return path;
}

describe('overrides: reported at the --set that caused them', () => {
  it.each([
    ['duration=100000d', '--set duration=100000d: sampleInterval: a sample every 1s over 100000d makes 8640000001 samples'],
    ['duration=1m', '--set duration=1m: faults[0].at: the fault starts at 1m, which is not before the end of the run (1m)'],
    ['faults.01.at=1m', '--set faults.01.at=1m: faults[1].kind: missing required field "kind"'],
    ['faults.00.at=100h', '--set faults.00.at=100h: faults[0].at: the fault starts at 100h'],
  ])('--set %s', async (override, expected) => {
    const r = await cli('validate', S, '--set', override);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toContain(expected);
  });

  it('an alias bomb in --set is a clean exit 2 like the same in a file', async () => {
    const bomb = '[&a [x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]]';
    const r = await cli('run', S, '--set', `description=${bomb}`, '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/description: cannot read the value ".*\.\.\." as YAML: Excessive alias count/);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('flags: what was typed, and the real limit', () => {
  it.each([
    [['--seed', 'abc'], 'stampede: --seed: expected an integer, found "abc"'],
    [['--seed', '1e20'], 'stampede: --seed: expected an integer, found "1e20" (integers are exact only up to 9007199254740991)'],
    [['--seed', '-1'], 'stampede: --seed: expected an integer >= 0, found -1'],
    [['--memory-limit', '-5GB'], 'stampede: --memory-limit: expected a size such as 8GB or 512MB, or off; found "-5GB"'],
    [['--replications', '2.5'], 'stampede: --replications: expected an integer, found "2.5"'],
    [['--workers', 'x'], 'stampede: --workers: expected an integer, found "x"'],
  ])('run %j', async (flags, expected) => {
    const r = await cli('run', S, ...flags, '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(expected);
  });
});

describe('YAML mistakes: where they are', () => {
  it('an unterminated [ is reported at the bracket, not at the next line', async () => {
    const path = yamlFile('name: t\nduration: 30m\nassert: [a,\n\nseed: 3\n');
    const r = await cli('validate', path);
    expect(r.stdout.split('\n')[0]).toBe(`${path}:3:9: assert: YAML: this "[" is never closed: a flow list must end with "]" (lines after the first indented further)`);
    const map = yamlFile('name: t\nduration: 30m\nclient: {keepalive: 1m\nseed: 3\n');
    expect((await cli('validate', map)).stdout).toContain(`${map}:3:9: client: YAML: this "{" is never closed`);
  });

  it('a second document and a !!binary value: said so, exit 2', async () => {
    const docs = yamlFile('name: t\nduration: 30m\n---\nname: u\n');
    expect((await cli('validate', docs)).stdout).toBe(`${docs}:3:1: YAML: the file holds more than one YAML document (this \`---\` starts another); a scenario is one document\n`);
    const binary = yamlFile('name: t\nduration: !!binary aGVsbG8=\n');
    const r = await cli('validate', binary);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('duration: YAML: the tag !!binary is not allowed in a scenario');
  });
});
