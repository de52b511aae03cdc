// bin/script-cache.cjs: the build's scripts (the command line, yargs, yaml) run as CommonJS scripts
// through V8's code cache. A start without a cache writes one at exit; the next start uses it and
// leaves it alone; a cache V8 refuses (here: cut short) changes nothing the script does and is
// written again; a start with other V8 flags has a cache of its own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testTmp } from './support/temp.ts';

const LOADER = pathToFileURL(join(import.meta.dirname, '..', 'bin', 'script-cache.cjs')).href;

/** Loads `file` in a process of its own (with `flags` for node) and prints what its exports compute. */
function start(file: string, flags: string[] = []): string {
  const program = `import { loadCachedScript } from ${JSON.stringify(LOADER)};
const m = loadCachedScript(${JSON.stringify(file)});
console.log(JSON.stringify([m.sum([1, 2, 3, 4]), m.label('x'), m.where]));`;
  return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', program], { encoding: 'utf8' });
}

/** V8's code-cache tag in a process started with `flags`: its version and flags. */
function tag(flags: string[] = []): string {
  return execFileSync(process.execPath, [...flags, '-p', "require('node:v8').cachedDataVersionTag()"], { encoding: 'utf8' }).trim();
}

describe('the vendored scripts\' code cache', () => {
  it('is written by a start without one, used by the next, and written again when V8 refuses it', () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-script-cache-'));
    const file = join(dir, 'lib.cjs');
    writeFileSync(
      file,
      `'use strict';
const { basename } = require('node:path');
function sum(values) { let total = 0; for (const v of values) total += v; return total; }
exports.sum = sum;
exports.label = (text) => \`\${text}:\${sum([text.length, 1])}\`;
exports.where = basename(__filename) + ' ' + (module.exports === exports);
`,
    );
    const expected = `${JSON.stringify([10, 'x:2', 'lib.cjs true'])}\n`;
    const cache = `${file}.${tag()}.cache`;

    expect(start(file)).toBe(expected);
    expect(existsSync(cache)).toBe(true);
    const written = statSync(cache);
    expect(written.size).toBeGreaterThan(0);

    // Used, not written again: same bytes, same inode.
    const bytes = readFileSync(cache);
    expect(start(file)).toBe(expected);
    expect(readFileSync(cache).equals(bytes)).toBe(true);
    expect(statSync(cache).ino).toBe(written.ino);

    // A cache cut short: V8 refuses it, the script compiles as usual and a whole cache replaces it.
    writeFileSync(cache, bytes.subarray(0, bytes.length >> 1));
    expect(start(file)).toBe(expected);
    const rewritten = statSync(cache);
    expect(rewritten.ino).not.toBe(written.ino);
    expect(rewritten.size).toBeGreaterThan(bytes.length >> 1);
    // And that one is used.
    expect(start(file)).toBe(expected);
    expect(statSync(cache).ino).toBe(rewritten.ino);
    // Other V8 flags: a cache of their own, the other one left as it is.
    const flags = ['--max-old-space-size=3000'];
    expect(tag(flags)).not.toBe(tag());
    expect(start(file, flags)).toBe(expected);
    expect(existsSync(`${file}.${tag(flags)}.cache`)).toBe(true);
    expect(statSync(cache).ino).toBe(rewritten.ino);
    expect(start(file)).toBe(expected);
    expect(statSync(cache).ino).toBe(rewritten.ino);
    // No temporary file is left beside them.
    expect(readdirSync(dir).sort()).toEqual(['lib.cjs', `lib.cjs.${tag()}.cache`, `lib.cjs.${tag(flags)}.cache`].sort());
  });

  it('gives the build\'s yargs and yaml the exports and the answers of the installed packages', () => {
    const root = join(import.meta.dirname, '..');
    const build = execFileSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.cjs').then((m) => console.log(String(m.compiledDir())))"], { cwd: root, encoding: 'utf8' }).trim();
    // A dev tree after an edit has no build (the sources run through tsx): nothing vendored to check.
    if (build === 'null') return;
    // In a process of its own, as the CLI loads them (a cache this process's V8 flags refused would be rewritten for them).
    const answers = (yaml: string, yargs: string) =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const yaml = await import(${JSON.stringify(yaml)});
const { default: yargs } = await import(${JSON.stringify(yargs)});
const names = Object.keys(yaml).sort().map((name) => name + ':' + typeof yaml[name]);
const parsed = yaml.parse('a: 1\\nb: [x, {c: 2.5}]\\n');
const argv = yargs(['--n', '3', 'go']).parseSync();
// A help page measured and wrapped by cliui, wrap-ansi and string-width (the build patches string-width: bin/build.mjs).
const help = await yargs([]).scriptName('x').option('plain', { describe: 'printable ASCII only, long enough to wrap over several lines' })
  .option('typographic', { describe: 'a dash – a bound ≤ 5 × 2 and an emoji 🚀, then ' + '日本語の説明 '.repeat(8) }).wrap(44).getHelp();
console.log(JSON.stringify({ names, parsed, text: yaml.stringify(parsed), n: argv.n, rest: argv._, help }));`,
        ],
        { cwd: root, encoding: 'utf8' },
      );
    const vendored = answers(pathToFileURL(join(build, 'vendor', 'yaml.js')).href, pathToFileURL(join(build, 'vendor', 'yargs.js')).href);
    expect(JSON.parse(vendored)).toMatchObject({ parsed: { a: 1, b: ['x', { c: 2.5 }] }, n: 3, rest: ['go'], help: expect.stringContaining('日本語') });
    expect(vendored).toBe(answers('yaml', 'yargs'));
  });
});
