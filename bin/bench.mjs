#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --large] [-- --runs=N]`: with huge pages, as `stampede` runs (bin/huge-pages.mjs).
import { relaunchWithHugePages } from './huge-pages.mjs';

if (!relaunchWithHugePages()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bench/run.ts');
}
