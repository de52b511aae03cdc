// index.html of a live run (`stampede load`, docs/live.md): the verdict of live against simulated
// first, then both connected-session curves overlaid (faults shaded), both reconnect-time CDFs
// overlaid, what the clients sent and got per second, what was measured on the wire, and the
// fault log. Self-contained and offline like a run's report (reports/lib/html.ts: the same page
// head, styles and vega-lite rendering); a pure function of result.json.
import type { LiveResult } from './load-run.ts';
import { chartScripts, chartSection, escapeHtml, PAGE_CSS, pageHead, chartLibraries } from '../reports/lib/html.ts';
import { BATCH_CONFIG, faultLayers, type FaultMark } from '../sim/batch/charts.ts';
import { tryParseDuration } from '../sim/scenario/units.ts';
import { formatInteger } from '../sim/format-integer.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Longer curves are averaged in equal bins (a page stays light). */
const MAX_POINTS = 1500;
const LIVE = '#0b57d0';
const SIMULATED = '#e8710a';

type Spec = Record<string, unknown>;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

function binned(time: readonly number[], values: readonly number[]): { t: number; v: number }[] {
  const n = Math.min(time.length, values.length);
  const bin = Math.max(1, Math.ceil(n / MAX_POINTS));
  const rows: { t: number; v: number }[] = [];
  for (let k = 0; k < n; k += bin) {
    let sum = 0;
    let count = 0;
    for (let j = k; j < Math.min(n, k + bin); j++) {
      sum += values[j];
      count++;
    }
    rows.push({ t: round(time[k]), v: round(sum / count, 2) });
  }
  return rows;
}

/** Fault windows from the scaled scenario (a fault without a length: a 0-width mark at its start). */
function faultWindows(r: LiveResult): FaultMark[] {
  const faults = (r.scenario.faults ?? []) as Record<string, unknown>[];
  // The canonical scenario writes durations as text ('1m30s'): read back with the scenario loader's own parser.
  const seconds = (v: unknown): number | null => {
    if (typeof v === 'number') return v;
    if (typeof v !== 'string') return null;
    const parsed = tryParseDuration(v);
    return typeof parsed === 'number' ? parsed : null;
  };
  return faults.flatMap((f) => {
    const at = seconds(f.at);
    if (at === null) return [];
    const length = seconds(f.duration) ?? seconds(f.restartAfter) ?? 0;
    // A fault without a length (a crash never restarted) gets a sliver, so that it shows.
    const sliver = (r.series.time[r.series.time.length - 1] ?? 1) / 300;
    return [{ start: at, end: at + Math.max(length, sliver), label: `${String(f.kind)}${f.mode === undefined ? '' : ` (${String(f.mode)})`}` }];
  });
}

const sideColor = { field: 'side', type: 'nominal', title: null, scale: { domain: ['live', 'simulated'], range: [LIVE, SIMULATED] }, legend: { orient: 'bottom', direction: 'horizontal' } };
const sideDash = { field: 'side', type: 'nominal', title: null, scale: { domain: ['live', 'simulated'], range: [[1, 0], [7, 3]] } };

/** A chart of per-sample lines over the run's time, the faults shaded behind them. */
function overTime(r: LiveResult, title: { text: string; subtitle: string }, height: number, rows: Record<string, unknown>[],
  y: { title: string; zero: boolean }, series: { field: string; color: Spec; dash?: Spec; width: number }): Spec {
  const encoding: Spec = {
    x: { field: 't', type: 'quantitative', title: "time since the run's start (s, scaled)" },
    y: { field: 'v', type: 'quantitative', title: y.title, ...(y.zero ? {} : { scale: { zero: false } }) },
    color: series.color,
    ...(series.dash === undefined ? {} : { strokeDash: series.dash }),
    tooltip: [{ field: series.field, type: 'nominal' }, { field: 't', type: 'quantitative', title: 's' }, { field: 'v', type: 'quantitative', title: y.title }],
  };
  return {
    $schema: SCHEMA,
    title,
    width: 860,
    height,
    config: BATCH_CONFIG,
    layer: [...faultLayers(faultWindows(r), 1), { data: { values: rows }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: series.width }, encoding }],
  };
}

export function connectedSpec(r: LiveResult): Spec {
  const time = r.series.time;
  const rows = [
    ...binned(time, r.series.connected).map((p) => ({ ...p, side: 'live' })),
    ...(r.simulated === null ? [] : binned(time, r.simulated.connected).map((p) => ({ ...p, side: 'simulated' }))),
  ];
  const gap = r.comparison?.curveGap;
  const subtitle = gap === undefined ? 'faults shaded' : `faults shaded; largest gap ${(gap.max * 100).toFixed(1)} % of clients, mean ${(gap.mean * 100).toFixed(2)} %`;
  return overTime(r, { text: 'Connected sessions, live and simulated', subtitle }, 300, rows, { title: 'connected sessions', zero: false },
    { field: 'side', color: sideColor, dash: sideDash, width: 2 });
}

export function cdfSpec(r: LiveResult): Spec {
  const rows = [
    ...r.distributions.reconnectTimeCdf.map((p) => ({ p: p.p, s: round(p.seconds), side: 'live' })),
    ...(r.simulated === null ? [] : r.simulated.reconnectTimeCdf.map((p) => ({ p: p.p, s: round(p.seconds), side: 'simulated' }))),
  ];
  return {
    $schema: SCHEMA,
    title: { text: 'Reconnect time of the clients the incident disconnected', subtitle: 'seconds from the first fault\'s start until each was connected again (CDF)' },
    width: 860,
    height: 280,
    config: BATCH_CONFIG,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 's', type: 'quantitative', title: 'seconds after the incident start (scaled)' },
      y: { field: 'p', type: 'quantitative', title: 'share of the disconnected clients back', axis: { format: '%' }, scale: { domain: [0, 1] } },
      color: sideColor,
      strokeDash: sideDash,
      tooltip: [{ field: 'side', type: 'nominal' }, { field: 'p', type: 'quantitative', format: '.1%' }, { field: 's', type: 'quantitative', title: 's' }],
    },
  };
}

export function trafficSpec(r: LiveResult): Spec {
  const names: [keyof LiveResult['series'], string][] = [['lookupsSent', 'lookups sent'], ['lookupsAnswered', 'lookups answered'], ['lookupsTimedOut', 'lookups timed out'],
    ['lookupsRefused', 'lookups refused'], ['connectAttempts', 'connect attempts'], ['accepts', 'sessions accepted'], ['connectsTimedOut', 'connects timed out']];
  const rows = names.flatMap(([name, label]) => (Array.isArray(r.series[name]) ? binned(r.series.time, r.series[name] as number[]).map((p) => ({ ...p, what: label })) : []));
  return overTime(r, { text: 'What the live clients sent and got, per second', subtitle: 'faults shaded' }, 260, rows, { title: 'per second', zero: true },
    { field: 'what', color: { field: 'what', type: 'nominal', title: null, sort: names.map((n) => n[1]), legend: { orient: 'bottom', columns: 4 } }, width: 1.6 });
}

const LIVE_CSS = `
.box { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 20px 12px; margin-bottom: 16px; overflow-x: auto; }
.box h2 { font-size: 17px; margin: 12px 0 8px; }
.box table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.box th, .box td { border-bottom: 1px solid var(--line); padding: 4px 16px 4px 0; text-align: left; white-space: nowrap; }
.box td.num { text-align: right; }
.box td.ok { color: var(--ok); font-weight: 600; } .box td.fail { color: var(--fail); font-weight: 700; }
.live-verdict { border-left: 6px solid var(--none); } .live-verdict.ok { border-left-color: var(--ok); background: var(--ok-bg); } .live-verdict.fail { border-left-color: var(--fail); background: var(--fail-bg); } .live-verdict.partial { border-left-color: var(--warn); background: var(--warn-bg); }
.live-verdict .word { font-size: 22px; font-weight: 800; margin-right: 8px; }
main { max-width: 1000px; margin: 0 auto; padding: 16px; }
.charts { display: grid; gap: 16px; margin-bottom: 16px; }
`;

const secs = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)} s`);
const msOf = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(x * 1000).toFixed(1)} ms`);

export function liveReportHtml(r: LiveResult): string {
  const name = String(r.scenario.name ?? 'live run');
  const c = r.comparison;
  const level = r.partial !== undefined ? 'partial' : c === null ? 'none' : c.pass ? 'ok' : 'fail';
  const word = r.partial !== undefined ? 'PARTIAL' : c === null ? 'NO COMPARISON' : c.pass ? 'AGREE' : 'DIFFER';
  const text = r.partial !== undefined ? `stopped: ${r.partial.reason}` : c === null ? '' : c.pass ? 'live and simulated recovery agree within the stated tolerances' : (c.explanation ?? '');
  const checks = c === null ? '' : `<table><tr><th>reconnect time</th><th>live</th><th>simulated</th><th>gap</th><th>tolerance</th><th></th></tr>${c.checks.map((k) =>
    `<tr><td>${k.quantity}</td><td class="num">${secs(k.live)}</td><td class="num">${secs(k.simulated)}</td><td class="num">${k.relativeGap === null ? 'n/a' : `${(k.relativeGap * 100).toFixed(1)} %`}</td><td class="num">±${(k.tolerance * 100).toFixed(0)} %</td><td class="${k.pass ? 'ok' : 'fail'}">${k.pass ? 'ok' : 'FAIL'}</td></tr>`).join('')}</table>`;
  const m = r.measured;
  const measured = [
    ['connect latency (TCP + hello)', `mean ${msOf(m.connectLatency.mean)}, p99 ${msOf(m.connectLatency.p99)}`, `rtt ${msOf(m.connectLatency.assumed)}`],
    ['lookup round trip', `mean ${msOf(m.lookupLatency.mean)}, p99 ${msOf(m.lookupLatency.p99)}`, msOf(m.lookupLatency.assumed)],
    ['timer lateness of the load generator', `mean ${msOf(m.timerLateness.mean)}, p99 ${msOf(m.timerLateness.p99)}`, '0'],
    ['server restart (spawn to accepting)', secs(m.serverRestart.mean), `startupTime ${secs(m.serverRestart.assumed)}`],
    ...(m.timeouts === undefined ? [] : [['connects timed out', String(m.timeouts.connects), `connectTimeout ${msOf(m.timeouts.connectTimeout)}`],
      ['lookups timed out with every lookup up', String(m.timeouts.lookupsOutsideOutages), `requestTimeout ${msOf(m.timeouts.requestTimeout)}`]]),
    ['sessions lost to a keepalive', String(m.keepaliveLosses), m.keepalivePings === false ? 'pings off (no fault needs them)' : ''],
    ['warm-up', `${m.warmupConnectsPerSec.toFixed(0)} connects/s (${m.warmupSeconds.toFixed(1)} s)`, ''],
    ['during the run', m.runConnectsPerSec === undefined ? 'n/a' : `${m.runConnectsPerSec.mean.toFixed(0)} connects/s, busiest second ${m.runConnectsPerSec.peak.toFixed(0)}`, ''],
    ['peak connected sessions', String(m.peakConnectedSessions), ''],
  ];
  const charts = [
    { id: 'connected', title: 'Connected sessions', caption: '', wide: true, spec: connectedSpec(r) },
    ...(r.distributions.reconnectTimeCdf.length > 0 || (r.simulated?.reconnectTimeCdf.length ?? 0) > 0 ? [{ id: 'cdf', title: 'Reconnect-time CDF', caption: '', wide: true, spec: cdfSpec(r) }] : []),
    { id: 'traffic', title: 'Client traffic', caption: '', wide: true, spec: trafficSpec(r) },
  ];
  const faultLog = r.faultLog.length === 0 && r.skippedFaults.length === 0 ? '' : `<section class="box"><h2>Faults as executed</h2><table>${r.faultLog.map((f) =>
    `<tr><td class="num">${f.time.toFixed(2)} s</td><td>${escapeHtml(f.action)}${f.output ? `<pre>${escapeHtml(f.output)}</pre>` : ''}</td></tr>`).join('')}${r.skippedFaults.map((f) => `<tr><td></td><td>not executed: ${escapeHtml(f)}</td></tr>`).join('')}</table></section>`;
  const adjusted = Object.entries(r.adjusted ?? {});
  return `${pageHead(r.stampede.version, `${name} · live`, PAGE_CSS + LIVE_CSS)}
<body>
<main>
<section class="box live-verdict ${level}" data-level="${level}"><h2>${escapeHtml(name)} · live against simulated</h2>
<p><span class="word">${word}</span> ${escapeHtml(text)}</p>
<p>${formatInteger(r.clients)} real clients · time scale ${r.timeScale} · target ${escapeHtml(r.target)} · disconnected by the incident: live ${r.summary.disconnectedClients}, simulated ${r.simulated?.summary.disconnectedClients ?? 'n/a'}${adjusted.length === 0 ? '' : ` · floors applied to both: ${adjusted.map(([k, [a, b]]) => `${escapeHtml(k)} ${a.toFixed(3)} → ${b} s`).join(', ')}`}</p>
${checks}</section>
<div class="charts">
${charts.map((chart) => chartSection(chart)).join('\n')}
</div>
<section class="box"><h2>Measured on the wire</h2><table><tr><th></th><th>measured</th><th>the model assumes</th></tr>${measured.map(([a, b, x]) => `<tr><td>${escapeHtml(a)}</td><td>${escapeHtml(b)}</td><td>${escapeHtml(x)}</td></tr>`).join('')}</table></section>
${faultLog}
<p class="caption">stampede ${escapeHtml(r.stampede.version)} · charts: ${escapeHtml(chartLibraries())} · data: result.json beside this page</p>
</main>
${chartScripts(charts)}
</body>
</html>
`;
}
