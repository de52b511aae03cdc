// Gate assertions: the `assert:` lines of a scenario file, e.g.
//
//   recovery.full <= 20m
//   lookup.peakLoad <= 0.8 * capacity for ci-upper
//   sessions.imbalance <= 1.1 after 30m
//
// One module holds the grammar (tokenizer + recursive-descent parser that
// keeps the column of every token), the catalogue of metrics and scenario
// parameters (name, unit, description, how it is read), and the evaluation
// of an assertion over one or more runs. docs/gate.md and the validation
// messages are derived from the catalogues here; see docs/gate.md for the
// grammar in EBNF.
//
// Units are checked like physical dimensions: every value is a power of
// seconds (duration s¹, rate s⁻¹, ratio and count s⁰), `*` and `/` add and
// subtract powers, `+`, `-` and comparisons need equal ones. So
// `recovery.full <= 20` is an error (20 what?), and `lookup.peakLoad <= 0.8 *
// capacity` is a rate compared with a rate.

import type { RunResult, Summary } from '../result.ts';
import { closest } from '../scenario/schema.ts';
import { formatDuration, tryParseDuration, tryParseRate } from '../scenario/units.ts';

// ---------------------------------------------------------------------------
// Units

export type Unit = 'duration' | 'rate' | 'ratio' | 'count';

/** Power of seconds of each unit. */
const POWER: Record<Unit, number> = { duration: 1, rate: -1, ratio: 0, count: 0 };

function describePower(power: number): string {
  if (power === 1) return 'a duration';
  if (power === -1) return 'a rate (per second)';
  if (power === 0) return 'a plain number';
  return `a quantity in s^${power}`;
}

// ---------------------------------------------------------------------------
// The metric catalogue

/** What a metric is read from: the summary, plus the series for windowed (`after T`) forms. */
export interface RunLike {
  summary: Summary;
  series?: RunResult['series'];
}

export interface MetricDef {
  name: string;
  unit: Unit;
  /** One line for docs/gate.md and `--help`. */
  doc: string;
  /** Where it comes from in result.json, and what a missing value means. */
  source: string;
  /** The value, or null when the run has none (the assertion then fails, saying so). */
  read(summary: Summary): number | null;
  /** Only meaningful in a scenario with a fault (recovery is measured from the first fault). */
  needsFault?: boolean;
  /** Metrics that are statistics of one distribution share one row of the docs table. */
  family?: { name: string; doc: string; source: string };
  /** `METRIC ... after T`: the value over the samples taken at or after T (the worst of them). */
  window?: { doc: string; read(series: RunResult['series'], summary: Summary, from: number): number | null };
}

/** Recovery times: null means "not back by the end of the run", which no upper limit accepts. */
const notReached = (x: number | null) => (x === null ? Infinity : x);
/** A quantile of a sample that is empty when nothing happened (nobody disconnected): 0. */
const orZero = (x: number | null) => x ?? 0;

const DISTRIBUTIONS = [
  ['reconnectTime', 'duration', 'time from the first fault\'s start until a client the incident disconnected had a session again', 'summary.reconnectTime'],
  ['downtime', 'duration', 'time from losing the session to having one again, per client the incident disconnected', 'summary.downtime'],
  ['attemptsToReconnect', 'count', 'attempts (lookups and connects) a client the incident disconnected made before it was back', 'summary.attemptsToReconnect'],
  ['attemptsPerClient', 'count', 'attempts per client over the whole run', 'summary.attemptsPerClient'],
] as const;
const STATISTICS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;

/** The first sample index at or after `from` seconds (time.length when there is none). */
function firstSample(time: readonly number[], from: number): number {
  let k = 0;
  while (k < time.length && time[k] < from) k++;
  return k;
}

function maxFrom(rows: readonly (readonly number[])[], from: number): number | null {
  let best: number | null = null;
  for (const row of rows) for (let k = from; k < row.length; k++) if (best === null || row[k] > best) best = row[k];
  return best;
}

/** Max/mean and CV of the sessions per server at sample k, over the servers holding any session then. */
function spreadAt(byServer: readonly (readonly number[])[], k: number): { maxOverMean: number; cv: number } | null {
  const sessions = byServer.map((row) => row[k]).filter((x) => x > 0);
  if (sessions.length === 0) return null;
  const mean = sessions.reduce((a, b) => a + b, 0) / sessions.length;
  const variance = sessions.reduce((a, b) => a + (b - mean) ** 2, 0) / sessions.length;
  return { maxOverMean: Math.max(...sessions) / mean, cv: Math.sqrt(variance) / mean };
}

function worstSpread(series: RunResult['series'], from: number, pick: 'maxOverMean' | 'cv'): number | null {
  const rows = Object.values(series.sessionsByServer);
  let worst: number | null = null;
  for (let k = firstSample(series.time, from); k < series.time.length; k++) {
    const spread = spreadAt(rows, k);
    if (spread !== null && (worst === null || spread[pick] > worst)) worst = spread[pick];
  }
  return worst;
}

const SPREAD_WINDOW =
  'the worst value over the samples at or after T, each taken over the servers that hold a session at that sample ' +
  '(series.sessionsByServer; a crashed server holds none and is left out)';

export const METRICS: readonly MetricDef[] = [
  {
    name: 'recovery.p99',
    unit: 'duration',
    doc: 'time from the first fault\'s start until sessions were back at 99 % of the pre-fault count for good',
    source: 'summary.recovery.p99; not reached by the end of the run = ∞',
    read: (s) => notReached(s.recovery.p99),
    needsFault: true,
  },
  {
    name: 'recovery.p999',
    unit: 'duration',
    doc: 'the same for 99.9 % of the pre-fault sessions',
    source: 'summary.recovery.p999; not reached = ∞',
    read: (s) => notReached(s.recovery.p999),
    needsFault: true,
  },
  {
    name: 'recovery.full',
    unit: 'duration',
    doc: 'time from the first fault\'s start until the last client the incident disconnected was connected again',
    source: 'summary.recovery.full; some client still without a session at the end = ∞',
    read: (s) => notReached(s.recovery.full),
    needsFault: true,
  },
  ...DISTRIBUTIONS.flatMap(([base, unit, doc, source]) =>
    STATISTICS.map((stat): MetricDef => ({
      name: `${base}.${stat}`,
      unit,
      doc: `${stat === 'mean' ? 'mean' : stat === 'max' ? 'maximum' : `${stat.slice(1, 3)}${stat.length > 3 ? '.9' : ''} % quantile`} of the ${doc}`,
      source: `${source}.${stat}; 0 when the sample is empty`,
      read: (s) => orZero(s[base][stat]),
      family: { name: `${base}.{${STATISTICS.join(',')}}`, doc: `quantiles, maximum and mean of the ${doc}`, source: `${source}.*; 0 when the sample is empty` },
    })),
  ),
  {
    name: 'sessions.atEnd',
    unit: 'count',
    doc: 'real sessions at the end of the run',
    source: 'summary.sessionsAtEnd',
    read: (s) => s.sessionsAtEnd,
  },
  {
    name: 'sessions.disconnected',
    unit: 'count',
    doc: 'clients that lost their session during the incident and failed at least one attempt to get back',
    source: 'summary.disconnectedClients',
    read: (s) => s.disconnectedClients,
  },
  {
    name: 'sessions.notReconnected',
    unit: 'count',
    doc: 'clients the incident disconnected that still have no session at the end of the run',
    source: 'summary.notReconnected',
    read: (s) => s.notReconnected,
  },
  {
    name: 'sessions.imbalance',
    unit: 'ratio',
    doc: 'sessions on the fullest running server over the mean per running server, at the end of the run',
    source: 'summary.imbalance.maxOverMean; no value if no server runs',
    read: (s) => s.imbalance.maxOverMean,
    window: { doc: SPREAD_WINDOW, read: (series, _s, from) => worstSpread(series, from, 'maxOverMean') },
  },
  {
    name: 'sessions.cv',
    unit: 'ratio',
    doc: 'coefficient of variation of the sessions per running server, at the end of the run',
    source: 'summary.imbalance.cv; no value if no server runs',
    read: (s) => s.imbalance.cv,
    window: { doc: SPREAD_WINDOW, read: (series, _s, from) => worstSpread(series, from, 'cv') },
  },
  {
    name: 'lookup.peakLoad',
    unit: 'rate',
    doc: 'highest lookups per second offered to one lookup instance (compare with `capacity`)',
    source: 'summary.lookup.peakOfferedPerSec',
    read: (s) => s.lookup.peakOfferedPerSec,
    window: {
      doc: 'the highest per-instance rate over the samples at or after T (series.lookups.offeredPerSec)',
      read: (series, _s, from) => maxFrom(series.lookups.offeredPerSec, firstSample(series.time, from)) ?? 0,
    },
  },
  {
    name: 'lookup.peakLoadFactor',
    unit: 'ratio',
    doc: 'lookup.peakLoad over the capacity of one instance',
    source: 'summary.lookup.peakLoadFactor; 0 when capacity is unlimited',
    read: (s) => s.lookup.peakLoadFactor ?? 0,
    window: {
      doc: 'the windowed lookup.peakLoad over the capacity of one instance',
      read: (series, s, from) => {
        const capacity = s.lookup.capacityPerInstance;
        const peak = maxFrom(series.lookups.offeredPerSec, firstSample(series.time, from)) ?? 0;
        return capacity === null ? 0 : peak / capacity;
      },
    },
  },
  {
    name: 'lookup.peakQueue',
    unit: 'count',
    doc: 'longest lookup queue on one instance at a sample',
    source: 'summary.lookup.peakQueueLength',
    read: (s) => s.lookup.peakQueueLength,
  },
  {
    name: 'lookup.meanWait',
    unit: 'duration',
    doc: 'mean queue wait of every request that reached an up lookup instance',
    source: 'summary.lookup.meanWait; 0 when no request reached one',
    read: (s) => orZero(s.lookup.meanWait),
  },
  {
    name: 'lookup.peakMeanWait',
    unit: 'duration',
    doc: 'highest per-sample mean queue wait on one instance',
    source: 'summary.lookup.peakMeanWait',
    read: (s) => s.lookup.peakMeanWait,
  },
  {
    name: 'lookup.timedOut',
    unit: 'count',
    doc: 'lookups the client gave up waiting for',
    source: 'summary.lookup.timedOut',
    read: (s) => s.lookup.timedOut,
  },
  {
    name: 'lookup.noServer',
    unit: 'count',
    doc: 'lookups answered "no server, retry after"',
    source: 'summary.lookup.noServer',
    read: (s) => s.lookup.noServer,
  },
  {
    name: 'lookup.rejected',
    unit: 'count',
    doc: 'lookups turned away by admission control',
    source: 'summary.lookup.rejected',
    read: (s) => s.lookup.rejected,
  },
  {
    name: 'lookup.throttled',
    unit: 'count',
    doc: 'lookups rejected on the device by adaptive throttling',
    source: 'summary.lookup.throttled',
    read: (s) => s.lookup.throttled,
  },
  {
    name: 'server.peakAcceptRate',
    unit: 'rate',
    doc: 'highest new sessions per second accepted by one session server (compare with `maxAcceptsPerSec`)',
    source: 'summary.server.peakAcceptsPerSec',
    read: (s) => s.server.peakAcceptsPerSec,
    window: {
      doc: 'the highest per-server rate over the samples at or after T (series.acceptsPerSec)',
      read: (series, _s, from) => maxFrom(Object.values(series.acceptsPerSec), firstSample(series.time, from)) ?? 0,
    },
  },
  {
    name: 'server.peakAcceptFactor',
    unit: 'ratio',
    doc: 'server.peakAcceptRate over maxAcceptsPerSec',
    source: 'summary.server.peakAcceptFactor; 0 when maxAcceptsPerSec is unlimited',
    read: (s) => s.server.peakAcceptFactor ?? 0,
    window: {
      doc: 'the windowed server.peakAcceptRate over maxAcceptsPerSec',
      read: (series, s, from) => {
        const limit = s.server.maxAcceptsPerSec;
        const peak = maxFrom(Object.values(series.acceptsPerSec), firstSample(series.time, from)) ?? 0;
        return limit === null ? 0 : peak / limit;
      },
    },
  },
  {
    name: 'server.crashes',
    unit: 'count',
    doc: 'session-server crashes, injected or from overload',
    source: 'summary.server.crashes',
    read: (s) => s.server.crashes,
  },
  {
    name: 'carrier.peakAttemptRate',
    unit: 'rate',
    doc: 'highest attempts per second sent by all clients into their networks',
    source: 'summary.peakCarrierAttemptsPerSec',
    read: (s) => s.peakCarrierAttemptsPerSec,
    window: {
      doc: 'the highest rate over the samples at or after T (series.carrierAttemptsPerSec)',
      read: (series, _s, from) => maxFrom([series.carrierAttemptsPerSec], firstSample(series.time, from)) ?? 0,
    },
  },
  {
    name: 'carrier.amplification',
    unit: 'ratio',
    doc: 'mean attempts per second over the fault (the carrier outages, else every fault that lasts) over the pre-fault mean: the sustained "100× normal" of docs/model.md §7.5',
    source: 'summary.carrierAmplification; no value without a fault or pre-fault traffic',
    read: (s) => s.carrierAmplification,
    needsFault: true,
  },
  {
    name: 'carrier.peakAmplification',
    unit: 'ratio',
    doc: 'carrier.peakAttemptRate over the pre-fault mean rate (the busiest second, usually the instant sessions drop)',
    source: 'summary.carrierPeakAmplification; no value without a fault or pre-fault traffic',
    read: (s) => s.carrierPeakAmplification,
    needsFault: true,
  },
  {
    name: 'control.suspensions',
    unit: 'count',
    doc: 'servers suspended by the managers\' health checks (a flapping server counts each time)',
    source: 'summary.controlPlane.suspensions',
    read: (s) => s.controlPlane.suspensions,
  },
  {
    name: 'control.failoverTime',
    unit: 'duration',
    doc: 'longest time without a master manager (from its death to a slave taking over); 0 without a failover',
    source: 'summary.controlPlane.failovers; a failover never completed = ∞',
    read: (s) => Math.max(0, ...s.controlPlane.failovers.map((f) => (f.newMasterAt === null ? Infinity : f.newMasterAt - f.masterDiedAt))),
  },
  {
    name: 'control.fallbackTime',
    unit: 'duration',
    doc: 'lookup-instance time spent on round robin because no manager answered, summed over instances',
    source: 'summary.controlPlane.fallbackSeconds',
    read: (s) => s.controlPlane.fallbackSeconds,
  },
  {
    name: 'gray.warningLead',
    unit: 'duration',
    doc: 'how long before the first L7 suspension of a leaking server (or its death) the first detector alerted (the shortest over leaking servers); 0 if none alerted first',
    source: 'summary.grayFailures[].alertAt and .firstSuspendedAt; no value without a leak',
    read: (s) => {
      const leads = s.grayFailures.map((g) => (g.alertAt === null ? 0 : (g.firstSuspendedAt ?? g.diedAt ?? Infinity) - g.alertAt));
      return leads.length === 0 ? null : Math.max(0, Math.min(...leads));
    },
  },
  {
    name: 'gray.leadTime',
    unit: 'duration',
    doc: 'how long before a leaking server\'s first client-visible failure (a 503 in a GC pause, or its death) the first detector alerted (the shortest over leaking servers; 0 if none alerted first, ∞ if no leak ever failed)',
    source: 'summary.grayFailures[].alertAt and .firstClientFailureAt / .diedAt; no value without a leak',
    read: (s) => {
      const leads = s.grayFailures.map((g) => {
        const failure = g.firstClientFailureAt ?? g.diedAt;
        if (failure === null) return Infinity;
        return g.alertAt === null ? 0 : Math.max(0, failure - g.alertAt);
      });
      return leads.length === 0 ? null : Math.min(...leads);
    },
  },
  {
    name: 'gray.falseAlarms',
    unit: 'count',
    doc: 'alerts of the leak detectors on servers that do not leak (each detector counts each server once)',
    source: 'summary.grayDetectors[].falseAlarms, summed; no value without a leak',
    read: (s) => (s.grayFailures.length === 0 ? null : s.grayDetectors.reduce((sum, d) => sum + d.falseAlarms, 0)),
  },
  {
    name: 'gray.deaths',
    unit: 'count',
    doc: 'leaking servers that died out of memory',
    source: 'summary.grayFailures[].diedAt; no value without a leak',
    read: (s) => (s.grayFailures.length === 0 ? null : s.grayFailures.filter((g) => g.diedAt !== null).length),
  },
  {
    name: 'dns.cachedOnRemoved',
    unit: 'count',
    doc: 'with lookup.algorithm dns: the most clients at one sample whose cached address (still valid for them) was a server out of service: removal reaches a client only when its cache expires',
    source: 'summary.dns.peakCachedOnRemoved; no value without dns',
    read: (s) => s.dns?.peakCachedOnRemoved ?? null,
    window: {
      doc: 'the most over the samples at or after T (series.dns.cachedOnRemoved)',
      read: (series, _s, from) => (series.dns === undefined ? null : maxFrom([series.dns.cachedOnRemoved], firstSample(series.time, from)) ?? 0),
    },
  },
  {
    name: 'dns.cachedOnRemovedAtEnd',
    unit: 'count',
    doc: 'with lookup.algorithm dns: clients whose cached address is a server out of service at the end of the run (those that ignore the TTL keep it for good)',
    source: 'summary.dns.cachedOnRemovedAtEnd; no value without dns',
    read: (s) => s.dns?.cachedOnRemovedAtEnd ?? null,
  },
  {
    name: 'l4.peakSessions',
    unit: 'count',
    doc: "with lookup.algorithm l4: the most entries in the switch's session table at one sample, ghosts included",
    source: 'summary.l4.peakSessions; no value without l4',
    read: (s) => s.l4?.peakSessions ?? null,
  },
  {
    name: 'l4.peakGhosts',
    unit: 'count',
    doc: 'with lookup.algorithm l4: the most ghost entries (sessions gone without a FIN or RST, kept until l4.ghostTimeout) at one sample',
    source: 'summary.l4.peakGhosts; no value without l4',
    read: (s) => s.l4?.peakGhosts ?? null,
  },
  {
    name: 'l4.timeAtLimit',
    unit: 'duration',
    doc: "with lookup.algorithm l4: time the switch's session table spent at l4.maxSessions (new connections dropped)",
    source: 'summary.l4.secondsAtLimit; no value without l4',
    read: (s) => s.l4?.secondsAtLimit ?? null,
  },
  {
    name: 'l4.dropped',
    unit: 'count',
    doc: 'with lookup.algorithm l4: connection attempts the switch dropped (setup rate, full table, no server in the VIP)',
    source: 'summary.l4.dropped, summed; no value without l4',
    read: (s) => (s.l4 === undefined ? null : s.l4.dropped.tableFull + s.l4.dropped.setupRate + s.l4.dropped.noServer),
  },
  {
    name: 'l4.sentToLeakingServer',
    unit: 'count',
    doc: 'with lookup.algorithm l4: connections the switch sent to a leaking server failing at least 1 % of requests (its TCP check still passes)',
    source: 'summary.l4.sentToLeakingServer; no value without l4',
    read: (s) => s.l4?.sentToLeakingServer ?? null,
  },
];

const METRIC_BY_NAME = new Map(METRICS.map((m) => [m.name, m]));

export function metricNamed(name: string): MetricDef | undefined {
  return METRIC_BY_NAME.get(name);
}

// ---------------------------------------------------------------------------
// Scenario parameters a limit may name

/** The scenario fields parameters read: satisfied by both the resolved Scenario and the validated document. */
export interface AssertionContext {
  duration: number;
  sampleInterval: number;
  population: { clients: number };
  lookup: { instances: number; capacity: number };
  sessionServer: { maxSessions: number; maxAcceptsPerSec: number; overloadAcceptsPerSec: number };
  regions: ReadonlyArray<{ servers: number }>;
  faults: ReadonlyArray<unknown>;
}

export interface ParameterDef {
  name: string;
  unit: Unit;
  doc: string;
  /** Infinity for an `unlimited` setting. */
  read(s: AssertionContext): number;
}

const totalServers = (s: AssertionContext) => s.regions.reduce((sum, r) => sum + r.servers, 0);

export const PARAMETERS: readonly ParameterDef[] = [
  { name: 'capacity', unit: 'rate', doc: 'lookup.capacity: lookups per second one lookup instance serves', read: (s) => s.lookup.capacity },
  { name: 'instances', unit: 'count', doc: 'lookup.instances: number of lookup instances', read: (s) => s.lookup.instances },
  { name: 'maxSessions', unit: 'count', doc: 'sessionServer.maxSessions: sessions one server holds', read: (s) => s.sessionServer.maxSessions },
  {
    name: 'maxAcceptsPerSec',
    unit: 'rate',
    doc: 'sessionServer.maxAcceptsPerSec: new sessions one server accepts per second',
    read: (s) => s.sessionServer.maxAcceptsPerSec,
  },
  {
    name: 'overloadAcceptsPerSec',
    unit: 'rate',
    doc: 'sessionServer.overloadAcceptsPerSec: attempts per second that, sustained, crash a server',
    read: (s) => s.sessionServer.overloadAcceptsPerSec,
  },
  { name: 'servers', unit: 'count', doc: 'session servers in all regions (spares not counted)', read: totalServers },
  {
    name: 'sessionCapacity',
    unit: 'count',
    doc: 'servers × maxSessions',
    read: (s) => totalServers(s) * s.sessionServer.maxSessions,
  },
  { name: 'clients', unit: 'count', doc: 'population.clients', read: (s) => s.population.clients },
  { name: 'duration', unit: 'duration', doc: 'duration: simulated time of the run', read: (s) => s.duration },
];

const PARAMETER_BY_NAME = new Map(PARAMETERS.map((p) => [p.name, p]));

// ---------------------------------------------------------------------------
// Syntax tree

export type Comparator = '<=' | '<' | '>=' | '>';
/** What an assertion holds for when there are several replications. */
export type Aggregate = 'every' | 'mean' | 'ci-upper' | 'ci-lower';
export const AGGREGATES: readonly Aggregate[] = ['every', 'mean', 'ci-upper', 'ci-lower'];

export type Expr =
  | { kind: 'quantity'; value: number; power: number; text: string; at: number }
  | { kind: 'parameter'; name: string; at: number }
  | { kind: 'negate'; operand: Expr; at: number }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr; at: number };

export interface Assertion {
  /** The text as written; the canonical scenario writes it back unchanged. */
  source: string;
  metric: string;
  comparator: Comparator;
  limit: Expr;
  /** The limit's text as written (`0.8 * capacity`). */
  limitText: string;
  /** `after T`: seconds, or null for the whole run. */
  after: number | null;
  over: Aggregate;
  /** 0-based positions in `source` of the metric, the limit and the `after` duration. */
  at: { metric: number; limit: number; after: number | null };
}

/** A problem in one assertion, at a 0-based character index of its text. */
export class AssertionSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'AssertionSyntaxError';
  }
}

// ---------------------------------------------------------------------------
// Tokenizer

type Token =
  | { type: 'quantity'; value: number; power: number; text: string; at: number; end: number }
  | { type: 'name'; text: string; at: number; end: number }
  | { type: 'op'; text: string; at: number; end: number }
  | { type: 'end'; text: ''; at: number; end: number };

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const UNIT_TAIL = /[A-Za-zµ0-9.]*/y;
const RATE_UNIT = /\/([A-Za-z]+)/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z_][A-Za-z0-9_]*)*/y;
const OPERATORS = ['<=', '>=', '==', '!=', '=<', '=>', '<', '>', '=', '+', '-', '*', '/', '(', ')'];

function sticky(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0] ?? null;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const number = sticky(NUMBER, text, i);
    if (number !== null) {
      tokens.push(quantity(text, i, number));
      i = tokens[tokens.length - 1].end;
      continue;
    }
    const name = sticky(NAME, text, i);
    if (name !== null) {
      tokens.push({ type: 'name', text: name, at: i, end: i + name.length });
      i += name.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new AssertionSyntaxError(`unexpected character ${JSON.stringify(ch)}`, i);
    tokens.push({ type: 'op', text: op, at: i, end: i + op.length });
    i += op.length;
  }
  tokens.push({ type: 'end', text: '', at: text.length, end: text.length });
  return tokens;
}

/** A number at `at`, with what follows it without a space: `%`, a duration unit (`20m`, `1m30s`) or a rate unit (`2000/s`). */
function quantity(text: string, at: number, number: string): Token {
  let end = at + number.length;
  const next = text[end] ?? '';
  if (next === '%') {
    return { type: 'quantity', value: Number(number) / 100, power: 0, text: `${number}%`, at, end: end + 1 };
  }
  const rateUnit = sticky(RATE_UNIT, text, end);
  if (rateUnit !== null) {
    const written = number + rateUnit;
    const perSecond = tryParseRate(written);
    if (typeof perSecond === 'string') throw new AssertionSyntaxError(`bad rate ${JSON.stringify(written)}: ${perSecond}`, end + 1);
    return { type: 'quantity', value: perSecond, power: -1, text: written, at, end: end + rateUnit.length };
  }
  if (/[A-Za-zµ]/.test(next)) {
    const tail = sticky(UNIT_TAIL, text, end) ?? '';
    const written = number + tail;
    const seconds = tryParseDuration(written);
    if (typeof seconds === 'string') throw new AssertionSyntaxError(`bad duration ${JSON.stringify(written)}: ${seconds}`, end);
    end += tail.length;
    return { type: 'quantity', value: seconds, power: 1, text: written, at, end };
  }
  return { type: 'quantity', value: Number(number), power: 0, text: number, at, end };
}

// ---------------------------------------------------------------------------
// Parser

const GRAMMAR_HINT = 'an assertion reads METRIC OP LIMIT [after DURATION] [for every|mean|ci-upper|ci-lower], e.g. "recovery.full <= 20m"';

class Parser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private get token(): Token {
    return this.tokens[this.position];
  }

  /** A method, not `this.token.type === 'end'`: TypeScript would keep that narrowing across advance(). */
  private atEnd(): boolean {
    return this.tokens[this.position].type === 'end';
  }

  private advance(): Token {
    return this.tokens[this.position++];
  }

  private fail(message: string, at = this.token.at): never {
    throw new AssertionSyntaxError(message, at);
  }

  private found(token = this.token): string {
    return token.type === 'end' ? 'the end of the assertion' : JSON.stringify(token.text);
  }

  parse(): Assertion {
    if (this.atEnd()) this.fail(`empty assertion; ${GRAMMAR_HINT}`);
    const metricToken = this.token;
    if (metricToken.type !== 'name') this.fail(`expected a metric name, found ${this.found()}; ${GRAMMAR_HINT}`);
    const metric = metricNamed(metricToken.text);
    if (metric === undefined) this.fail(unknownMetric(metricToken.text));
    this.advance();

    const comparator = this.comparator(metric.name);
    const limitAt = this.token.at;
    const limit = this.sum();
    const limitEnd = this.tokens[this.position - 1].end;
    this.checkPower(metric, limit, limitAt);

    let after: number | null = null;
    let afterAt: number | null = null;
    let over: Aggregate | null = null;
    while (!this.atEnd()) {
      const word = this.token;
      if (word.type === 'name' && word.text === 'after') {
        if (afterAt !== null) this.fail('"after" is given twice');
        this.advance();
        afterAt = this.token.at;
        after = this.afterDuration(metric);
      } else if (word.type === 'name' && word.text === 'for') {
        if (over !== null) this.fail('"for" is given twice');
        this.advance();
        over = this.aggregate();
      } else {
        const hint =
          this.tokens[this.position - 1].type === 'quantity' && word.type === 'name' && word.at === this.tokens[this.position - 1].end + 1
            ? ' (write a number and its unit without a space, e.g. "20m")'
            : '';
        this.fail(`unexpected ${this.found()} after the limit; only "after DURATION" and "for every|mean|ci-upper|ci-lower" may follow${hint}`);
      }
    }
    return {
      source: this.text,
      metric: metric.name,
      comparator,
      limit,
      limitText: this.text.slice(limitAt, limitEnd),
      after,
      over: over ?? 'every',
      at: { metric: metricToken.at, limit: limitAt, after: afterAt },
    };
  }

  private comparator(metric: string): Comparator {
    const token = this.token;
    if (token.type === 'op' && (token.text === '<=' || token.text === '<' || token.text === '>=' || token.text === '>')) {
      this.advance();
      return token.text;
    }
    if (token.type === 'op' && (token.text === '=<' || token.text === '=>')) {
      this.fail(`write ${JSON.stringify(token.text === '=<' ? '<=' : '>=')} instead of ${JSON.stringify(token.text)}`);
    }
    if (token.type === 'op' && (token.text === '=' || token.text === '==' || token.text === '!=')) {
      this.fail(`${JSON.stringify(token.text)} is not supported: simulated metrics are compared with <=, <, >= or >`);
    }
    return this.fail(`expected a comparison (<=, <, >=, >) after ${JSON.stringify(metric)}, found ${this.found()}`);
  }

  // sum = product { ("+" | "-") product }
  private sum(): Expr {
    let left = this.product();
    for (let t = this.token; t.type === 'op' && (t.text === '+' || t.text === '-'); t = this.token) {
      this.advance();
      const right = this.product();
      if (exprPower(left) !== exprPower(right)) {
        this.fail(`cannot ${t.text === '+' ? 'add' : 'subtract'} ${describePower(exprPower(right))} ${t.text === '+' ? 'to' : 'from'} ${describePower(exprPower(left))}`, t.at);
      }
      left = { kind: 'binary', op: t.text, left, right, at: t.at };
    }
    return left;
  }

  // product = unary { ("*" | "/") unary }
  private product(): Expr {
    let left = this.unary();
    for (let t = this.token; t.type === 'op' && (t.text === '*' || t.text === '/'); t = this.token) {
      this.advance();
      left = { kind: 'binary', op: t.text, left, right: this.unary(), at: t.at };
    }
    return left;
  }

  // unary = ["-"] atom
  private unary(): Expr {
    const t = this.token;
    if (t.type === 'op' && t.text === '-') {
      this.advance();
      return { kind: 'negate', operand: this.atom(), at: t.at };
    }
    return this.atom();
  }

  // atom = quantity | parameter | "(" sum ")"
  private atom(): Expr {
    const t = this.token;
    if (t.type === 'quantity') {
      this.advance();
      return { kind: 'quantity', value: t.value, power: t.power, text: t.text, at: t.at };
    }
    if (t.type === 'name') {
      if (!PARAMETER_BY_NAME.has(t.text)) this.fail(unknownParameter(t.text));
      this.advance();
      return { kind: 'parameter', name: t.text, at: t.at };
    }
    if (t.type === 'op' && t.text === '(') {
      this.advance();
      const inner = this.sum();
      if (this.token.type !== 'op' || this.token.text !== ')') this.fail(`expected ")" to close the "(" at column ${t.at + 1}, found ${this.found()}`);
      this.advance();
      return inner;
    }
    return this.fail(`expected a number, a quantity such as "20m" or "2000/s", or a scenario parameter, found ${this.found()}`);
  }

  private afterDuration(metric: MetricDef): number {
    const t = this.token;
    if (t.type !== 'quantity' || t.power !== 1) this.fail(`expected a duration such as "30m" after "after", found ${this.found()}`);
    if (metric.window === undefined) {
      const windowed = METRICS.filter((m) => m.window).map((m) => m.name).join(', ');
      this.fail(`${metric.name} is one figure per run, so "after" does not apply to it; "after" works with ${windowed}`, t.at);
    }
    this.advance();
    return t.value;
  }

  private aggregate(): Aggregate {
    const t = this.token;
    const expected = `expected ${AGGREGATES.join(', ')} after "for"`;
    if (t.type !== 'name') this.fail(`${expected}, found ${this.found()}`);
    const value = AGGREGATES.find((a) => a === t.text);
    if (value === undefined) {
      const hint = t.text === 'all' || t.text === 'each' ? 'every' : closest(t.text, AGGREGATES);
      this.fail(`${expected}, found ${JSON.stringify(t.text)}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`);
    }
    this.advance();
    return value;
  }

  private checkPower(metric: MetricDef, limit: Expr, at: number): void {
    const want = POWER[metric.unit];
    const got = exprPower(limit);
    if (want === got) return;
    const example = metric.unit === 'duration' ? ', e.g. "20m"' : metric.unit === 'rate' ? ', e.g. "2000/s" or "0.8 * capacity"' : '';
    const next = this.token;
    const spaced = got === 0 && limit.kind === 'quantity' && next.type === 'name' && typeof tryParseDuration(`${limit.text}${next.text}`) === 'number';
    const unitHint = spaced
      ? ` (write the number and its unit without a space: "${limit.text}${next.text}")`
      : got === 0 && want !== 0
        ? `: give the limit a unit${example}`
        : '';
    this.fail(`${metric.name} is ${describePower(want)} but the limit is ${describePower(got)}${unitHint}`, at);
  }
}

function exprPower(e: Expr): number {
  switch (e.kind) {
    case 'quantity':
      return e.power;
    case 'parameter':
      return POWER[PARAMETER_BY_NAME.get(e.name)!.unit];
    case 'negate':
      return exprPower(e.operand);
    case 'binary':
      if (e.op === '*') return exprPower(e.left) + exprPower(e.right);
      if (e.op === '/') return exprPower(e.left) - exprPower(e.right);
      return exprPower(e.left);
  }
}

function unknownMetric(name: string): string {
  if (PARAMETER_BY_NAME.has(name)) return `"${name}" is a scenario parameter; an assertion starts with a metric, e.g. "lookup.peakLoad <= 0.8 * ${name}"`;
  const hint = closest(name, METRICS.map((m) => m.name));
  return `unknown metric ${JSON.stringify(name)}${hint === undefined ? ' (the metrics are listed in docs/gate.md)' : ` (did you mean "${hint}"?)`}`;
}

function unknownParameter(name: string): string {
  const names = PARAMETERS.map((p) => p.name);
  if (METRIC_BY_NAME.has(name)) return `a limit may name scenario parameters (${names.join(', ')}), not metrics such as ${JSON.stringify(name)}`;
  if (name.includes('-') && name.split('-').every((part) => PARAMETER_BY_NAME.has(part))) {
    return `unknown parameter ${JSON.stringify(name)}; to subtract, put spaces around "-"`;
  }
  const hint = closest(name, names);
  return `unknown parameter ${JSON.stringify(name)}${hint === undefined ? ` (parameters: ${names.join(', ')})` : ` (did you mean "${hint}"?)`}`;
}

/** Parses one assertion; throws AssertionSyntaxError with the position of the problem. */
export function parseAssertion(text: string): Assertion {
  return new Parser(text, tokenize(text)).parse();
}

// ---------------------------------------------------------------------------
// Checks against a scenario (the loader's cross-field step)

export interface AssertionIssue {
  /** Index of the assertion in the `assert:` list. */
  item: number;
  /** 0-based character index in its text. */
  index: number;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * How to get past an assertion that a change of the scenario (often a
 * `--set`: a shorter run, no faults) made unmeasurable.
 */
function fixHint(item: number): string {
  return `change the assertion (--set 'assert.${item}=...') or run without assertions (--set 'assert=[]')`;
}

/**
 * Parses every assertion and checks it against the scenario it belongs to.
 * Returns the parsed assertions (in order; those with errors left out) and
 * the issues found.
 */
export function checkAssertions(texts: readonly string[], scenario: AssertionContext): { assertions: Assertion[]; issues: AssertionIssue[] } {
  const assertions: Assertion[] = [];
  const issues: AssertionIssue[] = [];
  texts.forEach((text, item) => {
    let assertion: Assertion;
    try {
      assertion = parseAssertion(text);
    } catch (error) {
      if (!(error instanceof AssertionSyntaxError)) throw error;
      issues.push({ item, index: error.index, message: error.message, severity: 'error' });
      return;
    }
    const before = issues.length;
    const metric = metricNamed(assertion.metric)!;
    if (metric.needsFault && scenario.faults.length === 0) {
      issues.push({ item, index: assertion.at.metric, severity: 'error', message: `${metric.name} is measured from the first fault, and this scenario has no faults; ${fixHint(item)}` });
    }
    if (assertion.after !== null) {
      const lastSample = Math.floor(scenario.duration / scenario.sampleInterval) * scenario.sampleInterval;
      if (assertion.after > lastSample) {
        issues.push({
          item,
          index: assertion.at.after!,
          severity: 'error',
          message: `after ${formatDuration(assertion.after)}: the run's last sample is at ${formatDuration(lastSample)}, so nothing is measured after that; lengthen duration, or ${fixHint(item)}`,
        });
      }
    }
    const limit = evaluateLimit(assertion.limit, scenario);
    if (Number.isNaN(limit)) {
      issues.push({ item, index: assertion.at.limit, severity: 'error', message: `the limit ${JSON.stringify(assertion.limitText)} is not a number in this scenario${unlimitedNote(assertion.limit, scenario)}` });
    } else if (!Number.isFinite(limit)) {
      issues.push({
        item,
        index: assertion.at.limit,
        severity: 'warning',
        message: `the limit ${JSON.stringify(assertion.limitText)} is ${limit > 0 ? '' : 'minus '}infinite in this scenario${unlimitedNote(assertion.limit, scenario)}, so this assertion always ${(limit > 0) === (assertion.comparator[0] === '<') ? 'passes' : 'fails'}`,
      });
    }
    if (issues.slice(before).every((issue) => issue.severity !== 'error')) assertions.push(assertion);
  });
  return { assertions, issues };
}

function unlimitedNote(e: Expr, scenario: AssertionContext): string {
  const unlimited = [...new Set(parametersOf(e).filter((name) => PARAMETER_BY_NAME.get(name)!.read(scenario) === Infinity))];
  return unlimited.length === 0 ? '' : ` (${unlimited.join(' and ')} ${unlimited.length > 1 ? 'are' : 'is'} unlimited)`;
}

function parametersOf(e: Expr): string[] {
  switch (e.kind) {
    case 'quantity':
      return [];
    case 'parameter':
      return [e.name];
    case 'negate':
      return parametersOf(e.operand);
    case 'binary':
      return [...parametersOf(e.left), ...parametersOf(e.right)];
  }
}

// ---------------------------------------------------------------------------
// Evaluation

/** The limit in SI units (seconds, per second, plain numbers); Infinity for an unlimited parameter. */
export function evaluateLimit(e: Expr, scenario: AssertionContext): number {
  switch (e.kind) {
    case 'quantity':
      return e.value;
    case 'parameter':
      return PARAMETER_BY_NAME.get(e.name)!.read(scenario);
    case 'negate':
      return -evaluateLimit(e.operand, scenario);
    case 'binary': {
      const a = evaluateLimit(e.left, scenario);
      const b = evaluateLimit(e.right, scenario);
      if (e.op === '+') return a + b;
      if (e.op === '-') return a - b;
      if (e.op === '*') return a * b;
      return a / b;
    }
  }
}

/** Whether an assertion needs the run's series (its `after` window), not just its summary. */
export function needsSeries(a: Assertion): boolean {
  return a.after !== null;
}

/** The metric's value in one run. */
export function measure(a: Assertion, run: RunLike): number | null {
  const metric = metricNamed(a.metric)!;
  if (a.after === null) return metric.read(run.summary);
  if (run.series === undefined) throw new Error(`${a.source}: "after" needs the run's series, which this run result does not carry`);
  return metric.window!.read(run.series, run.summary, a.after);
}

export function compare(value: number, comparator: Comparator, limit: number): boolean {
  switch (comparator) {
    case '<=':
      return value <= limit;
    case '<':
      return value < limit;
    case '>=':
      return value >= limit;
    case '>':
      return value > limit;
  }
}

/** A 95 % Student-t interval of the mean, as sim/batch/stats.ts computes it. */
export type Interval = (sample: readonly number[]) => [number, number] | null;

export interface Judgement {
  passed: boolean;
  /** The value compared with the limit (the worst run for `every`); null if there is none. */
  compared: number | null;
  /** Indices of the runs that fail on their own (for `every`), or that have no value. */
  failingRuns: number[];
  /** What `compared` is, for tables: "worst of 5 runs", "mean of 5 runs", ... ("" for one run). */
  basis: string;
  /** Why it failed without a comparison (no value), or "". */
  note: string;
}

/**
 * The verdict over the runs' values. With one run every aggregate but the CI
 * bounds is that run's value; the CI bounds need two runs (the gate refuses
 * them earlier with fewer replications).
 */
export function judge(a: Assertion, limit: number, values: readonly (number | null)[], interval: Interval): Judgement {
  const n = values.length;
  const missing = values.flatMap((v, i) => (v === null ? [i] : []));
  const present = values.filter((v): v is number => v !== null);
  const runs = n === 1 ? '' : `of ${n} runs`;
  if (a.over === 'every') {
    const failingRuns = values.flatMap((v, i) => (v === null || !compare(v, a.comparator, limit) ? [i] : []));
    const upper = a.comparator[0] === '<';
    const worst = present.length === 0 ? null : upper ? Math.max(...present) : Math.min(...present);
    const note = missing.length === 0 ? '' : `no value in ${missing.length === n ? (n === 1 ? 'the run' : 'any run') : `${missing.length} ${runs}`}`;
    return { passed: failingRuns.length === 0, compared: worst, failingRuns, basis: n === 1 ? '' : `worst ${runs}`, note };
  }
  if (missing.length > 0) {
    return { passed: false, compared: null, failingRuns: missing, basis: `${a.over} ${runs}`.trim(), note: `no value in ${missing.length} ${runs || 'run'}` };
  }
  let compared: number;
  if (a.over === 'mean') {
    compared = present.reduce((sum, v) => sum + v, 0) / n;
  } else if (present.some((v) => !Number.isFinite(v))) {
    // A run that never recovered makes the mean, and both ends of its interval, infinite.
    compared = present.reduce((sum, v) => sum + v, 0) / n;
  } else {
    const ci = interval(present);
    if (ci === null) {
      return { passed: false, compared: null, failingRuns: [], basis: `${a.over} ${runs}`.trim(), note: 'a confidence interval needs at least 2 runs' };
    }
    compared = a.over === 'ci-upper' ? ci[1] : ci[0];
  }
  const basis = a.over === 'mean' ? `mean ${runs}` : `95 % CI ${a.over === 'ci-upper' ? 'upper' : 'lower'} bound ${runs}`;
  return { passed: compare(compared, a.comparator, limit), compared, failingRuns: [], basis: basis.trim(), note: '' };
}

// ---------------------------------------------------------------------------
// Formatting

/** Six significant digits, no exponent for ordinary magnitudes, no trailing zeros. */
export function formatNumber(x: number): string {
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(6)));
}

/** A value of the given unit, readably: `1046.3 s (17.4 min)`, `16000/s`, `1.00052`. */
export function formatQuantity(x: number | null, unit: Unit, infinite = 'unlimited'): string {
  if (x === null) return 'no value';
  if (!Number.isFinite(x)) return x > 0 ? infinite : `-${infinite}`;
  switch (unit) {
    case 'duration':
      if (Math.abs(x) >= 2 * 86_400) return `${formatNumber(x)} s (${(x / 86_400).toFixed(2)} d)`;
      if (Math.abs(x) >= 7200) return `${formatNumber(x)} s (${(x / 3600).toFixed(1)} h)`;
      if (Math.abs(x) >= 120) return `${formatNumber(x)} s (${(x / 60).toFixed(1)} min)`;
      if (x !== 0 && Math.abs(x) < 1) return `${formatNumber(x * 1000)} ms`;
      return `${formatNumber(x)} s`;
    case 'rate':
      return `${formatNumber(x)}/s`;
    case 'ratio':
    case 'count':
      return formatNumber(x);
  }
}

/** How a measured value of this metric reads (recovery never reached reads "not reached"). */
export function formatMeasured(a: Assertion, x: number | null): string {
  const metric = metricNamed(a.metric)!;
  return formatQuantity(x, metric.unit, metric.needsFault && metric.unit === 'duration' ? 'not reached' : '∞');
}

export function formatLimit(a: Assertion, limit: number): string {
  return formatQuantity(limit, metricNamed(a.metric)!.unit);
}

// ---------------------------------------------------------------------------
// Documentation tables (docs/gate.md embeds these; a test keeps them in sync)

const UNIT_TEXT: Record<Unit, string> = { duration: 'duration', rate: 'rate (/s)', ratio: 'ratio', count: 'count' };

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

export function metricTableMarkdown(): string {
  const families = new Set<string>();
  const rows = METRICS.flatMap((m) => {
    if (m.family !== undefined) {
      if (families.has(m.family.name)) return [];
      families.add(m.family.name);
      return [`| \`${m.family.name}\` | ${UNIT_TEXT[m.unit]} | ${cell(m.family.doc)} | ${cell(m.family.source)} | no |`];
    }
    const window = m.window ? `yes: ${m.window.doc}` : 'no';
    return [`| \`${m.name}\` | ${UNIT_TEXT[m.unit]} | ${cell(m.doc)} | ${cell(m.source)}${m.needsFault ? ' (needs a fault)' : ''} | ${cell(window)} |`];
  });
  return ['| metric | unit | what it is | read from `result.json` | `after T` |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export function parameterTableMarkdown(): string {
  const rows = PARAMETERS.map((p) => `| \`${p.name}\` | ${UNIT_TEXT[p.unit]} | ${cell(p.doc)} |`);
  return ['| parameter | unit | value |', '| --- | --- | --- |', ...rows].join('\n');
}
