// Sim against real: the same scaled scenario simulated, its recovery held against the live run's,
// each quantity within a stated tolerance, and which measured quantity explains a gap.
import type { RecoverySummary } from './recovery.ts';

/** Relative tolerance per quantity, plus an absolute slack for timer and scheduling jitter on loopback. */
export const TOLERANCE = { p50: 0.1, p90: 0.1, p99: 0.1, full: 0.15, slackSeconds: 0.1 } as const;

export interface QuantityCheck {
  quantity: 'p50' | 'p90' | 'p99' | 'full';
  live: number | null;
  simulated: number | null;
  /** (live − simulated) / simulated. */
  relativeGap: number | null;
  tolerance: number;
  pass: boolean;
}

export interface Measured {
  /** Connect (TCP + hello, seconds): what the scenario's rtt stands for. */
  connectLatency: { mean: number | null; p99: number | null; assumed: number };
  /** Lookup round trip (seconds): rtt + queue wait + service in the model. */
  lookupLatency: { mean: number | null; p99: number | null; assumed: number };
  /** How late the clients' timers fired (backoff, churn): the event loop under load. */
  timerLateness: { mean: number | null; p99: number | null; assumed: 0 };
  /** Spawn to accepting sessions of a restarted server, against startupTime. */
  serverRestart: { mean: number | null; assumed: number };
  /** Sessions lost to an unanswered keepalive (a vanished host). */
  keepaliveLosses: number;
  /** The scaled client.keepalive, the pings' interval (seconds); absent in results written before it was recorded. */
  keepaliveInterval?: number;
  /** Connects that timed out (scaled connectTimeout), and lookups that timed out while every lookup was up. */
  timeouts?: {
    connects: number;
    connectTimeout: number;
    lookupsOutsideOutages: number;
    requestTimeout: number;
    /** Connects the simulation of the same run timed out (a blackholed host times them out there too). */
    simulatedConnects?: number;
  };
}

export interface Comparison {
  tolerance: typeof TOLERANCE;
  checks: QuantityCheck[];
  /** Largest |live − simulated| share of clients connected at one sample, and its time. */
  curveGap: { max: number; at: number | null; mean: number };
  pass: boolean;
  /** The measured quantity that most plausibly explains the gap, in words (null when every check passes). */
  explanation: string | null;
}

export function stats(values: number[]): { mean: number | null; p99: number | null } {
  if (values.length === 0) return { mean: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p99: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] };
}

export function compare(live: RecoverySummary, simulated: RecoverySummary, curves: { time: number[]; live: number[]; simulated: number[]; clients: number }, measured: Measured): Comparison {
  const pairs: [QuantityCheck['quantity'], number | null, number | null][] = [
    ['p50', live.reconnectTime.p50, simulated.reconnectTime.p50],
    ['p90', live.reconnectTime.p90, simulated.reconnectTime.p90],
    ['p99', live.reconnectTime.p99, simulated.reconnectTime.p99],
    ['full', live.recovery.full, simulated.recovery.full],
  ];
  const checks = pairs.map(([quantity, l, s]): QuantityCheck => {
    const tolerance = TOLERANCE[quantity];
    if (l === null || s === null) return { quantity, live: l, simulated: s, relativeGap: null, tolerance, pass: l === s };
    const gap = s === 0 ? (l === 0 ? 0 : Infinity) : (l - s) / s;
    return { quantity, live: l, simulated: s, relativeGap: gap, tolerance, pass: Math.abs(l - s) <= tolerance * Math.abs(s) + TOLERANCE.slackSeconds };
  });
  let max = 0;
  let at: number | null = null;
  let sum = 0;
  const n = Math.min(curves.live.length, curves.simulated.length);
  for (let k = 0; k < n; k++) {
    const gap = Math.abs(curves.live[k] - curves.simulated[k]) / curves.clients;
    sum += gap;
    if (gap > max) {
      max = gap;
      at = curves.time[k];
    }
  }
  const pass = checks.every((c) => c.pass);
  return { tolerance: TOLERANCE, checks, curveGap: { max, at, mean: n > 0 ? sum / n : 0 }, pass, explanation: pass ? null : explain(checks, measured) };
}

/**
 * Each candidate's excess over what the model assumed, in seconds per reconnection (a reconnection
 * takes a lookup and a connect, waits one backoff timer, and may wait for a restart): the largest
 * is named, with the figures.
 */
function explain(checks: QuantityCheck[], m: Measured): string {
  const direction = checks.find((c) => !c.pass && c.relativeGap !== null);
  const sign = direction !== undefined && (direction.relativeGap as number) > 0 ? 'slower' : 'faster';
  const candidates: [string, number][] = [
    [`connect latency (mean ${ms(m.connectLatency.mean)} measured, ${ms(m.connectLatency.assumed)} assumed as rtt)`, (m.connectLatency.mean ?? 0) - m.connectLatency.assumed],
    [`lookup round trip (mean ${ms(m.lookupLatency.mean)}, p99 ${ms(m.lookupLatency.p99)} measured, ${ms(m.lookupLatency.assumed)} assumed)`, (m.lookupLatency.mean ?? 0) - m.lookupLatency.assumed],
    [`timer lateness of the load generator (mean ${ms(m.timerLateness.mean)}, p99 ${ms(m.timerLateness.p99)})`, m.timerLateness.mean ?? 0],
    [`server restart (${m.serverRestart.mean === null ? 'none' : `${m.serverRestart.mean.toFixed(2)} s`} measured from spawn to accepting, startupTime ${m.serverRestart.assumed.toFixed(2)} s)`,
      m.serverRestart.mean === null ? 0 : m.serverRestart.mean - m.serverRestart.assumed],
  ];
  const t = m.timeouts;
  const simulatedConnects = t?.simulatedConnects ?? 0;
  if (t !== undefined && t.connects > simulatedConnects) {
    // A connect that times out costs its timeout and, after the last retry, a backoff cycle: counted as the p99 past the timeout.
    const simulated = simulatedConnects > 0 ? `, ${simulatedConnects} in the simulation` : '';
    candidates.push([`connect timeouts (${t.connects} connects timed out${simulated}: connect latency p99 ${ms(m.connectLatency.p99)} against a connectTimeout of ${ms(t.connectTimeout)})`,
      Math.max(0, (m.connectLatency.p99 ?? 0) - t.connectTimeout) + t.connectTimeout]);
  }
  if (t !== undefined && t.lookupsOutsideOutages > 0) {
    candidates.push([`lookup timeouts with every lookup up (${t.lookupsOutsideOutages} lookups: round trip p99 ${ms(m.lookupLatency.p99)} against a requestTimeout of ${ms(t.requestTimeout)})`,
      Math.max(0, (m.lookupLatency.p99 ?? 0) - t.requestTimeout) + t.requestTimeout]);
  }
  candidates.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const [what, excess] = candidates[0];
  const failed = checks.filter((c) => !c.pass).map((c) => c.quantity).join(', ');
  return `live recovery ${sign} than simulated (${failed} out of tolerance); the largest measured departure from the model's assumptions is the ${what}: ${excess >= 0 ? '+' : ''}${(excess * 1000).toFixed(1)} ms per attempt` +
    (m.keepaliveLosses === 0 ? '' : `; ${m.keepaliveLosses} sessions were lost to an unanswered keepalive ping${keepaliveNote(m.keepaliveInterval)}`);
}

/**
 * A ping unanswered at the next one notices a vanished host 1 to 2 intervals after it vanished
 * (half an interval late on average, a whole one at worst); the model's client after exactly one.
 */
function keepaliveNote(interval: number | undefined): string {
  if (interval === undefined) return '';
  return `, each noticed 1–2 intervals of ${ms(interval)} after its host vanished where the model notices after exactly one (+${ms(interval / 2)} on average)`;
}

function ms(seconds: number | null): string {
  return seconds === null ? 'n/a' : `${(seconds * 1000).toFixed(1)} ms`;
}
