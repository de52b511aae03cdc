// Preloaded (`node -r`) by test/cli.test.ts: writes to stderr, when the process exits, the files of
// the scripts it compiled through node:vm, which is how bin/script-cache.cjs runs the build's
// bundles (bundle/cli.cjs, bundle/simulation.cjs) and vendored packages.
'use strict';

const vm = require('node:vm');

const loaded = [];
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    loaded.push(String(options?.filename ?? ''));
  }
};
process.on('exit', () => process.stderr.write(`\nscripts loaded: ${JSON.stringify(loaded)}\n`));
