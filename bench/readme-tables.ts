// `npm run tables`: reruns the comparisons of the README's "Choosing an
// algorithm and a retry policy" section on the shipped scenarios at their
// full size (seed 1, one run each) and rewrites its two tables between their
// markers, so that they follow the model when it changes. Takes a few
// minutes on a 2-core machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from '../sim/simulation.ts';
import type { RunResult } from '../sim/result.ts';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function run(name: string, overrides: string[]): RunResult {
  const started = performance.now();
  const result = runScenario(loadScenarioFile(`scenarios/${name}.yaml`, [...overrides, 'assert=[]']).scenario);
  process.stderr.write(`${name} ${overrides.join(' ')}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}

const seconds = (x: number | null, end: string) => (x === null ? `not within ${end}` : `${x.toFixed(0)} s`);

function policyTable(): string {
  const policies: [string, string[]][] = [
    ['gcm (default, the source\'s doubling)', ['client.backoff.policy=gcm']],
    ['gcm-clamped', ['client.backoff.policy=gcm-clamped']],
    ['full jitter', ['client.backoff.policy=full']],
    ['equal jitter', ['client.backoff.policy=equal']],
    ['decorrelated jitter', ['client.backoff.policy=decorrelated']],
    ['exponential, no jitter', ['client.backoff.policy=exponential']],
    ['none (fixed 3 s)', ['client.backoff.policy=none']],
    ['gcm + adaptive throttling (K = 2)', ['client.backoff.policy=gcm', 'client.throttle.k=2']],
  ];
  const rows = policies.map(([label, overrides]) => {
    const lookup = run('lookup-outage', overrides);
    const carrier = run('carrier-outage', overrides);
    const l = lookup.summary;
    const c = carrier.summary;
    const limit = c.server.maxAcceptsPerSec;
    const accepts = c.server.peakAcceptsPerSec >= (limit ?? Infinity) ? `${integer.format(c.server.peakAcceptsPerSec)} (limit)` : integer.format(c.server.peakAcceptsPerSec);
    return `| ${label} | ${seconds(l.recovery.full, '30 min')} | ${seconds(l.reconnectTime.p99, '30 min')} | ${integer.format(l.lookup.timedOut)} | ${seconds(c.recovery.full, '30 min')} | ${seconds(c.reconnectTime.p99, '30 min')} | ${integer.format(c.lookup.timedOut)} | ${(c.lookup.peakLoadFactor ?? 0).toFixed(2)} | ${accepts} |`;
  });
  return [
    '| policy | lookup outage: all back | p99 back | lookups timed out | carrier outage: all back | p99 back | lookups timed out | peak lookup load (× capacity) | peak accepts/s on one server |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function algorithmTable(): string {
  const algorithms: [string, string][] = [
    ['round robin', 'round-robin'],
    ['weighted least connection', 'weighted-least-connection'],
    ['random', 'random'],
    ['power of two choices', 'power-of-d'],
    ['least connection, slow start (120 s ramp)', 'least-connection-slow-start'],
  ];
  const rows = algorithms.map(([label, algorithm]) => {
    const herd = run('restart-herd', [`lookup.algorithm=${algorithm}`]);
    // From just before the crashed server is back (it crashes at 1 min, restarts 30 s later, starts for 30 s).
    const from = herd.series.time.findIndex((t) => t >= 115);
    const restarted = Math.max(...herd.series.connectAttemptsPerSec['common-3'].slice(from));
    let deploy = '| |';
    if (algorithm === 'round-robin' || algorithm === 'weighted-least-connection') {
      const d = run('deploy', [`lookup.algorithm=${algorithm}`, 'duration=40m']).summary.imbalance;
      deploy = `${d.maxOverMean?.toFixed(2) ?? '-'} | ${d.cv?.toFixed(3) ?? '-'} |`;
    }
    return `| ${label} | ${herd.summary.server.crashes} | ${integer.format(restarted)} | ${integer.format(herd.summary.notReconnected)} | ${deploy}`;
  });
  return [
    '| algorithm | herd: server crashes (the injected one included) | herd: peak attempts/s on the restarted server | herd: clients without a session at the end | deploy: max/mean sessions at 40 min | deploy: CV |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * The baselines the operators replaced (docs/model.md §1, issue 22) against
 * the custom balancer, on a server crash, a deploy and a carrier outage.
 */
function baselineTable(): string {
  const algorithms: [string, string][] = [
    ['round robin', 'round-robin'],
    ['weighted least connection', 'weighted-least-connection'],
    ['power of two choices', 'power-of-d'],
    ['DNS round robin (TTL 5 min, 1 % ignore it)', 'dns'],
    ['L4 switch (2 VIPs of 5 servers)', 'l4'],
  ];
  const rows = algorithms.map(([label, algorithm]) => {
    const crash = run('server-crash', [`lookup.algorithm=${algorithm}`]).summary;
    const deploy = run('deploy', [`lookup.algorithm=${algorithm}`]).summary;
    const carrier = run('carrier-outage', [`lookup.algorithm=${algorithm}`]).summary;
    return [
      label,
      seconds(crash.recovery.full, '15 min'),
      seconds(crash.recovery.p99, '15 min'),
      String(crash.server.crashes),
      integer.format(deploy.disconnectedClients),
      seconds(deploy.recovery.full, '40 min'),
      String(deploy.server.crashes),
      deploy.imbalance.maxOverMean?.toFixed(2) ?? '-',
      seconds(carrier.recovery.full, '30 min'),
      integer.format(carrier.notReconnected),
    ].join(' | ');
  });
  return [
    '| algorithm | crash: all back | crash: 99 % back | crash: server crashes | deploy: clients disconnected | deploy: all back | deploy: server crashes | deploy: max/mean sessions at 40 min | carrier outage: all back | carrier outage: not back at 30 min |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

function replaceBetween(text: string, tag: string, table: string): string {
  const begin = `<!-- ${tag}:begin -->\n`;
  const end = `\n<!-- ${tag}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`README.md has no ${tag} markers`);
  return text.slice(0, from + begin.length) + table + text.slice(to);
}

// `npm run tables -- baselines` reruns one table (policies, algorithms, baselines); no argument: all of them.
const tables: Record<string, () => string> = { policies: policyTable, algorithms: algorithmTable, baselines: baselineTable };
const chosen = process.argv.slice(2);
for (const name of chosen) if (!(name in tables)) throw new Error(`no table named ${name}: ${Object.keys(tables).join(', ')}`);
// Every table first (minutes of runs), then the README read and written at once: an edit made meanwhile is kept.
const written = Object.entries(tables).filter(([name]) => chosen.length === 0 || chosen.includes(name)).map(([name, table]) => [name, table()] as const);
let readme = readFileSync('README.md', 'utf8');
for (const [name, table] of written) readme = replaceBetween(readme, name, table);
writeFileSync('README.md', readme);
