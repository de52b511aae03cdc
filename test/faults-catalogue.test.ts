// The faults of docs/model.md §7.10: a data centre (site) lost with all it
// holds, and a carrier outage limited to some MCCs; with the scenario file
// checks that keep them honest.
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError, canonicalScenario, type ScenarioIssue } from '../sim/scenario/load.ts';
import { Simulation } from './support/model.ts';

const SITES = `
name: sites
duration: 300s
population: { clients: 4000 }
lookup: { instances: 2 }
managers: { count: 2 }
regions:
  - { name: common, servers: 4 }
sites:
  - { name: idc-a, servers: [common-0, common-1], lookups: [0], managers: [0] }
  - { name: idc-b, servers: [common-2, common-3], lookups: [1], managers: [1] }
faults:
  - { kind: site-outage, site: idc-a, at: 10s, duration: 100s }
`;

function issuesOf(text: string): ScenarioIssue[] {
  try {
    parseScenarioText(text, 'f.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('site-outage (IDC loss)', () => {
  it('takes down the site\'s lookups, master manager and servers together, as vanished hosts, and brings them back', () => {
    const sim = new Simulation(parseScenarioText(SITES, 'sites.yaml').scenario);
    sim.runUntil(10.001);
    expect([sim.lookups.isUp(0), sim.lookups.isUp(1)]).toEqual([false, true]);
    expect(Array.from(sim.servers.hostUp)).toEqual([0, 0, 1, 1]);
    expect(sim.servers.sessions[0] + sim.servers.sessions[1]).toBe(0);
    expect(sim.managers!.failovers).toEqual([{ masterDiedAt: 10, newMasterAt: null, newMaster: null }]);
    // The master's znode expires one ZooKeeper session timeout later: manager 1, in the other site, takes over.
    sim.runUntil(20.001);
    expect(sim.managers!.failovers[0]).toEqual({ masterDiedAt: 10, newMasterAt: 20, newMaster: 1 });
    sim.runUntil(110.001);
    expect(sim.lookups.isUp(0)).toBe(true);
    expect(Array.from(sim.servers.hostUp)).toEqual([1, 1, 1, 1]);
    expect(Array.from(sim.servers.alive)).toEqual([1, 1, 1, 1]);
    // Both servers' clients were lost with them and are back on the survivors, or on the returning site later.
    sim.runUntil(300);
    expect(sim.metrics.connected).toBe(4000);
    const result = sim.result();
    expect(result.events.map((e) => e.kind)).toContain('site-down');
    expect(result.events.map((e) => e.kind)).toContain('site-up');
  });

  it('writes the site back by name in the canonical scenario', () => {
    const { scenario } = parseScenarioText(SITES, 'sites.yaml');
    const canonical = canonicalScenario(scenario) as { sites: unknown[]; faults: unknown[] };
    expect(canonical.sites[0]).toMatchObject({ name: 'idc-a', servers: ['common-0', 'common-1'], lookups: [0], managers: [0] });
    expect(canonical.faults[0]).toEqual({ kind: 'site-outage', at: '10s', duration: '100s', site: 'idc-a' });
    expect(parseScenarioText(JSON.stringify(canonical), 'again.yaml').scenario.faults).toEqual(scenario.faults);
  });

  it('takes a region\'s servers with the site when the site names the region', () => {
    const { scenario } = parseScenarioText(`
name: r
duration: 100s
regions: [{ name: kr, mcc: [450], servers: 3 }, { name: common, servers: 2 }]
sites: [{ name: a, regions: [kr], servers: [common-1] }]
faults: [{ kind: site-outage, site: a, at: 1s, duration: 10s }]
`, 'r.yaml');
    expect(scenario.faults[0]).toMatchObject({ servers: [0, 1, 2, 4], lookups: [], managers: [] });
  });

  it.each([
    ['faults: [{ kind: site-outage, site: idc-c, at: 1s, duration: 10s }]', 'faults[0].site', /no site "idc-c"; sites: "idc-a", "idc-b"/],
  ])('rejects %s', (faults, path, message) => {
    const text = SITES.replace(/faults:\n.*\n$/, `${faults}\n`);
    const issue = issuesOf(text).find((i) => i.path === path);
    expect(issue?.message).toMatch(message);
  });

  it.each([
    ['  - { name: c, regions: [mars] }', 'sites[2].regions[0]', /region/],
    ['  - { name: c, servers: [common-9] }', 'sites[2].servers[0]', /no server named "common-9"/],
    ['  - { name: c, lookups: [2] }', 'sites[2].lookups[0]', /no lookup instance 2/],
    ['  - { name: c, managers: [2] }', 'sites[2].managers[0]', /no manager 2: managers.count is 2/],
    ['  - { name: c }', 'sites[2]', /a site holds nothing/],
    ['  - { name: idc-a, lookups: [1] }', 'sites[2].name', /declared twice/],
  ])('rejects a site %s at its field', (site, path, message) => {
    const text = SITES.replace('faults:', `${site}\nfaults:`);
    const issue = issuesOf(text).find((i) => i.path === path);
    expect(issue?.message, JSON.stringify(issuesOf(text))).toMatch(message);
  });
});

describe('carrier outage limited to some MCCs', () => {
  const text = (mcc: string) => `
name: mcc
duration: 100s
population: { clients: 1000, mcc: { 450: 0.7, 460: 0.3 } }
regions: [{ name: kr, mcc: [450], servers: 2 }, { name: cn, mcc: [460], servers: 2 }, { name: common, servers: 1 }]
faults: [{ kind: carrier-outage, at: 10s, duration: 30s, mcc: ${mcc} }]
`;

  it('drops exactly the sessions of clients with those MCCs', () => {
    const sim = new Simulation(parseScenarioText(text('[460]'), 'mcc.yaml').scenario);
    const cn = Array.from({ length: 1000 }, (_, c) => sim.clients.regionOf(c)).filter((r) => r === 1).length;
    expect(cn).toBe(300);
    sim.runUntil(10.001);
    expect(sim.metrics.connected).toBe(700);
    expect(Array.from(sim.metrics.connectedByRegion)).toEqual([700, 0, 0]);
  });

  it('rejects an MCC no client has, at its place in the list', () => {
    const issue = issuesOf(text('[460, 440]')).find((i) => i.path === 'faults[0].mcc[1]');
    expect(issue?.message).toMatch(/no client has MCC 440: population.mcc lists 450, 460/);
  });
});
