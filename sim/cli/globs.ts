// Globs (Node 20 has no fs.glob): `*`, `?`, `[...]`, `{a,b}` and `**`, for `stampede gate` and
// `stampede validate`; apart from the gate's module so that validate does not load the simulation.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GateInputError } from '../gate/errors.ts';

const MAGIC = /[*?[{]/;

/**
 * Files matching each pattern, sorted per pattern, duplicates dropped (the
 * same file reached by two names, through a symbolic link, counts once); a
 * plain path is kept as given.
 */
export function expandGlobs(patterns: readonly string[]): string[] {
  const seen = new Set<string>();
  const files: string[] = [];
  const add = (path: string) => {
    const key = identity(path);
    if (!seen.has(key)) files.push(path);
    seen.add(key);
  };
  for (const pattern of patterns) {
    if (!MAGIC.test(pattern)) {
      add(pattern);
      continue;
    }
    const matches = braces(pattern).flatMap((p) => matchGlob(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (matches.length === 0) throw new GateInputError(`no file matches ${JSON.stringify(pattern)}`);
    for (const match of matches) add(match);
  }
  return files;
}

/** The file's real path, or the path as given when it has none (it does not exist: the loader says so). */
function identity(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** `a{b,c}d` → `abd`, `acd` (nesting allowed). */
function braces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) {
      const bounds = [open, ...commas, i];
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      return bounds.slice(1).flatMap((end, k) => braces(head + pattern.slice(bounds[k] + 1, end) + tail));
    } else if (pattern[i] === ',' && depth === 1) commas.push(i);
  }
  return [pattern];
}

function segmentRegex(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = segment.slice(i + 1, close).replace(/^!/, '^').replaceAll('\\', '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function matchGlob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const results: string[] = [];
  const kind = (path: string) => {
    try {
      return statSync(path).isDirectory() ? 'directory' : 'file';
    } catch {
      return 'none';
    }
  };
  const isDirectory = (path: string) => kind(path) === 'directory';
  const list = (dir: string) => {
    try {
      return readdirSync(dir === '' ? '.' : dir).sort();
    } catch {
      return [];
    }
  };
  const visited = new Set<string>();
  const walk = (base: string, rest: string[]) => {
    if (rest.length === 0) {
      if (base !== '' && kind(base) === 'file') results.push(base);
      return;
    }
    const [segment, ...tail] = rest;
    if (segment === '**') {
      // A symbolic link back up the tree would be walked until ELOOP: each real directory once.
      const real = identity(base === '' ? '.' : base);
      if (visited.has(real)) return;
      visited.add(real);
      walk(base, tail);
      for (const entry of list(base)) {
        const path = base === '' ? entry : join(base, entry);
        if (!entry.startsWith('.') && isDirectory(path)) walk(path, rest);
      }
      visited.delete(real);
      return;
    }
    if (!MAGIC.test(segment)) {
      const path = base === '' ? segment : join(base, segment);
      if (tail.length === 0 || isDirectory(path)) walk(path, tail);
      return;
    }
    const regex = segmentRegex(segment);
    for (const entry of list(base)) {
      if (entry.startsWith('.') && !segment.startsWith('.')) continue;
      if (regex.test(entry)) walk(base === '' ? entry : join(base, entry), tail);
    }
  };
  walk(absolute ? '/' : '', segments);
  return results;
}
