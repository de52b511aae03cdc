// The deployment's listening ports (live/ports.ts, freePort) come from below the kernel's
// ephemeral range, where no outgoing connection can take one between the moment it is found free
// and the moment its process listens on it; never the same one twice in a process, nor one that
// another living stampede holds; given back when a deployment stops.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portFree, releaseAllPorts, releasePort, RESERVATIONS } from '../live/ports.ts';

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
  const program = `const { reservePort } = await import(${JSON.stringify(join(ROOT, 'live', 'ports.ts'))}); console.log(reservePort(${port}));`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' }).trim() === 'true';
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
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
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
});
