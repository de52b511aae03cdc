// The deployment's own Node processes (live/processes.ts, nodeEntry) start from the build's
// compiled modules when live mode runs compiled, as the command line runs it, not through tsx; from
// the sources (an edited tree, the tests), through tsx.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeEntry } from '../live/processes.ts';

const ROOT = join(import.meta.dirname, '..');

describe('the deployment\'s Node processes', () => {
  it('start through tsx from the sources', () => {
    const entry = nodeEntry('session-server.ts');
    expect(entry).toEqual({ module: join(ROOT, 'live', 'session-server.ts'), execArgv: ['--import', 'tsx'], command: process.execPath, args: ['--import', 'tsx', entry.module] });
  });

  it('start from the build\'s compiled modules when live mode runs compiled', () => {
    const build = execFileSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.mjs').then((m) => console.log(String(m.compiledDir())))"], { cwd: ROOT, encoding: 'utf8' }).trim();
    // A dev tree after an edit has no build: nothing compiled to start.
    if (build === 'null') return;
    const program = `const { nodeEntry } = await import(${JSON.stringify(pathToFileURL(join(build, 'live', 'processes.js')).href)}); console.log(JSON.stringify(nodeEntry('lookup-server.ts')));`;
    const entry = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' })) as { module: string; execArgv: string[]; args: string[] };
    expect(entry).toMatchObject({ module: join(build, 'live', 'lookup-server.js'), execArgv: [], args: [join(build, 'live', 'lookup-server.js')] });
    expect(existsSync(entry.module)).toBe(true);
  });
});
