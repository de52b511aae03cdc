// The series of a compare or sweep, one line per variant (compare) or grid
// point (sweep), each the mean over its replications: connected sessions,
// carrier attempts, and each server's accepts, with the scenario's faults
// shaded and the servers' deaths marked. Built from what the jobs shipped
// back (protocol.ts CompactSeries) in job order, so the specs are a pure
// function of plan and outcomes like every other output.
import { meanSeries } from './aggregate.ts';
import { acceptsSpec, overlaySpec, type CrashMark, type FaultMark, type OverlayLine } from './charts.ts';
import { jsonFile } from './format.ts';
import type { BatchPlan, Job } from './jobs.ts';
import type { OutputFile } from './outputs.ts';
import type { CompactSeries, JobOutcome } from './protocol.ts';

/** Servers drawn in the accepts chart, at most: the busiest ones (more lines than this are a tangle). */
const MAX_SERVERS = 10;
/** Accept panels, at most: one per variant or grid point, a sweep of 40 points draws its 12 busiest. */
const MAX_PANELS = 12;

interface VariantRuns {
  connected: number[][];
  attempts: number[][];
  accepts: Map<string, number[][]>;
  crashes: Map<string, CrashMark>;
  faults: Map<string, FaultMark>;
  acceptLimit: number | null;
}

export function overlayCharts(plan: BatchPlan, jobs: readonly Job[], outcomes: readonly JobOutcome[]): OutputFile[] {
  const runs: VariantRuns[] = plan.variants.map(() => ({ connected: [], attempts: [], accepts: new Map(), crashes: new Map(), faults: new Map(), acceptLimit: null }));
  let time: number[] = [];
  let acceptBin = 1;
  const faults = new Map<string, FaultMark>();
  outcomes.forEach((outcome, jobIndex) => {
    if (!outcome.ok || outcome.result.series === null) return;
    const variant = plan.variants[jobs[jobIndex].variant];
    const mine = runs[variant.id];
    const series: CompactSeries = outcome.result.series;
    mine.connected.push(series.connected);
    mine.attempts.push(series.carrierAttemptsPerSec);
    mine.acceptLimit ??= outcome.result.summary.server.maxAcceptsPerSec;
    if (series.time.length > time.length) time = series.time;
    if (series.accepts !== undefined) {
      acceptBin = series.accepts.bin;
      for (const [server, values] of Object.entries(series.accepts.byServer)) {
        mine.accepts.set(server, [...(mine.accepts.get(server) ?? []), values]);
      }
    }
    for (const crash of series.crashes ?? []) {
      const key = `${crash.time}\u0000${crash.server}`;
      const mark = mine.crashes.get(key) ?? { time: crash.time, server: crash.server, variant: variant.label, runs: 0 };
      mark.runs++;
      mine.crashes.set(key, mark);
    }
    // Compare variants share their faults; a sweep may move them: every distinct window is shaded once.
    for (const f of series.faults ?? []) {
      const key = JSON.stringify([f.start, f.end, f.label]);
      faults.set(key, { start: f.start, end: f.end, label: f.label });
      mine.faults.set(key, { start: f.start, end: f.end, label: f.label });
    }
  });
  const context = {
    time,
    faults: [...faults.values()],
    crashes: runs.flatMap((r) => [...r.crashes.values()]),
    replications: plan.replications,
  };
  const lines = (pick: (r: VariantRuns) => number[][]): OverlayLine[] =>
    plan.variants.map((v) => ({ label: v.label, values: meanSeries(pick(runs[v.id])) }));
  const what = plan.kind === 'sweep' ? 'grid point' : 'variant';
  const files: OutputFile[] = [
    {
      path: 'charts/connected.vl.json',
      content: jsonFile(overlaySpec({ ...context, title: 'Connected sessions', what, yTitle: 'connected sessions', lines: lines((r) => r.connected) })),
    },
  ];
  files.push({
    path: 'charts/carrier-attempts.vl.json',
    content: jsonFile(overlaySpec({ ...context, title: 'Carrier attempts per second', what, yTitle: 'attempts/s', lines: lines((r) => r.attempts) })),
  });
  const servers = busiest(runs);
  if (servers.total > 0) {
    const shown = busiestVariants(plan, runs);
    const panels = shown.map((v) => ({
      label: v.label,
      servers: servers.shown.map((server) => ({ server, values: meanSeries(runs[v.id].accepts.get(server) ?? []) })),
      faults: [...runs[v.id].faults.values()],
    }));
    const limit = runs.find((r) => r.acceptLimit !== null)?.acceptLimit ?? null;
    const crashes = context.crashes.filter((c) => shown.some((v) => v.label === c.variant));
    files.push({
      path: 'charts/accepts.vl.json',
      content: jsonFile(acceptsSpec({ ...context, crashes, panels, bin: acceptBin, limit, shownOf: servers.total, what, panelsOf: plan.variants.length })),
    });
  }
  return files;
}

/**
 * The variants (grid points) that get an accepts panel: all of them up to
 * MAX_PANELS, beyond that the ones whose busiest server peaks highest (a big
 * sweep's herd is what the chart is for), in the plan's order.
 */
function busiestVariants(plan: BatchPlan, runs: readonly VariantRuns[]) {
  if (plan.variants.length <= MAX_PANELS) return plan.variants;
  const peak = (id: number) => Math.max(0, ...[...runs[id].accepts.values()].map((v) => Math.max(0, ...meanSeries(v))));
  const chosen = new Set([...plan.variants].sort((a, b) => peak(b.id) - peak(a.id) || a.id - b.id).slice(0, MAX_PANELS).map((v) => v.id));
  return plan.variants.filter((v) => chosen.has(v.id));
}

/** The servers with the highest peak of mean accepts in any variant, at most MAX_SERVERS, in name order of the scenario. */
function busiest(runs: readonly VariantRuns[]): { shown: string[]; total: number } {
  const peak = new Map<string, number>();
  for (const r of runs) {
    for (const [server, values] of r.accepts) peak.set(server, Math.max(peak.get(server) ?? 0, ...meanSeries(values)));
  }
  const names = [...peak.keys()];
  // Busiest first, ties by name order (stable sort), then the chosen ones back in the scenario's order.
  const chosen = new Set([...names].sort((a, b) => peak.get(b)! - peak.get(a)!).slice(0, MAX_SERVERS));
  return { shown: names.filter((n) => chosen.has(n)), total: names.length };
}
