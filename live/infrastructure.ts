// ZooKeeper and Redis for one reference deployment: started from Debian's packages in the
// deployment's temporary directory, on free loopback ports, never the system services.
import { writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { JAVA, REDIS_SERVER, ZOOKEEPER_CLASSPATH } from './packages.ts';
import { spawnGuarded, waitFor, type ManagedProcess } from './processes.ts';
import { LiveError } from './errors.ts';

/** One line exchanged on a fresh TCP connection: ZooKeeper's four-letter words, Redis's PING. */
export function ask(port: number, text: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\n') || answer === 'imok') socket.end();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

export async function startZooKeeper(dir: string, port: number, minSessionTimeoutMs: number, track: (p: ManagedProcess) => void): Promise<ManagedProcess> {
  const data = join(dir, 'zookeeper');
  mkdirSync(data, { recursive: true });
  const tick = Math.max(50, Math.floor(minSessionTimeoutMs / 2));
  const config = join(dir, 'zoo.cfg');
  writeFileSync(
    config,
    [`tickTime=${tick}`, `dataDir=${data}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false',
      `minSessionTimeout=${2 * tick}`, 'maxSessionTimeout=60000', '4lw.commands.whitelist=ruok,srvr', 'maxClientCnxns=0', ''].join('\n'),
  );
  // C1 alone compiles ZooKeeper's code: it serves a few managers, and C2's compiles cost more CPU than
  // they ever save (three starts each, alone, 3 s after answering `ruok`: 0.45–0.57 s of CPU against
  // 0.58–0.88 s, 2026-12-07).
  const zk = spawnGuarded('zookeeper', JAVA, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', ZOOKEEPER_CLASSPATH,
    `-Dzookeeper.log.dir=${dir}`, '-Dzookeeper.root.logger=WARN,CONSOLE', 'org.apache.zookeeper.server.ZooKeeperServerMain', config], dir);
  track(zk);
  await waitUp(zk, () => ask(port, 'ruok').then((a) => a === 'imok'), 30_000, `ZooKeeper on port ${port}`);
  return zk;
}

export async function startRedis(dir: string, port: number, track: (p: ManagedProcess) => void): Promise<ManagedProcess> {
  const redis = spawnGuarded('redis', REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'], dir);
  track(redis);
  await waitUp(redis, () => ask(port, 'PING\r\n').then((a) => a.startsWith('+PONG')), 15_000, `Redis on port ${port}`);
  return redis;
}

/** Waits for `check`, but fails at once (naming the log) if the process exits first. */
export async function waitUp(p: ManagedProcess, check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(async () => {
    if (p.exitCode !== null) throw new LiveError(`${p.name} exited with code ${p.exitCode} while starting; see ${p.log}`);
    return check();
  }, timeoutMs, what).catch((error: unknown) => {
    if (p.exitCode !== null) throw new LiveError(`${p.name} exited with code ${p.exitCode} while starting; see ${p.log}`);
    throw error;
  });
}
