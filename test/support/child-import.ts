// How a child Node process of a test imports one of the project's modules: the build's `.js` of it
// (bin/build.mjs; the global setup builds the sources), as users' processes run it, or the `.ts`
// through tsx when the sources have no build (an edit in watch mode). tsx costs a process ~0.3 s
// of CPU before it does anything.
import { compiledModule } from '../../sim/engine/build-of-sources.ts';

const ROOT = new URL('../../', import.meta.url);

/** `source` is a path from the project's root, e.g. `live/ports.ts`. */
export function childImport(source: string): { execArgv: string[]; href: string } {
  const module = new URL(source, ROOT);
  const compiled = compiledModule(module);
  return compiled !== null ? { execArgv: [], href: compiled.href } : { execArgv: ['--import', 'tsx'], href: module.href };
}
