// OS processes of the reference deployment: each runs under live/guard.mjs in its own process
// group, tied to this process (the guard kills its group when we are gone), so that stopping is
// "kill the group" and nothing outlives stampede. Also free ports and bounded waits.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, openSync, closeSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveError } from './errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const GUARD = join(here, 'guard.mjs');

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
 * runs it: bin/compiled.mjs found the build of the sources as they are), and from the sources too
 * when that build of these very sources exists (the tests, which run the sources); else `node
 * --import tsx live/X.ts` (an edited tree without its build, STAMPEDE_TSX=1). A process started
 * through tsx spends ~0.2 s of CPU registering it before it does anything, and a deployment starts 8
 * or more.
 */
export function nodeEntry(module: `${string}.ts`): NodeEntry {
  const compiled = import.meta.url.endsWith('.js') ? here : buildOfTheseSources();
  const entry = compiled !== null ? { module: join(compiled, module.replace(/\.ts$/, '.js')), execArgv: [] } : { module: join(here, module), execArgv: ['--import', 'tsx'] };
  return { ...entry, command: process.execPath, args: [...entry.execArgv, entry.module] };
}

let sourcesBuild: string | null | undefined;

/**
 * dist/<hash>/live of the build whose hash is that of the sources as they are now, or null. Asked of
 * bin/compiled.mjs, the one place that knows, through require(): an ES module that Node loads
 * synchronously from 20.19 on; before, or whatever else fails, the sources run through tsx.
 */
function buildOfTheseSources(): string | null {
  if (sourcesBuild === undefined) {
    try {
      const { compiledDir } = createRequire(import.meta.url)(join(here, '..', 'bin', 'compiled.mjs')) as { compiledDir(): string | null };
      const dir = compiledDir();
      sourcesBuild = dir === null ? null : join(dir, 'live');
    } catch {
      sourcesBuild = null;
    }
  }
  return sourcesBuild;
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
  const child = spawn(process.execPath, [GUARD, String(process.pid), pidFile, command, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new LiveError(`cannot start ${name} (${command})`);
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

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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

/**
 * Ports below the kernel's ephemeral range (Linux: net.ipv4.ip_local_port_range), where the kernel
 * never puts the local end of an outgoing connection. A port the OS picks for `listen(0)` comes from
 * that range, the same one a client's connection takes its local port from: between the moment it
 * is found free and the moment the process it is for listens on it (a node start, ~0.1–0.3 s), or
 * while a crashed server waits to restart on its port, one of the thousands of connections of a load
 * run could take it, and the process would die with EADDRINUSE (seen in test runs). Below that range
 * only a listener that names its port can. Another stampede could: each port handed out is reserved
 * by a file named after it that holds the owner's pid (created exclusively, removed when the owner
 * exits, taken over once its owner is gone), so that two deployments on one machine, two test files
 * at once, never share one. Each process walks its own sequence, from a start its pid spreads.
 */
const FIRST_FIXED_PORT = 10_000;
const handedOut = new Set<number>();
let nextFixed = -1;
export const RESERVATIONS = join(tmpdir(), `stampede-ports-${process.getuid?.() ?? 'user'}`);
const reservedHere: string[] = [];

function ephemeralLow(): number | null {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : null;
  } catch {
    return null;
  }
}

/** Whether this process now holds `port`'s reservation; true also when reservations cannot be written at all. */
export function reservePort(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(RESERVATIONS, { recursive: true });
      // Written whole under a name of our own, then linked to the port's name: whoever finds the
      // port's file finds its owner in it (link fails if the name exists, as an exclusive create).
      const own = join(RESERVATIONS, `.${process.pid}`);
      writeFileSync(own, `${process.pid}\n`);
      try {
        linkSync(own, file);
      } finally {
        rmSync(own, { force: true });
      }
      if (reservedHere.length === 0) process.on('exit', () => reservedHere.forEach((f) => rmSync(f, { force: true })));
      reservedHere.push(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
      let owner = 0;
      try {
        owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      } catch {
        // removed meanwhile: try again
      }
      if (owner > 0 && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/** Gives back a port this process reserved (its listener is closed: a deployment stopped). */
export function releasePort(port: number): void {
  const file = join(RESERVATIONS, String(port));
  const index = reservedHere.indexOf(file);
  if (index === -1) return;
  reservedHere.splice(index, 1);
  rmSync(file, { force: true });
}

/** The reservations of processes that are gone (killed, or never ran their exit handlers). */
function removeStaleReservations(): void {
  let names: string[] = [];
  try {
    names = readdirSync(RESERVATIONS);
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(RESERVATIONS, name);
    try {
      // `.PID`: a reservation being written (or left half-way by a killed process).
      const owner = Number.parseInt(name.startsWith('.') ? name.slice(1) : readFileSync(file, 'utf8'), 10);
      if (!(owner > 0 && alive(owner))) rmSync(file, { force: true });
    } catch {
      // removed meanwhile
    }
  }
}

/** A port on 127.0.0.1 that is free now and, where the kernel says so, outside its ephemeral range. */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  const span = low === null ? 0 : low - FIRST_FIXED_PORT;
  // Fewer than 1,000 ports below the range (or no /proc): the OS picks, as elsewhere.
  if (span < 1000) return osPickedPort();
  if (nextFixed < 0) {
    nextFixed = (process.pid * 7919) % span;
    removeStaleReservations();
  }
  for (let tried = 0; tried < span; tried++) {
    const port = FIRST_FIXED_PORT + (nextFixed++ % span);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (reservePort(port) && (await portFree(port))) return port;
  }
  return osPickedPort();
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
