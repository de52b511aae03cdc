// Speed-up of the worker pool: a 20-replication compare run with 1 and with
// 2 workers, alternating, median of 3 runs each; also checks that both give
// the same output bytes. Timing lives here, never in a test.
//
//   node --import tsx bench/parallel.ts [--clients=250000] [--runs=3] [--replications=20] [--workers=1,2]
//
// The default size takes ~20-40 s per 1-worker run on a 2-core machine.
//
// A busy machine caps any speed-up, so each round also measures the
// machine's ceiling at that moment: the same pure-CPU loop on 1 thread, then
// on 2 threads at once. The pool's speed-up is to be read against it (on an
// idle 2-core machine the ceiling is ~2×; with another process holding a
// core it is ~1.3×).
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { executePlan } from '../sim/batch/execute.ts';
import { preparePlan } from '../sim/batch/jobs.ts';
import { batchOutputs } from '../sim/batch/outputs.ts';

function flag(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

const clients = Number(flag('clients', '250000'));
const runs = Number(flag('runs', '3'));
const replications = Number(flag('replications', '20'));
const workerCounts = flag('workers', '1,2').split(',').map(Number);

const prepared = preparePlan({
  kind: 'compare',
  file: 'scenarios/lookup-outage.yaml',
  baseOverrides: [`population.clients=${clients}`],
  replications,
  parameters: [{ name: 'policy', path: 'client.backoff.policy', values: ['gcm', 'full'] }],
});
const jobCount = prepared.plan.variants.length * replications;

const SPIN = `let x = 0; for (let i = 0; i < 3e8; i++) x = (x + i * 7) % 1000003; require('node:worker_threads').parentPort.postMessage(x);`;

async function spinSeconds(threads: number): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: threads }, () => new Promise((resolve, reject) => {
      const worker = new Worker(SPIN, { eval: true });
      worker.once('message', () => void worker.terminate().then(resolve));
      worker.once('error', reject);
    })),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** How much faster 2 threads do 2 units of pure CPU work than 1 thread does them one after the other. */
async function ceiling(): Promise<number> {
  const one = await spinSeconds(1);
  const two = await spinSeconds(2);
  return (2 * one) / two;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

process.stderr.write(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
    `compare lookup-outage, ${clients} clients, policies gcm,full × ${replications} replications = ${jobCount} jobs; ${runs} run(s) per worker count\n`,
);

const seconds = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
// CPU seconds of the whole process (every thread): if they grow with the
// worker count, the threads contend for something (memory bandwidth, shared
// caches, SMT siblings); if only wall time misbehaves, the machine is busy.
const cpuSeconds = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
let reference: string | null = null;
const ceilings: number[] = [];
for (let run = 0; run < runs; run++) {
  const c = await ceiling();
  ceilings.push(c);
  process.stderr.write(`run ${run + 1}: machine ceiling for 2 threads now ${c.toFixed(2)}× (load ${loadavg()[0].toFixed(2)})\n`);
  for (const workers of workerCounts) {
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const { outcomes } = await executePlan(prepared, { workers });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
    seconds.get(workers)!.push(wall);
    cpuSeconds.get(workers)!.push(cpu);
    const bytes = batchOutputs(prepared.plan, outcomes).files.map((f) => f.content).join('\u0000');
    if (reference === null) reference = bytes;
    const same = bytes === reference ? 'same bytes' : 'OUTPUT DIFFERS';
    process.stderr.write(`run ${run + 1}: ${workers} worker(s) ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (${same}; load ${loadavg()[0].toFixed(2)})\n`);
    if (bytes !== reference) process.exitCode = 1;
  }
}

const base = median(seconds.get(workerCounts[0])!);
const summary = workerCounts.map((w) => {
  const m = median(seconds.get(w)!);
  return {
    workers: w,
    medianSeconds: Number(m.toFixed(3)),
    runs: seconds.get(w)!.map((s) => Number(s.toFixed(3))),
    medianCpuSeconds: Number(median(cpuSeconds.get(w)!).toFixed(3)),
    speedup: Number((base / m).toFixed(3)),
  };
});
for (const s of summary) {
  process.stdout.write(`${s.workers} worker(s): median ${s.medianSeconds.toFixed(2)} s wall (${s.medianCpuSeconds.toFixed(2)} s CPU), speed-up ${s.speedup.toFixed(2)}×\n`);
}
const machineCeiling = Number(median(ceilings).toFixed(3));
process.stdout.write(`machine ceiling (2 spinning threads vs 1): median ${machineCeiling.toFixed(2)}×\n`);
process.stdout.write(`${JSON.stringify({ clients, replications, jobs: jobCount, machineCeiling, results: summary })}\n`);
