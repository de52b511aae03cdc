// A deployment process exits when the stampede that started it is gone (belt and braces with
// live/guard.sh, which kills the group): no orphan, whatever killed stampede.
export function exitWithParent(): void {
  const parent = Number(process.env.STAMPEDE_PARENT ?? 0);
  if (parent <= 0) return;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 250).unref();
}

/** `--name value` pairs of a deployment process's command line. */
export function flags(argv: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < argv.length; i += 2) map.set(argv[i].replace(/^--/, ''), argv[i + 1]);
  return map;
}

export function numberFlag(map: Map<string, string>, name: string, fallback?: number): number {
  const text = map.get(name);
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing --${name}`);
  }
  const value = text === 'Infinity' ? Infinity : Number(text);
  if (Number.isNaN(value)) throw new Error(`--${name}: not a number: ${text}`);
  return value;
}
