// SHA-256 in hex, with node:crypto loaded at the first hash, not at start-up: it loads some twenty
// modules (~4 ms of every start), and most commands never hash.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function sha256Hex(data: string | Uint8Array): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(data).digest('hex');
}
