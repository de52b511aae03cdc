// Run reports (reports/lib): chart specs as JSON snapshots, and the properties
// a reader relies on — every chart has data, faults are shaded where they
// happened, recovery marks sit where the summary says, long runs are
// aggregated, a 10M-client 2-hour report stays small, same result → same bytes.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import type { Distribution, RunResult } from '../sim/result.ts';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import { CONFIG, reportCharts, type ChartDef } from '../reports/lib/charts.ts';
import { chartContext, timeScaleFor } from '../reports/lib/context.ts';
import { bucket, bucketFactor, MAX_CELLS, MAX_POINTS, serverGrid } from '../reports/lib/downsample.ts';
import { buildReport, writeReport } from '../reports/lib/index.ts';
import { forExport, pngOf, rasterize, renderSvg, svgOf, svgToPng } from '../reports/lib/render.ts';
import { chartFontsCover } from '../reports/lib/chart-fonts.ts';
import { testTmp } from './support/temp.ts';

// ---------------------------------------------------------------------------
// A synthetic result: shaped like a real run (outage, drain, waves of
// reconnects) from closed-form curves, so it is cheap at any size and does
// not change when the model does.

interface SyntheticShape {
  clients: number;
  durationSec: number;
  regions: { name: string; mcc: number[]; servers: number; share: number }[];
  instances: number;
  faultAt: number;
  faultFor: number;
  events?: boolean;
}

/** Deterministic noise in [0, 1) from an integer (a multiplicative hash). */
function noise(i: number): number {
  return ((Math.imul(i + 1, 2654435761) >>> 0) % 10007) / 10007;
}

function dist(scale: number): Distribution {
  return { count: 1000, mean: 0.8 * scale, p50: 0.7 * scale, p90: 0.9 * scale, p99: 0.97 * scale, p999: 0.99 * scale, max: scale };
}

function syntheticResult(o: SyntheticShape): RunResult {
  const n = o.durationSec + 1;
  const time = Array.from({ length: n }, (_, i) => i);
  const end = o.faultAt + o.faultFor;
  const connectedShare = (t: number) => {
    if (t < o.faultAt) return 1;
    if (t < end) return 1 - 0.15 * ((t - o.faultAt) / o.faultFor);
    return 1 - 0.15 * Math.exp(-(t - end) / 240);
  };
  const connected = time.map((t) => Math.round(o.clients * connectedShare(t)));
  const connectedByRegion: Record<string, number[]> = {};
  const sessionsByServer: Record<string, number[]> = {};
  const acceptsPerSec: Record<string, number[]> = {};
  const connectAttemptsPerSec: Record<string, number[]> = {};
  const servers = o.regions.reduce((sum, r) => sum + r.servers, 0);
  const reconnectRate = (t: number) => (t >= end ? ((0.15 * o.clients) / 240) * Math.exp(-(t - end) / 240) : 0);
  let index = 0;
  for (const region of o.regions) {
    connectedByRegion[region.name] = connected.map((c) => Math.round(c * region.share));
    for (let s = 0; s < region.servers; s++, index++) {
      const k = index;
      const name = `${region.name}-${s}`;
      sessionsByServer[name] = connected.map((c, i) => Math.round(((c * region.share) / region.servers) * (0.98 + 0.04 * noise(k * 7 + Math.floor(i / 60)))));
      acceptsPerSec[name] = time.map((t, i) => Math.round(((reconnectRate(t) + o.clients / 3600) / servers) * (0.5 + noise(k * 131 + i))));
      connectAttemptsPerSec[name] = acceptsPerSec[name].map((a, i) => a + Math.round(noise(k * 17 + i) * 3));
    }
  }
  const inOutage = (t: number) => t >= o.faultAt && t < end;
  const perInstance = (f: (t: number, i: number, k: number) => number) =>
    Array.from({ length: o.instances }, (_, k) => time.map((t, i) => (inOutage(t) ? 0 : f(t, i, k))));
  const offeredPerSec = perInstance((t, i, k) => Math.round(((o.clients / 3600 + reconnectRate(t) * 1.4) / o.instances) * (0.6 + 0.8 * noise(k * 1009 + i))));
  const timedOutPerSec = time.map((t, i) => (inOutage(t) ? Math.round((o.clients * 0.002) * (0.8 + 0.4 * noise(i))) : 0));
  const zeros = time.map(() => 0);
  const scenario: Record<string, unknown> = {
    name: 'synthetic',
    description: `Synthetic ${o.clients} clients, lookups down for ${o.faultFor} s`,
    seed: 7,
    duration: `${o.durationSec}s`,
    sampleInterval: '1s',
    population: {
      clients: o.clients,
      // Unmapped MCCs go to the region named `common`; with no MCC at all, keep the default.
      ...(o.regions.some((r) => r.mcc.length > 0) ? { mcc: Object.fromEntries(o.regions.flatMap((r) => r.mcc.map((m) => [String(m), r.share]))) } : {}),
    },
    lookup: { instances: o.instances, capacity: '20000/s' },
    sessionServer: { maxSessions: Math.ceil((o.clients / servers) * 2), maxAcceptsPerSec: '2000/s', overloadAcceptsPerSec: '5000/s', overloadFor: '10s' },
    regions: o.regions.map((r) => ({ name: r.name, mcc: r.mcc, servers: r.servers })),
    faults: [{ kind: 'lookup-outage', at: `${o.faultAt}s`, duration: `${o.faultFor}s`, instances: 'all', mode: 'blackhole' }],
  };
  const result = {
    stampede: { version: '0.0.0-test', format: 1 },
    seed: 7,
    scenario,
    summary: {
      clients: o.clients,
      events: 123_456,
      incidentStart: o.faultAt,
      preFaultSessions: o.clients,
      sessionsAtEnd: connected[n - 1],
      recovery: { p99: o.faultFor + 240 * Math.log(15), p999: o.faultFor + 240 * Math.log(150), full: null },
      disconnectedClients: Math.round(o.clients * 0.15),
      notReconnected: 12,
      reconnectTime: dist(o.faultFor + 900),
      downtime: dist(o.faultFor + 600),
      attemptsToReconnect: dist(11),
      attemptsPerClient: { ...dist(20), p50: 0 },
      lookup: { capacityPerInstance: 20000, peakOfferedPerSec: 900, peakLoadFactor: 0.045, peakQueueLength: 3, peakMeanWait: 0.001, meanWait: 0.0001, timedOut: 1_000_000, noServer: 0 },
      server: { peakAcceptsPerSec: 800, maxAcceptsPerSec: 2000, peakAcceptFactor: 0.4, crashes: 0 },
      imbalance: { maxOverMean: 1.01, cv: 0.004 },
      peakCarrierAttemptsPerSec: 5000,
      carrierAmplification: 12.5,
    } as RunResult['summary'],
    series: {
      time,
      connected,
      connectedByRegion,
      sessionsByServer,
      clientsByState: {
        connected,
        idleBackoff: connected.map((c) => Math.round((o.clients - c) * 0.97)),
        lookingUp: connected.map((c) => Math.round((o.clients - c) * 0.02)),
        connecting: connected.map((c) => o.clients - c - Math.round((o.clients - c) * 0.97) - Math.round((o.clients - c) * 0.02)),
      },
      carrierAttemptsPerSec: time.map((t, i) => Math.round((o.clients / 3600) * (1 + noise(i)) + reconnectRate(t))),
      lookups: {
        sentPerSec: time.map((_, i) => offeredPerSec.reduce((sum, s) => sum + s[i], 0) + timedOutPerSec[i]),
        answeredPerSec: time.map((_, i) => offeredPerSec.reduce((sum, s) => sum + s[i], 0)),
        noServerPerSec: zeros,
        timedOutPerSec,
        refusedPerSec: zeros,
        rejectedPerSec: zeros,
        throttledPerSec: zeros,
        offeredPerSec,
        servedPerSec: offeredPerSec,
        queueLength: offeredPerSec.map((s) => s.map(() => 0)),
        meanWait: offeredPerSec.map((s) => s.map(() => null)),
      },
      connectAttemptsPerSec,
      acceptsPerSec,
    } as RunResult['series'],
  } as RunResult;
  // Control-plane events, as newer results carry them.
  (result as unknown as { events: unknown[] }).events = o.events
    ? [
        { time: o.faultAt, kind: 'lookup-down', subject: 'all lookups', detail: 'blackhole' },
        { time: end, kind: 'lookup-up', subject: 'all lookups', detail: '' },
        { time: end + 30, kind: 'suspension', subject: `${o.regions[0].name}-0`, detail: 'health check failed 3 times' },
      ]
    : [];
  return result;
}

const SMALL: SyntheticShape = {
  clients: 20_000,
  durationSec: 600,
  regions: [
    { name: 'korea', mcc: [450], servers: 3, share: 0.7 },
    { name: 'common', mcc: [], servers: 2, share: 0.3 },
  ],
  instances: 2,
  faultAt: 60,
  faultFor: 120,
  events: true,
};

// ---------------------------------------------------------------------------
// Helpers over specs

type AnyLayer = { mark?: unknown; data?: { values?: unknown[] }; layer?: AnyLayer[]; name?: string };

function layersOf(spec: TopLevelSpec): AnyLayer[] {
  return 'layer' in spec ? (spec.layer as AnyLayer[]) : [spec as AnyLayer];
}

function markType(layer: AnyLayer): string | undefined {
  const mark = layer.mark;
  return typeof mark === 'string' ? mark : (mark as { type?: string } | undefined)?.type;
}

function chart(charts: ChartDef[], id: string): ChartDef {
  const found = charts.find((c) => c.id === id);
  if (!found) throw new Error(`no chart ${id} among ${charts.map((c) => c.id).join(', ')}`);
  return found;
}

/** The spec with every data array cut to a few entries, so the snapshot shows encodings, not numbers. */
function specShape(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    if (key === 'values') return { rows: value.length, first: value.slice(0, 2).map((v) => specShape(v)) };
    if (value.length > 6 && value.every((v) => typeof v === 'number' || v === null)) return [...value.slice(0, 3), `… ${value.length} numbers`];
    return value.map((v) => specShape(v));
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, specShape(v, k)]));
  return value;
}

// ---------------------------------------------------------------------------

describe('chart specs', () => {
  const result = syntheticResult(SMALL);
  const events = (result as unknown as { events: [] }).events;
  const ctx = chartContext(result, events);
  const charts = reportCharts(result, ctx);

  it('build every chart, in page order, with the timeline when there are events', () => {
    expect(charts.map((c) => c.id)).toEqual([
      'connected',
      'lookup-load',
      'errors',
      'sessions-per-server',
      'accept-rate',
      'reconnect-cdf',
      'attempts',
      'client-states',
      'control-plane-events',
    ]);
    const quiet = reportCharts(result, chartContext(result, []));
    expect(quiet.map((c) => c.id)).not.toContain('control-plane-events');
  });

  for (const id of ['connected', 'lookup-load', 'sessions-per-server', 'accept-rate', 'reconnect-cdf', 'attempts', 'client-states', 'control-plane-events']) {
    it(`${id} matches its snapshot`, () => {
      const { config, ...spec } = chart(charts, id).spec as TopLevelSpec & { config?: unknown };
      expect(config, 'every chart shares the style of CONFIG (or extends it)').toMatchObject({ font: CONFIG.font });
      expect(specShape(spec)).toMatchSnapshot();
    });
  }

  it('share one style', () => {
    expect(CONFIG).toMatchSnapshot();
  });

  it('are pure: the same result gives the same JSON', () => {
    const again = reportCharts(syntheticResult(SMALL), chartContext(result, events));
    expect(JSON.stringify(again)).toBe(JSON.stringify(charts));
  });

  it('give every chart a title, axis titles and data', () => {
    for (const c of charts) {
      const json = JSON.stringify(c.spec);
      expect(c.title.length, c.id).toBeGreaterThan(0);
      expect(c.caption.length, c.id).toBeGreaterThan(20);
      expect(json, c.id).toContain('"title"');
      const rows = [c.spec as AnyLayer, ...layersOf(c.spec)].flatMap((l) => l.data?.values ?? []);
      expect(rows.length, `${c.id} has no data`).toBeGreaterThan(0);
    }
  });

  it('shade the fault window where it happened, in minutes', () => {
    for (const id of ['connected', 'lookup-load', 'accept-rate']) {
      const rects = layersOf(chart(charts, id).spec).filter((l) => markType(l) === 'rect' && l.data?.values);
      expect(rects.length, id).toBe(1);
      expect(rects[0].data?.values).toEqual([{ start: 1, end: 3, fault: 'lookup outage (all 2 lookups, blackhole) · 2 min' }]);
    }
    // The time axis is in minutes for a 10-minute run, seconds for a short one.
    expect(ctx.time).toEqual({ seconds: 60, unit: 'min' });
    expect(timeScaleFor(120).unit).toBe('s');
    expect(JSON.stringify(chart(charts, 'connected').spec)).toContain('time since start (min)');
  });

  it('mark 99 % and full recovery where the summary puts them', () => {
    const rules = layersOf(chart(charts, 'connected').spec).filter((l) => markType(l) === 'rule');
    const marks = rules.flatMap((l) => (l.data?.values ?? []) as { x?: number; mark?: string }[]).filter((v) => v.mark !== undefined);
    // full is null in this result: only the 99 % mark, at incidentStart + p99.
    const p99 = (SMALL.faultAt + result.summary.recovery.p99!) / 60;
    expect(marks).toEqual([{ x: Math.round(p99 * 1000) / 1000, mark: expect.stringMatching(/^99 % back after /) }]);
  });

  it('put load on a log scale with the capacity rules in its domain', () => {
    const spec = JSON.stringify(chart(charts, 'lookup-load').spec);
    expect(spec).toContain('"type":"log"');
    expect(spec).toContain('capacity of one instance: 20,000/s');
    expect(spec).toContain('capacity of all 2 instances: 40,000/s');
    // The log domain reaches over the highest capacity rule.
    expect(spec).toMatch(/"domain":\[\d+(\.\d+)?,100000\]/);
  });

  it('use one color per meaning across charts', () => {
    const colorOf = (c: ChartDef, name: string) => {
      const scale = JSON.stringify(c.spec).match(/"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/);
      if (!scale) throw new Error(`no color scale in ${c.id}`);
      const domain = JSON.parse(scale[1]) as string[];
      return (JSON.parse(scale[2]) as string[])[domain.indexOf(name)];
    };
    expect(colorOf(chart(charts, 'connected'), 'all regions')).toBe(colorOf(chart(charts, 'client-states'), 'connected'));
    expect(colorOf(chart(charts, 'lookup-load'), 'served')).toBe(colorOf(chart(charts, 'accept-rate'), 'accepted, busiest server (peak)'));
  });
});

describe('downsampling', () => {
  it('picks the smallest nice bucket that fits', () => {
    expect(bucketFactor(1000)).toBe(1);
    expect(bucketFactor(1801)).toBe(2);
    expect(bucketFactor(7201)).toBe(10);
    for (const n of [1, 999, 1000, 1001, 7201, 86_401, 10_000_000]) expect(Math.ceil(n / bucketFactor(n))).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('keeps every sample in some bucket, peaks as maxima, and the total', () => {
    const time = Array.from({ length: 1003 }, (_, i) => i);
    const values = time.map((i) => Math.round(noise(i) * 1000));
    values[517] = 99_999;
    const b = bucket(time, values, 10);
    expect(b.t.length).toBe(101);
    expect(Math.max(...b.max)).toBe(99_999);
    const total = b.mean.reduce((sum, m, j) => sum + m * Math.min(10, 1003 - j * 10), 0);
    expect(total).toBeCloseTo(values.reduce((a, v) => a + v, 0), 6);
    for (let j = 0; j < b.t.length; j++) {
      expect(b.min[j]).toBeLessThanOrEqual(b.mean[j]);
      expect(b.mean[j]).toBeLessThanOrEqual(b.max[j]);
    }
  });

  it('bounds heatmap cells whatever the number of servers', () => {
    const time = Array.from({ length: 7201 }, (_, i) => i);
    for (const servers of [1, 10, 100, 1000]) {
      const byServer = Object.fromEntries(Array.from({ length: servers }, (_, s) => [`s-${s}`, time]));
      const grid = serverGrid(time, byServer);
      expect(grid.rows.length).toBe(servers);
      expect(grid.start.length * servers, `${servers} servers`).toBeLessThanOrEqual(Math.max(MAX_CELLS, servers));
      expect(grid.end[grid.end.length - 1]).toBe(7201);
    }
  });

  it('keeps every line of a 2-hour run under the point budget', () => {
    const result = syntheticResult({ ...SMALL, durationSec: 7200 });
    for (const c of reportCharts(result, chartContext(result))) {
      const rows = (c.spec as { data?: { values?: { t?: unknown[] }[] } }).data?.values ?? [];
      for (const row of rows) if (Array.isArray(row.t)) expect(row.t.length, c.id).toBeLessThanOrEqual(MAX_POINTS);
    }
  });
});

describe('the report files', () => {
  it('stay under 5 MB for 10 M clients over 2 hours on 100 servers', () => {
    const result = syntheticResult({
      clients: 10_000_000,
      durationSec: 7200,
      regions: [
        { name: 'korea', mcc: [450], servers: 60, share: 0.6 },
        { name: 'japan', mcc: [440], servers: 25, share: 0.25 },
        { name: 'common', mcc: [], servers: 15, share: 0.15 },
      ],
      instances: 8,
      faultAt: 600,
      faultFor: 600,
      events: true,
    });
    const started = performance.now();
    const report = buildReport(result);
    const ms = performance.now() - started;
    const bytes = Buffer.byteLength(report.html);
    console.info(`10M clients x 2 h, 100 servers: index.html ${(bytes / 1e6).toFixed(2)} MB, built in ${ms.toFixed(0)} ms`);
    expect(bytes).toBeLessThan(5_000_000);
    // Most of the page is the three inlined libraries; the charts' data is a fraction of it.
    const data = Buffer.byteLength(report.html.slice(report.html.indexOf('id="stampede-charts"')));
    expect(data).toBeLessThan(2_000_000);
  });

  it('are self-contained, deterministic, written atomically, and summarize in Markdown', async () => {
    const result = syntheticResult(SMALL);
    const dirA = mkdtempSync(join(testTmp(), 'stampede-report-'));
    const dirB = mkdtempSync(join(testTmp(), 'stampede-report-'));
    const options = { gitCommit: 'abc123def456' };
    const written = await writeReport(result, dirA, options);
    await writeReport(syntheticResult(SMALL), dirB, options);
    expect(written).toEqual([join(dirA, 'index.html'), join(dirA, 'summary.md')]);
    expect(readdirSync(dirA).sort()).toEqual(['index.html', 'summary.md']);
    const html = readFileSync(join(dirA, 'index.html'), 'utf8');
    expect(readFileSync(join(dirB, 'index.html'), 'utf8')).toBe(html);

    // Offline: no external scripts, styles or fetches; the libraries are inlined.
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('/* vega 6.');
    expect(html).toContain('/* vega-lite 6.');
    expect(html).toContain('/* vega-embed 7.');
    // Header: scenario, seed, version, commit, verdicts, parameters.
    expect(html).toContain('<h1>synthetic</h1>');
    expect(html).toContain('commit <code>abc123def456</code>');
    expect(html).toContain('stampede <b>0.0.0-test</b>');
    expect(html).toContain('PARTLY RECOVERED');
    expect(html).toContain('No assertions');
    expect(html).toContain('<summary>Resolved parameters');

    const md = readFileSync(join(dirA, 'summary.md'), 'utf8');
    expect(md).toMatch(/^### ⚠️ PARTLY RECOVERED: synthetic \(seed 7\): 99 % back after/);
    expect(md).toContain('| 99 % of sessions back |');
    expect(md).toContain('**Gates:** ➖ no assertions.');
  });

  it('show gate verdicts when there are some', () => {
    const report = buildReport(syntheticResult(SMALL), {
      verdicts: [
        { assertion: 'recovery.full <= 20m', measured: null, limit: 1200, passed: false },
        { assertion: 'lookup.peakLoadFactor < 1 | x', measured: 0.045, limit: 1, passed: true },
      ],
    });
    expect(report.html).toContain('1 of 2 gates failed');
    expect(report.html).toContain('<code>recovery.full &lt;= 20m</code>');
    expect(report.markdown).toContain('**Gates:** ❌ 1 of 2 gates failed');
    expect(report.markdown).toContain('| ❌ | `recovery.full <= 20m` | – | 1,200 |');
    expect(report.markdown).toContain('`lookup.peakLoadFactor < 1 \\| x`');
  });

  it('render charts to SVG and PNG headless, the same bytes every time', async () => {
    const result = syntheticResult(SMALL);
    const charts = reportCharts(result, chartContext(result));
    const spec = chart(charts, 'connected').spec;
    const started = performance.now();
    const svg = await renderSvg(spec);
    console.info(`connected chart: SVG in ${(performance.now() - started).toFixed(0)} ms`);
    expect(svg).toMatch(/^<svg[^>]+width="\d+"/);
    expect(svg).toContain('Connected sessions');
    expect(svg).toContain('mark-line');
    expect(await renderSvg(spec)).toBe(svg);
    const png = svgToPng(svg);
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(Buffer.from(svgToPng(svg)).equals(Buffer.from(png))).toBe(true);
    // The PNG reads the shipped chart fonts (DejaVu Sans cut to the characters charts use): the
    // pixels of every system font loaded, where Debian has DejaVu Sans.
    expect(chartFontsCover(svg)).toBe(true);
    const withSystemFonts = (image: string) => Buffer.from(pngOf(rasterize(image, { loadSystemFonts: true })));
    const debian = existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
    if (debian) expect(withSystemFonts(svg).equals(Buffer.from(png))).toBe(true);
    // A character they lack, or italic text: Debian's four full faces draw the chart.
    const dejavu = ['', '-Bold', '-Oblique', '-BoldOblique'].map((face) => `/usr/share/fonts/truetype/dejavu/DejaVuSans${face}.ttf`);
    const withFullFaces = (image: string) => Buffer.from(pngOf(rasterize(image, { loadSystemFonts: false, fontFiles: dejavu })));
    for (const other of [svg.replace('Connected sessions', 'Connected sessions ∫'), svg.replace(/<text /, '<text font-style="italic" '), svg.replace('Connected sessions', 'Connected sessions &#x222B;')]) {
      expect(chartFontsCover(other)).toBe(false);
      if (dejavu.every((f) => existsSync(f))) expect(withFullFaces(other).equals(Buffer.from(svgToPng(other)))).toBe(true);
    }
  });

  it('describe in a file the title, axes, legend and annotations, not each data point, with the same pixels', async () => {
    const result = syntheticResult(SMALL);
    const spec = chart(reportCharts(result, chartContext(result)), 'connected').spec;
    const svg = await renderSvg(spec);
    // The same export with every mark's items described, vega-lite's default.
    const exported = forExport(spec);
    const described = await svgOf({ ...exported, config: { ...exported.config, mark: { ...exported.config?.mark, aria: true } } } as TopLevelSpec);
    const labels = (image: string) => [...image.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]);
    const roles = (image: string) => [...image.matchAll(/aria-roledescription="([^"]*)"/g)].map((m) => m[1]);
    expect(labels(described).length).toBeGreaterThan(labels(svg).length);
    expect(roles(described)).toContain('line mark');
    expect(roles(svg)).not.toContain('line mark');
    for (const kept of ['title', 'axis', 'legend', 'text mark']) expect(roles(svg), kept).toContain(kept);
    expect(labels(svg).some((label) => label.startsWith("Title text 'Connected sessions'"))).toBe(true);
    expect(labels(svg).filter((label) => label.includes('-axis titled')).length).toBe(2);
    // Only attributes differ: the same drawing (at 1×, which is enough to tell).
    expect(Buffer.from(rasterize(described, undefined, 1).pixels).equals(Buffer.from(rasterize(svg, undefined, 1).pixels))).toBe(true);
  });

  it('let the event loop turn after each PNG file, so that resvg\'s drawings are freed as they go', async () => {
    // Node frees a resvg drawing (~6 MB, outside V8's heap) in a finalizer it runs only when the event
    // loop turns; vega's rendering is promises alone. The effect on memory: bench/chart-fonts.ts.
    const result = syntheticResult(SMALL);
    const dir = mkdtempSync(join(testTmp(), 'stampede-png-turns-'));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const written = await writeReport(result, dir, { png: true });
    counting = false;
    const pngs = written.filter((f) => f.endsWith('.png')).length;
    expect(pngs).toBe(buildReport(result).charts.length);
    expect(turns).toBeGreaterThanOrEqual(pngs);
  });

  it('come from `stampede run` on a real (small) run, with --svg', async () => {
    const { scenario } = loadScenarioFile('scenarios/lookup-outage.yaml', ['population.clients=3000']);
    const result = runScenario(scenario);
    const dir = mkdtempSync(join(testTmp(), 'stampede-report-'));
    const written = await writeReport(result, dir, { svg: true });
    const charts = buildReport(result).charts;
    expect(written.filter((f) => f.endsWith('.svg')).length).toBe(charts.length);
    for (const c of charts) {
      const rows = [c.spec as AnyLayer, ...layersOf(c.spec)].flatMap((l) => l.data?.values ?? []);
      expect(rows.length, `${c.id} has no data`).toBeGreaterThan(0);
      const svg = readFileSync(join(dir, 'charts', `${c.id}.svg`), 'utf8');
      expect(svg, c.id).toMatch(/class="mark-(line|rect|area|symbol)/);
    }
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
    expect(readdirSync(join(dir, 'charts')).some((f) => f.includes('.tmp-'))).toBe(false);
  });
});
