// One benchmark case in a fresh process, so peak RSS is this case's alone.
// Prints one JSON line: clients, events (queued and run inline), wall
// seconds, events/s, peak RSS, and what the resident memory is made of at
// the end (to tell, when a peak is higher than usual, which part grew).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { Simulation } from '../sim/simulation.ts';

const [file, ...overrides] = process.argv.slice(2);
const { scenario } = loadScenarioFile(file, overrides);
const started = process.hrtime.bigint();
// As `stampede run` does: one thread per core for a carrier outage's retry loops.
const simulation = new Simulation(scenario, { threads: availableParallelism() });
simulation.runUntil(scenario.duration);
const result = simulation.result();
simulation.close();
const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const { heapTotal, external } = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    clients: result.summary.clients,
    events: result.summary.events,
    queuedEvents: simulation.queuedEvents,
    wallSeconds,
    eventsPerSecond: result.summary.events / wallSeconds,
    peakRssBytes,
    recoveryFull: result.summary.recovery.full,
    residentAtEnd: { ...residentParts(), heapBytes: heapTotal, externalBytes: external },
  })}\n`,
);

/** Linux's split of resident memory (anonymous, file-backed, anonymous huge pages), in bytes; empty elsewhere. */
function residentParts(): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const file of ['/proc/self/status', '/proc/self/smaps_rollup']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^(RssAnon|RssFile|AnonHugePages):\s+(\d+) kB$/gm)) parts[match[1]] = Number(match[2]) * 1024;
  }
  return parts;
}
