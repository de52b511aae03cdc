// Entry point of a retry helper thread (retry-threads.ts). Worker threads do
// not inherit the loader hooks the main thread registered (tsx), so register
// them here before importing the TypeScript helper.
import { register } from 'tsx/esm/api';

register();
await import('./retry-worker.ts');
