// The deployment's listening ports (live/ports.ts, freePort) come from below the kernel's
// ephemeral range, where no outgoing connection can take one between the moment it is found free
// and the moment its process listens on it; never the same one twice in a process, nor one that
// another living stampede holds; given back when a deployment stops.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portFree, releaseAllPorts, releasePort, removeStaleReservations, RESERVATIONS } from '../live/ports.ts';
import { waitFor } from '../live/processes.ts';
import { childImport } from './support/child-import.ts';

const ROOT = join(import.meta.dirname, '..');

function ephemeralLow(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return null;
  }
}

/** `reservePort(port)` in another process, alive while it answers. */
function reserveElsewhere(port: number): boolean {
  const ports = childImport('live/ports.ts');
  const program = `const { reservePort } = await import(${JSON.stringify(ports.href)}); console.log(reservePort(${port}));`;
  return execFileSync(process.execPath, [...ports.execArgv, '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' }).trim() === 'true';
}

/** The pid of a process that has exited. */
const gonePid = () => spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();

/**
 * `reservePort(port)` in `count` processes at once: each says it is ready and waits; once all are,
 * each is told to go at the same moment, reserves, prints whether it holds the port, and stays alive
 * until all have answered (its stdin is closed then), so that a holder is alive whenever another
 * looks. Resolves with their answers.
 */
async function reserveAtOnce(port: number, count: number): Promise<boolean[]> {
  const ports = childImport('live/ports.ts');
  const program = `const { reservePort } = await import(${JSON.stringify(ports.href)});
    process.stdin.once('data', () => console.log(reservePort(${port})));
    console.log('ready');`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, [...ports.execArgv, '--input-type=module', '-e', program], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = children.map((child) => {
    const queue: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      partial += text;
      for (let end = partial.indexOf('\n'); end !== -1; end = partial.indexOf('\n')) {
        const line = partial.slice(0, end).trim();
        partial = partial.slice(end + 1);
        const next = waiting.shift();
        if (next) next(line);
        else queue.push(line);
      }
    });
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`a reserving process exited early (${code})`))));
    return () => Promise.race([exited, new Promise<string>((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiting.push(resolve)))]);
  });
  expect(await Promise.all(lines.map((next) => next()))).toEqual(children.map(() => 'ready'));
  for (const child of children) child.stdin.write('go\n');
  const answers = await Promise.all(lines.map((next) => next()));
  await Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.stdin.end();
  })));
  return answers.map((answer) => answer === 'true');
}

describe('freePort', () => {
  afterAll(releaseAllPorts);

  it('hands out distinct ports that can be listened on, below the ephemeral range where the kernel has one, each reserved by this process', async () => {
    const ports: number[] = [];
    for (let k = 0; k < 40; k++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(await portFree(port), `port ${port}`).toBe(true);
    const low = ephemeralLow();
    if (low === null || low - 10_000 < 1000) return;
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
      expect(readFileSync(join(RESERVATIONS, String(port)), 'utf8').trim()).toBe(String(process.pid));
    }
  });

  it('refuses a port another living process holds, takes over one whose owner is gone, and removes its own at exit', async () => {
    const port = await freePort();
    // Held here, and this process is alive: another process may not have it.
    expect(reserveElsewhere(port)).toBe(false);
    // A reservation left by a process that is gone is taken over; the taker removed it as it exited.
    const gone = gonePid();
    // One of ours, so that no other process's reservation is touched, made to look left behind.
    const stale = await freePort();
    writeFileSync(join(RESERVATIONS, String(stale)), `${gone}\n`);
    expect(reserveElsewhere(stale)).toBe(true);
    expect(existsSync(join(RESERVATIONS, String(stale)))).toBe(false);
    // Given back (a deployment stopped): another process may have it.
    releasePort(port);
    expect(existsSync(join(RESERVATIONS, String(port)))).toBe(false);
    expect(reserveElsewhere(port)).toBe(true);
    // All of them at once (at exit, or a test file at its end).
    const mine = [await freePort(), await freePort()];
    releaseAllPorts();
    for (const p of mine) expect(existsSync(join(RESERVATIONS, String(p)))).toBe(false);
  });

  it('lets exactly one of several processes at once take over a reservation whose owner is gone', async () => {
    const stale = await freePort();
    writeFileSync(join(RESERVATIONS, String(stale)), `${gonePid()}\n`);
    const answers = await reserveAtOnce(stale, 4);
    expect(answers.filter(Boolean), `answers ${answers}`).toHaveLength(1);
    // The holder removed its reservation as it exited, and nobody left a lock.
    expect(existsSync(join(RESERVATIONS, String(stale)))).toBe(false);
    expect(existsSync(join(RESERVATIONS, `${stale}.takeover`))).toBe(false);
  }, 30_000);

  it('takes nothing over while another process holds the takeover lock; a lock whose holder is gone is cleared', async () => {
    const stale = await freePort();
    const file = join(RESERVATIONS, String(stale));
    writeFileSync(file, `${gonePid()}\n`);
    // This process, alive, holds the lock: the stale reservation stays.
    writeFileSync(`${file}.takeover`, `${process.pid}\n`);
    expect(reserveElsewhere(stale)).toBe(false);
    removeStaleReservations();
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.takeover`)).toBe(true);
    // Its holder gone, the lock is cleared once it is old enough to be abandoned, then the reservation.
    writeFileSync(`${file}.takeover`, `${gonePid()}\n`);
    removeStaleReservations();
    expect(existsSync(`${file}.takeover`)).toBe(true);
    const past = new Date(Date.now() - 60_000);
    utimesSync(`${file}.takeover`, past, past);
    removeStaleReservations();
    // A stale reservation is anyone's to clear: another process of the suite scanning the directory
    // at this moment may hold its lock for an instant (one fresh-clone run saw the lock still there).
    // Cleared within a second either way, unless nobody clears it.
    await waitFor(() => !existsSync(`${file}.takeover`) && !existsSync(file), 1000, 'the abandoned lock and the stale reservation to be cleared');
    expect(reserveElsewhere(stale)).toBe(true);
    rmSync(file, { force: true });
  });
});
