/** Pending events of the engine micro-benchmark (bench/engine.ts): two sparse queues, then 10^6 and 10^7. */
export const ENGINE_SIZES = [2_000, 20_000, 1_000_000, 10_000_000];
