// Engine micro-benchmark: the event queue alone under a "hold" workload
// (pop the earliest event, schedule one a random delay later) with 10^6 and
// 10^7 pending events, delays shaped like the model's (timeouts, backoff,
// session lifetimes), and with 2,000 and 20,000 (a sparse queue: a small
// population over days, most buckets holding one event). Prints one JSON
// line per size; `node --import tsx bench/engine.ts 20000` runs one size.
import { EventQueue } from '../sim/engine/event-queue.ts';
import { createStream } from '../sim/engine/random.ts';
import { ENGINE_SIZES } from './engine-sizes.ts';

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : ENGINE_SIZES;
for (const pending of sizes) {
  const random = createStream(1, `engine-${pending}`);
  const queue = new EventQueue(pending + 1024);
  for (let i = 0; i < pending; i++) queue.schedule(random() * 10, 0, i);
  const events = 10_000_000;
  const started = process.hrtime.bigint();
  for (let n = 0; n < events && queue.pop(); n++) {
    const u = random();
    queue.schedule(queue.time + (u < 0.5 ? 5 : u < 0.9 ? u * 300 : u * 3600), 0, queue.target);
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ pending, events, wallSeconds, eventsPerSecond: events / wallSeconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
  );
}
