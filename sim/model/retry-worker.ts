// A retry helper thread: claims chunks of each batch of deferred retry
// loops and runs them, counting into its own tally (retry-threads.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { RetryPolicy } from './backoff.ts';
import { aheadTally, aheadTallyBytes } from './metrics.ts';
import { recordViews } from './client-record.ts';
import { RetryLoop, runDeferred } from './retry-loop.ts';
import { CHUNK_CLIENTS, claimChunk, COUNT, DONE, ERROR_BYTES, FAILED, Parameter, type BatchMessage, type HelperData } from './retry-threads.ts';

const data = workerData as HelperData;
const records = recordViews(data.records);
const control = new Int32Array(data.control);
const parameters = new Float64Array(data.parameters);
const tallyBytes = aheadTallyBytes(data.settings.lastSample);
const counts = new Float64Array(data.tally, tallyBytes, 2);
// Decorrelated jitter, the one policy with per-client state outside the record, never comes here.
const loop = new RetryLoop(records, data.settings, new RetryPolicy(data.settings.backoff, 0), aheadTally(data.settings.lastSample, data.tally));

parentPort?.on('message', (message: BatchMessage) => {
  try {
    runBatch(message);
  } catch (error) {
    // The main thread waits in Atomics.wait and cannot see an 'error' event: say it through shared memory.
    const text = new TextEncoder().encode(error instanceof Error ? (error.stack ?? error.message) : String(error));
    new Uint8Array(data.error).set(text.subarray(0, ERROR_BYTES));
    Atomics.store(control, FAILED, 1);
    Atomics.notify(control, DONE);
  }
});
parentPort?.postMessage('ready');

function runBatch(message: BatchMessage): void {
  const ids = message.ids === null ? null : new Int32Array(message.ids);
  for (;;) {
    const chunk = claimChunk(control, message.batch);
    if (chunk < 0) break;
    // Read after the claim, an Atomics operation that orders them after this batch's writes.
    const backAt = parameters[Parameter.backAt];
    const horizon = parameters[Parameter.horizon];
    const incident = parameters[Parameter.incident] === 1;
    const count = Atomics.load(control, COUNT);
    const from = chunk * CHUNK_CLIENTS;
    runDeferred(loop, records, ids, from, Math.min(count, from + CHUNK_CLIENTS), backAt, horizon, incident);
    counts[0] += loop.events;
    counts[1] += loop.timeouts;
    loop.events = 0;
    loop.timeouts = 0;
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}
