// `stampede capacity FILE --vary population|servers|lookups`: the limit that
// still passes every assertion, with the margin to today's value, and with
// --growth the date today's fleet stops passing. Thin: sim/gate/capacity.ts
// does the search.
import { integerFlag } from './usage-error.ts';
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { capacity, parseGrowth, RunFailedError, VARIED, type CapacityResult, type Probe, type Varied } from '../gate/capacity.ts';
import { formatNumber } from '../gate/assertions.ts';
import { GateInputError } from '../gate/gate.ts';
import { ExitCode } from './exit-codes.ts';
import { MAX_JOBS } from '../batch/jobs.ts';
import { formatInteger } from '../format-integer.ts';

export interface CapacityArgs {
  file: string;
  vary: string;
  region?: string;
  set: string[];
  seed?: number;
  min?: number;
  max?: number;
  'max-runs'?: number;
  precision: string;
  replications: number;
  workers?: number;
  growth?: string;
  today?: string;
  json: boolean;
  quiet: boolean;
}

export function capacityBuilder(y: Argv) {
  return y
    .positional('file', { type: 'string', describe: 'Scenario file (YAML) with an assert: section', demandOption: true })
    .option('vary', { type: 'string', choices: VARIED, demandOption: true, describe: 'What to vary: the population (largest that passes), or servers / lookups (fewest that pass)' })
    .option('region', { type: 'string', describe: 'With --vary servers in a multi-region scenario: the region whose servers vary' })
    .option('set', { type: 'string', array: true, default: [], describe: 'Override a field first: --set population.clients=50000 (repeatable)' })
    .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: "Root seed (overrides the scenario's seed)" })
    .option('min', { type: 'string', coerce: integerFlag('min'), describe: 'Lowest value to try (default 1)' })
    .option('max', { type: 'string', coerce: integerFlag('max'), describe: 'Highest value to try (population: 4 * servers * maxSessions; servers 10000; lookups 1000)' })
    .option('max-runs', { type: 'string', coerce: integerFlag('max-runs'), describe: 'Stop after this many runs (each probe costs --replications runs; default 16 probes)' })
    .option('precision', { type: 'string', default: '1%', describe: 'Population: stop when the passing and failing values are this close (a percentage of the passing one; 0 for exact)' })
    .option('replications', { type: 'string', coerce: integerFlag('replications'), default: 1, describe: 'Runs per probe (the same seeds at every probe)' })
    .option('workers', { type: 'string', coerce: integerFlag('workers'), describe: 'Worker threads for the replications of a probe (default: one per core)' })
    .option('growth', { type: 'string', describe: 'Population growth, e.g. 3%/month: print the date today\'s fleet stops passing (--vary population)' })
    .option('today', { type: 'string', describe: 'The date growth starts from, YYYY-MM-DD (default: today, UTC)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'No per-probe lines on stderr (drawn only when it is a terminal)' })
    .example('$0 capacity scenarios/lookup-outage.yaml --vary population --set population.clients=50000 --growth 3%/month', 'How many clients the fleet carries, and until when')
    .example('$0 capacity scenarios/server-crash.yaml --vary servers', 'The fewest session servers that still pass')
    .epilogue('Exit codes: 0 the search finished (whatever the limit), 2 invalid input, 70 internal error (a run crashed). See docs/gate.md.')
    .strict();
}

function parsePrecision(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/.exec(text);
  if (!match) throw new GateInputError(`--precision: expected a percentage such as "1%" (or 0 for exact), found ${JSON.stringify(text)}`);
  return match[2] === '%' ? Number(match[1]) / 100 : Number(match[1]);
}

export async function capacityCommand(args: CapacityArgs): Promise<number> {
  try {
    const workers = args.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) throw new GateInputError(`--workers must be a positive integer, got ${args.workers}`);
    const growth = args.growth === undefined ? undefined : parseGrowth(args.growth);
    const today = args.today ?? (growth === undefined ? undefined : new Date().toISOString().slice(0, 10));
    const replications = args.replications;
    if (!Number.isInteger(replications) || replications < 1) throw new GateInputError(`--replications must be a positive integer, got ${replications}`);
    if (replications > MAX_JOBS) throw new GateInputError(`--replications ${replications}: a probe may have at most ${formatInteger(MAX_JOBS)} runs`);
    const result = await capacity(
      {
        file: args.file,
        overrides: [...args.set, ...(args.seed === undefined ? [] : [`seed=${args.seed}`])],
        vary: args.vary as Varied,
        region: args.region,
        min: args.min,
        max: args.max,
        maxRuns: args['max-runs'] ?? 16 * replications,
        precision: parsePrecision(args.precision),
        replications,
        growth,
        today,
        // Progress, so only on a terminal (README): the probes are in the result printed at the end anyway.
        onProbe: (probe) => {
          if (!args.quiet && process.stderr.isTTY === true) process.stderr.write(`stampede capacity: ${probeLine(probe)}\n`);
        },
      },
      { workers },
    );
    process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : capacityText(result));
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof GateInputError) {
      process.stderr.write(`stampede capacity: ${error.message}\n`);
      return ExitCode.invalidInput;
    }
    if (error instanceof RunFailedError) {
      process.stderr.write(`stampede capacity: ${error.message}\n`);
      return ExitCode.internalError;
    }
    throw error;
  }
}

function probeLine(p: Probe): string {
  const why = p.reasons.length === 0 ? '' : `: ${p.reasons.join('; ')}`;
  return `${p.value} ${p.verdict}${why}`;
}

const NOUN: Record<Varied, string> = { population: 'clients', servers: 'servers', lookups: 'lookup instances' };

function percent(x: number): string {
  return `${x >= 0 ? '+' : ''}${formatNumber(Number((x * 100).toFixed(1)))} %`;
}

export function capacityText(r: CapacityResult): string {
  const noun = NOUN[r.vary];
  const per = r.replications === 1 ? '1 run per probe' : `${r.replications} runs per probe`;
  const lines = [`capacity of ${r.name} (${r.file}), varying ${r.path}; ${per}, ${r.runs} run(s)`];
  const width = Math.max(5, ...r.probes.map((p) => String(p.value).length));
  r.probes.forEach((p, i) => {
    const why = p.reasons.length === 0 ? '' : `  ${p.reasons.join('; ')}`;
    lines.push(`  ${String(i + 1).padStart(2)}. ${String(p.value).padStart(width)}  ${p.verdict.padEnd(7)}${why}`.trimEnd());
  });
  const which = r.vary === 'population' ? 'largest population that passes' : `fewest ${noun} that pass`;
  if (r.limit === null) {
    lines.push(`no ${noun} count in the search range passes${r.bound ? `: ${r.bound}` : ''}`);
  } else {
    const other = r.failing === null ? '' : ` (${r.failing} fails${r.probes.find((p) => p.value === r.failing)?.verdict === 'invalid' ? ': the scenario does not load with it' : ''})`;
    lines.push(`${which}: ${r.limit}${other}`);
    if (!r.converged) lines.push(`  not converged within --max-runs: the limit lies between ${r.limit} and ${r.failing ?? '?'}`);
    if (r.bound !== null) lines.push(`  ${r.bound}`);
    if (r.margin !== null) {
      const { absolute, relative } = r.margin;
      const today = `today's ${r.current} ${noun}`;
      if (r.vary === 'population') {
        lines.push(absolute >= 0
          ? `margin: ${today} pass with ${absolute} clients to spare (${percent(relative)})`
          : `margin: ${today} fail; the population must shrink by ${-absolute} (${percent(relative)})`);
      } else {
        lines.push(absolute >= 0
          ? `margin: ${today}: ${absolute} could go (${percent(relative)})`
          : `margin: ${today} fail; ${-absolute} more are needed (${percent(-relative)})`);
      }
    }
  }
  const f = r.forecast;
  if (f !== null) {
    const rate = `${formatNumber(f.growth.percent)}%/${f.growth.period}`;
    if (f.stopsPassing === null) lines.push(`growth ${rate} from ${f.today}: the population never outgrows the fleet`);
    else if (f.days === 0) lines.push(`growth ${rate} from ${f.today}: today's fleet already fails`);
    else lines.push(`growth ${rate} from ${f.today}: today's fleet stops passing on ${f.atLeast ? 'or after ' : ''}${f.stopsPassing} (in ${f.days} days)`);
  }
  return `${lines.join('\n')}\n`;
}
