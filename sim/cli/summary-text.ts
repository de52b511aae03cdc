// The short human summary `stampede run` prints.
import type { Scenario } from '../scenario/types.ts';
import type { Distribution, Summary } from '../result.ts';
import { evaluateLimit } from '../gate/assertions.ts';
import { formatInteger } from '../format-integer.ts';

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return 'not reached';
  if (seconds === 0) return '0 s';
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 3 : 1)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds >= 2 * 86_400) return `${seconds.toFixed(0)} s (${(seconds / 86_400).toFixed(2)} d)`;
  if (seconds >= 7200) return `${seconds.toFixed(0)} s (${(seconds / 3600).toFixed(1)} h)`;
  return `${seconds.toFixed(0)} s (${(seconds / 60).toFixed(1)} min)`;
}

function quantiles(d: Distribution, unit: (x: number | null) => string): string {
  if (d.count === 0) return 'none';
  return `p50 ${unit(d.p50)} · p90 ${unit(d.p90)} · p99 ${unit(d.p99)} · max ${unit(d.max)} · mean ${unit(d.mean)}`;
}

function ratio(x: number | null): string {
  return x === null ? 'no limit' : `${x.toFixed(2)}× limit`;
}

export function formatSummary(
  scenario: Scenario,
  s: Summary,
  run: { wallSeconds: number; outDir: string },
): string {
  const seconds = (x: number | null) => (x === null ? '-' : `${x.toFixed(0)} s`);
  const count = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  const lines = [
    `${scenario.name} (seed ${scenario.seed}): ${formatInteger(s.clients)} clients, ${formatSeconds(scenario.duration)} simulated, ` +
      `${formatInteger(s.events)} events in ${run.wallSeconds.toFixed(1)} s wall (${formatInteger(s.events / Math.max(run.wallSeconds, 1e-9))} events/s)`,
  ];
  if (s.incidentStart === null) {
    lines.push(s.grayFailures.length === 0 ? '  no fault in this scenario' : '  no fault injected: what happened comes from the leak below');
  } else {
    lines.push(
      `  incident from t = ${formatSeconds(s.incidentStart)}; sessions before ${formatInteger(s.preFaultSessions ?? 0)}, at end ${formatInteger(s.sessionsAtEnd)}`,
      `  recovery (from the incident start): 99 % ${formatSeconds(s.recovery.p99)} · 99.9 % ${formatSeconds(s.recovery.p999)} · all sessions ${formatSeconds(s.recovery.full)}`,
      ...recoveryTarget(scenario, s),
      `  clients disconnected: ${formatInteger(s.disconnectedClients)}` +
        (s.notReconnected > 0 ? ` (${formatInteger(s.notReconnected)} still without a session at the end)` : ''),
      `  reconnected at (from incident start): ${quantiles(s.reconnectTime, seconds)}`,
      `  attempts to reconnect: ${quantiles(s.attemptsToReconnect, count)}`,
    );
  }
  lines.push(
    `  lookup: peak ${formatInteger(s.lookup.peakOfferedPerSec)}/s on one instance (${ratio(s.lookup.peakLoadFactor)}), ` +
      `peak queue ${formatInteger(s.lookup.peakQueueLength)}, mean wait ${formatSeconds(s.lookup.meanWait ?? 0)}, ${formatInteger(s.lookup.timedOut)} timed out, ${formatInteger(s.lookup.noServer)} "no server"`,
    `  session servers: peak ${formatInteger(s.server.peakAcceptsPerSec)} accepts/s on one server (${ratio(s.server.peakAcceptFactor)}), ${s.server.crashes} crash(es)`,
    `  carrier: peak ${formatInteger(s.peakCarrierAttemptsPerSec)} attempts/s` +
      (s.carrierPeakAmplification === null ? '' : ` (${s.carrierPeakAmplification.toFixed(0)}× the pre-fault rate)`) +
      (s.carrierAmplification === null ? '' : `; ${s.carrierAmplification.toFixed(1)}× sustained over the fault`),
    ...s.grayFailures.map(leakLine),
    ...s.grayDetectors.map((d) => `  detector ${d.detector}: caught ${d.caught} of ${d.leaks} leak(s), lead to first failure ${formatSeconds(d.leadToFailure)}, to death ${formatSeconds(d.leadToDeath)}, ${d.falseAlarms} false alarm(s)`),
    `  imbalance at end: max/mean ${s.imbalance.maxOverMean?.toFixed(3) ?? '-'}, CV ${s.imbalance.cv?.toFixed(4) ?? '-'}`,
    `  result: ${run.outDir}/result.json`,
    `  report: ${run.outDir}/index.html`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The margin to the scenario's full-recovery target (`recovery.full <= T`,
 * over the whole run), the figure an operator reads first: met by how much,
 * or missed by how much.
 */
function recoveryTarget(scenario: Scenario, s: Summary): string[] {
  const target = scenario.assert.find((a) => a.metric === 'recovery.full' && a.after === null && a.over === 'every' && (a.comparator === '<=' || a.comparator === '<'));
  if (target === undefined) return [];
  const limit = evaluateLimit(target.limit, scenario);
  if (!Number.isFinite(limit)) return [];
  const full = s.recovery.full;
  if (full === null) return [`  target: all sessions back within ${formatSeconds(limit)}: MISSED, not every session is back by the end of the run`];
  const margin = limit - full;
  return [margin >= 0 && (target.comparator === '<=' || margin > 0)
    ? `  target: all sessions back within ${formatSeconds(limit)}: met, ${formatSeconds(margin)} to spare`
    : `  target: all sessions back within ${formatSeconds(limit)}: MISSED by ${formatSeconds(-margin)}`];
}

/** A leaking server's story on one line: leak, first alert, first visible failure, suspension, death or removal. */
function leakLine(g: Summary['grayFailures'][number]): string {
  const at = (label: string, t: number | null) => (t === null ? [] : [`${label} ${formatSeconds(t)}`]);
  const steps = [
    ...at('leak from', g.leakStartedAt),
    ...at('first alert', g.alertAt),
    ...at('first 503', g.firstClientFailureAt),
    ...at('suspended', g.firstSuspendedAt),
    ...at('removed from service', g.removedAt),
    ...at('OUT OF MEMORY', g.diedAt),
  ];
  const flapping = g.suspensions > 1 ? ` (suspended ${g.suspensions} times)` : '';
  const l4 = g.diedAt !== null && g.l4BlindUntilDeath ? '; an L4 check saw nothing until the death' : '';
  return `  leak on ${g.server}: ${steps.length === 0 ? 'nothing happened within the run' : steps.join(' · ')}${flapping}${l4}`;
}
