// Metastable failures (Bronson et al., HotOS 2021; Huang et al., OSDI 2022):
// the trigger is over, yet the system stays down, because the retries it
// caused keep it overloaded. A run is metastable when, after its last fault
// has ended, for at least `window` in a row either
//   - the load stays above capacity: a lookup instance offered at least its
//     capacity, a session server offered at least its overload rate, or
//     lookups still timing out with every lookup up; or
//   - sessions stop recovering: below 99 % of the pre-fault count and not
//     rising by more than 0.1 % of it over the window.
// The evidence is what the operator would look at: how hard clients retry
// against the pre-fault rate, the lookup queue, the timeouts, the sessions.
import type { FaultConfig, Scenario } from '../scenario/types.ts';
import type { RunResult } from '../result.ts';

export interface Metastability {
  /** When the last fault ended. */
  triggerEnd: number;
  /** The stretch that qualifies: its first and last sample times. */
  from: number;
  to: number;
  /** Why: `overload` (load above capacity) or `stalled` (sessions not recovering), or both. */
  reasons: ('overload' | 'stalled')[];
  /** Carrier attempts per second over the stretch against the pre-fault mean. */
  retryAmplification: number | null;
  /** Lookups timed out per second over the stretch. */
  timedOutPerSec: number;
  /** Longest lookup queue over the stretch. */
  peakLookupQueue: number;
  /** Sessions at the end of the stretch over the pre-fault count. */
  connectedShare: number | null;
}

/** When `fault` stops acting (a crash with a restart: the restart; a deploy: its last server's restart). */
export function faultEnd(fault: FaultConfig): number {
  switch (fault.kind) {
    case 'carrier-outage':
    case 'lookup-outage':
    case 'site-outage':
      return fault.at + fault.duration;
    case 'server-crash':
    case 'manager-crash':
      return fault.at + (fault.restartAfter ?? 0);
    case 'deploy':
      return fault.at + fault.stagger * (fault.servers.length - 1) + fault.drain + fault.restartAfter;
    default:
      return fault.at;
  }
}

export function metastability(result: RunResult, scenario: Scenario, window: number): Metastability | null {
  const { series, summary } = result;
  const incident = summary.incidentStart;
  const pre = summary.preFaultSessions;
  if (incident === null || pre === null || scenario.faults.length === 0) return null;
  const triggerEnd = Math.max(...scenario.faults.map(faultEnd));
  const time = series.time;
  const first = time.findIndex((t) => t > triggerEnd);
  if (first < 0) return null;
  const capacity = scenario.lookup.capacity;
  const overloadRate = scenario.sessionServer.overloadAcceptsPerSec;
  const servers = Object.values(series.connectAttemptsPerSec);
  const overloaded = (k: number) =>
    series.lookups.offeredPerSec.some((instance) => instance[k] >= capacity) ||
    servers.some((attempts) => attempts[k] >= overloadRate) ||
    series.lookups.timedOutPerSec[k] > 0;
  const below = (k: number) => series.connected[k] < 0.99 * pre;
  let start = -1;
  for (let k = first; k < time.length; k++) {
    if (!overloaded(k)) {
      start = -1;
      continue;
    }
    if (start < 0) start = k;
    if (time[k] - time[start] >= window) return evidence(result, triggerEnd, start, k, below(k) ? ['overload', 'stalled'] : ['overload']);
  }
  // Stalled: the whole window below 99 % and not climbing.
  for (let k = first; k < time.length; k++) {
    const from = time.findIndex((t) => t >= time[k] - window);
    if (from < first || time[k] - time[from] < window) continue;
    let stalled = true;
    for (let j = from; j <= k && stalled; j++) stalled = below(j);
    if (stalled && series.connected[k] - series.connected[from] <= 0.001 * pre) {
      return evidence(result, triggerEnd, from, k, overloaded(k) ? ['overload', 'stalled'] : ['stalled']);
    }
  }
  return null;
}

function evidence(result: RunResult, triggerEnd: number, from: number, to: number, reasons: Metastability['reasons']): Metastability {
  const { series, summary } = result;
  const mean = (values: readonly number[], a: number, b: number) => {
    let sum = 0;
    for (let k = a; k <= b; k++) sum += values[k];
    return sum / (b - a + 1);
  };
  const incident = summary.incidentStart ?? 0;
  const before = series.time.findIndex((t) => t > incident);
  const preRate = before > 1 ? mean(series.carrierAttemptsPerSec, 1, before - 1) : 0;
  let queue = 0;
  for (const instance of series.lookups.queueLength) for (let k = from; k <= to; k++) queue = Math.max(queue, instance[k]);
  return {
    triggerEnd,
    from: series.time[from],
    to: series.time[to],
    reasons,
    retryAmplification: preRate > 0 ? mean(series.carrierAttemptsPerSec, from, to) / preRate : null,
    timedOutPerSec: mean(series.lookups.timedOutPerSec, from, to),
    peakLookupQueue: queue,
    connectedShare: summary.preFaultSessions ? series.connected[to] / summary.preFaultSessions : null,
  };
}
