// The deployment's own Node processes (live/processes.ts, nodeEntry) start from the build's
// compiled modules when live mode runs compiled, as the command line runs it, and from the sources
// too when the build of those very sources exists (the tests); through tsx otherwise (an edited
// tree without its build, STAMPEDE_TSX=1).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeEntry } from '../live/processes.ts';

const ROOT = join(import.meta.dirname, '..');
const currentBuild = () => execFileSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.cjs').then((m) => console.log(String(m.compiledDir())))"], { cwd: ROOT, encoding: 'utf8' }).trim();

describe('the deployment\'s Node processes', () => {
  it('start from the sources\' own build when there is one (the suite builds it first), through tsx when STAMPEDE_TSX=1', () => {
    const build = currentBuild();
    const entry = nodeEntry('session-server.ts');
    if (build === 'null') {
      expect(entry.execArgv).toEqual(['--import', 'tsx']);
    } else {
      const module = join(build, 'live', 'session-server.js');
      expect(entry).toEqual({ module, execArgv: [], command: process.execPath, args: [module] });
      expect(existsSync(module)).toBe(true);
    }
    const program = `const { nodeEntry } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'live', 'processes.ts')).href)}); console.log(JSON.stringify(nodeEntry('session-server.ts')));`;
    const forced = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STAMPEDE_TSX: '1' } }));
    expect(forced).toEqual({ module: join(ROOT, 'live', 'session-server.ts'), execArgv: ['--import', 'tsx'], command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'live', 'session-server.ts')] });
  });

  it('start from the build\'s compiled modules when live mode runs compiled', () => {
    const build = currentBuild();
    // A dev tree after an edit has no build: nothing compiled to start.
    if (build === 'null') return;
    const program = `const { nodeEntry } = await import(${JSON.stringify(pathToFileURL(join(build, 'live', 'processes.js')).href)}); console.log(JSON.stringify(nodeEntry('lookup-server.ts')));`;
    const entry = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' })) as { module: string; execArgv: string[]; args: string[] };
    expect(entry).toMatchObject({ module: join(build, 'live', 'lookup-server.js'), execArgv: [], args: [join(build, 'live', 'lookup-server.js')] });
    expect(existsSync(entry.module)).toBe(true);
  });
});
