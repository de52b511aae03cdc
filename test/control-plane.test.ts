// The claims of docs/model.md §5-§7 about managers, the server lifecycle, regions
// and the gray failure, each checked on the shipped catalogue scenario at a
// reduced population.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenarioText } from '../sim/scenario/load.ts';
import { runScenario, Simulation } from './support/model.ts';
import type { RunResult } from '../sim/result.ts';
import { SERVER_STATE_NAMES } from '../sim/model/session-server.ts';

const load = (name: string, overrides: string[] = []) => loadScenarioFile(`scenarios/${name}.yaml`, overrides).scenario;
const run = (name: string, overrides: string[] = []): RunResult => runScenario(load(name, overrides));
const eventsOf = (r: RunResult, kind: string) => r.events.filter((e) => e.kind === kind);

describe('server managers (docs/model.md §5, §7.4)', () => {
  it('master loss: a slave takes over one ZooKeeper session timeout later, with no client-visible effect', () => {
    const r = run('manager-master-loss', ['population.clients=30000']);
    expect(r.summary.controlPlane.failovers).toHaveLength(1);
    const failover = r.summary.controlPlane.failovers[0];
    expect(failover.masterDiedAt).toBe(120);
    expect(failover.newMasterAt! - failover.masterDiedAt).toBeCloseTo(10, 6);
    expect(failover.newMaster).toBe(1);
    // Nobody lost a session to it and no lookup failed.
    expect(r.summary.disconnectedClients).toBe(0);
    expect(r.summary.lookup.timedOut).toBe(0);
    expect(r.summary.lookup.noServer).toBe(0);
    expect(r.summary.controlPlane.fallbackSeconds).toBe(0);
  });

  it('all managers lost: lookups go round robin, then back to the configured algorithm', () => {
    const scenario = load('managers-all-lost', ['population.clients=30000']);
    const r = runScenario(scenario);
    const down = eventsOf(r, 'fallback-round-robin');
    const back = eventsOf(r, 'live-counts');
    expect(down).toHaveLength(scenario.lookup.instances);
    expect(back).toHaveLength(scenario.lookup.instances);
    // Each instance notices at its next refresh after 2 min and recovers at its next refresh after 7 min.
    for (const e of down) expect(e.time).toBeGreaterThan(120);
    for (const e of down) expect(e.time).toBeLessThanOrEqual(120 + scenario.lookup.infoRefresh);
    for (const e of back) expect(e.time).toBeGreaterThan(420);
    for (const e of back) expect(e.detail).toContain('weighted-least-connection');
    expect(r.summary.controlPlane.fallbackSeconds).toBeGreaterThan(4 * (300 - 10));
    expect(r.summary.controlPlane.fallbackSeconds).toBeLessThan(4 * (300 + 10));
    // The server crash at 4 min is only noticed once a master checks again (after 7 min).
    const suspended = eventsOf(r, 'suspending').filter((e) => e.subject === 'common-5');
    expect(suspended.length === 0 || suspended[0].time > 420).toBe(true);
  });

  it('a crashed server is out of lookup answers within failThreshold × healthInterval + timeout', () => {
    const scenario = load('server-crash', ['population.clients=30000']);
    const r = runScenario(scenario);
    const crash = eventsOf(r, 'process-died').find((e) => e.subject === 'common-3')!;
    const suspended = eventsOf(r, 'suspending').find((e) => e.subject === 'common-3')!;
    const m = scenario.managers!;
    const delay = suspended.time - crash.time;
    expect(delay).toBeGreaterThan((m.failThreshold - 1) * m.healthInterval);
    expect(delay).toBeLessThanOrEqual(m.failThreshold * m.healthInterval + m.healthTimeout);
    // And back in service after its restart: standby, then promoted by health checks.
    const kinds = r.events.filter((e) => e.subject === 'common-3').map((e) => e.kind);
    expect(kinds).toEqual(['process-died', 'suspending', 'suspended', 'starting', 'standby', 'running']);
  });

  it('the counts lookups use are as stale as health check + slave sync + refresh, never fresher', () => {
    const sim = new Simulation(load('lookup-outage', ['population.clients=20000', 'faults=[]', 'assert=[]']));
    sim.runUntil(600);
    // A jump in one server's count travels: health check → Redis → slave copy → lookup refresh.
    const server = 0;
    sim.servers.sessions[server] += 50_000;
    const view = (sim.lookups as unknown as { views: { counts: Float64Array }[][] }).views[0][0].counts;
    let seenAt = Number.NaN;
    for (let t = 600; t <= 640 && Number.isNaN(seenAt); t += 0.25) {
      sim.runUntil(t);
      if (view[server] >= 50_000) seenAt = t;
    }
    const m = sim.scenario.managers!;
    expect(seenAt - 600).toBeGreaterThan(0);
    expect(seenAt - 600).toBeLessThanOrEqual(m.healthInterval + m.syncInterval + sim.scenario.lookup.infoRefresh + 0.25);
  });
});

describe('session-server lifecycle (docs/model.md §6, §7.6)', () => {
  it('a deploy drains, closes, stops, restarts through standby; least connection refills faster than round robin', () => {
    const base = ['population.clients=50000', 'faults.0.closeRate=100/s'];
    const wlc = run('deploy', base);
    const rr = run('deploy', [...base, 'lookup.algorithm=rr']);
    const first = wlc.events.filter((e) => e.subject === 'common-0').map((e) => e.kind);
    expect(first.slice(0, 6)).toEqual(['shuttingdown', 'closing', 'shutdown', 'starting', 'standby', 'running']);
    // Closing at 100/s: the drained server's last sessions go over about (sessions / 100) seconds.
    const closing = wlc.events.find((e) => e.kind === 'closing' && e.subject === 'common-0')!;
    const shutdown = wlc.events.find((e) => e.kind === 'shutdown' && e.subject === 'common-0')!;
    const open = Number(closing.detail.split(' ')[0]);
    expect(shutdown.time - closing.time).toBeCloseTo(Math.ceil(open / 100) - 1, 0);
    expect(wlc.summary.server.crashes).toBe(0);
    expect(wlc.summary.imbalance.maxOverMean!).toBeLessThan(rr.summary.imbalance.maxOverMean!);
    expect(wlc.summary.imbalance.cv!).toBeLessThan(rr.summary.imbalance.cv! / 2);
  });

  it('closing every session at once after a deploy herds them onto the restarted server under least connection', () => {
    // The catalogue's million clients scaled down by ten, the servers' limits with them (sessions,
    // accepts, the overload that crashes): the same herd, for a tenth of the work.
    const scaled = ['population.clients=100000', 'sessionServer.maxSessions=15000', 'sessionServer.maxAcceptsPerSec=200/s', 'sessionServer.overloadAcceptsPerSec=500/s', 'duration=4m', 'assert=[]'];
    const crashes = (overrides: string[]) => run('deploy', [...scaled, ...overrides]).summary.server.crashes;
    expect(crashes(['faults.0.closeRate=unlimited'])).toBeGreaterThan(0);
    // Neither the closing alone nor the algorithm alone makes it: closed at the scaled catalogue
    // rate (100/s), or spread by round robin, the restarted server stays up.
    expect(crashes(['faults.0.closeRate=100/s'])).toBe(0);
    expect(crashes(['faults.0.closeRate=unlimited', 'lookup.algorithm=round-robin'])).toBe(0);
  });

  it('all eight ZooKeeper states occur across the catalogue', () => {
    const seen = new Set<string>();
    const runs = [
      run('deploy', ['population.clients=5000', 'duration=8m', 'assert=[]']),
      run('gray-failure-leak', ['population.clients=200']), // resuming: a flapping server passes checks again
    ];
    for (const r of runs) {
      for (const e of r.events) seen.add(e.kind);
    }
    const states = SERVER_STATE_NAMES.filter((s) => seen.has(s));
    expect(states.sort()).toEqual([...SERVER_STATE_NAMES].sort());
  });

  it('spare servers started by a server-start fault take the clients a full fleet could not hold', () => {
    const sim = new Simulation(load('capacity-growth', ['population.clients=145000', 'sessionServer.maxSessions=15000']));
    sim.runUntil(4 * 60);
    // Nine servers of 15,000 cannot hold 145,000 clients.
    expect(sim.metrics.connected).toBeLessThanOrEqual(9 * 15_000);
    sim.runUntil(12 * 60);
    expect(sim.metrics.connected).toBeGreaterThan(145_000 - 10); // a few are between two sessions (churn)
    expect(sim.servers.sessions[10]).toBeGreaterThan(0);
    expect(sim.servers.sessions[11]).toBeGreaterThan(0);
  });
});

describe('regions (docs/model.md §2, §7.8)', () => {
  it('region loss moves the region\'s clients to its failover region', () => {
    const r = run('region-loss', ['population.clients=40000']);
    const korea = r.series.connectedByRegion.korea;
    expect(korea[0]).toBe(20_000);
    // Korean clients are back (on Japanese servers) by the end of the run.
    expect(korea.at(-1)!).toBeGreaterThan(19_900);
    const onKoreanServers = [0, 1, 2, 3, 4].map((i) => r.series.sessionsByServer[`korea-${i}`].at(-1)!);
    expect(onKoreanServers.every((n) => n === 0)).toBe(true);
    const onJapaneseServers = [0, 1, 2, 3, 4].reduce((a, i) => a + r.series.sessionsByServer[`japan-${i}`].at(-1)!, 0);
    expect(onJapaneseServers).toBeGreaterThan(39_800);
  });

  it('an MCC remapped at run time sends its clients to the new region from then on', () => {
    const yaml = ['population.clients=20000', 'faults=[{kind: mcc-remap, at: 1m, mcc: 450, region: japan}]', 'duration=3m'];
    const sim = new Simulation(load('region-loss', yaml));
    sim.runUntil(59);
    expect(sim.metrics.connectedByRegion[0]).toBeCloseTo(10_000, -2);
    sim.runUntil(61);
    // Clients of MCC 450 count as Japan's now, and their next lookups are answered with Japanese servers.
    expect(sim.metrics.connectedByRegion[0]).toBe(0);
    expect(sim.metrics.connectedByRegion[1]).toBeGreaterThan(19_900);
  });

  it('the algorithm changed through the manager is used by the lookups from then on', () => {
    const sim = new Simulation(load('lookup-outage', ['population.clients=2000', 'faults=[{kind: algorithm-change, at: 30s, algorithm: p2c}]']));
    sim.runUntil(29);
    expect([...sim.lookups.algorithmOf]).toEqual([1, 1, 1, 1]);
    sim.runUntil(31);
    expect([...sim.lookups.algorithmOf]).toEqual([3, 3, 3, 3]);
    expect(sim.metrics.events.some((e) => e.kind === 'algorithm-change' && e.detail === 'power-of-d')).toBe(true);
  });
});

describe('services (docs/model.md §2)', () => {
  const yaml = (extra = '') => `
name: services
duration: 3m
population: { clients: 30000, mcc: {450: 0.5, 440: 0.5} }
regions:
  - { name: korea, mcc: [450], servers: 3 }
  - { name: common, servers: 2 }
  - { name: game-common, servers: 2 }
services:
  - { name: messenger, share: 2, regions: [korea, common], lookupInstances: 2 }
  - { name: game, share: 1, regions: [game-common], lookupInstances: 1, algorithm: rr }
${extra}`;
  const parse = (text: string) => parseScenarioText(text, 'services.yaml').scenario;

  it('splits clients, lookups and servers by service; unmapped MCCs go to the service\'s common region', () => {
    const scenario = parse(yaml());
    expect(scenario.lookup.instances).toBe(3);
    expect(scenario.services.map((s) => [s.name, s.firstInstance, s.instances, s.algorithm])).toEqual([
      ['messenger', 0, 2, 'weighted-least-connection'],
      ['game', 2, 1, 'round-robin'],
    ]);
    const r = runScenario(scenario);
    const last = (name: string) => r.series.sessionsByServer[name].at(-1)!;
    const game = last('game-common-0') + last('game-common-1');
    expect(game).toBeGreaterThan(9_990);
    expect(game).toBeLessThanOrEqual(10_000);
    // Messenger: MCC 450 → korea, 440 (unmapped) → common.
    expect(r.series.connectedByRegion.korea.at(-1)!).toBeGreaterThan(9_990);
    expect(r.series.connectedByRegion.common.at(-1)!).toBeGreaterThan(9_990);
    // Each service's lookups only see their own clients.
    const offered = r.series.lookups.offeredPerSec.map((perSec) => perSec.reduce((a, b) => a + b, 0));
    expect(offered[2]).toBeGreaterThan(0);
    expect(offered[2] / (offered[0] + offered[1] + offered[2])).toBeCloseTo(1 / 3, 1);
  });

  it('changes one service\'s algorithm without touching the other', () => {
    const scenario = parse(yaml('faults: [{kind: algorithm-change, at: 1m, service: game, algorithm: p2c}]'));
    const sim = new Simulation(scenario);
    sim.runUntil(61);
    expect([...sim.lookups.algorithmOf]).toEqual([1, 1, 3]);
  });

  it('rejects a region claimed by two services and an unknown service in a fault', () => {
    expect(() => parse(yaml().replace('regions: [game-common]', 'regions: [common]'))).toThrow(/already belongs to service "messenger"/);
    expect(() => parse(yaml('faults: [{kind: algorithm-change, at: 1m, service: chat, algorithm: rr}]'))).toThrow(/no service "chat"/);
  });
});

describe('gray failure (docs/model.md §6, §7.9)', () => {
  const r = run('gray-failure-leak', ['population.clients=1000']);
  const [leak] = r.summary.grayFailures;

  it('tells the story in order: leak, trend alert, threshold alert, first 503, L7 suspension, OOM; L4 sees only the death', () => {
    expect(leak.server).toBe('common-2');
    expect(leak.leakStartedAt).toBe(86_400);
    expect(leak.alerts.map((a) => a.detector)).toEqual(['trend > 2 points/day over 3 d', 'threshold 30 %']);
    const order = [leak.leakStartedAt!, leak.alerts[0].at, leak.alerts[1].at, leak.firstClientFailureAt!, leak.firstSuspendedAt!, leak.diedAt!];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
    // Days of warning from the daily reading; the L7 check notices late, in the last hour.
    expect(leak.firstClientFailureAt! - leak.alertAt!).toBeGreaterThan(2 * 86_400);
    expect(leak.diedAt! - leak.firstSuspendedAt!).toBeLessThan(3600);
    expect(leak.l4FirstFailureAt!).toBeGreaterThanOrEqual(leak.diedAt!);
    expect(leak.l4BlindUntilDeath).toBe(true);
    expect(leak.removedAt).toBeNull();
  });

  it('reports each detector with its lead time and false alarms; healthy servers never alert', () => {
    const [threshold, trend, cpu] = r.summary.grayDetectors;
    const failure = leak.firstClientFailureAt!;
    expect(trend.leadToFailure).toBeCloseTo(failure - leak.alerts[0].at, 6);
    expect(threshold.leadToFailure).toBeCloseTo(failure - leak.alerts[1].at, 6);
    expect(threshold.leadToDeath).toBeCloseTo(leak.diedAt! - leak.alerts[1].at, 6);
    // The CPU alert needs minutes of GC thrash: the server is dead before it fires.
    expect(cpu.caught).toBe(0);
    expect(cpu.leadToFailure).toBe(0);
    for (const d of r.summary.grayDetectors) expect(d.falseAlarms).toBe(0);
    expect(threshold.healthyServerDays).toBeCloseTo(9 * 8, 6);
    expect(r.events.filter((e) => e.kind === 'heap-alert').map((e) => e.subject)).toEqual(['common-2', 'common-2']);
  });

  it('writes each server\'s heap series: post-GC old generation, full GCs, pauses, failed checks, CPU', () => {
    const heap = r.series.heap!;
    const at = (day: number) => r.series.time.indexOf(day * 86_400);
    const leaking = heap.postGcOldGenPercent['common-2'];
    expect(leaking[at(5)]!).toBeGreaterThan(30);
    expect(leaking[at(1)]!).toBeLessThan(15);
    expect(heap.cpuPercent['common-2'].length).toBe(r.series.time.length);
    expect(heap.healthCheckFailures['common-2'].reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    // A healthy server's full GCs pause 0.3 s an hour: a check lands in one with p = 0.3 / 3600, so over
    // 8 days of checks every 5 s about 11.5 fail (Poisson), never three in a row: it is never suspended.
    const healthy = heap.healthCheckFailures['common-5'].reduce((a, b) => a + b, 0);
    const expected = ((8 * 86_400) / 5) * (0.3 / 3600);
    expect(Math.abs(healthy - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(eventsOf(r, 'suspending').every((e) => e.subject === 'common-2')).toBe(true);
  });

  it('with onAlert remove, the server is drained at the first alert and never dies', () => {
    const removed = run('gray-failure-leak', ['population.clients=1000', 'grayDetection.onAlert=remove', 'assert=[]']);
    const [story] = removed.summary.grayFailures;
    expect(story.removedAt).toBe(story.alertAt);
    expect(story.diedAt).toBeNull();
    expect(story.firstClientFailureAt).toBeNull();
    expect(removed.summary.server.crashes).toBe(0);
    expect(removed.summary.notReconnected).toBe(0);
    expect(removed.series.sessionsByServer['common-2'].at(-1)).toBe(0);
    expect(eventsOf(removed, 'shutdown').map((e) => e.subject)).toEqual(['common-2']);
  });
});
