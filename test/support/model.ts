// The model as the tests run it in their own process: the build's bundle of it
// (dist/<hash>/bundle/simulation.cjs, bin/build.mjs), which is what `stampede run` runs, when these
// sources have a build (the global setup makes it: test/support/build.ts), else the sources (an
// edit in watch mode). The same sources either way; test/build.test.ts holds the two to the same
// bytes.
//
// Why not the sources always: through vitest's module transform an import is a property read on a
// module object and a module's constants are not folded into the hot loops, so a simulation took a
// third longer (V4 at ρ = 0.9, 180,000 clients: 3.6 s against 2.7 s in the same worker), and the
// tests that simulate in their own process are most of the suite's CPU (docs/ARCHITECTURE.md,
// "The test suite").
//
// A test that spies on the model's classes (vi.spyOn on a prototype) must use the sources'
// Simulation: the bundle has classes of its own.
import { createRequire } from 'node:module';
import { buildOfTheseSources } from '../../sim/engine/build-of-sources.ts';
import type * as Sources from '../../sim/simulation.ts';

type Model = typeof Sources;

function bundled(): Model | null {
  const build = buildOfTheseSources();
  if (build === null) return null;
  const { simulationModules } = createRequire(import.meta.url)('../../bin/command-line.cjs') as { simulationModules(dir: string): Record<string, unknown> | null };
  return (simulationModules(build)?.['sim/simulation.js'] as Model | undefined) ?? null;
}

const model: Model = bundled() ?? (await import('../../sim/simulation.ts'));

export const runScenario: Model['runScenario'] = model.runScenario;
export const Simulation: Model['Simulation'] = model.Simulation;
export type Simulation = Sources.Simulation;
