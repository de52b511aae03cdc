// The baselines the operators replaced (docs/model.md §1, issue 22): DNS round
// robin with client caches, and an L4 switch with VIPs. Each mechanism is
// checked against a figure worked out by hand from the scenario, not against
// an earlier output of the simulator.
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import { ignoresTtl } from '../sim/model/baselines.ts';

const run = (text: string, overrides: string[] = []) => runScenario(parseScenarioText(text, 'test.yaml', overrides).scenario);
const at = (time: number[], t: number) => time.indexOf(t);

describe('DNS round robin: a removed server stays in the caches for a TTL', () => {
  // 10,000 clients resolve at t = 0 through one DNS instance (no queue, rtt 0):
  // in rotation, client c gets server c mod 4 and caches it until t = 120 s
  // (TTL 2 min); the clients with frac(c·φ) < 0.1 keep it for good. Server 0
  // dies at t = 30 s (refused, never back). By hand:
  // - from 30 s until 120 s, all 2,500 of its clients hold it (one TTL);
  // - from 120 s on (k ≥ 1 TTLs) only its clients that ignore the TTL do,
  //   #{c ≡ 0 mod 4 : frac(c·φ) < 0.1}, and they never reconnect;
  // - no client of server 0 that honours the TTL is back before 120 s:
  //   its downtime is at least 120 − 30 = 90 s.
  const text = `
name: dns-ttl
duration: 30m
network: { rtt: 0s }
population: { clients: 10000, start: disconnected }
client: { churn: off }
lookup: { instances: 1, capacity: unlimited, algorithm: dns, dns: { ttl: 2m, ignoreTtl: 0.1 } }
managers: off
sessionServer: { maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: unlimited }
regions: [{ name: common, servers: 4 }]
faults: [{ kind: server-crash, at: 30s, servers: [common-0], mode: refuse, restartAfter: never }]
`;
  const result = run(text);
  const series = result.series.dns!.cachedOnRemoved;
  const time = result.series.time;
  let stuck = 0;
  for (let c = 0; c < 10_000; c += 4) if (ignoresTtl(c, 0.1)) stuck++;

  it('its 2,500 clients hold it for one TTL, then only those that ignore the TTL', () => {
    expect(stuck).toBeGreaterThan(200); // ≈ 0.1 × 2,500, spread by the golden ratio
    expect(stuck).toBeLessThan(300);
    expect(series[at(time, 29)]).toBe(0);
    expect(series[at(time, 31)]).toBe(2500);
    expect(series[at(time, 119)]).toBe(2500);
    for (const k of [1, 2, 5, 10]) expect(series[at(time, 120 * k + 1)]).toBe(stuck);
    expect(result.summary.dns!.peakCachedOnRemoved).toBe(2500);
  });

  it('the share that ignores the TTL is exact: frac(c·φ) < share', () => {
    let ignoring = 0;
    for (let c = 0; c < 10_000; c++) if (ignoresTtl(c, 0.1)) ignoring++;
    expect(result.summary.dns!.ignoringClients).toBe(ignoring);
    expect(Math.abs(ignoring - 1000)).toBeLessThanOrEqual(2); // a low-discrepancy sequence: within a couple of the exact share
  });

  it('nobody that honours the TTL is back before it expires; those that ignore it are never back', () => {
    expect(result.summary.notReconnected).toBe(stuck);
    expect(result.summary.sessionsAtEnd).toBe(10_000 - stuck);
    expect(result.summary.disconnectedClients).toBe(2500);
    // The reconnected ones are the 2,500 − stuck that honour the TTL: none within 90 s of the crash.
    expect(result.summary.downtime.max).toBeGreaterThanOrEqual(90);
    expect(Math.min(...result.distributions.downtimeCdf.map((point) => point.seconds))).toBeGreaterThanOrEqual(90);
  });

  it('without the baseline the same crash is over in seconds (the custom balancer, round robin)', () => {
    const custom = run(text, ['lookup.algorithm=round-robin']);
    expect(custom.summary.notReconnected).toBe(0);
    expect(custom.summary.downtime.max ?? 0).toBeLessThan(90);
    expect(custom.summary.dns).toBeUndefined();
    expect(custom.series.dns).toBeUndefined();
  });
});

describe('L4 switch: the load of a failed server stays in its VIP, which fails in cascade', () => {
  // 40,000 clients on 8 servers, two VIPs of four (servers 0–3 and 4–7),
  // 5,000 sessions each. A server crashes once it takes more than 1,500
  // connection attempts in one second. Server 0 dies at 60 s: its 5,000
  // clients reconnect to VIP 0 at once, whose three other servers get
  // 5,000 / 3 ≈ 1,667 attempts each in that second (> 1,500): they crash one
  // after the other, each sending its sessions back to the same VIP. By hand:
  // 4 crashes, VIP 0 empty, VIP 1 untouched with its 20,000 sessions.
  const text = `
name: l4-cascade
duration: 5m
population: { clients: 40000 }
client: { churn: off }
lookup: { algorithm: l4 }
l4: { vips: 2, maxSessions: unlimited, maxSetupsPerSec: unlimited }
sessionServer: { maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: 1500/s, overloadFor: 1s, restartAfterCrash: never }
regions: [{ name: common, servers: 8 }]
faults: [{ kind: server-crash, at: 60s, servers: [common-0], mode: refuse, restartAfter: never }]
`;
  const result = run(text);
  const byVip = result.series.l4!.sessionsByVip;
  const last = result.series.time.length - 1;

  it('starts with 20,000 sessions per VIP, 5,000 per server', () => {
    expect(byVip['common-vip0'][0]).toBe(20_000);
    expect(byVip['common-vip1'][0]).toBe(20_000);
    for (let s = 0; s < 8; s++) expect(result.series.sessionsByServer[`common-${s}`][0]).toBe(5000);
  });

  it('VIP 0 fails whole (4 crashes) and VIP 1 keeps its 20,000', () => {
    expect(result.summary.server.crashes).toBe(4);
    expect(byVip['common-vip0'][last]).toBe(0);
    expect(byVip['common-vip1'][last]).toBe(20_000);
    expect(result.summary.sessionsAtEnd).toBe(20_000);
    for (let s = 4; s < 8; s++) expect(result.series.sessionsByServer[`common-${s}`][last]).toBe(5000);
  });

  it('with VIPs of one server each, no load moves at all: only the crashed server is lost', () => {
    // vips: 8 — one server per VIP: its 5,000 clients have nowhere to go, and nothing else crashes.
    const single = run(text, ['l4.vips=8']);
    expect(single.summary.server.crashes).toBe(1);
    expect(single.summary.sessionsAtEnd).toBe(35_000);
    expect(single.summary.l4!.dropped.noServer).toBeGreaterThan(0);
  });
});

describe('L4 switch: ghost sessions after a carrier outage', () => {
  // 10,000 clients, one VIP of two servers, a table of 15,000 entries,
  // ghosts kept 10 minutes. Every device loses its network from 60 s to
  // 120 s: the 10,000 sessions vanish without a FIN, so 10,000 ghosts stay
  // until 660 s. By hand: the table admits 15,000 − 10,000 = 5,000 new
  // sessions after the outage, and the other 5,000 devices are dropped until
  // the ghosts go at 660 s; then every device is back.
  const text = `
name: l4-ghosts
faults: [{ kind: carrier-outage, at: 60s, duration: 60s }]
l4: { vips: 1, maxSessions: 15000, maxSetupsPerSec: unlimited, ghostTimeout: 10m }
lookup: { algorithm: l4 }
regions: [{ name: common, servers: 2 }]
duration: 30m
sessionServer: { maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: unlimited }
population: { clients: 10000 }
client: { churn: off }
`;
  const result = run(text);
  const { time, connected } = result.series;
  const l4 = result.series.l4!;

  it('10,000 ghosts from 60 s to 660 s, counted with the open sessions', () => {
    expect(l4.ghosts[at(time, 59)]).toBe(0);
    expect(l4.ghosts[at(time, 61)]).toBe(10_000);
    expect(l4.ghosts[at(time, 659)]).toBe(10_000);
    expect(l4.ghosts[at(time, 660)]).toBe(0);
    expect(result.summary.l4!.peakGhosts).toBe(10_000);
  });

  it('the table fills at 15,000: 5,000 devices back, the rest only after the ghosts time out', () => {
    expect(result.summary.l4!.peakSessions).toBe(15_000);
    expect(Math.max(...connected.slice(at(time, 120), at(time, 659) + 1))).toBe(5000);
    expect(connected[at(time, 600)]).toBe(5000);
    expect(result.summary.l4!.dropped.tableFull).toBeGreaterThan(0);
    expect(connected[connected.length - 1]).toBe(10_000);
    // The last device back came after the ghosts went: recovery is at least 660 − 60 = 600 s from the fault.
    expect(result.summary.recovery.full!).toBeGreaterThan(600);
    expect(result.summary.l4!.secondsAtLimit).toBeGreaterThan(500);
  });

  it('without ghosts (a timeout shorter than the outage) every device is back within the backoff after 120 s', () => {
    const short = run(text, ['l4.ghostTimeout=30s']);
    expect(short.summary.l4!.dropped.tableFull).toBe(0);
    expect(short.summary.recovery.full!).toBeLessThan(600);
  });
});

describe("L4 switch: a setup rate makes its session capacity depend on the connection pattern", () => {
  // 20,000 devices with sessions of 100 s on average, through a switch that
  // sets up 100 connections a second and whose table could hold them all.
  // By Little's law the sessions it can sustain are rate × lifetime =
  // 100/s × 100 s = 10,000, half the devices, whatever the nominal maximum.
  const text = `
name: l4-setups
duration: 40m
sampleInterval: 10s
population: { clients: 20000 }
client: { churn: { sessionLifetimeMean: 100s } }
lookup: { algorithm: l4 }
l4: { vips: 1, maxSessions: unlimited, maxSetupsPerSec: 100/s }
sessionServer: { maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: unlimited }
regions: [{ name: common, servers: 2 }]
`;
  it('holds rate × lifetime = 10,000 sessions (within 3 %)', () => {
    const result = run(text);
    const { time, connected } = result.series;
    const tail = connected.slice(at(time, 1200));
    const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
    expect(Math.abs(mean - 10_000) / 10_000).toBeLessThan(0.03);
    expect(result.summary.l4!.dropped.setupRate).toBeGreaterThan(0);
  });

  it('with long sessions (1 h) the same rate holds every device', () => {
    const result = run(text, ['client.churn.sessionLifetimeMean=1h']);
    // Sessions end at 20,000 / 3,600 s ≈ 5.6/s, well under 100/s: the devices barely notice.
    expect(Math.min(...result.series.connected)).toBeGreaterThan(19_900);
  });
});

describe('L4 switch: its TCP check sees the port, not the application', () => {
  // The leak of gray-failure-leak.yaml: the server's port stays open until it
  // dies, so the switch keeps sending it connections it fails in GC pauses,
  // where the managers' L7 check suspends it first.
  const text = `
name: l4-leak
duration: 8d
sampleInterval: 10m
population: { clients: 5000 }
regions: [{ name: common, servers: 4 }]
leaks: [{ server: common-2, startAfter: 1d, growthMBPerDay: 25, doublingTime: 1d }]
`;
  it('the leaking server stays in rotation until it dies out of memory', () => {
    const l4 = run(text, ['lookup.algorithm=l4']);
    expect(l4.summary.l4!.sentToLeakingServer).toBeGreaterThan(0);
    expect(l4.summary.grayFailures[0].diedAt).not.toBeNull();
    const failedInPauses = l4.series.connectFailuresPerSec!.gcPause.reduce((a, b) => a + b, 0);
    expect(failedInPauses).toBeGreaterThan(0);
  });
});

describe('validation of the baselines', () => {
  const base = `
name: bad
duration: 1m
regions: [{ name: common, servers: 3 }]
`;
  const problems = (text: string) => {
    try {
      parseScenarioText(text, 'bad.yaml');
    } catch (error) {
      if (error instanceof ScenarioError) return error.message;
      throw error;
    }
    return '';
  };
  it('more VIPs than a region has servers', () => {
    const message = problems(`${base}lookup: { algorithm: l4 }\nl4: { vips: 4 }\n`);
    expect(message).toContain('bad.yaml');
    expect(message).toContain('l4.vips');
    expect(message).toContain('at most 3 VIPs per region');
  });
  it('a service choosing another algorithm, and an algorithm change, under dns', () => {
    const message = problems(`${base}lookup: { algorithm: dns }\nservices: [{ name: a, regions: [common], algorithm: wlc }]\nfaults: [{ kind: algorithm-change, at: 10s, service: a, algorithm: rr }]\n`);
    expect(message).toContain('services[0].algorithm');
    expect(message).toContain('faults[0].kind');
  });
  it('a TTL share outside [0, 1], and a bad ttl', () => {
    const message = problems(`${base}lookup: { algorithm: dns, dns: { ttl: 0s, ignoreTtl: 1.5 } }\n`);
    expect(message).toContain('lookup.dns.ignoreTtl');
    expect(message).toContain('lookup.dns.ttl');
  });
  it('the sections are left out of result.json when unused, and round-trip when used', () => {
    // A small population: what is asserted is the scenario written into result.json, not the run.
    const small = `${base}population: { clients: 1000 }\n`;
    const plain = run(small);
    expect((plain.scenario.lookup as Record<string, unknown>).dns).toBeUndefined();
    expect(plain.scenario.l4).toBeUndefined();
    expect((plain.scenario.population as Record<string, unknown>).clients).toBe(1000);
    const used = run(`${small}lookup: { algorithm: l4 }\nl4: { vips: 3 }\n`);
    expect((used.scenario.l4 as Record<string, unknown>).vips).toBe(3);
  });
});
