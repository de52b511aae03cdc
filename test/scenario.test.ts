import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ScenarioError,
  canonicalScenario,
  loadScenarioFile,
  parseScenarioText,
  serverNames,
  type ScenarioIssue,
} from '../sim/scenario/load.ts';
import { scenarioJsonSchema, type JsonSchema } from '../sim/scenario/schema.ts';
import type { Scenario } from '../sim/scenario/types.ts';
import { schemaErrors } from './support/json-schema.ts';
import { testTmp } from './support/temp.ts';

const FILE = 'test.yaml';
const MINIMAL = 'name: t\nduration: 30m\n';

function load(text: string, overrides: string[] = []) {
  return parseScenarioText(text, FILE, overrides);
}

/** The issues a text produces; fails the test if it loads. */
function issuesOf(text: string, overrides: string[] = []): ScenarioIssue[] {
  try {
    load(text, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

/** The one issue at `path`. */
function issueAt(text: string, path: string, overrides: string[] = []): ScenarioIssue {
  const issues = issuesOf(text, overrides);
  const matching = issues.filter((issue) => issue.path === path);
  expect(matching, `issues: ${JSON.stringify(issues, null, 1)}`).toHaveLength(1);
  return matching[0];
}

/** 1-based line and column of the first occurrence of `needle`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function expectAt(issue: ScenarioIssue, text: string, needle: string): void {
  expect({ line: issue.line, column: issue.column }).toEqual(positionOf(text, needle));
  expect(issue.file).toBe(FILE);
}

describe('defaults', () => {
  const { scenario, warnings } = load(MINIMAL);

  it('match docs/model.md for clients, population and network', () => {
    expect(warnings).toEqual([]);
    expect(scenario).toMatchObject({
      name: 't',
      description: '',
      seed: 1,
      duration: 1800,
      sampleInterval: 1,
      rtt: 0.05,
      population: { clients: 1_000_000, mcc: [{ mcc: 450, share: 1 }], start: 'connected' },
    });
  });

  it('match docs/model.md §3 for client behaviour', () => {
    expect(scenario.client).toEqual({
      requestTimeout: 5,
      connectTimeout: 5,
      connectRetries: 2,
      lookupFailover: Infinity,
      keepalive: 30,
      backoff: { policy: 'gcm', initial: 3, max: 300 },
      sessionLifetimeMean: 3600,
      throttle: null,
    });
  });

  it('match docs/model.md §4 for lookups', () => {
    expect(scenario.lookup).toEqual({
      instances: 4,
      capacity: 20000,
      infoRefresh: 10,
      localCounting: true,
      retryAfter: null,
      algorithm: 'weighted-least-connection',
      choices: 2,
      slowStart: { window: 60, aggression: 1, minWeightPercent: 10 },
      admission: null,
      dns: null,
    });
    expect(scenario.l4).toBeNull();
  });

  it('match docs/model.md §5 for managers', () => {
    expect(scenario.managers).toEqual({
      count: 2,
      healthInterval: 5,
      healthTimeout: 2,
      failThreshold: 3,
      recoverThreshold: 3,
      syncInterval: 5,
      zkSessionTimeout: 10,
    });
  });

  it('match docs/model.md §6 for session servers', () => {
    expect(scenario.sessionServer).toEqual({
      maxSessions: 150_000,
      maxAcceptsPerSec: 2000,
      overloadAcceptsPerSec: 5000,
      overloadFor: 10,
      startupTime: 30,
      restartAfterCrash: 120,
      weight: 1,
      // The source's 1398144K heap, a healthy ~8 % live after full GC.
      heap: { sizeMB: 1365, healthyLivePercent: 8, noisePercent: 1.5, fullGcInterval: 3600, fullGcPause: 0.3, cpuPercent: 20, tick: 60 },
    });
  });

  it('give one common region of 10 servers and no faults', () => {
    expect(scenario.regions).toEqual([{ name: 'common', mcc: [], servers: 10, spare: 0, failover: null }]);
    expect(scenario.faults).toEqual([]);
  });

  it('are fresh copies, not shared between loads', () => {
    const first = load(MINIMAL).scenario;
    first.regions[0].mcc.push(999);
    first.population.mcc[0].share = 0.5;
    expect(load(MINIMAL).scenario.regions[0].mcc).toEqual([]);
    expect(load(MINIMAL).scenario.population.mcc[0].share).toBe(1);
  });
});

describe('keywords', () => {
  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])('takes no inherited property name %s for an alias', (word) => {
    // An alias table is an object: its prototype's names are not aliases (a fuzz case found "__proto__" accepted).
    for (const path of ['lookup.algorithm', 'faults.0.mode']) {
      const text = `name: t\nduration: 10m\nfaults: [{ kind: server-crash, at: 1m, servers: [common-0] }]\n`;
      expect(() => parseScenarioText(text, 'k.yaml', [`${path}=${word}`]), `${path}=${word}`).toThrow(/expected one of/);
    }
  });
});

describe('resolution', () => {
  it('maps the file layout onto Scenario and resolves keywords and aliases', () => {
    const { scenario } = load(`
name: full
duration: 1h
network: {rtt: 0s}
client:
  churn: off
lookup:
  algorithm: p2c
  capacity: unlimited
sessionServer:
  maxSessions: unlimited
  restartAfterCrash: never
faults:
  - {kind: lookup-outage, at: 0s, duration: 10m}
  - {kind: server-crash, at: 5m, servers: [common-3], mode: blackhole, restartAfter: 2m}
  - {kind: carrier-outage, at: 1m, duration: 1m, fraction: 0.5}
`);
    expect(scenario.rtt).toBe(0);
    expect(scenario.client.sessionLifetimeMean).toBeNull();
    expect(scenario.lookup.algorithm).toBe('power-of-d');
    expect(scenario.lookup.capacity).toBe(Infinity);
    expect(scenario.sessionServer.maxSessions).toBe(Infinity);
    expect(scenario.sessionServer.restartAfterCrash).toBeNull();
    expect(scenario.faults).toEqual([
      { kind: 'lookup-outage', at: 0, duration: 600, instances: [0, 1, 2, 3], mode: 'blackhole' },
      { kind: 'server-crash', at: 300, servers: [3], mode: 'blackhole', restartAfter: 120 },
      { kind: 'carrier-outage', at: 60, duration: 60, region: null, mcc: null, fraction: 0.5 },
    ]);
  });

  it.each([
    ['rr', 'round-robin'],
    ['wlc', 'weighted-least-connection'],
    ['random', 'random'],
  ])('resolves algorithm %j to %j', (alias, name) => {
    expect(load(`${MINIMAL}lookup: {algorithm: ${alias}}\n`).scenario.lookup.algorithm).toBe(name);
  });

  it('turns churn off with sessionLifetimeMean: off as well as churn: off', () => {
    const text = `${MINIMAL}client: {churn: {sessionLifetimeMean: off}}\n`;
    expect(load(text).scenario.client.sessionLifetimeMean).toBeNull();
  });

  it('normalizes MCC shares to sum 1 and sorts them by MCC', () => {
    const { scenario } = load(`${MINIMAL}population: {mcc: {460: 1, 440: 1, 450: 2}}\n`);
    expect(scenario.population.mcc).toEqual([
      { mcc: 440, share: 0.25 },
      { mcc: 450, share: 0.5 },
      { mcc: 460, share: 0.25 },
    ]);
  });

  it('numbers servers globally, region by region', () => {
    const { scenario } = load(`${MINIMAL}
regions:
  - {name: korea, mcc: [450], servers: 2}
  - {name: common, servers: 3}
faults:
  - {kind: server-crash, at: 1m, servers: [common-0, korea-1]}
`);
    expect(serverNames(scenario)).toEqual(['korea-0', 'korea-1', 'common-0', 'common-1', 'common-2']);
    expect(scenario.faults[0]).toMatchObject({ servers: [2, 1] });
  });
});

describe('schema errors', () => {
  it('requires a unit on a duration, pointing at the value', () => {
    const text = `${MINIMAL}client:\n  keepalive: 5\n`;
    const issue = issueAt(text, 'client.keepalive');
    expect(issue.message).toBe('expected a duration with a unit such as "5s" or "10m", found 5');
    expectAt(issue, text, '5\n');
  });

  it.each([
    ['-5s', /cannot be negative/],
    ['10 minutes', /unknown unit "minutes"/],
    ['5 sec', /unknown unit "sec"/],
    ['""', /empty/],
  ])('rejects the duration %s', (value, reason) => {
    expect(issueAt(`${MINIMAL}sampleInterval: ${value}\n`, 'sampleInterval').message).toMatch(reason);
  });

  it('enforces duration bounds', () => {
    expect(issueAt(`name: t\nduration: 0s\n`, 'duration').message).toBe('expected a duration > 0s, found "0s"');
  });

  it('rejects a bare number where a rate is expected', () => {
    const text = `${MINIMAL}lookup:\n  capacity: 20000\n`;
    const issue = issueAt(text, 'lookup.capacity');
    expect(issue.message).toMatch(/^expected a rate such as "2000\/s".*found 20000$/);
    expectAt(issue, text, '20000\n');
  });

  it('refuses zero where a rate must be positive', () => {
    expect(issueAt(`${MINIMAL}lookup: {capacity: 0/s}\n`, 'lookup.capacity').message).toMatch(/> 0\/s/);
  });

  it('suggests the closest field for an unknown key, pointing at the key', () => {
    const text = `${MINIMAL}client:\n  requestTimout: 5s\n`;
    const issue = issueAt(text, 'client.requestTimout');
    expect(issue.message).toBe('unknown field "requestTimout" (did you mean "requestTimeout"?)');
    expectAt(issue, text, 'requestTimout');
  });

  it('lists the known fields when no key is close', () => {
    const issue = issueAt(`${MINIMAL}network: {bandwidth: 1}\n`, 'network.bandwidth');
    expect(issue.message).toBe('unknown field "bandwidth" (known fields: rtt)');
  });

  it('reports a missing required field at its parent', () => {
    const text = `# header\nname: t\n`;
    const issue = issueAt(text, 'duration');
    expect(issue.message).toMatch(/^missing required field "duration"/);
    expectAt(issue, text, 'name: t');
  });

  it('reports a missing field of a list item at the item', () => {
    const text = `${MINIMAL}regions:\n  - servers: 2\n`;
    const issue = issueAt(text, 'regions[0].name');
    expect(issue.message).toMatch(/missing required field "name"/);
    expectAt(issue, text, 'servers: 2');
  });

  it.each([
    ['lookup: {instances: 0}', 'lookup.instances', 'expected an integer between 1 and 1000, found 0'],
    ['lookup: {instances: 2.5}', 'lookup.instances', 'expected an integer between 1 and 1000, found 2.5'],
    ['client: {connectRetries: 101}', 'client.connectRetries', 'expected an integer between 0 and 100, found 101'],
    ['seed: -1', 'seed', 'expected an integer >= 0, found -1'],
    ['seed: "7"', 'seed', 'expected an integer >= 0, found "7"'],
    ['sessionServer: {weight: 0}', 'sessionServer.weight', 'expected a number > 0, found 0'],
    ['sessionServer: {maxSessions: 0}', 'sessionServer.maxSessions', 'expected an integer >= 1, or "unlimited", found 0'],
    ['lookup: {localCounting: yes}', 'lookup.localCounting', 'expected true or false, found "yes"'],
    ['population: {start: online}', 'population.start', 'expected one of "connected", "disconnected", found "online"'],
    ['description: [a]', 'description', 'expected a string, found a list'],
    ['network: 5', 'network', 'expected a mapping with fields rtt, found 5'],
    ['regions: []', 'regions', 'expected a list of at least 1 item, found a list'],
    ['population: {mcc: {}}', 'population.mcc', 'expected a mapping with at least one entry, found a mapping'],
    ['population: {mcc: {450: 0}}', 'population.mcc.450', 'expected a number > 0, found 0'],
    ['population: {mcc: {1000: 1}}', 'population.mcc.1000', 'expected an integer key between 0 and 999, found "1000"'],
  ])('%s → %s', (yaml, path, message) => {
    expect(issueAt(`${MINIMAL}${yaml}\n`, path).message).toBe(message);
  });

  it.each([
    ['lookup: {algorithm: wlcc}', 'lookup.algorithm', /found "wlcc" \(did you mean "wlc"\?\)$/],
    ['sessionServer: {restartAfterCrash: nevr}', 'sessionServer.restartAfterCrash', /or "never", found "nevr" \(did you mean "never"\?\)$/],
    ['client: {churn: of}', 'client.churn', /or "off", found "of" \(did you mean "off"\?\)$/],
    ['sessionServer: {maxSessions: unlimted}', 'sessionServer.maxSessions', /did you mean "unlimited"/],
  ])('suggests the keyword for a typo: %s', (yaml, path, message) => {
    expect(issueAt(`${MINIMAL}${yaml}\n`, path).message).toMatch(message);
  });

  it('checks probabilities are in (0, 1]', () => {
    const fault = (fraction: number) => `${MINIMAL}faults:\n  - {kind: carrier-outage, at: 0s, duration: 1m, fraction: ${fraction}}\n`;
    expect(issueAt(fault(0), 'faults[0].fraction').message).toBe('expected a number in (0, 1], found 0');
    expect(issueAt(fault(1.5), 'faults[0].fraction').message).toBe('expected a number in (0, 1], found 1.5');
    expect(load(fault(1)).scenario.faults[0]).toMatchObject({ fraction: 1 });
  });

  it('checks the name pattern', () => {
    const text = 'name: Lookup Outage\nduration: 1m\n';
    const issue = issueAt(text, 'name');
    expect(issue.message).toMatch(/lowercase letters, digits.*found "Lookup Outage"/);
    expectAt(issue, text, 'Lookup Outage');
  });

  it('reports backoff.max below initial at client.backoff.max', () => {
    const text = `${MINIMAL}client:\n  backoff:\n    initial: 10s\n    max: 5s\n`;
    const issue = issueAt(text, 'client.backoff.max');
    expect(issue.message).toBe('max (5s) must be at least initial (10s)');
    expectAt(issue, text, '5s\n');
  });

  describe('faults (discriminated on kind)', () => {
    it('requires kind, at the item', () => {
      const text = `${MINIMAL}faults:\n  - at: 1m\n`;
      const issue = issueAt(text, 'faults[0].kind');
      expect(issue.message).toMatch(/^missing required field "kind" \(one of "lookup-outage", "carrier-outage", "site-outage", "manager-crash", "deploy", "server-start", "algorithm-change", "mcc-remap", "server-crash"\)/);
      expectAt(issue, text, 'at: 1m');
    });

    it('suggests the closest kind', () => {
      const text = `${MINIMAL}faults:\n  - kind: server-crsh\n`;
      const issue = issueAt(text, 'faults[0].kind');
      expect(issue.message).toMatch(/found "server-crsh" \(did you mean "server-crash"\?\)$/);
      expectAt(issue, text, 'server-crsh');
    });

    it("rejects another kind's field", () => {
      const text = `${MINIMAL}faults:\n  - {kind: lookup-outage, at: 1m, duration: 1m, servers: [common-0]}\n`;
      expect(issueAt(text, 'faults[0].servers').message).toMatch(/^unknown field "servers"/);
    });

    it('requires servers on a server crash and at on every fault', () => {
      const issues = issuesOf(`${MINIMAL}faults:\n  - {kind: server-crash}\n`);
      expect(issues.map((i) => i.path).sort()).toEqual(['faults[0].at', 'faults[0].servers']);
    });
  });

  it('collects every problem, not just the first', () => {
    const issues = issuesOf(`
name: Bad
duration: 5
client: {keepalive: -1s, requestTimout: 1s}
lookup: {instances: 0, algorithm: fastest}
faults: [{kind: nope}]
`);
    expect(issues.map((i) => i.path)).toEqual([
      'name',
      'duration',
      'client.keepalive',
      'client.requestTimout',
      'lookup.instances',
      'lookup.algorithm',
      'faults[0].kind',
    ]);
  });

  it('formats the error message one issue per line as FILE:LINE:COL: PATH: MESSAGE', () => {
    try {
      load('name: t\nduration: 30m\nseed: -1\nlookup: {instances: 0}\n');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        'test.yaml:3:7: seed: expected an integer >= 0, found -1\n' +
          'test.yaml:4:21: lookup.instances: expected an integer between 1 and 1000, found 0',
      );
    }
  });
});

describe('YAML and file problems', () => {
  it('reports a syntax error with its position', () => {
    const issues = issuesOf(`${MINIMAL}regions: [ {name: a}\n`);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0].message).toMatch(/^YAML: /);
    expect(issues[0].line).toBeGreaterThanOrEqual(3);
  });

  it('reports a duplicate key with its path and line', () => {
    const text = `${MINIMAL}client:\n  keepalive: 1s\n  keepalive: 2s\n`;
    const issue = issueAt(text, 'client.keepalive');
    expect(issue.message).toBe('duplicate key "keepalive" (a key may appear only once in a mapping)');
    expect(issue.line).toBe(5);
  });

  it.each([
    ['', /the file is empty/],
    ['# only a comment\n', /the file is empty/],
    ['- a\n- b\n', /expected a mapping of scenario fields .* found a list/],
    ['just text\n', /expected a mapping of scenario fields .* found "just text"/],
    ['a\u0000b', /binary file/],
  ])('rejects %j with a clear issue', (text, message) => {
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: FILE, path: '' });
    expect(issues[0].message).toMatch(message);
  });

  it('reports a missing file, a directory and a binary file as ScenarioErrors', () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-scenario-'));
    const binary = join(dir, 'binary.yaml');
    writeFileSync(binary, Buffer.from([0x6e, 0x00, 0xff, 0x01]));
    expect(() => loadScenarioFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: no such scenario file/);
    expect(() => loadScenarioFile(dir)).toThrow(/is a directory/);
    expect(() => loadScenarioFile(binary)).toThrow(ScenarioError);
    expect(() => loadScenarioFile(binary)).toThrow(/binary\.yaml: this is a binary file/);
  });

  it('loads a file from disk and names it in issues', () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-scenario-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: t\nduration: 10\n');
    expect(() => loadScenarioFile(file)).toThrow(`${file}:2:11: duration: expected a duration`);
    writeFileSync(file, MINIMAL);
    expect(loadScenarioFile(file).scenario.duration).toBe(1800);
  });
});

describe('semantic checks', () => {
  const regions = (yaml: string) => `${MINIMAL}regions:\n${yaml}`;

  it('rejects duplicate region names', () => {
    const text = regions('  - {name: common}\n  - {name: common}\n');
    const issue = issueAt(text, 'regions[1].name');
    expect(issue.message).toBe('duplicate region name "common" (also regions[0])');
    expect(issue.line).toBe(5);
  });

  it('checks region names against the name pattern', () => {
    expect(issueAt(regions('  - {name: Common}\n'), 'regions[0].name').message).toMatch(/lowercase/);
  });

  it('requires failover to name another existing region', () => {
    const text = regions('  - {name: common, failover: korae}\n  - {name: korea, mcc: [450], failover: korea}\n');
    const issues = issuesOf(text);
    expect(issues.find((i) => i.path === 'regions[0].failover')?.message).toBe('no region named "korae" (did you mean "korea"?)');
    expect(issues.find((i) => i.path === 'regions[1].failover')?.message).toBe('region "korea" cannot fail over to itself');
    expect(issues.find((i) => i.path === 'regions[0].failover')?.line).toBe(4);
  });

  it('rejects a failover cycle once', () => {
    const text = regions('  - {name: common, failover: b}\n  - {name: b, failover: c}\n  - {name: c, failover: b}\n');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'regions[1].failover', line: 5, message: 'failover chain forms a cycle: b -> c -> b' });
  });

  it('accepts a failover chain without a cycle', () => {
    const text = regions('  - {name: common, failover: b}\n  - {name: b, failover: c}\n  - {name: c}\n');
    expect(load(text).scenario.regions.map((r) => r.failover)).toEqual(['b', 'c', null]);
  });

  it('maps an MCC to at most one region', () => {
    const text = regions('  - {name: common, mcc: [450]}\n  - {name: korea, mcc: [460, 450]}\n');
    const issue = issueAt(text, 'regions[1].mcc[1]');
    expect(issue.message).toMatch(/MCC 450 is already mapped to region "common"/);
    expect(issue).toMatchObject({ line: 5, column: 30 }); // the second 450, in `[460, 450]`
  });

  it('needs a common region for unmapped population MCCs', () => {
    const text = `${MINIMAL}population:\n  mcc: {450: 1, 440: 1}\nregions:\n  - {name: korea, mcc: [450]}\n`;
    const issue = issueAt(text, 'population.mcc.440');
    expect(issue.message).toMatch(/MCC 440 is not mapped to any region, and there is no region named "common"/);
    expectAt(issue, text, '440');
  });

  it('checks lookup-outage instance indices against lookup.instances', () => {
    const text = `${MINIMAL}lookup: {instances: 2}\nfaults:\n  - {kind: lookup-outage, at: 0s, duration: 1m, instances: [0, 2]}\n`;
    const issue = issueAt(text, 'faults[0].instances[1]');
    expect(issue.message).toBe('no lookup instance 2: lookup.instances is 2, so indices run 0..1');
    expectAt(issue, text, '2]}');
  });

  it('checks server names exist', () => {
    const text = `${MINIMAL}faults:\n  - kind: server-crash\n    at: 1m\n    servers: [common-9, common-10, korea-0]\n`;
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(['faults[0].servers[1]', 'faults[0].servers[2]']);
    expect(issues[0].message).toBe('no server named "common-10": region "common" has 10 server(s), common-0..common-9');
    expect(issues[1].message).toMatch(/no server named "korea-0"; servers are named <region>-<index>/);
    expectAt(issues[0], text, 'common-10');
  });

  it('checks a carrier outage region exists', () => {
    const text = `${MINIMAL}faults:\n  - {kind: carrier-outage, at: 0s, duration: 1m, region: comon}\n`;
    expect(issueAt(text, 'faults[0].region').message).toBe('no region named "comon" (did you mean "common"?)');
  });

  it('requires a fault to start before the end of the run', () => {
    const text = `${MINIMAL}faults:\n  - kind: lookup-outage\n    at: 30m\n    duration: 1m\n`;
    const issue = issueAt(text, 'faults[0].at');
    expect(issue.message).toBe('the fault starts at 30m, which is not before the end of the run (30m)');
    expect(issue.line).toBe(5);
  });

  it('warns, without failing, when a fault ends after the run', () => {
    const text = `${MINIMAL}faults:\n  - kind: lookup-outage\n    at: 25m\n    duration: 10m\n`;
    const { scenario, warnings } = load(text);
    expect(scenario.faults).toHaveLength(1);
    expect(warnings).toEqual(['test.yaml:6:15: faults[0].duration: the fault ends at 35m, after the end of the run (30m)']);
  });

  it('warns when more clients than all servers can hold', () => {
    const { warnings } = load(`${MINIMAL}population: {clients: 1500001}\n`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^test\.yaml:3:23: population\.clients: 1500001 clients exceed the total session capacity of 1500000/);
    expect(load(`${MINIMAL}population: {clients: 1500000}\n`).warnings).toEqual([]);
  });

  it('runs semantic checks together, reporting them all', () => {
    const text = `${MINIMAL}regions:\n  - {name: a, failover: x}\n  - {name: a}\nfaults:\n  - {kind: carrier-outage, at: 1h, duration: 1m, region: y}\n`;
    expect(issuesOf(text).map((i) => i.path)).toEqual([
      'population.mcc.450',
      'regions[0].failover',
      'regions[1].name',
      'faults[0].at',
      'faults[0].region',
    ]);
  });
});

describe('overrides (--set)', () => {
  const base = `${MINIMAL}client:\n  backoff:\n    max: 300s\nfaults:\n  - {kind: lookup-outage, at: 1m, duration: 10m}\n`;

  it('sets a nested value', () => {
    expect(load(base, ['client.backoff.max=3600s']).scenario.client.backoff.max).toBe(3600);
  });

  it('creates intermediate mappings for valid but absent keys', () => {
    expect(load(MINIMAL, ['network.rtt=0s']).scenario.rtt).toBe(0);
    expect(load(MINIMAL, ['population.mcc.460=1']).scenario.population.mcc).toEqual([
      { mcc: 450, share: 0.5 },
      { mcc: 460, share: 0.5 },
    ]);
  });

  it('addresses list items by index and reads flow values', () => {
    const { scenario } = load(base, ['faults.0.at=5m', 'regions.0.mcc=[450,460]', 'faults.0.instances=[1, 3]']);
    expect(scenario.faults[0]).toMatchObject({ at: 300, instances: [1, 3] });
    expect(scenario.regions[0].mcc).toEqual([450, 460]);
  });

  it('appends a list item at index = length', () => {
    const { scenario } = load(base, ['faults.1={kind: server-crash, at: 2m, servers: [common-0]}']);
    expect(scenario.faults[1]).toMatchObject({ kind: 'server-crash', at: 120, servers: [0] });
  });

  it('replaces a keyword in the way of a nested override', () => {
    const text = `${MINIMAL}client: {churn: off}\n`;
    expect(load(text, ['client.churn.sessionLifetimeMean=30m']).scenario.client.sessionLifetimeMean).toBe(1800);
  });

  it('applies overrides in order, the last one winning', () => {
    expect(load(MINIMAL, ['seed=2', 'seed=3']).scenario.seed).toBe(3);
  });

  it('reports a malformed override at the --set', () => {
    const issues = issuesOf(MINIMAL, ['seed']);
    expect(issues).toEqual([{ file: '--set seed', path: '', message: 'expected PATH=VALUE, e.g. --set client.backoff.max=3600s' }]);
  });

  it('reports a path the schema does not have, with a suggestion', () => {
    const issues = issuesOf(MINIMAL, ['client.backof.max=1s', 'faults.x=1', 'name.first=x']);
    expect(issues).toEqual([
      { file: '--set client.backof.max=1s', path: 'client.backof.max', message: 'unknown field "backof" in client (did you mean "backoff"?)' },
      { file: '--set faults.x=1', path: 'faults.x', message: '"x" is not a list index in faults (use 0, 1, ...)' },
      { file: '--set name.first=x', path: 'name.first', message: 'name has no fields' },
    ]);
  });

  it('reports an index beyond the end of a list', () => {
    const issue = issuesOf(base, ['faults.3.at=1m'])[0];
    expect(issue).toMatchObject({ file: '--set faults.3.at=1m', path: 'faults.3.at' });
    expect(issue.message).toMatch(/index 3 is out of range: faults has 1 item\(s\)/);
    expect(issue.line).toBeUndefined();
  });

  it('reports an unreadable value', () => {
    expect(issuesOf(MINIMAL, ['regions.0.mcc=[450'])[0].message).toMatch(/cannot read the value "\[450" as YAML/);
  });

  it('locates validation problems in an overridden value at the --set', () => {
    const issue = issueAt(base, 'client.backoff.max', ['client.backoff.max=1s']);
    expect(issue).toEqual({ file: '--set client.backoff.max=1s', path: 'client.backoff.max', message: 'max (1s) must be at least initial (3s)' });
  });

  it('locates problems inside an override-created item at the --set', () => {
    const issue = issueAt(base, 'faults[1].at', ['faults.1.kind=server-crash', 'faults.1.servers=[common-0]']);
    expect(issue.file).toBe('--set faults.1.kind=server-crash');
    expect(issue.message).toMatch(/missing required field "at"/);
  });

  it('keeps file positions for problems the overrides did not touch', () => {
    const text = `${MINIMAL}seed: -1\n`;
    const issue = issueAt(text, 'seed', ['lookup.instances=3']);
    expect(issue).toMatchObject({ file: FILE, line: 3 });
  });
});

describe('canonical form', () => {
  const rich = `
name: rich
description: "every feature: ünïcode, quotes \\" and colons: yes"
seed: 42
duration: 1.5h
sampleInterval: 250ms
network: {rtt: 0s}
population:
  clients: 123457
  mcc: {460: 1, 450: 2, 440: 3}
  start: disconnected
client:
  requestTimeout: 2s
  connectTimeout: 1500ms
  connectRetries: 0
  keepalive: 0s
  backoff: {initial: 1s, max: 1h}
  churn: off
lookup: {instances: 3, capacity: unlimited, localCounting: false, algorithm: rr}
sessionServer:
  maxSessions: unlimited
  maxAcceptsPerSec: 1200/min
  overloadAcceptsPerSec: unlimited
  restartAfterCrash: never
  weight: 2.5
regions:
  - {name: korea, mcc: [450], servers: 3, failover: common}
  - {name: china, mcc: [460], servers: 2}
  - {name: common, servers: 4}
faults:
  - {kind: lookup-outage, at: 0s, duration: 10m, instances: [2, 0], mode: refuse}
  - {kind: carrier-outage, at: 1m, duration: 90s, region: china, fraction: 0.3}
  - {kind: server-crash, at: 5m, servers: [common-3, korea-0], restartAfter: 2m}
  - {kind: server-crash, at: 6m, servers: [china-1], mode: blackhole}
`;

  const reload = (s: Scenario) => load(JSON.stringify(canonicalScenario(s))).scenario;

  it('round-trips a scenario using every feature', () => {
    const { scenario } = load(rich);
    expect(reload(scenario)).toEqual(scenario);
  });

  it('round-trips through YAML text too', () => {
    const { scenario } = load(rich);
    expect(load(stringify(canonicalScenario(scenario))).scenario).toEqual(scenario);
  });

  it('round-trips awkward floats exactly', () => {
    const scenario = load(rich).scenario;
    scenario.duration = 0.1 + 0.2 + 3600;
    scenario.rtt = 1e-7;
    scenario.client.sessionLifetimeMean = Math.PI * 1000;
    scenario.lookup.capacity = 1 / 3;
    scenario.sessionServer.maxAcceptsPerSec = 2000.0000001;
    scenario.population.mcc = [
      { mcc: 440, share: 1 / 3 },
      { mcc: 450, share: 1 / 3 },
      { mcc: 460, share: 1 / 3 },
    ];
    expect(reload(scenario)).toEqual(scenario);
    expect(reload(reload(scenario))).toEqual(scenario);
  });

  it('writes units, keywords and server names', () => {
    const canonical = canonicalScenario(load(rich).scenario);
    expect(canonical).toMatchObject({
      duration: '90m',
      sampleInterval: '250ms',
      network: { rtt: '0s' },
      client: { connectTimeout: '1.5s', churn: { sessionLifetimeMean: 'off' }, backoff: { max: '1h' } },
      lookup: { capacity: 'unlimited', algorithm: 'round-robin' },
      sessionServer: { maxSessions: 'unlimited', maxAcceptsPerSec: '20/s', restartAfterCrash: 'never' },
      population: { mcc: { 440: 0.5, 450: 1 / 3, 460: 1 / 6 } },
    });
    expect((canonical.faults as unknown[])[2]).toMatchObject({ servers: ['common-3', 'korea-0'] });
    expect((canonical.faults as unknown[])[0]).toMatchObject({ instances: [2, 0] });
  });

  it('refuses a fault naming a server index the scenario does not have', () => {
    const scenario = load(MINIMAL).scenario;
    scenario.faults.push({ kind: 'server-crash', at: 0, servers: [10], mode: 'refuse', restartAfter: null });
    expect(() => canonicalScenario(scenario)).toThrow(/no server with index 10/);
  });
});

// ---------------------------------------------------------------------------
// JSON Schema, checked by a tiny validator of just the keywords it uses

/** Every object schema that lists properties, anywhere in the tree. */
function objectSchemas(schema: unknown): JsonSchema[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const nested = Object.values(schema).flatMap(objectSchemas);
  return 'properties' in schema ? [schema as JsonSchema, ...nested] : nested;
}

describe('JSON Schema', () => {
  const schema = scenarioJsonSchema();
  const canonical = canonicalScenario(load(MINIMAL).scenario);

  it('is draft 2020-12 with a property for every top-level key', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    // `l4` (like lookup.dns) is left out of the canonical form of a scenario that does not use it.
    expect(Object.keys(schema.properties as object).filter((key) => key !== 'l4')).toEqual(Object.keys(canonical));
    expect(Object.keys(schema.properties as object)).toContain('l4');
    expect(schema.required).toEqual(['name', 'duration']);
  });

  it('closes every object to unknown keys and documents every property', () => {
    const objects = objectSchemas(schema);
    expect(objects.length).toBeGreaterThan(8);
    for (const object of objects) {
      expect(object.additionalProperties).toBe(false);
      for (const property of Object.values(object.properties as Record<string, JsonSchema>)) {
        if (!('const' in property)) expect(property.description).toEqual(expect.any(String));
      }
    }
  });

  it('carries defaults in their written form', () => {
    const client = (schema.properties as Record<string, JsonSchema>).client;
    const backoff = (client.properties as Record<string, JsonSchema>).backoff;
    expect(backoff.default).toEqual({ policy: 'gcm', initial: '3s', max: '5m' });
  });

  it('accepts canonical scenarios', () => {
    expect(schemaErrors(schema, canonical)).toEqual([]);
    const rich = load(`${MINIMAL}
lookup: {capacity: unlimited}
sessionServer: {maxSessions: unlimited, restartAfterCrash: never}
regions: [{name: common, failover: null}, {name: korea, mcc: [450], failover: common}]
faults:
  - {kind: lookup-outage, at: 0s, duration: 10m}
  - {kind: carrier-outage, at: 1m, duration: 1m}
  - {kind: server-crash, at: 5m, servers: [korea-1]}
`).scenario;
    expect(schemaErrors(schema, canonicalScenario(rich))).toEqual([]);
  });

  it('rejects what the loader rejects structurally', () => {
    expect(schemaErrors(schema, { ...canonical, requestTimout: '5s' })).toEqual(['$: unexpected requestTimout']);
    expect(schemaErrors(schema, { ...canonical, duration: 5 })).toEqual(['$.duration: not string']);
    expect(schemaErrors(schema, { ...canonical, duration: '10 minutes' })).toEqual(['$.duration: pattern']);
    expect(schemaErrors(schema, { ...canonical, faults: [{ kind: 'nope', at: '1s' }] })).toEqual([
      '$.faults[0]: not exactly one oneOf branch matches',
    ]);
  });
});

// ---------------------------------------------------------------------------
// The repository's own scenarios

function yamlFilesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
      .map((name) => join(dir, name))
      .sort();
  } catch {
    return [];
  }
}

describe('scenario files in the repository', () => {
  const files = yamlFilesUnder(join(import.meta.dirname, '..', 'scenarios'));

  it.skipIf(files.length === 0)('all load without error', () => {
    const failures = files.flatMap((file) => {
      try {
        loadScenarioFile(file);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(failures).toEqual([]);
  });
});
