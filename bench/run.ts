// `npm run bench`: each case in its own process, median of several runs.
// Writes bench/results.json and compares with bench/baseline.json (a report,
// never a failure: timing belongs here, not in unit tests).
//
// The carrier outage is measured at 1, 10 and 50 million clients with the
// fleet grown with the population, at the catalogue file's ratios: 10
// session servers and 20,000 lookups/s per lookup instance per million
// clients. So every size replays the same outage per client and wall time
// per million clients measures the engine. (Run the file at 10 million
// clients on its 10 servers and 85 % of them never had a session; at 50
// million on its 80,000 lookups/s, the lookups are the bottleneck and not
// every client is back within the run: those are other scenarios.)
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { estimateRunBytes, formatBytes } from '../sim/memory-estimate.ts';
import { liveBench } from './live.ts';
import { ENGINE_SIZES } from './engine-sizes.ts';

interface Case {
  name: string;
  file: string;
  overrides: string[];
}

interface Measurement {
  clients: number;
  events: number;
  queuedEvents: number;
  wallSeconds: number;
  eventsPerSecond: number;
  peakRssBytes: number;
  /** Time from the outage's start until every client is back (null: not within the run). */
  recoveryFull: number | null;
}

const quick = process.argv.includes('--quick');
/** Set by bin/huge-pages.cjs; the cases inherit it. */
const hugePages = (process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb=1');
/** 5 × 10^7 clients: minutes per run and ~10 GB, so only on request. */
const large = process.argv.includes('--large');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? (quick ? 1 : 3));
/** 10^8 clients: ~10 minutes and ~13 GiB a run, so only on request. */
const huge = process.argv.includes('--huge');
/** Only the start-up table. */
const startupOnly = process.argv.includes('--startup');
/** Only live mode's bench (bench/live.ts): real sockets, ZooKeeper and Redis, ~5 minutes. */
const liveOnly = process.argv.includes('--live');

/** The carrier outage at `millions` × 10^6 clients, on a fleet scaled with them (at least the file's). */
function carrierOutage(millions: number): Case {
  const scale = Math.max(1, millions);
  return {
    name: `carrier-outage ${millions}M (30 min)`,
    file: 'scenarios/carrier-outage.yaml',
    overrides: [
      `population.clients=${Math.round(millions * 1e6)}`,
      `regions=[{name: common, servers: ${Math.round(10 * scale)}}]`,
      `lookup.capacity=${Math.round(20_000 * scale)}/s`,
    ],
  };
}

const cases: Case[] = quick
  ? [
      { name: 'lookup-outage 100k', file: 'scenarios/lookup-outage.yaml', overrides: ['population.clients=100000'] },
      { name: 'carrier-outage 100k', file: 'scenarios/carrier-outage.yaml', overrides: ['population.clients=100000'] },
      carrierOutage(1),
    ]
  : [
      { name: 'lookup-outage 1M (30 min)', file: 'scenarios/lookup-outage.yaml', overrides: [] },
      { name: 'server-crash 1M (15 min)', file: 'scenarios/server-crash.yaml', overrides: [] },
      carrierOutage(1),
      carrierOutage(10),
      ...(large ? [carrierOutage(50)] : []),
    ];
// 10^8 clients on the scaled fleet (1,000 servers, 4 × 2,000,000 lookups/s); skipped below when the machine lacks the memory.
if (huge) cases.push(carrierOutage(100));

function measure(c: Case): Measurement {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/case.ts', c.file, ...c.overrides], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${hugePages ? ', huge pages' : ''}, ${availableParallelism()} thread(s) for a carrier outage's start`;
process.stderr.write(`machine: ${machine}; median of ${runs} run(s) per case\n`);

// Whole processes, as a user starts them, each against `node -e 0` measured in the same rounds
// (one run of every command per round, so a load that comes and goes is shared by all). `stampede`
// is bin/stampede.cjs run as a command (`npm link`'s `stampede`), which starts Node with
// --v8-pool-size=0 (its first lines); one row runs it as `node bin/stampede.cjs`, with Node's defaults.
interface Startup {
  name: string;
  /** The program (the bench's own Node unless it is bin/stampede.cjs, run as a command) and its arguments. */
  command: string[];
  /** Run without NODE_EXTRA_CA_CERTS. */
  withoutExtraCaCerts?: true;
}
const V2 = 'scenarios/validation/v2-lookup-outage-churn.yaml';
const STAMPEDE = 'bin/stampede.cjs';
const v2Run = (clients: number) => [STAMPEDE, 'run', V2, '--set', `population.clients=${clients}`, '--quiet', '--force', '--out'];
const startupCases: Startup[] = [
  { name: 'node -e 0', command: [process.execPath, '-e', '0'] },
  // Where NODE_EXTRA_CA_CERTS is set, every Node start reads its certificates, and `stampede` sets
  // it aside (bin/extra-ca-certs.cjs): Node's start without them, for comparison.
  ...(process.env.NODE_EXTRA_CA_CERTS === undefined ? [] : [{ name: 'node -e 0, no NODE_EXTRA_CA_CERTS', command: [process.execPath, '-e', '0'], withoutExtraCaCerts: true as const }]),
  { name: 'stampede --help', command: [STAMPEDE, '--help'] },
  { name: 'stampede validate (V2)', command: [STAMPEDE, 'validate', V2] },
  ...[1_000, 100_000, 1_000_000].map((clients) => ({ name: `V2 ${clients.toLocaleString('en-US')} clients, report`, command: v2Run(clients) })),
  { name: 'V2 100,000 clients, node bin/stampede.cjs', command: [process.execPath, ...v2Run(100_000)] },
];
const startupRuns = Number(process.argv.find((a) => a.startsWith('--startup-runs='))?.slice(15) ?? (quick ? 3 : 7));
/**
 * `--startup-against=DIR`: the same commands also from another checkout (with its own build, e.g. a
 * `git worktree` of an earlier commit), in the same rounds, as rows marked "(DIR)": before and after
 * measured under the same load.
 */
const against = process.argv.find((a) => a.startsWith('--startup-against='))?.slice(18);
if (against !== undefined) {
  // Its own entry: bin/stampede.cjs, or bin/stampede.mjs in a checkout from before the CommonJS entry.
  const entry = ['stampede.cjs', 'stampede.mjs'].map((name) => join(against, 'bin', name)).find((path) => existsSync(path));
  if (entry === undefined) throw new Error(`--startup-against: no bin/stampede.cjs or bin/stampede.mjs in ${against}`);
  // Each right after its twin, so that both see the same moment's load.
  const twins = startupCases.flatMap((c) => {
    const at = c.command.indexOf(STAMPEDE);
    if (at === -1) return [c];
    const command = c.command.map((arg, i) => (i === at ? entry : arg === V2 ? join(against, V2) : arg));
    return [c, { name: `${c.name} (${against})`, command }];
  });
  startupCases.splice(0, startupCases.length, ...twins);
}

/**
 * CPU seconds (user + system) of this process's waited-for children so far, from /proc/self/stat
 * (Linux; null elsewhere): a command's CPU, its relaunched process and git included, swings less with
 * a noisy machine than its wall time. In clock ticks (10 ms here).
 */
function childrenCpuSeconds(): number | null {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: cutime and cstime are the 16th and 17th fields.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on Linux's common architectures (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

function startupTable(): Record<string, { seconds: number; ratio: number; samples: number[]; cpuSeconds: number | null }> {
  const out = mkdtempSync(join(tmpdir(), 'stampede-bench-'));
  // The user's environment: without the huge-pages tunable this process was relaunched with, so stampede relaunches itself as it does for them.
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  const { NODE_EXTRA_CA_CERTS: _, ...withoutExtraCaCerts } = env;
  const samples = new Map<string, number[]>(startupCases.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(startupCases.map((c) => [c.name, []]));
  try {
    for (let round = 0; round < startupRuns; round++) {
      for (const c of startupCases) {
        const [program, ...args] = c.command.at(-1) === '--out' ? [...c.command, join(out, 'report')] : c.command;
        const cpuBefore = childrenCpuSeconds();
        const started = process.hrtime.bigint();
        const child = spawnSync(program, args, { env: c.withoutExtraCaCerts ? withoutExtraCaCerts : env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const cpuAfter = childrenCpuSeconds();
        if (child.status !== 0) throw new Error(`${c.name}: exit ${child.status}\n${child.stderr}`);
        samples.get(c.name)!.push(seconds);
        if (cpuBefore !== null && cpuAfter !== null) cpu.get(c.name)!.push(cpuAfter - cpuBefore);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const base = median(samples.get('node -e 0')!);
  const table: Record<string, { seconds: number; ratio: number; samples: number[]; cpuSeconds: number | null }> = {};
  for (const [name, s] of samples) {
    const seconds = median(s);
    const cpuSamples = cpu.get(name)!;
    const cpuSeconds = cpuSamples.length === s.length ? median(cpuSamples) : null;
    table[name] = { seconds, ratio: seconds / base, samples: s, cpuSeconds };
    const cpuText = cpuSeconds === null ? '' : `  CPU ${cpuSeconds.toFixed(2)} s`;
    process.stdout.write(`${name.padEnd(against === undefined ? 34 : 50)} ${seconds.toFixed(3).padStart(7)} s  ×${(seconds / base).toFixed(1).padStart(5)} node -e 0${cpuText}  (${s.map((x) => x.toFixed(2)).join(' ')})\n`);
  }
  return table;
}

if (liveOnly) {
  process.stdout.write('live mode on loopback, the reference deployment (docs/live.md, Bench), one run per size:\n');
  const live = liveBench((line) => process.stdout.write(line));
  writeFileSync('bench/results.json', `${JSON.stringify({ machine, live }, null, 2)}\n`);
  process.exit(0);
}

process.stdout.write(`start-up and small runs, whole process, median of ${startupRuns} (${compiledNote()}):\n`);
const startup = startupTable();
if (startupOnly) {
  writeFileSync('bench/results.json', `${JSON.stringify({ machine, startup }, null, 2)}\n`);
  process.exit(0);
}

/** Whether stampede runs its compiled copy (bin/compiled.cjs) or compiles its sources with tsx. */
function compiledNote(): string {
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "import('./bin/compiled.cjs').then((m) => console.log(m.compiledDir() === null ? 'sources through tsx: run npm run build' : 'compiled build'))"], { encoding: 'utf8' });
  return probe.stdout.trim() || 'unknown build';
}

const results: Record<string, Measurement & { runs: number }> = {};
for (const c of cases) {
  let needed: number;
  try {
    needed = estimateRunBytes(loadScenarioFile(c.file, c.overrides).scenario);
  } catch (error) {
    process.stdout.write(`${c.name.padEnd(30)} refused: ${(error as Error).message.split('\n').at(-1)}\n`);
    continue;
  }
  if (needed > freemem()) {
    process.stdout.write(`${c.name.padEnd(30)} skipped: needs about ${formatBytes(needed)}, ${formatBytes(freemem())} free\n`);
    continue;
  }
  const samples = Array.from({ length: runs }, () => measure(c));
  const m: Measurement & { runs: number } = {
    clients: samples[0].clients,
    events: samples[0].events,
    queuedEvents: samples[0].queuedEvents,
    wallSeconds: median(samples.map((s) => s.wallSeconds)),
    eventsPerSecond: median(samples.map((s) => s.eventsPerSecond)),
    peakRssBytes: median(samples.map((s) => s.peakRssBytes)),
    recoveryFull: samples[0].recoveryFull,
    runs,
  };
  results[c.name] = m;
  process.stdout.write(
    `${c.name.padEnd(30)} clients ${m.clients.toLocaleString('en-US').padStart(11)}  events ${m.events.toLocaleString('en-US').padStart(12)}  ` +
      `(${((100 * m.queuedEvents) / m.events).toFixed(0).padStart(3)} % queued)  ` +
      `wall ${m.wallSeconds.toFixed(2).padStart(7)} s  ${(m.eventsPerSecond / 1e6).toFixed(2).padStart(6)} M events/s  ` +
      `peak RSS ${(m.peakRssBytes / 2 ** 20).toFixed(0).padStart(6)} MiB  ` +
      `all back after ${m.recoveryFull === null ? 'never' : `${m.recoveryFull.toFixed(0)} s`}\n`,
  );
}

// Cost linear in clients: wall seconds per million clients, against the 1M carrier outage.
const scaling = Object.entries(results).filter(([name]) => name.startsWith('carrier-outage') && name.includes('M ('));
const reference = scaling.find(([name]) => name.startsWith('carrier-outage 1M'))?.[1];
for (const [name, m] of scaling) {
  if (!reference || m === reference) continue;
  const perMillion = m.wallSeconds / (m.clients / 1e6);
  const ratio = perMillion / (reference.wallSeconds / (reference.clients / 1e6));
  process.stdout.write(
    `scaling: ${name} ${perMillion.toFixed(2)} s per million clients, ×${ratio.toFixed(2)} the 1M case ${scalingVerdict(ratio)}\n`,
  );
}

function scalingVerdict(ratio: number): string {
  if (Math.abs(ratio - 1) <= 0.15) return '(linear within ±15 %)';
  // Cheaper per client than 1M is not a cost that grows; it says how much of 1M's time does not scale with it.
  return ratio > 1 ? '(NOT linear within ±15 %: dearer per client)' : '(NOT linear within ±15 %: cheaper per client)';
}

// The engine alone: the event queue under a hold workload, 2,000 to 10^7 pending, each size in a
// process of its own (V8 optimizes the queue for the first size it runs).
const engine = ENGINE_SIZES.map(
  (pending) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'bench/engine.ts', String(pending)], { encoding: 'utf8' })) as { pending: number; eventsPerSecond: number; peakRssBytes: number },
);
for (const e of engine) {
  process.stdout.write(`engine, ${e.pending.toLocaleString('en-US')} pending`.padEnd(30) + `  ${(e.eventsPerSecond / 1e6).toFixed(2)} M events/s (queue only)\n`);
}

const report = { machine, quick, startup, results, engine };
writeFileSync('bench/results.json', `${JSON.stringify(report, null, 2)}\n`);
const baselinePath = 'bench/baseline.json';
if (existsSync(baselinePath)) {
  const baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as typeof report;
  for (const [name, m] of Object.entries(results)) {
    const b = baseline.results[name];
    if (!b) continue;
    const change = m.wallSeconds / b.wallSeconds - 1;
    if (change > 0.1) process.stdout.write(`regression: ${name} wall ${(change * 100).toFixed(0)} % slower than baseline\n`);
  }
}
