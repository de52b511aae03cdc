// The live run's report page (live/report-page.ts, written by `stampede load` beside result.json):
// the verdict first, the connected-session curves and the reconnect-time CDFs of live and
// simulated overlaid, self-contained (no network). The page as a browser shows it was checked by
// eye (docs/live.md); here, what it is made of.
import { describe, expect, it } from 'vitest';
import { cdfSpec, connectedSpec, liveReportHtml } from '../live/report-page.ts';
import type { LiveResult } from '../live/load-run.ts';

function result(pass: boolean): LiveResult {
  const time = Array.from({ length: 101 }, (_, k) => k * 0.1);
  const connected = time.map((t) => (t < 2 || t > 6 ? 1000 : 900));
  const series = Object.fromEntries(['lookupsSent', 'lookupsAnswered', 'lookupsNoServer', 'lookupsTimedOut', 'lookupsRefused', 'connectAttempts', 'accepts', 'carrierAttempts',
    'connectsTimedOut', 'connectsRefused', 'sessionsLost', 'sessionsChurned'].map((n) => [n, time.map(() => 1)]));
  const cdf = [{ p: 0.5, seconds: 4 }, { p: 1, seconds: 5 }];
  const summary = { incidentStart: 2, preFaultSessions: 1000, sessionsAtEnd: 1000, recovery: { p99: 5, p999: 5, full: 5 }, disconnectedClients: 100, notReconnected: 0,
    reconnectTime: { count: 100, mean: 4, p50: 4, p90: 5, p99: 5, p999: 5, max: 5 }, downtime: { count: 100, mean: 3, p50: 3, p90: 4, p99: 4, p999: 4, max: 4 } };
  const stat = { mean: 0.01, p99: 0.02 };
  return {
    stampede: { version: 'test', format: 1 }, live: true, target: 'reference', timeScale: 0.05, clients: 1000,
    scenario: { name: 'page-test', faults: [{ kind: 'lookup-outage', at: '2s', duration: '4s', mode: 'blackhole' }] }, adjusted: {}, endpoints: null,
    faultLog: [{ time: 2, action: 'lookup-0 stopped (SIGSTOP) <b>' }], skippedFaults: [], summary, series: { time, connected, ...series } as LiveResult['series'],
    distributions: { reconnectTimeCdf: cdf },
    measured: { connectLatency: { ...stat, assumed: 0.0025 }, lookupLatency: { ...stat, assumed: 0.003 }, timerLateness: { ...stat, assumed: 0 }, serverRestart: { mean: null, assumed: 1 },
      keepaliveLosses: 0, keepalivePings: false, warmupSeconds: 1, warmupConnectsPerSec: 1000, runConnectsPerSec: { mean: 10, peak: 50 },
      lookupServiceRate: { perInstance: null, instances: 0, assumed: 2000 }, acceptRate: { perServer: 10, refusedInThatSecond: 0, assumed: 2000 }, staleLookupsDropped: 0, peakConnectedSessions: 1000 },
    simulated: { summary, connected: connected.map((v) => v - 5), reconnectTimeCdf: [{ p: 0.5, seconds: 3.9 }, { p: 1, seconds: 5.1 }] },
    comparison: { tolerance: { p50: 0.1, p90: 0.1, p99: 0.1, full: 0.15, slackSeconds: 0.1 }, checks: [{ quantity: 'p50', live: 4, simulated: 3.9, relativeGap: 0.026, tolerance: 0.1, pass }],
      curveGap: { max: 0.005, at: 1, mean: 0.005 }, pass, explanation: pass ? null : 'live recovery slower than simulated (p50 out of tolerance)' },
  };
}

const layerData = (spec: Record<string, unknown>) => (spec.layer as { data: { values: Record<string, unknown>[] } }[]).flatMap((l) => l.data.values);

describe('the live report page', () => {
  it('overlays live and simulated: connected sessions (faults shaded) and reconnect-time CDFs', () => {
    const r = result(true);
    const rows = layerData(connectedSpec(r));
    expect(rows.filter((v) => v.side === 'live')).toHaveLength(101);
    expect(rows.filter((v) => v.side === 'simulated')).toHaveLength(101);
    expect(rows.find((v) => v.label === 'lookup-outage (blackhole)')).toMatchObject({ start: 2, end: 6 });
    const cdf = (cdfSpec(r).data as { values: Record<string, unknown>[] }).values;
    expect(cdf).toEqual([{ p: 0.5, s: 4, side: 'live' }, { p: 1, s: 5, side: 'live' }, { p: 0.5, s: 3.9, side: 'simulated' }, { p: 1, s: 5.1, side: 'simulated' }]);
  });

  it('says the verdict first, escapes what it quotes, and loads nothing from the network', () => {
    const ok = liveReportHtml(result(true));
    expect(ok).toMatch(/<span class="word">AGREE<\/span>/);
    expect(ok.indexOf('AGREE')).toBeLessThan(ok.indexOf('chart-connected'));
    expect(ok).toContain('lookup-0 stopped (SIGSTOP) &lt;b&gt;');
    expect(ok).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    for (const id of ['connected', 'cdf', 'traffic']) expect(ok).toContain(`id="chart-${id}"`);
    const fail = liveReportHtml(result(false));
    expect(fail).toMatch(/<span class="word">DIFFER<\/span> live recovery slower than simulated/);
    const partial = liveReportHtml({ ...result(true), partial: { reason: 'zookeeper died' } });
    expect(partial).toMatch(/PARTIAL<\/span> stopped: zookeeper died/);
  });
});
