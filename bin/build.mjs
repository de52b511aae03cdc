#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`): compiles sim/, reports/lib/ and live/
// to JavaScript once, into dist/<hash>/ (bin/compiled.cjs), so that a start does not compile
// TypeScript. Without TypeScript installed (a production install) or when tsc fails, it says
// so and exits 0: bin/stampede.cjs then runs the sources with tsx, as it does in a dev tree
// after an edit. Type errors are `npm run typecheck`'s to report, not this script's.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { COMPLETE, DIST, ROOT, SOURCE_DIRS, sourceHash } from './compiled.cjs';

/**
 * Builds not started for this long are removed (each start marks its build, bin/compiled.cjs): a
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
    // The sources first (live/ starts some of them with tsx, and guard.sh is a shell script), then their JavaScript beside them.
    for (const dir of SOURCE_DIRS) cpSync(join(ROOT, dir), join(temporary, dir), { recursive: true });
    const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', temporary], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      return `tsc failed (stampede will run its sources with tsx; \`npm run typecheck\` shows why):\n${(result.stdout + result.stderr).trim().split('\n').slice(0, 10).join('\n')}`;
    }
    // A step esbuild fails leaves its files unbundled (the modules import the packages from
    // node_modules, bin/stampede.cjs runs the unbundled build): slower starts, not a failed install.
    for (const [what, step] of [['yargs', bundleYargs], ['the command line', bundleCommands]]) {
      try {
        await step(temporary);
      } catch (error) {
        process.stderr.write(`stampede build: ${what} not bundled: ${error?.errors?.[0]?.text ?? String(error?.message ?? error).split('\n')[0]}\n`);
        if (what === 'the command line') rmSync(join(temporary, 'bundle'), { recursive: true, force: true });
      }
    }
    writeCodeCaches(temporary);
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
 * V8's code caches of the build's scripts (bin/script-cache.cjs), written by one small run of the
 * command line in the build, as a start would write them: else the first command a user runs
 * decides which functions they hold for good (a first --help would leave the simulation's out).
 * Without the scenario, or if that run fails, the first start writes them.
 */
function writeCodeCaches(dir) {
  const scenario = join(ROOT, 'scenarios', 'validation', 'v2-lookup-outage-churn.yaml');
  if (!existsSync(join(dir, 'bundle', 'cli.cjs')) || !existsSync(scenario)) return;
  let out;
  try {
    out = mkdtempSync(join(tmpdir(), 'stampede-build-'));
    const args = ['run', scenario, '--set', 'population.clients=1000', '--quiet', '--out', join(out, 'report')];
    const program = `const { loadCommandLine } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bin', 'command-line.cjs')).href)});
process.exitCode = await loadCommandLine(${JSON.stringify(dir)}).main(${JSON.stringify(args)});`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    if (run.status !== 0) process.stderr.write(`stampede build: the run that writes the code caches failed (the first start writes them):\n${run.error?.message ?? run.stderr}\n`);
  } catch (error) {
    process.stderr.write(`stampede build: no run to write the code caches (the first start writes them): ${error.message}\n`);
  } finally {
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  }
}

/**
 * string-width (cliui's, wrap-ansi's and yargs' own copies) creates an Intl.Segmenter when it is
 * loaded: ~8.5 ms of every start for ICU's data, though only --help and usage errors measure text.
 * In the bundle it is created at its first use instead; nothing else changes.
 */
const SEGMENTER = 'const segmenter = new Intl.Segmenter();';
const SEGMENTER_LAZY = 'let segmenterInstance;\nconst segmenter = { segment: (text) => (segmenterInstance ??= new Intl.Segmenter()).segment(text) };';

/**
 * Likewise its top-level regular expressions (string-width 8's `\p{RGI_Emoji}` with the v flag took
 * ~20 ms to construct at every start): each `const NAME = /.../flags;` becomes a `let` assigned in
 * the module's one export, stringWidth(), from which every function using them is called, where it
 * first measures a string by its graphemes: after its fast paths, so that text of printable ASCII
 * (nearly all of a help page) never builds them. Created once, at the first such string instead of
 * at load.
 */
function lazyRegexes(source) {
  const entry = /^export default function stringWidth\([^)]*\) \{$/m.exec(source);
  if (entry === null) return source;
  const inits = [];
  const out = source.replace(/^const ([A-Za-z_$][\w$]*) = (\/.+\/[dgimsuvy]*);$/gm, (_, name, literal) => {
    inits.push(`\t${name} ??= ${literal};`);
    return `let ${name};`;
  });
  if (inits.length === 0) return source;
  // The loop over the graphemes, in stringWidth (the only function from which the others are called).
  const loop = /^\tfor \(const \{segment[^}]*\} of segmenter\.segment\(string\)\) \{$/m.exec(out.slice(out.indexOf(entry[0])));
  const at = loop === null ? entry[0] : loop[0];
  return loop === null ? out.replace(at, `${at}\n${inits.join('\n')}`) : out.replace(at, `${inits.join('\n')}\n${at}`);
}

/**
 * string-width 8's fast path, given to string-width 7 (cliui's and wrap-ansi's copies, which measure
 * every cell of a help page by its graphemes, an Intl.Segmenter and two regular expressions a
 * character: ~25 ms of `--help`): printable ASCII is one column a character, with or without its
 * options (test/script-cache.test.ts renders the same help through the installed packages).
 */
const ASCII_FAST_PATH = '\t// Printable ASCII is one column a character (string-width 8\'s fast path).\n\tif (/^[\\u0020-\\u007E]*$/.test(string)) {\n\t\treturn string.length;\n\t}\n\n';
const BEFORE_MEASURING = '\tif (string.length === 0) {\n\t\treturn 0;\n\t}\n\n\tlet width = 0;';
function asciiFastPath(source) {
  if (source.includes('\\u0020-\\u007E') || source.split(BEFORE_MEASURING).length !== 2) return source;
  return source.replace(BEFORE_MEASURING, BEFORE_MEASURING.replace('\tlet width = 0;', `${ASCII_FAST_PATH}\tlet width = 0;`));
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
/**
 * `source` with `import.meta.url` as the URL of the file at `path` once bundled into a script in
 * `scriptDir`: relative to the script (bin/script-cache.cjs gives every script its require and
 * directory as `__stampedeRequire` and `__stampedeDir`, names no bundled module declares, where a
 * module may have a `require` of its own), so that a moved tree still finds the files a module
 * reads, the packages it resolves and the workers it starts.
 */
function locatedInScript(source, path, scriptDir) {
  const location = relative(scriptDir, path).split(sep).join('/');
  return source.replaceAll('import.meta.url', `__stampedeRequire("node:url").pathToFileURL(__stampedeRequire("node:path").join(__stampedeDir, ${JSON.stringify(location)})).href`);
}

/** A vendored package: one CommonJS script, for V8's code cache (bin/script-cache.cjs). */
const SCRIPT_FOR_NODE = { ...ESM_FOR_NODE, format: 'cjs' };

/**
 * The ES module `vendor/NAME.js` that the compiled modules import: it runs `vendor/NAME.cjs` with its
 * code cache (bin/script-cache.cjs, copied beside it) as `NAME` and exports what `exports` says. An
 * ES module has no code cache in Node 20: ~30 ms of every start went to compiling yargs and yaml,
 * the same functions each time.
 */
function cachedScriptModule(dir, name, exports) {
  const vendor = join(dir, 'vendor');
  cpSync(join(ROOT, 'bin', 'script-cache.cjs'), join(vendor, 'script-cache.cjs'));
  writeFileSync(
    join(vendor, `${name}.js`),
    `import { fileURLToPath } from 'node:url';\nimport { loadCachedScript } from './script-cache.cjs';\n\nconst ${name} = loadCachedScript(fileURLToPath(new URL('./${name}.cjs', import.meta.url)));\n${exports}`,
  );
}

/**
 * yargs as one file: its ~60 ES modules cost a start ~70 ms to load, one file ~35 ms. Bundled with
 * esbuild (tsx's own dependency) from the installed yargs as a CommonJS script, vendor/yargs.cjs,
 * which vendor/yargs.js loads through V8's code cache (cachedScriptModule), and the compiled CLI's
 * `import('yargs')` pointed at it; without esbuild the build keeps importing yargs from node_modules.
 */
async function bundleYargs(dir) {
  const esbuild = await loadEsbuild();
  if (esbuild === null) return;
  const entry = createRequire(join(ROOT, 'package.json')).resolve('yargs');
  await esbuild.build({
    ...SCRIPT_FOR_NODE,
    entryPoints: [entry],
    outfile: join(dir, 'vendor', 'yargs.cjs'),
    // Each bundled module keeps its own location (import.meta.url, require), relative to the script:
    // yargs finds its locale files (messages in the user's language) and the rest as from node_modules.
    plugins: [
      {
        name: 'module-location',
        setup(b) {
          b.onLoad({ filter: /\.m?js$/ }, (args) => {
            let source = readFileSync(args.path, 'utf8');
            let changed = false;
            if (source.includes('import.meta.url')) {
              source = locatedInScript(source, args.path, join(dir, 'vendor'));
              changed = true;
            }
            // Only where `segmenter.segment(` is its one use (comments aside), as in string-width 7 and 8.
            const otherUses = () => /\bsegmenter\b/.test(source.replace(SEGMENTER, '').replaceAll('segmenter.segment(', '').split('\n').filter((line) => !line.trim().startsWith('//')).join('\n'));
            if (/[\\/]string-width[\\/]index\.js$/.test(args.path) && source.includes(SEGMENTER) && !otherUses()) {
              source = lazyRegexes(asciiFastPath(source.replace(SEGMENTER, SEGMENTER_LAZY)));
              changed = true;
            }
            return changed ? { contents: source, loader: 'js' } : undefined;
          });
        },
      },
    ],
  });
  cachedScriptModule(dir, 'yargs', 'export default yargs.default;\n');
  const main = join(dir, 'sim', 'cli', 'main.js');
  const code = readFileSync(main, 'utf8');
  if (!code.includes("import('yargs')")) throw new Error('sim/cli/main.js no longer imports yargs as expected');
  writeFileSync(main, code.replace("import('yargs')", "import('../../vendor/yargs.js')"));
}

/**
 * The command line as two CommonJS scripts, which bin/stampede.cjs runs through V8's code cache
 * (bin/command-line.cjs, bin/script-cache.cjs): Node 20 keeps no compiled code of an ES module
 * between starts, and compiling the command line's modules was, with yargs and yaml, a fifth of a
 * small run. `bundle/simulation.cjs` holds the simulation (sim/simulation.js and every module it
 * imports: the model, the engine, the scenario loader), `bundle/cli.cjs` the rest, from
 * sim/cli/main.js; each module the simulation holds is, in cli.cjs, a require() of it from
 * simulation.cjs (`stampede:simulation:PATH`), so that no module is there twice. Two scripts
 * because esbuild wraps each module that a script loads on demand (a command's modules: main()
 * imports them when that command runs) in a function run at its first use, its top-level
 * constants then assigned variables, and the simulation's hot loops would read a bucket width or
 * a field offset as a variable, not as a constant V8 folds into them (a 10^6-client V2 run took
 * 10-15 % longer). simulation.cjs loads nothing on demand, so nothing in it is wrapped, and each
 * top-level `var` nothing assigns again is made `const` once more (constsRestored). A module
 * importing a package that is an ES module only (vega and vega-lite: reports/lib/render.js, for
 * --svg and --png) is imported, when it is, from the unbundled build (`__stampedeImport(PATH)`).
 * Every bundled module keeps its location: `import.meta.url` in it is its compiled file's URL
 * (relative to the bundle, so a moved tree still works), so the workers it starts, the files it
 * reads and the packages it resolves are the unbundled build's; worker threads load the unbundled
 * build (each thread has its own copy of every module anyway). Without esbuild, or if a check
 * below fails, there is no bundle and bin/stampede.cjs imports sim/cli/main.js.
 */
async function bundleCommands(dir) {
  const esbuild = await loadEsbuild();
  if (esbuild === null) return;
  await vendorYaml(esbuild, dir);
  const outdir = join(dir, 'bundle');
  const relativeToDir = (path) => relative(dir, path).split(sep).join('/');
  const refused = (why) => {
    process.stderr.write(`stampede build: ${why}: no bundle (bin/stampede.cjs runs the unbundled build)\n`);
    rmSync(outdir, { recursive: true, force: true });
  };
  const otherImportMeta = [];
  /** import.meta.url as the compiled file's URL (locatedInScript). */
  const keepLocation = {
    name: 'module-location',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dir + sep)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const rewritten = locatedInScript(source, args.path, outdir);
        // A script has no import.meta: esbuild would make any other use of it an empty object.
        if (/\bimport\.meta\b/.test(rewritten)) otherImportMeta.push(relativeToDir(args.path));
        return { contents: rewritten, loader: 'js' };
      });
    },
  };
  const packagesExternal = (b) => b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));

  // The simulation's modules: sim/simulation.js and what it imports (not the worker threads' entry modules, which run when loaded).
  const closure = await esbuild.build({ ...SCRIPT_FOR_NODE, entryPoints: [join(dir, 'sim', 'simulation.js')], outdir: join(dir, '.closure'), write: false, metafile: true, plugins: [{ name: 'packages', setup: packagesExternal }] });
  // The code-cache loader is cli.cjs's own too: --help loads yargs through it and never the simulation.
  const simulation = Object.keys(closure.metafile.inputs).map((input) => relativeToDir(resolve(input))).filter((path) => path !== 'vendor/script-cache.cjs').sort();
  const held = new Set(simulation);
  await esbuild.build({
    ...SCRIPT_FOR_NODE,
    stdin: {
      contents: `${simulation.map((path, k) => `import * as m${k} from './${path}';`).join('\n')}\nexport default { ${simulation.map((path, k) => `${JSON.stringify(path)}: m${k}`).join(', ')} };\n`,
      resolveDir: dir,
      loader: 'js',
    },
    outfile: join(outdir, 'simulation.cjs'),
    plugins: [{ name: 'packages', setup: packagesExternal }, keepLocation],
  });

  await esbuild.build({
    ...SCRIPT_FOR_NODE,
    entryPoints: { cli: join(dir, 'sim', 'cli', 'main.js') },
    outdir,
    outExtension: { '.js': '.cjs' },
    // No keepNames (it wraps every function in a call): main() tells two error classes apart by
    // their name, checked below; other names are the sources' unless two modules clash.
    plugins: [
      {
        name: 'stampede-cli',
        setup(b) {
          b.onResolve({ filter: /^\./ }, (args) => {
            const path = relativeToDir(resolve(args.resolveDir, args.path));
            if (held.has(path)) return { path: `${SIMULATION_PREFIX}${path}`, external: true };
            if (args.kind !== 'dynamic-import') return undefined;
            const source = readFileSync(join(dir, path), 'utf8');
            const packages = [...source.matchAll(/^import [^;]*? from '([^.'][^']*)';/gm)].map((m) => m[1]).filter((name) => !name.startsWith('node:'));
            return packages.some((name) => esModuleOnly(name)) ? { path: `${ESM_PREFIX}${relative(outdir, join(dir, path)).split(sep).join('/')}`, external: true } : undefined;
          });
          packagesExternal(b);
        },
      },
      keepLocation,
    ],
  });
  // esbuild writes a dynamic import of an external module as import(), which a script does not have:
  // an ES module through the launcher's __stampedeImport, one of the simulation's as its require().
  const cliPath = join(outdir, 'cli.cjs');
  const cli = readFileSync(cliPath, 'utf8')
    .replace(new RegExp(`\\bimport\\("${ESM_PREFIX}([^"]*)"\\)`, 'g'), '__stampedeImport("$1")')
    .replace(new RegExp(`\\bimport\\(("${SIMULATION_PREFIX}[^"]*")\\)`, 'g'), 'Promise.resolve().then(() => require($1))');
  writeFileSync(cliPath, asciiOnly(cli));
  const simulationCode = asciiOnly(constsRestored(readFileSync(join(outdir, 'simulation.cjs'), 'utf8')));
  writeFileSync(join(outdir, 'simulation.cjs'), simulationCode);
  const code = `${cli}\n${simulationCode}`;
  if (otherImportMeta.length > 0) return refused(`import.meta other than import.meta.url in ${otherImportMeta.join(', ')}`);
  // Renamed (two modules declaring one name), main() would not recognise them (inputErrorClasses).
  const renamed = /\bclass (ScenarioError|BatchInputError)\d+\b/.exec(code);
  if (renamed !== null) return refused(`the bundle renamed ${renamed[1]}`);
  if (/\bimport\(/.test(code)) return refused('a dynamic import() is left in the scripts');
  if (/__esm\(/.test(simulationCode)) return refused('a module of the simulation is loaded on demand (its constants would be variables)');
  if (cli.includes(ESM_PREFIX)) return refused('an ES-module-only import could not be rewritten');
  // simulation.cjs gives each of its modules as a namespace object, which has no `default` for an import of one.
  if (cli.includes(`__toESM(require("${SIMULATION_PREFIX}`)) return refused('a default import of a module of the simulation');
  const required = [...new Set([...code.matchAll(/\brequire\("([^".][^"]*)"\)/g)].map((m) => m[1]))].filter((name) => !name.startsWith('node:') && !name.startsWith(SIMULATION_PREFIX));
  const esModules = required.filter((name) => esModuleOnly(name));
  if (esModules.length > 0) return refused(`the scripts would require() ${esModules.join(', ')}, which are ES modules only`);
}

/** Whether the package a bare specifier names is an ES module only, which a script cannot require(). */
function esModuleOnly(specifier) {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  let path;
  try {
    path = createRequire(join(ROOT, 'package.json')).resolve(name);
  } catch {
    return false;
  }
  if (path.endsWith('.mjs')) return true;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module';
  }
  return false;
}

/** What cli.cjs requires of simulation.cjs, and what it imports from the unbundled build (bin/command-line.cjs). */
const SIMULATION_PREFIX = 'stampede:simulation:';
const ESM_PREFIX = 'stampede:module:';

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
 * `code` with every character beyond ASCII written as its `\\uXXXX` escape. esbuild escapes them in
 * strings but leaves comments and regular expressions as they are, and one such character makes V8
 * hold the whole script as a two-byte string: decoded on the slow path, flattened and hashed at
 * twice the size at every start (~3 ms of each script's load). In a comment, a string, a regular
 * expression or a name, an escape means the same; only a template's raw text (String.raw) would
 * differ, and the sources have none with such a character (test/build.test.ts compares the build's
 * output with the sources').
 */
function asciiOnly(code) {
  return code.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
