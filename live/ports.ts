// The deployment's listening ports on 127.0.0.1: found free, kept out of the way of outgoing
// connections, and reserved across processes (docs/live.md).
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { processRuns, removeIfAbandoned, removeIfStale, TAKEOVER_SUFFIX } from '../sim/cli/takeover.ts';

/**
 * Ports below the kernel's ephemeral range (Linux: net.ipv4.ip_local_port_range), where the kernel
 * never puts the local end of an outgoing connection. A port the OS picks for `listen(0)` comes from
 * that range, the same one a client's connection takes its local port from: between the moment it
 * is found free and the moment the process it is for listens on it (a node start, ~0.1–0.3 s), or
 * while a crashed server waits to restart on its port, one of the thousands of connections of a load
 * run could take it, and the process would die with EADDRINUSE (seen in test runs). Below that range
 * only a listener that names its port can. Another stampede could: each port handed out is reserved
 * by a file named after it that holds the owner's pid (created exclusively, removed when the
 * deployment stops or the owner exits, taken over once the owner is gone, under a lock), so that
 * two deployments on one machine, two test files at once, never share one. Each process walks its
 * own sequence, from a start its pid spreads.
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
      linkOwnFile(file);
      if (reservedHere.length === 0) process.on('exit', releaseAllPorts);
      reservedHere.push(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
      if (!removeIfOwnerGone(file)) return false;
    }
  }
  return false;
}

/**
 * Creates `file` holding this process's pid, or throws EEXIST if it exists. Written whole under a
 * name of our own, then linked to `file`: whoever finds `file` finds its owner in it (a link fails
 * if the name exists, as an exclusive create).
 */
function linkOwnFile(file: string): void {
  mkdirSync(RESERVATIONS, { recursive: true });
  const own = join(RESERVATIONS, `.${process.pid}`);
  writeFileSync(own, `${process.pid}\n`);
  try {
    linkSync(own, file);
  } finally {
    rmSync(own, { force: true });
  }
}

/** Removes the reservation `file` if its owner is gone (sim/cli/takeover.ts); whether the port may be linked now. */
function removeIfOwnerGone(file: string): boolean {
  return removeIfStale(file, (text) => !ownerRuns(text)) !== 'held';
}

/** Gives back a port this process reserved (its listener is closed: a deployment stopped). */
export function releasePort(port: number): void {
  const file = join(RESERVATIONS, String(port));
  const index = reservedHere.indexOf(file);
  if (index === -1) return;
  reservedHere.splice(index, 1);
  removeOwn(file);
}

/** Gives back every port this process reserved (at exit; a test file at its end). */
export function releaseAllPorts(): void {
  for (const file of reservedHere.splice(0)) removeOwn(file);
}

/** Removes `file` if it still names this process (else it was taken over meanwhile, and is another's now). */
function removeOwn(file: string): void {
  try {
    if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/** The reservations of processes that are gone (killed, or never ran their exit handlers). */
export function removeStaleReservations(): void {
  let names: string[] = [];
  try {
    names = readdirSync(RESERVATIONS);
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(RESERVATIONS, name);
    // `.PID`: a reservation being written, or left half-way by a killed process.
    if (name.startsWith('.')) {
      if (!ownerRuns(name.slice(1))) rmSync(file, { force: true });
    } else if (name.endsWith(TAKEOVER_SUFFIX)) {
      // Cleared first, so that the reservation it guards can be taken over below.
      removeIfAbandoned(file);
    }
  }
  for (const name of names) if (!name.startsWith('.') && !name.endsWith(TAKEOVER_SUFFIX)) removeIfOwnerGone(join(RESERVATIONS, name));
}

/** Whether the process whose pid `text` holds still runs. */
function ownerRuns(text: string): boolean {
  const owner = Number.parseInt(text, 10);
  return owner > 0 && processRuns(owner);
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
