// The deployment's listening ports (live/processes.ts, freePort) come from below the kernel's
// ephemeral range, where no outgoing connection can take one between the moment it is found free
// and the moment its process listens on it; never the same one twice in a process.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort, portFree } from '../live/processes.ts';

function ephemeralLow(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return null;
  }
}

describe('freePort', () => {
  it('hands out distinct ports that can be listened on, below the ephemeral range where the kernel has one', async () => {
    const ports: number[] = [];
    for (let k = 0; k < 40; k++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(await portFree(port), `port ${port}`).toBe(true);
    const low = ephemeralLow();
    if (low === null || low - 10_000 < 1000) return;
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
  });
});
