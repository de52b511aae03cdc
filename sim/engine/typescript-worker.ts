// Starting a worker thread on a TypeScript module (see typescript-worker.mjs).
import { createRequire } from 'node:module';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { compiledModule } from './build-of-sources.ts';

// node:worker_threads is loaded at the first worker, not with the model (~2 ms of every start).
const require = createRequire(import.meta.url);

/**
 * Whether this module is the compiled copy (dist/<hash>/, bin/build.mjs): then every
 * module beside it is compiled too, and a worker starts on the compiled module directly.
 */
const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL('./typescript-worker.mjs', import.meta.url);

/** Where a worker thread running `module` starts: a compiled module, or the tsx entry with `module` as its argument. */
export function workerEntry(module: URL): { url: URL; argv: string[] } {
  if (COMPILED && module.pathname.endsWith('.ts')) return { url: new URL(module.href.replace(/\.ts$/, '.js')), argv: [] };
  const compiled = COMPILED ? null : compiledModule(module);
  return compiled !== null ? { url: compiled, argv: [] } : { url: ENTRY, argv: [module.href] };
}

/**
 * A worker thread running `module` (a file URL of a `.ts` source, next to its compiled `.js`
 * in a build), with the given options (`argv` is taken). From a build, it runs the module's
 * `.js`, the same build as this thread's. From the sources, it runs the build of these very
 * sources when there is one (build-of-sources.ts: the same code, compiled); else it first
 * registers tsx (typescript-worker.mjs).
 */
export function startTypeScriptWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { url, argv } = workerEntry(module);
  return new Worker(url, argv.length === 0 ? options : { ...options, argv });
}
