// Worker thread of test/fuzz.test.ts: registers the TypeScript loader (worker
// threads do not inherit it), then runs cases sent by the test.
import { register } from 'tsx/esm/api';

register();
await import('./case.ts');
