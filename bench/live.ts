// `npm run bench -- --live`: what live mode sustains on this machine, on loopback (docs/live.md,
// Bench). Each case is one `stampede load --json` against the reference deployment, which it
// starts and stops itself; the connect ladder stops at the first size the fleet cannot take.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LiveMeasurement {
  clients: number;
  /** Asked for by churn (clients / mean lifetime), or null without churn. */
  askedPerSecond: number | null;
  warmupConnectsPerSecond: number;
  runConnectsPerSecond: { mean: number; peak: number };
  peakSessions: number;
  keepaliveLosses: number;
}

interface LiveCase {
  name: string;
  file: string;
  clients: number;
  args: string[];
  askedPerSecond: number | null;
}

/** Churn in bench-connects.yaml: a mean session lifetime of 4 s. */
const CONNECTS_LIFETIME = 4;
/** 3 servers and 2 lookups: the fleet's own processes take less of the 2 cores (docs/live.md). */
const SMALL_FLEET = ['--set', 'regions.0.servers=3', '--set', 'lookup.instances=2'];

export const liveCases: LiveCase[] = [
  {
    name: 'sessions held, keepalive pings',
    file: 'live/scenarios/bench-sessions.yaml',
    clients: 20_000,
    args: ['--time-scale', '0.5', '--pings', 'on'],
    askedPerSecond: null,
  },
  ...[16_000, 20_000, 24_000, 28_000].map((clients) => ({
    name: `connects sustained by churn`,
    file: 'live/scenarios/bench-connects.yaml',
    clients,
    args: ['--time-scale', '1', ...SMALL_FLEET],
    askedPerSecond: clients / CONNECTS_LIFETIME,
  })),
];

function measureLive(c: LiveCase): LiveMeasurement | string {
  const out = mkdtempSync(join(tmpdir(), 'stampede-bench-live-'));
  try {
    const r = spawnSync(process.execPath, ['bin/stampede.cjs', 'load', c.file, '--clients', String(c.clients), ...c.args, '--json', '--quiet', '--out', join(out, 'run')], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) return (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`).replace(/^stampede: /, '');
    const { measured } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      measured: { warmupConnectsPerSec: number; runConnectsPerSec: { mean: number; peak: number }; peakConnectedSessions: number; keepaliveLosses: number };
    };
    return {
      clients: c.clients,
      askedPerSecond: c.askedPerSecond,
      warmupConnectsPerSecond: measured.warmupConnectsPerSec,
      runConnectsPerSecond: measured.runConnectsPerSec,
      peakSessions: measured.peakConnectedSessions,
      keepaliveLosses: measured.keepaliveLosses,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const rate = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;

/** Runs the live cases, printing a line each and the maximum sustained; returns what was measured. */
export function liveBench(write: (line: string) => void): Record<string, LiveMeasurement | { failed: string }> {
  const results: Record<string, LiveMeasurement | { failed: string }> = {};
  let best: LiveMeasurement | null = null;
  for (const c of liveCases) {
    const label = `${c.name}, ${c.clients.toLocaleString('en-US')} clients`;
    const m = measureLive(c);
    if (typeof m === 'string') {
      results[label] = { failed: m };
      write(`${label.padEnd(50)} failed: ${m}\n`);
      // A larger population than the fleet takes fails as well: the ladder ends here.
      if (c.askedPerSecond !== null) break;
      continue;
    }
    results[label] = m;
    const asked = m.askedPerSecond === null ? '' : ` (${rate(m.askedPerSecond)} asked for)`;
    write(
      `${label.padEnd(50)} peak ${m.peakSessions.toLocaleString('en-US')} sessions, ${m.keepaliveLosses} lost to a keepalive; ` +
        `connects: warm-up ${rate(m.warmupConnectsPerSecond)}, run ${rate(m.runConnectsPerSecond.mean)} sustained${asked}, busiest second ${rate(m.runConnectsPerSecond.peak)}\n`,
    );
    if (c.askedPerSecond !== null && (best === null || m.runConnectsPerSecond.mean > best.runConnectsPerSecond.mean)) best = m;
  }
  if (best !== null) write(`maximum sustained: ${rate(best.runConnectsPerSecond.mean)} over a 30-s run, at ${best.clients.toLocaleString('en-US')} clients\n`);
  return results;
}
