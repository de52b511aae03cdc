// The live run's summary, computed as the simulator computes its own (sim/model/metrics.ts):
// recovery to 99 % / 99.9 % of the pre-fault sessions (last upward crossing, from the first
// fault's start), full recovery (the last disconnected client back), reconnect-time quantiles.
import { summarizeDurations } from '../sim/model/distribution.ts';
import type { Summary } from '../sim/result.ts';

/** The part of a simulated run's summary a live run measures too, with the same meaning. */
export type RecoverySummary = Pick<Summary, 'incidentStart' | 'preFaultSessions' | 'sessionsAtEnd' | 'recovery' | 'disconnectedClients' | 'notReconnected' | 'reconnectTime' | 'downtime'>;

/** Seconds from `incidentStart` to the last upward crossing of `threshold`; 0 if never below; null if below at the end. */
export function recoveredAt(time: number[], connected: number[], incidentStart: number, threshold: number): number | null {
  let below = false;
  let lastUp = incidentStart;
  for (let k = 0; k < time.length; k++) {
    if (time[k] < incidentStart) continue;
    if (connected[k] < threshold) below = true;
    else if (k > 0 && connected[k - 1] < threshold && time[k] >= incidentStart) lastUp = time[k];
  }
  if (connected[connected.length - 1] < threshold) return null;
  return below ? lastUp - incidentStart : 0;
}

export function summarizeRecovery(args: {
  time: number[];
  connected: number[];
  incidentStart: number | null;
  reconnectAt: number[];
  downtime: number[];
  disconnectedNow: number;
}): RecoverySummary & { reconnectTimeCdf: { p: number; seconds: number }[] } {
  const { time, connected, incidentStart } = args;
  let preFault: number | null = null;
  if (incidentStart !== null) {
    for (let k = 0; k < time.length && time[k] < incidentStart; k++) preFault = connected[k];
    preFault ??= connected[0];
  }
  const reconnect = summarizeDurations(Float64Array.from(args.reconnectAt));
  const down = summarizeDurations(Float64Array.from(args.downtime));
  const at = (share: number) => (incidentStart === null || preFault === null ? null : recoveredAt(time, connected, incidentStart, share * preFault));
  return {
    incidentStart,
    preFaultSessions: preFault,
    sessionsAtEnd: connected[connected.length - 1] ?? 0,
    recovery: {
      p99: at(0.99),
      p999: at(0.999),
      full: incidentStart === null ? null : args.disconnectedNow > 0 ? null : args.reconnectAt.length === 0 ? 0 : Math.max(...args.reconnectAt),
    },
    disconnectedClients: args.reconnectAt.length + args.disconnectedNow,
    notReconnected: args.disconnectedNow,
    reconnectTime: reconnect.distribution,
    downtime: down.distribution,
    reconnectTimeCdf: reconnect.cdf,
  };
}
