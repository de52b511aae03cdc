#!/usr/bin/env node
// Entry point: registers the TypeScript loader (tsx), then runs the CLI.
// The loader is registered process-wide, so worker threads inherit it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../sim/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
