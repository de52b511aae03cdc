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

/**
 * A worker thread running `module` (a file URL of a `.ts` source, next to its compiled `.js`
 * in a build), with the given options (`argv` is taken). From a build, it runs the module's
 * `.js`, the same build as this thread's. From the sources, it runs the build of these very
 * sources when there is one (build-of-sources.ts: the same code, compiled); else it first
 * registers tsx (typescript-worker.mjs).
 */
export function startTypeScriptWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (COMPILED && module.pathname.endsWith('.ts')) return new Worker(new URL(module.href.replace(/\.ts$/, '.js')), options);
  const compiled = COMPILED ? null : compiledModule(module);
  if (compiled !== null) return new Worker(compiled, options);
  return new Worker(ENTRY, { ...options, argv: [module.href] });
}
