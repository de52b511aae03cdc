// Entry point of every worker thread that runs TypeScript (the batch pool,
// the retry helpers, the fuzz test). Worker threads do not inherit the loader
// hooks the main thread registered (tsx), so this registers them, then imports
// the module named by the thread's first argument (`startTypeScriptWorker`).
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
