// One benchmark case in a fresh process, so peak RSS is this case's alone.
// Prints one JSON line: clients, events (queued and run inline), wall
// seconds, events/s, peak RSS.
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { Simulation } from '../sim/simulation.ts';

const [file, ...overrides] = process.argv.slice(2);
const { scenario } = loadScenarioFile(file, overrides);
const started = process.hrtime.bigint();
const simulation = new Simulation(scenario);
simulation.runUntil(scenario.duration);
const result = simulation.result();
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
