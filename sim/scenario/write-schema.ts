// `npm run schema`: writes scenarios/schema.json, the JSON Schema of scenario
// files, from the schema the loader validates with (sim/scenario/schema.ts).
// Editors use it for completion and checking (a `# yaml-language-server:
// $schema=...` line, or the yaml.schemas setting: docs/scenarios.md);
// test/errors.test.ts fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from './schema.ts';

/** Where the schema is shipped, relative to the package root. */
export const SCHEMA_FILE = 'scenarios/schema.json';

/** The exact bytes of scenarios/schema.json. */
export function schemaFileContent(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = fileURLToPath(new URL(`../../${SCHEMA_FILE}`, import.meta.url));
  writeFileSync(path, schemaFileContent());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
