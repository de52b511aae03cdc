// Starting a worker thread on a TypeScript module (see typescript-worker.mjs).
import { Worker, type WorkerOptions } from 'node:worker_threads';

const ENTRY = new URL('./typescript-worker.mjs', import.meta.url);

/** A worker thread running `module` (a file URL), with the given options (`argv` is taken). */
export function startTypeScriptWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(ENTRY, { ...options, argv: [module.href] });
}
