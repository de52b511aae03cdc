// The scenario reference is generated from the schema; the committed copy must match it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { scenarioReference } from '../sim/scenario/write-docs.ts';

it('docs/scenarios.md is up to date with the schema (run `npm run docs`)', () => {
  const committed = readFileSync(new URL('../docs/scenarios.md', import.meta.url), 'utf8');
  expect(committed).toBe(scenarioReference());
  // Every top-level section of the schema is documented.
  for (const field of ['population.clients', 'client.backoff.policy', 'lookup.algorithm', 'managers.healthInterval', 'faults']) {
    expect(committed).toContain(`\`${field}\``);
  }
});

/** Files a user's clone has: what git tracks, less generated and vendored ones. */
function trackedText(): { path: string; text: string }[] {
  const files = execFileSync('git', ['ls-files', 'README.md', 'docs', 'scenarios', 'sim', 'reports', 'bench', 'test', 'examples'], { encoding: 'utf8' })
    .split('\n')
    .filter((path) => /\.(md|ts|mjs|yaml|yml)$/.test(path) && path !== 'test/docs.test.ts');
  return files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

it('cites nothing outside the repository: no ../shared, no MODEL.md or validation README of the steering repo', () => {
  const outside = trackedText().flatMap(({ path, text }) =>
    text.split('\n').flatMap((line, i) => (/\.\.\/shared|shared\/(MODEL|validation)|(?<![\w/])MODEL\.md/.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(outside).toEqual([]);
});

it('every relative Markdown link in README.md and docs/ points at a file of the repository', () => {
  const broken: string[] = [];
  for (const path of ['README.md', ...readdirSync('docs').map((f) => `docs/${f}`)]) {
    if (!path.endsWith('.md')) continue;
    const text = readFileSync(path, 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(dirname(path), target))) broken.push(`${path}: ${target}`);
    }
  }
  expect(broken).toEqual([]);
});

it('the README and docs/validation.md carry the generated validation table (run `npm run validation`)', () => {
  for (const path of ['README.md', 'docs/validation.md']) {
    const text = readFileSync(path, 'utf8');
    const table = text.split('<!-- validation:begin -->\n')[1]?.split('\n<!-- validation:end -->')[0] ?? '';
    expect(table.split('\n').length, path).toBeGreaterThan(8);
    expect(table).toContain('| V1 carrier outage');
  }
  const readme = readFileSync('README.md', 'utf8');
  expect(readme.split('<!-- validation:begin -->')[1].split('<!-- validation:end -->')[0])
    .toBe(readFileSync('docs/validation.md', 'utf8').split('<!-- validation:begin -->')[1].split('<!-- validation:end -->')[0]);
  for (const tag of ['policies', 'algorithms']) {
    const table = readme.split(`<!-- ${tag}:begin -->\n`)[1]?.split(`\n<!-- ${tag}:end -->`)[0] ?? '';
    expect(table.split('\n').length, `${tag} table (run \`npm run tables\`)`).toBeGreaterThan(5);
  }
});
