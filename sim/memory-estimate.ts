// How much memory a run will need, known before it starts (so that a run
// that cannot fit is refused with a message instead of dying out of memory
// minutes later). Calibrated on measured peak RSS (docs/ARCHITECTURE.md):
// the carrier outage at 1, 10 and 50 million clients needs 267 MiB, 1.77 GiB
// and 6.0 GiB; the estimate errs on the high side.
import type { Scenario } from './scenario/types.ts';

/** Node, tsx and the loaded modules before any client exists. */
const BASE_BYTES = 150 * 2 ** 20;
/** Per-client record (state, addresses, timer, counters). */
const CLIENT_STATE_BYTES = 64;
/** Event nodes: up to two pending per client (a replaced timer waits until it comes up), 32 bytes and a free-list slot each. */
const CLIENT_EVENT_BYTES = 2 * 36;
/** End-of-run statistics: sorted copies of per-client and per-episode samples. */
const CLIENT_RESULT_BYTES = 48;
/** One number of a per-sample series, in a JavaScript array. */
const SERIES_NUMBER_BYTES = 16;

export function estimateRunBytes(scenario: Scenario): number {
  const clients = scenario.population.clients;
  let perClient = CLIENT_STATE_BYTES + CLIENT_EVENT_BYTES + CLIENT_RESULT_BYTES;
  if (scenario.client.throttle !== null) perClient += 12;
  if (scenario.client.backoff.policy === 'decorrelated') perClient += 4;
  if (scenario.faults.some((f) => f.kind === 'carrier-outage')) perClient += 16; // the outage's victim list
  const servers = scenario.regions.reduce((n, r) => n + r.servers + r.spare, 0);
  const samples = Math.floor(scenario.duration / scenario.sampleInterval) + 1;
  const seriesPerSample = 3 * servers + 5 * scenario.lookup.instances + scenario.regions.length + 12;
  return BASE_BYTES + clients * perClient + samples * seriesPerSample * SERIES_NUMBER_BYTES;
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
