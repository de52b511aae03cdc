// The guard every process of the reference deployment runs under (live/guard.sh, started by
// live/processes.ts spawnGuarded): the pid it records is the process itself, it exits with the
// process's status, a signal to it reaches the process, and nothing of its group outlives the
// stampede that started it, whether that stampede ends or is killed with SIGKILL.
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processPid, sleep, spawnGuarded, stopGroup, waitFor, type ManagedProcess } from '../live/processes.ts';
import { childImport } from './support/child-import.ts';
import { tempDir } from './support/temp.ts';

const dir = tempDir('stampede-guard-');
const started: ManagedProcess[] = [];
afterAll(async () => {
  for (const p of started) await stopGroup(p.groupId, 500);
});

function guarded(name: string, command: string, args: string[]): ManagedProcess {
  const p = spawnGuarded(name, command, args, dir);
  started.push(p);
  return p;
}

/** State and process group of `pid` from /proc, or null when it is gone. */
function stat(pid: number): { state: string; group: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { state: fields[0], group: Number(fields[2]) };
  } catch {
    return null;
  }
}

/**
 * Whether `pid` runs. A zombie does not: a process whose parent died waits for init to reap it,
 * which this VM's init does only every second or two.
 */
function runs(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z';
}

function groupRuns(groupId: number): boolean {
  return readdirSync('/proc').some((name) => /^\d+$/.test(name) && stat(Number(name))?.group === groupId && runs(Number(name)));
}

describe('live/guard.sh', () => {
  it('records the pid of the process itself, in a group the guard leads, never an earlier one of the same name', async () => {
    writeFileSync(join(dir, 'sleeper.pid'), '999999\n');
    const p = guarded('sleeper', 'sleep', ['60']);
    const pid = await processPid(p);
    expect(pid).not.toBe(p.groupId);
    // The same pid once the guard's fork has become the command (the pid file is written at the fork).
    const commandLine = () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    await waitFor(() => commandLine() === 'sleep 60', 10_000, `the guard's fork to become sleep 60 (${pid})`);
    expect(stat(pid)?.group).toBe(p.groupId);
    expect(groupRuns(p.groupId)).toBe(true);
    await stopGroup(p.groupId, 1000);
    expect(await p.exited).toBe(143);
    expect(groupRuns(p.groupId)).toBe(false);
  });

  it('exits with the process\'s status, or 128 + the signal that ended it', async () => {
    const exits = guarded('exits', 'sh', ['-c', 'exit 7']);
    expect(await exits.exited).toBe(7);
    const crashed = guarded('crashed', 'sleep', ['60']);
    process.kill(await processPid(crashed), 'SIGKILL');
    expect(await crashed.exited).toBe(137);
    const missing = guarded('missing', '/nonexistent/command', []);
    expect(await missing.exited).toBe(127);
  });

  it('passes a signal sent to the guard alone on to the process, and waits for it', async () => {
    // The process traps TERM and exits 3 a little later: the guard's status is the process's. It says
    // when its trap is set, or a loaded machine could signal it before.
    const ready = join(dir, 'trapper.ready');
    const p = guarded('trapper', 'sh', ['-c', `trap "sleep 0.2; exit 3" TERM; touch ${ready}; while :; do sleep 0.05; done`]);
    const pid = await processPid(p);
    await waitFor(() => existsSync(ready), 10_000, 'the process to set its trap');
    process.kill(p.groupId, 'SIGTERM');
    expect(await p.exited).toBe(3);
    await waitFor(() => !runs(pid), 2000, `process ${pid} to be gone`);
  });

  // A stampede started as users start it, with the compiled live/processes.js (the build the tests run).
  for (const ending of ['ends by itself', 'is killed with SIGKILL'] as const) {
    it(`leaves nothing running when the stampede that started it ${ending}`, async () => {
      const processes = childImport('live/processes.ts');
      // The parent stays half a second (or until it is killed), so that the process runs when it is looked at.
      const stay = ending === 'is killed with SIGKILL' ? 'setInterval(() => {}, 1000);' : 'setTimeout(() => {}, 500);';
      const script = `const { spawnGuarded, processPid } = await import(${JSON.stringify(processes.href)});
const p = spawnGuarded('orphan-candidate', 'sleep', ['60'], ${JSON.stringify(dir)});
console.log(p.groupId, await processPid(p));
${stay}`;
      const parent = spawn(process.execPath, [...processes.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Whatever the test finds, the parent does not outlive it.
      onTestFinished(() => {
        parent.kill('SIGKILL');
      });
      const parentExit = new Promise((resolve) => parent.once('exit', (code, signal) => resolve(signal ?? code)));
      let out = '';
      parent.stdout.on('data', (chunk) => (out += chunk));
      await waitFor(() => out.includes('\n') || parent.exitCode !== null, 10_000, 'the parent to print its guarded process');
      const [groupId, pid] = out.trim().split(' ').map(Number);
      expect(pid, `the parent printed ${JSON.stringify(out)}`).toBeGreaterThan(0);
      expect(runs(pid)).toBe(true);
      expect(groupRuns(groupId)).toBe(true);
      if (ending === 'is killed with SIGKILL') parent.kill('SIGKILL');
      // The guard's lifeline does not keep the parent running: it ends of itself once it has nothing else to do.
      const exit = await Promise.race([parentExit, sleep(5000).then(() => 'still running after 5 s')]);
      expect(exit).toBe(ending === 'is killed with SIGKILL' ? 'SIGKILL' : 0);
      await waitFor(() => !runs(pid) && !groupRuns(groupId), 3000, `process ${pid} and group ${groupId} to be gone`);
    });
  }
});
