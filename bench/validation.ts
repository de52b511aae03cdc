// `npm run validation`: runs the reference cases of docs/validation.md with
// seed 1 and writes stampede's figures into the results table of
// docs/validation.md and of README.md (between `<!-- validation:begin -->`
// and `<!-- validation:end -->`), so that no table goes stale when the model
// changes. The tests (test/validation.test.ts, test/balancer.test.ts) check
// the same cases against the same references at their tolerances.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from '../sim/simulation.ts';
import { Algorithm, type AlgorithmCode } from '../sim/model/balancer.ts';
import { ballsIntoBins } from '../sim/model/balls-into-bins.ts';
import type { Distribution, RunResult } from '../sim/result.ts';

function run(file: string, overrides: string[] = []): RunResult {
  return runScenario(loadScenarioFile(`scenarios/validation/${file}`, overrides).scenario);
}

const seconds = (x: number | null) => (x === null ? 'not reached' : x.toFixed(0));
const quantiles = (d: Distribution, withMean = true) =>
  [d.p50, d.p90, d.p99, d.max, ...(withMean ? [d.mean] : [])].map(seconds).join(' / ') + ' s';

function rows(): string[] {
  const v1 = run('v1-carrier-outage-backoff.yaml');
  const v1Clamped = run('v1-carrier-outage-backoff.yaml', ['client.backoff.policy=gcm-clamped']);
  const v2 = run('v2-lookup-outage-churn.yaml');
  const v2Source = run('v2-lookup-outage-churn.yaml', ['client.backoff.policy=gcm']);
  const v2Cap = run('v2-lookup-outage-churn.yaml', ['client.backoff.max=3600s', 'duration=2000s']);
  const at600 = v2.series.connected[v2.series.time.indexOf(600)] / v2.summary.clients;
  const wait = (file: string) => (run(file).summary.lookup.meanWait ?? 0) * 1e6;
  const overload = run('v4-lookup-queue-overload.yaml');
  const served = overload.series.lookups.servedPerSec[0].slice(2);
  const gaps = (algorithm: AlgorithmCode) => Math.max(...[1, 2, 3].map((seed) => ballsIntoBins(algorithm, 1_000_000, 100, seed)));
  return [
    `| V1 carrier outage, 100,000 clients, \`gcm\` (the source's rule): reconnect p50 / p90 / p99 / max / mean | 831.1 / 1000.9 / 1100.6 / 1179 / 834.7 s | ${quantiles(v1.summary.reconnectTime)} |`,
    `| V1 with \`gcm-clamped\` | 764.5 / 906.0 / 999.1 / 1055 / 770.7 s | ${quantiles(v1Clamped.summary.reconnectTime)} |`,
    `| V2 lookup outage, 1,000,000 clients: connected at 600 s | 0.847 | ${at600.toFixed(3)} |`,
    `| V2 (\`gcm-clamped\`) reconnect p50 / p90 / p99 / max / mean | 687 / 872 / 999 / 1054 / 716 s | ${quantiles(v2.summary.reconnectTime)} |`,
    `| V2 under \`gcm\`: all sessions back | ≈ 1180 s (within 20 min by ≈ 20 s) | ${seconds(v2Source.summary.recovery.full)} s (${(1200 - (v2Source.summary.recovery.full ?? Infinity)).toFixed(1)} s to spare) |`,
    `| V2 (\`gcm-clamped\`) with max backoff 3600 s: p99 / max | ≈ 1125 / ≈ 1750 s | ${seconds(v2Cap.summary.reconnectTime.p99)} / ${seconds(v2Cap.summary.reconnectTime.max)} s |`,
    `| V3 round robin, least connection, 10^6 onto 100: max − mean (worst of 3 seeds) | ≤ 1 | ${Math.max(gaps(Algorithm.roundRobin), gaps(Algorithm.weightedLeastConnection)).toFixed(0)} |`,
    `| V3 two choices, 10^6 onto 100: max − mean (worst of 3 seeds) | single digits | ${gaps(Algorithm.powerOfD).toFixed(0)} |`,
    `| V4 M/D/1 mean wait at ρ = 0.5 / 0.9 | 25 / 225 µs | ${wait('v4-lookup-queue-rho-050.yaml').toFixed(1)} / ${wait('v4-lookup-queue-rho-090.yaml').toFixed(0)} µs |`,
    `| V4 above capacity: served per second after the first 2 s (min – max) | μ = 20,000/s | ${Math.min(...served)} – ${Math.max(...served)}/s, ${overload.summary.lookup.timedOut.toLocaleString('en-US')} timed out |`,
  ];
}

const BEGIN = '<!-- validation:begin -->\n';
const END = '\n<!-- validation:end -->';

export function validationTable(): string {
  return ['| case | reference | stampede (seed 1) |', '| --- | --- | --- |', ...rows()].join('\n');
}

function replaceBetween(text: string, table: string, file: string): string {
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END, from);
  if (from < 0 || to < 0) throw new Error(`${file} has no validation markers`);
  return text.slice(0, from + BEGIN.length) + table + text.slice(to);
}

const table = validationTable();
for (const file of ['docs/validation.md', 'README.md']) {
  writeFileSync(file, replaceBetween(readFileSync(file, 'utf8'), table, file));
}
process.stdout.write(`${table}\n`);
