// A fault's `exec:` commands (docs/live.md): against a user's own system, `stampede load --target
// URL` causes a fault by running the user's commands at its start and end. Each runs under
// /bin/sh -c in its own process group, bounded by the fault's exec.timeout (the group is killed
// at the bound), with its output captured (bounded) for the fault log. A command that fails (a
// non-zero exit, a signal, the timeout) is an error: the run stops with its partial result marked.
import { spawn, type ChildProcess } from 'node:child_process';
import type { FaultConfig } from '../sim/scenario/types.ts';
import { signalGroup } from './processes.ts';
import { userEnvironment } from './user-environment.ts';

/** Output kept per command (the rest is cut, and the cut says so). */
export const MAX_HOOK_OUTPUT = 16 * 1024;

export interface HookRun {
  command: string;
  /** Exit code, or null when a signal or the timeout ended it. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  seconds: number;
  /** stdout and stderr interleaved as they came, at most MAX_HOOK_OUTPUT characters. */
  output: string;
}

/** When a fault ends, in scenario seconds (null: it has no end). */
export function faultEnd(f: FaultConfig): number | null {
  if ('duration' in f && typeof f.duration === 'number') return f.at + f.duration;
  if ('restartAfter' in f && typeof f.restartAfter === 'number') return f.at + f.restartAfter;
  return null;
}

/** Every hook command still running: `stopAll` kills their groups (the run's `finally`). */
export class Hooks {
  private readonly running = new Set<ChildProcess>();
  private readonly pending = new Set<Promise<HookRun>>();

  run(command: string, timeoutSeconds: number, env: Record<string, string>): Promise<HookRun> {
    const begun = performance.now();
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...userEnvironment(process.env), ...env } });
    this.running.add(child);
    let output = '';
    let cut = false;
    const take = (chunk: Buffer) => {
      if (output.length >= MAX_HOOK_OUTPUT) {
        cut = true;
        return;
      }
      output += chunk.toString('utf8');
      if (output.length > MAX_HOOK_OUTPUT) {
        output = output.slice(0, MAX_HOOK_OUTPUT);
        cut = true;
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, timeoutSeconds * 1000);
    const result = new Promise<HookRun>((resolve) => {
      let finished = false;
      const done = (code: number | null, signal: string | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.running.delete(child);
        // Whatever the command left in its group (a background job) goes with it.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        resolve({ command, code, signal, timedOut, seconds: (performance.now() - begun) / 1000, output: cut ? `${output}\n[output cut at ${MAX_HOOK_OUTPUT} characters]` : output });
      };
      child.on('error', (error) => {
        output += `${error.message}\n`;
        done(127, null);
      });
      child.on('close', (code, signal) => done(code, signal));
    });
    this.pending.add(result);
    void result.then(() => this.pending.delete(result));
    return result;
  }

  /** Waits for the commands still running (each is bounded by its timeout). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
    await new Promise((r) => setImmediate(r));
  }

  async stopAll(): Promise<void> {
    const left = [...this.running];
    for (const child of left) if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    await Promise.all(left.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('close', r)))));
  }
}

/** `exec start of fault 0 (lookup-outage): exit 0 in 0.12 s` and the like; null when it succeeded. */
export function hookFailure(run: HookRun): string | null {
  if (run.timedOut) return `timed out after ${run.seconds.toFixed(1)} s (killed)`;
  if (run.signal !== null) return `killed by ${run.signal}`;
  if (run.code !== 0) return `exit code ${run.code}`;
  return null;
}
