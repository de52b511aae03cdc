#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --large] [-- --runs=N]`: with huge pages, as `stampede` runs (bin/huge-pages.mjs).
import { register } from 'tsx/esm/api';
import { relaunchWithHugePages } from './huge-pages.mjs';

if (!relaunchWithHugePages()) {
  register();
  await import('../bench/run.ts');
}
