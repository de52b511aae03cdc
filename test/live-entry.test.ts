// The deployment's own Node processes (live/processes.ts, nodeEntry) start from the build of the
// sources as they are, as the command line runs, not through tsx; without a build (STAMPEDE_TSX=1
// stands for an edited tree), from the sources through tsx.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** nodeEntry('session-server.ts') in a process of its own (it is decided once per process). */
function entry(env: NodeJS.ProcessEnv): { module: string; execArgv: string[]; args: string[] } {
  const { STAMPEDE_TSX: _, ...inherited } = process.env;
  const program = "const { nodeEntry } = await import('./live/processes.ts'); console.log(JSON.stringify(await nodeEntry('session-server.ts')));";
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8', env: { ...inherited, ...env } }));
}

describe('the deployment\'s Node processes', () => {
  it('start from the build of the sources as they are, or through tsx when there is none', () => {
    const build = execFileSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.mjs').then((m) => console.log(String(m.compiledDir())))"], { cwd: ROOT, encoding: 'utf8' }).trim();
    const compiled = entry({});
    if (build === 'null') {
      expect(compiled.execArgv).toEqual(['--import', 'tsx']);
    } else {
      expect(compiled).toMatchObject({ module: join(build, 'live', 'session-server.js'), execArgv: [] });
      expect(existsSync(compiled.module)).toBe(true);
    }
    const sources = entry({ STAMPEDE_TSX: '1' });
    expect(sources).toMatchObject({ module: join(ROOT, 'live', 'session-server.ts'), execArgv: ['--import', 'tsx'] });
    expect(sources.args).toEqual(['--import', 'tsx', sources.module]);
  });
});
