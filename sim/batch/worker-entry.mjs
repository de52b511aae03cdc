// Entry point of a pool worker thread. Worker threads do not inherit the
// loader hooks the main thread registered (tsx), so register them here before
// importing the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
