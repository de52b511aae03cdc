#!/usr/bin/env node
// Keeps one process of the reference deployment tied to the stampede process that started it:
//   node live/guard.mjs PARENT_PID PID_FILE COMMAND [ARGS...]
// The guard leads its own process group (it is spawned detached) and runs COMMAND in that group.
// It writes COMMAND's pid to PID_FILE (so that faults can signal the process itself: SIGSTOP,
// SIGKILL), exits with COMMAND's status, and kills the whole group when PARENT_PID is gone:
// a stampede killed with SIGKILL leaves nothing running. Plain JavaScript: it starts in ~40 ms.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [parentText, pidFile, command, ...args] = process.argv.slice(2);
const parent = Number(parentText);
const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (error) => {
  process.stderr.write(`guard: cannot start ${command}: ${error.message}\n`);
  process.exit(127);
});
if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGKILL' ? 137 : 128 + 15)));
const killGroup = () => {
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.exit(1); }
};
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    child.kill('SIGTERM');
    setTimeout(killGroup, 2000).unref();
  });
}
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    killGroup();
  }
}, 200);
