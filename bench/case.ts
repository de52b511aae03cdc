// One benchmark case in a fresh process, so peak RSS is this case's alone.
// Prints one JSON line: clients, events (queued and run inline), wall
// seconds, events/s, peak RSS.
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
process.stdout.write(
  `${JSON.stringify({
    clients: result.summary.clients,
    events: result.summary.events,
    queuedEvents: simulation.queuedEvents,
    wallSeconds,
    eventsPerSecond: result.summary.events / wallSeconds,
    peakRssBytes,
    recoveryFull: result.summary.recovery.full,
  })}\n`,
);
