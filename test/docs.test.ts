// The scenario reference is generated from the schema; the committed copy must match it.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { scenarioReference } from '../sim/scenario/write-docs.ts';

it('docs/scenarios.md is up to date with the schema (run `npm run docs`)', () => {
  const committed = readFileSync(new URL('../docs/scenarios.md', import.meta.url), 'utf8');
  expect(committed).toBe(scenarioReference());
  // Every top-level section of the schema is documented.
  for (const field of ['population.clients', 'client.backoff.policy', 'lookup.algorithm', 'managers.healthInterval', 'faults']) {
    expect(committed).toContain(`\`${field}\``);
  }
});
