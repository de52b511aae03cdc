// A server manager (docs/model.md §5) as one OS process:
//   node --import tsx live/manager.ts --index I --port P --zookeeper HOST:PORT --redis PORT
//        --root /stampede/ID --servers JSON --health-interval S --health-timeout S
//        --fail-threshold N --recover-threshold N --sync-interval S --zk-session-timeout S
// Election through a real ZooKeeper: each manager creates an ephemeral sequential znode under
// ROOT/election; the lowest is the master. The master's L7 health checks (HTTP GET /health on
// each session server) carry session counts into a real Redis (hashes ROOT:sessions, ROOT:running)
// and suspend a server in ZooKeeper (ROOT/servers/NAME = suspended) after failThreshold failures,
// resume it after recoverThreshold successes. Slaves copy Redis every syncInterval. Every manager
// answers lookups' `GET /v1/servers` with its view.
import { createServer, get } from 'node:http';
import zookeeper from 'node-zookeeper-client';
import { Redis } from 'ioredis';
import { exitWithParent, flags, numberFlag } from './parent-watch.ts';

export interface ServerEntry {
  name: string;
  /** host:port of its session listener. */
  address: string;
  /** Port of its HTTP health endpoint. */
  healthPort: number;
}

export interface ServerView {
  name: string;
  address: string;
  running: boolean;
  sessions: number;
}

const args = flags(process.argv.slice(2));
const index = numberFlag(args, 'index');
const port = numberFlag(args, 'port');
const root = args.get('root') as string;
const servers = JSON.parse(args.get('servers') as string) as ServerEntry[];
const healthInterval = numberFlag(args, 'health-interval') * 1000;
const healthTimeout = numberFlag(args, 'health-timeout') * 1000;
const failThreshold = numberFlag(args, 'fail-threshold');
const recoverThreshold = numberFlag(args, 'recover-threshold');
const syncInterval = numberFlag(args, 'sync-interval') * 1000;
const zkTimeout = numberFlag(args, 'zk-session-timeout') * 1000;
exitWithParent();

const view: ServerView[] = servers.map((s) => ({ name: s.name, address: s.address, running: true, sessions: 0 }));
const fails = new Int32Array(servers.length);
const successes = new Int32Array(servers.length);
let role: 'master' | 'slave' | 'electing' = 'electing';
let myNode = '';

const fail = (message: string): never => {
  process.stderr.write(`manager ${index}: ${message}\n`);
  process.exit(3);
};

const redis = new Redis({ port: numberFlag(args, 'redis'), host: '127.0.0.1', maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false,
  retryStrategy: (times: number) => Math.min(100 * times, 1000) });
let redisErrors = 0;
redis.on('error', (error: Error) => {
  if (redisErrors++ === 0) process.stderr.write(`manager ${index}: redis: ${error.message}\n`);
});

const zk = zookeeper.createClient(args.get('zookeeper') as string, { sessionTimeout: zkTimeout, spinDelay: 100, retries: 2 });
zk.on('state', (state) => {
  if (state === zookeeper.State.EXPIRED) fail('ZooKeeper session expired');
});
const connectTimer = setTimeout(() => fail('cannot connect to ZooKeeper'), 15_000);
zk.once('connected', () => {
  clearTimeout(connectTimer);
  zk.mkdirp(`${root}/election`, (error) => {
    if (error) fail(`ZooKeeper mkdirp: ${String(error)}`);
    zk.mkdirp(`${root}/servers`, () => {
      zk.create(`${root}/election/m-`, Buffer.from(String(index)), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, (e, path) => {
        if (e) fail(`ZooKeeper create: ${String(e)}`);
        myNode = path.slice(path.lastIndexOf('/') + 1);
        elect();
      });
    });
  });
});
zk.connect();

function elect(): void {
  zk.getChildren(`${root}/election`, () => elect(), (error, children) => {
    if (error) return;
    const lowest = [...children].sort()[0];
    const next = lowest === myNode ? 'master' : 'slave';
    if (next !== role) process.stderr.write(`manager ${index}: ${next}\n`);
    role = next;
  });
}

function check(s: ServerEntry): Promise<number | null> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port: s.healthPort, path: '/health', timeout: healthTimeout, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { state: string; sessions: number };
          resolve(res.statusCode === 200 && parsed.state === 'running' ? parsed.sessions : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

async function healthRound(): Promise<void> {
  const results = await Promise.all(servers.map(check));
  if (role !== 'master') return;
  const changed: string[] = [];
  results.forEach((sessions, k) => {
    const v = view[k];
    if (sessions === null) {
      successes[k] = 0;
      if (++fails[k] >= failThreshold && v.running) {
        v.running = false;
        changed.push(k.toString());
      }
    } else {
      fails[k] = 0;
      v.sessions = sessions;
      if (!v.running && ++successes[k] >= recoverThreshold) {
        v.running = true;
        successes[k] = 0;
        changed.push(k.toString());
      }
    }
  });
  for (const k of changed.map(Number)) {
    const state = view[k].running ? 'running' : 'suspended';
    const path = `${root}/servers/${view[k].name}`;
    zk.create(path, Buffer.from(state), (error) => {
      if (error) zk.setData(path, Buffer.from(state), -1, () => undefined);
    });
  }
  if (redis.status === 'ready') {
    const sessions: Record<string, string> = {};
    const running: Record<string, string> = {};
    for (const v of view) {
      sessions[v.name] = String(v.sessions);
      running[v.name] = v.running ? '1' : '0';
    }
    await redis.multi().hset(`${root}:sessions`, sessions).hset(`${root}:running`, running).exec().catch(() => undefined);
  }
}

async function syncRound(): Promise<void> {
  if (role !== 'slave' || redis.status !== 'ready') return;
  try {
    const [sessions, running] = await Promise.all([redis.hgetall(`${root}:sessions`), redis.hgetall(`${root}:running`)]);
    for (const v of view) {
      if (sessions[v.name] !== undefined) v.sessions = Number(sessions[v.name]);
      if (running[v.name] !== undefined) v.running = running[v.name] === '1';
    }
  } catch {
    // Redis unreachable: keep the last view.
  }
}

let healthBusy = false;
setInterval(() => {
  if (healthBusy) return;
  healthBusy = true;
  void healthRound().finally(() => (healthBusy = false));
}, healthInterval);
setInterval(() => void syncRound(), syncInterval);

const http = createServer((req, res) => {
  if (req.url === '/v1/servers') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ manager: index, role, servers: view }));
  } else if (req.url === '/health') {
    res.writeHead(role === 'electing' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ manager: index, role }));
  } else {
    res.writeHead(404).end();
  }
});
http.on('error', (error) => fail(`HTTP: ${error.message}`));
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  zk.close();
  redis.disconnect();
  process.exit(0);
});
