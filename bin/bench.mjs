#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --runs=N]`
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');
