// Worker threads for a command (apart from batch.ts so that a single run does not load the batch code).
import { availableParallelism } from 'node:os';
import { BatchInputError } from '../batch/jobs.ts';

/** --workers, checked; one per core by default. */
export function workerCount(requested: number | undefined): number {
  if (requested === undefined) return availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new BatchInputError(`--workers must be a positive integer, got ${requested}`);
  return requested;
}
