#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`): compiles sim/, reports/lib/ and live/
// to JavaScript once, into dist/<hash>/ (bin/compiled.mjs), so that a start does not compile
// TypeScript. Without TypeScript installed (a production install) or when tsc fails, it says
// so and exits 0: bin/stampede.mjs then runs the sources with tsx, as it does in a dev tree
// after an edit. Type errors are `npm run typecheck`'s to report, not this script's.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { COMPLETE, DIST, ROOT, SOURCE_DIRS, sourceHash } from './compiled.mjs';

/**
 * Builds not started for this long are removed (each start marks its build, bin/compiled.mjs): a
 * process that runs for hours on an older build still loads modules from it (reports, workers).
 */
const UNUSED_FOR_MS = 24 * 3600 * 1000;

async function build() {
  const hash = sourceHash();
  const target = join(DIST, hash);
  if (existsSync(join(target, COMPLETE))) return `dist/${hash} is up to date`;
  let tsc;
  try {
    tsc = join(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json'), '..', 'bin', 'tsc');
  } catch {
    return 'TypeScript is not installed: stampede runs its sources with tsx';
  }
  mkdirSync(DIST, { recursive: true });
  const temporary = join(DIST, `.tmp-${hash}-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  try {
    // The sources first (live/ starts some of them with tsx, and guard.mjs is not compiled), then their JavaScript beside them.
    for (const dir of SOURCE_DIRS) cpSync(join(ROOT, dir), join(temporary, dir), { recursive: true });
    const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', temporary], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      return `tsc failed (stampede will run its sources with tsx; \`npm run typecheck\` shows why):\n${(result.stdout + result.stderr).trim().split('\n').slice(0, 10).join('\n')}`;
    }
    await bundleYargs(temporary);
    await bundleCommands(temporary);
    // A source edited while this ran: this build is of neither version.
    if (sourceHash() !== hash) return 'the sources changed during the build: not kept (run `npm run build` again)';
    writeFileSync(join(temporary, COMPLETE), `${new Date().toISOString()}\n`);
    try {
      renameSync(temporary, target);
    } catch (error) {
      // Another build of the same sources finished first: theirs is as good.
      if (!existsSync(join(target, COMPLETE))) throw error;
    }
    prune(hash);
    return `built dist/${hash}`;
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

/**
 * yargs renders the whole help text each time a command's handler starts (usage.js,
 * cacheHelpMessage), in case the handler asks for it later: ~25 ms of every `stampede run`.
 * stampede never shows help once a command has started (main()'s .fail() throws, and nothing calls
 * showHelp or getHelp), so the bundle caches nothing; --help and usage errors render as before.
 */
const HELP_CACHE = 'self.cacheHelpMessage = function () {\n        cachedHelpMessage = this.help();\n    };';
const HELP_CACHE_OFF = 'self.cacheHelpMessage = function () {};';
let helpCacheOff = false;

/**
 * string-width (cliui's, wrap-ansi's and yargs' own copies) creates an Intl.Segmenter when it is
 * loaded: ~8.5 ms of every start for ICU's data, though only --help and usage errors measure text.
 * In the bundle it is created at its first use instead; nothing else changes.
 */
const SEGMENTER = 'const segmenter = new Intl.Segmenter();';
const SEGMENTER_LAZY = 'let segmenterInstance;\nconst segmenter = { segment: (text) => (segmenterInstance ??= new Intl.Segmenter()).segment(text) };';

/**
 * Likewise its top-level regular expressions (string-width 8's `\p{RGI_Emoji}` with the v flag took
 * ~20 ms to construct at every start): each `const NAME = /.../flags;` becomes a `let` assigned at
 * the start of the module's one export, stringWidth(), from which every function using them is
 * called. Created once, at the first call instead of at load.
 */
function lazyRegexes(source) {
  const entry = /^export default function stringWidth\([^)]*\) \{$/m.exec(source);
  if (entry === null) return source;
  const inits = [];
  const out = source.replace(/^const ([A-Za-z_$][\w$]*) = (\/.+\/[dgimsuvy]*);$/gm, (_, name, literal) => {
    inits.push(`\t${name} ??= ${literal};`);
    return `let ${name};`;
  });
  return inits.length === 0 ? source : out.replace(entry[0], `${entry[0]}\n${inits.join('\n')}`);
}

/** esbuild, tsx's own dependency; null without it. */
async function loadEsbuild() {
  try {
    const tsx = createRequire(join(ROOT, 'package.json')).resolve('tsx/package.json');
    return await import(pathToFileURL(createRequire(tsx).resolve('esbuild')).href);
  } catch {
    return null;
  }
}

/** What every bundle of the build is: one ES module for Node 20, quiet unless esbuild fails. */
const ESM_FOR_NODE = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' };
/** A vendored package: one CommonJS script, for V8's code cache (bin/script-cache.mjs). */
const SCRIPT_FOR_NODE = { ...ESM_FOR_NODE, format: 'cjs' };

/**
 * The ES module `vendor/NAME.js` that the compiled modules import: it runs `vendor/NAME.cjs` with its
 * code cache (bin/script-cache.mjs, copied beside it) as `NAME` and exports what `exports` says. An
 * ES module has no code cache in Node 20: ~30 ms of every start went to compiling yargs and yaml,
 * the same functions each time.
 */
function cachedScriptModule(dir, name, exports) {
  const vendor = join(dir, 'vendor');
  cpSync(join(ROOT, 'bin', 'script-cache.mjs'), join(vendor, 'script-cache.js'));
  writeFileSync(
    join(vendor, `${name}.js`),
    `import { fileURLToPath } from 'node:url';\nimport { loadCachedScript } from './script-cache.js';\n\nconst ${name} = loadCachedScript(fileURLToPath(new URL('./${name}.cjs', import.meta.url)));\n${exports}`,
  );
}

/**
 * yargs as one file: its ~60 ES modules cost a start ~70 ms to load, one file ~35 ms. Bundled with
 * esbuild (tsx's own dependency) from the installed yargs as a CommonJS script, vendor/yargs.cjs,
 * which vendor/yargs.js loads through V8's code cache (cachedScriptModule), and the compiled CLI's
 * `from 'yargs'` pointed at it; without esbuild the build keeps importing yargs from node_modules.
 */
async function bundleYargs(dir) {
  const esbuild = await loadEsbuild();
  if (esbuild === null) return;
  const entry = createRequire(join(ROOT, 'package.json')).resolve('yargs');
  await esbuild.build({
    ...SCRIPT_FOR_NODE,
    entryPoints: [entry],
    outfile: join(dir, 'vendor', 'yargs.cjs'),
    // Each bundled module keeps its own location (import.meta.url, require): yargs finds its
    // locale files (messages in the user's language) and the rest as from node_modules.
    plugins: [
      {
        name: 'module-location',
        setup(b) {
          b.onLoad({ filter: /\.m?js$/ }, (args) => {
            let source = readFileSync(args.path, 'utf8');
            let changed = false;
            if (source.includes('import.meta.url')) {
              source = source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
              changed = true;
            }
            if (source.includes(HELP_CACHE)) {
              source = source.replace(HELP_CACHE, HELP_CACHE_OFF);
              changed = helpCacheOff = true;
            }
            // Only where `segmenter.segment(` is its one use (comments aside), as in string-width 7 and 8.
            const otherUses = () => /\bsegmenter\b/.test(source.replace(SEGMENTER, '').replaceAll('segmenter.segment(', '').split('\n').filter((line) => !line.trim().startsWith('//')).join('\n'));
            if (/[\\/]string-width[\\/]index\.js$/.test(args.path) && source.includes(SEGMENTER) && !otherUses()) {
              source = lazyRegexes(source.replace(SEGMENTER, SEGMENTER_LAZY));
              changed = true;
            }
            return changed ? { contents: source, loader: 'js' } : undefined;
          });
        },
      },
    ],
  });
  cachedScriptModule(dir, 'yargs', 'export default yargs.default;\n');
  // A yargs whose usage.js reads otherwise still works; it only renders the unused help again.
  if (!helpCacheOff) process.stderr.write("stampede build: yargs's help cache is no longer where it was (bin/build.mjs, HELP_CACHE): left as it is\n");
  const main = join(dir, 'sim', 'cli', 'main.js');
  const code = readFileSync(main, 'utf8');
  if (!code.includes("from 'yargs';")) throw new Error('sim/cli/main.js no longer imports yargs as expected');
  writeFileSync(main, code.replace("from 'yargs';", "from '../../vendor/yargs.js';"));
}

/**
 * The command line as a few files: bin/stampede.mjs loads dist/<hash>/bundle/main.js, the compiled
 * CLI with the modules it imports in one file, and each command's modules, which main() imports
 * when that command runs, in a chunk of their own beside it (esbuild, code splitting); yaml, which
 * is CommonJS (its ~50 files went through Node's CommonJS lexer at every start), becomes one ES
 * module, vendor/yaml.js, that every compiled module imports instead. Loading ~60 files and yaml
 * was ~40 ms of a start. The simulation is in the bundle too (its ~30 modules were ~11 ms of a
 * start, and of a 1,000-client run ~8 ms in all, ~20 ms at 100,000): esbuild declares a bundle's
 * top-level bindings with `var`, which V8 does not fold into the hot loops as it does a module's
 * `const` (a run at 10^6 clients took 7 % more CPU), so each one nothing assigns again is made
 * `const` once more (constsRestored); the 10^6-client carrier outage then runs as fast as
 * unbundled or faster (1.9 s against 2.0-2.3 s). Worker threads load the unbundled build: each
 * thread has its own copy of every module anyway. The other packages (vega, resvg, live mode's
 * clients, seedrandom, tsx)
 * stay where they are. Every bundled module keeps its location: `import.meta.url` in it is its
 * compiled file's URL (relative to the bundle, so a moved tree still works), so the workers it
 * starts, the files it reads and the packages it resolves are the unbundled build's. Without
 * esbuild there is no bundle and bin/stampede.mjs imports sim/cli/main.js, as before.
 */
async function bundleCommands(dir) {
  const esbuild = await loadEsbuild();
  if (esbuild === null) return;
  await vendorYaml(esbuild, dir);
  const outdir = join(dir, 'bundle');
  await esbuild.build({
    ...ESM_FOR_NODE,
    entryPoints: { main: join(dir, 'sim', 'cli', 'main.js') },
    splitting: true,
    outdir,
    chunkNames: '[name]-[hash]',
    // No keepNames (it wraps every function in a call): main() tells two error classes apart by
    // their name, checked below; other names are the sources' unless two modules clash.
    plugins: [
      {
        name: 'stampede-bundle',
        setup(b) {
          // Packages stay where they are (yaml and yargs are the build's vendor/ files).
          b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
          // The vendored packages: imported from the build, unbundled.
          b.onResolve({ filter: /^\./ }, (args) => {
            const path = resolve(args.resolveDir, args.path);
            if (!path.startsWith(join(dir, 'vendor') + sep)) return undefined;
            return { path: relative(outdir, path).split(sep).join('/'), external: true };
          });
          b.onLoad({ filter: /\.js$/ }, (args) => {
            if (!args.path.startsWith(dir)) return undefined;
            const source = readFileSync(args.path, 'utf8');
            if (!source.includes('import.meta.url')) return undefined;
            const location = relative(outdir, args.path).split(sep).join('/');
            return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(location)}, import.meta.url).href`), loader: 'js' };
          });
        },
      },
    ],
  });
  const chunks = readdirSync(outdir).map((name) => {
    const restored = constsRestored(readFileSync(join(outdir, name), 'utf8'));
    writeFileSync(join(outdir, name), restored);
    return restored;
  });
  // Renamed (two modules declaring one name), main() would not recognise them (inputErrorClasses): no bundle then.
  const code = chunks.join('\n');
  const renamed = /\b(ScenarioError|BatchInputError)\d+\b/.exec(code);
  if (renamed !== null) {
    process.stderr.write(`stampede build: the bundle renamed ${renamed[1]}: not kept (bin/stampede.mjs runs the unbundled build)\n`);
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * esbuild declares a bundle's top-level bindings with `var`, the sources' `const` included: a `var`
 * can change, so V8 does not fold it into the code that reads it, where a module's `const` (a
 * bucket width, a field offset, an event kind) is folded into the simulation's hot loops. Each
 * top-level `var NAME = ...` that nothing in the file assigns again becomes `const` once more.
 */
function constsRestored(code) {
  /** Whether `name` is written anywhere other than its `declared` (0 or 1) plain declarations. */
  const assigned = (name, declared) => {
    const id = name.replace(/\$/g, '\\$');
    const writes = new RegExp(`(?<![\\w$.])${id}\\s*(?:[-+*/%&|^]|\\*\\*|<<|>>>?|\\?\\?|\\|\\||&&)?=(?!=)|(?:\\+\\+|--)\\s*${id}(?![\\w$])|(?<![\\w$.])${id}\\s*(?:\\+\\+|--)`, 'g');
    return [...code.matchAll(writes)].length > declared;
  };
  const single = code.replace(/^var ([A-Za-z_$][\w$]*) = /gm, (whole, name) => (assigned(name, 1) ? whole : `const ${name} = `));
  // `var { A: A2, B } = namespace;`: the names it binds are the local ones, after a colon or alone.
  return single.replace(/^var \{ ([^{}]*) \} = /gm, (whole, list) => {
    const names = list.split(',').map((part) => part.split(':').at(-1).trim());
    return names.every((name) => /^[A-Za-z_$][\w$]*$/.test(name) && !assigned(name, 0)) ? `const { ${list} } = ` : whole;
  });
}

/**
 * yaml as one CommonJS script (vendor/yaml.cjs) and an ES module (vendor/yaml.js) with the named
 * exports of the installed package that runs it with its code cache, and the compiled modules'
 * `from 'yaml'` pointed at that.
 */
async function vendorYaml(esbuild, dir) {
  const requireRoot = createRequire(join(ROOT, 'package.json'));
  const names = Object.keys(requireRoot('yaml')).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
  const vendor = join(dir, 'vendor', 'yaml.js');
  await esbuild.build({ ...SCRIPT_FOR_NODE, entryPoints: [requireRoot.resolve('yaml')], outfile: join(dir, 'vendor', 'yaml.cjs') });
  cachedScriptModule(dir, 'yaml', `export const { ${names.join(', ')} } = yaml;\nexport default yaml.default ?? yaml;\n`);
  const walk = (sub) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = join(dir, sub, entry.name);
      if (entry.isDirectory()) {
        if (sub !== '' || entry.name !== 'vendor') walk(join(sub, entry.name));
      } else if (entry.name.endsWith('.js')) {
        const code = readFileSync(path, 'utf8');
        if (!code.includes("from 'yaml';")) continue;
        const target = relative(dirname(path), vendor).split(sep).join('/');
        writeFileSync(path, code.replaceAll("from 'yaml';", `from '${target.startsWith('.') ? target : `./${target}`}';`));
      }
    }
  };
  walk('');
}

/** Removes the builds other than this one that no start has used for a day, and abandoned temporary ones. */
function prune(current) {
  for (const name of readdirSync(DIST)) {
    if (name === current || name === COMPLETE) continue;
    // A build's temporary directory left by a build that was killed: an hour is long enough for any build.
    const age = Date.now() - statSync(join(DIST, name)).mtimeMs;
    if (age > (name.startsWith('.tmp-') ? 3600 * 1000 : UNUSED_FOR_MS)) rmSync(join(DIST, name), { recursive: true, force: true });
  }
}

process.stderr.write(`stampede build: ${await build()}\n`);
