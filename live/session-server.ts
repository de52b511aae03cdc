// A session server (docs/model.md §6) as one OS process:
//   node --import tsx live/session-server.ts --port P --health-port H --max-sessions N
//        --max-accepts-per-sec A --overload-accepts-per-sec O --overload-for S --startup T
// Line protocol on P (node:net): the client sends `HELLO <id>`; the server answers `OK`, or
// `FULL` (maxSessions), `BUSY` (past maxAcceptsPerSec this second) or `DRAINING`, and closes on
// a refusal. `PING` gets `PONG` (keepalive); `BYE` ends the session. Connection attempts above
// overloadAcceptsPerSec for overloadFor seconds in a row crash the server: the process exits (75).
// HTTP on H: `GET /health` → {"state","sessions"} (the managers' L7 check), `POST /drain`.
import { createServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { exitWithParent, flags, numberFlag } from './parent-watch.ts';
import { onLines } from './line-protocol.ts';

import { OVERLOAD_EXIT_CODE as OVERLOAD_EXIT } from "./exit-codes.ts";

const args = flags(process.argv.slice(2));
const port = numberFlag(args, 'port');
const healthPort = numberFlag(args, 'health-port');
const maxSessions = numberFlag(args, 'max-sessions');
const maxAccepts = numberFlag(args, 'max-accepts-per-sec');
const overloadRate = numberFlag(args, 'overload-accepts-per-sec');
const overloadFor = numberFlag(args, 'overload-for');
const startup = numberFlag(args, 'startup', 0);
exitWithParent();

let sessions = 0;
let draining = false;
let windowSecond = -1;
let acceptsInWindow = 0;
let attemptsInWindow = 0;
let overloadedSeconds = 0;

function rollWindow(second: number): void {
  if (windowSecond >= 0) {
    // Consecutive seconds above the overload rate; a quieter second in between resets the count.
    overloadedSeconds = second === windowSecond + 1 && attemptsInWindow > overloadRate ? overloadedSeconds + 1 : 0;
  }
  windowSecond = second;
  acceptsInWindow = 0;
  attemptsInWindow = 0;
}

function admit(): 'OK' | 'FULL' | 'BUSY' | 'DRAINING' {
  const second = Math.floor(performance.now() / 1000);
  if (second !== windowSecond) rollWindow(second);
  attemptsInWindow++;
  if (attemptsInWindow > overloadRate && overloadedSeconds + 1 >= overloadFor) {
    process.stderr.write(`overload: ${attemptsInWindow} connection attempts this second after ${overloadedSeconds} overloaded seconds: crashing\n`);
    process.exit(OVERLOAD_EXIT);
  }
  if (draining) return 'DRAINING';
  if (sessions >= maxSessions) return 'FULL';
  if (acceptsInWindow >= maxAccepts) return 'BUSY';
  acceptsInWindow++;
  return 'OK';
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let inSession = false;
  const end = () => {
    if (inSession) {
      inSession = false;
      sessions--;
    }
  };
  onLines(socket, (line) => {
    if (line === 'PING') {
      socket.write('PONG\n');
    } else if (line.startsWith('HELLO ')) {
      if (inSession) return;
      const verdict = admit();
      if (verdict === 'OK') {
        inSession = true;
        sessions++;
        socket.write('OK\n');
      } else {
        socket.end(`${verdict}\n`);
      }
    } else if (line === 'BYE') {
      end();
      socket.end();
    } else {
      socket.destroy();
    }
  }, (pending) => {
    // A client that never ends its line is not speaking the protocol.
    if (pending.length > 256) socket.destroy();
  });
  socket.on('close', end);
  socket.on('error', end);
}

const sessionServer = createServer({ noDelay: true }, serve);
sessionServer.maxConnections = Math.min(maxSessions + 1000, 1_000_000);
const health = createHttpServer((req, res) => {
  if (req.method === 'POST' && req.url === '/drain') draining = true;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ state: draining ? 'draining' : 'running', sessions }));
});

// docs/model.md §6: a (re)started server runs `startupTime` after its process starts.
setTimeout(() => {
  sessionServer.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
    health.listen(healthPort, '127.0.0.1');
  });
}, Math.max(0, startup * 1000 - process.uptime() * 1000));
sessionServer.on('error', (error) => {
  process.stderr.write(`session server: ${error.message}\n`);
  process.exit(2);
});
health.on('error', (error) => {
  process.stderr.write(`session server health: ${error.message}\n`);
  process.exit(2);
});
process.on('SIGTERM', () => process.exit(0));
