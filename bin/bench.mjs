#!/usr/bin/env node
// `npm run bench [-- OPTIONS]`: with huge pages, as `stampede` runs (bin/huge-pages.cjs).
import { relaunchWithHugePages } from './huge-pages.cjs';

const USAGE = `Usage: npm run bench [-- OPTIONS]

Each case in its own process, median of several runs: the start-up table, the shipped scenarios at
10^6 clients, the carrier outage at 10^6 and 10^7 and the event queue alone. Writes
bench/results.json and compares with bench/baseline.json (a report, never a failure).

Options:
  --quick                  one run a case (three for the start-up table), 10^5 and 10^6 clients only
  --runs=N                 runs a case (default 3)
  --large                  also 5 × 10^7 clients (minutes a run, ~10 GB)
  --huge                   also 10^8 clients (~10 minutes a run, ~13 GiB)
  --startup                only the start-up and small-run table
  --startup-runs=N         runs of each start-up command (default 7)
  --startup-against=DIR    the start-up commands also from another checkout (with its own build)
  --live                   only live mode's bench: real sockets, ZooKeeper and Redis (~5 minutes)
  -h, --help               this text
`;
const FLAGS = new Set(['--quick', '--large', '--huge', '--startup', '--live']);
const VALUED = ['--runs=', '--startup-runs=', '--startup-against='];
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknown = args.filter((a) => !FLAGS.has(a) && !VALUED.some((prefix) => a.startsWith(prefix) && a.length > prefix.length));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown option ${unknown.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}

if (!relaunchWithHugePages()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bench/run.ts');
}
