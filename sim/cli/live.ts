// `stampede up`, `stampede down` and `stampede load` (live mode, docs/live.md): the reference
// deployment as real processes, and a scenario driven against it with real clients.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { loadScenarioFile, parseScenarioText } from '../scenario/load.ts';
import { ExitCode } from './exit-codes.ts';
import { Deployment } from '../../live/deployment.ts';
import { runLoad, type LiveResult } from '../../live/load-run.ts';
import { liveReportHtml } from '../../live/report-page.ts';
import { LiveError } from '../../live/errors.ts';
import { alive, signalGroup, sleep } from '../../live/processes.ts';

export { LiveError };

/** Where `stampede up` records what it started, for `stampede down`. */
export const STATE_FILE = process.env.STAMPEDE_LIVE_STATE ?? join(tmpdir(), `stampede-live-${process.getuid?.() ?? 0}.json`);

interface UpState {
  pid: number;
  groups: number[];
  endpoints: unknown;
}

export interface UpArgs {
  servers: number;
  lookups: number;
  managers: number;
}

export function upBuilder(y: Argv): Argv<UpArgs> {
  return y
    .option('servers', { type: 'number', default: 4, describe: 'Session servers' })
    .option('lookups', { type: 'number', default: 2, describe: 'Lookup servers' })
    .option('managers', { type: 'number', default: 2, describe: 'Server managers (master + slaves)' })
    .strict() as unknown as Argv<UpArgs>;
}

const count = (name: string, value: number, max: number) => {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new LiveError(`--${name} must be an integer in [1, ${max}], got ${value}`);
  return value;
};

export async function upCommand(args: UpArgs): Promise<number> {
  const servers = count('servers', args.servers, 64);
  const lookups = count('lookups', args.lookups, 16);
  const managers = count('managers', args.managers, 8);
  if (existsSync(STATE_FILE)) {
    const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as UpState;
    if (alive(state.pid)) throw new LiveError(`a reference deployment is already up (stampede up, pid ${state.pid}); stop it with 'stampede down'`);
    rmSync(STATE_FILE, { force: true });
  }
  const { scenario } = parseScenarioText(
    `name: up\nduration: 1h\nlookup:\n  instances: ${lookups}\nregions:\n  - name: common\n    servers: ${servers}\nmanagers:\n  count: ${managers}\n`, 'stampede up');
  process.stderr.write(`stampede: starting ZooKeeper, Redis, ${servers} session servers, ${managers} managers, ${lookups} lookups on 127.0.0.1\n`);
  const deployment = await Deployment.start(scenario, { servers, lookups, managers });
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= deployment.stop().then(() => rmSync(STATE_FILE, { force: true })));
  const died = new Promise<string>((resolve) => (deployment.onUnexpectedExit = (name, code) => resolve(`${name} exited (code ${code})`)));
  const signalled = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve(signal));
  });
  writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, groups: deployment.groups(), endpoints: deployment.endpoints } satisfies UpState));
  process.stdout.write(`${JSON.stringify(deployment.endpoints, null, 2)}\n`);
  process.stderr.write(`stampede: up; Ctrl-C or 'stampede down' stops everything\n`);
  const keepAlive = setInterval(() => undefined, 1 << 30); // signal handlers alone do not keep the process up
  const why = await Promise.race([died, signalled]);
  clearInterval(keepAlive);
  await stop();
  if (why.startsWith('SIG')) {
    process.stderr.write('stampede: reference deployment stopped\n');
    return ExitCode.ok;
  }
  process.stderr.write(`stampede: ${why}; the reference deployment was stopped\n`);
  return ExitCode.invalidInput;
}

export async function downCommand(): Promise<number> {
  if (!existsSync(STATE_FILE)) {
    process.stderr.write('stampede: no reference deployment is up\n');
    return ExitCode.ok;
  }
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as UpState;
  if (alive(state.pid)) process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(state.pid) && Date.now() < deadline) await sleep(50);
  // Whatever `up` did not stop (it was killed, say): every group it recorded.
  for (const group of state.groups) {
    signalGroup(group, 'SIGCONT');
    signalGroup(group, 'SIGKILL');
  }
  rmSync(STATE_FILE, { force: true });
  process.stderr.write('stampede: reference deployment stopped\n');
  return ExitCode.ok;
}

export interface LoadArgs {
  file: string;
  target: string;
  clients?: number;
  'time-scale': number;
  set: string[];
  json: boolean;
  quiet: boolean;
  out?: string;
  workers?: number;
  pings: 'auto' | 'on' | 'off';
}

export function loadBuilder(y: Argv): Argv<LoadArgs> {
  return y
    .positional('file', { type: 'string', describe: 'Scenario file (YAML)', demandOption: true })
    .option('target', { type: 'string', default: 'reference', describe: "'reference' (start the reference deployment on loopback) or the lookup URL(s) of your system, comma-separated" })
    .option('clients', { type: 'number', describe: 'Real clients, one TCP session each (default: the scenario\'s population, at most 60,000)' })
    .option('time-scale', { type: 'number', default: 1, describe: 'Multiply every duration of the scenario by this (0.05: 30 minutes in 90 s), for the live run and its simulation alike' })
    .option('set', { type: 'string', array: true, default: [], describe: 'Override a field, as for run' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
    .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/live-<clients>-x<time scale>)' })
    .option('workers', { type: 'number', describe: 'Client processes (default: one per core)' })
    .option('pings', { choices: ['auto', 'on', 'off'] as const, default: 'auto' as const, describe: "Keepalive pings: 'auto' sends them when a fault can make a host vanish (a blackhole server crash) or against --target URL" })
    .strict() as unknown as Argv<LoadArgs>;
}

export async function loadCommand(args: LoadArgs): Promise<number> {
  const { scenario, warnings } = loadScenarioFile(args.file, args.set);
  for (const warning of warnings) process.stderr.write(`stampede: warning: ${warning}\n`);
  const clients = args.clients ?? scenario.population.clients;
  const k = args['time-scale'];
  const outDir = args.out ?? join('reports', scenario.name, `live-${clients}-x${k}`);
  mkdirSync(outDir, { recursive: true });
  let interrupted = false;
  const onSignal = () => (interrupted = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const show = !args.quiet && process.stderr.isTTY === true;
  try {
    const result = await runLoad(scenario, {
      clients, timeScale: k, target: args.target, workers: args.workers, pings: args.pings,
      onProgress: show ? (line) => process.stderr.write(`stampede: ${line}\n`) : undefined,
      shouldStop: () => interrupted,
    });
    result.scenarioFile = args.file;
    writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
    // The report: the verdict, both connected curves and both reconnect-time CDFs overlaid (live/report-page.ts).
    writeFileSync(join(outDir, 'index.html'), liveReportHtml(result));
    if (args.json) process.stdout.write(`${JSON.stringify({ summary: result.summary, simulated: result.simulated?.summary ?? null, comparison: result.comparison, measured: result.measured, partial: result.partial ?? null })}\n`);
    else process.stdout.write(formatLive(result, join(outDir, 'result.json')));
    if (result.partial !== undefined) {
      process.stderr.write(`stampede: partial result (${result.partial.reason}) written to ${outDir}/result.json\n`);
      return interrupted ? ExitCode.interrupted : ExitCode.invalidInput;
    }
    return result.comparison?.pass === false ? ExitCode.assertionFailed : ExitCode.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const s = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)} s`);

export function formatLive(r: LiveResult, file: string): string {
  const run = r.measured.runConnectsPerSec;
  const lines = [`live ${r.target}: ${r.clients} clients, time scale ${r.timeScale}; warm-up ${r.measured.warmupConnectsPerSec.toFixed(0)} connects/s, ` +
    `during the run ${run.mean.toFixed(0)} connects/s (busiest second ${run.peak.toFixed(0)}), peak ${r.measured.peakConnectedSessions} sessions`];
  for (const f of r.faultLog) lines.push(`  ${f.time.toFixed(2)} s  ${f.action}`);
  for (const f of r.skippedFaults) lines.push(`  not executed: ${f}`);
  lines.push(`disconnected by the incident: live ${r.summary.disconnectedClients}, simulated ${r.simulated?.summary.disconnectedClients ?? 'n/a'}`);
  if (r.comparison !== null) {
    lines.push('reconnect time      live        simulated   gap      tolerance');
    for (const c of r.comparison.checks) {
      lines.push(`  ${c.quantity.padEnd(6)}            ${s(c.live).padEnd(11)} ${s(c.simulated).padEnd(11)} ${c.relativeGap === null ? 'n/a' : `${(c.relativeGap * 100).toFixed(1)} %`.padEnd(8)} ±${(c.tolerance * 100).toFixed(0)} % ${c.pass ? 'ok' : 'FAIL'}`);
    }
    lines.push(`connected curve: largest gap ${(r.comparison.curveGap.max * 100).toFixed(1)} % of clients (at ${s(r.comparison.curveGap.at)}), mean ${(r.comparison.curveGap.mean * 100).toFixed(2)} %`);
    lines.push(`verdict: ${r.comparison.pass ? 'live and simulated agree within tolerance' : `FAIL: ${r.comparison.explanation}`}`);
  }
  if (r.partial !== undefined) lines.push(`PARTIAL: ${r.partial.reason}`);
  lines.push(`result: ${file} (report: index.html beside it)`);
  return `${lines.join('\n')}\n`;
}
