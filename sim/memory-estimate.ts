// How much memory a run will need, known before it starts (so that a run
// that cannot fit is refused with a message instead of dying out of memory
// minutes later). Calibrated on measured peak RSS (docs/ARCHITECTURE.md):
// the carrier outage at 4 × 10^5, 10^7 and 10^8 clients (scaled fleet)
// peaks at 162 MiB, 1.3 GiB and 12.2 GiB, about 129 bytes a client beyond
// the runtime; the estimate errs on the high side (166 bytes a client).
// The same 4 × 10^5-client run has also peaked at 217–224 MiB, in CI and
// under the suite's load: RUNTIME_BYTES covers that too.
import { freemem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Scenario } from './scenario/types.ts';
import { formatInteger } from './format-integer.ts';

/**
 * Node, tsx and the loaded modules before any client exists, and what the process's peak may carry
 * beyond its own needs: ~110 MiB measured alone, but 60 MiB more in some environments (see above).
 */
export const RUNTIME_BYTES = 200 * 2 ** 20;
/** Per-client record (state, addresses, timer, counters). */
const CLIENT_STATE_BYTES = 64;
/** Queued events: up to two pending per client (a replaced timer waits until it comes up), 24 bytes and their chunk's links each. */
const CLIENT_EVENT_BYTES = 2 * 25;
/** Reconnect records (18 bytes an episode, about one per client) and the end-of-run statistics' sorted copies of them. */
const CLIENT_RESULT_BYTES = 36;
/** One number of a per-sample series, in a JavaScript array. */
const SERIES_NUMBER_BYTES = 16;

export function estimateRunBytes(scenario: Scenario): number {
  const clients = scenario.population.clients;
  let perClient = CLIENT_STATE_BYTES + CLIENT_EVENT_BYTES + CLIENT_RESULT_BYTES;
  if (scenario.client.throttle !== null) perClient += 12;
  if (scenario.client.backoff.policy === 'decorrelated') perClient += 4;
  if (scenario.faults.some((f) => f.kind === 'carrier-outage')) perClient += 16; // the outage's victim list
  return RUNTIME_BYTES + clients * perClient + seriesNumbers(scenario) * SERIES_NUMBER_BYTES;
}

/** Numbers in the per-sample series: per server, per lookup instance, per region, and the global ones. */
function seriesNumbers(scenario: Scenario): number {
  const servers = scenario.regions.reduce((n, r) => n + r.servers + r.spare, 0);
  const samples = Math.floor(scenario.duration / scenario.sampleInterval) + 1;
  const seriesPerSample = 3 * servers + 5 * scenario.lookup.instances + scenario.regions.length + 12;
  return samples * seriesPerSample;
}

/** JavaScript objects before the run (modules, the scenario): on the V8 heap, unlike the typed arrays of the clients. */
const BASE_HEAP_BYTES = 80 * 2 ** 20;
/** A series number in result.json: digits, a decimal point or two, a comma. */
const SERIES_NUMBER_CHARS = 8;
/** V8's longest string (2^29 − 24 characters on 64-bit): result.json is one string before it is written. */
export const MAX_STRING_CHARS = 2 ** 29 - 24;

export interface RunEstimate {
  /** Peak resident memory of the run (estimateRunBytes). */
  bytes: number;
  /** Of which on the V8 heap (the series are JavaScript arrays), bounded by V8's heap limit, not by free memory. */
  heapBytes: number;
  /** Characters of result.json (its series dominate). */
  resultChars: number;
  /** What dominates the heap, for messages: "10000 servers × 21601 samples". */
  seriesText: string;
}

export function estimateRun(scenario: Scenario): RunEstimate {
  const numbers = seriesNumbers(scenario);
  const servers = scenario.regions.reduce((n, r) => n + r.servers + r.spare, 0);
  const samples = Math.floor(scenario.duration / scenario.sampleInterval) + 1;
  return {
    bytes: estimateRunBytes(scenario),
    heapBytes: BASE_HEAP_BYTES + numbers * SERIES_NUMBER_BYTES,
    resultChars: numbers * SERIES_NUMBER_CHARS,
    seriesText: `${formatInteger(servers)} server(s) and ${scenario.lookup.instances} lookup instance(s) × ${formatInteger(samples)} samples`,
  };
}

/**
 * Why a run (or `parallel` runs at once, each in its own thread with its own
 * heap) cannot fit, or null: more memory than `limit`, a series larger than
 * V8's heap limit (the run would die of "heap out of memory" minutes in, with
 * free memory left), or a result.json longer than V8's longest string.
 */
export function memoryProblem(scenario: Scenario, limit: number | null, source: string, parallel = 1): string | null {
  const estimate = estimateRun(scenario);
  const heapLimit = getHeapStatistics().heap_size_limit;
  const name = `${scenario.name} with ${formatInteger(scenario.population.clients)} clients`;
  const fix = 'Raise sampleInterval, shorten duration or lower the number of servers';
  if (estimate.heapBytes > heapLimit) {
    return `${name} needs about ${formatBytes(estimate.heapBytes)} of JavaScript heap for its series (${estimate.seriesText}); ` +
      `V8's heap limit here is ${formatBytes(heapLimit)}, so the run would die out of memory. ${fix}, or raise the limit with NODE_OPTIONS=--max-old-space-size=MiB if the machine has the memory.`;
  }
  if (estimate.resultChars > MAX_STRING_CHARS) {
    return `${name} would write a result.json of about ${formatBytes(estimate.resultChars)} (${estimate.seriesText}); ` +
      `the most one file can hold is ${formatBytes(MAX_STRING_CHARS)}. ${fix}.`;
  }
  if (limit === null) return null;
  const needed = parallel === 1 ? estimate.bytes : RUNTIME_BYTES + parallel * (estimate.bytes - RUNTIME_BYTES);
  if (needed <= limit) return null;
  const what = parallel === 1 ? `needs about ${formatBytes(needed)}` : `needs about ${formatBytes(needed)} for ${parallel} runs at once (${formatBytes(estimate.bytes)} each)`;
  const fewer = parallel === 1 ? 'Lower population.clients' : 'Lower population.clients or --workers';
  return `${name} ${what}; ${formatBytes(limit)} is ${source}. ${fewer}, or pass --memory-limit SIZE (or off) to run anyway.`;
}

/** The --memory-limit flag: bytes, null for `off`, the machine's free memory when absent; and how to name it in messages. */
export function memoryLimit(text: string | undefined): { limit: number | null; source: string } | { problem: string } {
  if (text === 'off') return { limit: null, source: '' };
  if (text === undefined) return { limit: freemem(), source: 'free on this machine' };
  const limit = parseBytes(text);
  if (limit === null || limit <= 0) return { problem: `--memory-limit: expected a size such as 8GB or 512MB, or off; found "${text}"` };
  return { limit, source: 'allowed by --memory-limit' };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** Parses `4GB`, `512MB`, `1.5GiB`; null for anything else. */
export function parseBytes(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(k|m|g|t)i?b$/i.exec(text.trim());
  if (!match) return null;
  const power = { k: 1, m: 2, g: 3, t: 4 }[match[2].toLowerCase() as 'k' | 'm' | 'g' | 't'];
  return Number(match[1]) * 1024 ** power;
}
