// The report page's scenario YAML (reports/lib/scenario-yaml.ts) is exactly what the yaml library's
// stringify writes: on every shipped scenario, and on random documents, where the simple writer
// must either agree with the library or leave the document to it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { canonicalScenario, loadScenarioFile } from '../sim/scenario/load.ts';
import { scenarioYaml } from '../reports/lib/scenario-yaml.ts';

const library = (value: unknown) => stringify(value, { lineWidth: 0 });

function scenarioFiles(dir = 'scenarios'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? scenarioFiles(join(dir, entry.name)) : entry.name.endsWith('.yaml') ? [join(dir, entry.name)] : [],
  );
}

describe('the scenario on the report page', () => {
  it('is the library\'s YAML for every shipped scenario, and reads back as the scenario', () => {
    const files = scenarioFiles();
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const canonical = canonicalScenario(loadScenarioFile(file).scenario);
      const yaml = scenarioYaml(canonical);
      expect(yaml, file).toBe(library(canonical));
      expect(parse(yaml), file).toEqual(JSON.parse(JSON.stringify(canonical)));
    }
  });

  it('agrees with the library on random documents, quoting what YAML would read as another type', () => {
    // Words that YAML reads as something else, or whose characters need quoting, among plain ones.
    const word = fc.oneof(
      fc.constantFrom('off', 'on', 'yes', 'no', 'true', 'False', 'null', 'NULL', '~', '', '450', '0x1F', '0o17', '1e3', '.5', '+1', '-2', '.inf', '.NaN', '1h', '25m', 'a b', 'a  b', 'a ', ' a', 'a: b', 'a #b', '#a', '-a', '- a', "it's", 'say "hi"', 'x\ny', 'café', 'a,b', '(a)', '50%', 'a/b', 'a+b'),
      fc.string({ maxLength: 8 }),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/),
    );
    const leaf = fc.oneof(word, fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e21, 0.1), fc.boolean(), fc.constant(null));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
      list: fc.array(tie('tree'), { maxLength: 4 }),
      map: fc.dictionary(word, tie('tree'), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(fc.dictionary(word, tree, { minKeys: 1, maxKeys: 6 }), (document) => {
        expect(scenarioYaml(document)).toBe(library(document));
      }),
      { numRuns: 3000, seed: 19 },
    );
  });
});
