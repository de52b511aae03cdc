// The build (bin/build.mjs: dist/<hash>/) of the sources as they are now, for code that runs from
// the sources (the tests do) and starts threads or processes of its own: they run that build
// instead of registering tsx first, which costs a worker thread ~0.3 s of CPU and a process ~0.2 s.
// Asked of bin/compiled.cjs, the one place that knows, at every start and never remembered: after
// an edit (a test run in watch mode) there is no build of the sources, and they run through tsx as
// edited.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

/** dist/<hash> of the build of the sources as they are, or null (none, or STAMPEDE_TSX=1). */
export function buildOfTheseSources(): string | null {
  try {
    const { compiledDir } = createRequire(import.meta.url)(fileURLToPath(new URL('bin/compiled.cjs', ROOT))) as { compiledDir(): string | null };
    return compiledDir();
  } catch {
    return null; // an install without bin/, or a Node that cannot require() it: the sources
  }
}

/**
 * The build's `.js` of the project's `.ts` file `source`, or null when these sources have no build
 * or the build does not hold it (it holds sim/, reports/lib/ and live/, not the tests' own modules).
 */
export function compiledModule(source: URL): URL | null {
  if (!source.href.startsWith(ROOT.href) || !source.pathname.endsWith('.ts')) return null;
  const build = buildOfTheseSources();
  if (build === null) return null;
  const compiled = new URL(source.href.slice(ROOT.href.length).replace(/\.ts$/, '.js'), pathToFileURL(`${build}/`));
  return existsSync(compiled) ? compiled : null;
}
