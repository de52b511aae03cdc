// Same scenario and seed → the same bytes; another seed → other bytes.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

function resultBytes(file: string, overrides: string[]): string {
  const { scenario } = loadScenarioFile(file, overrides);
  return JSON.stringify(runScenario(scenario));
}

describe('determinism', () => {
  it.each(['scenarios/lookup-outage.yaml', 'scenarios/carrier-outage.yaml', 'scenarios/server-crash.yaml'])(
    '%s gives identical result bytes for the same seed, different ones for another',
    (file) => {
      const small = ['population.clients=20000', 'duration=15m', 'assert=[]'];
      const first = resultBytes(file, [...small, 'seed=7']);
      const second = resultBytes(file, [...small, 'seed=7']);
      const other = resultBytes(file, [...small, 'seed=8']);
      expect(second).toBe(first);
      expect(other).not.toBe(first);
      expect(JSON.parse(first).seed).toBe(7);
    },
  );
});
