// The worker side of the pool: loads the job's scenario with its overrides,
// runs it and sends back a compact result. Started through sim/engine/typescript-worker.mjs,
// which registers the TypeScript loader first (worker threads do not inherit
// the main thread's loader hooks).
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarioFile } from '../scenario/load.ts';
import { runScenario } from '../simulation.ts';
import type { Job } from './jobs.ts';
import { measure } from '../gate/assertions.ts';
import { toJsonNumber } from './format.ts';
import { ACCEPT_POINTS, WORKER_MARK, type CompactSeries, type FromWorker, type JobError, type JobResult, type ToWorker } from './protocol.ts';
import { faultWindows } from '../../reports/lib/context.ts';

/**
 * Test hook, never set in normal use: `STAMPEDE_BATCH_TEST_FAULT=throw@SEED,exit@SEED,sigint@SEED`
 * makes the job with that seed throw, or its worker thread exit, or sends the
 * process a SIGINT while it runs, so the failure and interruption paths can be
 * tested end to end.
 */
export const TEST_FAULT_ENV = 'STAMPEDE_BATCH_TEST_FAULT';

/** Runs one job in this thread. The same function whichever thread calls it. */
export function runJob(job: Job, onProgress?: (simTime: number) => void): JobResult {
  injectTestFault(job.seed);
  const { scenario } = loadScenarioFile(job.scenarioFile, job.overrides);
  const result = runScenario(scenario, { onProgress });
  const { series } = result;
  return {
    summary: result.summary,
    series: job.withSeries
      ? {
          time: series.time,
          connected: series.connected,
          carrierAttemptsPerSec: series.carrierAttemptsPerSec,
          accepts: binnedAccepts(series.acceptsPerSec),
          crashes: result.events.filter((e) => CRASH_EVENTS.has(e.kind)).map((e) => ({ time: e.time, server: e.subject })),
          faults: faultWindows(scenario).map(({ kind, start, end, label }) => ({ kind, start, end, label })),
        }
      : null,
    // Measured here, on the full result: an `after T` assertion reads series the job does not ship back.
    assertions: scenario.assert.map((assertion) => toJsonNumber(measure(assertion, result))),
  };
}

/** The control-plane events that are a server dying (sim/model/faults.ts `crashServer`). */
const CRASH_EVENTS = new Set(['process-died', 'host-lost']);

/** Each server's accepts per second in at most ACCEPT_POINTS bins, each the busiest sample in it. */
export function binnedAccepts(byServer: Record<string, number[]>): NonNullable<CompactSeries['accepts']> {
  const length = Math.max(0, ...Object.values(byServer).map((v) => v.length));
  const bin = Math.max(1, Math.ceil(length / ACCEPT_POINTS));
  const out: Record<string, number[]> = {};
  for (const [server, values] of Object.entries(byServer)) {
    const binned: number[] = [];
    for (let start = 0; start < values.length; start += bin) {
      let peak = values[start];
      for (let i = start + 1; i < Math.min(values.length, start + bin); i++) peak = Math.max(peak, values[i]);
      binned.push(peak);
    }
    out[server] = binned;
  }
  return { bin, byServer: out };
}

export function toJobError(error: unknown): JobError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function injectTestFault(seed: number): void {
  const spec = process.env[TEST_FAULT_ENV];
  if (!spec) return;
  for (const entry of spec.split(',')) {
    const [action, target] = entry.split('@');
    if (Number(target) !== seed) continue;
    if (action === 'throw') throw new Error(`test fault: job with seed ${seed} throws on purpose (${TEST_FAULT_ENV})`);
    if (action === 'exit') process.exit(7);
    if (action === 'sigint') {
      // As if Ctrl-C came while this job runs; the job never finishes (the pool terminates this thread).
      process.kill(process.pid, 'SIGINT');
      for (const until = Date.now() + 60_000; Date.now() < until; );
    }
  }
}

if (parentPort && workerData === WORKER_MARK) {
  const port = parentPort;
  const send = (message: FromWorker) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    const { job } = message;
    try {
      const result = runJob(job, (simTime) => send({ type: 'progress', jobId: job.id, simTime }));
      send({ type: 'done', jobId: job.id, result });
    } catch (error) {
      send({ type: 'failed', jobId: job.id, error: toJobError(error) });
    }
  });
}
