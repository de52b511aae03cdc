// `stampede calibrate RESULT [--scenario FILE] [--out FILE] [--force]` (docs/live.md): the
// simulator's parameters from a live run. Reads a `stampede load` result.json and writes a new
// scenario file: the run's scenario (its own text, comments kept) with the measured connect
// latency as network.rtt, the measured lookup service rate as lookup.capacity and the measured
// accept rate as sessionServer.maxAcceptsPerSec, each with a comment saying where it came from;
// a quantity the run did not measure (a queue never saturated, servers never at their
// limit) is kept, and the comment says why. Durations are measured at the run's time scale k and
// written divided by k (the file is at full scale, as its source); rates are not scaled.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { parseDocument, Scalar } from 'yaml';
import { loadScenarioFile, parseScenarioText } from '../scenario/load.ts';
import { ExitCode } from './exit-codes.ts';
import { LiveError } from '../../live/errors.ts';
import type { LiveResult } from '../../live/load-run.ts';

export interface CalibrateArgs {
  result: string;
  scenario?: string;
  out?: string;
  force: boolean;
}

export function calibrateBuilder(y: Argv): Argv<CalibrateArgs> {
  return y
    .positional('result', { type: 'string', describe: "A live run's result.json (written by stampede load)", demandOption: true })
    .option('scenario', { type: 'string', describe: 'The scenario file to calibrate (default: the one the live run loaded, as recorded in result.json)' })
    .option('out', { type: 'string', describe: 'The new scenario file (default: <scenario name>.calibrated.yaml beside result.json)' })
    .option('force', { type: 'boolean', default: false, describe: 'Replace --out if it exists' })
    .example('$0 calibrate reports/lookup-outage/live-20000-x0.05/result.json', 'writes lookup-outage.calibrated.yaml beside it')
    .strict() as unknown as Argv<CalibrateArgs>;
}

/** One calibrated field: its path, the value written (scenario-file text), and the comment. */
export interface Calibration {
  path: string[];
  value: string | null;
  comment: string;
}

const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)}ms`;
const perSecond = (r: number) => `${Math.round(r)}/s`;

/** The three calibrations from a live result (pure: tested on its own). */
export function calibrations(r: LiveResult): Calibration[] {
  const k = r.timeScale;
  const m = r.measured;
  const out: Calibration[] = [];
  const at = `at time scale ${k}`;
  const connect = m.connectLatency;
  out.push(connect.mean === null
    ? { path: ['network', 'rtt'], value: null, comment: 'kept: the live run measured no connect' }
    : { path: ['network', 'rtt'], value: ms(connect.mean / k),
      comment: `calibrated: connect latency (TCP + hello) mean ${ms(connect.mean)} measured ${at}, / ${k} (p99 ${connect.p99 === null ? 'n/a' : ms(connect.p99)}; the run assumed ${ms(connect.assumed)})` });
  const lookup = m.lookupServiceRate;
  out.push(lookup === undefined || lookup.perInstance === null
    ? { path: ['lookup', 'capacity'], value: null, comment: `kept: no lookup queue was saturated in the live run, so its service rate was not measured${r.target === 'reference' ? '' : ' (a user target reports none)'}` }
    : { path: ['lookup', 'capacity'], value: perSecond(lookup.perInstance),
      comment: `calibrated: lookup service rate while requests waited in its queue (runs of answers, each request already waiting when the one before it was answered; at least 100 ms of them), mean over ${lookup.instances} instance(s) (configured ${perSecond(lookup.assumed)})` });
  const accept = m.acceptRate;
  out.push(accept === undefined || accept.refusedInThatSecond === 0
    ? { path: ['sessionServer', 'maxAcceptsPerSec'], value: null,
      comment: `kept: the servers were not at their limit (busiest second ${accept === undefined ? 'n/a' : perSecond(accept.perServer)} per server, no connect refused in it)` }
    : { path: ['sessionServer', 'maxAcceptsPerSec'], value: perSecond(Math.max(1, accept.perServer)),
      comment: `calibrated: sessions accepted per server in the busiest second, ${accept.refusedInThatSecond} connects refused in it (configured ${perSecond(accept.assumed)})` });
  return out;
}

function readResult(file: string): LiveResult {
  if (!existsSync(file)) throw new LiveError(`calibrate: no such file: ${file}`);
  let r: LiveResult;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as LiveResult;
  } catch (error) {
    throw new LiveError(`calibrate: ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (r === null || typeof r !== 'object' || r.live !== true) throw new LiveError(`calibrate: ${file} is not the result of a live run (stampede load writes one, marked "live": true)`);
  if (r.partial !== undefined) throw new LiveError(`calibrate: ${file} is a partial result (${r.partial.reason}): its measurements are incomplete`);
  if (typeof r.timeScale !== 'number' || r.measured === undefined || r.measured.connectLatency === undefined) throw new LiveError(`calibrate: ${file} has no measurements (written by an older stampede?)`);
  return r;
}

export async function calibrateCommand(args: CalibrateArgs): Promise<number> {
  const result = readResult(args.result);
  const scenarioFile = args.scenario ?? result.scenarioFile;
  if (scenarioFile === undefined) throw new LiveError(`calibrate: ${args.result} does not say which scenario file it ran; name it with --scenario`);
  if (!existsSync(scenarioFile)) throw new LiveError(`calibrate: the scenario file ${scenarioFile} does not exist${args.scenario === undefined ? ' (recorded in result.json); name it with --scenario' : ''}`);
  const { scenario } = loadScenarioFile(scenarioFile); // a ScenarioError (exit 2) if it is not valid
  const runName = (result.scenario as { name?: unknown }).name;
  if (typeof runName === 'string' && runName !== scenario.name) process.stderr.write(`stampede: warning: the live run was of scenario '${runName}', not '${scenario.name}'\n`);
  const out = args.out ?? join(dirname(args.result), `${scenario.name}.calibrated.yaml`);
  if (existsSync(out) && !args.force) throw new LiveError(`calibrate: ${out} exists; pass --force to replace it, or --out another file`);

  const doc = parseDocument(readFileSync(scenarioFile, 'utf8'));
  const changes = calibrations(result);
  for (const c of changes) {
    if (c.value === null) continue;
    const node = new Scalar(c.value);
    node.comment = ` ${c.comment.split(':')[0]} (see the header)`;
    doc.setIn(c.path, node);
  }
  doc.setIn(['name'], `${scenario.name}-calibrated`);
  const header = [
    ` Calibrated by stampede calibrate from ${args.result}`,
    ` (a live run of ${basename(scenarioFile)}: ${result.clients} clients, time scale ${result.timeScale}, target ${result.target}).`,
    ...changes.map((c) => ` ${c.path.join('.')}: ${c.value ?? 'unchanged'}: ${c.comment}`),
    ` Durations measured at time scale k are written divided by k; rates are not scaled.`,
  ];
  doc.commentBefore = `${header.join('\n')}${doc.commentBefore === null || doc.commentBefore === undefined ? '' : `\n\n${doc.commentBefore}`}`;
  const text = doc.toString();
  parseScenarioText(text, out); // what is written is a valid scenario (a bug otherwise)
  writeFileSync(out, text);
  for (const c of changes) process.stdout.write(`${c.path.join('.').padEnd(30)} ${(c.value ?? 'unchanged').padEnd(10)} ${c.comment}\n`);
  process.stdout.write(`wrote ${out}\n`);
  return ExitCode.ok;
}
