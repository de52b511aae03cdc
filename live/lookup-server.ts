// A lookup server (docs/model.md §4) as one OS process:
//   node --import tsx live/lookup-server.ts --index I --port P --capacity C --info-refresh S
//        --algorithm NAME --choices D --local-counting 0|1 --managers PORT,PORT --seed N
// `GET /v1/lookup?service=S&mcc=M` → 200 {"primary","alternative"} (host:port), or 503
// {"noServer":true} when no server runs. A real FIFO served at C per second (live/lookup-queue.ts);
// the choice is made by the simulator's own balancer (sim/model/balancer.ts) over the view read
// from a manager every infoRefresh (with local counting in between); with no manager answering,
// the last list and round robin, as in the model. SIGUSR1 closes the listener (a lookup outage in
// refuse mode: connections are refused, and the open kept-alive ones are closed), SIGUSR2 opens it again. `GET /stats` → served, queue, wait.
import { Agent, createServer, get, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Algorithm, algorithmCode, choose, type RegionView } from '../sim/model/balancer.ts';
import { createStream } from '../sim/engine/random.ts';
import type { AlgorithmName } from '../sim/scenario/types.ts';
import { LookupQueue } from './lookup-queue.ts';
import { exitWithParent, flags, numberFlag } from './parent-watch.ts';
import type { ServerView } from './manager.ts';

const args = flags(process.argv.slice(2));
const index = numberFlag(args, 'index');
const port = numberFlag(args, 'port');
const capacity = numberFlag(args, 'capacity');
const infoRefresh = numberFlag(args, 'info-refresh') * 1000;
const algorithm = algorithmCode(args.get('algorithm') as AlgorithmName);
const localCounting = args.get('local-counting') === '1';
const managers = (args.get('managers') ?? '').split(',').filter((p) => p !== '').map(Number);
const stream = createStream(numberFlag(args, 'seed', 1), `live-lookup-${index}`);
exitWithParent();

let addresses: string[] = [];
let view: RegionView | null = null;
let cursor = 0;
let fallback = false;
const pair = new Int32Array(2);

function install(servers: ServerView[]): void {
  if (view === null || addresses.length !== servers.length) {
    const n = servers.length;
    view = {
      servers: Int32Array.from({ length: n }, (_, k) => k),
      running: new Uint8Array(n),
      counts: new Float64Array(n),
      weights: new Float64Array(n).fill(1),
      ramp: new Float64Array(n).fill(1),
      choices: numberFlag(args, 'choices', 2),
      scratch: new Int32Array(Math.max(2, numberFlag(args, 'choices', 2))),
    };
  }
  addresses = servers.map((s) => s.address);
  servers.forEach((s, k) => {
    (view as RegionView).running[k] = s.running ? 1 : 0;
    (view as RegionView).counts[k] = s.sessions;
  });
}

/** The managers are read over kept-alive connections (one per manager). */
const managerAgent = new Agent({ keepAlive: true, maxSockets: 1 });

function readManager(managerPort: number): Promise<ServerView[]> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port: managerPort, path: '/v1/servers', timeout: Math.max(200, infoRefresh), agent: managerAgent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { servers: ServerView[] }).servers);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function refresh(): Promise<boolean> {
  for (let k = 0; k < managers.length; k++) {
    try {
      install(await readManager(managers[(index + k) % managers.length]));
      fallback = false;
      return true;
    } catch {
      // the next manager
    }
  }
  fallback = view !== null;
  return false;
}

const queue = new LookupQueue<ServerResponse>(capacity === Infinity ? 0 : 1000 / capacity, (res) => {
  if (res.destroyed || res.writableEnded) return; // its client gave up: the service was spent all the same
  const cursorAfter = view === null ? -1 : choose(fallback ? Algorithm.roundRobin : algorithm, view, cursor, stream, pair);
  if (cursorAfter < 0) {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"noServer":true}');
    return;
  }
  cursor = cursorAfter;
  if (localCounting && view !== null) view.counts[pair[0]]++;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`{"primary":"${addresses[pair[0]]}","alternative":"${addresses[pair[1]]}"}`);
});

/**
 * A blackhole outage (docs/live.md): the deployment says so (POST /blackhole), then stops the
 * process (SIGSTOP). The model's down lookup loses its queue and forgets what reached it while
 * down (docs/model.md §4); a stopped process would instead serve, once resumed, every request the
 * kernel buffered for it meanwhile, long after their clients gave up. So from the announcement on,
 * requests are held unanswered, and on SIGCONT every connection (kept-alive ones included) is
 * closed, the queue is emptied and the listener reopened (dropping what waited in its backlog):
 * the lookup comes back as a fresh process would, at once.
 */
let blackholed = false;
let staleDropped = 0;
const held: ServerResponse[] = [];

const http = createServer((req, res) => {
  if (req.url === '/blackhole' && req.method === 'POST') {
    blackholed = true;
    res.writeHead(200, { connection: 'close' }).end();
  } else if (blackholed) {
    held.push(res); // no answer: a blackhole
  } else if (req.url !== undefined && req.url.startsWith('/v1/lookup')) {
    queue.submit(res);
  } else if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served: queue.served, queue: queue.length, meanWaitMs: queue.served > 0 ? queue.totalWait / queue.served : null, fallback, ready: view !== null, staleDropped, backlogRate: queue.backlogRate }));
  } else if (req.url === '/health') {
    res.writeHead(view === null ? 503 : 200).end();
  } else {
    res.writeHead(404).end();
  }
});
// Clients keep their connections (live/client-worker.ts): a client's agent drops an idle one 1 s
// before the timeout this announces (Keep-Alive: timeout=30), so that neither closes under the other.
http.keepAliveTimeout = 30_000;
const sockets = new Set<Socket>();
http.on('connection', (socket: Socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});
let listening = false;
function open(): void {
  if (listening) return;
  listening = true;
  http.listen({ port, host: '127.0.0.1', backlog: 4096 });
}
http.on('error', (error) => {
  process.stderr.write(`lookup ${index}: ${error.message}\n`);
  process.exit(2);
});
process.on('SIGUSR1', () => {
  if (!listening) return;
  listening = false;
  http.close();
  // Refuse mode: the kept-alive connections go with the listener (closed, as when the process's
  // port closes), and new ones are refused. Requests waiting in the FIFO are dropped with them.
  http.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  queue.clear();
});
process.on('SIGUSR2', open);
process.on('SIGCONT', () => {
  if (!blackholed) return;
  staleDropped += held.length + queue.clear().length;
  held.length = 0;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  http.closeAllConnections();
  blackholed = false;
  if (!listening) return;
  // The listening socket goes (and with it what waited in its backlog), a new one opens at once
  // (not when the old one's last connection is gone: one that escaped the loop above could hold it).
  listening = false;
  http.close();
  setImmediate(open);
});
process.on('SIGTERM', () => process.exit(0));

void refresh().finally(() => {
  open();
  setInterval(() => void refresh(), infoRefresh);
});
