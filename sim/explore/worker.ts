// The worker side of `stampede explore`: runs one candidate scenario as a
// batch job does (sim/batch/worker.ts) and also judges it for metastability
// on the full result, which the job does not ship back.
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarioFile } from '../scenario/load.ts';
import { runScenario } from '../simulation.ts';
import { evaluateLimit, judge, measure } from '../gate/assertions.ts';
import { toJsonNumber } from '../batch/format.ts';
import { toJobError } from '../batch/worker.ts';
import type { FromWorker, JobResult, ToWorker } from '../batch/protocol.ts';
import type { Job } from '../batch/jobs.ts';
import { metastability, type Metastability } from './metastable.ts';

/** Marks the explore pool's threads. */
export const EXPLORE_WORKER_MARK = 'stampede-explore-worker';

/** A batch job's result, the assertions this run fails, and its metastability (null: not metastable). */
export interface ExploreJobResult extends JobResult {
  /** Sources of the assertions the run fails, each judged on this run alone with its limit for this run's scenario. */
  failed: string[];
  metastable: Metastability | null;
}

/** An explore job: a batch job whose metastability window rides in its overrides' companion. */
export interface ExploreJob extends Job {
  metastableWindow: number;
}

export function runExploreJob(job: ExploreJob): ExploreJobResult {
  const { scenario } = loadScenarioFile(job.scenarioFile, job.overrides);
  const result = runScenario(scenario);
  const values = scenario.assert.map((assertion) => measure(assertion, result));
  const failed = scenario.assert.filter((assertion, k) => !judge(assertion, evaluateLimit(assertion.limit, scenario), [values[k]], () => null).passed);
  return {
    summary: result.summary,
    series: null,
    assertions: values.map(toJsonNumber),
    failed: failed.map((assertion) => assertion.source),
    metastable: metastability(result, scenario, job.metastableWindow),
  };
}

if (parentPort && workerData === EXPLORE_WORKER_MARK) {
  const port = parentPort;
  const send = (message: FromWorker) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    const job = message.job as ExploreJob;
    try {
      send({ type: 'done', jobId: job.id, result: runExploreJob(job) });
    } catch (error) {
      send({ type: 'failed', jobId: job.id, error: toJobError(error) });
    }
  });
}
