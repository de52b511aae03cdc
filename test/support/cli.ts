// `main()` in this process with stdout and stderr captured: the CLI as a user
// sees it, without the cost of spawning node.
import { vi } from 'vitest';
import { main } from '../../sim/cli/main.ts';
import { tempDir as newTempDir } from './temp.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Captures process.stdout/stderr while `work` runs (several commands may run inside at once). */
export async function captured<T>(work: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    const value = await work();
    return { value, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

export async function cli(...args: string[]): Promise<CliResult> {
  const { value, stdout, stderr } = await captured(() => main(args));
  return { code: value, stdout, stderr };
}

export function tempDir(prefix = 'stampede-hostile-'): string {
  return newTempDir(prefix);
}

/** No stack trace: no `    at f (file:line)` line. */
export const STACK = /\n\s+at .+[:(]/;
