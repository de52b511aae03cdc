// OS processes of the reference deployment: each runs under live/guard.sh in its own process
// group, tied to this process (the guard kills its group when we are gone), so that stopping is
// "kill the group" and nothing outlives stampede. Also bounded waits (ports: ports.ts).
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOfTheseSources } from '../sim/engine/build-of-sources.ts';
import { LiveError } from './errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const GUARD = join(here, 'guard.sh');

/** How to start one of the deployment's own Node processes (live/X.ts): `node ...execArgv module`. */
export interface NodeEntry {
  module: string;
  execArgv: string[];
  /** The same as one command line, for spawnGuarded. */
  command: string;
  args: string[];
}

/**
 * `node dist/<hash>/live/X.js` when this module runs compiled (dist/<hash>/live/, as the command line
 * runs it: bin/compiled.cjs found the build of the sources as they are), and from the sources too
 * when that build of these very sources exists (the tests, which run the sources); else `node
 * --import tsx live/X.ts` (an edited tree without its build, STAMPEDE_TSX=1). A process started
 * through tsx spends ~0.2 s of CPU registering it before it does anything, and a deployment starts 8
 * or more.
 */
export function nodeEntry(module: `${string}.ts`): NodeEntry {
  const compiled = import.meta.url.endsWith('.js') ? here : liveOf(buildOfTheseSources());
  const entry = compiled !== null ? { module: join(compiled, module.replace(/\.ts$/, '.js')), execArgv: [] } : { module: join(here, module), execArgv: ['--import', 'tsx'] };
  return { ...entry, command: process.execPath, args: [...entry.execArgv, entry.module] };
}

function liveOf(build: string | null): string | null {
  return build === null ? null : join(build, 'live');
}

export interface ManagedProcess {
  name: string;
  /** The guard: leader of the process group. */
  groupId: number;
  /** The process itself (filled once the guard wrote it). */
  pid: number;
  log: string;
  pidFile: string;
  /** Exit code (or 128 + signal) once it exited; null while it runs. */
  exitCode: number | null;
  exited: Promise<number>;
}

export function spawnGuarded(name: string, command: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): ManagedProcess {
  const log = join(dir, `${name}.log`);
  const pidFile = join(dir, `${name}.pid`);
  const fd = openSync(log, 'a');
  // One left by an earlier process of the same name (a restarted server) would be read as this one's.
  rmSync(pidFile, { force: true });
  // The fourth descriptor is the guard's lifeline: our end closes when this process is gone.
  const child = spawn('sh', [GUARD, pidFile, command, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd, 'pipe'],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new LiveError(`cannot start ${name} (${command})`);
  const lifeline = child.stdio[3] as Socket;
  // A guard that ended first may reset its end: nothing to report, its exit is.
  lifeline.on('error', () => {});
  lifeline.unref();
  const managed: ManagedProcess = { name, groupId: child.pid, pid: 0, log, pidFile, exitCode: null, exited: Promise.resolve(0) };
  managed.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      managed.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      resolve(managed.exitCode);
    });
  });
  child.unref();
  return managed;
}

/** The process's own pid, once its guard has written it (bounded wait). */
export async function processPid(p: ManagedProcess, timeoutMs = 5000): Promise<number> {
  if (p.pid > 0) return p.pid;
  await waitFor(() => existsSync(p.pidFile) && readFileSync(p.pidFile, 'utf8').trim() !== '', timeoutMs, `${p.name} to start`);
  p.pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  return p.pid;
}

export function signalGroup(groupId: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-groupId, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether process `pid` runs (one run as another user counts). */
export { processRuns as alive } from '../sim/cli/takeover.ts';

/** SIGCONT (a stopped group ignores SIGTERM), SIGTERM, then SIGKILL after `graceMs`; resolves when the group is gone. */
export async function stopGroup(groupId: number, graceMs = 2000): Promise<void> {
  signalGroup(groupId, 'SIGCONT');
  if (!signalGroup(groupId, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!signalGroup(groupId, 0 as unknown as NodeJS.Signals)) return;
    await sleep(50);
  }
  signalGroup(groupId, 'SIGKILL');
  const hard = Date.now() + 2000;
  while (Date.now() < hard && signalGroup(groupId, 0 as unknown as NodeJS.Signals)) await sleep(20);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 50 ms until it holds; a LiveError naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof LiveError) throw error;
      // not yet
    }
    if (Date.now() > deadline) throw new LiveError(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
    await sleep(50);
  }
}
